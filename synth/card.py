"""The dataset card (README.md) of an export: counts, sources, generators, lineage, the cleaning
report of the version's lineage (if any) and a provenance summary."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from kgsynth.types import DatasetVersion, Example


def _table(counter: Counter | dict, head: tuple[str, str], by_count: bool = True) -> list[str]:
    if not counter:
        return ["(none)"]
    items = list(counter.items())
    if by_count:
        items.sort(key=lambda kv: (-kv[1], str(kv[0])))
    rows = [f"| {head[0]} | {head[1]} |", "| --- | ---: |"]
    return rows + [f"| {k} | {v} |" for k, v in items]


def provenance_summary(examples: list[Example]) -> dict[str, Any]:
    """How many examples cite triples, chunks, documents and evidence sentences."""
    n = len(examples) or 1
    p = [e.provenance for e in examples]
    return {
        "examples": len(examples),
        "with_triples": sum(bool(x.triple_ids) for x in p),
        "with_chunks": sum(bool(x.chunk_ids) for x in p),
        "with_evidence": sum(bool(x.evidence) for x in p),
        "documents": len({d for x in p for d in x.doc_ids}),
        "augmented": sum(e.parent_id is not None for e in examples),
        "evidence_share": round(sum(bool(x.evidence) for x in p) / n, 3),
    }


def _sources(ws, examples: list[Example], limit: int = 10) -> list[str]:
    counts = Counter(d for e in examples for d in e.provenance.doc_ids)
    out = []
    for doc_id, n in counts.most_common(limit):
        doc = ws.catalog.document(doc_id)
        out.append(f"- `{doc.source if doc else doc_id}`: {n} examples")
    if len(counts) > limit:
        out.append(f"- ... and {len(counts) - limit} more documents")
    return out or ["(no document provenance)"]


def cleaning_report(ws, version: DatasetVersion) -> str | None:
    """The Markdown cleaning report of the newest "clean" version in the lineage, if any."""
    from synth.versions import lineage

    for v in lineage(ws, version):
        path = v.stats.get("report_md")
        if v.stage == "clean" and path and Path(path).exists():
            text = Path(path).read_text(encoding="utf-8")
            text = text.replace("\n## ", "\n#### ")
            return "### " + text.removeprefix("# ")
    return None


def render_card(
    ws,
    version: DatasetVersion,
    examples: list[Example],
    *,
    counts: dict[str, int] | None = None,
    format: str = "",
    split_params: dict[str, Any] | None = None,
) -> str:
    """The card's Markdown text (with a YAML header the Hugging Face hub reads)."""
    from synth.versions import lineage

    labels = Counter(e.label for e in examples if e.label is not None)
    tasks = Counter(e.task for e in examples)
    langs = sorted({e.lang for e in examples}) or ["en"]
    lines = [
        "---",
        "language:",
        *[f"- {lang}" for lang in langs],
        f"pretty_name: {version.name}",
        "tags:",
        "- kgsynth",
        "- synthetic",
        "---",
        "",
        f"# {version.name}",
        "",
        f"Dataset version `{version.id}` (stage `{version.stage}`), {len(examples)} examples, "
        "built with kgsynth." + (f" Export format: `{format}`." if format else ""),
        "",
    ]
    if counts:
        lines += ["## Splits", "", *_table(counts, ("split", "examples"), by_count=False)]
        if split_params:
            lines += ["", f"Stratified split: {split_params}; near duplicates never cross splits."]
        lines.append("")
    lines += ["## Labels", "", *_table(labels, ("label", "examples")), ""]
    lines += ["## Task types", "", *_table(tasks, ("task", "examples")), ""]
    lines += [
        "## Label sources",
        "",
        *_table(Counter(e.label_source for e in examples), ("label source", "examples")),
        "",
    ]
    gens = Counter(e.generator or "(none)" for e in examples)
    lines += ["## Generators", "", *_table(gens, ("generator", "examples")), ""]
    templates = Counter(e.template_id for e in examples if e.template_id)
    if templates:
        lines += ["## Templates", "", *_table(templates, ("template", "examples")), ""]
    qa = [e for e in examples if e.output is not None]
    if qa:
        from synth.qa_report import quick_quality

        lines += ["## QA quality", "", *[f"- {x}" for x in quick_quality(qa).lines()], ""]
    lines += ["## Sources", "", *_sources(ws, examples), ""]
    prov = provenance_summary(examples)
    lines += ["## Provenance", "", *_table(prov, ("measure", "value"), by_count=False), ""]
    lines += [
        "## Lineage",
        "",
        "| version | stage | examples | params |",
        "| --- | --- | ---: | --- |",
    ]
    for v in lineage(ws, version):
        params = ", ".join(f"{k}={v.params[k]}" for k in sorted(v.params))[:120]
        lines.append(f"| `{v.id}` | {v.stage} | {v.count} | {params.replace('|', '/')} |")
    report = cleaning_report(ws, version)
    lines += [
        "",
        "## Cleaning report",
        "",
        report or "No cleaning step in this version's lineage.",
        "",
    ]
    return "\n".join(lines)


def write_card(ws, version: DatasetVersion, examples: list[Example], path: Path, **kw) -> Path:
    """Write README.md for an export."""
    path.write_text(render_card(ws, version, examples, **kw), encoding="utf-8")
    return path
