"""Extraction with the real spaCy model: each relation pattern, co-occurrence, Chinese, the registry."""

from __future__ import annotations

import pytest

from kg.extract import EXTRACTORS, make_extractor
from kg.extract_spacy import SpacyExtractor
from kg.extract_zh import ChineseExtractor
from kgsynth.errors import ConfigError
from kgsynth.types import Chunk


def chunk(text: str, lang: str = "en", i: int = 0) -> Chunk:
    return Chunk(
        id=f"chk_{i}", doc_id="doc_t", index=i, text=text, start=0, end=len(text), lang=lang
    )


CASES = {
    "Microsoft acquired GitHub in 2018.": ("Microsoft", "acquire", "GitHub"),
    "GitHub was acquired by Microsoft.": ("Microsoft", "acquire", "GitHub"),
    "Siemens is based in Munich.": ("Siemens", "based_in", "Munich"),
    "Apple is a technology company.": ("Apple", "is_a", "technology company"),
    "Tim Cook, the CEO of Apple, visited Berlin.": ("Tim Cook", "ceo_of", "Apple"),
    "Google, based in Mountain View, announced a new phone.": (
        "Google",
        "based_in",
        "Mountain View",
    ),
    "Apple's CEO Tim Cook spoke in Paris.": ("Tim Cook", "ceo_of", "Apple"),
    "Paris is the capital of France.": ("Paris", "capital_of", "France"),
    "Nie Haisheng, born on October 13, 1964, worked as a fighter pilot.": (
        "Nie Haisheng",
        "born_on",
        "October 13, 1964",
    ),
    "Alan Shepard was born in New Hampshire and died in California.": (
        "Alan Shepard",
        "die_in",
        "California",
    ),
    "Menatep Group's managing director Tim Osborne told Reuters.": (
        "Tim Osborne",
        "managing_director_of",
        "Menatep Group",
    ),
    "Hypermarcas is a pharmaceutical company located in Sao Paulo, Brazil.": (
        "Hypermarcas",
        "located_in",
        "Brazil",
    ),
    "Born in Rochdale, the actor Bill Oddie starred in the show Bananaman.": (
        "Bill Oddie",
        "born_in",
        "Rochdale",
    ),
}


@pytest.fixture(scope="module")
def extracted(nlp):
    chunks = [chunk(text, i=i) for i, text in enumerate(CASES)]
    return dict(zip(CASES, SpacyExtractor(batch_size=8).extract(chunks), strict=True))


@pytest.mark.parametrize("text", list(CASES))
def test_relation_patterns(extracted, text):
    x = extracted[text]
    found = {(t.subject, t.predicate, t.object) for t in x.triples if t.kind == "relation"}
    assert CASES[text] in found, found
    for t in x.triples:
        c_text = text
        assert c_text[t.subject_span[0] : t.subject_span[1]] == t.subject
        assert c_text[t.object_span[0] : t.object_span[1]] == t.object
        assert t.sentence in text and t.chunk_id == x.chunk_id


def test_mentions_are_typed_and_trimmed(extracted, nlp):
    x = extracted["Tim Cook, the CEO of Apple, visited Berlin."]
    types = {m.text: m.type for m in x.mentions}
    assert types["Tim Cook"] == "PERSON" and types["Apple"] == "ORG" and types["Berlin"] == "GPE"
    text = "The World Health Organization (WHO) warned about flu."
    (y,) = SpacyExtractor().extract([chunk(text)])
    assert "World Health Organization" in {m.text for m in y.mentions}
    assert not any("(" in m.text for m in y.mentions)


def test_cooccurrence_edges_are_kept_apart(extracted):
    x = extracted["Tim Cook, the CEO of Apple, visited Berlin."]
    co = {(t.subject, t.object) for t in x.triples if t.kind == "cooccurrence"}
    assert ("Tim Cook", "Berlin") in co and ("Apple", "Berlin") in co
    assert all(t.predicate == "co_occurs_with" for t in x.triples if t.kind == "cooccurrence")
    assert not any(t.object_type == "CONCEPT" for t in x.triples if t.kind == "cooccurrence")


def test_no_relation_between_non_entities(nlp):
    (x,) = SpacyExtractor().extract([chunk("The dog chased the cat across the garden.")])
    assert x.triples == []


def test_chinese_extractor_tags_names_and_cooccurrence():
    text = "马云在杭州创立了阿里巴巴集团。习近平访问了北京大学。"
    (x,) = ChineseExtractor().extract([chunk(text, lang="zh")])
    types = {m.text: m.type for m in x.mentions}
    assert types["马云"] == "PERSON" and types["杭州"] == "GPE" and types["阿里巴巴集团"] == "ORG"
    assert types["北京大学"] == "ORG"
    pairs = {(t.subject, t.object) for t in x.triples}
    assert ("马云", "杭州") in pairs
    assert {(t.subject, t.predicate, t.object) for t in x.triples if t.kind == "relation"} == {
        ("马云", "创办", "阿里巴巴集团"),
        ("习近平", "访问", "北京大学"),
    }
    assert ("马云", "北京大学") not in pairs  # different sentences
    for m in x.mentions:
        assert text[m.start : m.end] == m.text and m.lang == "zh"


def test_registry_lists_builtins():
    assert {"spacy", "zh"} <= set(EXTRACTORS.names())
    assert isinstance(make_extractor("zh"), ChineseExtractor)
    with pytest.raises(ConfigError, match="valid names: .*spacy"):
        make_extractor("nope")


def test_blank_line_ends_a_sentence(nlp):
    text = "Labour chooses Manchester\n\nThe Labour Party will meet in Manchester."
    (x,) = SpacyExtractor().extract([chunk(text)])
    assert all("\n" not in m.text and "\n" not in m.sentence for m in x.mentions)
    assert {m.sentence for m in x.mentions} == {
        "Labour chooses Manchester",
        "The Labour Party will meet in Manchester.",
    }


def relations(text: str) -> set[tuple[str, str, str]]:
    (x,) = SpacyExtractor().extract([chunk(text)])
    return {(t.subject, t.predicate, t.object) for t in x.triples if t.kind == "relation"}


def types(text: str) -> dict[str, str]:
    (x,) = SpacyExtractor().extract([chunk(text)])
    return {m.text: m.type for m in x.mentions}


def test_types_are_voted_by_the_parse(nlp):
    assert types("Darwin, the city, is hot. Darwin grew fast.")["Darwin"] == "GPE"
    assert (
        types("The brothers sold their businesses, retailer Littlewoods.")["Littlewoods"] == "ORG"
    )
    shown = types("Alan B. Miller Hall is in Williamsburg. Piotr Hallmann was born in Gdynia.")
    assert shown["Alan B. Miller Hall"] == "FAC" and shown["Piotr Hallmann"] == "PERSON"
    listed = types(
        "He visits Manchester, Liverpool, Leicester, Somerset, Basingstoke, Shrewsbury, Dorset"
        " and Torbay."
    )
    assert listed["Manchester"] == "GPE"  # the tagger says PERSON; the list says otherwise


def test_numbers_are_never_names_and_literals_only_objects(nlp):
    (x,) = SpacyExtractor().extract([chunk("The demand for $280bn (£155bn) was rejected in 1999.")])
    assert not any(any(c.isdigit() for c in m.text) for m in x.mentions)  # unused literals dropped
    (y,) = SpacyExtractor().extract([chunk("Olga Bondareva died on December 9, 1991.")])
    (t,) = [t for t in y.triples if t.kind == "relation"]
    assert (t.predicate, t.object, t.object_type) == ("die_on", "December 9, 1991", "DATE")
    assert not any(t.subject_type == "DATE" for t in y.triples)


def test_no_fact_from_negation_attempts_modals_or_vague_nouns(nlp):
    assert not relations("Pernod tried to buy Glenmorangie last year.")
    assert not relations("Microsoft did not buy Yahoo.")
    assert not relations("Microsoft could buy Yahoo.")
    assert not relations("Apple is a triumph of fashion.")  # a triumph is no class
    assert ("Paris", "is_a", "city") in relations("Paris is a city.")


def test_pronouns_stand_for_the_previous_subject(nlp):
    text = "Arthur Hailey was a novelist. He emigrated to Canada in 1947."
    (x,) = SpacyExtractor().extract([chunk(text)])
    (t,) = [t for t in x.triples if t.predicate == "emigrate_to"]
    assert (t.subject, t.object) == ("Arthur Hailey", "Canada") and t.sentence == text
    assert t.confidence < 0.8 and text[t.subject_span[0] : t.subject_span[1]] == "Arthur Hailey"
    assert "He" not in {m.text for m in x.mentions}
    owner = relations("Yukos is a company. Its founder Mikhail Khodorkovsky is in jail.")
    assert ("Mikhail Khodorkovsky", "founder_of", "Yukos") in owner
