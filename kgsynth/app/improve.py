"""The closed loop, `kgsynth improve RUN`: find where a fine-tuned model is weak, synthesize examples
aimed there, retrain with the same settings and report the scores before and after side by side.

It joins the stages, so it lives in the app layer: finetune.weakness scores the run on its export's
dev split (or `dev`: any labeled file; rows without labels are scored by disagreement), synth.targeted
adds up to `budget` examples to the exported version (each saying why), the retraining data is the
old export with the new examples added to its train split only (dev and test stay as they were, so
nothing the model is scored on leaks into training), the run's own job is re-run with its own
parameters on it, and both models are scored on the same held-out rows (`eval`, else the export's
test split).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import Field

from kgsynth.errors import InputError, NotFoundError
from kgsynth.types import Record, RunRecord, Weakness

KINDS = {"train_classifier": "classifier", "train_reader": "reader"}


class ImproveReport(Record):
    run: str
    improved_run: str
    version_before: str
    version_after: str
    added: int
    weakness: Weakness
    data: str  # the retraining data folder
    eval: str  # the held-out rows both models were scored on
    before: dict[str, float] = Field(default_factory=dict)  # overall and per label / question type
    after: dict[str, float] = Field(default_factory=dict)
    report_md: str = ""

    def lines(self) -> list[str]:
        w = self.weakness
        metric = "macro-F1" if w.kind == "classifier" else "F1"
        out = [
            f"weak on {w.data}: {', '.join(w.weak_groups[:3])}"
            + (
                f"; confusions {', '.join(f'{g}->{p} {n}' for g, p, n in w.confusions[:3])}"
                if w.confusions
                else ""
            ),
            f"added {self.added} targeted examples: {self.version_before} -> {self.version_after}",
            f"retrained: {self.improved_run}",
            f"{'':<16} {'before':>8} {'after':>8}   (on {self.eval})",
        ]
        for key in self.before:
            name = metric if key == "all" else key
            out.append(f"{name:<16} {self.before[key]:>8.4f} {self.after.get(key, 0.0):>8.4f}")
        if self.report_md:
            out.append(f"report: {self.report_md}")
        return out


def improve(
    ws,
    run: str | Path,
    *,
    budget: int = 200,
    dev: str | Path | None = None,
    eval: str | Path | None = None,
    name: str | None = None,
    samples: int = 8,
    progress: Callable[[int, int], None] | None = None,
) -> ImproveReport:
    """One round of the loop on a run trained by a classifier or reader job (see the module doc)."""
    from kgsynth import jobs
    from synth.targeted import build_targeted

    record = _run_record(ws, run)
    kind = KINDS.get(record.kind)
    if kind is None:
        raise InputError(
            f"{record.path} was trained by {record.kind}: improve needs a classifier or reader run"
        )
    export = next((x for x in ws.catalog.exports() if x.path == record.data), None)
    if export is None:
        raise InputError(f"{record.path} was not trained on a kgsynth export ({record.data})")
    step = _Steps(progress, 5)
    weakness = _weakness(kind, record.path, dev or record.data, samples)
    step()
    held_out = Path(eval or record.data)
    improved = build_targeted(
        ws, export.version, weakness, budget, exclude_texts=_texts(held_out), name=name
    )
    step()
    before_ids = {e.id for e in ws.catalog.examples(export.version)}
    why = improved.stats["improve"]["why"]  # an example stored first by another version keeps
    added = [  # that version's meta: the reason it was added here comes from this version
        e.model_copy(update={"meta": {**e.meta, "improve": why[e.id]}})
        for e in ws.catalog.examples(improved.id)
        if e.id not in before_ids
    ]
    out = Path(record.path).with_name(Path(record.path).name + "-improved")
    data = _retraining_data(
        ws, Path(record.data), export.format, added, out.with_name(out.name + "-data")
    )
    step()
    job = ws.catalog.job(record.job_id) if record.job_id else None
    params: dict[str, Any] = dict(job.params) if job else {}
    params |= {"data": str(data), "out": str(out)}
    params.pop("name", None)
    trained = jobs.run_inline(ws, record.kind, params)
    if trained.state.value != "succeeded":
        raise InputError(f"retraining failed: {trained.error}")
    step()
    before, after, md = _before_after(kind, Path(record.path), out, held_out)
    step()
    report = ImproveReport(
        run=record.path,
        improved_run=str(out),
        version_before=export.version,
        version_after=improved.id,
        added=len(added),
        weakness=weakness,
        data=str(data),
        eval=str(held_out),
        before=before,
        after=after,
        report_md=str(md),
    )
    (out / "improve.json").write_text(report.model_dump_json(indent=1), encoding="utf-8")
    return report


class _Steps:
    def __init__(self, progress, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def __call__(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)


def _run_record(ws, run: str | Path) -> RunRecord:
    candidates = [Path(run), ws.dir("runs") / str(run)]
    for path in candidates:
        resolved = str(path.resolve())
        for r in ws.catalog.runs():
            if str(Path(r.path).resolve()) == resolved:
                return r
    raise NotFoundError(
        f"no training run {run!r} in this workspace; see the Fine-tune tab or "
        "train one with `kgsynth train classifier` or `kgsynth train reader`"
    )


def _weakness(kind: str, model: str, data: str | Path, samples: int) -> Weakness:
    from finetune.weakness import classifier_weakness, reader_weakness

    if kind == "classifier":
        return classifier_weakness(model, data, samples=samples)
    return reader_weakness(model, data)


def _texts(held_out: Path) -> list[str]:
    """The texts of held-out rows (never to be picked as training units)."""
    from finetune.weakness import eval_rows

    try:
        if held_out.is_dir():
            from finetune.data import find_split

            found = find_split(held_out, "test")
            if found is None:
                return []
            held_out = found
        return [str(r["text"]) for r in eval_rows(held_out)[1]]
    except InputError:
        return []  # not classification rows (a SQuAD file): nothing to exclude by text


def _retraining_data(ws, export: Path, fmt: str, added, folder: Path) -> Path:
    """A copy of the export with the new examples appended to its train split."""
    from synth.export import EXPORTERS
    from synth.provenance import ProvenanceMeta

    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(export, folder)
    exporter = EXPORTERS.get(fmt)()
    meta = ProvenanceMeta(ws)
    train = next(folder.glob("train.*"), None)
    if train is None:
        raise InputError(f"{export} has no train split")
    if fmt == "squad":
        _append_squad(train, added, meta)
        return folder
    if train.suffix != ".jsonl":
        raise InputError(f"improve appends to jsonl exports; {export} is {fmt}")
    labels = sorted({e.label for e in added if e.label})
    with train.open("a", encoding="utf-8") as f:
        for e in added:
            row = exporter.with_meta(
                exporter.row(e, labels), e, meta(e) | {"improve": e.meta["improve"]}
            )
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return folder


def _append_squad(train: Path, added, meta) -> None:
    from kgsynth.squad import QAExample, load_squad, to_squad_json

    examples = load_squad(train)
    for e in added:
        context = e.meta.get("context")
        start = e.meta.get("answer_start", -1)
        if context is None or start is None or start < 0:
            continue  # a closed-book pair: a reader needs its passage
        question = e.meta.get("question") or e.input
        examples.append(QAExample(e.id, context, question, [(e.output or "", start)], meta=meta(e)))
    train.write_text(json.dumps(to_squad_json(examples), ensure_ascii=False), encoding="utf-8")


def _before_after(kind: str, before: Path, after: Path, held_out: Path):
    """Both models scored on the same rows: overall and per group; and the side-by-side report."""
    if kind == "classifier":
        from finetune.evaluate import compare_runs, evaluate_classifier

        a = evaluate_classifier(before, held_out, after / "before")
        b = evaluate_classifier(after, held_out, after / "after")
        md = compare_runs([a.report_json, b.report_json], after / "compare")

        def scores(r):
            return {"all": r.macro.f1} | {lab: s.f1 for lab, s in r.per_class.items()}

        return scores(a), scores(b), md
    from finetune.reader import evaluate_reader

    a, b = evaluate_reader(before, held_out), evaluate_reader(after, held_out)
    lines = ["| question type | n | F1 before | F1 after |", "|---|---:|---:|---:|"]
    lines += [
        f"| {k} | {v['n']} | {v['f1']:.1f} | {b.get(k, {}).get('f1', 0.0):.1f} |"
        for k, v in a.items()
    ]
    md = after / "compare.md"
    md.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {k: v["f1"] for k, v in a.items()}, {k: v["f1"] for k, v in b.items()}, md
