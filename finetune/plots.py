"""PNG charts for training and evaluation reports (matplotlib, headless Agg backend)."""

from __future__ import annotations

from pathlib import Path

from kgsynth.errors import require


def _plt():
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _plt().close(fig)
    return path


def confusion_png(matrix: list[list[int]], labels: list[str], path: Path) -> Path:
    """A confusion matrix heat map: rows are gold labels, columns predictions."""
    plt = _plt()
    n = len(labels)
    fig, ax = plt.subplots(figsize=(2 + 0.7 * n, 1.6 + 0.6 * n))
    im = ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(n), labels, rotation=45, ha="right")
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    top = max((max(r) for r in matrix), default=0) or 1
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            ax.text(
                j, i, str(v), ha="center", va="center", color="white" if v > top / 2 else "black"
            )
    fig.colorbar(im, ax=ax)
    return _save(fig, path)


def learning_curve_png(history: list[dict], path: Path) -> Path:
    """Train loss and dev macro-F1 per epoch, on two y axes."""
    plt = _plt()
    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(epochs, [h["train_loss"] for h in history], "o-", color="tab:red", label="train loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("train loss", color="tab:red")
    ax2 = ax.twinx()
    ax2.plot(epochs, [h["dev_macro_f1"] for h in history], "s-", color="tab:blue")
    ax2.set_ylabel("dev macro-F1", color="tab:blue")
    ax2.set_ylim(0, 1)
    ax.set_title("learning curve")
    return _save(fig, path)


def loss_curve_png(steps: list[dict], path: Path, title: str = "training loss") -> Path:
    """Loss per optimisation step."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([s["step"] for s in steps], [s["loss"] for s in steps], "-", color="tab:red")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    return _save(fig, path)


def compare_png(runs: dict[str, dict[str, float]], path: Path) -> Path:
    """Grouped bars: one group per metric (macro-F1, then per-class F1), one bar per run."""
    plt = _plt()
    metrics = list(dict.fromkeys(m for scores in runs.values() for m in scores))
    width = 0.8 / max(1, len(runs))
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(metrics)), 3.8))
    for k, (name, scores) in enumerate(runs.items()):
        xs = [i + k * width for i in range(len(metrics))]
        ax.bar(xs, [scores.get(m, 0.0) for m in metrics], width, label=name)
    ax.set_xticks([i + width * (len(runs) - 1) / 2 for i in range(len(metrics))], metrics)
    ax.tick_params(axis="x", rotation=30)
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1")
    ax.legend(fontsize="small")
    ax.set_title("runs compared")
    return _save(fig, path)


def bars_png(values: dict[str, float], path: Path, title: str, ylabel: str = "F1") -> Path:
    """One bar per key (e.g. F1 per question type), labelled with its value."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(5, 0.9 * len(values)), 3.5))
    bars = ax.bar(list(values), list(values.values()), color="tab:blue")
    ax.bar_label(bars, fmt="%.1f", fontsize="small")
    ax.tick_params(axis="x", rotation=30)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return _save(fig, path)
