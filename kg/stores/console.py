"""A tiny read-only command language over any GraphStore (the embedded store's query console).

search TEXT                 entities matching TEXT
entity ID|NAME              one entity
facts ID|NAME               its relations with evidence
neighbors ID|NAME [HOPS]    the entities around it
path A | B [MAX_HOPS]       shortest paths between two entities
stats | types | predicates  counts
help                        this list
"""

from __future__ import annotations

from kgsynth.errors import InputError, NotFoundError
from kgsynth.types import Entity, Relation

COMMANDS = (
    "search",
    "entity",
    "facts",
    "neighbors",
    "path",
    "stats",
    "types",
    "predicates",
    "help",
)


def entity_row(e: Entity) -> dict:
    return {
        "id": e.id,
        "name": e.name,
        "type": e.type,
        "mentions": e.mentions,
        "aliases": e.aliases,
    }


def relation_row(r: Relation, names: dict[str, str]) -> dict:
    return {
        "source": names.get(r.source_id, r.source_id),
        "predicate": r.predicate,
        "target": names.get(r.target_id, r.target_id),
        "kind": r.kind,
        "weight": r.weight,
        "evidence": r.evidence[0].sentence if r.evidence else "",
        "id": r.id,
    }


class EmbeddedConsole:
    def __init__(self, store):
        self.store = store

    def run(self, text: str, limit: int = 100) -> list[dict]:
        """Parse one command line and return its rows (at most `limit`)."""
        line = text.strip()
        if not line:
            raise InputError("empty query; try `help`")
        cmd, _, arg = line.partition(" ")
        cmd, arg = cmd.lower(), arg.strip()
        if cmd not in COMMANDS:
            from kg.stores.cypher_guard import check_read_only

            check_read_only(line)  # Cypher writes get the same refusal as on Neo4j
            raise InputError(f"unknown command {cmd!r}; commands: {', '.join(COMMANDS)}")
        rows = getattr(self, f"_{cmd}")(arg, limit)
        return rows[:limit]

    def resolve(self, ref: str) -> Entity:
        if not ref:
            raise InputError("name an entity (id or name)")
        e = self.store.entity(ref)
        if e is None:
            hits = self.store.search(ref, limit=1)
            if not hits:
                raise NotFoundError(f"no entity matches {ref!r}; try `search {ref}`")
            e = hits[0]
        return e

    def _help(self, arg: str, limit: int) -> list[dict]:
        lines = [ln.strip() for ln in (__doc__ or "").splitlines()[2:] if ln.strip()]
        return [{"command": ln} for ln in lines]

    def _search(self, arg: str, limit: int) -> list[dict]:
        return [entity_row(e) for e in self.store.search(arg, limit=limit)]

    def _entity(self, arg: str, limit: int) -> list[dict]:
        return [entity_row(self.resolve(arg))]

    def _facts(self, arg: str, limit: int) -> list[dict]:
        e = self.resolve(arg)
        out = []
        for f in self.store.facts(e.id, limit=limit):
            out.append(
                relation_row(f.relation, {f.source.id: f.source.name, f.target.id: f.target.name})
            )
        return out

    def _neighbors(self, arg: str, limit: int) -> list[dict]:
        ref, hops = _split_int(arg, default=1)
        sub = self.store.neighborhood([self.resolve(ref).id], hops=hops, limit=limit)
        return [entity_row(e) for e in sub.entities]

    def _path(self, arg: str, limit: int) -> list[dict]:
        left, sep, right = arg.partition("|")
        if not sep:
            raise InputError("usage: path A | B [MAX_HOPS]")
        right, hops = _split_int(right.strip(), default=3)
        a, b = self.resolve(left.strip()), self.resolve(right)
        rows = []
        for i, p in enumerate(self.store.paths(a.id, b.id, max_hops=hops, limit=limit)):
            names = {e.id: e.name for e in p.entities}
            rows.append(
                {
                    "path": i,
                    "entities": [e.name for e in p.entities],
                    "relations": [relation_row(r, names) for r in p.relations],
                }
            )
        return rows

    def _stats(self, arg: str, limit: int) -> list[dict]:
        s = self.store.stats()
        return [
            {"entities": s.entities, "relations": s.relations, "cooccurrences": s.cooccurrences}
        ]

    def _types(self, arg: str, limit: int) -> list[dict]:
        return [{"type": t, "count": n} for t, n in self.store.stats().entity_types.items()]

    def _predicates(self, arg: str, limit: int) -> list[dict]:
        return [{"predicate": p, "count": n} for p, n in self.store.stats().predicates.items()]


def _split_int(arg: str, default: int) -> tuple[str, int]:
    """'Tony Blair 2' -> ('Tony Blair', 2); no trailing number -> default."""
    head, _, tail = arg.rpartition(" ")
    if head and tail.isdigit():
        return head.strip(), min(int(tail), 6)
    return arg, default
