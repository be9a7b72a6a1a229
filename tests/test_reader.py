"""The extractive reader: real MiniLM fine-tuned on a tiny SQuAD set, through the job runner, resumed
after a crash; and the SQuAD reading and scoring it relies on."""

from __future__ import annotations

import json

import pytest

from finetune.reader import ReaderConfig, train_reader
from kgsynth.errors import InputError
from kgsynth.squad import QAExample, load_squad, question_type, score, to_squad_json

FACTS = [
    ("Warsaw", "Poland", "1596", "Vistula"),
    ("Lisbon", "Portugal", "1255", "Tagus"),
    ("Prague", "Czechia", "1355", "Vltava"),
    ("Vienna", "Austria", "1156", "Danube"),
    ("Budapest", "Hungary", "1873", "Danube"),
]


def tiny_squad() -> list[QAExample]:
    out = []
    for city, country, year, river in FACTS:
        context = (
            f"{city} is the capital of {country}. It became the capital in {year}. "
            f"The city lies on the {river} river."
        )
        asks = [
            (f"Which country is {city} the capital of?", country),
            (f"When did {city} become the capital?", year),
            (f"Which river does {city} lie on?", river),
            (f"What is the capital of {country}?", city),
        ]
        for i, (q, a) in enumerate(asks):
            out.append(QAExample(f"{city}-{i}", context, q, [(a, context.index(a))], city))
    return out


def test_squad_json_round_trip_and_official_scores(tmp_path):
    examples = tiny_squad()
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(to_squad_json(examples)))
    again = load_squad(path)
    assert [(e.id, e.answers) for e in again] == [(e.id, e.answers) for e in examples]
    preds = {e.id: e.answers[0][0] for e in examples}
    preds["Warsaw-0"] = "the Poland"  # articles and punctuation are normalised away
    preds["Warsaw-1"] = "in 1596"  # half the words: EM 0, F1 2/3
    scores = score(examples, preds)
    assert scores["all"]["n"] == 20 and scores["all"]["em"] == 95.0
    assert 95.0 < scores["all"]["f1"] < 100.0 and scores["when"]["n"] == 5
    assert question_type("How many students are there?") == "how many"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"data": [{"title": "x", "paragraphs": [{"context": "abc",
        "qas": [{"id": "1", "question": "q?", "answers": [{"text": "zz", "answer_start": 0}]}]}]}]}))  # fmt: skip
    with pytest.raises(InputError, match="not in its context"):
        load_squad(bad)


class Crash(Exception):
    pass


def test_reader_learns_resumes_after_a_crash_and_reports(tmp_path):
    data = tiny_squad()
    cfg = ReaderConfig(epochs=3, lr=3e-4, batch_size=4, max_length=64, stride=32, save_steps=2)
    ckpt = tmp_path / "ckpt"

    def crash_at_step_7(done, total):
        if done == 7:
            raise Crash

    with pytest.raises(Crash):
        train_reader(data, tmp_path / "run", cfg, checkpoint_dir=ckpt, progress=crash_at_step_7)
    result = train_reader(data, tmp_path / "run", cfg, eval_data=data, checkpoint_dir=ckpt)
    assert result.resumed_from == {"epoch": 1, "step": 1}  # from the step-6 checkpoint
    assert result.epochs_run == 3 and result.train_examples == 20
    assert result.eval["all"]["n"] == 20 and result.eval["all"]["f1"] > 20  # it learned spans
    for key in ("report_json", "model_card", "loss_png", "types_png"):
        assert (tmp_path / "run" / result.files[key].split("/")[-1]).exists()
    assert not (ckpt / "reader_checkpoint.pt").exists()  # finished: nothing left to resume


def test_train_reader_job_on_a_squad_file(tmp_path):
    from kgsynth import jobs
    from kgsynth.workspace import Workspace

    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(to_squad_json(tiny_squad())))
    with Workspace(tmp_path / "ws") as ws:
        params = {"data": str(path), "eval": str(path), "epochs": 1, "max_length": 64}
        job = jobs.run_inline(ws, "train_reader", params)
        assert job.state.value == "succeeded", job.error
        assert job.result["eval"]["all"]["n"] == 20
        assert {"run_dir", "model_card", "report_json"} <= set(job.artifacts)
