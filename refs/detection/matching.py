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


def match_anchors_atss(anchors, level_counts, boxes, labels, top_k=9):
    """Adaptive training sample selection (ATSS, Zhang et al. 2020) of ``anchors (A, 4)``, laid
    out level by level with ``level_counts`` anchors per level, to the objects ``boxes (..., M,
    4)``, ``labels (..., M)`` (< 0: padding).

    For each object: on every level, the ``top_k`` anchors whose centres are nearest to the
    object's centre are candidates; the object's IoU threshold is the mean plus the standard
    deviation of its candidates' IoUs; candidates at or above it whose centre lies inside the
    object are positive for it. An anchor positive for several objects takes the one it overlaps
    most. Each object also claims its best-overlapping anchor (so a tiny digit between anchor
    centres is never left without one). Every other anchor is negative: ATSS has no ignored zone.

    Returns ``(matched (..., A) int32, state (..., A) int32)`` like :func:`match_anchors`.
    """
    labels = ops.convert_to_tensor(labels, "int32")
    anchors = ops.convert_to_tensor(anchors, "float32")
    boxes = ops.convert_to_tensor(boxes, "float32")
    valid = labels >= 0  # (..., M)
    iou = ops.where(valid[..., None, :], pairwise_iou(anchors, boxes), -1.0)  # (..., A, M)
    a_centre = (anchors[:, :2] + anchors[:, 2:]) / 2  # (A, 2)
    b_centre = (boxes[..., :2] + boxes[..., 2:]) / 2  # (..., M, 2)
    dist = ops.sqrt(ops.sum(ops.square(a_centre[:, None, :] - b_centre[..., None, :, :]), -1))
    dist_t = ops.swapaxes(dist, -1, -2)  # (..., M, A)
    iou_t = ops.swapaxes(iou, -1, -2)
    candidates, cand_iou, start = [], [], 0
    for count in (int(c) for c in level_counts):
        k = min(int(top_k), count)
        _, idx = ops.top_k(-dist_t[..., start:start + count], k)  # (..., M, k)
        mask = ops.sum(ops.one_hot(idx, count, dtype="float32"), axis=-2) > 0  # (..., M, count)
        candidates.append(mask)
        cand_iou.append(ops.take_along_axis(iou_t[..., start:start + count], idx, axis=-1))
        start += count
    is_candidate = ops.concatenate(candidates, axis=-1)  # (..., M, A)
    cand_iou = ops.concatenate(cand_iou, axis=-1)  # (..., M, L*k)
    threshold = ops.mean(cand_iou, axis=-1) + ops.std(cand_iou, axis=-1)  # (..., M)
    inside = ((a_centre[:, 0] > boxes[..., :, 0:1]) & (a_centre[:, 0] < boxes[..., :, 2:3])
              & (a_centre[:, 1] > boxes[..., :, 1:2]) & (a_centre[:, 1] < boxes[..., :, 3:4]))
    positive = is_candidate & (iou_t >= threshold[..., None]) & inside & valid[..., None]
    # each object's best anchor, always
    best = ops.max(iou_t, axis=-1, keepdims=True)
    positive = positive | ((iou_t >= best - 1e-6) & (iou_t > 0.0) & valid[..., None])
    scored = ops.where(positive, iou_t, -2.0)  # (..., M, A)
    matched = ops.cast(ops.argmax(scored, axis=-2), "int32")  # (..., A)
    state = ops.where(ops.any(positive, axis=-2), MATCH_POSITIVE, MATCH_NEGATIVE)
    return matched, ops.cast(state, "int32")
