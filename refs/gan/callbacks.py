"""Keras callbacks for GAN training: step logging, NaN guard, sample grids, checkpoints, quality.

All writes go through a :class:`refs.tracking.Run` (a disabled Run on non-chief workers makes
them no-ops). ``step`` below is the global optimizer step, continued across resumes.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import keras
import numpy as np

from refs.utils.checkpoint import CheckpointManager


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


class NonFiniteGuard(keras.callbacks.Callback):
    """Stop training at the first step whose losses are NaN or infinite.

    ``failure`` is then a message naming the step and the values; the checkpoint callback sees
    it and does not overwrite the last good checkpoint.
    """

    def __init__(self, counter: StepCounter, keys=("d_loss", "g_loss")):
        super().__init__()
        self.counter = counter
        self.keys = tuple(keys)
        self.failure: str | None = None

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        values = {k: float(np.asarray(logs[k])) for k in self.keys if k in logs}
        bad = {k: v for k, v in values.items() if not math.isfinite(v)}
        if bad and self.failure is None:
            shown = ", ".join(f"{k}={v}" for k, v in values.items())
            self.failure = f"non-finite loss at step {self.counter.step} ({shown})"
            self.model.stop_training = True


class StepLogger(keras.callbacks.Callback):
    """Log this step's scalars (``step/d_loss``...) every ``every_n_steps`` steps."""

    def __init__(self, run, counter: StepCounter, every_n_steps: int = 10, epoch_offset: int = 0):
        super().__init__()
        self.run, self.counter, self.every = run, counter, int(every_n_steps)
        self.epoch = epoch_offset

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.every and logs and self.counter.step % self.every == 0:
            scalars = {k: v for k, v in logs.items() if np.ndim(v) == 0}
            self.run.log_scalars(scalars, step=self.counter.step, kind="step",
                                 epoch=self.epoch + 1, prefix="step/")


class SampleGrid(keras.callbacks.Callback):
    """Each epoch: the generator's images for a fixed noise batch, as a TensorBoard image and
    ``figures/samples_<epoch>.png``."""

    def __init__(self, run, noise, ncols: int = 8, guard: NonFiniteGuard | None = None):
        super().__init__()
        self.run, self.noise, self.ncols, self.guard = run, np.asarray(noise), ncols, guard

    def on_epoch_end(self, epoch, logs=None):
        if self.guard is not None and self.guard.failure is not None:
            return
        images = self.model.generate(self.noise)
        self.run.log_image_grid("samples", images[..., 0], step=epoch + 1, ncols=self.ncols,
                                value_range=(-1.0, 1.0))


class EpochCheckpoint(keras.callbacks.Callback):
    """Each epoch: a checkpoint of both networks, both optimizers and the noise RNG state, plus
    ``generator.keras`` (what ``refs.gan.sample`` reads). Skipped after a non-finite loss."""

    def __init__(self, manager: CheckpointManager | None, counter: StepCounter,
                 guard: NonFiniteGuard, generator_path: Path | None, meta: dict | None = None):
        super().__init__()
        self.manager, self.counter, self.guard = manager, counter, guard
        self.generator_path = generator_path
        self.meta = dict(meta or {})
        self.last_path: Path | None = None

    def on_epoch_end(self, epoch, logs=None):
        if self.guard.failure is not None or self.manager is None:
            return
        meta = {**self.meta, "epoch": epoch + 1, "step": self.counter.step,
                "train_time_s": self.counter.train_time}
        self.last_path = self.manager.save(epoch + 1, checkpoint_groups(self.model), meta)
        if self.generator_path is not None:
            save_generator(self.model.sampler(), self.generator_path)


class QualityCallback(keras.callbacks.Callback):
    """Every ``every`` epochs: ``evaluate(images in [-1, 1]) -> {name: value}`` on ``n_samples``
    generated images (fixed noise), logged with ``kind="eval"`` and the training wall time."""

    def __init__(self, run, evaluate, noise, counter: StepCounter, every: int = 1,
                 guard: NonFiniteGuard | None = None):
        super().__init__()
        self.run, self.evaluate, self.noise = run, evaluate, np.asarray(noise)
        self.counter, self.every, self.guard = counter, max(1, int(every)), guard
        self.last: dict = {}

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every or (self.guard is not None and self.guard.failure):
            return
        images = self.model.generate(self.noise)
        self.last = dict(self.evaluate(images))
        self.run.log_scalars({**self.last, "train_time_s": self.counter.train_time},
                             step=epoch + 1, kind="eval", epoch=epoch + 1, prefix="eval/")
        if logs is not None:
            logs.update(self.last)


def checkpoint_groups(gan) -> dict:
    """What a GAN checkpoint holds: all model variables (both networks, batch-norm statistics,
    the noise seed generator's state) and each optimizer's variables."""
    return {
        "model": gan.variables,
        "d_optimizer": gan.d_optimizer.variables,
        "g_optimizer": gan.g_optimizer.variables,
    }


def save_generator(generator, path: Path) -> Path:
    """Save ``generator`` as ``.keras`` atomically (write aside, then rename)."""
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp.keras")
    generator.save(tmp)
    os.replace(tmp, path)
    return path
