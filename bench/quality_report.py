"""Reports of the quality benchmark: JSON, a Markdown table and a plot of macro-F1 against k."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

ARM_TITLES = {
    "seeds": "(a) seeds only",
    "eda": "(b) seeds + EDA",
    "kgsynth": "(c) kgsynth",
    "gold": "(d) whole gold pool",
}
ACCURACY_KEYS = (
    "built_label_accuracy",
    "final_label_accuracy",
    "pool_label_accuracy",
    "seedclf_pool_accuracy",
    "min_label_precision",
)


def summarize(runs: list[dict]) -> dict:
    """mean ± std of macro-F1 (and label accuracies, seconds) per arm and k."""
    grouped: dict = {}
    for r in runs:
        if r.get("label_precision"):
            r["min_label_precision"] = min(p["precision"] for p in r["label_precision"].values())
        if "macro_f1" in r:
            grouped.setdefault(r["arm"], {}).setdefault(r["k"], []).append(r)
    table: dict = {}
    for arm, by_k in grouped.items():
        for k, rs in by_k.items():
            f1 = [r["macro_f1"] for r in rs]
            entry = {
                "macro_f1_mean": round(statistics.fmean(f1), 4),
                "macro_f1_std": round(statistics.pstdev(f1), 4) if len(f1) > 1 else 0.0,
                "seconds_mean": round(statistics.fmean(r["seconds"] for r in rs), 1),
                "train_size_mean": round(statistics.fmean(r["train_size"] for r in rs)),
                "runs": len(rs),
            }
            for key in ACCURACY_KEYS:
                vals = [r[key] for r in rs if r.get(key) is not None]
                if vals:
                    entry[key] = round(statistics.fmean(vals), 4)
            table.setdefault(arm, {})[k] = entry
    return table


def gaps(table: dict) -> dict:
    """Per k: kgsynth minus gold and kgsynth minus EDA, in macro-F1 points."""
    out = {}
    gold = next(iter(table.get("gold", {}).values()), None)
    for k, entry in table.get("kgsynth", {}).items():
        row = {}
        if gold:
            row["kgsynth_minus_gold"] = round(
                100 * (entry["macro_f1_mean"] - gold["macro_f1_mean"]), 2
            )
        if k in table.get("eda", {}):
            eda = table["eda"][k]["macro_f1_mean"]
            row["kgsynth_minus_eda"] = round(100 * (entry["macro_f1_mean"] - eda), 2)
        out[k] = row
    return out


def write_reports(result: dict, out: Path) -> list[Path]:
    """results.json, results.md and quality.png in `out`."""
    table = summarize(result["runs"])
    result["summary"] = {str(a): {str(k): v for k, v in t.items()} for a, t in table.items()}
    result["gaps"] = {str(k): v for k, v in gaps(table).items()}
    paths = [out / "results.json", out / "results.md"]
    paths[0].write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    paths[1].write_text(markdown(result, table), encoding="utf-8")
    png = plot(table, out / "quality.png")
    return paths + ([png] if png else [])


def markdown(result: dict, table: dict) -> str:
    ks = sorted({k for by_k in table.values() for k in by_k})
    cfg = result["train"]
    lines = [
        "# kgsynth classification quality",
        "",
        f"Data: {result['data']} — labels {', '.join(result['labels'])}; pool {result['pool']},"
        f" held-out test {result['test']}. Classifier: {cfg['classifier']}"
        f" (max_length {cfg['max_length']}, {cfg['epochs']} epochs, ≥{cfg['min_steps']} steps,"
        f" lr {cfg['lr']}, batch {cfg['batch_size']}).",
        "",
        "Macro-F1 on the held-out test set, mean ± std over seed draws"
        " (the gold arm does not depend on k).",
        "",
        "| arm | " + " | ".join(f"k={k}" for k in ks) + " | seconds/run | train size |",
        "|---|" + "---|" * (len(ks) + 2),
    ]
    for arm in ARM_TITLES:
        if arm not in table:
            continue
        cells = []
        for k in ks:
            e = table[arm].get(k)
            cells.append(
                f"{100 * e['macro_f1_mean']:.1f} ± {100 * e['macro_f1_std']:.1f}" if e else ""
            )
        secs = statistics.fmean(e["seconds_mean"] for e in table[arm].values())
        size = statistics.fmean(e["train_size_mean"] for e in table[arm].values())
        lines.append(
            f"| {ARM_TITLES[arm]} | " + " | ".join(cells) + f" | {secs:.0f} | {size:.0f} |"
        )
    if "kgsynth" in table:
        lines += ["", "kgsynth weak labels against the pool's true labels (accuracy):", ""]
        lines += [
            "| k | built set | after annotate + clean | whole pool | seeds-only classifier on"
            " the pool | lowest per-label precision (built set) |",
            "|---|---|---|---|---|---|",
        ]
        for k, e in sorted(table["kgsynth"].items()):
            vals = [e.get(key) for key in ACCURACY_KEYS]
            lines.append(
                f"| {k} | " + " | ".join("" if v is None else f"{100 * v:.1f}" for v in vals) + " |"
            )
    lines += _labeling_lines(result["runs"])
    for k, g in sorted(gaps(table).items()):
        parts = [f"{name.replace('_', ' ')} {v:+.1f} points" for name, v in g.items()]
        lines.append(f"\nk={k}: " + "; ".join(parts))
    ingest = result.get("pool_ingest") or {}
    if ingest:
        lines.append(
            f"\nPool ingest (shared by every kgsynth run): {ingest.get('seconds')} s — {ingest.get('ingest')}"
        )
    lines.append(f"\nTotal: {result['seconds']:.0f} s.")
    return "\n".join(lines) + "\n"


def _labeling_lines(runs: list[dict]) -> list[str]:
    """Per kgsynth run: self-training rounds (held-out seed accuracy), abstentions, label precision."""
    lines = []
    for r in runs:
        lab = r.get("labeling") or {}
        if r.get("arm") != "kgsynth" or not lab:
            continue
        rounds = " → ".join(
            f"{x['heldout_accuracy']:.2f}" + ("" if x.get("kept", True) else " (stop)")
            for x in lab.get("rounds", [])
        )
        weights = ", ".join(f"{n} {w:.1f}" for n, w in lab.get("lf_weights", {}).items())
        abstained = r.get("abstained") or {}
        estimated = r.get("estimated_precision") or {}
        precision = ", ".join(
            f"{name} {p['precision']:.2f} ({p['n']}"
            + (f", kgsynth expected {estimated[name]:.2f})" if name in estimated else ")")
            for name, p in (r.get("label_precision") or {}).items()
        )
        lines += [
            "",
            f"k={r['k']} draw {r['draw']}: seed held-out accuracy by self-training round {rounds};"
            f" LF weights {weights}; abstained {abstained}.",
            f"Per-label precision of the built set: {precision}.",
        ]
    return lines


def plot(table: dict, path: Path) -> Path | None:
    """Macro-F1 against k per arm, with std error bars; gold as a horizontal band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not table:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    ks = sorted({k for by_k in table.values() for k in by_k})
    for arm, title in ARM_TITLES.items():
        if arm not in table:
            continue
        if arm == "gold":
            e = next(iter(table[arm].values()))
            m, s = 100 * e["macro_f1_mean"], 100 * e["macro_f1_std"]
            ax.axhline(m, color="black", linestyle="--", label=title)
            ax.axhspan(m - s, m + s, color="black", alpha=0.08)
            continue
        xs = [k for k in ks if k in table[arm]]
        ys = [100 * table[arm][k]["macro_f1_mean"] for k in xs]
        es = [100 * table[arm][k]["macro_f1_std"] for k in xs]
        ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, label=title)
    ax.set_xlabel("seed examples per label (k)")
    ax.set_ylabel("macro-F1 on held-out test (%)")
    ax.set_xticks(ks)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
