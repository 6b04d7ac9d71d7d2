"""Step 5: from per-anchor predictions to a short list of detections.

1. boxes: the box offsets are decoded against the anchors (:func:`encoding.decode_boxes`) and
   clipped to the image;
2. scores: ``sigmoid`` of the class logits, one independent score per class and anchor;
3. score threshold: candidates below ``score_threshold`` are dropped;
4. per-class non-maximum suppression: within each class, a box whose IoU with a higher-scoring
   kept box exceeds ``iou_threshold`` is removed (``tf.image.combined_non_max_suppression``, the
   one TensorFlow op Keras has no equivalent for);
5. top-k: the ``max_detections`` highest scores over all classes are kept
   (``max_per_class`` per class first).

Example:
    >>> dets = decode_predictions(anchors, offsets, logits, image_size=(128, 128))
    >>> dets["boxes"].shape, dets["num_detections"]   # (B, 100, 4), (B,)
"""

from __future__ import annotations

import numpy as np
from keras import ops

from refs.detection.encoding import VARIANCES, decode_boxes


def combined_nms(boxes, scores, score_threshold=0.05, iou_threshold=0.5, max_per_class=100,
                 max_detections=100) -> dict:
    """Per-class NMS over a batch, as tensors (graph- and export-friendly).

    Args:
        boxes: ``(B, N, 4)`` ``[x_min, y_min, x_max, y_max]``, shared by every class.
        scores: ``(B, N, C)`` in [0, 1].

    Returns:
        ``{"boxes": (B, K, 4), "scores": (B, K), "classes": (B, K) int32, "num_detections":
        (B,) int32}`` with ``K = max_detections``; rows past ``num_detections`` have zero boxes
        and scores and class ``-1``.
    """
    import tensorflow as tf

    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in [0, 1], got {iou_threshold}")
    boxes = tf.convert_to_tensor(boxes, tf.float32)
    # tf.image wants [y_min, x_min, y_max, x_max]; IoU does not care, but keep its convention.
    yx = tf.gather(boxes, [1, 0, 3, 2], axis=-1)
    out = tf.image.combined_non_max_suppression(
        yx[:, :, None, :],
        tf.convert_to_tensor(scores, tf.float32),
        max_output_size_per_class=int(max_per_class),
        max_total_size=int(max_detections),
        iou_threshold=float(iou_threshold),
        score_threshold=float(score_threshold),
        clip_boxes=False,
    )
    nmsed_boxes, nmsed_scores, nmsed_classes, valid = out
    valid = tf.cast(valid, tf.int32)
    present = tf.range(tf.shape(nmsed_scores)[1])[None, :] < valid[:, None]
    return {
        "boxes": tf.gather(nmsed_boxes, [1, 0, 3, 2], axis=-1),
        "scores": nmsed_scores,
        "classes": tf.where(present, tf.cast(nmsed_classes, tf.int32), -1),
        "num_detections": valid,
    }


def nms_per_class(boxes, scores, score_threshold=0.05, iou_threshold=0.5, max_per_class=100,
                  max_detections=100):
    """:func:`combined_nms` as numpy arrays (also the NMS post-step of an exported model:
    ``nms_per_class(outputs["boxes"], outputs["scores"])``)."""
    out = combined_nms(boxes, scores, score_threshold, iou_threshold, max_per_class,
                       max_detections)
    return {k: np.asarray(v) for k, v in out.items()}


def decode_predictions(anchors, box_offsets, class_logits, image_size, score_threshold=0.05,
                       iou_threshold=0.5, max_detections=100, max_per_class=100,
                       variances=VARIANCES):
    """Detections from raw network outputs.

    Args:
        anchors: ``(N, 4)`` corner anchors. box_offsets: ``(B, N, 4)``. class_logits: ``(B, N, C)``.
        image_size: ``(H, W)``: decoded boxes are clipped to ``[0, W] x [0, H]``.
    """
    h, w = image_size
    boxes = decode_boxes(box_offsets, ops.convert_to_tensor(anchors)[None], variances)
    limit = ops.convert_to_tensor([w, h, w, h], "float32")
    boxes = ops.clip(boxes, 0.0, limit)
    scores = ops.sigmoid(ops.convert_to_tensor(class_logits, "float32"))
    return nms_per_class(boxes, scores, score_threshold, iou_threshold, max_per_class,
                         max_detections)


def detections_of(dets: dict, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(boxes, scores, classes)`` of image ``i`` of a :func:`decode_predictions` result."""
    n = int(dets["num_detections"][i])
    return dets["boxes"][i, :n], dets["scores"][i, :n], dets["classes"][i, :n]
