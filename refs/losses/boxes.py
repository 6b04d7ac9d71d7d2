"""Box losses on corner boxes, and the IoU geometry they share with the detector's matching.

Boxes are ``[x_min, y_min, x_max, y_max]`` (or ``[y_min, x_min, y_max, x_max]``: every formula
here is symmetric in x and y), with any number of leading axes that broadcast.

    |A ∩ B| = max(0, min(a_max, b_max) - max(a_min, b_min)) per axis, multiplied
    |A ∪ B| = |A| + |B| - |A ∩ B|
    IoU     = |A ∩ B| / |A ∪ B|
    GIoU    = IoU - (|C| - |A ∪ B|) / |C|,   C the smallest box enclosing A and B

:func:`giou_loss` is ``1 - GIoU`` (or ``1 - IoU``); :mod:`refs.detection.matching` builds its
anchor matching on :func:`intersection_union` (this module is the lower floor: it imports
nothing from ``refs.detection``).
"""

from __future__ import annotations

import numpy as np
from keras import ops

from refs.losses.base import as_float_tensor
from refs.losses.validation import check_choice, check_values, convert_input, static_shape

__all__ = [
    "box_area",
    "giou_loss",
    "intersection_union",
]


def box_area(boxes):
    """Area of ``[x_min, y_min, x_max, y_max]`` boxes (0 for degenerate ones)."""
    wh = ops.maximum(boxes[..., 2:] - boxes[..., :2], 0.0)
    return wh[..., 0] * wh[..., 1]


def intersection_union(boxes_a, boxes_b):
    """``(|a ∩ b|, |a ∪ b|)`` of corner boxes, broadcasting over leading axes."""
    lo = ops.maximum(boxes_a[..., :2], boxes_b[..., :2])
    hi = ops.minimum(boxes_a[..., 2:], boxes_b[..., 2:])
    wh = ops.maximum(hi - lo, 0.0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, box_area(boxes_a) + box_area(boxes_b) - inter


def _check_boxes(loss: str, y_true, y_pred) -> None:
    """Corner boxes: a last axis of 4, shapes that broadcast, finite coordinates (eager)."""
    shapes = {"y_true": static_shape(y_true), "y_pred": static_shape(y_pred)}
    for arg, shape in shapes.items():
        if shape is not None and (len(shape) == 0 or shape[-1] not in (4, None)):
            raise ValueError(f"{loss}: {arg} must hold boxes [x_min, y_min, x_max, y_max] on a "
                             f"last axis of 4, got shape {shape}")
    a, b = shapes["y_true"], shapes["y_pred"]
    if a is not None and b is not None and None not in a + b:
        try:
            np.broadcast_shapes(a, b)
        except ValueError:
            raise ValueError(f"{loss}: y_true {a} and y_pred {b} do not broadcast (one box of "
                             "y_pred per box of y_true)") from None
    check_values(loss, y_true, y_pred)


def giou_loss(y_true, y_pred, mode: str = "giou"):
    """``1 - GIoU`` (or ``1 - IoU`` with ``mode="iou"``) per pair of corner boxes ``(..., 4)``.

        IoU  = |A ∩ B| / |A ∪ B|
        GIoU = IoU - (|C| - |A ∪ B|) / |C|,   C the smallest box enclosing A and B

    so the loss lies in [0, 2]; it keeps a gradient for boxes that do not overlap. Boxes may be
    ``[x_min, y_min, x_max, y_max]`` or ``[y_min, x_min, y_max, x_max]`` (the formula is
    symmetric in x and y); a zero-area union or enclosure counts as IoU 0 (no NaN).

    Example:
        >>> giou_loss([[0., 0., 1., 1.]], [[1., 1., 2., 2.]])  # touching: IoU 0, |C| 4, union 2
        [1.5]
    """
    check_choice("mode", mode, ("giou", "iou"))
    y_true = as_float_tensor(convert_input("giou_loss", "y_true", y_true))
    y_pred = ops.cast(convert_input("giou_loss", "y_pred", y_pred), y_true.dtype)
    _check_boxes("giou_loss", y_true, y_pred)
    # y_pred first: at ties (identical edges) min/max route the gradient to it, as tfa does.
    inter, union = intersection_union(y_pred, y_true)
    zero = ops.zeros_like(union)
    iou = ops.where(union > 0, inter / ops.where(union > 0, union, 1.0), zero)
    if mode == "iou":
        return 1.0 - iou
    lo = ops.minimum(y_pred[..., :2], y_true[..., :2])
    hi = ops.maximum(y_pred[..., 2:], y_true[..., 2:])
    wh = ops.maximum(hi - lo, 0.0)
    enclose = wh[..., 0] * wh[..., 1]
    extra = ops.where(enclose > 0, (enclose - union) / ops.where(enclose > 0, enclose, 1.0), zero)
    return 1.0 - (iou - extra)
