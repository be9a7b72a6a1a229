"""Coverage, balancing, the dry run and synthesis for uncovered entities, on the real BBC graph."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner

from kgsynth.app.cli import cli
from synth.coverage import coverage, synth_uncovered
from synth.qa import build_qa, plan


@pytest.fixture(scope="module")
def qa_set(graph_ws):
    return build_qa(graph_ws, n=60, seed=3, name="cov-qa")


def test_coverage_counts_match_the_provenance(graph_ws, qa_set):
    c = coverage(graph_ws, qa_set.id)
    examples = graph_ws.catalog.examples(qa_set.id)
    entities = {e.id: e for e in graph_ws.store.iter_entities()}
    typed = {r.id: r for r in graph_ws.store.iter_relations(include_cooccurrence=False)}
    uses = Counter(x for e in examples for x in set(e.provenance.entity_ids) if x in entities)
    facts = {x for e in examples for x in e.provenance.relation_ids if x in typed}
    assert c.examples == len(examples) == qa_set.count
    assert (c.entities.used, c.entities.total) == (len(uses), len(entities))
    assert (c.facts.used, c.facts.total) == (len(facts), len(typed))
    assert c.documents.total == graph_ws.catalog.count("documents") >= c.documents.used > 0
    assert sum(c.tasks.values()) == len(examples)
    assert sum(n for n in c.per_entity.values()) == len(uses)
    assert sum(s.total for s in c.entity_types.values()) == len(entities)
    assert sum(s.used for s in c.predicates.values()) == len(facts)
    top = c.top_entities[0]
    assert top.examples == max(uses.values()) and uses[top.id] == top.examples
    assert all(u.examples == 0 and u.id not in uses for u in c.uncovered)
    mentions = [u.mentions for u in c.uncovered]
    assert mentions == sorted(mentions, reverse=True) and c.uncovered
    mean = sum(uses.values()) / len(uses)
    assert all(u.examples >= 3 * mean for u in c.over_used)


def test_coverage_command_prints_a_table_and_json(graph_ws, graph_workspace_dir, qa_set):
    runner = CliRunner()
    args = ["-w", str(graph_workspace_dir), "datasets", "coverage", qa_set.id]
    table = runner.invoke(cli, args, catch_exceptions=False)
    assert table.exit_code == 0 and "entities:" in table.output and "uncovered" in table.output
    data = json.loads(runner.invoke(cli, [*args, "--json"], catch_exceptions=False).output)
    assert data == json.loads(coverage(graph_ws, qa_set.id).model_dump_json())
    missing = runner.invoke(cli, ["-w", str(graph_workspace_dir), "datasets", "coverage", "nope"])
    assert missing.exit_code != 0


def test_balance_caps_entities_across_types_and_reports_before_after(graph_ws):
    version = build_qa(graph_ws, n=60, seed=3, balance=True, name="cov-balanced")
    figures = version.stats["balance"]
    before, after = figures["before"], figures["after"]
    cap = after["entity_cap"]
    assert cap <= before["entity_cap"] == 3
    assert after["top_entity_uses"] <= cap <= before["top_entity_uses"]
    assert after["gini"] <= before["gini"]
    assert version.params["balance"] is True
    # the stored examples respect the cap too (answer checks only ever drop examples)
    examples = graph_ws.catalog.examples(version.id)
    uses = Counter(x for e in examples for x in set(e.provenance.entity_ids))
    assert max(uses.values()) <= cap


def test_dry_run_budget_matches_the_build(graph_ws, graph_workspace_dir, qa_set):
    p = plan(graph_ws, n=60, seed=3)
    assert p.per_type == qa_set.stats["selected"] and p.model_calls == 0
    assert sum(p.predicates.values()) == sum(p.per_type.values())
    out = CliRunner().invoke(
        cli,
        ["-w", str(graph_workspace_dir), "synth", "qa", "-n", "60", "--seed", "3", "--dry-run"],
        catch_exceptions=False,
    )
    assert out.exit_code == 0 and "dry run" in out.output and "no model calls" in out.output
    assert graph_ws.catalog.dataset("cov-qa").id == qa_set.id  # nothing new was saved


def test_synthesize_for_uncovered_entities(graph_ws, qa_set):
    before = coverage(graph_ws, qa_set.id, top=10)
    targets = {u.id for u in before.uncovered}
    version = synth_uncovered(graph_ws, qa_set.id, n=20, entities=10)
    examples = graph_ws.catalog.examples(version.id)
    assert examples and version.name == "cov-qa+uncovered"
    facts_of = {
        r.id
        for r in graph_ws.store.iter_relations(include_cooccurrence=False)
        if {r.source_id, r.target_id} & targets
    }
    chunks_of = {
        c for e in graph_ws.store.lookup(sorted(targets), []).entities for c in e.chunk_ids
    }
    for e in examples:  # every pair is about a target: one of its facts, or a passage naming it
        p = e.provenance
        assert set(p.relation_ids) & facts_of or {s.chunk_id for s in p.spans} & chunks_of
