"""``Run``: one experiment's directory, its config, its metrics and its TensorBoard events."""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from refs.tracking.images import image_grid, to_uint8, write_png

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
_VERSIONED = ("refs", "tensorflow", "keras", "numpy", "tensorboard", "scikit-learn", "matplotlib")


def utc_timestamp() -> str:
    """The current UTC time as ``YYYYmmddTHHMMSSZ`` (sortable, safe in paths)."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def default_run_dir(area: str, name: str | None = None, root: str | os.PathLike = "runs") -> Path:
    """``<root>/<area>/<UTC timestamp>-<name>``; the name is reduced to ``[A-Za-z0-9._-]``."""
    stamp = utc_timestamp()
    if name:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")
        stamp = f"{stamp}-{safe}" if safe else stamp
    return Path(root) / area / stamp


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages a result depends on (``None`` when not installed)."""
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_info(path: str | os.PathLike | None = None) -> dict[str, Any] | None:
    """``{"commit": sha, "dirty": bool}`` of the checkout holding ``path``, or ``None``."""
    cwd = Path(path) if path else Path(__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5
        )
        if sha.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd, capture_output=True, text=True, timeout=5,
        )
        return {"commit": sha.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return None


def command_line() -> list[str]:
    """The command that started this process as a user typed it: ``python -m refs.gan.train
    --epochs 2`` rather than the module's file path."""
    orig = list(getattr(sys, "orig_argv", []))
    if "-m" in orig:
        i = orig.index("-m")
        if i + 1 < len(orig):
            return ["python", "-m", orig[i + 1], *sys.argv[1:]]
    return list(sys.argv)


def _jsonable(value: Any) -> Any:
    """Make numpy scalars, paths, tuples and non-finite floats JSON-safe."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf": JSON has no literal for them
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _hparam_value(value: Any) -> bool | int | float | str:
    """The HParams plugin takes bool, int, float or str; anything else becomes its str()."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def read_config(run_dir: str | os.PathLike) -> dict[str, Any]:
    """The ``config.json`` of a run directory."""
    return json.loads((Path(run_dir) / CONFIG_FILE).read_text())


def read_metrics(run_dir: str | os.PathLike, kind: str | None = None) -> list[dict[str, Any]]:
    """The records of a run's ``metrics.jsonl``, optionally only those of one ``kind``.

    A truncated last line (a crash mid-write) is skipped, not an error.
    """
    path = Path(run_dir) / METRICS_FILE
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if kind is None or rec.get("kind") == kind:
            records.append(rec)
    return records


def read_run(run_dir: str | os.PathLike) -> dict[str, Any]:
    """A finished or running run read back: ``{"path", "config", "results", "steps", "epochs",
    "evals"}`` (``config.json``; ``results.json`` or ``{}``; the ``metrics.jsonl`` records of
    each kind)."""
    path = Path(run_dir)
    results_file = path / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    return {"path": path, "config": read_config(path), "results": results,
            "steps": read_metrics(path, kind="step"), "epochs": read_metrics(path, kind="epoch"),
            "evals": read_metrics(path, kind="eval")}


def _drop_events_after(path: Path, step: int) -> int:
    """Rewrite the TensorBoard event file ``path`` without summaries logged after ``step`` and
    without HParams summaries; a record cut short by a crash ends the file. Returns the count
    of dropped records."""
    import tensorflow as tf
    from tensorboard.compat.proto import event_pb2

    kept, dropped = [], 0
    try:
        for raw in tf.data.TFRecordDataset(str(path)).as_numpy_iterator():
            event = event_pb2.Event.FromString(raw)
            plugins = {v.metadata.plugin_data.plugin_name for v in event.summary.value}
            if event.HasField("summary") and (event.step > step or "hparams" in plugins):
                dropped += 1
                continue
            kept.append(raw)
    except tf.errors.DataLossError:
        dropped += 1
    if dropped:
        tmp = path.with_name(".partial-" + path.name)
        with tf.io.TFRecordWriter(str(tmp)) as writer:
            for raw in kept:
                writer.write(raw)
        os.replace(tmp, path)
    return dropped


class Run:
    """One experiment run: a directory and the writers into it.

    Args:
        area: ``"gan"``, ``"detection"``, ``"classic"``...; the default directory's parent.
        name: a short label appended to the timestamp of the default directory.
        run_dir: use this directory instead of ``<root>/<area>/<timestamp>-<name>``. If it already
            holds a run, the run is continued: metrics are appended, the config is kept.
        root: parent of the default directories (``runs``).
        config: hyperparameters to record in ``config.json`` (see :meth:`log_config`).
        enabled: ``False`` turns every write into a no-op (non-chief workers in a distributed run).

    All ``log_*`` methods take an integer ``step``; TensorBoard plots against it.
    """

    def __init__(
        self,
        area: str,
        name: str | None = None,
        run_dir: str | os.PathLike | None = None,
        root: str | os.PathLike = "runs",
        config: Mapping[str, Any] | None = None,
        enabled: bool = True,
    ):
        self.area = area
        self.name = name
        self.enabled = enabled
        self.path = Path(run_dir) if run_dir else default_run_dir(area, name, root)
        self.resumed = (self.path / CONFIG_FILE).exists()
        self._writer = None
        self._metrics_file = None
        self._last_step = 0
        if enabled:
            self.path.mkdir(parents=True, exist_ok=True)
            if self.resumed:
                previous = read_metrics(self.path)
                steps = [r["step"] for r in previous if isinstance(r.get("step"), int)]
                self._last_step = max(steps, default=0)
        if config is not None:
            self.log_config(config)

    # -- directories ---------------------------------------------------------------------------
    @property
    def figure_dir(self) -> Path:
        d = self.path / "figures"
        if self.enabled:
            d.mkdir(parents=True, exist_ok=True)
        return d

    # -- writers -------------------------------------------------------------------------------
    @property
    def writer(self):
        """The run's ``tf.summary`` writer (created on first use)."""
        if self._writer is None:
            import tensorflow as tf

            self._writer = tf.summary.create_file_writer(str(self.path))
        return self._writer

    def _append(self, record: dict[str, Any]) -> None:
        if self._metrics_file is None:
            self._metrics_file = open(self.path / METRICS_FILE, "a", buffering=1)
        self._metrics_file.write(json.dumps(_jsonable(record)) + "\n")

    # -- config --------------------------------------------------------------------------------
    def log_config(self, config: Mapping[str, Any], overwrite: bool = False) -> dict[str, Any]:
        """Write ``config.json`` (hyperparameters, versions, git commit, command) and show it in
        TensorBoard's Text tab as a table. A continued run keeps its first config unless
        ``overwrite``; the config in effect is returned."""
        if not self.enabled:
            return dict(config)
        path = self.path / CONFIG_FILE
        if path.exists() and not overwrite:
            return read_config(self.path)
        doc = {
            "area": self.area,
            "name": self.name,
            "created": utc_timestamp(),
            "hparams": _jsonable(dict(config)),
            "versions": package_versions(),
            "git": git_info(),
            "command": command_line(),
        }
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n")
        os.replace(tmp, path)
        rows = ["| hyperparameter | value |", "|---|---|"]
        rows += [f"| {k} | {json.dumps(_jsonable(v))} |" for k, v in sorted(dict(config).items())]
        self.log_text("config", "\n".join(rows), step=0)
        return doc

    # -- scalars -------------------------------------------------------------------------------
    def log_scalars(
        self,
        metrics: Mapping[str, float],
        step: int,
        kind: str = "step",
        epoch: int | None = None,
        prefix: str = "",
    ) -> None:
        """Log scalars at ``step`` to TensorBoard and as one line of ``metrics.jsonl``.

        Args:
            metrics: tag -> number. Tags may contain ``/`` to group them in TensorBoard.
            step: the x-axis value (global step or epoch).
            kind: what the record is (``"step"``, ``"epoch"``, ``"eval"``, ``"final"``).
            epoch: the epoch, recorded in ``metrics.jsonl`` when given.
            prefix: prepended to each TensorBoard tag (``metrics.jsonl`` keeps the bare names).
        """
        if not self.enabled:
            return
        import tensorflow as tf

        values = {str(k): float(np.asarray(v)) for k, v in metrics.items()}
        record = {"kind": kind, "step": int(step), "wall_time": time.time()}
        if epoch is not None:
            record["epoch"] = int(epoch)
        record.update(values)
        self._append(record)
        self._last_step = max(self._last_step, int(step))
        with self.writer.as_default():
            for tag, value in values.items():
                tf.summary.scalar(prefix + tag, value, step=int(step))

    # -- images --------------------------------------------------------------------------------
    def log_images(self, tag: str, images: np.ndarray, step: int, max_outputs: int = 16) -> None:
        """Log a batch of images (N, H, W[, C]), uint8 or float (see ``images.to_uint8``)."""
        if not self.enabled:
            return
        import tensorflow as tf

        arr = to_uint8(images)
        if arr.ndim == 3:
            arr = arr[..., None]
        with self.writer.as_default():
            tf.summary.image(tag, arr, step=int(step), max_outputs=max_outputs)

    def log_image_grid(
        self,
        tag: str,
        images: np.ndarray,
        step: int,
        ncols: int | None = None,
        png: bool = True,
        value_range: tuple[float, float] | None = None,
        png_name: str | None = None,
    ) -> Path | None:
        """Tile ``images`` into one grid, log it to TensorBoard and (``png``) save it as
        ``figures/<png_name>`` (default ``<tag>_<step>.png``); returns the PNG's path."""
        if not self.enabled:
            return None
        grid = image_grid(images, ncols=ncols, value_range=value_range)
        self.log_images(tag, grid[None], step, max_outputs=1)
        if not png:
            return None
        out = self.figure_dir / (png_name or f"{tag.replace('/', '_')}_{int(step):06d}.png")
        write_png(out, grid)
        return out

    def log_figure(self, tag: str, figure, step: int = 0, close: bool = True) -> Path | None:
        """Save a matplotlib figure as ``figures/<tag>.png`` and log it to TensorBoard."""
        if not self.enabled:
            return None
        out = self.figure_dir / f"{tag.replace('/', '_')}.png"
        figure.savefig(out, dpi=100, bbox_inches="tight")
        if close:
            import matplotlib.pyplot as plt

            plt.close(figure)
        self.log_png(tag, out, step)
        return out

    def log_png(self, tag: str, png_path: str | os.PathLike, step: int = 0) -> None:
        """Log an existing PNG file to TensorBoard's Images tab."""
        if not self.enabled:
            return
        import tensorflow as tf

        image = tf.io.decode_png(tf.io.read_file(str(png_path)), channels=0)
        with self.writer.as_default():
            tf.summary.image(tag, image[None], step=int(step))

    # -- text, histograms, PR curves -----------------------------------------------------------
    def log_text(self, tag: str, text: str, step: int = 0) -> None:
        """Log markdown text (tables render) to TensorBoard's Text tab."""
        if not self.enabled:
            return
        import tensorflow as tf

        with self.writer.as_default():
            tf.summary.text(tag, text, step=int(step))

    def log_histogram(self, tag: str, values: np.ndarray, step: int, buckets: int = 30) -> None:
        """Log the distribution of ``values`` to TensorBoard's Histograms tab."""
        if not self.enabled:
            return
        import tensorflow as tf

        with self.writer.as_default():
            tf.summary.histogram(
                tag, np.asarray(values, np.float32), step=int(step), buckets=buckets
            )

    def log_pr_curve(
        self,
        tag: str,
        labels: np.ndarray,
        scores: np.ndarray,
        step: int,
        num_thresholds: int = 101,
    ) -> None:
        """Log a precision-recall curve (TensorBoard's PR Curves tab).

        Args:
            labels: 0/1 ground truth per prediction.
            scores: the predicted probability of class 1, in [0, 1].
        """
        if not self.enabled:
            return
        import tensorflow as tf
        from tensorboard.plugins.pr_curve import summary as pr_summary

        labels = np.asarray(labels).astype(bool).ravel()
        scores = np.asarray(scores, np.float64).ravel()
        if labels.shape != scores.shape:
            raise ValueError(f"labels {labels.shape} and scores {scores.shape} must match")
        thresholds = np.linspace(0.0, 1.0, num_thresholds)
        predicted = scores[None, :] >= thresholds[:, None]
        tp = (predicted & labels[None]).sum(1).astype(np.float64)
        fp = (predicted & ~labels[None]).sum(1).astype(np.float64)
        fn = labels.sum() - tp
        tn = (~labels).sum() - fp
        precision = np.divide(tp, tp + fp, out=np.ones_like(tp), where=(tp + fp) > 0)
        recall = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=(tp + fn) > 0)
        pb = pr_summary.raw_data_pb(
            tag,
            true_positive_counts=tp, false_positive_counts=fp,
            true_negative_counts=tn, false_negative_counts=fn,
            precision=precision, recall=recall, num_thresholds=num_thresholds,
        )
        with self.writer.as_default():
            tf.summary.experimental.write_raw_pb(pb.SerializeToString(), step=int(step))

    # -- hparams -------------------------------------------------------------------------------
    def log_hparams(
        self,
        hparams: Mapping[str, Any],
        metrics: Mapping[str, float],
        step: int | None = None,
    ) -> None:
        """Record the run in TensorBoard's HParams dashboard: the hyperparameters, and the final
        metrics as scalars (so runs of different losses line up in one table).

        Metrics are also appended to ``metrics.jsonl`` with ``kind="final"``.
        """
        if not self.enabled:
            return
        from tensorboard.plugins.hparams import api as hp

        with self.writer.as_default():
            hp.hparams(
                {str(k): _hparam_value(v) for k, v in hparams.items()},
                trial_id=self.path.name,
            )
        self.log_scalars(metrics, step=self._last_step if step is None else step, kind="final")
        self.flush()

    # -- resuming ------------------------------------------------------------------------------
    def discard_after(self, step: int) -> int:
        """Forget everything logged after global step ``step``; returns how many records went.

        A run resumed from a checkpoint taken at ``step`` repeats the steps after it, so their
        ``metrics.jsonl`` records and TensorBoard events (logged before a crash) are dropped
        first: the continued run then has each record once. HParams records are dropped too (a
        finishing run writes its row again). Call it before logging anything in this process.
        """
        if not self.enabled:
            return 0
        dropped = 0
        path = self.path / METRICS_FILE
        if path.exists():
            lines = path.read_text().splitlines()
            kept = []
            for line in lines:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut by a crash
                if isinstance(rec.get("step"), int) and rec["step"] > step:
                    continue
                if rec.get("kind") == "final":
                    continue
                kept.append(line)
            dropped += len(lines) - len(kept)
            if len(kept) != len(lines):
                tmp = path.with_name(path.name + ".tmp")
                tmp.write_text("".join(k + "\n" for k in kept))
                os.replace(tmp, path)
        for events in sorted(self.path.glob("events.out.tfevents.*")):
            dropped += _drop_events_after(events, step)
        self._last_step = min(self._last_step, int(step))
        return dropped

    # -- lifecycle -----------------------------------------------------------------------------
    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()
        if self._metrics_file is not None:
            self._metrics_file.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
            self._writer = None
        if self._metrics_file is not None:
            self._metrics_file.close()
            self._metrics_file = None

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Run(area={self.area!r}, path={str(self.path)!r})"
