"""finetune: classifier fine-tuning, LoRA SFT of a causal LM, evaluation reports, the job runner."""
