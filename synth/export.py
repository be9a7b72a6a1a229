"""Export a dataset version as training files: Alpaca, ShareGPT, OpenAI chat, classification
JSONL/CSV, Parquet, or a Hugging Face datasets directory; with a seeded, stratified train/dev/test
split in which no near-duplicate pair (nor an augmented example and its parent) crosses splits, a
dataset card (README.md) and a LLaMA-Factory ``dataset_info.json``. Each row carries its example's id
and provenance (:mod:`synth.provenance`) in a ``meta`` field, or in a sidecar ``<split>.meta.jsonl``
keyed by id for a format that allows no extra field; ``provenance=False`` leaves it out. Closed-book
questions never cite a passage the record does not hold. Written to a temporary directory
first, then renamed into place. The examples are streamed from the version (its Parquet shards, or
the catalog): the split needs only each example's id, stratum, text and parents, and the line
formats write row by row.
"""

from __future__ import annotations

import csv
import itertools
import json
import random
import shutil
import uuid
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from kgsynth.errors import InputError
from kgsynth.registry import Registry
from kgsynth.types import DatasetVersion, Example, ExportRecord, Record
from synth.provenance import ProvenanceMeta, prompt_text

SPLITS = ("train", "dev", "test")
EXPORTERS: Registry[type[Exporter]] = Registry("exporters")


class ExportResult(Record):
    path: Path
    files: list[Path]
    counts: dict[str, int]
    warnings: list[str] = []  # e.g. an empty split


def _is_classification(e: Example) -> bool:
    return e.output is None and e.label is not None


def instruction_for(e: Example, labels: list[str]) -> tuple[str, str, str]:
    """(instruction, input, output) for instruction-tuning formats."""
    if _is_classification(e):
        task = "Classify the text" if e.task == "classify" else f"Task {e.task}: label the text"
        return f"{task}. Answer with one of: {', '.join(labels)}.", e.input, e.label or ""
    return prompt_text(e), "", e.output or ""


class Exporter(ABC):
    """One output format: rows from examples, and how a split's rows are written."""

    name: ClassVar[str] = ""
    ext: ClassVar[str] = "jsonl"
    llamafactory: ClassVar[dict[str, Any]] = {}
    streams: ClassVar[bool] = False  # True: write() takes the rows as an iterator, one by one
    # Where provenance goes: "column" (`id` and `meta` fields in each row) or "sidecar" (the
    # format allows no extra field: <split>.meta.jsonl, one line per row, keyed by id).
    provenance: ClassVar[str] = "column"
    meta_as_text: ClassVar[bool] = False  # tabular formats hold `meta` as a JSON string

    @abstractmethod
    def row(self, e: Example, labels: list[str]) -> dict[str, Any]:
        """One output row for an example."""

    def with_meta(self, row: dict[str, Any], e: Example, meta: dict[str, Any]) -> dict[str, Any]:
        """The row with its example's id and provenance (the "column" way)."""
        value = json.dumps(meta, ensure_ascii=False) if self.meta_as_text else meta
        return {**row, "id": e.id, "meta": value}

    def write(self, rows: Iterable[dict[str, Any]], path: Path) -> Path:
        path = path.with_suffix("." + self.ext)
        with path.open("w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        return path

    def finish(self, folder: Path, files: dict[str, Path]) -> None:
        """Anything written once per export, after the splits."""


@EXPORTERS.register("alpaca")
class Alpaca(Exporter):
    name = "alpaca"
    streams = True
    llamafactory = {"columns": {"prompt": "instruction", "query": "input", "response": "output"}}

    def row(self, e, labels):
        instruction, inp, out = instruction_for(e, labels)
        return {"instruction": instruction, "input": inp, "output": out}


@EXPORTERS.register("sharegpt")
class ShareGPT(Exporter):
    name = "sharegpt"
    streams = True
    llamafactory = {
        "formatting": "sharegpt",
        "columns": {"messages": "conversations"},
        "tags": {
            "role_tag": "from",
            "content_tag": "value",
            "user_tag": "human",
            "assistant_tag": "gpt",
        },
    }

    def row(self, e, labels):
        instruction, inp, out = instruction_for(e, labels)
        prompt = f"{instruction}\n\n{inp}" if inp else instruction
        return {
            "conversations": [{"from": "human", "value": prompt}, {"from": "gpt", "value": out}]
        }


@EXPORTERS.register("openai")
class OpenAIChat(Exporter):
    name = "openai"
    streams = True
    provenance = "sidecar"  # fine-tuning APIs reject unknown keys next to "messages"
    llamafactory = {
        "formatting": "sharegpt",
        "columns": {"messages": "messages"},
        "tags": {
            "role_tag": "role",
            "content_tag": "content",
            "user_tag": "user",
            "assistant_tag": "assistant",
        },
    }

    def row(self, e, labels):
        instruction, inp, out = instruction_for(e, labels)
        prompt = f"{instruction}\n\n{inp}" if inp else instruction
        return {
            "messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": out}]
        }


@EXPORTERS.register("classification-jsonl")
class ClassificationJsonl(Exporter):
    name = "classification-jsonl"
    streams = True
    llamafactory = {"columns": {"prompt": "text", "response": "label"}}

    def row(self, e, labels):
        return {
            "text": e.input,
            "label": e.label if e.label is not None else (e.output or ""),
            "id": e.id,
            "confidence": e.confidence,
        }


@EXPORTERS.register("csv")
class ClassificationCsv(ClassificationJsonl):
    name = "csv"
    ext = "csv"
    meta_as_text = True

    def write(self, rows, path):
        path = path.with_suffix(".csv")
        rows = iter(rows)
        first = next(rows, None)
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(first or ["text", "label", "id", "confidence"]))
            w.writeheader()
            w.writerows(itertools.chain([first] if first else [], rows))
        return path


def flat_row(e: Example) -> dict[str, Any]:
    """Every field of an example as a flat row (provenance comes as the shared `meta` column)."""
    return {
        "id": e.id,
        "task": e.task,
        "input": prompt_text(e),
        "output": e.output or "",
        "label": e.label or "",
        "lang": e.lang,
        "confidence": e.confidence,
        "label_source": e.label_source,
        "parent_id": e.parent_id or "",
        "template_id": e.template_id or "",
        "generator": e.generator or "",
        "target": e.output if e.output is not None else (e.label or ""),
    }


@EXPORTERS.register("parquet")
class Parquet(Exporter):
    name = "parquet"
    ext = "parquet"
    meta_as_text = True
    llamafactory = {"columns": {"prompt": "input", "response": "target"}}

    def row(self, e, labels):
        return flat_row(e)

    def write(self, rows, path):
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = path.with_suffix(".parquet")
        pq.write_table(pa.Table.from_pylist(rows), path)
        return path


@EXPORTERS.register("hf")
class HuggingFace(Parquet):
    """A datasets.DatasetDict saved with save_to_disk (one folder per split)."""

    name = "hf"
    ext = ""

    def write(self, rows, path):
        from datasets import Dataset

        Dataset.from_list(rows).save_to_disk(str(path))
        return path

    def finish(self, folder: Path, files: dict[str, Path]) -> None:
        # what DatasetDict.save_to_disk writes, so datasets.load_from_disk(folder) works
        (folder / "dataset_dict.json").write_text(json.dumps({"splits": list(files)}))


# ------------------------------------------------------------------ split


@dataclass
class SplitKey:
    """What the split needs of one example (so a large version need not be held in memory)."""

    id: str
    stratum: str  # the label, else the task
    text: str
    refs: tuple[str | None, str | None]  # the parent it was augmented from, the id it replaced

    @classmethod
    def of(cls, e: Example) -> SplitKey:
        from synth.clean.dedup import example_text

        stratum = e.label if e.label is not None else e.task
        return cls(e.id, stratum, example_text(e), (e.parent_id, e.meta.get("prev_id")))


def split_groups(keys: list[SplitKey], threshold: float = 0.7, engine=None) -> list[int]:
    """Group index per example: near duplicates (MinHash, sketched on `engine`, this process
    when None) and augmentation families share one."""
    from synth.clean.dedup import groups, near_duplicate_pairs

    found = near_duplicate_pairs([k.text for k in keys], threshold, engine=engine)
    pairs = [(i, j) for i, j, _ in found]
    index = {k.id: i for i, k in enumerate(keys)}
    for i, k in enumerate(keys):
        for ref in k.refs:
            if ref in index:
                pairs.append((index[ref], i))
    return groups(len(keys), pairs)


def stratified_split(
    examples: list[Example], fractions=(0.8, 0.1, 0.1), seed: int = 0, threshold: float = 0.7
) -> dict[str, list[Example]]:
    """Assign whole near-duplicate groups to splits, per stratum (label, else task), seeded."""
    assigned = assign_splits([SplitKey.of(e) for e in examples], fractions, seed, threshold)
    return {s: [e for e, a in zip(examples, assigned, strict=True) if a == s] for s in SPLITS}


def assign_splits(
    keys: list[SplitKey], fractions=(0.8, 0.1, 0.1), seed: int = 0, threshold=0.7, engine=None
) -> list[str]:
    """The split of each example: see :func:`stratified_split`."""
    root = split_groups(keys, threshold, engine)
    members: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(root):
        members[r].append(i)
    strata: dict[str, list[int]] = defaultdict(list)
    for r in members:
        strata[keys[r].stratum].append(r)
    rng = random.Random(seed)
    assigned: dict[int, str] = {}
    for key in sorted(strata):
        roots = strata[key]
        rng.shuffle(roots)
        roots.sort(key=lambda r: -len(members[r]))  # big groups first, then random order
        have = dict.fromkeys(SPLITS, 0)
        total = sum(len(members[r]) for r in roots)
        for r in roots:
            # the split furthest below its target share gets the next group
            name = max(SPLITS, key=lambda s: fractions[SPLITS.index(s)] * total - have[s])
            have[name] += len(members[r])
            for i in members[r]:
                assigned[i] = name
    return [assigned[i] for i in range(len(keys))]


# ------------------------------------------------------------------ export


def _labels(examples: Iterable[Example]) -> list[str]:
    return sorted({e.label for e in examples if e.label is not None})


def dataset_info(name: str, exporter: Exporter, files: dict[str, Path]) -> dict[str, Any]:
    """LLaMA-Factory dataset_info.json entries, one per split, for files in the same folder."""
    info = {}
    for split, path in files.items():
        entry: dict[str, Any] = {"file_name": path.name}
        if exporter.ext == "parquet":
            entry["formatting"] = "alpaca"
        entry.update(json.loads(json.dumps(exporter.llamafactory)))
        info[f"{name}_{split}"] = entry
    return info


def split_shares(split: str | Sequence[float]) -> tuple[float, float, float]:
    """The (train, dev, test) shares of a split, given as numbers or as text like "0.8,0.1,0.1":
    three shares of at least 0 that add up to 1, else an InputError saying so."""
    parts = split.split(",") if isinstance(split, str) else list(split)
    try:
        shares = tuple(float(x) for x in parts)
    except (TypeError, ValueError):
        shares = ()
    if len(shares) != 3 or min(shares) < 0 or abs(sum(shares) - 1) > 1e-6:
        shown = split if isinstance(split, str) else ",".join(f"{x:g}" for x in parts)
        raise InputError(
            f"split {shown!r}: give three shares (train, dev, test) of at least 0 that add up"
            " to 1, e.g. 0.8,0.1,0.1"
        )
    return shares  # type: ignore[return-value]


def export(
    ws,
    version: str | DatasetVersion,
    *,
    format: str,
    out: Path | None = None,
    split: str | Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    dedup_threshold: float = 0.7,
    provenance: bool = True,
    progress=None,
) -> ExportResult:
    """Write train/dev/test files of one format, README.md and dataset_info.json, atomically;
    each example's provenance rides along unless `provenance` is False. The export is a row of
    the catalog (``ws.catalog.exports()``)."""
    from synth.card import write_card
    from synth.versions import stream

    split = split_shares(split)
    exporter = EXPORTERS.get(format)()
    v, examples = stream(ws, version)
    out = Path(out) if out else ws.dir("exports") / f"{v.name}-{format}"
    keys = [SplitKey.of(e) for e in examples]
    assigned = assign_splits(keys, split, seed, dedup_threshold, getattr(ws, "engine", None))
    labels = _labels(examples)
    counts = {s: assigned.count(s) for s in SPLITS}
    warnings = split_warnings(keys, assigned, split, bool(labels))
    meta_of = ProvenanceMeta(ws) if provenance else None
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    try:
        written: dict[str, Path] = {}
        sidecars: list[Path] = []
        for n, s in enumerate(SPLITS):
            if counts[s]:

                def part(s=s) -> Iterator[Example]:
                    return (e for e, a in zip(examples, assigned, strict=True) if a == s)

                written[s] = _write_split(exporter, part, labels, tmp / s, meta_of)
                if meta_of and exporter.provenance == "sidecar":
                    sidecars.append(_write_sidecar(part(), tmp / f"{s}.meta.jsonl", meta_of))
            if progress:
                progress(n + 1, len(SPLITS) + 1)
        exporter.finish(tmp, written)
        info = dataset_info(v.name, exporter, written)
        (tmp / "dataset_info.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
        write_card(
            ws,
            v,
            examples,
            tmp / "README.md",
            counts=counts,
            format=format,
            split_params={
                "fractions": list(split),
                "seed": seed,
                "near_dup_threshold": dedup_threshold,
            },
        )
        _replace_dir(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    if progress:
        progress(len(SPLITS) + 1, len(SPLITS) + 1)
    files = sorted(out / p.name for p in [*written.values(), *sidecars])
    result = ExportResult(
        path=out,
        files=[*files, out / "README.md", out / "dataset_info.json"],
        counts=counts,
        warnings=warnings,
    )
    ws.catalog.save_export(
        ExportRecord(
            path=str(out.resolve()),
            version=v.id,
            format=format,
            counts=counts,
            files=[str(f) for f in result.files],
            warnings=warnings,
        )
    )
    return result


def _write_split(
    exporter: Exporter,
    part: Callable[[], Iterator[Example]],
    labels: list[str],
    path: Path,
    meta_of: ProvenanceMeta | None,
) -> Path:
    """One split's file; provenance in each row unless the format keeps it in a sidecar."""
    if meta_of and exporter.provenance == "column":
        rows = (exporter.with_meta(exporter.row(e, labels), e, meta_of(e)) for e in part())
    else:
        rows = (exporter.row(e, labels) for e in part())
    return exporter.write(rows if exporter.streams else list(rows), path)


def _write_sidecar(part: Iterable[Example], path: Path, meta_of: ProvenanceMeta) -> Path:
    """<split>.meta.jsonl: one line per row of the split's file, in its order, keyed by id."""
    with path.open("w", encoding="utf-8") as f:
        for e in part:
            f.write(json.dumps({"id": e.id, "meta": meta_of(e)}, ensure_ascii=False) + "\n")
    return path


def split_warnings(
    keys: list[SplitKey], assigned: list[str], fractions, labeled: bool
) -> list[str]:
    """What a trainer must know about the split: a split asked for but empty, and (labeled
    data) labels that a non-empty split lacks."""
    out = []
    strata = {k.stratum for k in keys}
    for share, s in zip(fractions, SPLITS, strict=True):
        have = {k.stratum for k, a in zip(keys, assigned, strict=True) if a == s}
        if share > 0 and not have:
            out.append(
                f"the {s} split is empty: {len(keys)} examples are too few for the shares"
                f" {'/'.join(f'{x:g}' for x in fractions)}; add examples or change --split"
            )
        elif labeled and strata - have:
            missing = ", ".join(sorted(strata - have)[:10])
            out.append(f"the {s} split has no example of: {missing}")
    return out


def _replace_dir(tmp: Path, out: Path) -> None:
    """Move tmp to out; an older out is moved aside first and deleted after."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        out.rename(old)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
