"""Chinese extraction: spaCy's blank ``zh`` pipeline with the jieba segmenter, names from jieba.posseg.

Entity types come from jieba's part-of-speech flags: nr* (person names) → PERSON, ns (places) → GPE,
nt (organisations) → ORG; a name followed by an organisation word (集团, 公司, 大学, ...) becomes one ORG.
Relations are sentence co-occurrence edges only.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from kg.extract import EXTRACTORS, Extractor, Progress, cooccurrences, mention
from kgsynth.types import Chunk, Extraction, Mention

FLAG_TYPES = {"nr": "PERSON", "nrfg": "PERSON", "nrt": "PERSON", "ns": "GPE", "nt": "ORG"}
ORG_SUFFIXES = frozenset(
    {"集团", "公司", "银行", "大学", "学院", "协会", "委员会", "组织", "研究所", "部"}
)


@lru_cache(maxsize=1)
def load_nlp_zh():
    """spacy.blank("zh") segmenting with jieba, plus a sentencizer; loaded once per process."""
    import jieba
    import spacy

    jieba.setLogLevel(logging.WARNING)
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.add_pipe("sentencizer", config={"punct_chars": ["。", "！", "？", "；", "!", "?"]})
    return nlp


@lru_cache(maxsize=50_000)
def pos_flag(word: str) -> str:
    """jieba's part-of-speech flag of one word (dictionary first, then its HMM tagger)."""
    import jieba.posseg as pseg

    flag = pseg.dt.word_tag_tab.get(word)
    if flag is None:
        pairs = pseg.lcut(word)
        flag = pairs[0].flag if len(pairs) == 1 else "x"
    return flag


@EXTRACTORS.register("zh")
class ChineseExtractor(Extractor):
    """jieba names + co-occurrence for Chinese chunks."""

    name = "zh"
    langs = ("zh",)

    def extract(self, chunks: list[Chunk], progress: Progress | None = None) -> list[Extraction]:
        nlp = load_nlp_zh()
        out = []
        for chunk, doc in zip(chunks, nlp.pipe(c.text for c in chunks), strict=True):
            mentions = _mentions(chunk, doc)
            triples = cooccurrences(chunk, mentions, "zh")
            out.append(Extraction(chunk_id=chunk.id, mentions=mentions, triples=triples))
            if progress is not None:
                progress(len(out), len(chunks))
        return out


def _mentions(chunk: Chunk, doc) -> list[Mention]:
    out = []
    for sent in doc.sents:
        tokens = list(sent)
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            type_ = FLAG_TYPES.get(pos_flag(tok.text))
            end_tok = tok
            if type_ and i + 1 < len(tokens) and tokens[i + 1].text in ORG_SUFFIXES:
                type_, end_tok = "ORG", tokens[i + 1]
                i += 1
            if type_ and (len(tok.text) > 1 or type_ == "ORG"):
                end = end_tok.idx + len(end_tok.text)
                out.append(mention(chunk, tok.idx, end, type_, sent.start_char, sent.end_char))
            i += 1
    return out
