"""Presentation helpers: records to table rows and DataFrames for the app's components."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kgsynth.types import Entity, Example, Fact, GraphStats, Job


def cell(value: Any, width: int = 300) -> str | int | float:
    """A table cell: numbers stay numbers, everything else becomes a short string."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def rows_frame(rows: list[dict[str, Any]]):
    """A DataFrame from query rows whose keys may differ (columns in first-seen order)."""
    import pandas as pd

    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    return pd.DataFrame([[cell(r.get(c)) for c in columns] for r in rows], columns=columns)


def entity_rows(entities: Iterable[Entity]) -> list[list]:
    return [[e.name, e.type, e.mentions, e.id] for e in entities]


def entity_choices(entities: Iterable[Entity]) -> list[tuple[str, str]]:
    return [(f"{e.name} ({e.type})", e.id) for e in entities]


def entity_markdown(entity: Entity | None, n_facts: int = 0) -> str:
    if entity is None:
        return "Select an entity: search above, or click a node in the graph."
    aliases = ", ".join(a for a in entity.aliases if a != entity.name) or "none"
    return (
        f"### {entity.name}\n**Type** {entity.type} · **mentions** {entity.mentions} · "
        f"**chunks** {len(entity.chunk_ids)} · **facts shown** {n_facts}\n\n"
        f"**Aliases** {aliases} · `{entity.id}`"
    )


def fact_rows(facts: list[Fact], doc_title, per_fact: int = 3) -> list[list]:
    """One row per evidence sentence: subject, predicate, object, weight, sentence, document."""
    rows = []
    for f in facts:
        r = f.relation
        head = [f.source.name, r.predicate, f.target.name, r.weight]
        if not r.evidence:
            rows.append(head + ["", ""])
        for ev in r.evidence[:per_fact]:
            rows.append(head + [ev.sentence, doc_title(ev.doc_id)])
    return rows


def stats_markdown(stats: GraphStats) -> str:
    return (
        f"**{stats.entities}** entities · **{stats.relations}** typed relations · "
        f"**{stats.cooccurrences}** co-occurrences · **{len(stats.entity_types)}** entity types · "
        f"**{len(stats.predicates)}** predicates"
    )


def counts_frame(counts: dict[str, int], key: str, top: int = 15):
    import pandas as pd

    items = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
    return pd.DataFrame(items, columns=[key, "count"])


def job_rows(jobs: Iterable[Job]) -> list[list]:
    out = []
    for j in jobs:
        pct = f"{round(100 * j.done / j.total)}%" if j.total else ""
        out.append(
            [j.id, j.kind, j.state.value, pct, j.message[:80], j.created_at, j.finished_at or ""]
        )
    return out


JOB_COLUMNS = ["id", "kind", "state", "progress", "message", "created", "finished"]


def example_rows(examples: Iterable[Example], width: int = 160) -> list[list]:
    return [
        [
            e.task,
            cell(e.input, width),
            cell(e.output or "", width),
            e.label or "",
            round(e.confidence, 3),
            e.label_source,
        ]
        for e in examples
    ]


EXAMPLE_COLUMNS = ["task", "input", "output", "label", "confidence", "source"]
EXAMPLE_WIDTHS = ["10%", "44%", "22%", "10%", "7%", "7%"]


def example_markdown(ex: Example | None, position: str = "") -> str:
    """The review card: the example, its label and votes, and the sentences it came from."""
    if ex is None:
        return "The queue is empty: nothing left to review in this version."
    lines = [
        f"**{ex.task}** · confidence {ex.confidence:.2f} · source {ex.label_source} {position}"
    ]
    lines += ["", "**Input**", "", _quote(ex.input)]
    if ex.output:
        lines += ["", "**Output**", "", _quote(ex.output)]
    if ex.label:
        lines += ["", f"**Label** `{ex.label}`"]
    votes = ex.meta.get("votes") or []
    if votes:
        lines += ["", "**Votes** " + ", ".join(_vote(v) for v in votes)]
    if ex.provenance.evidence:
        lines += ["", "**Evidence**"] + [f"- {_inline(s)}" for s in ex.provenance.evidence[:5]]
    return "\n".join(lines)


def _vote(v: Any) -> str:
    if isinstance(v, dict):
        return f"{v.get('source', '?')}→{v.get('label', '?')} ({float(v.get('confidence', 0)):.2f})"
    return str(v)


def _inline(text: str) -> str:
    return " ".join(text.split())[:400]


def _quote(text: str, limit: int = 1500) -> str:
    text = text if len(text) <= limit else text[:limit] + " …"
    return "\n".join("> " + line for line in text.splitlines() or [""])


def loss_frame(points: list[tuple[int, float]]):
    import pandas as pd

    return pd.DataFrame(points, columns=["step", "loss"])


def read_text(path: str | Path | None, limit: int = 200_000) -> str:
    if not path or not Path(path).is_file():
        return ""
    return Path(path).read_text(encoding="utf-8", errors="replace")[:limit]
