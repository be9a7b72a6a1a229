"""Graph deltas and `synth update` on real BBC articles (real spaCy, embedded graph, SQLite catalog).

One document is edited, one removed and one added; the examples `synth update` drops must be exactly
those an independent oracle finds touched by comparing the whole graph before and after, and every
other example must be kept byte for byte.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.ingest import ingest
from kgsynth.app.cli import cli, main
from kgsynth.errors import InputError
from kgsynth.workspace import Workspace
from synth.classify import build_classification
from synth.clean import clean
from synth.qa import build_qa
from synth.schema import load_schema
from synth.update import UpdateReport, update
from synth.versions import load
from tests.fixtures.corpus import bbc_files

EDIT = "\nGordon Brown met Bill Gates in Seattle. Microsoft hired Gordon Brown in 2004.\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A workspace with 15 ingested articles, a QA version and its cleaned version."""
    root = tmp_path_factory.mktemp("update")
    docs = root / "docs"
    docs.mkdir()
    for path, label in bbc_files(3):
        shutil.copy(path, docs / f"{label}-{path.name}")
    ws = Workspace(root / "ws")
    ingest(ws, [docs])
    built = build_qa(ws, n=80, seed=1)
    cleaned = clean(ws, built.id, filters=["normalize", "exact_dedup"]).version
    seeds = {lab: [p.read_text(encoding="utf-8", errors="replace")] for p, lab in bbc_files(1)}
    schema = load_schema(Path(__file__).parents[1] / "examples" / "bbc_schema.yaml")
    labels = build_classification(ws, schema.with_seeds(seeds), per_label=2, name="topics")
    yield ws, docs, built, cleaned, labels
    ws.close()


def _graph(ws):
    entities = {e.id: (e.name, e.type) for e in ws.store.iter_entities()}
    relations = {
        r.id: (r.source_id, r.predicate, r.target_id, r.kind, {ev.chunk_id for ev in r.evidence})
        for r in ws.store.iter_relations()
    }
    chunks = {c.id for c in ws.catalog.iter_chunks()}
    docs = {d.id for d in ws.catalog.iter_documents()}
    return entities, relations, chunks, docs


def _sets(relations) -> dict:
    """(entity, predicate, direction) -> the other ends, over the typed relations."""
    out: dict = {}
    for src, pred, dst, kind, _ in relations.values():
        if kind == "relation":
            out.setdefault((src, pred, "out"), set()).add(dst)
            out.setdefault((dst, pred, "in"), set()).add(src)
    return out


def _oracle(examples, before, after) -> set[str]:
    """Examples touched by the change, from full graph snapshots (not from recorded deltas)."""
    (ents0, rels0, chunks0, docs0), (ents1, rels1, chunks1, docs1) = before, after
    sets0, sets1 = _sets(rels0), _sets(rels1)
    touched = set()
    for e in examples:
        p = e.provenance
        chunks = set(p.chunk_ids) | {s.chunk_id for s in p.spans}
        graph_answered = e.output is not None and "context" not in e.meta
        slots = []
        for rid in p.relation_ids:
            if rid in rels0 and rels0[rid][3] == "relation":
                src, pred, dst = rels0[rid][:3]
                slots += [(src, pred, "out"), (dst, pred, "in")]
        if (
            chunks & (chunks0 - chunks1)
            or set(p.doc_ids) & (docs0 - docs1)
            or any(r not in rels1 for r in p.relation_ids)
            or any(ents1.get(x) != ents0.get(x) for x in p.entity_ids)
            or (graph_answered and any(sets0.get(s) != sets1.get(s) for s in slots))
        ):
            touched.add(e.id)
    return touched


def test_update_drops_exactly_the_touched_examples_and_keeps_the_rest(corpus, capsys):
    ws, docs, built, cleaned, labels = corpus
    with pytest.raises(InputError, match="has not changed"):
        update(ws, built.id)
    _, old = load(ws, cleaned)
    before = _graph(ws)
    files = sorted(docs.iterdir())
    files[0].write_text(files[0].read_text() + EDIT)  # edit one
    files[4].unlink()  # remove one
    shutil.copy(bbc_files(1, offset=10)[2][0], docs / "new.txt")  # add one
    report = ingest(ws, [docs], sync=True)
    assert (report.added, report.replaced, report.removed) == (1, 1, 1)
    after = _graph(ws)

    deltas = ws.catalog.deltas(ws.store.identity, after_seq=built.stats["graph_seq"])
    assert len(deltas) == 2  # the removal, then the batch with the edit and the new article
    assert set(deltas[0].docs_removed) == before[3] - after[3] - set(deltas[1].docs_replaced)
    assert set(deltas[1].chunks_removed) | set(deltas[0].chunks_removed) == before[2] - after[2]
    assert set(deltas[1].chunks_added) == after[2] - before[2]
    assert {r for d in deltas for r in d.relations_added} == after[1].keys() - before[1].keys()
    assert {r for d in deltas for r in d.relations_removed} == before[1].keys() - after[1].keys()

    expected = _oracle(old, before, after)
    out = CliRunner().invoke(
        cli, ["-w", str(ws.path), "synth", "update", cleaned.id], catch_exceptions=False
    )
    assert out.exit_code == 0 and "kept" in out.output and "dropped because" in out.output
    job = next(j for j in ws.catalog.jobs() if j.kind == "synth_update")
    result = UpdateReport.model_validate(job.result)
    new_version, new = load(ws, result.version_id)
    kept_ids = {e.id for e in old} - expected
    assert expected and kept_ids
    assert result.dropped == len(expected) and result.kept == len(kept_ids)
    new_ids = {e.id for e in new}
    assert new_ids & {e.id for e in old} == kept_ids  # exactly the touched ones are gone
    stored = {e.id: e.model_dump_json() for e in new}
    assert all(stored[e.id] == e.model_dump_json() for e in old if e.id in kept_ids)

    made = [e for e in new if e.id not in kept_ids]
    assert len(made) == result.regenerated + result.new == new_version.count - len(kept_ids)
    fresh_chunks = after[2] - before[2]
    fresh_facts = {r for r, row in after[1].items() if before[1].get(r) != row}
    for e in made:  # every new example is about new material
        p = e.provenance
        assert set(p.chunk_ids) & fresh_chunks or set(p.relation_ids) & fresh_facts
        assert e.meta["qa_type"] in result.budget

    # lineage: the new examples were built under the old settings, then cleaned like the old ones
    assert new_version.stage == "update" and new_version.parents[0] == cleaned.id
    if len(new_version.parents) > 1:
        replayed = ws.catalog.dataset(new_version.parents[1])
        assert replayed.stage == "clean" and replayed.params == cleaned.params
        rebuilt = ws.catalog.dataset(replayed.parents[0])
        assert rebuilt.params["seed"] == built.params["seed"] and rebuilt.params["restricted"]
        assert result.steps == ["clean"]

    # a classification set: the examples of changed or removed documents go, new documents' come
    _, old_cls = load(ws, labels)
    gone_docs = before[3] - after[3]
    result = update(ws, labels.id)
    _, new_cls = load(ws, result.version_id)
    expected = {e.id for e in old_cls if set(e.provenance.doc_ids) & gone_docs}
    assert expected and {e.id for e in old_cls} - {e.id for e in new_cls} == expected
    assert result.dropped == len(expected) and result.kept == len(old_cls) - len(expected)
    fresh_docs = after[3] - before[3]
    made_cls = [e for e in new_cls if e.id not in {x.id for x in old_cls}]
    assert all(set(e.provenance.doc_ids) <= fresh_docs for e in made_cls)
    per_label = {lab: n for lab, n in result.budget.items()}
    assert all(sum(e.label == lab for e in made_cls) <= n for lab, n in per_label.items())

    with pytest.raises(SystemExit) as exit_info:  # nothing changed since the update
        main(["-w", str(ws.path), "synth", "update", new_version.id])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and "nothing to update" in err
    assert len(err.strip().splitlines()) == 1
