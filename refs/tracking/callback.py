"""A Keras callback that logs ``fit`` through a :class:`refs.tracking.Run`."""

from __future__ import annotations

import keras
import numpy as np

from refs.tracking.run import Run


class TrackingCallback(keras.callbacks.Callback):
    """Log ``model.fit`` history (and optionally batches and weight histograms) to a Run.

    Epoch logs go to ``metrics.jsonl`` with ``kind="epoch"`` and to TensorBoard as
    ``epoch/<name>`` (``loss``, ``val_loss``, each metric). With ``every_n_steps`` the batch logs
    are also written as ``step/<name>`` every that many optimizer steps.

    Args:
        run: the :class:`Run` to write into.
        every_n_steps: also log batch-level values every this many steps (0: off).
        histograms: log a histogram of every trainable weight at each epoch end.
        initial_epoch: the epoch count of a resumed run, so the x-axis continues.
    """

    def __init__(
        self, run: Run, every_n_steps: int = 0, histograms: bool = False, initial_epoch: int = 0
    ):
        super().__init__()
        self.run = run
        self.every_n_steps = int(every_n_steps)
        self.histograms = histograms
        self._step = 0
        self._epoch = initial_epoch

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self.every_n_steps and logs and self._step % self.every_n_steps == 0:
            scalars = {k: v for k, v in logs.items() if np.ndim(v) == 0}
            self.run.log_scalars(scalars, step=self._step, kind="step", epoch=self._epoch,
                                 prefix="step/")

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        scalars = {k: v for k, v in logs.items() if np.ndim(v) == 0}
        self.run.log_scalars(scalars, step=epoch + 1, kind="epoch", epoch=epoch + 1,
                             prefix="epoch/")
        if self.histograms and self.model is not None:
            for w in self.model.trainable_weights:
                self.run.log_histogram(f"weights/{w.path}", keras.ops.convert_to_numpy(w),
                                       step=epoch + 1)
        self.run.flush()
