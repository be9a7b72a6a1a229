"""Review decisions: ordered queue, never overwriting, reviewed labels win, re-scoring."""

from __future__ import annotations

import pytest

from kgsynth.errors import InputError
from kgsynth.types import DatasetVersion
from kgsynth.workspace import Workspace
from synth.annotate import annotate
from synth.review import apply_reviews, decide, queue
from tests.test_annotate import voted_examples


@pytest.fixture
def annotated(tmp_path):
    with Workspace(tmp_path / "ws") as ws:
        examples, truth = voted_examples(60, seed=1)
        ws.catalog.save_dataset(DatasetVersion(id="ds_votes", name="news", stage="synth"), examples)
        yield ws, annotate(ws, "ds_votes", method="majority"), truth


def test_queue_is_most_uncertain_first_and_unreviewed_only(annotated):
    ws, v, _ = annotated
    q = queue(ws, v.id, limit=10)
    assert len(q) == 10
    confs = [e.confidence for e in q]
    assert confs == sorted(confs)
    assert confs[0] <= min(e.confidence for e in ws.catalog.examples(v.id))
    decide(ws, v.id, q[0].id, "accept", reviewer="ana")
    assert q[0].id not in {e.id for e in queue(ws, v.id, limit=100)}


def test_decisions_never_overwrite_and_reviewed_labels_win(annotated):
    ws, v, truth = annotated
    q = queue(ws, v.id, limit=4)
    a, r, rel, ed = q
    before = {e.id: e.model_dump() for e in q}
    decide(ws, v.id, a.id, "accept", reviewer="ana")
    decide(ws, v.id, r.id, "reject", reviewer="ana")
    first = decide(ws, v.id, rel.id, "relabel", label="politics", reviewer="ana")
    second = decide(ws, v.id, rel.id, "relabel", label="tech", reviewer="bo")
    decide(ws, v.id, ed.id, "edit", input=ed.input + " (edited)", label="business", reviewer="bo")
    history = ws.catalog.reviews([rel.id])
    assert [d.id for d in history] == [first.id, second.id]  # both kept, in order
    assert all(d.created_at and d.reviewer for d in history)

    new = apply_reviews(ws, v.id, rescore=False)
    assert new.stage == "review" and new.parents == [v.id] and new.count == v.count - 1
    got = {e.meta.get("prev_id"): e for e in ws.catalog.examples(new.id)}
    assert r.id not in got and r.id not in {e.id for e in ws.catalog.examples(new.id)}
    assert got[rel.id].label == "tech" and got[rel.id].label_source == "review"
    assert got[rel.id].meta["review"]["reviewer"] == "bo"
    assert got[a.id].label == a.label and got[a.id].confidence == 1.0
    assert got[ed.id].input.endswith("(edited)") and got[ed.id].parent_id == ed.id
    # originals are untouched, in the catalog and in their version
    for e in q:
        assert ws.catalog.example(e.id).model_dump() == before[e.id]
    assert len(ws.catalog.examples(v.id)) == v.count
    # re-annotating from votes keeps the reviewed labels
    again = annotate(ws, new.id, method="label_model")
    kept = {e.id: e for e in ws.catalog.examples(again.id)}
    assert kept[got[rel.id].id].label == "tech"
    assert kept[got[rel.id].id].meta["review"]["id"] == second.id


def test_rescoring_after_reviews(annotated):
    ws, v, truth = annotated
    for e in queue(ws, v.id, limit=15):
        decide(ws, v.id, e.id, "relabel", label=truth[e.meta["prev_id"]], reviewer="ana")
    new = apply_reviews(ws, v.id, rescore=True)
    assert new.stats["rescored"] > 0 and new.stats["reviews"]["relabel"] == 15
    rescored = [e for e in ws.catalog.examples(new.id) if "rescore" in e.meta]
    assert len(rescored) == new.stats["rescored"]
    agree = [e for e in rescored if e.meta["rescore"]["model_label"] == e.label]
    assert len(agree) / len(rescored) > 0.5
    # the next queue is ordered by the new scores
    nxt = queue(ws, new.id, limit=5)
    assert all(e.label_source != "review" for e in nxt)
    assert [e.confidence for e in nxt] == sorted(e.confidence for e in nxt)


def test_bad_decisions(annotated):
    ws, v, _ = annotated
    e = ws.catalog.examples(v.id)[0]
    with pytest.raises(InputError, match="relabel needs"):
        decide(ws, v.id, e.id, "relabel")
    with pytest.raises(InputError, match="not in dataset version"):
        decide(ws, v.id, "ex_nope", "accept")
    with pytest.raises(InputError, match="unknown review action"):
        decide(ws, v.id, e.id, "approve")
