"""The model extractor: prompt building, lenient parsing, evidence location, canned and real model."""

from __future__ import annotations

import json
import re

import pytest

from kg.extract import EXTRACTORS, make_extractor
from kg.extract_model import ModelExtractor, build_prompt, locate, parse_triples, repair_prompt
from kgsynth.config import Config, IngestConfig
from kgsynth.generators import GENERATORS, Completion, Generator, Prompt, make_generator
from kgsynth.types import Chunk
from kgsynth.workspace import Workspace

TEXT = (
    "Tim Cook is the chief executive of Apple. The company is based in Cupertino.\n\n"
    "Cook said Apple would open a store in Paris."
)


def chunk(text: str = TEXT, cid: str = "ch_1") -> Chunk:
    return Chunk(id=cid, doc_id="doc_1", index=0, text=text, start=0, end=len(text))


class CannedGenerator(Generator):
    """A real Generator subclass answering from a script, in order (pipeline logic only)."""

    name = "canned"

    def __init__(self, answers: list[str]):
        self.answers = list(answers)
        self.prompts: list[Prompt] = []

    def generate(self, prompts: list[Prompt]) -> list[Completion]:
        self.prompts += prompts
        return [Completion(text=self.answers.pop(0)) for _ in prompts]


@pytest.fixture
def ws(tmp_path):
    with Workspace(tmp_path / "ws") as w:
        yield w


def test_registered_as_model():
    assert EXTRACTORS.get("model") is ModelExtractor


def test_prompt_includes_text_and_schema():
    p = build_prompt("Some text.", {"entity_types": ["PERSON", "ORG"], "relations": ["works_for"]})
    content = p.messages[0].content
    assert "Text: Some text." in content and "PERSON, ORG" in content and "works_for" in content
    assert p.temperature == 0.0
    assert "Entity types" not in build_prompt("x").messages[0].content
    repaired = repair_prompt(p, "oops")
    assert [m.role for m in repaired.messages] == ["user", "assistant", "user"]


@pytest.mark.parametrize(
    "answer",
    [
        '[{"subject": "Tim Cook", "predicate": "leads", "object": "Apple"}]',
        'Sure!\n```json\n[{"subject": "Tim Cook", "predicate": "leads", "object": "Apple"}]\n```',
        '[{"subject": "Tim Cook", "predicate": "leads", "object": "Apple"}] I hope this helps [1].',
        "[{'subject': 'Tim Cook', 'predicate': 'leads', 'object': 'Apple',}]",
        '{"triples": [{"head": "Tim Cook", "relation": "leads", "tail": "Apple"}]}',
        '[["Tim Cook", "leads", "Apple"]]',
        '[{"subject": "Tim Cook", "predicate": "leads", "object": "Apple"}, {"subject": "Ap',
    ],
)
def test_parse_is_lenient(answer):
    (t,) = parse_triples(answer)
    assert (t["subject"], t["predicate"], t["object"]) == ("Tim Cook", "leads", "Apple")


def test_parse_rejects_garbage():
    assert parse_triples("[]") == []
    for bad in ["I cannot find any relations.", '[{"name": "x"}]', "[1, 2"]:
        with pytest.raises(ValueError):
            parse_triples(bad)


def test_locate_prefers_sentence_with_both():
    (s, o, sent) = locate(TEXT, "cook", "PARIS")
    assert TEXT[s[0] : s[1]] == "Cook" and TEXT[o[0] : o[1]] == "Paris"
    assert TEXT[sent[0] : sent[1]] == "Cook said Apple would open a store in Paris."
    assert locate(TEXT, "Tim Cook", "Microsoft") is None


def test_extract_with_canned_generator_counts_everything():
    answers = [
        # chunk 1: one good, one unlocatable, one self-loop
        '```json\n[{"subject": "Tim Cook", "subject_type": "person", "predicate": "chief executive of",'
        ' "object": "Apple", "object_type": "org"}, {"subject": "Tim Cook", "predicate": "visited",'
        ' "object": "Berlin"}, {"subject": "Apple", "predicate": "is", "object": "apple"}]\n```',
        "no idea",  # chunk 2, first try
        "still no JSON",  # chunk 2, repair: skipped and counted
    ]
    gen = CannedGenerator(answers)
    extractor = ModelExtractor(None, generator=gen)
    seen = []
    out = extractor.extract(
        [chunk(), chunk("Nothing here.", "ch_2")], progress=lambda d, t: seen.append((d, t))
    )
    assert [e.chunk_id for e in out] == ["ch_1", "ch_2"]
    (t,) = out[0].triples
    assert (t.subject, t.predicate, t.object) == ("Tim Cook", "chief_executive_of", "Apple")
    assert (t.subject_type, t.object_type, t.extractor) == ("PERSON", "ORG", "model")
    assert t.sentence == "Tim Cook is the chief executive of Apple."
    assert TEXT[t.subject_span[0] : t.subject_span[1]] == "Tim Cook"
    assert len(out[0].mentions) == 2 and out[1].triples == []
    assert extractor.stats["dropped_unlocated"] == 1 and extractor.stats["dropped_invalid"] == 1
    assert extractor.stats["retried"] == 1 and extractor.stats["invalid_outputs"] == 1
    assert extractor.skipped[0][0] == "ch_2" and seen[-1] == (2, 2)
    assert gen.prompts[-1].messages[-1].content.startswith("That answer was not")


def test_schema_drops_other_types_and_relations():
    schema = {"entity_types": ["PERSON", "ORG"], "relations": ["leads"]}
    ws_config = Config(ingest=IngestConfig(model_schema=schema))
    answer = (
        '[{"subject": "Tim Cook", "subject_type": "PERSON", "predicate": "leads", "object": "Apple",'
        ' "object_type": "ORG"}, {"subject": "Apple", "subject_type": "ORG", "predicate": "based_in",'
        ' "object": "Cupertino", "object_type": "ORG"}, {"subject": "Apple", "subject_type": "ORG",'
        ' "predicate": "leads", "object": "Cupertino", "object_type": "GPE"}]'
    )
    gen = CannedGenerator([answer])
    extractor = ModelExtractor(_Ws(ws_config), generator=gen)
    (ex,) = extractor.extract([chunk()])
    assert [t.predicate for t in ex.triples] == ["leads"]
    assert extractor.stats["dropped_schema"] == 2
    assert "Predicates (use only these): leads." in gen.prompts[0].messages[0].content


class _Ws:
    def __init__(self, config):
        self.config = config


def test_real_smollm2_runs_and_counts(ws, smollm2_path):
    gen = make_generator(ws, "transformers", model=str(smollm2_path), max_new_tokens=32, threads=1)
    extractor = ModelExtractor(ws, generator=gen)
    (ex,) = extractor.extract([chunk("Tim Cook is the chief executive of Apple.")])
    assert ex.chunk_id == "ch_1"
    assert extractor.stats["chunks"] == 1
    assert gen.usage["calls"] in (1, 2)  # one answer, plus one repair if it was not JSON
    assert gen.usage["calls"] == 1 + extractor.stats["retried"]
    for t in ex.triples:  # whatever the small model says, kept triples are grounded
        assert t.subject.lower() in t.sentence.lower() and t.object.lower() in t.sentence.lower()


def test_make_extractor_uses_configured_generator(tmp_path):
    config = Config(ingest=IngestConfig(model_generator="template"))
    with Workspace(tmp_path / "ws", config=config) as w:
        extractor = make_extractor("model", w)
        assert extractor.generator.name == "template"


_NAME = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)*")


class FirstNamesGenerator(Generator):
    """A real Generator subclass: links the first two capitalised names of the chunk (test only)."""

    name = "test-first-names"

    def __init__(self, config=None):
        self.config = config

    def generate(self, prompts: list[Prompt]) -> list[Completion]:
        out = []
        for p in prompts:
            text = p.messages[0].content.rsplit("Text: ", 1)[-1].removesuffix("\nJSON:")
            names = list(dict.fromkeys(m.group(0) for m in _NAME.finditer(text)))[:2]
            triples = []
            if len(names) == 2:
                triples.append(
                    {
                        "subject": names[0],
                        "subject_type": "ENTITY",
                        "predicate": "related to",
                        "object": names[1],
                        "object_type": "ENTITY",
                    }
                )
            out.append(Completion(text=json.dumps(triples)))
        return out


def test_ingest_with_model_extractor_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setitem(
        GENERATORS._items, "test-first-names", FirstNamesGenerator
    )  # this test only
    from kg.ingest import ingest
    from synth.retrieval import Retriever
    from tests.fixtures.corpus import bbc_files

    docs = tmp_path / "docs"
    docs.mkdir()
    for path, label in bbc_files(1)[:2]:
        (docs / f"{label}.txt").write_text(path.read_text(encoding="utf-8", errors="replace"))
    config = Config(ingest=IngestConfig(extractors=["model"], model_generator="test-first-names"))
    with Workspace(tmp_path / "ws", config=config) as w:
        report = ingest(w, [docs])
        assert report.documents == 2 and report.triples > 0
        triples = list(w.catalog.iter_triples())
        typed = [t for t in triples if t.kind == "relation"]
        assert typed and all(t.extractor == "model" for t in typed)
        assert all(t.predicate == "related_to" for t in typed)
        t = typed[0]
        facts = Retriever(w).facts_for(t.subject)
        assert any(f.relation.predicate == "related_to" for f in facts)
        again = ingest(w, [docs])  # unchanged documents: no new extraction
        assert again.unchanged == 2
