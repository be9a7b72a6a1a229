"""Coverage of a dataset version over the graph: which entities, facts and documents its examples use.

Counts come from each example's provenance (entity, relation and document ids), compared with what
the graph and the catalog hold now: examples per entity, entity type, relation type (predicate),
document, QA type and label; the share of the graph's entities and typed facts that at least one
example uses; the most over-used entities (far above the mean use) and the most-mentioned entities no
example uses. :func:`synth_uncovered` builds QA pairs about the most-mentioned uncovered entities.
"""

from __future__ import annotations

from collections import Counter

from pydantic import Field

from kgsynth.errors import InputError
from kgsynth.types import DatasetVersion, Example, Record
from synth.balance import gini
from synth.graph_view import Focus
from synth.versions import lineage, stream

OVERUSE = 3.0  # an entity used this many times the mean (and at least 3 times) is over-used
FACTS_PER_ENTITY = 200  # typed facts of an uncovered entity a targeted build may ask about


class EntityUse(Record):
    id: str
    name: str
    type: str
    examples: int = 0
    mentions: int = 0  # mentions in the corpus


class Share(Record):
    """Examples about something, and how much of it the graph holds is used."""

    examples: int = 0
    used: int = 0
    total: int = 0


class Coverage(Record):
    version_id: str
    name: str
    examples: int
    entities: Share  # examples with entity provenance; entities used / in the graph
    facts: Share  # examples with fact provenance; typed facts used / in the graph
    documents: Share
    entity_types: dict[str, Share] = Field(default_factory=dict)
    predicates: dict[str, Share] = Field(default_factory=dict)
    tasks: dict[str, int] = Field(default_factory=dict)  # per QA type (or task)
    labels: dict[str, int] = Field(default_factory=dict)
    per_entity: dict[int, int] = Field(default_factory=dict)  # examples -> entities with that many
    gini: float = 0.0  # inequality of examples per used entity (0: even)
    top_entities: list[EntityUse] = Field(default_factory=list)
    over_used: list[EntityUse] = Field(default_factory=list)
    uncovered: list[EntityUse] = Field(default_factory=list)  # most mentioned, unused
    top_documents: dict[str, int] = Field(default_factory=dict)  # source -> examples

    def lines(self, top: int = 10) -> list[str]:
        """A plain-text report (what `kgsynth datasets coverage` prints)."""

        def share(s: Share) -> str:
            pct = 100 * s.used / s.total if s.total else 0.0
            return f"{s.used:,} of {s.total:,} used ({pct:.1f}%), {s.examples:,} examples"

        out = [
            f"{self.name} ({self.version_id}): {self.examples:,} examples",
            f"  entities:  {share(self.entities)}; gini of uses {self.gini:.2f}",
            f"  facts:     {share(self.facts)}",
            f"  documents: {share(self.documents)}",
        ]
        if self.tasks:
            out.append("  per type:  " + ", ".join(f"{k} {v}" for k, v in self.tasks.items()))
        if self.labels:
            out.append("  per label: " + ", ".join(f"{k} {v}" for k, v in self.labels.items()))
        out += _table("entity type", self.entity_types, top)
        out += _table("relation type", self.predicates, top)
        hist = ", ".join(f"{k}: {v}" for k, v in sorted(self.per_entity.items()))
        out.append(f"  entities by examples using them (uses: entities): {hist}")
        for title, rows in (
            ("most used entities", self.top_entities[:top]),
            (f"over-used (>= {OVERUSE:g}x the mean)", self.over_used[:top]),
            ("uncovered, most mentioned first", self.uncovered[:top]),
        ):
            if rows:
                out.append(f"  {title}:")
                out += [
                    f"    {r.name} [{r.type}]: {r.examples} examples, {r.mentions} mentions"
                    for r in rows
                ]
        if self.top_documents:
            out.append("  documents with most examples:")
            out += [f"    {src}: {n}" for src, n in list(self.top_documents.items())[:top]]
        return out


def coverage(ws, version: str | DatasetVersion, *, top: int = 50) -> Coverage:
    """How a version's examples cover the workspace's graph and corpus (see the module doc)."""
    v, examples = stream(ws, version)
    entities = {e.id: e for e in ws.store.iter_entities()}
    typed = {r.id: r for r in ws.store.iter_relations(include_cooccurrence=False)}
    sources = {doc_id: src for src, doc_id in ws.catalog.sources().items()}
    uses: Counter = Counter()
    facts: Counter = Counter()
    docs: Counter = Counter()
    types: Counter = Counter()
    predicates: Counter = Counter()
    tasks: Counter = Counter()
    labels: Counter = Counter()
    count = with_entities = with_facts = with_docs = 0
    for e in examples:
        count += 1
        p = e.provenance
        ents = [x for x in dict.fromkeys(p.entity_ids) if x in entities]
        rels = [x for x in dict.fromkeys(p.relation_ids) if x in typed]
        doc_ids = [x for x in dict.fromkeys(p.doc_ids) if x in sources]
        uses.update(ents)
        facts.update(rels)
        docs.update(doc_ids)
        types.update({entities[x].type for x in ents})
        predicates.update({typed[x].predicate for x in rels})
        with_entities += bool(ents)
        with_facts += bool(rels)
        with_docs += bool(doc_ids)
        tasks[_task(e)] += 1
        if e.label is not None:
            labels[e.label] += 1
    by_type = Counter(e.type for e in entities.values())
    used_by_type = Counter(entities[x].type for x in uses)
    by_pred = Counter(r.predicate for r in typed.values())
    used_by_pred = Counter(typed[x].predicate for x in facts)

    def use(eid: str) -> EntityUse:
        e = entities[eid]
        return EntityUse(id=eid, name=e.name, type=e.type, examples=uses[eid], mentions=e.mentions)

    mean = sum(uses.values()) / len(uses) if uses else 0.0
    unused = sorted((x for x in entities if x not in uses), key=lambda x: -entities[x].mentions)
    return Coverage(
        version_id=v.id,
        name=v.name,
        examples=count,
        entities=Share(examples=with_entities, used=len(uses), total=len(entities)),
        facts=Share(examples=with_facts, used=len(facts), total=len(typed)),
        documents=Share(examples=with_docs, used=len(docs), total=len(sources)),
        entity_types={
            t: Share(examples=types[t], used=used_by_type[t], total=by_type[t])
            for t in sorted(by_type, key=lambda t: (-types[t], -by_type[t], t))
        },
        predicates={
            p: Share(examples=predicates[p], used=used_by_pred[p], total=by_pred[p])
            for p in sorted(by_pred, key=lambda p: (-predicates[p], -by_pred[p], p))
        },
        tasks=dict(sorted(tasks.items())),
        labels=dict(sorted(labels.items())),
        per_entity=dict(sorted(Counter(uses.values()).items())),
        gini=round(gini(list(uses.values())), 4),
        top_entities=[use(x) for x, _ in uses.most_common(top)],
        over_used=[use(x) for x, n in uses.most_common() if n >= max(3, OVERUSE * mean)][:top],
        uncovered=[use(x) for x in unused[:top]],
        top_documents={sources[d]: n for d, n in docs.most_common(top)},
    )


def _task(e: Example) -> str:
    return e.meta.get("qa_type") or e.task


def _table(title: str, rows: dict[str, Share], top: int) -> list[str]:
    if not rows:
        return []
    out = [f"  {title:<22} {'examples':>9} {'used':>7} {'in graph':>9}"]
    for key, s in list(rows.items())[:top]:
        out.append(f"    {key[:20]:<20} {s.examples:>9,} {s.used:>7,} {s.total:>9,}")
    if len(rows) > top:
        out.append(f"    ... {len(rows) - top} more")
    return out


def focus_on(ws, entity_ids: list[str]) -> Focus:
    """The typed facts and the chunks of some entities, for a build restricted to them."""
    relations = {
        f.relation.id
        for eid in entity_ids
        for f in ws.store.facts(eid, limit=FACTS_PER_ENTITY)
        if f.relation.kind == "relation"
    }
    chunks = {c for e in ws.store.lookup(entity_ids, []).entities for c in e.chunk_ids}
    return Focus(relation_ids=frozenset(relations), chunk_ids=frozenset(chunks))


def synth_uncovered(
    ws,
    version: str | DatasetVersion,
    *,
    n: int = 50,
    entities: int = 20,
    name: str | None = None,
    progress=None,
) -> DatasetVersion:
    """QA pairs about the most-mentioned entities a version does not use, as a new version (with
    the version's own QA settings when it is a QA set): the "synthesize for uncovered" button."""
    from synth.qa import build_qa

    report = coverage(ws, version, top=entities)
    ids = [u.id for u in report.uncovered]
    if not ids:
        raise InputError(f"{report.name} uses every entity of the graph: nothing is uncovered")
    settings = {}
    for v in lineage(ws, ws.catalog.dataset(report.version_id)):
        if v.stage == "synth" and "types" in v.params:
            keep = ("types", "generator", "lang", "per_entity_cap", "seed")
            settings = {k: v.params[k] for k in keep if k in v.params}
            break
    return build_qa(
        ws,
        **settings,
        n=n,
        restrict=focus_on(ws, ids),
        name=name or f"{report.name}+uncovered",
        progress=progress,
    )
