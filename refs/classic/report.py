"""Render the ``results.json`` of a classic suite as markdown (docs tables come from here)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_SUITE_METRICS = {
    "regression": ["mse", "loss"],
    "binary": ["accuracy", "sign_accuracy", "rounded_accuracy", "loss"],
    "multiclass": ["accuracy", "loss"],
    "imbalanced": ["tp", "fn", "fp", "recall", "precision", "pr_auc"],
    "mnist9": ["accuracy", "recall", "precision"],
}


def _fmt(stat: dict | None, digits: int) -> str:
    if not stat:
        return "–"
    mean, std = stat["mean"], stat["std"]
    if float(mean).is_integer() and float(std).is_integer() and digits == 0:
        return f"{mean:.0f} ± {std:.0f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def suite_table(doc: dict[str, Any]) -> str:
    """One markdown table: a row per configuration and metric, reported vs measured."""
    suite = doc["suite"]
    names = _SUITE_METRICS.get(suite, ["loss"])
    lines = [f"### {suite} (seeds {doc['seeds']}, {doc['runtime_s']:.0f} s)", "",
             "| config | loss | metric | reported train / test | measured train | measured test |",
             "|---|---|---|---|---|---|"]
    for row in doc["rows"]:
        m = row["metrics"]
        rep = row.get("reported") or {}
        for metric in names:
            if f"train/{metric}" not in m and f"test/{metric}" not in m:
                continue
            digits = 0 if metric in ("tp", "fn", "fp") else 3
            reported = (f"{rep['train']:.3f} / {rep['test']:.3f}"
                        if rep.get("metric") == metric else "")
            lines.append(f"| {row['config']} | `{row['loss']}` | {metric} | {reported} | "
                         f"{_fmt(m.get(f'train/{metric}'), digits)} | "
                         f"{_fmt(m.get(f'test/{metric}'), digits)} |")
    lines += ["", "Notes:", ""]
    lines += [f"- **{row['config']}**: {row['note']}" for row in doc["rows"] if row.get("note")]
    return "\n".join(lines) + "\n"


def render(path: str | os.PathLike) -> str:
    """Markdown for a ``results.json`` file or a run directory holding one (or holding suite
    subdirectories, for ``--suite all``)."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(path.glob("**/results.json"))
    if not files:
        raise FileNotFoundError(f"no results.json under {path}")
    return "\n".join(suite_table(json.loads(f.read_text())) for f in files)
