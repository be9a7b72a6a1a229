"""Entity resolution: which mentions name the same entity, and what that entity's stable id is.

Rules, in order, each recorded as a :class:`MergeDecision` when it joins a new surface form:

- ``normalized``: same type and same key after normalization (case, punctuation, possessive 's,
  leading articles, honorifics, legal suffixes such as Inc./Ltd., plural endings);
- ``acronym``: an acronym the text defines right after a name, "World Health Organization (WHO)";
- ``alias``: a one-word PERSON name → the one full name in the same document ending with it (else
  the one in the corpus); a shorter name that is a token-prefix of exactly one longer same-type name
  that is mentioned at least as often;
- ``embedding`` (optional): cosine similarity of name embeddings within a block of same-type names
  sharing their first token.

Before that, types are voted (``type``, recorded per re-typed surface form): within a document
every mention of a name votes and the majority types them all; a name of several words seen with
several types in the corpus takes the type most of its mentions have (one-word names such as
"Jordan" may really be different things and keep their per-document type). A short name never
becomes an alias of a longer one whose last word says it is another kind of thing ("Northern
Territory" is no alias of "Northern Territory Aids Council"). Literal values (dates, quantities)
and class nouns only merge by their normalized key.

Lookups are hash-indexed by key, token prefix, last name and first token: no pairwise pass over all
entities. The resolver is seeded with the entities already in the store, so ids stay stable across
ingests (an entity's id is the hash of its type and the key it was created with).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from kg.entity_types import name_type
from kg.zh_ner import PLACE_ABBREVIATIONS
from kgsynth.ids import content_id
from kgsynth.text import to_simplified
from kgsynth.types import Chunk, Entity, Extraction, Mention, MergeDecision

PERSON = "PERSON"
NO_ALIAS_TYPES = frozenset({"CONCEPT", "DATE", "QUANTITY"})  # merge by key only; never voted
NO_PLURAL_TYPES = frozenset({"PERSON", "GPE", "LOC", "FAC"})
LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "corp",
        "corporation",
        "co",
        "llc",
        "plc",
        "ag",
        "gmbh",
        "sa",
        "nv",
        "bv",
        "lp",
    }
)
ARTICLES = frozenset({"the", "a", "an"})
HONORIFICS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "sir",
        "dame",
        "lord",
        "lady",
        "prof",
        "professor",
        "president",
    }
)
ACRONYM_STOPWORDS = frozenset({"of", "the", "and", "for", "on", "in", "de", "&", "to"})
_ACRONYM_AFTER = re.compile(r"\s*\(\s*([A-Z][A-Za-z&.]{1,11})\s*\)")
_POSSESSIVE = re.compile(r"['’]s\b")
_PUNCT = re.compile(r"[^\w\s]")


def normalize(name: str, type: str = "") -> str:
    """The matching key of a name: "The Apple Inc.'s" → "apple"; "technology companies" → "technology company"."""
    if type == "GPE" and PLACE_ABBREVIATIONS.get(name):
        name = PLACE_ABBREVIATIONS[name]  # 中 (of 中美关系) is 中国
    s = to_simplified(unicodedata.normalize("NFKC", name)).lower().replace(".", "")
    s = _POSSESSIVE.sub("", s)
    tokens = _PUNCT.sub(" ", s).split()
    while len(tokens) > 1 and tokens[0] in ARTICLES:
        tokens = tokens[1:]
    if type == PERSON:
        while len(tokens) > 1 and tokens[0] in HONORIFICS:
            tokens = tokens[1:]
    else:
        while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
            tokens = tokens[:-1]
    if tokens and type not in NO_PLURAL_TYPES:
        tokens[-1] = singular(tokens[-1])
    return " ".join(tokens)


def singular(word: str) -> str:
    """A cheap English singular: companies → company, banks → bank (never shorter than 3 letters)."""
    if not word.isascii() or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "os")):
        return word[:-1]
    return word


def _winner(votes: Counter) -> str:
    """The type with the most votes (ties: alphabetical, so the choice is stable)."""
    return min(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def entity_id(type: str, key: str) -> str:
    return content_id(type, key, prefix="ent_")


def defined_acronyms(text: str, mentions: Iterable[Mention]) -> dict[str, Mention]:
    """Acronyms defined right after a name in the text: "World Health Organization (WHO)" → {"WHO": m}."""
    out = {}
    for m in mentions:
        if m.type == PERSON:
            continue
        hit = _ACRONYM_AFTER.match(text, m.end)
        if hit and _initials_match(m.text, hit.group(1)):
            out[hit.group(1)] = m
    return out


def _initials_match(name: str, acronym: str) -> bool:
    letters = "".join(c for c in acronym if c.isupper())
    words = [w for w in re.split(r"[\s-]+", name) if w]
    strict = "".join(w[0] for w in words if w.lower() not in ACRONYM_STOPWORDS).upper()
    loose = "".join(w[0] for w in words).upper()
    return len(letters) >= 2 and letters in (strict, loose)


@dataclass
class Resolution:
    """The outcome of resolving one batch of extractions."""

    mention_entity: dict[str, str] = field(default_factory=dict)  # mention id -> entity id
    entities: dict[str, Entity] = field(default_factory=dict)  # entity id -> batch Entity
    merges: list[MergeDecision] = field(default_factory=list)


@dataclass
class _Group:
    type: str
    key: str
    mentions: list[Mention]
    docs: set[str]

    @property
    def surfaces(self) -> Counter:
        return Counter(m.text for m in self.mentions)


class Resolver:
    """Incremental entity resolution over hash indexes; seed it with the store's entities."""

    def __init__(self, embedder=None, threshold: float = 0.9):
        self.embedder = embedder
        self.threshold = threshold
        self.names: dict[str, str] = {}  # entity id -> canonical name
        self.types: dict[str, str] = {}
        self.known_names: dict[str, set[str]] = defaultdict(set)  # id -> names and aliases
        self.counts: Counter = Counter()  # id -> mentions
        self.by_key: dict[tuple[str, str], str] = {}
        self.by_prefix: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.by_last: dict[str, set[str]] = defaultdict(set)
        self.by_first: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.acronyms: dict[str, str] = {}  # acronym key -> entity id
        self.key_types: dict[str, set[str]] = defaultdict(set)  # type-less key -> types seen

    @classmethod
    def from_store(cls, store, **kwargs) -> Resolver:
        """A resolver that knows every entity already in the graph store."""
        r = cls(**kwargs)
        for e in store.iter_entities():
            r.add_known(e)
        return r

    def add_known(self, e: Entity) -> None:
        """Index an existing entity by its name and aliases."""
        self._register(e.id, e.name, e.type, e.mentions)
        for alias in e.aliases:
            self.known_names[e.id].add(alias)
            self.by_key.setdefault((e.type, normalize(alias, e.type)), e.id)
            if re.fullmatch(r"[A-Z][A-Z&]{1,9}", alias) and e.type != PERSON:
                self.acronyms.setdefault(normalize(alias), e.id)

    def _register(self, eid: str, name: str, type: str, mentions: int = 0) -> None:
        key = normalize(name, type)
        self.names.setdefault(eid, name)
        self.types[eid] = type
        self.known_names[eid].add(name)
        self.counts[eid] += mentions
        self.by_key.setdefault((type, key), eid)
        self.key_types[normalize(name)].add(type)
        tokens = key.split()
        if tokens:
            self.by_first[(type, tokens[0])].add(eid)
        for n in range(1, len(tokens)):
            self.by_prefix[(type, " ".join(tokens[:n]))].add(eid)
        if type == PERSON and len(tokens) > 1:
            self.by_last[tokens[-1]].add(eid)

    # ------------------------------------------------------------ resolving

    def resolve(self, extractions: list[Extraction], chunks: dict[str, Chunk]) -> Resolution:
        """Map every mention of the batch to an entity id; new entities are indexed for later batches."""
        res = Resolution()
        extractions, retyped = self._vote_types(extractions)
        mentions = [m for x in extractions for m in x.mentions]
        acronym_aliases = self._learn_acronyms(extractions, chunks, res)
        groups: dict[tuple[str, str], _Group] = {}
        for m in mentions:
            key = normalize(m.text, m.type)
            if key:
                g = groups.setdefault((m.type, key), _Group(m.type, key, [], set()))
                g.mentions.append(m)
                g.docs.add(m.doc_id)
        batch_persons = self._persons_by_doc(groups.values())
        new_ids: list[str] = []
        for g in sorted(groups.values(), key=lambda g: (-len(g.key.split()), g.key)):
            if g.type == PERSON and " " not in g.key:
                self._resolve_surname(g, batch_persons, res)
                continue
            eid, reason = self._match(g)
            if eid is None:
                eid, reason = self._create(g), "normalized"
                new_ids.append(eid)
            self._assign(g.mentions, eid, reason, res)
        if self.embedder is not None:
            self._embedding_pass(new_ids, res)
        self._build_entities(mentions, res)
        for eid, acronym in acronym_aliases:
            if eid in res.entities and acronym not in res.entities[eid].aliases:
                res.entities[eid].aliases.append(acronym)
        self._record_types(mentions, retyped, res)
        return res

    # ------------------------------------------------------------ type votes

    def _vote_types(self, extractions: list[Extraction]):
        """Mentions re-typed by the votes of their name (see the module docstring), and
        mention id -> (old type, share of the votes the new type had)."""
        per_doc: dict[tuple[str, str], Counter] = defaultdict(Counter)
        for x in extractions:
            for m in x.mentions:
                if m.type not in NO_ALIAS_TYPES:
                    per_doc[(m.doc_id, normalize(m.text))][m.type] += 1
        people = {
            (d, k.split()[-1]) for (d, k), c in per_doc.items() if " " in k and _winner(c) == PERSON
        }
        for (doc, key), c in per_doc.items():  # "Hailey" in a document about "Arthur Hailey"
            if " " not in key and (doc, key) in people:
                c[PERSON] += sum(c.values()) + 1
        doc_type = {k: _winner(c) for k, c in per_doc.items()}
        corpus: dict[str, Counter] = defaultdict(Counter)
        for (doc, key), c in per_doc.items():
            corpus[key][doc_type[(doc, key)]] += sum(c.values())
        for key, c in corpus.items():
            for t in self.key_types.get(key, ()):
                eid = self.by_key.get((t, normalize(key, t)))
                if eid is not None:
                    c[t] += self.counts[eid]
        retyped: dict[str, tuple[str, float]] = {}
        out = []
        for x in extractions:
            ms = []
            for m in x.mentions:
                key = normalize(m.text)
                votes = per_doc.get((m.doc_id, key))
                if votes is None:
                    ms.append(m)
                    continue
                new, pool = doc_type[(m.doc_id, key)], votes
                if " " in key and len(corpus[key]) > 1:
                    new, pool = _winner(corpus[key]), corpus[key]
                if new != m.type:
                    retyped[m.id] = (m.type, pool[new] / max(sum(pool.values()), 1))
                    m = m.model_copy(update={"type": new})
                ms.append(m)
            out.append(x.model_copy(update={"mentions": ms}))
        return out, retyped

    def _record_types(self, mentions: list[Mention], retyped, res: Resolution) -> None:
        seen = set()
        for m in mentions:
            if m.id not in retyped or m.id not in res.mention_entity:
                continue
            eid = res.mention_entity[m.id]
            old, share = retyped[m.id]
            if (eid, m.text, old) not in seen:
                seen.add((eid, m.text, old))
                res.merges.append(
                    MergeDecision(
                        kept_id=eid,
                        kept_name=self.names[eid],
                        merged_name=f"{m.text} [{old}]",
                        reason="type",
                        score=round(share, 3),
                    )
                )

    def _learn_acronyms(
        self, extractions: list[Extraction], chunks: dict[str, Chunk], res: Resolution
    ):
        """Index acronyms defined in the text; they become aliases of their entity (kept in the store)."""
        found = []
        for x in extractions:
            chunk = chunks.get(x.chunk_id)
            if chunk is None:
                continue
            for acronym, m in defined_acronyms(chunk.text, x.mentions).items():
                key = normalize(m.text, m.type)
                eid = self.by_key.get((m.type, key)) or entity_id(m.type, key)
                if eid not in self.names:
                    self._register(eid, m.text, m.type)
                eid = self.acronyms.setdefault(normalize(acronym), eid)
                found.append((eid, acronym))
                if acronym not in self.known_names[eid]:
                    self.known_names[eid].add(acronym)
                    res.merges.append(
                        MergeDecision(
                            kept_id=eid,
                            kept_name=self.names[eid],
                            merged_name=acronym,
                            reason="acronym",
                        )
                    )
        return found

    def _persons_by_doc(self, groups: Iterable[_Group]) -> dict[tuple[str, str], set[str]]:
        """(doc id, last name) → keys of multi-word PERSON names in that document."""
        out: dict[tuple[str, str], set[str]] = defaultdict(set)
        for g in groups:
            if g.type == PERSON and " " in g.key:
                for doc in g.docs:
                    out[(doc, g.key.split()[-1])].add(g.key)
        return out

    def _match(self, g: _Group) -> tuple[str | None, str]:
        if (eid := self.by_key.get((g.type, g.key))) is not None:
            return eid, "normalized"
        if g.type != PERSON and (eid := self.acronyms.get(g.key)) is not None:
            return eid, "acronym"
        if g.type not in NO_ALIAS_TYPES and g.type != PERSON:
            longer = self.by_prefix.get((g.type, g.key), set())
            if len(longer) == 1:
                (eid,) = longer
                if len(g.mentions) <= max(self.counts[eid], 1) and self._same_kind(g, eid):
                    return eid, "alias"
        return None, ""

    def _same_kind(self, g: _Group, eid: str) -> bool:
        """A short name may alias a longer one only if nothing says they are different kinds."""
        short = name_type(next(iter(g.surfaces)).split())
        long = name_type(self.names[eid].split())
        if short is not None and short != long:
            return False
        return not (self.key_types.get(normalize(next(iter(g.surfaces))), set()) - {g.type})

    def _resolve_surname(self, g: _Group, batch_persons, res: Resolution) -> None:
        """A one-word PERSON: the full name in the same document, else a known alias, else a unique full name."""
        by_doc: dict[str, list[Mention]] = defaultdict(list)
        for m in g.mentions:
            by_doc[m.doc_id].append(m)
        for doc, ms in by_doc.items():
            full = batch_persons.get((doc, g.key), set())
            if len(full) == 1:
                eid, reason = self.by_key[(PERSON, next(iter(full)))], "alias"
            elif (eid := self.by_key.get((PERSON, g.key))) is not None:
                reason = "normalized" if self.types.get(eid) == PERSON else "alias"
            elif len(self.by_last.get(g.key, ())) == 1:
                eid, reason = next(iter(self.by_last[g.key])), "alias"
            else:
                eid, reason = self._create(_Group(g.type, g.key, ms, {doc})), "normalized"
            self._assign(ms, eid, reason, res)

    def _create(self, g: _Group) -> str:
        ranked = sorted(g.surfaces.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))
        name = ranked[0][0]
        if g.type == "GPE" and PLACE_ABBREVIATIONS.get(name):
            name = PLACE_ABBREVIATIONS[name]  # an entity is never named by its abbreviation
        eid = entity_id(g.type, g.key)
        self._register(eid, name, g.type)
        return eid

    def _assign(self, mentions: list[Mention], eid: str, reason: str, res: Resolution) -> None:
        self.counts[eid] += len(mentions)
        for m in mentions:
            res.mention_entity[m.id] = eid
            if m.text not in self.known_names[eid]:
                self.known_names[eid].add(m.text)
                res.merges.append(
                    MergeDecision(
                        kept_id=eid, kept_name=self.names[eid], merged_name=m.text, reason=reason
                    )
                )

    def _embedding_pass(self, new_ids: list[str], res: Resolution) -> None:
        """Merge a new entity into a same-type entity sharing its first token when their names embed close."""
        pairs = []
        for eid in new_ids:
            type_ = self.types[eid]
            if type_ in NO_ALIAS_TYPES:
                continue
            first = normalize(self.names[eid], type_).split()[0]
            pairs += [(eid, o) for o in sorted(self.by_first[(type_, first)])[:50] if o != eid]
        if not pairs:
            return
        names = sorted({self.names[i] for p in pairs for i in p})
        vecs = dict(zip(names, self.embedder.encode(names), strict=True))
        remap: dict[str, tuple[str, float]] = {}
        for a, b in pairs:
            score = float(vecs[self.names[a]] @ vecs[self.names[b]])
            if score >= self.threshold and self.counts[b] >= self.counts[a] and a not in remap:
                remap[a] = (b, score)
        for a, (b, score) in remap.items():
            for mid, eid in list(res.mention_entity.items()):
                if eid == a:
                    res.mention_entity[mid] = b
            self.by_key[(self.types[a], normalize(self.names[a], self.types[a]))] = b
            self.counts[b] += self.counts.pop(a, 0)
            res.merges = [m for m in res.merges if m.kept_id != a]
            res.merges.append(
                MergeDecision(
                    kept_id=b,
                    kept_name=self.names[b],
                    merged_name=self.names[a],
                    reason="embedding",
                    score=score,
                )
            )
            self.known_names[b].add(self.names[a])

    def _build_entities(self, mentions: list[Mention], res: Resolution) -> None:
        for m in mentions:
            eid = res.mention_entity.get(m.id)
            if eid is None:
                continue
            e = res.entities.get(eid)
            if e is None:
                e = res.entities[eid] = Entity(
                    id=eid, name=self.names[eid], type=self.types[eid], lang=m.lang
                )
            e.mentions += 1
            if m.chunk_id not in e.chunk_ids:
                e.chunk_ids.append(m.chunk_id)
            if m.text != e.name and m.text not in e.aliases:
                e.aliases.append(m.text)
