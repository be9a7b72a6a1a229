"""Questions read off the real spaCy parse (synth.questions): wh-movement, inversion, do-support."""

from __future__ import annotations

import pytest

from synth.questions import answer_spans, ask


@pytest.fixture(scope="module")
def asked(nlp):
    def run(text: str) -> dict[str, str]:
        doc = nlp(text)
        out = {}
        for sent in doc.sents:
            for span in answer_spans(sent):
                q = ask(sent, span)
                if q is not None:
                    assert doc.text[q.start : q.end] == q.answer
                    out[q.answer] = q.text
        return out

    return run


def test_object_time_and_place_questions_invert_with_do_support(asked):
    q = asked("The Broncos defeated the Panthers in Santa Clara on February 7, 2016.")
    assert q["Panthers"] == "Who did the Broncos defeat in Santa Clara on February 7, 2016?"
    assert q["Santa Clara"] == "Where did the Broncos defeat the Panthers on February 7, 2016?"
    assert q["February 7, 2016"] == "When did the Broncos defeat the Panthers in Santa Clara?"


def test_counts_and_passives(asked):
    assert asked("The university has 5,000 students.")["5,000"] == (
        "How many students does the university have?"
    )
    q = asked("Warsaw's first stock exchange was established in 1817.")
    assert q["1817"] == "When was Warsaw's first stock exchange established?"


def test_leading_adjuncts_move_to_the_end_and_prepositions_strand(asked):
    q = asked("In May 2008 the cinema relocated to the Old Town Hall, Gateshead.")
    assert q["May 2008"] == "When did the cinema relocate to the Old Town Hall?"  # no apposition
    assert q["Old Town Hall, Gateshead"] == "What did the cinema relocate to in May 2008?"


def test_subject_questions_keep_the_rest_of_the_clause(asked):
    q = asked(
        "Jon Culshaw frequently impersonates the Fourth Doctor in the BBC Dead Ringers series."
    )
    assert q["Jon Culshaw"] == "Who impersonates the Fourth Doctor in the BBC Dead Ringers series?"


def test_no_question_where_it_would_need_a_context_it_does_not_give(asked):
    assert asked("They bought the company in 2004.") == {}  # "When did they buy ...?": who?
    q = asked("Imperialism and colonialism both dictate the political advantage over a land.")
    assert "Imperialism" not in q  # half of a coordinated subject is half an answer
    assert all("?" in text and text.count("?") == 1 for text in q.values())


def test_counts_in_prepositional_phrases_and_motion_places(asked):
    assert asked("The firm sold cars in 12 countries.")["12"] == (
        "In how many countries did the firm sell cars?"
    )
    q = asked("Tesla, the famous inventor, moved to New York in 1884.")
    assert q["New York"] == "Where did Tesla move to in 1884?"  # no apposition, stranded "to"
    assert q["1884"] == "When did Tesla move to New York?"


def test_a_bridge_name_inside_a_longer_phrase_is_not_replaced():
    from synth.fact_questions import _modified

    assert _modified("What has Prime Minister ")  # "Prime Minister the person that ..."
    assert _modified("Who praised veteran star ")
    assert not _modified("What did ") and not _modified("Where has ")
    assert not _modified("")
