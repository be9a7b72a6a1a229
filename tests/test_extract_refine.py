"""The model pass over spaCy's output: answer parsing, its effect on triples (a scripted generator
subclass), and the real thing against a local OpenAI-compatible server, cached on re-run."""

from __future__ import annotations

import pytest

from kg.extract_spacy import SpacyExtractor
from kg.refine import Refiner, parse_predicate, parse_yes_no, type_prompt, verify_prompt
from kgsynth.config import generator_options
from kgsynth.generators import Completion, Generator, Prompt
from kgsynth.types import Chunk
from kgsynth.workspace import Workspace

TEXT = "Tim Cook, the CEO of Apple, visited Berlin. Tim Cook met Satya Nadella of Microsoft."


def chunk() -> Chunk:
    return Chunk(id="chk_r", doc_id="doc_r", index=0, text=TEXT, start=0, end=len(TEXT))


def test_answers_parse():
    assert parse_yes_no("Yes.") is True and parse_yes_no(" no, it does not") is False
    assert parse_yes_no("Maybe") is None and parse_yes_no("") is None
    assert parse_predicate("works_for") == "works_for"
    assert parse_predicate("Works for\nbecause ...") == "works_for"
    assert parse_predicate("none") is None and parse_predicate("") is None
    assert parse_predicate("The sentence says that he is very happy about it") is None


class Scripted(Generator):
    """Answers "no" to the check of one fact and "employs" to every pair question."""

    name = "scripted"

    def __init__(self, reject: str):
        self.reject = reject
        self.prompts: list[Prompt] = []

    def generate(self, prompts: list[Prompt]) -> list[Completion]:
        self.prompts += prompts
        out = []
        for p in prompts:
            text = p.messages[-1].content
            if p.template_id == "refine.verify":
                out.append(Completion(text="no" if self.reject in text else "yes"))
            else:
                out.append(Completion(text="employs"))
        return out


def test_refiner_drops_rejected_facts_and_types_pairs(nlp):
    (x,) = SpacyExtractor().extract([chunk()])
    typed = {(t.subject, t.predicate, t.object) for t in x.triples if t.kind == "relation"}
    assert ("Tim Cook", "visit", "Berlin") in typed
    gen = Scripted(reject="| visit |")
    (y,) = Refiner(gen).refine([x])
    after = {(t.subject, t.predicate, t.object) for t in y.triples if t.kind == "relation"}
    assert ("Tim Cook", "visit", "Berlin") not in after and ("Tim Cook", "ceo_of", "Apple") in after
    added = [t for t in y.triples if t.extractor == "refine"]
    assert added and all(t.predicate == "employs" and t.confidence < 1 for t in added)
    assert all(t.subject in t.sentence and t.object in t.sentence for t in added)
    assert {p.template_id for p in gen.prompts} == {"refine.verify", "refine.type"}
    visit = next(t for t in x.triples if t.predicate == "visit")
    assert "Tim Cook | visit | Berlin" in verify_prompt(visit).messages[0].content
    assert "snake_case" in type_prompt(visit).messages[0].content


@pytest.mark.timeout(300)
def test_real_served_model_refines_and_is_cached(tmp_path, openai_server, nlp):
    with Workspace(tmp_path / "ws") as ws:
        served = generator_options(
            kind="openai", base_url=openai_server.base_url, model=openai_server.model
        )
        ws.config.generators["served"] = served
        ws.config.ingest.refine_generator = "served"
        ex = SpacyExtractor(ws)
        (first,) = ex.extract([chunk()])
        assert ex.refiner.generator.usage["calls"] > 0 and first.triples
        again = SpacyExtractor(ws)
        (second,) = again.extract([chunk()])
        assert again.refiner.generator.usage["calls"] == 0  # all answers from the cache
        assert [t.id for t in second.triples] == [t.id for t in first.triples]
