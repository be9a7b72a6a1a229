"""EDA and augmentation on real BBC sentences; entity swap against the real embedded graph store."""

from __future__ import annotations

from collections import Counter

import pytest

from kgsynth.types import DatasetVersion, Entity, Example, GraphBatch, Provenance, example_id
from kgsynth.workspace import Workspace
from synth.augment import augment, eda, label_targets
from synth.synonyms import load_table
from tests.test_clean import _unique_sentences

SENTENCE = "The company said profits rose quickly after the government announced new rules."


@pytest.fixture(scope="module")
def table():
    return load_table()  # built once from MiniLM + spaCy, then cached


def test_synonym_table_is_offline_and_sensible(table):
    assert len(table) > 3000
    assert {"firm", "firms"} & set(table.get("company"))
    assert "film" not in table.get("film") and not any(
        s.startswith("film") for s in table.get("film")
    )
    assert table.get("quickly") and table.get("Quickly") == table.get("quickly")


def test_build_table_from_encoder_and_spacy():
    from synth.synonyms import build_table

    small = build_table(vocab_limit=3000)
    assert 300 < len(small) < 3000
    word, syns = next(iter(small.table.items()))
    assert word not in syns and len(syns) <= 5


def test_eda_methods(table):
    out = eda(SENTENCE, alpha=0.2, n=4, seed=1, table=table)
    assert len(out) == 4 and SENTENCE not in out and len(set(out)) == 4
    assert eda(SENTENCE, alpha=0.2, n=4, seed=1, table=table) == out  # seeded
    src = SENTENCE.split()
    (swap,) = eda(SENTENCE, n=1, methods=("swap",), seed=2, table=table)
    assert sorted(swap.split()) == sorted(src)
    (delete,) = eda(SENTENCE, alpha=0.3, n=1, methods=("delete",), seed=2, table=table)
    assert len(delete.split()) < len(src) and set(delete.split()) <= set(src)
    (ins,) = eda(SENTENCE, alpha=0.2, n=1, methods=("insert",), seed=2, table=table)
    assert len(ins.split()) == len(src) + 2
    (syn,) = eda(SENTENCE, alpha=0.2, n=1, methods=("synonym",), seed=2, table=table)
    changed = [(a, b) for a, b in zip(src, syn.split(), strict=True) if a != b]
    assert 1 <= len(changed) <= 2
    for a, b in changed:
        assert b.lower().strip(".") in table.get(a.strip("."))
    zh = eda(
        "英国首相周三在议会发表讲话，谈到了经济问题。", n=2, lang="zh", methods=("swap", "delete")
    )
    assert len(zh) == 2 and all(" " not in s for s in zh)


@pytest.fixture
def ws(tmp_path):
    with Workspace(tmp_path / "ws") as w:
        yield w


def test_augment_rebalances_and_links_parents(ws, table):
    sents = _unique_sentences(3, limit=60)
    counts = {"business": 12, "politics": 6, "tech": 3}
    pool = {lab: [s for s, label in sents if label == lab] for lab in counts}
    examples = [
        Example(
            id=example_id("classify", s, None, lab),
            task="classify",
            input=s,
            label=lab,
            label_source="weak",
            confidence=0.8,
        )
        for lab, n in counts.items()
        for s in pool[lab][:n]
    ]
    ws.catalog.save_dataset(DatasetVersion(id="ds_a", name="news", stage="annotate"), examples)
    assert label_targets(examples, 1, True) == {"business": 12, "politics": 18, "tech": 21}
    v = augment(ws, "news", per_example=1, balance=True, seed=0)
    out = ws.catalog.examples(v.id)
    assert v.stage == "augment" and v.parents == ["ds_a"]
    final = Counter(e.label for e in out)
    assert max(final.values()) - min(final.values()) <= 3, final  # classes evened out
    new = [e for e in out if e.parent_id]
    ids = {e.id for e in examples}
    assert all(e.parent_id in ids for e in new)
    parents = {e.id: e for e in examples}
    assert all(e.label == parents[e.parent_id].label for e in new)  # label-preserving
    assert all(e.meta["augment"]["method"] in {"synonym", "insert", "swap", "delete"} for e in new)
    assert v.stats["ratios"]["tech"] > v.stats["ratios"]["business"]
    assert (ws.dir("cache") / "synonyms-en-v1.json").exists()


def test_entity_swap_updates_answer_and_provenance(ws, table):
    people = [
        Entity(id=f"ent_{i}", name=n, type="PERSON")
        for i, n in enumerate(["Tony Blair", "Gordon Brown", "Michael Howard"])
    ]
    org = Entity(id="ent_org", name="Labour", type="ORG")
    ws.store.write(GraphBatch(entities=[*people, org]))
    sentence = "Tony Blair leads Labour, the party said on Monday."
    qa = Example(
        id=example_id("qa.single_fact", "Who leads Labour?", "Tony Blair", None),
        task="qa.single_fact",
        input="Who leads Labour?",
        output="Tony Blair",
        provenance=Provenance(entity_ids=["ent_0", "ent_org"], evidence=[sentence]),
    )
    ws.catalog.save_dataset(DatasetVersion(id="ds_qa", name="qa", stage="synth"), [qa])
    v = augment(ws, "qa", methods=("swap",), per_example=0, entity_swap=True, seed=3)
    swapped = [
        e
        for e in ws.catalog.examples(v.id)
        if e.meta.get("augment", {}).get("method") == "entity_swap"
    ]
    assert len(swapped) == 1 and v.stats["entity_swaps"] == 1
    e = swapped[0]
    how = e.meta["augment"]
    assert how["replaced"] == {"id": "ent_0", "name": "Tony Blair"}
    assert e.output == how["with"]["name"] in {"Gordon Brown", "Michael Howard"}
    assert e.provenance.entity_ids[0] == how["with"]["id"] and e.parent_id == qa.id
    assert e.provenance.evidence[0].startswith(e.output)
    assert e.input == qa.input  # the question names the other entity, which stays
