"""synth: generators, templates, retrieval, QA and classification sets, annotation, augmentation,
cleaning and export."""
