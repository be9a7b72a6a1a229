"""Template library: packaged templates, user overrides, phrasing variants, strict sandboxed errors."""

from __future__ import annotations

import random

import pytest

from kgsynth.workspace import Workspace
from synth.qa_candidates import QA_TYPES
from synth.templates import TemplateError, TemplateLibrary, parse_qa, third_person

SINGLE = {
    "subject": "Microsoft",
    "subject_type": "ORG",
    "predicate": "buy",
    "object": "Nokia",
    "object_type": "ORG",
    "ask": "object",
    "answer": "Nokia",
    "question": "What did Microsoft buy in 2013?",
}
VARIANTS = """Question: What did {{ subject }} buy?
Answer: {{ answer }}
{# --- #}
Question: Which company did {{ subject }} buy?
Answer: {{ answer }}
{# --- #}
Question: {{ subject }} bought which company?
Answer: {{ answer }}
"""


def test_every_qa_type_has_a_template_in_both_languages():
    lib = TemplateLibrary()
    for lang in ("en", "zh"):
        ids = lib.ids(lang)
        for qa_type in QA_TYPES:
            assert f"qa.{qa_type}" in ids
        assert {"qa.prompt", "entity_typing", "relation_cls"} <= set(ids)


def test_english_single_fact_renders_the_question_read_off_its_sentence():
    lib = TemplateLibrary()
    text = lib.render("qa.single_fact", "en", **SINGLE)
    assert text == "Question: What did Microsoft buy in 2013?\nAnswer: Nokia"
    assert parse_qa(text) == ("What did Microsoft buy in 2013?", "Nokia")


def test_render_uses_several_phrasings_with_a_seeded_rng(tmp_path):
    ws = Workspace(tmp_path / "ws")
    (ws.dir("templates") / "en").mkdir()
    (ws.dir("templates") / "en" / "qa.single_fact.j2").write_text(VARIANTS, encoding="utf-8")
    lib = TemplateLibrary(ws)
    assert lib.variants("qa.single_fact", "en") == 3
    rng = random.Random(0)
    renderings = {lib.render("qa.single_fact", "en", rng=rng, **SINGLE) for _ in range(30)}
    assert len(renderings) == 3
    for text in renderings:
        question, answer = parse_qa(text)
        assert "Microsoft" in question and answer == "Nokia"
    first = lib.render("qa.single_fact", "en", variant=0, **SINGLE)
    assert first == "Question: What did Microsoft buy?\nAnswer: Nokia"


def test_chinese_rendering_parses():
    lib = TemplateLibrary()
    zh = {**SINGLE, "subject": "微软", "predicate": "收购", "object": "诺基亚"}
    text = lib.render("qa.single_fact", "zh", variant=0, **zh)
    assert text.startswith("问题：")
    assert parse_qa(text) == ("微软收购了哪个机构？", "Nokia")


def test_missing_variable_names_template_line_and_variable():
    lib = TemplateLibrary()
    broken = {k: v for k, v in SINGLE.items() if k != "question"}
    with pytest.raises(TemplateError) as err:
        lib.render("qa.single_fact", "en", variant=0, **broken)
    msg = str(err.value)
    assert "qa.single_fact" in msg and "'question' is undefined" in msg
    lines = lib.source("qa.single_fact", "en").splitlines()
    expected = next(i for i, line in enumerate(lines, 1) if "{{ question }}" in line)
    assert err.value.line == expected and f"line {expected}" in msg


def test_user_override_and_error_line_in_a_later_variant(tmp_path):
    ws = Workspace(tmp_path / "ws")
    (ws.dir("templates") / "en").mkdir()
    (ws.dir("templates") / "en" / "qa.yes_no.j2").write_text(
        "Question: Really, {{ subject }}?\nAnswer: {{ answer }}\n{# --- #}\n\nQuestion: {{ nope }}\n",
        encoding="utf-8",
    )
    lib = TemplateLibrary(ws)
    assert lib.render("qa.yes_no", "en", variant=0, subject="X", answer="Yes") == (
        "Question: Really, X?\nAnswer: Yes"
    )
    with pytest.raises(TemplateError) as err:
        lib.render("qa.yes_no", "en", variant=1, subject="X", answer="Yes")
    assert err.value.line == 5 and "nope" in str(err.value)
    # other templates still come from the package
    assert "Nokia" in lib.render("qa.single_fact", "en", **SINGLE)


def test_syntax_error_and_sandbox(tmp_path):
    ws = Workspace(tmp_path / "ws")
    (ws.dir("templates") / "en").mkdir()
    (ws.dir("templates") / "en" / "bad.j2").write_text("line one\n{% if %}\n", encoding="utf-8")
    (ws.dir("templates") / "en" / "evil.j2").write_text(
        "{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8"
    )
    lib = TemplateLibrary(ws)
    with pytest.raises(TemplateError) as err:
        lib.render("bad", "en")
    assert err.value.line == 2 and "bad" in str(err.value)
    with pytest.raises(TemplateError):
        lib.render("evil", "en")
    with pytest.raises(TemplateError, match="not found"):
        lib.render("no_such_template", "en")
    with pytest.raises(TemplateError, match="bad template id"):
        lib.render("../etc/passwd", "en")


def test_parse_qa_reads_model_replies():
    assert parse_qa('Sure! {"question": "Who?", "answer": "Bob"}') == ("Who?", "Bob")
    assert parse_qa("Here you go:\nQuestion: Who leads Apple?\nAnswer: Tim Cook\n") == (
        "Who leads Apple?",
        "Tim Cook",
    )
    assert parse_qa("I cannot help with that.") is None


def test_third_person():
    assert third_person("buy") == "buys"
    assert third_person("work for") == "works for"
    assert third_person("carry") == "carries"
    assert third_person("reach") == "reaches"
    assert third_person("has") == "has"


def test_estimate_tokens_counts_with_a_real_tokenizer():
    from kgsynth.generators import Prompt
    from synth.tokens import MESSAGE_OVERHEAD, _tokenizer, estimate_tokens

    assert _tokenizer() is not None  # the packaged MiniLM tokenizer loads offline
    short = estimate_tokens(["Who leads Microsoft?"])
    assert short == 4 + MESSAGE_OVERHEAD  # who / leads / microsoft / ?
    text = "The Freedom of Information Act will cover England, Wales and Northern Ireland."
    prompts = [Prompt.user(text), Prompt.user(text)]
    assert estimate_tokens(prompts) == 2 * estimate_tokens([text])
    assert 10 < estimate_tokens([text]) < len(text) // 2


def test_save_checks_before_writing(tmp_path):
    ws = Workspace(tmp_path / "ws")
    lib = TemplateLibrary(ws)
    with pytest.raises(TemplateError) as err:
        lib.save("qa.yes_no", "Question: {{ subject }\nAnswer: {{ answer }}", "en")
    assert err.value.line == 1
    assert not (ws.dir("templates") / "en" / "qa.yes_no.j2").exists()
    before = lib.render("qa.yes_no", "en", variant=0, question="Did A own B?", answer="No")
    path = lib.save("qa.yes_no", "Question: Really, {{ subject }}?\nAnswer: {{ answer }}", "en")
    assert path.read_text(encoding="utf-8").startswith("Question: Really")
    after = lib.render("qa.yes_no", "en", subject="A", answer="No")  # the cache was refreshed
    assert after == "Question: Really, A?\nAnswer: No" and after != before


def test_phrasing_reads_each_predicate_shape():
    from synth.phrasing import ask_object, ask_subject, ask_yes_no, predicate_form, statement

    assert [predicate_form(p) for p in ("acquire", "based_in", "shown_on", "ceo_of", "is_a")] == [
        "verb",
        "participle",
        "participle",
        "role",
        "is_a",
    ]
    assert predicate_form("lead_to") == "verb" and predicate_form("think_of") == "verb"
    assert statement("Tim Cook", "ceo_of", "Apple") == "Tim Cook is the CEO of Apple"
    assert statement("Siemens", "based_in", "Munich") == "Siemens is based in Munich"
    assert statement("Apple", "is_a", "technology company") == "Apple is a technology company"
    assert (
        ask_object("Microsoft", "acquire", "organization")
        == "which organization does Microsoft acquire"
    )
    assert ask_subject("ceo_of", "Apple", "person", "PERSON") == "who is the CEO of Apple"
    assert ask_yes_no("Siemens", "based_in", "Munich") == "is Siemens based in Munich"
