"""How each arm's questions read, and the QA benchmark's report files (JSON, Markdown, a bar chart)."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from pathlib import Path

from kgsynth.squad import QAExample, f1_score, question_type

TITLES = {
    "cloze": "(a) cloze baseline",
    "kgsynth": "(b) kgsynth",
    "kgsynth-model": "(b') kgsynth, model generator",
    "gold": "(c) human questions, other articles",
}
_SENTENCE_END = re.compile(r"[.!?](?=\s)")


def text_quality(pairs: list[QAExample], fluency: bool, fluency_n: int = 500) -> dict:
    """Overlap, distinct-2, length, wh-words and (on a sample) perplexity of an arm's questions."""
    from synth.qa_report import STOP, distinct_n, perplexities

    questions = [p.question for p in pairs]
    overlaps = []
    for p in pairs:
        q = {w for w in re.findall(r"\w+", p.question.lower()) if w not in STOP}
        s = set(re.findall(r"\w+", answer_sentence(p).lower()))
        overlaps.append(len(q & s) / len(q) if q else 0.0)
    out = {
        "n": len(pairs),
        "question_context_overlap": round(statistics.fmean(overlaps), 3) if overlaps else 0.0,
        "distinct_2": round(distinct_n(questions, 2), 3),
        "mean_question_words": round(statistics.fmean(len(q.split()) for q in questions), 1),
        "wh_words": dict(Counter(question_type(q) for q in questions).most_common(8)),
    }
    if fluency and pairs:
        from kgsynth.generators.models import smollm2_dir

        sample = questions[:fluency_n]
        out["median_ppl"] = round(statistics.median(perplexities(sample, smollm2_dir())), 1)
    return out


def roundtrip_rate(pairs: list[QAExample], reader: str) -> float:
    from kgsynth.qa_reader import load_reader, predict

    net, tok = load_reader(reader)
    got = predict(net, tok, pairs)
    return sum(f1_score(got[p.id], p.answers[0][0]) >= 0.5 for p in pairs) / len(pairs)


def answer_sentence(p: QAExample) -> str:
    """The sentence of the context that holds the (first) answer."""
    text, start = p.context, p.answers[0][1] if p.answers else 0
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    a = max([e for e in ends if e <= start], default=0)
    b = min([e for e in ends if e > start], default=len(text))
    return text[a:b]


def write_results(result: dict, out: Path) -> list[Path]:
    arms = result["arms"]
    result["ratios"] = ratios(arms)
    paths = [out / "results.json", out / "results.md"]
    paths[0].write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    paths[1].write_text(markdown(result), encoding="utf-8")
    print(paths[1].read_text(encoding="utf-8"))
    png = plot(arms, out / "qa_quality.png")
    return paths + [png]


def ratios(arms: dict) -> dict:
    out = {}
    if "kgsynth" in arms and "gold" in arms and arms["gold"]["f1"]:
        out["kgsynth_f1_over_gold"] = round(arms["kgsynth"]["f1"] / arms["gold"]["f1"], 3)
    if "kgsynth" in arms and "cloze" in arms:
        out["kgsynth_f1_minus_cloze"] = round(arms["kgsynth"]["f1"] - arms["cloze"]["f1"], 2)
    if "cloze" in arms and "gold" in arms and arms["gold"]["f1"]:
        out["cloze_f1_over_gold"] = round(arms["cloze"]["f1"] / arms["gold"]["f1"], 3)
    return out


def markdown(result: dict) -> str:
    arms, quality = result["arms"], result["quality"]
    s = result["settings"]
    lines = [
        "# kgsynth QA quality: the same reader trained on each arm",
        "",
        f"Data: `{Path(result['data']).name}`; {result['target_articles']} target articles,"
        f" {result['test_questions']} human test questions about them. Reader: all-MiniLM-L6-v2"
        f" QA head, {s['epochs']} epochs, lr {s['lr']}, batch {s['batch_size']},"
        f" max length {s['max_length']}; {s['draws']} training seed(s).",
        "",
        "| arm | train pairs | F1 | EM | s/run |",
        "|---|---:|---:|---:|---:|",
    ]
    for arm, title in TITLES.items():
        if arm in arms:
            a = arms[arm]
            lines.append(
                f"| {title} | {a['n_train']} | {a['f1']:.1f} ± {a['f1_std']:.1f} |"
                f" {a['em']:.1f} ± {a['em_std']:.1f} | {a['seconds']:.0f} |"
            )
    lines += ["", *[f"- {k}: {v}" for k, v in result["ratios"].items()], ""]
    lines += [
        "How the training questions read (round-trip: a reader trained on the gold arm recovers"
        " the answer with F1 ≥ 0.5; overlap: share of the question's content words in the answer's"
        " sentence):",
        "",
        "| arm | round-trip | overlap | distinct-2 | words | perplexity | wh-words |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for arm, q in quality.items():
        wh = ", ".join(f"{k} {v}" for k, v in list(q["wh_words"].items())[:5])
        lines.append(
            f"| {TITLES.get(arm, arm)} | {_fmt(q.get('answerable_correct'))} |"
            f" {q['question_context_overlap']:.2f} | {q['distinct_2']:.2f} |"
            f" {q['mean_question_words']:.1f} | {q.get('median_ppl', '–')} | {wh} |"
        )
    return "\n".join(lines) + "\n"


def _fmt(x) -> str:
    return "–" if x is None else f"{x:.1%}"


def plot(arms: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [a for a in TITLES if a in arms]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    f1 = [arms[a]["f1"] for a in names]
    bars = ax.bar(names, f1, yerr=[arms[a]["f1_std"] for a in names], color="tab:blue")
    ax.bar_label(bars, fmt="%.1f")
    ax.set_ylabel("SQuAD F1 on human questions")
    ax.set_title("Reader trained on each arm")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
