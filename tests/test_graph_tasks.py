"""Entity typing and relation classification, distantly supervised by the real BBC graph."""

from __future__ import annotations

import math
import re
from collections import Counter

import pytest

from kgsynth.errors import InputError
from kgsynth.workspace import Workspace
from synth.graph_tasks import NO_RELATION, build_entity_typing, build_relation_classification
from synth.qa import build_qa


def _marked(text: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}>(.*?)</{tag}>", text)


def test_entity_typing_marks_one_mention_and_balances_types(graph_ws):
    seen = []
    version = build_entity_typing(graph_ws, n=40, progress=lambda d, t: seen.append((d, t)))
    examples = graph_ws.catalog.examples(version.id)
    labels = Counter(e.label for e in examples)
    assert version.count == len(examples) >= 15 and seen[-1] == (len(examples), len(examples))
    assert len(labels) >= 3
    assert max(labels.values()) <= math.ceil(
        40 / (len(labels) + len(version.stats["labels_dropped"]))
    )
    entity_types = set(graph_ws.store.stats().entity_types)
    for e in examples:
        assert e.task == "entity_typing" and e.label_source == "weak" and e.output is None
        (mention,) = _marked(e.input, "e")
        assert mention == e.meta["mention"]
        span = e.provenance.spans[0]
        chunk = graph_ws.catalog.chunk(span.chunk_id)
        assert chunk.text[span.start : span.end] == mention  # the mark points at real text
        assert e.provenance.evidence[0] in chunk.text
        assert e.label in entity_types or e.label == e.meta["extractor_type"]
        if e.provenance.entity_ids:
            assert graph_ws.store.entity(e.provenance.entity_ids[0]).type == e.label
    assert build_entity_typing(graph_ws, n=40).id == version.id  # seeded and idempotent


def test_relation_classification_marks_both_entities(graph_ws):
    version = build_relation_classification(graph_ws, n=40, min_per_label=1)
    examples = graph_ws.catalog.examples(version.id)
    labels = Counter(e.label for e in examples)
    assert NO_RELATION in labels and len(labels) >= 3
    cap = math.ceil(40 / (len(labels) + len(version.stats["labels_dropped"])))
    assert max(labels.values()) <= cap
    predicates = set(graph_ws.store.stats().predicates)
    for e in examples:
        assert e.label == NO_RELATION or e.label in predicates
        (subj,) = _marked(e.input, "e1")
        (obj,) = _marked(e.input, "e2")
        _, s_span, o_span = e.provenance.spans
        chunk = graph_ws.catalog.chunk(s_span.chunk_id)
        assert chunk.text[s_span.start : s_span.end] == subj
        assert chunk.text[o_span.start : o_span.end] == obj
        assert e.provenance.relation_ids and e.provenance.entity_ids
        rel_kind = e.meta["relation_kind"]
        assert (rel_kind == "cooccurrence") == (e.label == NO_RELATION)


def test_relation_classification_options(graph_ws):
    typed_only = build_relation_classification(graph_ws, n=30, include_negative=False)
    labels = set(typed_only.stats["labels"])
    assert NO_RELATION not in labels
    counts = Counter(r.predicate for r in graph_ws.store.iter_relations(include_cooccurrence=False))
    assert all(counts[label] >= 1 for label in labels)
    # min_per_label=2 drops the predicates seen in a single candidate sentence
    assert typed_only.stats["labels_dropped"] == sorted(typed_only.stats["labels_dropped"])


def test_empty_workspace_says_what_to_do(tmp_path):
    ws = Workspace(tmp_path / "empty")
    with pytest.raises(InputError, match="ingest"):
        build_entity_typing(ws)
    with pytest.raises(InputError, match="ingest"):
        build_relation_classification(ws)
    with pytest.raises(InputError, match="ingest"):
        build_qa(ws)
    with pytest.raises(InputError, match="valid types"):
        build_qa(ws, types=["trivia"])
    ws.close()
