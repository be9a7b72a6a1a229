"""What every graph store shares: the merge rules, search ranking and the graph walks.

Keeping these as plain functions means the embedded and the Neo4j store merge, rank and walk
exactly alike; a store only supplies storage and an "edges touching these ids" primitive.

Merge rules (idempotent: writing the same batch twice changes nothing):
- entity: aliases and chunk ids are unioned; ``mentions`` is tracked per chunk (a batch entity's
  count is spread over its chunk ids and *replaces* what those chunks contributed before), so the
  total is right when batches are per chunk or per document, and drops when chunks are removed.
- relation: evidence is unioned by ``triple_id``; ``weight`` = number of evidence items (a relation
  written without evidence keeps the larger of the two weights).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable

from kgsynth.types import Entity, Evidence, Relation

EdgesFn = Callable[[set[str]], list[Relation]]  # relations touching any of these ids


# ---------------------------------------------------------------- merging


def chunk_counts(entity: Entity) -> dict[str, int]:
    """Spread an entity's mention count over its chunk ids (remainder to the first ones)."""
    chunks = list(dict.fromkeys(entity.chunk_ids))
    if not chunks:
        return {}
    share, rest = divmod(entity.mentions, len(chunks))
    return {c: share + (1 if i < rest else 0) for i, c in enumerate(chunks)}


def merge_entity(
    old: Entity | None, counts: dict[str, int], new: Entity
) -> tuple[Entity, dict[str, int]]:
    """Merge `new` into `old` (with its per-chunk mention counts); returns both updated."""
    merged_counts = dict(counts)
    merged_counts.update(chunk_counts(new))
    base = old or new
    extra = [new.name] if old is not None else []
    aliases = [a for a in dict.fromkeys([*base.aliases, *extra, *new.aliases]) if a != base.name]
    chunk_ids = list(dict.fromkeys([*base.chunk_ids, *new.chunk_ids])) if old else new.chunk_ids
    mentions = sum(merged_counts.values()) if merged_counts else max(base.mentions, new.mentions)
    update = {"aliases": aliases, "chunk_ids": list(chunk_ids), "mentions": mentions}
    return base.model_copy(update=update), merged_counts


def entity_without_chunks(
    entity: Entity, counts: dict[str, int], chunks: set[str]
) -> tuple[Entity | None, dict[str, int]]:
    """The entity with the given chunks removed, or None when no chunk is left."""
    left = [c for c in entity.chunk_ids if c not in chunks]
    if len(left) == len(entity.chunk_ids):
        return entity, counts
    if not left:
        return None, {}
    new_counts = {c: n for c, n in counts.items() if c not in chunks}
    out = entity.model_copy(update={"chunk_ids": left, "mentions": sum(new_counts.values())})
    return out, new_counts


def merge_relation(old: Relation | None, new: Relation) -> Relation:
    """Union evidence by triple id; weight = number of evidence items."""
    base = old or new
    evidence = list(old.evidence) if old else []
    seen = {e.triple_id for e in evidence}
    for ev in new.evidence:
        if ev.triple_id not in seen:
            seen.add(ev.triple_id)
            evidence.append(ev)
    weight = float(len(evidence)) if evidence else max(base.weight, new.weight)
    return base.model_copy(update={"evidence": evidence, "weight": weight})


def relation_without_chunks(rel: Relation, chunks: set[str]) -> Relation | None:
    """The relation with evidence from those chunks dropped; None when no evidence is left."""
    left = [e for e in rel.evidence if e.chunk_id not in chunks]
    if len(left) == len(rel.evidence):
        return rel
    if not left:
        return None
    return rel.model_copy(update={"evidence": left, "weight": float(len(left))})


# ---------------------------------------------------------------- flat rows (Neo4j properties)


EVIDENCE_FIELDS = ("triple_id", "chunk_id", "doc_id", "sentence", "start", "end")


def evidence_to_lists(evidence: list[Evidence]) -> dict[str, list]:
    """Evidence as parallel lists (``ev_triple_id``, ``ev_sentence``, ...) for a property store."""
    return {f"ev_{f}": [getattr(e, f) for e in evidence] for f in EVIDENCE_FIELDS}


def evidence_from_lists(props: dict) -> list[Evidence]:
    cols = [props.get(f"ev_{f}") or [] for f in EVIDENCE_FIELDS]
    return [
        Evidence(**dict(zip(EVIDENCE_FIELDS, row, strict=True))) for row in zip(*cols, strict=False)
    ]


# ---------------------------------------------------------------- search


def search_rank(name: str, aliases, q: str) -> int | None:
    """0 exact name, 1 exact alias, 2 prefix, 3 substring, 4 every query word starts a word."""
    q = q.strip().lower()
    if not q:
        return None
    names = [name.lower(), *(a.lower() for a in aliases)]
    if names[0] == q:
        return 0
    if q in names:
        return 1
    if any(n.startswith(q) for n in names):
        return 2
    if any(q in n for n in names):
        return 3
    qwords = words(q)
    for n in names:
        nwords = words(n)
        if qwords and all(any(w.startswith(qw) for w in nwords) for qw in qwords):
            return 4
    return None


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def rank_entities(
    candidates: Iterable[Entity], q: str, limit: int, type: str | None = None
) -> list[Entity]:
    """Keep the candidates that match `q`, best first (rank, then more mentions, then name)."""
    scored = []
    for e in candidates:
        if type and e.type != type:
            continue
        r = search_rank(e.name, e.aliases, q)
        if r is not None:
            scored.append((r, -e.mentions, e.name.lower(), e.id, e))
    scored.sort(key=lambda t: t[:4])
    return [t[-1] for t in scored[:limit]]


# ---------------------------------------------------------------- walks


def strength(rel: Relation) -> tuple[bool, float, str]:
    """Sort key: typed relations before co-occurrences, then strongest first, ties by id (stable
    across stores)."""
    return (rel.kind != "relation", -rel.weight, rel.id)


def bfs_neighborhood(
    seeds: list[str], hops: int, limit: int, edges: EdgesFn
) -> tuple[list[str], list[Relation]]:
    """Entity ids within `hops` of the seeds (seeds first), and the relations among them."""
    seen = list(dict.fromkeys(seeds))[:limit]
    seen_set = set(seen)
    frontier = set(seen)
    for _ in range(max(hops, 0)):
        if not frontier or len(seen) >= limit:
            break
        nxt: set[str] = set()
        for r in sorted(edges(frontier), key=strength):
            for end in (r.source_id, r.target_id):
                if end not in seen_set and len(seen) < limit:
                    seen.append(end)
                    seen_set.add(end)
                    nxt.add(end)
        frontier = nxt
    rels = {r.id: r for r in edges(seen_set) if r.source_id in seen_set and r.target_id in seen_set}
    return seen, sorted(rels.values(), key=strength)


def shortest_paths(
    source: str, target: str, max_hops: int, limit: int, edges: EdgesFn
) -> list[tuple[list[str], list[Relation]]]:
    """All shortest paths (either direction), the strongest relation per hop (typed first)."""
    if source == target or limit <= 0:
        return []
    dist = {source: 0}
    parents: dict[str, dict[str, Relation]] = defaultdict(dict)
    level = {source}
    for d in range(1, max_hops + 1):
        nxt: set[str] = set()
        for r in edges(level):
            for a, b in ((r.source_id, r.target_id), (r.target_id, r.source_id)):
                if a not in level or a == b or dist.get(b, d) != d:
                    continue
                dist[b] = d
                nxt.add(b)
                cur = parents[b].get(a)
                if cur is None or strength(r) < strength(cur):
                    parents[b][a] = r
        if target in nxt or not nxt:
            break
        level = nxt
    if target not in dist:
        return []
    out: list[tuple[list[str], list[Relation]]] = []

    def walk(node: str, ids: list[str], rels: list[Relation]) -> None:
        if len(out) >= limit:
            return
        if node == source:
            out.append((ids[::-1], rels[::-1]))
            return
        for prev, rel in sorted(parents[node].items(), key=lambda kv: strength(kv[1])):
            walk(prev, [*ids, prev], [*rels, rel])

    walk(target, [target], [])
    return out
