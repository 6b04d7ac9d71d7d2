"""The Keras callbacks every refs trainer shares.

``StepCounter`` is the one clock of a run: the global optimizer step, the finished epochs and the
training seconds, all continued across resumes. The other callbacks read it:

- ``TimeBudget`` stops training once the training time reaches a limit;
- ``NonFiniteGuard`` stops at the first step whose losses are NaN or infinite;
- ``DivergenceWarning`` warns (stderr, TensorBoard text, ``results.json``) when a loss stays out
  of sane bounds for many steps: diverging, or a discriminator that wins every step;
- ``EpochCheckpoint`` writes the state to resume from at every epoch end (not after a
  non-finite step, so the last good checkpoint survives).

Put ``StepCounter`` first in the callback list: the others then see the updated step and time,
and the training time excludes evaluation done in later callbacks' epoch ends.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

import keras
import numpy as np


class StepCounter(keras.callbacks.Callback):
    """Counts global steps, finished epochs and training wall time (continuing a resumed run).

    Training time excludes the evaluation and logging done in the other callbacks' epoch ends.
    """

    def __init__(self, initial_step: int = 0, initial_time: float = 0.0, initial_epoch: int = 0):
        super().__init__()
        self.step = int(initial_step)
        self.epoch = int(initial_epoch)
        self.train_time = float(initial_time)
        self._t0 = None

    def elapsed(self) -> float:
        """Training seconds so far, including the running epoch."""
        running = time.perf_counter() - self._t0 if self._t0 is not None else 0.0
        return self.train_time + running

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1

    def on_epoch_end(self, epoch, logs=None):
        if self._t0 is not None:
            self.train_time += time.perf_counter() - self._t0
            self._t0 = None
        self.epoch = epoch + 1


class TimeBudget(keras.callbacks.Callback):
    """Stop once the training time reaches ``seconds`` (the running epoch then ends early and
    is checkpointed as usual)."""

    def __init__(self, counter: StepCounter, seconds: float):
        super().__init__()
        self.counter, self.seconds = counter, float(seconds)
        self.stopped = False

    def on_train_batch_end(self, batch, logs=None):
        if self.counter.elapsed() >= self.seconds:
            self.stopped = True
            self.model.stop_training = True


def _scalar_logs(logs, keys) -> dict[str, float]:
    return {k: float(np.asarray(logs[k])) for k in keys if k in (logs or {})}


class NonFiniteGuard(keras.callbacks.Callback):
    """Stop training at the first step whose ``keys`` losses are NaN or infinite.

    ``failure`` is then a message naming the step and the values; the checkpoint callback sees
    it and does not overwrite the last good checkpoint.
    """

    def __init__(self, counter: StepCounter, keys=("loss",)):
        super().__init__()
        self.counter = counter
        self.keys = tuple(keys)
        self.failure: str | None = None

    def on_train_batch_end(self, batch, logs=None):
        values = _scalar_logs(logs, self.keys)
        if self.failure is None and not all(math.isfinite(v) for v in values.values()):
            shown = ", ".join(f"{k}={v}" for k, v in values.items())
            self.failure = f"non-finite loss at step {self.counter.step} ({shown})"
            self.model.stop_training = True


class DivergenceWarning(keras.callbacks.Callback):
    """Warn once per loss when it stays outside ``bounds`` for ``patience`` consecutive steps.

    Args:
        run: the :class:`refs.tracking.Run` that receives the warning as TensorBoard text.
        counter: the run's :class:`StepCounter`.
        bounds: loss name -> ``(low, high)``; ``None`` leaves a side open. Above ``high``: the
            run is diverging; below ``low`` (e.g. a discriminator loss near 0): saturated.
        patience: consecutive out-of-bounds steps before the warning.

    The warnings are kept in ``warnings`` (the trainers copy them into ``results.json``).
    """

    def __init__(self, run, counter: StepCounter,
                 bounds: Mapping[str, tuple[float | None, float | None]], patience: int = 200):
        super().__init__()
        self.run, self.counter, self.bounds = run, counter, dict(bounds)
        self.patience = int(patience)
        self._streak = dict.fromkeys(self.bounds, 0)
        self.warnings: list[str] = []
        self._warned: set[str] = set()

    def on_train_batch_end(self, batch, logs=None):
        for key, value in _scalar_logs(logs, self.bounds).items():
            low, high = self.bounds[key]
            above = high is not None and abs(value) > high
            below = low is not None and value < low
            self._streak[key] = self._streak[key] + 1 if (above or below) else 0
            if self._streak[key] >= self.patience and key not in self._warned:
                self._warned.add(key)
                if above:
                    why = (f"has stayed above {high:g} in magnitude for {self.patience} steps: "
                           "the run is diverging (lower the learning rate)")
                else:
                    why = (f"has stayed below {low:g} for {self.patience} steps: the "
                           "discriminator wins every step (saturated)")
                message = f"{key} {why}; now {value:.4g} at step {self.counter.step}"
                self.warnings.append(message)
                print(f"warning: {message}", file=sys.stderr)
                self.run.log_text("warnings", message, step=self.counter.step)


class EpochCheckpoint(keras.callbacks.Callback):
    """At every epoch end, save ``groups(model)`` with the counter and ``meta`` through
    ``manager``; then call ``after_save(model)`` (e.g. to write a ``.keras`` file). Skipped after
    a non-finite step, so the last good checkpoint is kept.

    Args:
        manager: a :class:`refs.utils.checkpoint.CheckpointManager` (``None``: no checkpoint).
        counter: the run's :class:`StepCounter` (its step, epoch and time go into the metadata).
        groups: ``model -> {group: variables}``, what resuming needs.
        guard: the run's :class:`NonFiniteGuard`.
        meta: constant metadata (the run's settings); ``extra_meta()`` adds per-epoch entries.
    """

    def __init__(self, manager, counter: StepCounter, groups: Callable[[Any], dict],
                 guard: NonFiniteGuard | None = None, meta: Mapping[str, Any] | None = None,
                 extra_meta: Callable[[], Mapping[str, Any]] | None = None,
                 after_save: Callable[[Any], Any] | None = None):
        super().__init__()
        self.manager, self.counter, self.groups, self.guard = manager, counter, groups, guard
        self.meta, self.extra_meta, self.after_save = dict(meta or {}), extra_meta, after_save

    def on_epoch_end(self, epoch, logs=None):
        if self.manager is None or (self.guard is not None and self.guard.failure is not None):
            return
        meta = {**self.meta, **(self.extra_meta() if self.extra_meta else {}),
                "epoch": epoch + 1, "step": self.counter.step,
                "train_time_s": self.counter.train_time}
        self.manager.save(epoch + 1, self.groups(self.model), meta)
        if self.after_save is not None:
            self.after_save(self.model)
