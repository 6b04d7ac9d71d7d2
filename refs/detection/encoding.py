"""Step 2b: boxes as offsets from anchors, and the label encoder that builds training targets.

For an anchor with centre ``(x_a, y_a)`` and size ``(w_a, h_a)`` and a box ``(x, y, w, h)``

    t_x = (x - x_a) / w_a / v_x      t_w = log(w / w_a) / v_w
    t_y = (y - y_a) / h_a / v_y      t_h = log(h / h_a) / v_h

with the usual variances ``v = (0.1, 0.1, 0.2, 0.2)``, which scale the offsets of matched anchors
to about unit variance. :func:`decode_boxes` is the exact inverse (``exp`` of the size offsets is
clipped at ``log(1000/16)`` so an untrained network cannot overflow).

Example:
    >>> t = encode_boxes(boxes, anchors)
    >>> np.allclose(decode_boxes(t, anchors), boxes, atol=1e-3)
    True
"""

from __future__ import annotations

import math

from keras import ops

from refs.detection.anchors import AnchorGenerator
from refs.detection.matching import (
    MATCH_IGNORED,
    MATCH_POSITIVE,
    match_anchors,
    match_anchors_atss,
)

VARIANCES = (0.1, 0.1, 0.2, 0.2)
#: how anchors are matched to objects: IoU thresholds (RetinaNet) or ATSS
ASSIGNERS = ("iou", "atss")
_MAX_LOG_SCALE = math.log(1000.0 / 16.0)

#: Class target values besides the class ids 0..C-1 (see LabelEncoder): a negative anchor's and
#: an ignored anchor's. Not match states (those are refs.detection.matching.MATCH_*).
CLASS_BACKGROUND, CLASS_IGNORED = -1, -2


def corners_to_centers(boxes):
    """``[x_min, y_min, x_max, y_max]`` -> ``[x_c, y_c, w, h]``."""
    return ops.concatenate([(boxes[..., :2] + boxes[..., 2:]) / 2,
                            boxes[..., 2:] - boxes[..., :2]], axis=-1)


def centers_to_corners(boxes):
    """``[x_c, y_c, w, h]`` -> ``[x_min, y_min, x_max, y_max]``."""
    return ops.concatenate([boxes[..., :2] - boxes[..., 2:] / 2,
                            boxes[..., :2] + boxes[..., 2:] / 2], axis=-1)


def encode_boxes(boxes, anchors, variances=VARIANCES):
    """Offsets ``(..., 4)`` of corner boxes relative to corner anchors (same leading shape)."""
    boxes = corners_to_centers(ops.convert_to_tensor(boxes, "float32"))
    anchors = corners_to_centers(ops.convert_to_tensor(anchors, "float32"))
    v = ops.convert_to_tensor(variances, "float32")
    wh = ops.maximum(boxes[..., 2:], 1e-6)
    t_xy = (boxes[..., :2] - anchors[..., :2]) / anchors[..., 2:]
    t_wh = ops.log(wh / anchors[..., 2:])
    return ops.concatenate([t_xy, t_wh], axis=-1) / v


def decode_boxes(offsets, anchors, variances=VARIANCES):
    """Corner boxes from offsets; the inverse of :func:`encode_boxes`."""
    offsets = ops.convert_to_tensor(offsets, "float32")
    anchors = corners_to_centers(ops.convert_to_tensor(anchors, "float32"))
    t = offsets * ops.convert_to_tensor(variances, "float32")
    xy = t[..., :2] * anchors[..., 2:] + anchors[..., :2]
    wh = ops.exp(ops.minimum(t[..., 2:], _MAX_LOG_SCALE)) * anchors[..., 2:]
    return centers_to_corners(ops.concatenate([xy, wh], axis=-1))


class LabelEncoder:
    """Turn one image's objects into per-anchor training targets.

    ``encode(boxes (M, 4), labels (M,))`` returns ``(A, 5)`` float32: columns 0-3 the encoded box
    of the matched object (meaningful on positives only), column 4 the class target: the class
    id on positives, ``-1`` (background) on negatives, ``-2`` on ignored anchors. A batch,
    ``boxes (B, M, 4)`` and ``labels (B, M)``, gives ``(B, A, 5)``.

    Args:
        anchor_generator: the :class:`AnchorGenerator` shared with the model.
        image_size: ``(H, W)`` of the training images.
        positive_iou, negative_iou, match_best: see :func:`refs.detection.matching.match_anchors`.
        assigner: ``"iou"`` (:func:`~refs.detection.matching.match_anchors`) or ``"atss"``
            (:func:`~refs.detection.matching.match_anchors_atss`, which ignores the thresholds).
    """

    def __init__(self, anchor_generator: AnchorGenerator, image_size=(128, 128),
                 positive_iou=0.5, negative_iou=0.4, match_best=True, variances=VARIANCES,
                 assigner: str = "iou"):
        if assigner not in ASSIGNERS:
            raise ValueError(f"assigner must be one of {ASSIGNERS}, got {assigner!r}")
        self.assigner = assigner
        self.anchor_generator = anchor_generator
        self.image_size = tuple(int(s) for s in image_size)
        self.anchors = anchor_generator(*self.image_size)
        self.positive_iou = positive_iou
        self.negative_iou = negative_iou
        self.match_best = match_best
        self.variances = variances

    def encode(self, boxes, labels):
        anchors = ops.convert_to_tensor(self.anchors)
        labels = ops.cast(ops.convert_to_tensor(labels), "int32")
        if self.assigner == "atss":
            counts = [h * w * self.anchor_generator.anchors_per_location
                      for h, w in self.anchor_generator.shapes(*self.image_size)]
            matched, state = match_anchors_atss(anchors, counts, boxes, labels)
        else:
            matched, state = match_anchors(anchors, boxes, labels, self.positive_iou,
                                           self.negative_iou, self.match_best)
        boxes = ops.convert_to_tensor(boxes, "float32")
        # the matched object of each anchor, gathered as a one-hot product (works batched)
        pick = ops.one_hot(matched, ops.shape(labels)[-1], dtype="float32")  # (..., A, M)
        matched_boxes = ops.matmul(pick, boxes)
        matched_labels = ops.cast(ops.round(ops.matmul(pick, ops.cast(labels, "float32")[
            ..., None])[..., 0]), "int32")
        box_targets = encode_boxes(matched_boxes, anchors, self.variances)
        box_targets = ops.where((state == MATCH_POSITIVE)[..., None], box_targets, 0.0)
        cls = ops.where(state == MATCH_POSITIVE, matched_labels,
                        ops.where(state == MATCH_IGNORED, CLASS_IGNORED, CLASS_BACKGROUND))
        return ops.concatenate([box_targets, ops.cast(cls, "float32")[..., None]], axis=-1)
