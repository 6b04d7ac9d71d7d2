"""The pieces put together: a trainable detector (network + loss) and inference on images.

:class:`Detector` is a ``keras.Model`` around :func:`refs.detection.model.build_retinanet` whose
``compute_loss`` is :class:`refs.detection.loss.DetectionLoss`; ``fit`` then reports ``loss``,
``cls_loss``, ``box_loss`` and ``num_positives`` (mean per batch) in the progress bar and logs.
:func:`detect` runs the network on images of any size and decodes the detections.

Example:
    >>> det = Detector(build_retinanet(10), DetectionLoss(10))
    >>> det.compile(optimizer="adam")
    >>> det.fit(to_dataset(canvases, encoder), epochs=1)
    >>> dets = detect(det.network, AnchorGenerator(), images)   # list of dicts, one per image
"""

from __future__ import annotations

from typing import NamedTuple

import keras
import numpy as np

from refs.detection.anchors import AnchorGenerator
from refs.detection.decode import decode_predictions, detections_of
from refs.detection.loss import DetectionLoss
from refs.detection.model import pad_to_multiple


class Detector(keras.Model):
    """A RetinaNet-style detector that trains with :class:`DetectionLoss`."""

    def __init__(self, network: keras.Model, detection_loss: DetectionLoss, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.detection_loss = detection_loss
        self._parts = {name: keras.metrics.Mean(name=name)
                       for name in ("cls_loss", "box_loss", "num_positives")}

    def call(self, images, training=False):
        return self.network(images, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,  # noqa: ARG002
                     training=True):  # noqa: ARG002 - Keras's signature; the loss needs y only
        import tensorflow as tf

        parts = self.detection_loss(y, y_pred)
        for name, tracker in self._parts.items():
            tracker.update_state(parts[name])
        # Under tf.distribute the per-replica gradients are summed: scale like Keras does.
        return parts["loss"] / tf.distribute.get_strategy().num_replicas_in_sync

    @property
    def metrics(self):
        return list(super().metrics) + list(self._parts.values())


def detect(network: keras.Model, anchor_generator: AnchorGenerator, images,
           score_threshold: float = 0.05, iou_threshold: float = 0.5,
           max_detections: int = 100, batch_size: int = 32) -> list[dict]:
    """Detections for a list (or array) of images ``(H, W, C)`` float in [0, 1], sizes may differ.

    Each image is zero-padded at the bottom/right to a multiple of the largest stride; boxes come
    back in the original pixel coordinates, clipped to the image.

    Returns:
        one dict per image: ``boxes (k, 4)`` ``[x_min, y_min, x_max, y_max]``, ``scores (k,)``,
        ``classes (k,)``, best score first.
    """
    multiple = max(anchor_generator.strides)
    results: list[dict | None] = [None] * len(images)
    groups: dict[tuple, list[int]] = {}
    for i, image in enumerate(images):
        groups.setdefault(np.shape(image), []).append(i)
    for shape, idx in groups.items():
        h, w = shape[:2]
        anchors = None
        for start in range(0, len(idx), batch_size):
            chunk = idx[start:start + batch_size]
            batch = np.stack([pad_to_multiple(np.asarray(images[i], np.float32), multiple)
                              for i in chunk])
            if anchors is None:
                anchors = anchor_generator(batch.shape[1], batch.shape[2])
            out = keras.ops.convert_to_numpy(network(batch, training=False))
            dets = decode_predictions(anchors, out[..., :4], out[..., 4:], (h, w),
                                      score_threshold, iou_threshold, max_detections)
            for j, i in enumerate(chunk):
                boxes, scores, classes = detections_of(dets, j)
                results[i] = {"boxes": boxes, "scores": scores, "classes": classes}
    return results


# -- building from a run's config -----------------------------------------------------------------
def anchor_generator_from(hparams: dict) -> AnchorGenerator:
    """The :class:`AnchorGenerator` described by a run's hyperparameters."""
    return AnchorGenerator(strides=hparams["strides"], sizes=hparams["sizes"],
                           scales=hparams["scales"], aspect_ratios=hparams["aspect_ratios"])


def network_from(hparams: dict) -> keras.Model:
    """The (untrained) network described by a run's hyperparameters."""
    from refs.detection.model import build_retinanet

    return build_retinanet(
        num_classes=len(hparams["class_names"]),
        anchor_generator=anchor_generator_from(hparams),
        input_channels=hparams.get("channels", 1),
        widths=hparams["widths"], fpn_channels=hparams["fpn_channels"],
        head_depth=hparams["head_depth"], prior=hparams.get("prior"),
    )


class TrainedDetector(NamedTuple):
    """A trained network with what it needs to detect: its anchors and its run's settings."""

    network: keras.Model
    anchor_generator: AnchorGenerator
    hparams: dict


def load_trained(run_dir) -> TrainedDetector:
    """The network of a run with the newest checkpoint's weights, its anchors and settings.

    Raises :class:`refs.errors.DataError` when the directory holds no detection run or no
    checkpoint.
    """
    from pathlib import Path

    from refs.errors import DataError
    from refs.tracking import read_config
    from refs.utils.checkpoint import CheckpointManager

    run_dir = Path(run_dir)
    try:
        config = read_config(run_dir)
    except FileNotFoundError:
        raise DataError(f"{run_dir}: no config.json - not a run directory") from None
    hparams = config.get("hparams", {})
    if config.get("area") != "detection" or "class_names" not in hparams:
        raise DataError(f"{run_dir}: not a detection run (area {config.get('area')!r})")
    manager = CheckpointManager(run_dir / "checkpoints")
    if manager.latest() is None:
        raise DataError(f"{run_dir}: no checkpoint yet (train first: python -m "
                        "refs.detection.train)")
    network = network_from(hparams)
    try:
        manager.restore({"model": network.variables})
    except ValueError as exc:
        raise DataError(str(exc)) from None
    return TrainedDetector(network, anchor_generator_from(hparams), hparams)
