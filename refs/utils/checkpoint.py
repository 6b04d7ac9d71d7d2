"""Atomic, framework-light checkpoints of named groups of variables, plus JSON metadata.

A checkpoint is one ``.npz`` file ``<dir>/<prefix>-<tag:06d>.npz`` holding every variable's value
under ``<group>/<index>`` and the metadata (epoch, step, anything JSON-able) under ``__meta__``.
It is written to a temporary file and renamed into place, so a process killed mid-save (SIGKILL)
leaves the previous checkpoint intact and never a half-written one. The newest ``keep`` files
are kept.

Groups are ordered lists of variables (Keras or ``tf.Variable``: anything with ``.numpy()`` and
``.assign()``), e.g. ``{"model": model.variables, "optimizer": optimizer.variables}``. Restoring
checks the number and shapes of the variables in each group and names the first mismatch.

Example:
    >>> manager = CheckpointManager(run.path / "checkpoints")
    >>> manager.save(epoch, {"model": model.variables}, {"epoch": epoch, "step": step})
    >>> meta = manager.restore({"model": model.variables})  # the newest checkpoint
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

_META = "__meta__"


class CheckpointManager:
    """Save and restore groups of variables in ``directory``.

    Args:
        directory: where the checkpoint files live (created on the first save).
        prefix: file name prefix.
        keep: how many of the newest checkpoints to keep (>= 1).
    """

    def __init__(self, directory: str | os.PathLike, prefix: str = "ckpt", keep: int = 2):
        if not isinstance(keep, int) or keep < 1:
            raise ValueError(f"keep must be a positive integer, got {keep!r}")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", prefix):
            raise ValueError(f"prefix must match [A-Za-z0-9_.-]+, got {prefix!r}")
        self.directory = Path(directory)
        self.prefix = prefix
        self.keep = keep
        self._pattern = re.compile(rf"{re.escape(prefix)}-(\d+)\.npz")

    def checkpoints(self) -> list[Path]:
        """Existing checkpoint files, oldest first."""
        if not self.directory.exists():
            return []
        found = []
        for p in self.directory.iterdir():
            m = self._pattern.fullmatch(p.name)
            if m:
                found.append((int(m.group(1)), p))
        return [p for _, p in sorted(found)]

    def latest(self) -> Path | None:
        """The newest checkpoint, or ``None``."""
        files = self.checkpoints()
        return files[-1] if files else None

    def save(self, tag: int, groups: Mapping[str, Sequence[Any]],
             meta: Mapping[str, Any] | None = None) -> Path:
        """Write checkpoint ``tag`` (an epoch or step number) atomically; returns its path."""
        arrays = {}
        for group, variables in groups.items():
            for i, v in enumerate(variables):
                arrays[f"{group}/{i:05d}"] = np.asarray(v.numpy())
        arrays[_META] = np.array(json.dumps(dict(meta or {})))
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{self.prefix}-{int(tag):06d}.npz"
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        for old in self.checkpoints()[: -self.keep]:
            old.unlink(missing_ok=True)
        return path

    def remove_partial_writes(self) -> list[Path]:
        """Delete the temporary files of saves that a killed process left behind (call it only
        while holding the run's lock: a live writer's temporary file would go too)."""
        if not self.directory.exists():
            return []
        stale = [p for p in self.directory.iterdir() if p.name.endswith(".npz.tmp")]
        for p in stale:
            p.unlink(missing_ok=True)
        return stale

    @staticmethod
    def read(path: str | os.PathLike) -> tuple[dict[str, list[np.ndarray]], dict[str, Any]]:
        """``(groups of numpy arrays, metadata)`` of one checkpoint file.

        Raises:
            refs.errors.CheckpointError: the file is empty, truncated, not a checkpoint, or
                lacks its metadata (one line naming the file and what is wrong).
        """
        from refs.errors import CheckpointError

        try:
            with np.load(path, allow_pickle=False) as data:
                if _META not in data.files:
                    raise CheckpointError(f"checkpoint {path} has no metadata (not written by "
                                          "refs, or incomplete)")
                meta = json.loads(str(data[_META]))
                groups: dict[str, list[np.ndarray]] = {}
                for key in sorted(k for k in data.files if k != _META):
                    group, _ = key.rsplit("/", 1)
                    groups.setdefault(group, []).append(data[key])
        except CheckpointError:
            raise
        except FileNotFoundError:
            raise CheckpointError(f"checkpoint {path} does not exist") from None
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            what = "empty" if os.path.exists(path) and os.path.getsize(path) == 0 else \
                "unreadable (truncated or not a checkpoint)"
            raise CheckpointError(f"checkpoint {path} is {what}: "
                                  f"{type(exc).__name__}: {exc}") from None
        if not isinstance(meta, dict):
            raise CheckpointError(f"checkpoint {path} has malformed metadata")
        return groups, meta

    def restore(self, groups: Mapping[str, Sequence[Any]],
                path: str | os.PathLike | None = None) -> dict[str, Any]:
        """Assign the saved values to ``groups`` (the newest checkpoint unless ``path``).

        Returns the metadata. Raises ``FileNotFoundError`` when there is no checkpoint and
        ``ValueError`` when a group's variables do not match the saved ones.
        """
        path = Path(path) if path is not None else self.latest()
        if path is None:
            raise FileNotFoundError(f"no checkpoint '{self.prefix}-*.npz' in {self.directory}")
        saved, meta = self.read(path)
        assign(groups, saved, path)
        return meta


def assign(groups: Mapping[str, Sequence[Any]], saved: Mapping[str, Sequence[np.ndarray]],
           path: str | os.PathLike) -> None:
    """Assign the arrays ``saved`` (as read from the checkpoint ``path``) to ``groups``, after
    checking every group's variable count and shapes (``ValueError`` naming the first mismatch:
    nothing is assigned then)."""
    for group, variables in groups.items():
        values = saved.get(group, [])
        if len(values) != len(variables):
            raise ValueError(
                f"checkpoint {path} has {len(values)} variables in group {group!r}, the "
                f"model has {len(variables)} (a different architecture or width?)"
            )
        for v, value in zip(variables, values):
            if tuple(v.shape) != value.shape:
                name = getattr(v, "path", getattr(v, "name", "?"))
                raise ValueError(
                    f"checkpoint {path}: variable {name} in group {group!r} has shape "
                    f"{value.shape}, the model's is {tuple(v.shape)}"
                )
    for group, variables in groups.items():
        for v, value in zip(variables, saved[group]):
            v.assign(value)


def latest_run_with_checkpoint(root: str | os.PathLike) -> Path | None:
    """The newest run directory under ``root`` (by name: runs start with a UTC timestamp) that
    holds a checkpoint in ``checkpoints/``, or ``None``; what ``--resume`` without ``--run-dir``
    continues."""
    root = Path(root)
    candidates = sorted(p for p in root.glob("*") if p.is_dir()) if root.exists() else []
    for path in reversed(candidates):
        if CheckpointManager(path / "checkpoints").latest() is not None:
            return path
    return None


def check_resumable(saved: Mapping[str, Any], current: Mapping[str, Any], keys: Sequence[str],
                    path: str | os.PathLike) -> None:
    """Refuse to continue a run whose checkpoint was made with other values of ``keys``
    (settings that change the shapes or the meaning of the saved state).

    Raises:
        refs.errors.UsageError: naming every differing setting, saved vs now.
    """
    from refs.errors import UsageError

    diff = {k: (saved.get(k), current[k]) for k in keys
            if k in saved and k in current and saved.get(k) != current[k]}
    if diff:
        shown = ", ".join(f"{k}: checkpoint {a!r} vs now {b!r}" for k, (a, b) in diff.items())
        raise UsageError(f"cannot continue the run in {path} with different settings ({shown})")
