"""A run's trained detector, and inference on a list of images of any sizes.

The trainable model is :class:`refs.detection.RetinaNet` (:mod:`refs.detection.retinanet`).
:func:`load_model` rebuilds it from a run directory with the newest checkpoint's weights;
:func:`detect` runs a network on images whose sizes may differ and decodes the detections.

Example:
    >>> model = load_model("runs/detection/default")              # a RetinaNet
    >>> dets = detect(model.network, model.anchor_generator, images)   # one dict per image
"""

from __future__ import annotations

from typing import NamedTuple

import keras
import numpy as np

from refs.detection.anchors import AnchorGenerator
from refs.detection.decode import decode_predictions, detections_of
from refs.detection.model import pad_to_multiple


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
    from refs.detection.retinanet import retinanet_from

    return retinanet_from(hparams).network


class TrainedDetector(NamedTuple):
    """A trained network with what it needs to detect: its anchors and its run's settings."""

    network: keras.Model
    anchor_generator: AnchorGenerator
    hparams: dict


def load_trained(run_dir) -> TrainedDetector:
    """The network of a run with the newest checkpoint's weights, its anchors and settings
    (see :func:`load_model` for the whole :class:`~refs.detection.RetinaNet`)."""
    model, hparams = load_with_settings(run_dir)
    return TrainedDetector(model.network, model.anchor_generator, hparams)


def load_model(run_dir):
    """The :class:`~refs.detection.RetinaNet` of a run with the newest checkpoint's weights
    (ready for ``predict``, ``save`` and ``export``).

    Raises :class:`refs.errors.DataError` when the directory holds no detection run or no
    checkpoint.
    """
    return load_with_settings(run_dir)[0]


def load_with_settings(run_dir):
    """``(model, hparams)``: :func:`load_model` and the run's hyperparameters."""
    from pathlib import Path

    from refs.detection.retinanet import retinanet_from
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
    model = retinanet_from(hparams)
    try:
        manager.restore({"model": model.network.variables})
    except ValueError as exc:
        raise DataError(str(exc)) from None
    return model, hparams
