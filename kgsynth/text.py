"""Text utilities shared by every stage: normalization, language detection, sentences, words.

Rule based and fast on purpose: ingest, cleaning and export all call these on every record.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")

# A sentence ends at . ! ? (with optional closing quotes/brackets) followed by space and an
# upper-case letter, digit or quote; or at a Chinese full stop or line break. Common abbreviations do not end one.
_EN_END = re.compile(r"""[.!?]+["')\]]*(?=\s+["'(\[]?[A-Z0-9])""")
_ZH_END = re.compile(
    r"[。！？；]+[”’」』）]*|\n"
)  # a Chinese line (a headline, a list item) ends a sentence
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "vs",
    "inc",
    "ltd",
    "co",
    "corp",
    "no",
    "gen",
    "gov",
    "sen",
    "rep",
    "u.s",
    "u.k",
    "e.g",
    "i.e",
    "etc",
    "jan",
    "feb",
    "mar",
    "apr",
    "aug",
    "sept",
    "sep",
    "oct",
    "nov",
    "dec",
}
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def normalize_text(s: str) -> str:
    """NFKC, drop control and zero-width characters, collapse spaces; keep paragraph breaks."""
    s = unicodedata.normalize("NFKC", s)
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = _CONTROL.sub("", s)
    s = _SPACES.sub(" ", s)
    s = "\n".join(line.strip() for line in s.split("\n"))
    s = _BLANK_LINES.sub("\n\n", s)
    return s.strip()


def detect_lang(s: str) -> str:
    """'zh' when CJK characters dominate the letters, else 'en' (the only two we extract)."""
    sample = s[:4000]
    cjk = len(_CJK.findall(sample))
    latin = len(_LATIN.findall(sample))
    if cjk and cjk * 2 >= latin / 4:
        return "zh"
    return "en"


def has_cjk(s: str) -> bool:
    """True when the text holds at least one Chinese character."""
    return _CJK.search(s) is not None


def in_language(s: str, lang: str) -> bool:
    """Whether a (model-written) text is in `lang`: Chinese needs Chinese characters to make up at
    least a third of its letters; English needs Latin letters and at most half Chinese ones (names)."""
    cjk, latin = len(_CJK.findall(s)), len(_LATIN.findall(s))
    if lang == "zh":
        return cjk > 0 and cjk * 3 >= cjk + latin
    if lang == "en":
        return latin > 0 and cjk <= latin
    return True


def to_simplified(s: str) -> str:
    """Traditional Chinese → Simplified (OpenCC ``t2s``), only when it keeps every character offset.

    Callers tag the Simplified form and read spans back from the original text, so a conversion that
    would change the length (a phrase mapping) returns the text unchanged.
    """
    if not has_cjk(s):
        return s
    out = _opencc().convert(s)
    return out if len(out) == len(s) else s


@lru_cache(maxsize=1)
def _opencc():
    from kgsynth.errors import require

    return require("opencc").OpenCC("t2s")


def split_sentences(text: str, lang: str = "en") -> list[tuple[int, int]]:
    """Sentence spans (start, end) covering the text, whitespace trimmed; paragraphs always split."""
    spans: list[tuple[int, int]] = []
    for p_start, p_end in _paragraphs(text):
        spans.extend(_sentences_in(text, p_start, p_end, lang))
    return spans


def words(text: str, lang: str = "en") -> list[str]:
    """Lower-cased word tokens; jieba segmentation for Chinese."""
    if lang == "zh" or (lang != "en" and _CJK.search(text)):
        import jieba

        jieba.setLogLevel(logging.WARNING)
        return [w.lower() for w in jieba.lcut(text) if _WORD.fullmatch(w)]
    return [m.group(0).lower() for m in _WORD.finditer(text)]


def _paragraphs(text: str):
    start = 0
    for m in re.finditer(r"\n\s*\n", text):
        yield start, m.start()
        start = m.end()
    yield start, len(text)


def _sentences_in(text: str, start: int, end: int, lang: str):
    pattern = _ZH_END if lang == "zh" else _EN_END
    cut = start
    for m in pattern.finditer(text, start, end):
        if lang != "zh" and _is_abbreviation(text, cut, m.start()):
            continue
        yield from _trimmed(text, cut, m.end())
        cut = m.end()
    yield from _trimmed(text, cut, end)


def _is_abbreviation(text: str, sentence_start: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    token = text[sentence_start:dot].rsplit(None, 1)[-1] if text[sentence_start:dot].strip() else ""
    token = token.lstrip("(\"'").lower()
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def _trimmed(text: str, start: int, end: int):
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield start, end
