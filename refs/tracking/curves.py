"""Learning curves of a run, drawn with matplotlib: loss and each metric, train vs validation."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from refs.tracking.run import read_metrics

_NOT_METRICS = {"kind", "step", "epoch", "wall_time"}


def history_from_run(run_dir: str | os.PathLike) -> dict[str, list[float]]:
    """The epoch records of a run as a Keras-``History``-like dict: name -> values per epoch."""
    history: dict[str, list[float]] = {"epoch": []}
    for rec in read_metrics(run_dir, kind="epoch"):
        history["epoch"].append(rec.get("epoch", len(history["epoch"]) + 1))
        for key, value in rec.items():
            if key not in _NOT_METRICS:
                history.setdefault(key, []).append(value)
    return history


def plot_learning_curves(
    source: str | os.PathLike | Mapping[str, Sequence[float]],
    out_path: str | os.PathLike | None = None,
    title: str | None = None,
) -> Path:
    """Draw train/validation learning curves as a PNG, one panel per quantity.

    Args:
        source: a run directory (its ``metrics.jsonl`` epoch records), a ``keras.callbacks.History``
            or its ``.history`` dict (``{"loss": [...], "val_loss": [...], "accuracy": [...]}``).
        out_path: where to write the PNG; default ``<run_dir>/figures/learning_curves.png``.
        title: the figure's title.

    Returns:
        The path of the PNG. Each panel plots ``name`` (train) and ``val_name`` (validation)
        against the epoch, as the classic tutorials show them.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if isinstance(source, (str, os.PathLike)):
        history = history_from_run(source)
        if out_path is None:
            out_path = Path(source) / "figures" / "learning_curves.png"
    else:
        history = dict(getattr(source, "history", source))
    if out_path is None:
        raise ValueError("out_path is required when source is a history, not a run directory")
    epochs = list(history.pop("epoch", []))
    names = [k for k in history if not k.startswith("val_")]
    names += [k[4:] for k in history if k.startswith("val_") and k[4:] not in history]
    if not names:
        raise ValueError("no epoch metrics to plot: the history/run holds no epoch records")
    names.sort(key=lambda k: (k != "loss", k))
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.4), squeeze=False)
    for ax, name in zip(axes[0], names):
        for key, label, style in ((name, "train", "-"), (f"val_{name}", "validation", "--")):
            if key in history:
                ys = history[key]
                xs = epochs if len(epochs) == len(ys) else list(range(1, len(ys) + 1))
                ax.plot(xs, ys, style, label=label)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
