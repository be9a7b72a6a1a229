"""`synth update`: a dataset version brought up to date with the graph, regenerating only what changed.

Ingest records what every batch changed in the graph (kg/delta.py). For a version built before some
of those batches, an example is *touched* when its provenance names a removed chunk or document, a
removed fact, or an entity that was removed or renamed or re-typed; and, for an answer read off the
graph rather than a passage, when a relation set it relies on gained or lost a member (one more
"acquired" fact changes "How many companies did X acquire?" and can make "Who acquired Y?"
ambiguous). Touched examples are dropped; every other example is kept as stored (same id, same
bytes). The version's builder then runs again with the settings stored on it, restricted to the new
material (facts added or with new evidence, relation sets that changed, new chunks), for a budget
that keeps the version's density: each QA type keeps its examples per typed fact of the graph, each
label its examples per document. Those examples are saved as their own version and passed through the
annotation, augmentation and cleaning steps of the original lineage, with their recorded settings;
the update is the kept examples plus what survived, with both versions as parents.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from kgsynth.errors import InputError
from kgsynth.types import DatasetVersion, Example, GraphDelta, Record
from synth.versions import lineage, load, save

Progress = Callable[[int, int], None] | None
REPLAYED = ("annotate", "augment", "clean")  # steps replayed on the new examples
BUILDS = ("synth", "update")  # stages that start a lineage (an update carries its build)


class UpdateReport(Record):
    """What `synth update` did to a version."""

    version_id: str
    name: str
    source_id: str  # the version updated
    kept: int = 0
    dropped: int = 0
    regenerated: int = 0  # new examples about the material of dropped ones (same facts/documents)
    new: int = 0  # new examples about material the old version had no example for
    reasons: dict[str, int] = Field(default_factory=dict)  # why examples were dropped
    budget: dict[str, int] = Field(default_factory=dict)  # examples asked per type or label
    deltas: int = 0  # ingest batches taken into account
    steps: list[str] = Field(default_factory=list)  # lineage steps replayed on the new examples
    seconds: float = 0.0

    def lines(self) -> list[str]:
        made = self.regenerated + self.new
        out = [
            f"{self.name} ({self.version_id}): {self.kept} kept, {self.dropped} dropped, "
            f"{self.regenerated} regenerated, {self.new} new ({self.deltas} ingest batches since "
            f"{self.source_id}; {self.seconds:.1f} s)"
        ]
        if self.reasons:
            why = ", ".join(f"{k} {v}" for k, v in sorted(self.reasons.items()))
            out.append(f"  dropped because: {why}")
        if self.budget:
            asked = ", ".join(f"{k} {v}" for k, v in sorted(self.budget.items()))
            out.append(f"  asked for new material: {asked}; made {made}")
        if self.steps:
            out.append(f"  replayed on the new examples: {', '.join(self.steps)}")
        return out


@dataclass
class Changes:
    """The deltas since a version was built, merged."""

    deltas: list[GraphDelta]
    chunks_removed: set[str] = field(default_factory=set)
    chunks_added: set[str] = field(default_factory=set)
    docs_removed: set[str] = field(default_factory=set)
    docs_added: set[str] = field(default_factory=set)
    replaced: dict[str, str] = field(default_factory=dict)  # old document id -> newest id
    relations_removed: set[str] = field(default_factory=set)
    relations_new: set[str] = field(default_factory=set)  # added or with changed evidence
    entities_gone: set[str] = field(default_factory=set)  # removed, renamed or re-typed
    slots: set[tuple[str, str, str]] = field(default_factory=set)
    typed_added: int = 0
    typed_removed: int = 0

    @classmethod
    def merge(cls, deltas: list[GraphDelta]) -> Changes:
        c = cls(deltas)
        for d in deltas:
            c.chunks_removed |= set(d.chunks_removed)
            c.chunks_added |= set(d.chunks_added)
            c.docs_removed |= set(d.docs_removed) | set(d.docs_replaced)
            c.docs_added |= set(d.docs_added) | set(d.docs_replaced.values())
            for old, new in d.docs_replaced.items():
                c.replaced[old] = new
                for k, v in c.replaced.items():  # an edit of an edit: follow to the newest
                    if v == old:
                        c.replaced[k] = new
            c.relations_removed |= set(d.relations_removed)
            c.relations_new |= set(d.relations_added) | set(d.relations_changed)
            c.entities_gone |= set(d.entities_removed) | set(d.entities_changed)
            c.slots |= {tuple(s) for s in d.slots}
            c.typed_added += d.typed_added
            c.typed_removed += d.typed_removed
        return c


def update(
    ws, version: str | DatasetVersion, *, name: str | None = None, progress: Progress = None
) -> UpdateReport:
    """Bring a dataset version up to date with the graph; returns an :class:`UpdateReport`.

    Fails with one line when the graph has not changed since the version was built, or when the
    version's builder cannot be re-run (only QA and classification versions can).
    """
    started = time.perf_counter()
    source, examples = load(ws, version)
    build, steps = _recipe(ws, source)
    seen = build.stats.get("graph_seq")
    key = ws.store.identity
    deltas = ws.catalog.deltas(key, after_seq=seen or 0, since=None if seen else build.created_at)
    if not deltas:
        raise InputError(
            f"the graph has not changed since {source.name} ({source.id}) was built: "
            "nothing to update"
        )
    changes = Changes.merge(deltas)
    kept, dropped, reasons = _split(ws, examples, changes)
    if progress:
        progress(1, 3)
    kind = _kind(build)
    budget = BUDGETS[kind](ws, build, examples, dropped, changes)
    made: list[Example] = []
    replayed: list[str] = []
    parents = [source.id]
    if sum(budget.values()) > 0:
        fresh = REBUILDS[kind](ws, build, budget, dropped, changes, name or source.name)
        fresh, replayed = _replay(ws, fresh, steps)
        _, made = load(ws, fresh)
        made = _within(made, budget, kind)
        parents.append(fresh.id)
    if progress:
        progress(2, 3)
    kept_ids = {e.id for e in kept}
    made = [e for e in made if e.id not in kept_ids]
    regenerated = sum(1 for e in made if _replaces(e, dropped, changes))
    report_stats = {
        "update": {
            "kept": len(kept),
            "dropped": len(dropped),
            "regenerated": regenerated,
            "new": len(made) - regenerated,
            "reasons": dict(reasons),
            "budget": budget,
            "deltas": [d.seq for d in deltas],
        }
    }
    params = {
        "build": {"id": build.id, "stage": build.stage, "params": build.params},
        "steps": [{"stage": s.stage, "params": s.params} for s in steps],
        "deltas": [d.seq for d in deltas],
    }
    if build.stage == "update":  # an update of an update re-runs the first build
        params["build"] = build.params["build"]
    new = save(
        ws,
        kept + made,
        name=name or source.name,
        stage="update",
        parents=parents,
        params=params,
        stats=report_stats,
    )
    if progress:
        progress(3, 3)
    return UpdateReport(
        version_id=new.id,
        name=new.name,
        source_id=source.id,
        kept=len(kept),
        dropped=len(dropped),
        regenerated=regenerated,
        new=len(made) - regenerated,
        reasons=dict(reasons),
        budget=budget,
        deltas=len(deltas),
        steps=replayed,
        seconds=round(time.perf_counter() - started, 2),
    )


# ---------------------------------------------------------------- what the version was made by


def _recipe(ws, version: DatasetVersion) -> tuple[DatasetVersion, list[DatasetVersion]]:
    """The version that built the examples and the steps after it, oldest first."""
    chain = lineage(ws, version)
    for i, v in enumerate(chain):
        if v.stage in BUILDS:
            return v, list(reversed(chain[:i]))
    raise InputError(
        f"{version.name} ({version.id}) has no synth step in its lineage: nothing to re-run"
    )


def _kind(build: DatasetVersion) -> str:
    params = build.params["build"]["params"] if build.stage == "update" else build.params
    if "schema" in params:
        return "classify"
    if "types" in params:
        return "qa"
    raise InputError(
        f"{build.name} ({build.id}) was not built by `synth qa` or `synth classify`: "
        "`synth update` re-runs only those"
    )


def _build_params(build: DatasetVersion) -> dict[str, Any]:
    return dict(build.params["build"]["params"] if build.stage == "update" else build.params)


# ---------------------------------------------------------------- which examples are touched


def _split(ws, examples: list[Example], changes: Changes):
    """(kept, dropped, reasons): each example is dropped for the first reason that touches it."""
    slots = _example_slots(ws, examples) if changes.slots else {}
    kept, dropped, reasons = [], [], Counter()
    for e in examples:
        why = _touched(e, changes, slots.get(e.id, ()))
        if why is None:
            kept.append(e)
        else:
            dropped.append(e)
            reasons[why] += 1
    return kept, dropped, reasons


def _touched(e: Example, c: Changes, slots) -> str | None:
    p = e.provenance
    chunks = set(p.chunk_ids) | {s.chunk_id for s in p.spans}
    if chunks & c.chunks_removed:
        return "chunk changed or removed"
    if set(p.doc_ids) & c.docs_removed:
        return "document changed or removed"
    if set(p.relation_ids) & c.relations_removed:
        return "fact removed"
    if set(p.entity_ids) & c.entities_gone:
        return "entity removed, renamed or re-typed"
    if set(slots) & c.slots:
        return "facts it counts or singles out changed"
    return None


def _example_slots(ws, examples: list[Example]) -> dict[str, list[tuple[str, str, str]]]:
    """Per example answered from the graph (no passage), the relation sets of its facts."""
    graph_answered = [e for e in examples if e.output is not None and "context" not in e.meta]
    ids = sorted({r for e in graph_answered for r in e.provenance.relation_ids})
    relations = {r.id: r for r in ws.store.lookup([], ids).relations} if ids else {}
    out: dict[str, list[tuple[str, str, str]]] = {}
    for e in graph_answered:
        found = [relations[r] for r in e.provenance.relation_ids if r in relations]
        out[e.id] = [
            s
            for r in found
            if r.kind == "relation"
            for s in GraphDelta.slots_of(r.source_id, r.predicate, r.target_id)
        ]
    return out


def _within(made: list[Example], budget: dict[str, int], kind: str) -> list[Example]:
    """The new examples up to each type's or label's budget, in order (seeds are never new)."""
    used: Counter = Counter()
    out = []
    for e in made:
        key = e.label if kind == "classify" else e.meta.get("qa_type")
        if e.label_source == "seed" or used[key] >= budget.get(key, 0):
            continue
        used[key] += 1
        out.append(e)
    return out


def _replaces(e: Example, dropped: list[Example], c: Changes) -> bool:
    """Whether a new example is about the material of a dropped one (a fact or a document)."""
    if e.meta.get("replaces"):
        return True
    relations = {r for d in dropped for r in d.provenance.relation_ids}
    docs = {c.replaced.get(doc, doc) for d in dropped for doc in d.provenance.doc_ids}
    return bool(set(e.provenance.relation_ids) & relations or set(e.provenance.doc_ids) & docs)


# ---------------------------------------------------------------- budgets and rebuilds


def _scaled(count: int, now: int, before: int) -> int:
    return round(count * now / before) if before > 0 else count


def _qa_budget(ws, build, examples, dropped, c: Changes) -> dict[str, int]:
    """Per QA type: its examples per typed fact of the graph stay what they were."""
    facts_now = ws.store.stats().relations
    facts_then = facts_now - c.typed_added + c.typed_removed
    have = Counter(e.meta.get("qa_type") or e.task.removeprefix("qa.") for e in examples)
    gone = Counter(e.meta.get("qa_type") or e.task.removeprefix("qa.") for e in dropped)
    return {
        t: max(0, _scaled(have[t], facts_now, facts_then) - (have[t] - gone[t]))
        for t in sorted(have)
    }


def _qa_rebuild(ws, build, budget, dropped, c: Changes, name: str) -> DatasetVersion:
    from synth.graph_view import Focus
    from synth.qa import build_qa

    params = _build_params(build)
    params.pop("quotas", None)
    params.pop("restricted", None)
    known = {i for i in c.chunks_added if ws.catalog.chunk(i) is not None}
    focus = Focus(
        relation_ids=frozenset(c.relations_new),
        chunk_ids=frozenset(known),
        stale=frozenset(e.id for e in dropped),
    )
    params["types"] = tuple(t for t in params.get("types", budget) if budget.get(t))
    params["n"] = sum(budget.values())
    return build_qa(ws, **params, quotas=budget, restrict=focus, name=f"{name}+new")


def _label_budget(ws, build, examples, dropped, c: Changes) -> dict[str, int]:
    """Per label: its examples per document of the corpus stay what they were."""
    docs_now = ws.catalog.count("documents")
    docs_then = (
        docs_now
        - len(c.docs_added - set(c.replaced.values()))
        + len(c.docs_removed - set(c.replaced))
    )
    have = Counter(e.label for e in examples if e.label is not None)
    gone = Counter(e.label for e in dropped if e.label is not None)
    return {
        label: max(0, _scaled(have[label], docs_now, docs_then) - (have[label] - gone[label]))
        for label in sorted(have)
    }


def _label_rebuild(ws, build, budget, dropped, c: Changes, name: str) -> DatasetVersion:
    from synth.classify import build_classification
    from synth.schema import LabelSchema

    params = _build_params(build)
    schema = LabelSchema.model_validate(params.pop("schema"))
    new_docs = {d for d in c.docs_added if ws.catalog.document(d) is not None}
    others = set(ws.catalog.sources().values()) - new_docs
    keep = ("unit", "generator", "generated_per_label", "seed", "min_confidence", "selection")
    keep += ("drop_uncertain", "max_rounds", "min_precision", "labeling_functions")
    options = {k: params[k] for k in keep if k in params}
    return build_classification(
        ws,
        schema,
        per_label=max(budget.values()),
        exclude_docs=others,
        name=f"{name}+new",
        **options,
    )


BUDGETS = {"qa": _qa_budget, "classify": _label_budget}
REBUILDS = {"qa": _qa_rebuild, "classify": _label_rebuild}


# ---------------------------------------------------------------- replaying the lineage


def _replay(ws, version: DatasetVersion, steps: list[DatasetVersion]):
    """Run the lineage's annotation, augmentation and cleaning steps on `version`, in order."""
    from pathlib import Path

    from synth.annotate import annotate
    from synth.augment import augment
    from synth.clean import clean

    done = []
    for step in steps:
        p = dict(step.params)
        if step.stage == "annotate":
            version = annotate(ws, version, method=p.get("method", "majority"))
        elif step.stage == "augment":
            version = augment(ws, version, **{k: v for k, v in p.items()})
        elif step.stage == "clean":
            sets = [Path(s) for s in p.get("eval_sets", [])]
            version = clean(
                ws, version, filters=p.get("filters"), options=p.get("options"), eval_sets=sets
            ).version
        else:
            continue  # review decisions exist for the old examples only; imports have no recipe
        done.append(step.stage)
    return version, done
