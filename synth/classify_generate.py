"""New classification examples written by a generator, conditioned on a label and real sentences.

For each label, the corpus units it labels most confidently give a few sentences (facts); the prompt
asks for a new text of that label built on them. The ``template`` generator returns the reference
rendering (those sentences, joined): grounded but close to the source. Every generated text is
checked by a classifier trained on the weakly labeled corpus; its opinion is a vote and the
example's confidence.
"""

from __future__ import annotations

import random

import numpy as np

from kgsynth.generators.base import Message, Prompt
from kgsynth.types import Example, Provenance, example_id
from synth.schema import LabelSchema
from synth.units import sentences_of, text_vectors

TEMPLATE_ID = "classify.generate"


def generation_prompt(task: str, name: str, description: str, facts: list[str]) -> Prompt:
    """The prompt for one generated example; meta["reference"] is the template rendering."""
    about = f"{name} ({description})" if description else name
    kind = f"{task} text" if task else "text"
    lines = "\n".join(f"- {f}" for f in facts)
    user = (
        f'Write a new, realistic {kind} in the category "{about}".\n'
        f"Base it on these facts:\n{lines}\nReply with the text only."
    )
    return Prompt(
        messages=[
            Message(role="system", content="You write realistic examples for a text classifier."),
            Message(role="user", content=user),
        ],
        template_id=TEMPLATE_ID,
        meta={"reference": " ".join(facts), "label": name},
    )


def generate_examples(
    ws, schema: LabelSchema, labeled, generator: str, per_label: int, seed: int
) -> list[Example]:
    """`per_label` generated examples per label (label_source="model")."""
    from sklearn.linear_model import LogisticRegression

    from kgsynth.generators import make_generator

    rng = random.Random(seed)
    units = labeled.units
    prompts, sources = [], []
    for j, spec in enumerate(schema.labels):
        idx = [i for i in np.flatnonzero(labeled.best == j)]
        idx.sort(key=lambda i: -labeled.conf[i])
        idx = idx[: max(per_label, 10)]
        for n in range(per_label if idx else 0):
            i = idx[n % len(idx)]
            facts = sentences_of(units.texts[i], units.lang, 4, rng)
            if facts:
                prompts.append(generation_prompt(schema.task, spec.name, spec.description, facts))
                sources.append((i, j, facts))
    if not prompts:
        return []
    gen = make_generator(ws, generator)
    completions = gen.generate(prompts)
    texts = [c.text.strip() for c in completions]
    judge = LogisticRegression(C=10.0, max_iter=500, random_state=seed)
    judge.fit(units.vectors, labeled.best)
    probs = np.zeros((len(texts), len(schema.labels)))
    probs[:, judge.classes_] = judge.predict_proba(text_vectors(ws, [t or " " for t in texts]))
    out = []
    for text, (i, j, facts), p in zip(texts, sources, probs, strict=True):
        if not text:
            continue
        name = schema.labels[j].name
        votes = [
            {"source": "generator", "label": name, "confidence": 1.0},
            {
                "source": "verifier",
                "label": schema.labels[int(p.argmax())].name,
                "confidence": round(float(p.max()), 4),
            },
        ]
        out.append(
            Example(
                id=example_id("classify", text, None, name),
                task="classify",
                input=text,
                label=name,
                lang=units.lang,
                confidence=round(float(p[j]), 4),
                label_source="model",
                provenance=Provenance(
                    chunk_ids=units.chunk_ids[i], doc_ids=[units.doc_ids[i]], evidence=facts
                ),
                template_id=TEMPLATE_ID,
                generator=generator,
                generator_params=gen.params(),
                meta={"votes": votes},
            )
        )
    return out
