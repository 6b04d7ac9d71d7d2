"""Step 2a: which anchor is responsible for which object (IoU matching).

For anchors ``a_i`` and ground-truth boxes ``g_j`` (both ``[x_min, y_min, x_max, y_max]``)

    IoU(a, g) = |a ∩ g| / (|a| + |g| - |a ∩ g|)

(the box geometry, :func:`~refs.losses.boxes.intersection_union`, lives in
:mod:`refs.losses.boxes`, shared with the GIoU loss)

and each anchor takes the object it overlaps most, ``j*(i) = argmax_j IoU(a_i, g_j)``:

- positive when ``max_j IoU >= positive_iou`` (0.5),
- negative (background) when ``max_j IoU < negative_iou`` (0.4),
- ignored in between (it contributes to no loss).

With ``match_best`` every object also claims the anchor(s) that overlap it most (if that IoU is
> 0), even below 0.5, so that a small or thin object (a "1" 12 pixels tall) is never left without
a positive anchor. Padding objects (label ``< 0``) never match. An image without objects has
only negatives.

Example:
    >>> iou = pairwise_iou(anchors, boxes)                    # (A, M)
    >>> matched, state = match_anchors(anchors, boxes, labels)
    >>> # state: 1 positive, 0 negative, -1 ignored; matched: index of the object
"""

from __future__ import annotations

from keras import ops

from refs.losses.boxes import box_area, intersection_union

__all__ = ["MATCH_IGNORED", "MATCH_NEGATIVE", "MATCH_POSITIVE", "box_area", "intersection_union",
           "match_anchors", "pairwise_iou"]

#: Match states of an anchor (what :func:`match_anchors` returns; not class ids: the class
#: targets built from them are :data:`refs.detection.encoding.CLASS_BACKGROUND` and
#: :data:`~refs.detection.encoding.CLASS_IGNORED`).
MATCH_POSITIVE, MATCH_NEGATIVE, MATCH_IGNORED = 1, 0, -1


def pairwise_iou(boxes_a, boxes_b):
    """IoU of every box in ``boxes_a (..., N, 4)`` with every box in ``boxes_b (..., M, 4)``:
    ``(..., N, M)`` (leading axes broadcast, e.g. ``(N, 4)`` anchors with ``(B, M, 4)`` boxes
    give ``(B, N, M)``).

    Two empty boxes give 0, not NaN (the union is floored at a tiny epsilon).
    """
    boxes_a = ops.convert_to_tensor(boxes_a, "float32")
    boxes_b = ops.convert_to_tensor(boxes_b, "float32")
    inter, union = intersection_union(boxes_a[..., :, None, :], boxes_b[..., None, :, :])
    return inter / ops.maximum(union, 1e-9)


def match_anchors(anchors, boxes, labels, positive_iou=0.5, negative_iou=0.4, match_best=True):
    """Match ``anchors (A, 4)`` to the objects ``boxes (..., M, 4)``, ``labels (..., M)`` (< 0:
    padding); a leading batch axis on ``boxes`` and ``labels`` matches each image on its own.

    Returns:
        ``(matched (..., A) int32, state (..., A) int32)``: the index of each anchor's best
        object (0 when there is none) and 1 / 0 / -1 for positive / negative / ignored.
    """
    if not 0.0 <= negative_iou <= positive_iou <= 1.0:
        raise ValueError(
            f"need 0 <= negative_iou <= positive_iou <= 1, got {negative_iou}, {positive_iou}"
        )
    labels = ops.convert_to_tensor(labels, "int32")
    valid = labels >= 0
    iou = pairwise_iou(anchors, boxes)  # (..., A, M)
    # Padding objects get IoU -1 so they can never be the best match.
    iou = ops.where(valid[..., None, :], iou, -1.0)
    # a static count of 0 needs its own path; a dynamic count must be >= 1 (pad with label -1)
    num_objects = iou.shape[-1]
    if num_objects == 0:
        best = ops.zeros(ops.shape(iou)[:-1], "float32") - 1.0
        matched = ops.zeros(ops.shape(iou)[:-1], "int32")
    else:
        best = ops.max(iou, axis=-1)
        matched = ops.cast(ops.argmax(iou, axis=-1), "int32")
    state = ops.where(
        best >= positive_iou,
        MATCH_POSITIVE,
        ops.where(best < negative_iou, MATCH_NEGATIVE, MATCH_IGNORED),
    )
    state = ops.cast(state, "int32")
    if match_best and num_objects != 0:
        # Each object's best IoU over the anchors; anchors reaching it become positive for it.
        per_object = ops.max(iou, axis=-2)  # (..., M)
        is_best = (iou >= per_object[..., None, :] - 1e-6) & (iou > 0.0) & valid[..., None, :]
        forced = ops.any(is_best, axis=-1)
        forced_obj = ops.cast(ops.argmax(ops.cast(is_best, "float32"), axis=-1), "int32")
        matched = ops.where(forced & (state != MATCH_POSITIVE), forced_obj, matched)
        state = ops.where(forced, MATCH_POSITIVE, state)
    return matched, state
