"""Questions read off the dependency parse of a sentence: the answer's constituent becomes a wh-phrase.

For an answer span that fills one syntactic role of a clause, the rest of the clause is kept and
reordered the way English forms questions:

    subject        The Broncos defeated the Panthers.   → Who defeated the Panthers?
    object         The Broncos defeated the Panthers.   → Who did the Broncos defeat?
    time / place   The game was played on May 7.        → When was the game played?
    other adjunct  He was trained by Sorin.             → Who was he trained by?
    count          The school has 5,000 students.       → How many students does the school have?
    copula         Warsaw is the capital of Poland.     → What is Warsaw?

Auxiliaries invert ("has won" → "What has X won?"), otherwise do-support carries the tense ("did"
+ lemma). Leading adjuncts move to the end, parentheses, discourse words and coordinated clauses are
dropped. The wh-word follows the answer's entity type (a graph type overrides the parser's) and its
role: a date inside a prepositional phrase is asked with "when", a place with "where". Pure functions
over a spaCy ``Doc``; nothing is invented that the sentence does not say.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

from kgsynth.nlp import get_lemmatizer, lemma, load_nlp

SUBJECT_DEPS = ("nsubj", "nsubjpass")
OBJECT_DEPS = ("dobj", "dative", "oprd")
DROP_DEPS = frozenset({"punct", "cc", "conj", "parataxis", "mark", "discourse", "intj", "meta"})
LEADING_DROP = frozenset({"advmod", "advcl", "prep", "npadvmod", "ccomp"})  # moved or dropped
TIME_TYPES = frozenset({"DATE", "TIME"})
PLACE_TYPES = frozenset({"GPE", "LOC", "FAC"})
PLACE_PREPS = frozenset({"in", "at", "near", "inside", "outside", "within"})
MOTION_PREPS = frozenset({"from", "to", "into", "across", "through", "throughout", "around"})
TIME_WH = {"in": "when", "on": "when", "at": "when", "during": "when", "since": "since when"}
WHO_TYPES = frozenset({"PERSON"})
NUMBER_WH = {"MONEY": "how much", "PERCENT": "what percentage", "TIME": "what time"}
MAX_ANSWER_TOKENS = 12
MAX_QUESTION_TOKENS = 28
MIN_QUESTION_WORDS = 4
_FUNCTION = """a an the of in on at to for by with from and or but is was are were be been being did do
does has have had will would can could should may might must what which who whom when where how
many much not"""
FUNCTION_WORDS = frozenset(_FUNCTION.split())
RELATIVES = frozenset({"whose", "which", "whom", "who", "that"})
MONTHS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "century",
    ]
)
PRONOUNS = frozenset(
    [
        "i",
        "me",
        "my",
        "we",
        "us",
        "our",
        "you",
        "your",
        "he",
        "him",
        "his",
        "she",
        "her",
        "they",
        "them",
        "their",
        "it",
        "its",
        "this",
        "these",
        "those",
    ]
)
DO = {"VBD": "did", "VBZ": "does", "VBP": "do"}
FINITE = frozenset({"MD", "VBD", "VBZ", "VBP"})
THIRD_PERSON = {"are": "is", "were": "was", "have": "has", "do": "does"}


@dataclass(frozen=True)
class Question:
    """A question about a sentence and the answer's character span in the parsed text."""

    text: str
    answer: str
    start: int
    end: int
    answer_type: str  # an entity type, or "NP" for a plain noun phrase
    rule: str  # subject | object | adjunct | count | copula


@dataclass(frozen=True)
class AnswerSpan:
    """A candidate answer: token range [start, end) in the Doc, its type and, when the graph knows
    one, its class noun ("team": asked "which team")."""

    start: int
    end: int
    type: str
    kind: str | None = None


def answer_spans(
    sent,
    types: dict[tuple[int, int], str] | None = None,
    kinds: dict[tuple[int, int], str] | None = None,
) -> list[AnswerSpan]:
    """Named entities (dates and numbers included) and base noun phrases of one sentence.

    `types` maps (token start, token end) of a span to a type that overrides the parser's, e.g. the
    graph's voted entity type; `kinds` to a class noun for "which ..." questions.
    """
    types, kinds = types or {}, kinds or {}
    out: dict[tuple[int, int], AnswerSpan] = {}
    for ent in sent.ents:
        a, b = _trim(ent.start, ent.end, sent.doc)
        if a < b and ent.label_ != "ORDINAL":
            out[(a, b)] = AnswerSpan(a, b, types.get((a, b), ent.label_), kinds.get((a, b)))
    for chunk in sent.noun_chunks:
        a, b = _trim(chunk.start, _of_phrase_end(chunk), sent.doc)
        inside = any(e.start <= a and b <= e.end for e in out.values())
        named = any(c.dep_ == "appos" and c.pos_ == "PROPN" for c in chunk.root.children)
        if a < b and not inside and not named and chunk.root.pos_ in ("NOUN", "PROPN"):
            out[(a, b)] = AnswerSpan(a, b, types.get((a, b), "NP"), kinds.get((a, b)))
    return sorted(out.values(), key=lambda s: (s.start, s.end))


def _of_phrase_end(chunk) -> int:
    """A noun chunk with its short "of" complement: "the Duchy" + "of Cornwall"."""
    for c in chunk.root.rights:
        if c.dep_ == "prep" and c.lower_ == "of":
            tokens = list(c.subtree)
            if len(tokens) <= 6 and not any(t.dep_ in ("relcl", "acl") for t in tokens):
                return tokens[-1].i + 1
    return chunk.end


def ask(sent, span: AnswerSpan) -> Question | None:
    """The question whose answer is `span` in `sent`, or None where no rule fits cleanly."""
    doc = sent.doc
    if span.end - span.start > MAX_ANSWER_TOKENS or not _specific(doc, span):
        return None
    head = _head(doc, span)
    if head is None:
        return None
    role = _role(head)
    if role is not head and role.pos_ == "PROPN":
        return None  # "Santa Clara, California": the name it stands beside is the answer
    if not _whole(doc, span, head, role):
        return None
    verb = role.head
    if head.dep_ == "nummod":
        built = _count(span, head)
    elif role.dep_ == "pobj" and verb.dep_ in ("prep", "agent") and _is_verb(verb.head):
        built = _adjunct(verb.head, verb, span) if _askable(verb.head) else None
    elif not (_is_verb(verb) and _askable(verb)) or span.type == "CARDINAL":
        return None
    elif role.dep_ in SUBJECT_DEPS:
        built = _subject(verb, role, span)
    elif role.dep_ in OBJECT_DEPS:
        built = _object(verb, role, span)
    elif role.dep_ == "attr" and _lemma(verb) == "be":
        built = _copula(verb, role, span)
    elif role.dep_ == "npadvmod" and span.type in TIME_TYPES:
        built = _inverted(verb, "when", exclude={role.i}, rule="adjunct")
    else:
        built = None
    if built is None:
        return None
    text, rule = built
    if span.kind and text.lower().count(span.kind) > 1:  # "Which capital is the capital of ..."
        return ask(sent, replace(span, kind=None))
    if not MIN_QUESTION_WORDS <= len(text.split()) <= MAX_QUESTION_TOKENS or _unresolved(text):
        return None
    if not _specific_enough(text, verb if _is_verb(verb) else verb.head):
        return None
    return Question(text, *_chars(doc, span), span.type, rule)


def _specific_enough(question: str, verb) -> bool:
    """The question keeps its verb and names something besides it ("What is convened?" does not:
    out of its passage it could ask about anything)."""
    words = [w.strip("?,").lower() for w in question.split()]
    if verb.text.lower() not in words and _lemma(verb) not in words:
        return False
    content = [w for w in words[1:] if w not in FUNCTION_WORDS and w != verb.text.lower()]
    return len(content) >= 2


def _role(head):
    """The token whose grammatical role the answer fills: the noun an apposition stands beside
    ("the champion, Denver Broncos")."""
    while head.dep_ == "appos":
        head = head.head
    return head


def polar(sent, span: AnswerSpan) -> str | None:
    """The yes/no question stating the clause that `span` is the object (or prepositional object)
    of, in its own tense and modality: "Did the BBC launch Freeview in 2002?", "Will the RFU
    investigate Andy Robinson?"."""
    doc = sent.doc
    head = _head(doc, span)
    if head is None or not _whole(doc, span, head, head):
        return None
    role = _role(head)
    verb = role.head
    if role.dep_ == "pobj" and verb.dep_ in ("prep", "agent"):
        verb = verb.head
    elif role.dep_ not in OBJECT_DEPS and role.dep_ != "attr":
        return None
    if not (_is_verb(verb) and _askable(verb)) or any(c.dep_ == "neg" for c in verb.children):
        return None  # a denied fact makes a confusing yes/no question
    built = _inverted(verb, "", exclude=set(), rule="polar")
    if built is None:
        return None
    text = built[0]
    ok = MIN_QUESTION_WORDS <= len(text.split()) <= MAX_QUESTION_TOKENS and not _unresolved(text)
    return text if ok else None


def relative_clause(sent, span: AnswerSpan, who: bool = False) -> str | None:
    """The clause of `sent` around `span` as a relative clause describing it, in the sentence's own
    words and tense: "that Microsoft acquired in 2018", "who founded the university"."""
    doc = sent.doc
    head = _head(doc, span)
    if head is None or not _whole(doc, span, head, head):
        return None
    role = _role(head)
    rel = "who" if who else "that"
    verb = role.head
    if role.dep_ == "pobj" and verb.dep_ in ("prep", "agent") and _is_verb(verb.head):
        prep, verb = verb, verb.head
        exclude, tail = {prep.i}, prep.lower_
    elif role.dep_ in OBJECT_DEPS and _is_verb(verb):
        exclude, tail = {role.i}, ""
    elif role.dep_ in SUBJECT_DEPS and _is_verb(verb):
        if not _askable(verb):
            return None
        auxes = [
            t.lower_ for t in verb.children if t.dep_ in ("aux", "auxpass", "neg") and t.i < verb.i
        ]
        rest = _render(_clause(verb, exclude={role.i}))
        return " ".join(w for w in (rel, *auxes, verb.text, rest) if w)
    else:
        return None
    subject = _child(verb, SUBJECT_DEPS)
    if subject is None or subject.tag_ in ("WDT", "WP", "PRP", "EX") or not _askable(verb):
        return None
    auxes = [
        t.lower_ for t in verb.children if t.dep_ in ("aux", "auxpass", "neg") and t.i < verb.i
    ]
    rest = _render(_clause(verb, exclude=exclude | {subject.i}))
    words = ["that", _phrase(subject), *auxes, verb.text, rest, tail]
    text = " ".join(w for w in words if w)
    return None if _pronouns(text) else text


# ---------------------------------------------------------------- rules


def _subject(verb, role, span, plural: bool = False):
    auxes = [t for t in verb.children if t.dep_ in ("aux", "auxpass", "neg") and t.i < verb.i]
    if (not auxes and verb.tag_ not in DO) or (auxes and auxes[0].tag_ not in FINITE):
        return None  # "with leader X claiming ...", "being flushed": no finite verb to ask with
    if auxes and (auxes[0].lower_ in DO.values() or auxes[0].tag_ == "TO"):
        return None  # emphatic "X did receive", infinitive "to revert": no question reads well
    rest = _render(_clause(verb, exclude={role.i}))
    words = [t.lower_ for t in auxes] + [verb.text]
    first = words[0]
    if plural:
        pass  # "How many freedoms were thought ..."
    elif first in THIRD_PERSON:
        words[0] = THIRD_PERSON[first]  # "Who was", "Who has"
    elif not auxes and verb.tag_ == "VBP":
        words[0] = _third_person(first)  # "Who plays"
    return _finish(" ".join(w for w in (_wh(span, role), *words, rest) if w)), "subject"


def _object(verb, role, span):
    return _inverted(verb, _wh(span, role), exclude={role.i}, rule="object")


def _copula(verb, role, span):
    subject = next((c for c in verb.children if c.dep_ in SUBJECT_DEPS), None)
    if subject is None or subject.tag_ in ("WDT", "WP", "PRP", "EX") or span.type == "CARDINAL":
        return None
    wh = "who" if span.type in WHO_TYPES else "what"
    auxes = [t.lower_ for t in verb.children if t.dep_ in ("aux", "neg") and t.i < verb.i]
    rest = _render(_clause(verb, exclude={role.i, subject.i}))
    if auxes:  # "Warsaw has been a city" → "What has Warsaw been?"
        words = [wh, auxes[0], _phrase(subject), *auxes[1:], verb.lower_, rest]
    else:
        words = [wh, verb.lower_, _phrase(subject), rest]
    return _finish(" ".join(w for w in words if w)), "copula"


def _adjunct(verb, prep, span):
    if _lemma(verb) == "be":
        return None  # "For X, the main disappointment was Y": no question reads well
    p = prep.lower_
    pobj = next((c for c in prep.children if c.dep_ == "pobj"), None)
    if span.type in TIME_TYPES:
        wh = TIME_WH.get(p)
        return _inverted(verb, wh, exclude={prep.i}, rule="adjunct") if wh else None
    if span.type in PLACE_TYPES and p in PLACE_PREPS:
        return _inverted(verb, "where", exclude={prep.i}, rule="adjunct")
    if span.type in PLACE_TYPES and p in MOTION_PREPS and pobj is not None:
        return _inverted(verb, "where", exclude={pobj.i}, rule="adjunct")  # "Where ... from?"
    if span.type in PLACE_TYPES | {"CARDINAL", "QUANTITY", "PERCENT", "MONEY"}:
        return None  # "for 24 years", "by 5 percent": no wh-word says it well enough
    wh = "who" if span.type in WHO_TYPES else "what"
    return _inverted(verb, wh, exclude={pobj.i} if pobj is not None else {prep.i}, rule="adjunct")


def _count(span, number):
    """'5,000 students' as the subject, object or prepositional object of a verb → 'How many
    students ...' ('In how many countries ...')."""
    noun = number.head
    if span.type not in ("CARDINAL", "QUANTITY") or noun.pos_ != "NOUN" or noun.i < span.start:
        return None
    words = [t for t in noun.lefts if t.i >= span.end and t.dep_ in ("amod", "compound")]
    wh = "how many " + _render([*words, noun])
    head = noun.head
    if noun.dep_ == "pobj" and head.dep_ == "prep" and _is_verb(head.head):
        verb = head.head
        if not _askable(verb) or _lemma(verb) == "be":
            return None
        return _inverted(verb, f"{head.lower_} {wh}", exclude={head.i}, rule="count")
    if not (_is_verb(head) and _askable(head)):
        return None
    if noun.dep_ in SUBJECT_DEPS:
        built = _subject(head, noun, AnswerSpan(span.start, span.end, "COUNT"), plural=True)
        return (
            (built[0].replace("What ", wh[:1].upper() + wh[1:] + " ", 1), "count")
            if built
            else None
        )
    if noun.dep_ in OBJECT_DEPS:
        return _inverted(head, wh, exclude={noun.i}, rule="count")
    return None


def _inverted(verb, wh: str, exclude: set[int], rule: str):
    """wh + auxiliary + subject + verb + the rest (do-support when there is no auxiliary)."""
    subject = _child(verb, SUBJECT_DEPS)
    if subject is None or subject.i in exclude or subject.tag_ in ("WDT", "WP", "PRP", "EX"):
        return None
    auxes = [t for t in verb.children if t.dep_ in ("aux", "auxpass", "neg") and t.i < verb.i]
    rest = _clause(verb, exclude=exclude | {subject.i, verb.i} | {t.i for t in auxes})
    subj = _phrase(subject)
    tail = _render(rest)
    if auxes and auxes[0].dep_ != "neg" and auxes[0].lower_ != "to":
        first, others = auxes[0].lower_, " ".join(t.lower_ for t in auxes[1:])
        verb_words = " ".join(w for w in (others, verb.text) if w)
    elif _lemma(verb) == "be":
        first, verb_words = verb.lower_, ""
    elif verb.tag_ in DO:
        first = DO[verb.tag_]
        verb_words = " ".join(t.lower_ for t in auxes if t.dep_ == "neg") + " " + _lemma(verb)
    else:
        return None
    parts = [wh, first, subj, verb_words.strip(), tail]
    return _finish(" ".join(p for p in parts if p)), rule


# ---------------------------------------------------------------- clause pieces


def _clause(verb, exclude: set[int]) -> list:
    """Tokens of the verb's clause, minus excluded subtrees, with leading adjuncts moved last."""
    exclude = exclude - {verb.i}
    keep, moved, stranded = [], [], []
    for child in verb.children:
        if child.i in exclude or child.dep_ in DROP_DEPS:
            continue
        if child.dep_ in ("aux", "auxpass", "neg") and child.i < verb.i:
            continue
        if child.dep_ in SUBJECT_DEPS or _filler(child):
            continue
        if child.i < verb.i and child.dep_ in LEADING_DROP:
            if child.dep_ in ("prep", "npadvmod") and not _has(child, exclude):
                moved.append(child)
            elif child.dep_ == "prep" and child.i not in exclude:
                stranded.append(child)  # "At the 1996 conference, X was abolished" → "... at?"
            continue
        keep.append(child)
    tokens = []
    for child in keep:
        tokens += [t for t in _subtree(child) if not _excluded(t, exclude | _clauses(child))]
    tokens.sort(key=lambda t: t.i)
    for child in moved:
        part = [t for t in _subtree(child) if not _excluded(t, exclude)]
        if part and part[0].pos_ != "PROPN":
            part[0] = _Lower(part[0])
        tokens += part
    return tokens + [_Lower(t) for t in stranded]


def _clauses(token) -> set[int]:
    """Coordinated or appended clauses inside a constituent (dropped from questions, with the
    conjunction that joins them)."""
    out = set()
    for t in token.subtree:
        if (t.dep_ == "conj" and t.pos_ in ("VERB", "AUX")) or t.dep_ in ("parataxis", "advcl"):
            out.add(t.i)
            out |= {c.i for c in t.head.children if c.dep_ == "cc" and c.i < t.i}
    return out


def _filler(token) -> bool:
    """A one-word adverb ("also", "still", "later", "frequently"): questions leave them out."""
    return (
        token.dep_ == "advmod"
        and token.pos_ == "ADV"
        and token.n_lefts + token.n_rights == 0
        and token.lower_ not in ("not", "never", "n't")
    )


def _subtree(token) -> list:
    """The token's subtree without parentheses, appositions and their contents."""
    out, depth = [], 0
    skip = {t.i for c in token.subtree if c.dep_ == "appos" for t in c.subtree}
    for t in token.subtree:
        if t.i in skip:
            continue
        if t.text in ("(", "["):
            depth += 1
        elif t.text in (")", "]"):
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(t)
    return out


def _phrase(token) -> str:
    """A noun phrase moved inside the question: 'The university' → 'the university'."""
    tokens = _subtree(token)
    text = _render(tokens)
    if tokens and tokens[0].pos_ != "PROPN" and not tokens[0].ent_type_ and tokens[0].text != "I":
        text = text[:1].lower() + text[1:]
    return text


def _excluded(token, exclude: set[int]) -> bool:
    return any(a.i in exclude for a in [token, *token.ancestors])


def _has(token, ids: set[int]) -> bool:
    return any(t.i in ids for t in token.subtree)


def _render(tokens: list) -> str:
    """Tokens back to text, keeping the original spacing between neighbours."""
    kept = {t.i for t in tokens}
    tokens = [t for t in tokens if not t.is_punct or _inner(t, kept)]
    out = ""
    for prev, t in zip([None, *tokens], tokens, strict=False):
        if prev is not None:
            out += prev.whitespace_ if prev.i + 1 == t.i else " "
        out += t.text
    return " ".join(out.split())


def _inner(token, kept: set[int]) -> bool:
    """Punctuation inside a phrase ("February 7, 2016", "Levi's", "24–10") stays."""
    if token.text in ("-", "–", "'", "%", "&", "/"):
        return True
    return token.text == "," and token.i - 1 in kept and token.i + 1 in kept


def _finish(text: str) -> str:
    text = " ".join(text.split()).rstrip(" ,;:")
    return text[:1].upper() + text[1:] + "?"


def _third_person(word: str) -> str:
    if word.endswith(("s", "sh", "ch", "x", "z", "o")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


# ---------------------------------------------------------------- small helpers


def _specific(doc, span: AnswerSpan) -> bool:
    """Dates name a time ("May 2008", "the 20th century"), not "the year"; bare numbers are asked
    only as counts; no answer cuts a bracket in half ("2 ft 6 in) narrow gauge lines")."""
    text = doc[span.start : span.end].text
    if text.count("(") != text.count(")") or "[" in text or "]" in text:
        return False
    if span.type == "DATE":
        return any(c.isdigit() for c in text) or bool(set(text.lower().split()) & MONTHS)
    return True


def _askable(verb) -> bool:
    """A clause we can turn into a question: not relative, no expletive subject."""
    if verb.dep_ in ("relcl", "acl", "amod", "pcomp", "csubj"):
        return False
    return not any(c.dep_ == "expl" for c in verb.children)


def _whole(doc, span: AnswerSpan, head, role) -> bool:
    """The answer must be the whole constituent: its modifiers and coordinated parts inside it."""
    if span.type == "NP" and span.end - span.start == 1 and doc[span.start].pos_ == "NOUN":
        return False  # a bare common noun ("laws", "site") is too vague an answer
    if any(c.dep_ == "conj" for c in (*head.children, *role.children)):
        return False  # "Imperialism and colonialism": one conjunct is half an answer
    mods = ("compound", "nmod", "poss", "amod", "nummod")
    if any(c.dep_ == "prep" and c.lower_ == "of" and c.i >= span.end for c in head.rights):
        return False  # "the Duchy" of "the Duchy of Cornwall"
    return all(span.start <= c.i < span.end for c in head.lefts if c.dep_ in mods)


def _unresolved(question: str) -> bool:
    """Pronouns or relative words left in a question point at a context it does not give."""
    words = [w.strip("?,.").lower() for w in question.split()]
    return _pronouns(" ".join(words[1:])) or bool(set(words) & RELATIVES - {words[0]})


def _pronouns(text: str) -> bool:
    return bool({w.strip("?,.").lower() for w in text.split()} & PRONOUNS)


def _wh(span: AnswerSpan, role) -> str:
    if span.kind:
        return f"which {span.kind}"
    if span.type in WHO_TYPES or (span.type == "NORP" and role.tag_ == "NNPS"):
        return "who"
    if span.type in NUMBER_WH:
        return NUMBER_WH[span.type]
    if span.type == "DATE" and _is_year(role.doc[span.start : span.end].text):
        return "what year"
    return "what"


def _is_year(text: str) -> bool:
    return len(text) == 4 and text.isdigit() and text[:2] in ("17", "18", "19", "20")


def _head(doc, span: AnswerSpan):
    """The span's syntactic head (the one token whose head lies outside it)."""
    heads = [
        doc[i] for i in range(span.start, span.end) if not span.start <= doc[i].head.i < span.end
    ]
    return heads[0] if len(heads) == 1 else None


def _child(verb, deps: tuple[str, ...]):
    """The verb's own subject/object, or (for "X has A and was founded ...") its head verb's."""
    found = next((c for c in verb.children if c.dep_ in deps), None)
    if found is None and verb.dep_ in ("conj", "xcomp") and _is_verb(verb.head):
        return next((c for c in verb.head.children if c.dep_ in SUBJECT_DEPS), None)
    return found


class _Lower:
    """A token shown lower-cased (a leading adjunct moved to the end: "In 1842" → "in 1842")."""

    def __init__(self, token):
        self._token = token
        self.text = token.text[:1].lower() + token.text[1:]

    def __getattr__(self, name):
        return getattr(self._token, name)


def _is_verb(token) -> bool:
    return token.pos_ in ("VERB", "AUX") and token.dep_ not in ("amod", "compound")


def _lemma(token) -> str:
    return lemma(token, _lemmatizer()).lower()


@cache
def _lemmatizer():
    return get_lemmatizer(load_nlp())


def _trim(start: int, end: int, doc) -> tuple[int, int]:
    """Drop leading articles/possessive pronouns and trailing punctuation from a token range."""
    while start < end and (doc[start].tag_ in ("DT", "PRP$") or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].tag_ == "POS"):
        end -= 1
    return start, end


def _chars(doc, span: AnswerSpan) -> tuple[str, int, int]:
    a, b = doc[span.start].idx, doc[span.end - 1].idx + len(doc[span.end - 1])
    return doc.text[a:b], a, b
