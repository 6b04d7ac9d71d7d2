"""``TrainingSession``: the scaffolding every refs trainer shares, written once.

A trainer builds its model, data and own callbacks; the session does the rest::

    with TrainingSession("gan", config.hparams(), run_dir=config.run_dir, resume=config.resume,
                         resume_keys=RESUME_KEYS, loss_keys=("d_loss", "g_loss")) as session:
        model = build(...)
        session.restore(lambda: checkpoint_groups(model))     # the newest usable checkpoint
        callbacks = session.callbacks(groups=checkpoint_groups, extra=[my_eval_callback])
        model.fit(data, initial_epoch=session.counter.epoch, callbacks=callbacks, ...)
        session.raise_if_failed()
        results = session.finish({"fid": ...})                 # results.json + HParams row

What it owns:

- **the run directory**: a new ``runs/<area>/<UTC time>-<name>``, the given one, or with
  ``resume`` and no directory the newest run of the area that has a checkpoint; it is locked
  for this process (:class:`refs.training.lock.RunLock`), so a second trainer stops at once;
- **resuming**: the newest checkpoint that reads back is restored after the settings that fix
  the state's meaning (``resume_keys``) are checked against the saved ones; a corrupt newest
  checkpoint falls back to the previous one with a one-line warning; records logged after the
  restored step (by the process that crashed) are dropped, so nothing is logged twice;
- **the clock**: one :class:`StepCounter` (global step, epochs, training seconds);
- **the standard callbacks**: non-finite stop, divergence warning, time budget, step and epoch
  logging (:class:`refs.tracking.TrackingCallback`), the epoch checkpoint;
- **finishing**: ``results.json`` and the HParams row.

Errors are :mod:`refs.errors` exceptions with one-line messages (the CLIs print them).
"""

from __future__ import annotations

import json
import resource
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from refs.errors import CheckpointError, TrainingError, UsageError
from refs.training.callbacks import (
    DivergenceWarning,
    EpochCheckpoint,
    NonFiniteGuard,
    StepCounter,
    TimeBudget,
)
from refs.training.lock import RunLock
from refs.training.resume import find_run
from refs.utils.checkpoint import CheckpointManager, assign, check_resumable
from refs.utils.files import write_text

RESULTS_FILE = "results.json"


class TrainingSession:
    """One training run's directory, lock, checkpoints, clock and standard callbacks.

    Args:
        area: ``"gan"``, ``"detection"``...: the parent of default run directories.
        hparams: the settings recorded in ``config.json`` and the HParams row.
        run_dir, name, resume, root: where the run lives (see :func:`find_run`).
        resume_keys: settings that must equal the checkpoint's to continue from it.
        loss_keys: the loss names the non-finite stop watches.
        chief: ``False`` on non-chief workers: nothing is written into the run directory and
            checkpoints go to ``worker-<index>/checkpoints`` (to compare, never restored).
        keep: checkpoints kept (the newest and, to fall back to, the previous one).
    """

    def __init__(self, area: str, hparams: Mapping[str, Any], *, run_dir=None,
                 name: str | None = None, resume: bool = False, root="runs",
                 resume_keys: Sequence[str] = (), loss_keys: Sequence[str] = ("loss",),
                 chief: bool = True, worker: int = 0, keep: int = 2):
        from refs.tracking import Run
        from refs.tracking.run import default_run_dir

        path = find_run(area, run_dir, resume, root) or default_run_dir(area, name, root)
        self.hparams, self.resume_keys, self.chief = dict(hparams), tuple(resume_keys), chief
        self.lock = RunLock(path)
        if chief:
            self.lock.acquire()  # checks the directory first (a file, not writable: UsageError)
        try:
            self.run = Run(area, name=name, run_dir=path, config=self.hparams, enabled=chief)
        except OSError as exc:
            self.lock.release()
            raise UsageError(f"cannot write the run directory {path}: {exc.strerror or exc}") \
                from None
        self.manager = CheckpointManager(self.run.path / "checkpoints", keep=keep)
        self.save_manager = self.manager if chief else CheckpointManager(
            self.run.path / f"worker-{worker}" / "checkpoints", keep=1)
        if chief:
            self.manager.remove_partial_writes()
        self.counter = StepCounter()
        self.guard = NonFiniteGuard(self.counter, loss_keys)
        self.divergence: DivergenceWarning | None = None
        self.time_budget: TimeBudget | None = None
        self.restored_from: Path | None = None

    @property
    def path(self) -> Path:
        return self.run.path

    # -- resuming --------------------------------------------------------------------------------
    def restore(self, groups: Callable[[], Mapping[str, Sequence[Any]]]) -> dict[str, Any]:
        """Continue from the newest usable checkpoint; returns its metadata (``{}`` if none).

        ``groups()`` gives the variables to fill (called only when there is a checkpoint).
        A checkpoint that does not read back is skipped with a warning naming it; when none
        reads back, ``CheckpointError``. Settings differing in ``resume_keys``: ``UsageError``;
        variables that do not match: ``TrainingError``.
        """
        for path in reversed(self.manager.checkpoints()):
            try:
                saved, meta = CheckpointManager.read(path)
            except CheckpointError as exc:
                print(f"warning: {exc}; trying the previous checkpoint", file=sys.stderr)
                continue
            check_resumable(meta.get("config", {}), self.hparams, self.resume_keys,
                            self.run.path)
            try:
                assign(groups(), saved, path)
            except ValueError as exc:
                raise TrainingError(str(exc)) from None
            self.counter = StepCounter(meta.get("step", 0), meta.get("train_time_s", 0.0),
                                       meta.get("epoch", 0))
            self.guard.counter = self.counter
            self.restored_from = path
            self.run.discard_after(self.counter.step)
            print(f"continuing {self.run.path} from epoch {self.counter.epoch} "
                  f"(step {self.counter.step})", file=sys.stderr)
            return meta
        if self.manager.checkpoints():
            raise CheckpointError(f"no checkpoint in {self.manager.directory} reads back; move "
                                  "the folder aside to start the run over")
        if self.run.resumed:
            self.run.discard_after(0)  # a run killed before its first checkpoint starts over
        return {}

    # -- callbacks -------------------------------------------------------------------------------
    def callbacks(self, groups: Callable[[Any], Mapping[str, Sequence[Any]]], *,
                  log_every: int = 10, max_minutes: float | None = None,
                  divergence_bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
                  divergence_patience: int = 200,
                  step_scalars: Callable[[Any], Mapping[str, float]] | None = None,
                  extra: Sequence[Any] = (), extra_meta: Callable[[], Mapping] | None = None,
                  after_save: Callable[[Any], Any] | None = None) -> list:
        """The callback list for ``fit``: clock, non-finite stop, logging, divergence warning,
        time budget, then ``extra`` (the area's own epoch-end work, e.g. evaluation), then the
        epoch checkpoint of ``groups(model)`` (with ``extra_meta()`` and ``after_save``)."""
        from refs.tracking import TrackingCallback

        out: list = [self.counter, self.guard]
        if self.chief:
            out.append(TrackingCallback(self.run, every_n_steps=log_every,
                                        initial_step=self.counter.step,
                                        initial_epoch=self.counter.epoch,
                                        step_scalars=step_scalars))
        if divergence_bounds:
            self.divergence = DivergenceWarning(self.run, self.counter, divergence_bounds,
                                                divergence_patience)
            out.append(self.divergence)
        if max_minutes:
            self.time_budget = TimeBudget(self.counter, 60.0 * max_minutes)
            out.append(self.time_budget)
        out.extend(extra)
        out.append(EpochCheckpoint(self.save_manager, self.counter, groups, self.guard,
                                   meta={"config": self.hparams}, extra_meta=extra_meta,
                                   after_save=after_save if self.chief else None))
        return out

    # -- ending ----------------------------------------------------------------------------------
    def raise_if_failed(self) -> None:
        """After ``fit``: a non-finite stop becomes a ``TrainingError`` naming the last good
        checkpoint (the run is closed first, its failure logged)."""
        if self.guard.failure is None:
            return
        self.run.log_text("failure", self.guard.failure, step=self.counter.step)
        kept = self.manager.latest()
        self.close()
        raise TrainingError(f"{self.guard.failure}; stopped. Last good checkpoint: "
                            f"{kept if kept else 'none (failed in the first epoch)'}")

    def finish(self, results: Mapping[str, Any] | None = None,
               final_metrics: Mapping[str, float] | None = None) -> dict[str, Any]:
        """Write ``results.json`` (the run's clock, peak memory, warnings, plus ``results``) and
        the HParams row (``final_metrics``: scalars not already logged, under ``final/``)."""
        out: dict[str, Any] = {
            "run_dir": str(self.run.path),
            "epochs": self.counter.epoch,
            "steps": self.counter.step,
            "train_time_s": round(self.counter.train_time, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "stopped_by_time_budget": bool(self.time_budget and self.time_budget.stopped),
        }
        if self.divergence is not None and self.divergence.warnings:
            out["warnings"] = list(self.divergence.warnings)
        out.update(results or {})
        if self.chief:
            finals = {"train_time_s": out["train_time_s"], "steps": float(out["steps"]),
                      **(final_metrics or {})}
            self.run.log_hparams(_flat(self.hparams),
                                 {f"final/{k}": v for k, v in finals.items()},
                                 step=self.counter.step)
            write_text(self.run.path / RESULTS_FILE, json.dumps(out, indent=2) + "\n",
                       "results file")
        return out

    def close(self) -> None:
        self.run.close()
        self.lock.release()

    def __enter__(self) -> TrainingSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _flat(hparams: Mapping[str, Any]) -> dict[str, Any]:
    """HParams values: lists become JSON text; long lists (class names) are left out."""
    out = {}
    for k, v in hparams.items():
        if isinstance(v, (list, tuple)):
            if len(v) > 8:
                continue
            v = json.dumps(list(v))
        out[k] = v
    return out
