"""Turning a graph predicate into English clauses for questions and statements.

The spaCy extractor writes four kinds of predicate (see kg/extract_spacy.py): verb lemmas with an
optional particle or preposition (``acquire``, ``work_for``), passive participles (``based_in``),
role nouns (``ceo_of``, ``head_at``) and ``is_a``. Each reads differently:

    verb        Microsoft acquires GitHub     Which organization does Microsoft acquire?
    participle  Siemens is based in Munich    Which place is Siemens based in?
    role        Tim Cook is the ceo of Apple  Who is the ceo of Apple?
    is_a        Apple is a technology company What is Apple?

These functions are Jinja globals in :class:`synth.templates.TemplateLibrary`. Chinese predicates are
used as they are (``收购``), with ``了`` for the past.
"""

from __future__ import annotations

ROLE_PREPS = ("of", "at")
ROLE_SUFFIXES = ("ess", "ist", "man", "woman", "ian", "ator", "ster")
# Irregular past participles the extractor keeps for passives ("shown on", "born in").
PARTICIPLES = {
    "shown", "known", "born", "grown", "thrown", "drawn", "made", "held", "built", "sold", "led",
    "won", "bought", "brought", "found", "paid", "told", "sent", "spent", "caught", "taught",
    "left", "lost", "kept", "met", "struck", "set", "hit", "put", "cut", "run", "hurt",
}  # fmt: skip
# Verbs that merely look like participles.
NOT_PARTICIPLES = {
    "need", "feed", "lead", "proceed", "exceed", "succeed", "speed", "bleed", "breed", "plead",
    "shed", "wed", "embed", "heed", "open", "listen", "happen", "threaten", "strengthen",
    "weaken", "widen", "broaden", "sharpen", "tighten", "lessen", "worsen", "soften", "deepen",
    "hasten", "fasten", "awaken", "loosen", "frighten", "shorten", "straighten", "harden",
    "screen", "mean", "seen",
}  # fmt: skip
VERBS_WITH_OF = {
    "think",
    "consist",
    "die",
    "hear",
    "accuse",
    "approve",
    "dispose",
    "warn",
    "convict",
}
IRREGULAR = {"be": "is", "have": "has", "do": "does", "go": "goes"}
WHO_TYPES = {"PERSON", "NORP"}


def predicate_form(predicate: str) -> str:
    """'verb', 'participle', 'role' or 'is_a' (a guess from the shape of the snake_case predicate)."""
    if predicate == "is_a":
        return "is_a"
    words = predicate.split("_")
    first = words[0]
    looks_past = first.endswith(("ed", "en")) or first in PARTICIPLES
    if len(words) >= 2 and looks_past and first not in NOT_PARTICIPLES:
        return "participle"
    if len(words) >= 2 and words[-1] in ROLE_PREPS and first not in VERBS_WITH_OF:
        return "role"
    if len(words) >= 2 and first.endswith(ROLE_SUFFIXES):  # "actress_for", "spokesman_for"
        return "role"
    return "verb"


ACRONYMS = {"ceo", "cfo", "coo", "cto", "mp", "mep", "md", "vp"}


def words(predicate: str) -> str:
    """``ceo_of`` → ``CEO of``: the predicate as words."""
    parts = predicate.replace("-", " ").replace("_", " ").split()
    return " ".join(w.upper() if w in ACRONYMS else w for w in parts)


def third_person(phrase: str) -> str:
    """``buy from`` → ``buys from``: conjugate the first word of a lemma predicate for he/she/it."""
    head, _, rest = phrase.partition(" ")
    if not head or not head.isalpha() or not head.islower():
        return phrase
    if head in IRREGULAR:
        head = IRREGULAR[head]
    elif head.endswith(("ss", "us", "sh", "ch", "x", "z", "o")):
        head += "es"
    elif head.endswith("y") and head[-2:-1] not in "aeiou":
        head = head[:-1] + "ies"
    elif not head.endswith("s"):  # "has", "is": already conjugated
        head += "s"
    return f"{head} {rest}".strip()


def article(noun: str) -> str:
    """``organization`` → ``an organization`` (unchanged if it already has an article)."""
    if not noun or noun.lower().startswith(("a ", "an ", "the ")):
        return noun
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def statement(subject: str, predicate: str, obj: str) -> str:
    """'Microsoft acquires GitHub' / 'Tim Cook is the ceo of Apple' / 'Apple is a company'."""
    form, w = predicate_form(predicate), words(predicate)
    if form == "is_a":
        return f"{subject} is {article(obj)}" if obj[:1].islower() else f"{subject} is {obj}"
    if form == "participle":
        return f"{subject} is {w} {obj}"
    if form == "role":
        return f"{subject} is the {w} {obj}"
    return f"{subject} {third_person(w)} {obj}"


def ask_object(subject: str, predicate: str, kind: str) -> str:
    """A question (no '?') whose answer is the object: 'which organization does Microsoft acquire'."""
    form, w = predicate_form(predicate), words(predicate)
    if form == "is_a":
        return f"what is {subject}"
    if form == "participle":
        return f"which {kind} is {subject} {w}"
    if form == "role":
        return f"which {kind} is {subject} the {w}"
    return f"which {kind} does {subject} {w}"


def ask_subject(predicate: str, obj: str, kind: str, type_: str = "") -> str:
    """A question (no '?') whose answer is the subject: 'who is the ceo of Apple'."""
    form, w = predicate_form(predicate), words(predicate)
    who = "who" if type_ in WHO_TYPES else f"which {kind}"
    if form == "is_a":
        return f"{who} is {article(obj)}" if obj[:1].islower() else f"{who} is {obj}"
    if form == "participle":
        return f"{who} is {w} {obj}"
    if form == "role":
        return f"{who} is the {w} {obj}"
    return f"{who} {third_person(w)} {obj}"


def ask_yes_no(subject: str, predicate: str, obj: str) -> str:
    """'does Microsoft acquire GitHub' / 'is Tim Cook the ceo of Apple' / 'is Apple a company'."""
    form, w = predicate_form(predicate), words(predicate)
    if form == "is_a":
        return f"is {subject} {article(obj)}" if obj[:1].islower() else f"is {subject} {obj}"
    if form == "participle":
        return f"is {subject} {w} {obj}"
    if form == "role":
        return f"is {subject} the {w} {obj}"
    return f"does {subject} {w} {obj}"


def ucfirst(text: str) -> str:
    """Upper-case the first character only (Jinja's capitalize lower-cases the rest)."""
    return text[:1].upper() + text[1:]


JINJA_GLOBALS = {
    "statement": statement,
    "ask_object": ask_object,
    "ask_subject": ask_subject,
    "ask_yes_no": ask_yes_no,
    "predicate_form": predicate_form,
}
