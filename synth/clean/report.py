"""The cleaning report: per filter, how many examples it removed or modified, why, and samples."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from kgsynth.types import DatasetVersion, utcnow

SAMPLES = 5


def _text(e) -> str:
    s = e.input if e.output is None else f"{e.input} → {e.output}"
    return s if len(s) <= 200 else s[:197] + "..."


def _reason_kind(reason: str) -> str:
    return reason.split(":", 1)[0].split(" (", 1)[0].strip()


def build_report(parent: DatasetVersion, version_id: str, steps: list[dict]) -> dict[str, Any]:
    """A JSON-able report from the steps `clean()` recorded."""
    filters = []
    for s in steps:
        reasons = Counter(_reason_kind(r.reason) for r in s["removed"])
        filters.append(
            {
                "filter": s["filter"],
                "in": s["in"],
                "kept": s["kept"],
                "removed": len(s["removed"]),
                "modified": len(s["modified"]),
                "reasons": dict(reasons.most_common()),
                "removed_samples": [
                    {"id": r.example.id, "text": _text(r.example), "reason": r.reason}
                    for r in s["removed"][:SAMPLES]
                ],
                "modified_samples": [
                    {"id": e.id, "text": _text(e), "from": e.meta.get("prev_id")}
                    for e in s["modified"][:SAMPLES]
                ],
            }
        )
    total_in = steps[0]["in"] if steps else parent.count
    total_out = steps[-1]["kept"] if steps else parent.count
    summary = {
        "in": total_in,
        "out": total_out,
        "removed": total_in - total_out,
        "by_filter": {f["filter"]: f["removed"] for f in filters},
        "modified_by_filter": {f["filter"]: f["modified"] for f in filters if f["modified"]},
    }
    return {
        "parent": parent.id,
        "version": version_id,
        "created_at": utcnow(),
        "summary": summary,
        "filters": filters,
    }


def to_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown (what the dataset card embeds)."""
    s = report["summary"]
    lines = [
        f"# Cleaning report for `{report['version']}`",
        "",
        f"From `{report['parent']}`: {s['in']} examples in, {s['out']} kept, {s['removed']} removed.",
        "",
        "| filter | in | kept | removed | modified | reasons |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for f in report["filters"]:
        reasons = ", ".join(f"{k}: {v}" for k, v in f["reasons"].items()) or "-"
        lines.append(
            f"| {f['filter']} | {f['in']} | {f['kept']} | {f['removed']} | {f['modified']} | {reasons} |"
        )
    for f in report["filters"]:
        if not (f["removed_samples"] or f["modified_samples"]):
            continue
        lines += ["", f"## {f['filter']}", ""]
        for r in f["removed_samples"]:
            lines.append(f"- removed `{r['id']}` ({r['reason']}): {_md(r['text'])}")
        for m in f["modified_samples"]:
            lines.append(f"- modified `{m['from']}` → `{m['id']}`: {_md(m['text'])}")
    return "\n".join(lines) + "\n"


def _md(s: str) -> str:
    return s.replace("\n", " ").replace("|", "\\|")


def write_report(
    ws, parent: DatasetVersion, version_id: str, steps: list[dict]
) -> tuple[dict[str, Any], Path, Path]:
    """Write clean-<version>.json and .md in ws.dir("reports")."""
    report = build_report(parent, version_id, steps)
    out = ws.dir("reports")
    json_path = out / f"clean-{version_id}.json"
    md_path = out / f"clean-{version_id}.md"
    _atomic_write(json_path, json.dumps(report, indent=2, ensure_ascii=False))
    _atomic_write(md_path, to_markdown(report))
    return report, json_path, md_path


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
