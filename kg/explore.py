"""Read the graph for people: find an entity by name, its facts with evidence, paths, exports.

The functions behind ``kgsynth graph show|path|search|export``; the UI can call them too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from kgsynth.errors import InputError, NotFoundError
from kgsynth.types import Entity, Fact, GraphPath, Record

if TYPE_CHECKING:
    from kgsynth.workspace import Workspace

EXPORT_FORMATS = ("graphml", "jsonl")


class EntityView(Record):
    """An entity, its typed facts, its strongest co-occurrences (untyped: the two names share
    sentences), and, per document id, the document's source path."""

    entity: Entity
    facts: list[Fact] = Field(default_factory=list)
    cooccurrences: list[Fact] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict)


def find_entity(ws: Workspace, name: str) -> Entity:
    """The best match for a name or alias (exact first); NotFoundError when nothing matches."""
    hits = ws.store.search(name, limit=1)
    if not hits:
        raise NotFoundError(f"no entity matches {name!r}; try `kgsynth graph search {name}`")
    return hits[0]


def show_entity(ws: Workspace, name: str, limit: int = 20, cooccurrences: int = 10) -> EntityView:
    """An entity's typed facts (strongest first), then its `cooccurrences` strongest
    co-occurrences, all with evidence sentences and their documents' sources."""
    entity = find_entity(ws, name)
    facts = ws.store.facts(entity.id, limit=limit)
    co: list[Fact] = []
    if cooccurrences > 0:
        typed = {f.source.id for f in facts} | {f.target.id for f in facts}
        wide = ws.store.facts(
            entity.id, limit=len(facts) + 4 * cooccurrences, include_cooccurrence=True
        )
        co = [  # pairs a typed fact already joins are not listed again
            f
            for f in wide
            if f.relation.kind == "cooccurrence" and not {f.source.id, f.target.id} <= typed
        ][:cooccurrences]
    sources = {}
    for f in [*facts, *co]:
        for ev in f.relation.evidence:
            if ev.doc_id not in sources:
                doc = ws.catalog.document(ev.doc_id)
                sources[ev.doc_id] = doc.source if doc else "(document removed)"
    return EntityView(entity=entity, facts=facts, cooccurrences=co, sources=sources)


def find_paths(
    ws: Workspace,
    a: str,
    b: str,
    max_hops: int = 3,
    limit: int = 5,
    cooccurrence: bool | None = None,
) -> list[GraphPath]:
    """Shortest paths between two named entities. Over typed relations; co-occurrences too when
    `cooccurrence` is True, or (None) when the typed relations alone join nothing."""
    src, dst = find_entity(ws, a), find_entity(ws, b)
    if cooccurrence is not True:
        found = ws.store.paths(src.id, dst.id, max_hops=max_hops, limit=limit)
        if found or cooccurrence is False:
            return found
    return ws.store.paths(src.id, dst.id, max_hops=max_hops, limit=limit, include_cooccurrence=True)


def describe_path(path: GraphPath) -> str:
    """ "A -[pred]-> B <-[pred]- C ~[co-occurs x3]~ D" for printing (~ marks an untyped hop)."""
    parts = [path.entities[0].name]
    for rel, nxt in zip(path.relations, path.entities[1:], strict=True):
        if rel.kind == "cooccurrence":
            arrow = f"~[co-occurs x{rel.weight:g}]~"
        elif rel.target_id == nxt.id:
            arrow = f"-[{rel.predicate}]->"
        else:
            arrow = f"<-[{rel.predicate}]-"
        parts += [arrow, nxt.name]
    return " ".join(parts)


def export_graph(
    ws: Workspace,
    format: Literal["graphml", "jsonl"] = "jsonl",
    out: Path | str | None = None,
    cooccurrence: bool = True,
) -> Path:
    """Write the graph as GraphML or JSON lines (one entity or relation per line, "record" says which)."""
    if format not in EXPORT_FORMATS:
        raise InputError(
            f"unknown export format {format!r}; choose one of: {', '.join(EXPORT_FORMATS)}"
        )
    path = Path(out) if out else ws.dir("exports") / f"graph.{format}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if format == "jsonl":
        with path.open("w", encoding="utf-8") as f:
            for e in ws.store.iter_entities():
                f.write(
                    json.dumps({"record": "entity", **e.model_dump()}, ensure_ascii=False) + "\n"
                )
            for r in ws.store.iter_relations(include_cooccurrence=cooccurrence):
                f.write(
                    json.dumps({"record": "relation", **r.model_dump()}, ensure_ascii=False) + "\n"
                )
        return path
    import networkx as nx

    g = nx.MultiDiGraph()
    for e in ws.store.iter_entities():
        g.add_node(e.id, name=e.name, type=e.type, aliases="|".join(e.aliases), mentions=e.mentions)
    for r in ws.store.iter_relations(include_cooccurrence=cooccurrence):
        sentence = r.evidence[0].sentence if r.evidence else ""
        g.add_edge(
            r.source_id,
            r.target_id,
            key=r.id,
            predicate=r.predicate,
            kind=r.kind,
            weight=r.weight,
            evidence=sentence,
        )
    nx.write_graphml(g, path)
    return path
