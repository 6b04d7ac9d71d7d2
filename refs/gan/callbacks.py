"""The GAN's own callbacks: sample grids and image quality each epoch; what a checkpoint holds.

The clock, the non-finite stop, logging and the epoch checkpoint are the shared ones of
:mod:`refs.training`. All writes go through a :class:`refs.tracking.Run` (a disabled Run on
non-chief workers makes them no-ops); every value is logged at the global optimizer step.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

from refs.training import NonFiniteGuard, StepCounter


class SampleGrid(keras.callbacks.Callback):
    """Each epoch: the generator's images for a fixed noise batch (and fixed labels for a
    conditional GAN), as a TensorBoard image and ``figures/samples_<epoch>.png``."""

    def __init__(self, run, noise, counter: StepCounter, ncols: int = 8,
                 guard: NonFiniteGuard | None = None, labels=None):
        super().__init__()
        self.run, self.noise, self.ncols, self.guard = run, np.asarray(noise), ncols, guard
        self.counter, self.labels = counter, labels

    def on_epoch_end(self, epoch, logs=None):
        if self.guard is not None and self.guard.failure is not None:
            return
        images = self.model.generate(self.noise, labels=self.labels)
        self.run.log_image_grid("samples", images[..., 0], step=self.counter.step,
                                ncols=self.ncols, value_range=(-1.0, 1.0),
                                png_name=f"samples_{epoch + 1:06d}.png")


class QualityCallback(keras.callbacks.Callback):
    """Every ``every`` epochs: ``evaluate(images in [-1, 1]) -> {name: value}`` on the images
    generated from ``noise``, logged once (``eval/<name>``, ``kind="eval"``) with the training
    time."""

    def __init__(self, run, evaluate, noise, counter: StepCounter, every: int = 1,
                 guard: NonFiniteGuard | None = None, labels=None):
        super().__init__()
        self.run, self.evaluate, self.noise = run, evaluate, np.asarray(noise)
        self.labels = labels  # conditional GAN: evaluate(images, labels)
        self.counter, self.every, self.guard = counter, max(1, int(every)), guard
        self.last: dict = {}

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every or (self.guard is not None and self.guard.failure):
            return
        images = self.model.generate(self.noise, labels=self.labels)
        self.last = dict(self.evaluate(images) if self.labels is None
                         else self.evaluate(images, self.labels))
        self.run.log_scalars({**self.last, "train_time_s": self.counter.train_time},
                             step=self.counter.step, kind="eval", epoch=epoch + 1,
                             prefix="eval/")


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
