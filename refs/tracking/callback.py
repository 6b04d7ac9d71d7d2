"""A Keras callback that logs ``fit`` through a :class:`refs.tracking.Run`."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import keras
import numpy as np

from refs.tracking.run import Run


class TrackingCallback(keras.callbacks.Callback):
    """Log ``model.fit`` history (and optionally batches and weight histograms) to a Run.

    One x-axis: every TensorBoard value is logged at the global optimizer step, which continues
    across resumes (``initial_step``). Epoch logs go to ``metrics.jsonl`` with ``kind="epoch"``
    and their 1-based ``epoch``, and to TensorBoard as ``epoch/<name>`` (``loss``, ``val_loss``,
    each metric). With ``every_n_steps`` the batch logs are also written as ``step/<name>``
    every that many steps (records with ``kind="step"`` and the 1-based epoch they belong to).

    Args:
        run: the :class:`Run` to write into.
        every_n_steps: also log batch-level values every this many steps (0: off).
        histograms: log a histogram of every trainable weight at each epoch end.
        initial_step: the global step of a resumed run, so the x-axis continues.
        initial_epoch: the epochs a resumed run has finished.
        step_scalars: ``model -> {name: value}``, extra scalars logged with each step record
            (e.g. the learning rate).
    """

    def __init__(self, run: Run, every_n_steps: int = 0, histograms: bool = False,
                 initial_step: int = 0, initial_epoch: int = 0,
                 step_scalars: Callable[[keras.Model], Mapping[str, float]] | None = None):
        super().__init__()
        self.run = run
        self.every_n_steps = int(every_n_steps)
        self.histograms = histograms
        self.step = int(initial_step)
        self._epoch = int(initial_epoch)
        self.step_scalars = step_scalars

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.every_n_steps and logs and self.step % self.every_n_steps == 0:
            scalars = {k: v for k, v in logs.items() if np.ndim(v) == 0}
            if self.step_scalars is not None:
                scalars.update(self.step_scalars(self.model))
            self.run.log_scalars(scalars, step=self.step, kind="step", epoch=self._epoch + 1,
                                 prefix="step/")

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        scalars = {k: v for k, v in logs.items() if np.ndim(v) == 0}
        self.run.log_scalars(scalars, step=self.step, kind="epoch", epoch=epoch + 1,
                             prefix="epoch/")
        if self.histograms and self.model is not None:
            for w in self.model.trainable_weights:
                self.run.log_histogram(f"weights/{w.path}", keras.ops.convert_to_numpy(w),
                                       step=self.step)
        self.run.flush()
