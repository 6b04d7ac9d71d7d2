"""What ``--resume`` continues, and with which settings (no TensorFlow needed).

- :func:`find_run`: the run directory to use (given, the newest resumable one, or a new one);
- :func:`saved_hparams`: the settings recorded in a run's ``config.json``;
- :func:`merge_saved_settings`: the settings the user did not give are the run's; a setting
  the checkpoint depends on given with another value is an error;
- :func:`settings_to_continue`: the three together, as the CLIs use them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from refs.errors import UsageError
from refs.utils.checkpoint import CheckpointManager


def find_run(area: str, run_dir=None, resume: bool = False, root="runs") -> Path | None:
    """The run directory to use: ``run_dir`` if given; with ``resume`` the newest run under
    ``<root>/<area>`` holding a checkpoint (a one-line note on stderr when there is none, and a
    new run starts); else ``None`` (a new run directory)."""
    from refs.utils.checkpoint import latest_run_with_checkpoint

    if run_dir is not None:
        if resume and CheckpointManager(Path(run_dir) / "checkpoints").latest() is None:
            print(f"nothing to resume in {run_dir} (no checkpoint); starting a new run there",
                  file=sys.stderr)
        return Path(run_dir)
    if not resume:
        return None
    found = latest_run_with_checkpoint(Path(root) / area)
    if found is None:
        print(f"nothing to resume: no run with a checkpoint under {Path(root) / area}; "
              "starting a new run", file=sys.stderr)
    return found


def saved_hparams(run_dir) -> dict[str, Any] | None:
    """The hyperparameters recorded in a run's ``config.json`` (``None`` if there is none)."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        return None
    try:
        return dict(json.loads(path.read_text()).get("hparams", {}))
    except (OSError, ValueError, AttributeError):
        return None


def merge_saved_settings(config, saved: Mapping[str, Any], explicit: set[str],
                         fixed: Sequence[str]):
    """``config`` (a dataclass) with every setting the user did not give taken from ``saved``.

    ``explicit`` names the settings given by the user; one of ``fixed`` (settings that the
    checkpoint depends on) given with another value than the saved one is a ``UsageError``.
    """
    import dataclasses

    updates, conflicts = {}, []
    for field in dataclasses.fields(config):
        if field.name not in saved:
            continue
        value, current = saved[field.name], getattr(config, field.name)
        if isinstance(current, tuple) and isinstance(value, list):
            value = tuple(value)
        if field.name in explicit:
            if field.name in fixed and value != current:
                conflicts.append(f"{field.name}: saved {value!r}, given {current!r}")
            continue
        updates[field.name] = value
    if conflicts:
        raise UsageError("cannot continue the run with other settings (" + "; ".join(conflicts)
                         + "); leave them out to reuse the saved ones, or start a new run")
    return dataclasses.replace(config, **updates)


def settings_to_continue(area: str, config, explicit: set[str], fixed: Sequence[str]):
    """``config`` ready to train: with ``resume`` or ``run_dir``, the run directory resolved
    (:func:`find_run`) and, when it holds a run, the settings the user did not give taken from
    it (:func:`merge_saved_settings`). ``resume`` is then spent (set to ``False``)."""
    import dataclasses

    if not (config.resume or config.run_dir):
        return config
    run_dir = find_run(area, config.run_dir, config.resume)
    saved = saved_hparams(run_dir) if run_dir is not None else None
    if saved:
        config = merge_saved_settings(config, saved, explicit, fixed)
    return dataclasses.replace(config, run_dir=None if run_dir is None else str(run_dir),
                               resume=False)
