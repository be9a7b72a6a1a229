"""LoRA SFT of the real SmolLM2-135M on a tiny QA export, and QA scoring."""

from __future__ import annotations

import json

from finetune.data import load_chat, to_messages
from finetune.sft import normalize_answer, qa_scores, train_sft
from tests.finetune_data import write_qa_export


def test_answer_normalisation_and_scores():
    assert normalize_answer("The  Sport!") == "sport"
    s = qa_scores(["Sport.", "it is about politics", "tech"], ["sport", "politics", "business"])
    assert s.exact_match == round(1 / 3, 4) and s.contains == round(2 / 3, 4) and s.n == 3


def test_alpaca_and_sharegpt_rows_become_messages(tmp_path):
    a = to_messages({"instruction": "Q?", "input": "ctx", "output": "A"}, "x")
    assert a == [{"role": "user", "content": "Q?\n\nctx"}, {"role": "assistant", "content": "A"}]
    s = to_messages(
        {"conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}, "x"
    )
    assert [m["role"] for m in s] == ["user", "assistant"]
    path = tmp_path / "one.jsonl"
    path.write_text(
        "".join(json.dumps({"instruction": f"q{i}", "output": f"a{i}"}) + "\n" for i in range(10))
    )
    train, held = load_chat(path, seed=1)
    assert len(train) == 9 and len(held) == 1


def test_tiny_lora_run_with_before_after_eval(tmp_path):
    data = write_qa_export(tmp_path / "qa", per_label=4)
    steps = []
    res = train_sft(
        data,
        tmp_path / "run",
        max_length=64,
        max_steps=2,
        batch_size=2,
        eval_n=2,
        max_new_tokens=4,
        progress=lambda d, t: steps.append((d, t)),
    )
    assert res.steps == 2 and steps[-1] == (2, 2) and res.final_loss > 0
    assert res.before.n == 2 and res.after.n == 2
    run = tmp_path / "run"
    assert (run / "adapter_config.json").exists() and (run / "adapter_model.safetensors").exists()
    assert (run / "loss.png").read_bytes()[:4] == b"\x89PNG"
    card = (run / "README.md").read_text()
    assert "exact match" in card and "before" in card
    again = train_sft(
        data, run, max_length=64, max_steps=2, batch_size=2, eval_n=2, max_new_tokens=4
    )
    assert again.resumed_from == {"epoch": 0, "step": 2} and again.steps == 2
