"""What the CLI and the app say about a new dataset version, in the same words: its counts and,
when it holds fewer examples than were asked for, how many fewer and why."""

from __future__ import annotations

from kgsynth.types import DatasetVersion


def version_lines(v: DatasetVersion) -> list[str]:
    """`dataset <id> name=… examples=…`, the task and label counts, rejections, any shortfall."""
    lines = [f"dataset {v.id}  name={v.name}  examples={v.count}"]
    for key in ("tasks", "labels"):
        if v.stats.get(key):
            counts = ", ".join(f"{k}={n}" for k, n in sorted(v.stats[key].items()))
            lines.append(f"  {key}: {counts}")
    rejected = v.stats.get("rejected") or {}
    if rejected or "rejected_total" in v.stats:
        total = v.stats.get("rejected_total", sum(rejected.values()))
        reasons = ", ".join(f"{k}={n}" for k, n in rejected.items())
        lines.append(f"  rejected: {total}" + (f" ({reasons})" if reasons else ""))
    abstained = v.stats.get("abstained") or {}
    if any(abstained.values()):
        reasons = ", ".join(f"{k}={n}" for k, n in abstained.items())
        lines.append(
            f"  abstained (left out, no label fits well enough): {sum(abstained.values())} ({reasons})"
        )
    precision = v.stats.get("estimated_precision") or {}
    if precision:
        low = sorted(precision.items(), key=lambda kv: kv[1])[:3]
        shown = ", ".join(f"{label}={p:.2f}" for label, p in low)
        lines.append(f"  weak labels expected right (calibrated confidence), lowest: {shown}")
    short = shortfall(v)
    if short:
        lines.append(f"  {short}")
    return lines


def shortfall(v: DatasetVersion) -> str | None:
    """One line when a synthesis made fewer examples than requested, naming where they went."""
    wanted = _requested(v)
    if wanted is None or v.count >= wanted:
        return None
    why = []
    want_per_type = _wanted_per_type(v)
    selected = v.stats.get("selected") or {}
    pools = v.stats.get("candidates") if isinstance(v.stats.get("candidates"), dict) else {}
    thin = [
        f"{t} {selected.get(t, 0)} of {w} (the graph has {_count(pools.get(t, 0), 'candidate')})"
        for t, w in want_per_type.items()
        if selected.get(t, 0) < w
    ]
    if thin:
        why.append("too few candidates for " + "; ".join(thin))
    labels = v.stats.get("labels") or {}
    per_label = v.params.get("per_label")
    if isinstance(per_label, int):
        schema = _schema_labels(v)
        low = [f"{x} {labels.get(x, 0)}" for x in schema if labels.get(x, 0) < per_label]
        if low:
            why.append(f"fewer than {per_label} units for " + ", ".join(low))
    rejected = v.stats.get("rejected_total", 0)
    if rejected:
        why.append(f"{rejected} rejected by the checks")
    if selected:
        merged = sum(selected.values()) - rejected - v.count
        if merged > 0:
            why.append(f"{merged} duplicates merged")
    reason = "; ".join(why) or "the graph ran out of candidates"
    return (
        f"made {v.count} of {wanted} requested ({wanted - v.count} fewer): {reason}."
        " Ingest more documents or ask for fewer."
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _requested(v: DatasetVersion) -> int | None:
    if v.stage != "synth":
        return None
    if isinstance(v.params.get("n"), int):
        return v.params["n"]
    per_label = v.params.get("per_label")
    labels = _schema_labels(v)
    if isinstance(per_label, int) and labels:
        return per_label * len(labels)
    return None


def _wanted_per_type(v: DatasetVersion) -> dict[str, int]:
    """What build_qa asked of each QA type: n split evenly, the first types get the remainder."""
    types, n = v.params.get("types") or [], v.params.get("n")
    if not types or not isinstance(n, int):
        return {}
    return {t: n // len(types) + (1 if i < n % len(types) else 0) for i, t in enumerate(types)}


def _schema_labels(v: DatasetVersion) -> list[str]:
    schema = v.params.get("schema")
    if not isinstance(schema, dict):
        return []
    return [spec["name"] for spec in schema.get("labels", []) if spec.get("name")]
