"""Cleaning filters on real BBC sentences with planted duplicates, PII, contamination and noise."""

from __future__ import annotations

import json

import pytest

from kgsynth.text import split_sentences, words
from kgsynth.types import DatasetVersion, Example, Provenance, example_id
from kgsynth.workspace import Workspace
from synth.clean import CleanContext, clean, make_filter
from tests.fixtures.corpus import bbc_files


def _ex(text: str, label: str | None = "x", task: str = "classify", lang: str = "en", **kw):
    return Example(
        id=example_id(task, text, kw.get("output"), label),
        task=task,
        input=text,
        label=label,
        lang=lang,
        **kw,
    )


def _grams(text: str) -> set:
    toks = words(text)
    return {tuple(toks[i : i + 3]) for i in range(max(1, len(toks) - 2))}


def _unique_sentences(per_label: int, offset: int = 0, limit: int = 150) -> list[tuple[str, str]]:
    """Real BBC sentences, 8-60 words, no two of them near duplicates (exact Jaccard < 0.3)."""
    out, seen = [], []
    for path, label in bbc_files(per_label, offset):
        text = path.read_text(encoding="utf-8", errors="replace")
        for a, b in split_sentences(text):
            s = text[a:b]
            if not 8 <= len(s.split()) <= 60 or "@" in s:
                continue
            g = _grams(s)
            if all(len(g & h) / len(g | h) < 0.3 for h in seen):
                out.append((s, label))
                seen.append(g)
    # round-robin over labels so a prefix keeps every label
    by_label: dict[str, list] = {}
    for s, label in out:
        by_label.setdefault(label, []).append((s, label))
    mixed = [x for group in zip(*by_label.values(), strict=False) for x in group]
    return mixed[:limit]


@pytest.fixture(scope="module")
def base() -> list[Example]:
    return [_ex(s, label) for s, label in _unique_sentences(3)]


@pytest.fixture
def ws(tmp_path):
    with Workspace(tmp_path / "ws") as w:
        yield w


def _run(name: str, examples: list[Example], ctx=None, **opts):
    kept, removed = make_filter(name, opts).apply(examples, ctx or CleanContext())
    return kept, {r.example.id for r in removed}, removed


def test_base_is_clean_for_cheap_filters(base):
    assert len(base) >= 100
    for name in ("normalize", "length", "quality", "exact_dedup", "near_dedup", "grounding"):
        kept, removed, _ = _run(name, base)
        assert not removed, (name, [r.reason for r in _run(name, base)[2]][:3])
        assert len(kept) == len(base)


def test_exact_duplicates(base):
    planted = [_ex("  " + e.input.upper() + "  ", e.label) for e in base[:5]]
    planted = [e.model_copy(update={"input": e.input.lower()}) for e in planted]
    kept, removed, reasons = _run("exact_dedup", base + planted)
    assert removed == {e.id for e in planted}
    assert all("exact duplicate" in r.reason for r in reasons)


def _near_copy(text: str) -> str:
    toks = text.split()
    toks[-2] = "remarkably"  # one changed word near the end, one dropped word
    return " ".join(toks[:-1] + [toks[-1].rstrip(".") + "!"])


def test_near_duplicates(base):
    planted = [_ex(_near_copy(e.input), e.label) for e in base[10:16] if len(e.input.split()) > 14]
    assert len(planted) >= 3
    kept, removed, reasons = _run("near_dedup", base + planted, threshold=0.6)
    assert removed == {e.id for e in planted}
    assert all("near duplicate" in r.reason for r in reasons)


def test_semantic_duplicates(base):
    planted = [_ex(e.input.replace(" the ", " this ", 1) + " ", e.label) for e in base[20:24]]
    kept, removed, _ = _run("semantic_dedup", base[:60] + planted, threshold=0.95)
    assert removed == {e.id for e in planted}


def test_decontamination(base, tmp_path):
    evals = [s for s, _ in _unique_sentences(2, offset=50, limit=30)]
    base_texts = {e.input for e in base}
    evals = [s for s in evals if s not in base_texts]
    (tmp_path / "eval.jsonl").write_text(
        "\n".join(json.dumps({"text": s, "label": "x"}) for s in evals[:10]), encoding="utf-8"
    )
    (tmp_path / "eval.csv").write_text(
        "text,label\n" + "\n".join(f'"{s.replace(chr(34), chr(39))}",x' for s in evals[10:20]),
        encoding="utf-8",
    )
    (tmp_path / "eval.txt").write_text("\n".join(evals[20:30]), encoding="utf-8")
    planted = [
        _ex(evals[0]),
        _ex("Meanwhile, " + evals[12].replace('"', "'")),
        _ex(evals[25] + " Officials declined to comment."),
    ]
    ctx = CleanContext(eval_sets=[tmp_path / f"eval.{x}" for x in ("jsonl", "csv", "txt")])
    kept, removed, _ = _run("decontam", base + planted, ctx)
    assert removed == {e.id for e in planted}


def test_quality_heuristics(base):
    planted = [
        _ex("buy now " * 12),
        _ex("$$$ ### @@@ !!! %%% ^^^ &&& *** ((( ))) ~~~ ... +++ ==="),
        _ex("英国首相周三在议会发表讲话，谈到了经济和就业问题。", lang="en"),
        _ex("Too short."),
    ]
    kept, removed_q, _ = _run("quality", base + planted[:3])
    assert removed_q == {e.id for e in planted[:3]}
    kept, removed_l, _ = _run("length", base + planted[3:])
    assert removed_l == {planted[3].id}


def test_grounding_for_qa(base):
    qa = []
    for e in base[:6]:
        sentence = e.input
        answer = " ".join(sentence.split()[1:3])
        qa.append(
            _ex(
                "What is said?",
                None,
                task="qa.single_fact",
                output=answer,
                provenance=Provenance(evidence=[sentence]),
            )
        )
    bad = [
        _ex(
            "Who won?",
            None,
            task="qa.single_fact",
            output="Manchester Dynamo Rovers",
            provenance=Provenance(evidence=[base[7].input]),
        ),
        _ex("Who lost?", None, task="qa.single_fact", output="Somebody", provenance=Provenance()),
    ]
    kept, removed, _ = _run("grounding", qa + bad + base[:5])
    assert removed == {e.id for e in bad}


def test_grounding_by_question_type():
    from synth.clean.grounding import supported

    ev = ["Microsoft bought Skype and LinkedIn in separate deals, the company said."]
    assert supported("Microsoft", ev)
    assert supported("It bought Skype and LinkedIn.", ev, question="What did Microsoft buy?")
    assert supported(
        "Microsoft acquired 2 companies.",
        ev,
        question="How many companies did Microsoft acquire?",
        task="qa.aggregation",
    )
    assert supported("Yes.", ev, question="Did Microsoft buy Skype?", task="qa.yes_no")
    assert not supported("Google bought Skype.", ev, question="Who bought Skype?")
    assert not supported("Yes.", [], task="qa.yes_no")
    assert supported("微软", ["微软收购了Skype。"], lang="zh")
    assert not supported("谷歌", ["微软收购了Skype。"], lang="zh")


def test_label_noise_flags_flipped_labels():
    arts = [(p.read_text(errors="replace")[:600], label) for p, label in bbc_files(16, offset=20)]
    examples = [_ex(t, label) for t, label in arts]
    flips = {0: "tech", 17: "politics", 34: "business", 50: "entertainment"}
    for i, new in flips.items():
        assert examples[i].label != new
        examples[i] = _ex(examples[i].input, new)
    kept, removed, _ = _run("label_noise", examples, drop=False)
    assert not removed
    flagged = {i for i, e in enumerate(kept) if "label_noise" in e.meta}
    assert len(flagged & set(flips)) >= 3
    assert len(flagged - set(flips)) <= 2
    kept, removed, _ = _run("label_noise", examples, drop=True)
    assert removed == {examples[i].id for i in flagged}


def test_clean_writes_a_new_version_and_report(ws, base):
    dup = base[0].model_copy(update={"id": "ex_dup", "input": base[0].input + " "})
    data = base[:40] + [
        dup,
        _ex("Contact the press office at press.office@bbc-example.co.uk for details."),
    ]
    parent = ws.catalog.save_dataset(DatasetVersion(id="ds_raw", name="bbc", stage="import"), data)
    result = clean(
        ws,
        "bbc",
        filters=["normalize", "exact_dedup", "pii"],
        options={"pii": {"types": ["EMAIL"]}},
    )
    v = result.version
    assert v.stage == "clean" and v.parents == [parent.id] and v.count == 41
    assert ws.catalog.dataset("bbc").id == v.id  # newest by name
    assert len(ws.catalog.examples("ds_raw")) == 42  # the input version is untouched
    assert result.report["summary"]["by_filter"] == {"normalize": 0, "exact_dedup": 1, "pii": 0}
    assert result.report["summary"]["modified_by_filter"]["pii"] == 1
    assert result.report_json.exists() and result.report_json.parent == ws.dir("reports")
    md = result.report_md.read_text()
    assert "exact_dedup" in md and "exact duplicate" in md and "[EMAIL]" in md
    assert v.stats["report_md"] == str(result.report_md)


def test_label_noise_never_flags_a_persons_label_and_spares_a_rare_label():
    arts = [(p.read_text(errors="replace")[:400], label) for p, label in bbc_files(30, offset=40)]
    rare = "entertainment"  # 5 examples beside 30 of each other label
    examples = [_ex(t, label) for t, label in arts if label != rare]
    rare_examples = [_ex(t, label) for t, label in arts if label == rare][:5]
    assert examples[0].label == "business"
    seed = examples[0].model_copy(update={"label": "sports", "label_source": "seed"})
    data = [seed, *examples[1:], *rare_examples]
    kept, removed, why = _run("label_noise", data, drop=True)
    assert seed.id not in removed  # a label a person gave stays, even against the classifier
    # weighted by rarity, the out-of-fold classifier does not call a rare label's examples noise
    assert not removed & {e.id for e in rare_examples}, [r.reason for r in why]
    weak = seed.model_copy(update={"label_source": "weak"})
    _, removed, _ = _run("label_noise", [weak, *data[1:]], drop=True)
    assert weak.id in removed  # the same text with a machine's label is flagged
