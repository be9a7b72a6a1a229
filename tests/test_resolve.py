"""Entity resolution: normalization, aliases, acronyms, last names, incremental ids, embeddings."""

from __future__ import annotations

import pytest

from kg.extract import mention
from kg.resolve import Resolver, defined_acronyms, entity_id, normalize
from kg.stores.embedded import EmbeddedStore
from kgsynth.types import Chunk, Extraction, GraphBatch


def test_normalize():
    assert normalize("Apple Inc.", "ORG") == normalize("apple", "ORG") == "apple"
    assert normalize("The BBC's", "ORG") == "bbc"
    assert normalize("U.S.", "GPE") == normalize("US", "GPE")
    assert normalize("technology companies", "CONCEPT") == "technology company"
    assert normalize("Banks", "ORG") == "bank" and normalize("Wales", "GPE") == "wales"
    assert normalize("Mr Blair", "PERSON") == "blair"
    assert normalize("Lehman Brothers Holdings Ltd", "ORG") == "lehman brothers holding"


def batch(doc: str, text: str, names: list[tuple[str, str]], i: int = 0):
    """An Extraction with a mention for the first occurrence of each (name, type) in `text`."""
    c = Chunk(id=f"chk_{doc}_{i}", doc_id=doc, index=i, text=text, start=0, end=len(text))
    ms = []
    for name, type_ in names:
        start = text.index(name)
        ms.append(mention(c, start, start + len(name), type_, 0, len(text)))
    return Extraction(chunk_id=c.id, mentions=ms), c


def resolve(resolver, *items):
    xs, cs = zip(*items, strict=True)
    res = resolver.resolve(list(xs), {c.id: c for c in cs})
    by_text = {m.text: res.mention_entity[m.id] for x in xs for m in x.mentions}
    return res, by_text


def test_aliases_acronyms_and_surnames_merge():
    r = Resolver()
    res, ids = resolve(
        r,
        batch(
            "d1",
            "Apple Inc. said Apple would grow. Tony Blair met Blair's aide.",
            [
                ("Apple Inc.", "ORG"),
                ("Apple", "ORG"),
                ("Tony Blair", "PERSON"),
                ("Blair", "PERSON"),
            ],
        ),
        batch(
            "d2",
            "The World Health Organization (WHO) warned. The WHO said so.",
            [("World Health Organization", "ORG"), ("WHO", "ORG")],
        ),
        batch(
            "d3",
            "Deutsche Bank grew. Deutsche Bank and Deutsche said.",
            [("Deutsche Bank", "ORG"), ("Deutsche", "ORG")],
        ),
    )
    assert ids["Apple Inc."] == ids["Apple"] == entity_id("ORG", "apple")
    assert ids["Blair"] == ids["Tony Blair"]
    assert ids["WHO"] == ids["World Health Organization"]
    assert ids["Deutsche"] == ids["Deutsche Bank"]
    reasons = {(m.merged_name, m.reason) for m in res.merges}
    assert (
        ("WHO", "acronym") in reasons
        and ("Blair", "alias") in reasons
        and ("Deutsche", "alias") in reasons
    )
    assert reasons & {("Apple", "normalized"), ("Apple Inc.", "normalized")}
    ent = res.entities[ids["Tony Blair"]]
    assert ent.name == "Tony Blair" and "Blair" in ent.aliases and ent.mentions == 2


def test_ambiguous_surname_and_types_stay_apart():
    r = Resolver()
    _, ids = resolve(
        r,
        batch(
            "d1",
            "Gordon Brown spoke. Brown left.",
            [("Gordon Brown", "PERSON"), ("Brown", "PERSON")],
        ),
        batch("d2", "James Brown sang.", [("James Brown", "PERSON")]),
        batch("d3", "Brown was late. Jordan won.", [("Brown", "PERSON"), ("Jordan", "PERSON")]),
        batch("d4", "Jordan borders Israel.", [("Jordan", "GPE"), ("Israel", "GPE")]),
    )
    assert ids["Brown"] != ids["James Brown"]  # last seen (d3) had no full name, two in the corpus
    assert len({entity_id("PERSON", "jordan"), entity_id("GPE", "jordan")}) == 2


def test_incremental_resolution_keeps_ids_stable():
    store = EmbeddedStore(None)
    r1 = Resolver.from_store(store)
    res, ids = resolve(
        r1,
        batch(
            "d1",
            "The World Health Organization (WHO) met Tony Blair.",
            [("World Health Organization", "ORG"), ("WHO", "ORG"), ("Tony Blair", "PERSON")],
        ),
    )
    store.write(GraphBatch(entities=list(res.entities.values())))
    r2 = Resolver.from_store(store)
    res2, ids2 = resolve(
        r2,
        batch(
            "d9",
            "WHO and Blair and World Health Organization.",
            [("WHO", "ORG"), ("Blair", "PERSON"), ("World Health Organization", "ORG")],
        ),
    )
    assert ids2["WHO"] == ids2["World Health Organization"] == ids["World Health Organization"]
    assert ids2["Blair"] == ids["Tony Blair"]
    assert not any(m.merged_name == "WHO" for m in res2.merges)  # already an alias: no new decision


def test_defined_acronyms_need_matching_initials():
    x, c = batch(
        "d",
        "The European Union (EU) and Apple (XYZ) met.",
        [("European Union", "ORG"), ("Apple", "ORG")],
    )
    assert set(defined_acronyms(c.text, x.mentions)) == {"EU"}


@pytest.mark.timeout(120)
def test_embedding_similarity_merges_close_names():
    from kgsynth.embeddings import shared_embedder

    r = Resolver(embedder=shared_embedder(), threshold=0.8)
    res, ids = resolve(
        r,
        batch(
            "d1",
            "Manchester United won. Manchester United lost. Manchester Utd drew.",
            [("Manchester United", "ORG"), ("Manchester Utd", "ORG")],
        ),
    )
    assert ids["Manchester Utd"] == ids["Manchester United"]
    assert any(m.reason == "embedding" and m.merged_name == "Manchester Utd" for m in res.merges)


def test_types_are_voted_and_recorded():
    r = Resolver()
    res, ids = resolve(
        r,
        batch("d1", "Arnaud Clement won.", [("Arnaud Clement", "ORG")]),
        batch("d2", "Arnaud Clement lost.", [("Arnaud Clement", "PERSON")]),
        batch("d3", "Arnaud Clement played.", [("Arnaud Clement", "PERSON")]),
    )
    (eid,) = set(ids.values())
    assert eid == entity_id("PERSON", "arnaud clement")
    (decision,) = [m for m in res.merges if m.reason == "type"]
    assert decision.merged_name == "Arnaud Clement [ORG]" and decision.score == pytest.approx(
        2 / 3, abs=1e-3
    )


def test_no_alias_across_kinds():
    r = Resolver()
    _, ids = resolve(
        r,
        batch(
            "d1",
            "The Northern Territory Aids Council met. Northern Territory said no.",
            [("Northern Territory Aids Council", "ORG"), ("Northern Territory", "ORG")],
        ),
    )
    assert ids["Northern Territory"] != ids["Northern Territory Aids Council"]
