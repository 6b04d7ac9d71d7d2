"""Box losses (IoU family, smooth L1) and the IoU geometry they share with the detector's matching.

Box formats
-----------
The keras-cv-style losses take ``bounding_box_format``, the layout of the last axis of 4:

=================  ==================================  =================================
format             last axis                           note
=================  ==================================  =================================
``"xyxy"``         ``[x_min, y_min, x_max, y_max]``    corners (keras-cv, refs default)
``"yxyx"``         ``[y_min, x_min, y_max, x_max]``    corners, y first (tfa's order)
``"xywh"``         ``[x_min, y_min, width, height]``
``"center_xywh"``  ``[x_c, y_c, width, height]``
``"center_yxhw"``  ``[y_c, x_c, height, width]``
=================  ==================================  =================================

They are converted to corners with ``keras.ops`` here, in the inputs' dtype: Keras 3.15's
``keras.utils.bounding_boxes.convert_format`` exists but casts to float32 (its ``dtype``
argument) and switches backends inside ``tf.data``; keras-cv's own losses therefore compute
in float32 whatever the input dtype, refs's in the input dtype. The relative ``"rel_*"`` formats
need the image size and are not accepted (keras-cv's losses cannot take them either; IoU and
GIoU are invariant under scaling each axis, so pass relative boxes with their absolute format
name; CIoU and DIoU are not). On eager inputs, a box with ``x_max < x_min`` or ``y_max < y_min``
(a negative width or height) is a ValueError naming the argument.

Geometry (corner boxes, any leading axes that broadcast; one value per PAIR of boxes ``i``)::

    |A ∩ B| = max(0, min(a_max, b_max) - max(a_min, b_min)) per axis, multiplied
    |A ∪ B| = |A| + |B| - |A ∩ B|
    IoU     = |A ∩ B| / |A ∪ B|                         (0 when |A ∪ B| = 0)
    GIoU    = IoU - (|C| - |A ∪ B|) / |C|,              C the smallest box enclosing A and B
    DIoU    = IoU - rho² / c²,                          rho the distance of the centres,
                                                        c the diagonal of C
    CIoU    = DIoU - a v,   v = 4/π² (atan(w_t/h_t) - atan(w_p/h_p))²,  a = v / (1 - IoU + v)

Exact formulas: where keras-cv adds 1e-7 to the union, the enclosure and the heights, refs
divides exactly and gives the limits (a 0/0 ratio counts as 0; ``atan(w/h)`` is taken as
``atan2(w, h)``, π/2 for a zero height); the two agree to about ``1e-7 / area``.

Where refs deliberately differs from keras-cv 0.9.0
----------------------------------------------------
- **Pairs.** keras-cv's ``GIoULoss``/``IoULoss`` build the (N, N) pairwise matrix and take its
  diagonal, which is right for (N, 4) boxes but pairs the wrong boxes for batched (B, N, 4)
  input (``ops.diagonal`` over axes 0 and 1). refs computes one value per matching pair of
  boxes for any leading shape: (B, N, 4) gives (B, N).
- **axis.** keras-cv's default ``axis=-1`` first averages the per-box IoU over the box axis
  (one scalar per (N, 4) call, then the mode). refs's default is ``axis="no_reduction"``, one
  loss per box (tfa's behaviour, and what Keras's ``sample_weight`` / ``reduction`` expect);
  ``axis=-1`` gives keras-cv's averaging (over the box axis of each batch element). With the
  default reduction and no sample weights both give the same number for GIoU and
  ``IoULoss(mode="linear")``; not for ``"quadratic"`` / ``"log"`` (``1 - mean(iou)²`` versus
  ``mean(1 - iou²)``).
- **log mode.** keras-cv's ``-log(iou)`` is ``+inf`` for disjoint boxes; refs's is
  ``-log(max(iou, eps))`` (eps 1e-7, 2**-11 in float16): 16.12 there, with gradient 0.
- **CIoU's aspect term.** keras-cv 0.9.0 computes ``v = (4/π² Δ)²`` (``16/π⁴ Δ²``, Δ the
  difference of the ``atan(w/h)``); refs uses the paper's ``v = 4/π² Δ²``.
- **SmoothL1.** keras-cv's ``0.5 d² if |d| < c else |d| - 0.5`` is discontinuous for
  ``l1_cutoff = c != 1``; refs's is continuous: ``0.5 d² / c if |d| < c else |d| - 0.5 c``,
  i.e. ``huber(delta=c) / c`` (torch's ``SmoothL1Loss(beta=c)``). They agree for ``c = 1``.

Gradients at the kinks of min / max (identical edges, touching or zero-width boxes), where
these losses have no derivative, are one-sided: the keras-cv-style functions take keras-cv's
side (``y_true`` first), :func:`giou_loss` tfa's (``y_pred`` first), so each matches its
library's gradients exactly; elsewhere the two agree.

:func:`giou_loss` is the tfa-style function (``1 - GIoU`` / ``1 - IoU`` of corner boxes in
either order, no format conversion, no axis); :class:`GIoULoss` serves tfa and keras-cv users
alike (see its docstring). :mod:`refs.detection.matching` builds its anchor matching on
:func:`intersection_union` (this module is the lower floor: it imports nothing from
``refs.detection``).
"""

from __future__ import annotations

import math

import numpy as np
from keras import ops

from refs.losses.base import Loss, as_float_tensor, epsilon_like, mean_over, prepare, register
from refs.losses.validation import (
    WrongTypeError,
    check_axis,
    check_choice,
    check_positive,
    check_values,
    concrete_sample,
    convert_input,
    static_shape,
)

__all__ = [
    "BOX_FORMATS",
    "CIoULoss",
    "DIoULoss",
    "GIoULoss",
    "IoULoss",
    "SmoothL1Loss",
    "box_area",
    "ciou_loss",
    "convert_to_corners",
    "diou_loss",
    "generalized_iou_loss",
    "giou_loss",
    "intersection_union",
    "iou_loss",
    "smooth_l1_loss",
]

#: The ``bounding_box_format`` values the box losses accept.
BOX_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw")
IOU_MODES = ("linear", "quadratic", "log")


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


def _check_boxes(loss: str, y_true, y_pred, layout: str = "[x_min, y_min, x_max, y_max]") -> None:
    """Boxes: a last axis of 4, shapes that broadcast, finite coordinates (eager)."""
    shapes = {"y_true": static_shape(y_true), "y_pred": static_shape(y_pred)}
    for arg, shape in shapes.items():
        if shape is not None and (len(shape) == 0 or shape[-1] not in (4, None)):
            raise ValueError(f"{loss}: {arg} must hold boxes {layout} on a "
                             f"last axis of 4, got shape {shape}")
    a, b = shapes["y_true"], shapes["y_pred"]
    if a is not None and b is not None and None not in a + b:
        try:
            np.broadcast_shapes(a, b)
        except ValueError:
            raise ValueError(f"{loss}: y_true {a} and y_pred {b} do not broadcast (one box of "
                             "y_pred per box of y_true)") from None
    check_values(loss, y_true, y_pred)


def _ratio(num, den):
    """``num / den``, 0 where ``den`` is 0 (with a zero, finite gradient there)."""
    ok = den > 0
    return ops.where(ok, num / ops.where(ok, den, ops.ones_like(den)), ops.zeros_like(num))


def giou_loss(y_true, y_pred, mode: str = "giou"):
    """``1 - GIoU`` (or ``1 - IoU`` with ``mode="iou"``) per pair of corner boxes ``(..., 4)``.

        IoU  = |A ∩ B| / |A ∪ B|
        GIoU = IoU - (|C| - |A ∪ B|) / |C|,   C the smallest box enclosing A and B

    so the loss lies in [0, 2]; it keeps a gradient for boxes that do not overlap. Boxes may be
    ``[x_min, y_min, x_max, y_max]`` or ``[y_min, x_min, y_max, x_max]`` (the formula is
    symmetric in x and y); a zero-area union or enclosure counts as IoU 0 (no NaN). This is
    tensorflow-addons' ``giou_loss``; :func:`generalized_iou_loss` adds ``bounding_box_format``,
    ``axis`` and the corner-order check.

    Example:
        >>> giou_loss([[0., 0., 1., 1.]], [[1., 1., 2., 2.]])  # touching: IoU 0, |C| 4, union 2
        [1.5]
    """
    check_choice("mode", mode, ("giou", "iou"))
    y_true = as_float_tensor(convert_input("giou_loss", "y_true", y_true))
    y_pred = ops.cast(convert_input("giou_loss", "y_pred", y_pred), y_true.dtype)
    _check_boxes("giou_loss", y_true, y_pred)
    return 1.0 - _giou(y_true, y_pred, mode)


def _giou(y_true, y_pred, mode, ties="tfa"):
    """GIoU (or IoU) of corner boxes, elementwise over the leading axes.

    ``ties`` picks the one-sided derivative at the kinks of min / max (identical edges,
    touching boxes, zero-width boxes), where the loss has no derivative; TensorFlow sends the
    gradient of a tie to the first argument. ``"tfa"``: ``y_pred`` first (tfa's choice);
    ``"keras_cv"``: ``y_true`` first and ``max(0, overlap)`` (keras-cv's choice).
    """
    if ties == "tfa":
        inter, union = intersection_union(y_pred, y_true)
    else:
        inter, union = _intersection_union_true_first(y_true, y_pred)
    iou = _ratio(inter, union)
    if mode == "iou":
        return iou
    first, second = (y_pred, y_true) if ties == "tfa" else (y_true, y_pred)
    lo = ops.minimum(first[..., :2], second[..., :2])
    hi = ops.maximum(first[..., 2:], second[..., 2:])
    wh = ops.maximum(hi - lo, 0.0)
    enclose = wh[..., 0] * wh[..., 1]
    return iou - _ratio(enclose - union, enclose)


def _intersection_union_true_first(y_true, y_pred, zero_first=True):
    """``intersection_union`` with keras-cv's tie routing: y_true first, and the overlap
    clamped as ``max(0, overlap)`` (``zero_first``, its GIoU / IoU) or ``max(overlap, 0)`` (its
    CIoU)."""
    lo = ops.maximum(y_true[..., :2], y_pred[..., :2])
    hi = ops.minimum(y_true[..., 2:], y_pred[..., 2:])
    if zero_first:
        wh = ops.maximum(ops.zeros_like(hi), hi - lo)
    else:
        wh = ops.maximum(hi - lo, ops.zeros_like(hi))
    inter = wh[..., 0] * wh[..., 1]
    return inter, box_area(y_true) + box_area(y_pred) - inter


# --------------------------------------------------------------------------- formats


def _check_format(bounding_box_format):
    if isinstance(bounding_box_format, str) and bounding_box_format.lower() in ("giou", "iou"):
        raise ValueError(
            f"bounding_box_format must be one of {sorted(BOX_FORMATS)}, got "
            f"{bounding_box_format!r}: that is a mode (tfa's GIoULoss took mode first); pass "
            f"mode={bounding_box_format.lower()!r}")
    if isinstance(bounding_box_format, str) and bounding_box_format.lower().startswith("rel_"):
        raise ValueError(
            f"bounding_box_format must be one of {sorted(BOX_FORMATS)}, got "
            f"{bounding_box_format!r}: relative formats need the image size (IoU and GIoU do "
            f"not change when each axis is scaled: pass {bounding_box_format[4:]!r})")
    if not isinstance(bounding_box_format, str):
        raise WrongTypeError(f"bounding_box_format must be one of {sorted(BOX_FORMATS)}, got "
                             f"{bounding_box_format!r}")
    return check_choice("bounding_box_format", bounding_box_format.lower(), BOX_FORMATS)


def convert_to_corners(boxes, bounding_box_format: str):
    """``boxes`` (..., 4) in ``bounding_box_format`` as ``[x_min, y_min, x_max, y_max]``.

    Pure ``keras.ops``, in the dtype of ``boxes`` (see the module docstring for the formats).

    Example:
        >>> convert_to_corners([[1., 2., 3., 4.]], "xywh")
        [[1., 2., 4., 6.]]
    """
    fmt = _check_format(bounding_box_format)
    boxes = as_float_tensor(boxes)
    a, b, c, d = (boxes[..., i] for i in range(4))
    if fmt == "xyxy":
        return boxes
    if fmt == "yxyx":
        parts = (b, a, d, c)
    elif fmt == "xywh":
        parts = (a, b, a + c, b + d)
    elif fmt == "center_xywh":
        parts = (a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d)
    else:  # center_yxhw: [y_c, x_c, h, w]
        parts = (b - 0.5 * d, a - 0.5 * c, b + 0.5 * d, a + 0.5 * c)
    return ops.stack(parts, axis=-1)


_LAYOUT = {
    "xyxy": "[x_min, y_min, x_max, y_max]",
    "yxyx": "[y_min, x_min, y_max, x_max]",
    "xywh": "[x_min, y_min, width, height]",
    "center_xywh": "[x_center, y_center, width, height]",
    "center_yxhw": "[y_center, x_center, height, width]",
}


def _check_extent(loss: str, arg: str, boxes, fmt: str) -> None:
    """Eager: ValueError naming ``arg`` for a box with a negative width or height."""
    values = concrete_sample(boxes)
    if values is None or values.size < 4:
        return
    values = values[: values.size - values.size % 4].reshape(-1, 4)
    if fmt in ("xyxy", "yxyx"):
        extent = values[:, 2:] - values[:, :2]
        what = ("x_max < x_min or y_max < y_min" if fmt == "xyxy"
                else "y_max < y_min or x_max < x_min")
    else:
        extent = values[:, 2:]
        what = "a negative width or height"
    bad = np.flatnonzero((extent < 0).any(axis=1))
    if bad.size:
        raise ValueError(f"{loss}: {arg} has a box with {what} (box {int(bad[0])}: "
                         f"{values[bad[0]].tolist()} in {fmt!r} format "
                         f"{_LAYOUT[fmt]}); check bounding_box_format")


def _corners(loss: str, y_true, y_pred, bounding_box_format):
    """Both inputs checked and converted to float corner boxes of ``y_pred``'s dtype."""
    fmt = _check_format(bounding_box_format)
    y_pred = as_float_tensor(convert_input(loss, "y_pred", y_pred))
    y_true = ops.cast(convert_input(loss, "y_true", y_true), y_pred.dtype)
    _check_boxes(loss, y_true, y_pred, _LAYOUT[fmt])
    _check_extent(loss, "y_true", y_true, fmt)
    _check_extent(loss, "y_pred", y_pred, fmt)
    return convert_to_corners(y_true, fmt), convert_to_corners(y_pred, fmt)


def _check_box_axis(axis):
    if axis == "no_reduction" or axis is None:
        return "no_reduction"
    if isinstance(axis, str):
        raise ValueError(f"axis must be 'no_reduction' or an integer axis of the per-box "
                         f"values, got {axis!r}")
    return check_axis("axis", axis)


def _reduce_boxes(loss: str, values, axis):
    """``values`` (one per box pair) averaged over ``axis`` unless it is 'no_reduction'."""
    axis = _check_box_axis(axis)
    if axis == "no_reduction":
        return values
    shape = static_shape(values)
    if shape is not None:
        if len(shape) == 0:
            raise ValueError(f"{loss}: axis={axis} needs boxes with a box axis (shape (N, 4) "
                             "or (B, N, 4)), got a single box")
        check_axis("axis", axis, len(shape))
    return mean_over(values, axis=axis)


# --------------------------------------------------------------------------- IoU losses


@register
def iou_loss(y_true, y_pred, bounding_box_format="xyxy", mode="log", axis="no_reduction"):
    """IoU loss per pair of boxes: ``1 - IoU`` ("linear"), ``1 - IoU²`` ("quadratic") or
    ``-log IoU`` ("log", keras-cv's default).

    ``IoU`` is exact (0 for a zero-area union); ``-log`` is taken of ``max(IoU, eps)``
    (eps 1e-7; 2**-11 in float16), so disjoint boxes give 16.12 (float16: 7.62) with gradient 0
    instead of keras-cv's ``+inf``. ``axis="no_reduction"`` (default) gives one loss per box,
    shape ``y_pred.shape[:-1]``; ``axis=-1`` averages IoU over the box axis first and applies
    the mode to the mean (keras-cv's default: one value per (N, 4) set).

    At the extremes: identical boxes give 0 in every mode; disjoint boxes give 1 (linear,
    quadratic) and no gradient: use :func:`generalized_iou_loss` when they must be pulled
    together. keras-cv's ``IoULoss`` semantics (see the module docstring for where refs
    differs: pairing of batched boxes, the default ``axis``, the finite log).

    Example:
        >>> iou_loss([[0., 0., 2., 2.]], [[1., 0., 3., 2.]], mode="linear")  # IoU 2 / 6
        [0.666667]
    """
    name = "iou_loss"
    check_choice("mode", mode, IOU_MODES)
    true, pred = _corners(name, y_true, y_pred, bounding_box_format)
    iou = _reduce_boxes(name, _giou(true, pred, "iou", "keras_cv"), axis)
    if mode == "linear":
        return 1.0 - iou
    if mode == "quadratic":
        return 1.0 - ops.square(iou)
    return -ops.log(ops.maximum(iou, epsilon_like(iou)))


@register
def generalized_iou_loss(y_true, y_pred, bounding_box_format="xyxy", axis="no_reduction",
                         mode="giou"):
    """``1 - GIoU`` (``mode="iou"``: ``1 - IoU``) per pair of boxes in ``bounding_box_format``.

    The loss lies in [0, 2]: 0 for identical boxes, 1 for touching ones, towards 2 for boxes
    far apart relative to their size, with a gradient even when they do not overlap (Rezatofighi
    et al., 2019). ``axis="no_reduction"`` (default): one loss per box; ``axis=-1``:
    ``1 - mean(GIoU)`` over the box axis (keras-cv's default). The same numbers as
    :func:`giou_loss` on ``"xyxy"`` or ``"yxyx"`` boxes, plus the format conversion and the
    corner-order check.

    Example:
        >>> generalized_iou_loss([[0., 0., 1., 1.]], [[1., 1., 1., 1.]], "xywh")  # touching
        [1.5]
    """
    name = "generalized_iou_loss"
    check_choice("mode", mode, ("giou", "iou"))
    true, pred = _corners(name, y_true, y_pred, bounding_box_format)
    return 1.0 - _reduce_boxes(name, _giou(true, pred, mode, "keras_cv"), axis)


def _distance_terms(true, pred):
    """``(IoU, rho² / c²)``: the centre distance over the enclosing diagonal, squared."""
    # y_true first at the kinks of min / max (keras-cv's one-sided derivatives, see _giou)
    inter, union = _intersection_union_true_first(true, pred, zero_first=False)
    iou = _ratio(inter, union)
    centre = 0.5 * (true[..., :2] + true[..., 2:]) - 0.5 * (pred[..., :2] + pred[..., 2:])
    lo = ops.minimum(true[..., :2], pred[..., :2])
    hi = ops.maximum(true[..., 2:], pred[..., 2:])
    # both squared lengths in units of the enclosure's longer side: no overflow in float16
    side = ops.maximum(hi[..., :1] - lo[..., :1], hi[..., 1:] - lo[..., 1:])
    ok = side > 0
    side = ops.where(ok, side, ops.ones_like(side))
    rho2 = ops.sum(ops.square(centre / side), axis=-1)
    c2 = ops.sum(ops.square((hi - lo) / side), axis=-1)
    return iou, _ratio(rho2, ops.where(ok[..., 0], c2, ops.zeros_like(c2)))


def _aspect_angle(boxes):
    """``atan(w / h)`` as ``atan2(w, h)``: π/2 for h = 0 < w, 0 for a point (gradient 0)."""
    w = boxes[..., 2] - boxes[..., 0]
    h = boxes[..., 3] - boxes[..., 1]
    ok = (w > 0) | (h > 0)
    one = ops.ones_like(w)
    return ops.where(ok, ops.arctan2(ops.where(ok, w, one), ops.where(ok, h, one)),
                     ops.zeros_like(w))


@register
def diou_loss(y_true, y_pred, bounding_box_format="xyxy", axis="no_reduction"):
    """``1 - DIoU = 1 - IoU + rho² / c²`` per pair of boxes (Zheng et al., 2020).

    ``rho`` is the distance between the boxes' centres, ``c`` the diagonal of the smallest box
    enclosing both; the loss is in [0, 2): 0 for identical boxes, and unlike IoU it keeps pulling
    disjoint boxes' centres together. Coincident points (``c = 0``) count as ``rho²/c² = 0``.
    keras-cv 0.9.0 has no DIoU loss; arguments as for :func:`ciou_loss`.

    Example:
        >>> diou_loss([[0., 0., 1., 1.]], [[1., 0., 2., 1.]])  # IoU 0, rho² 1, c² 4 + 1
        [1.2]
    """
    name = "diou_loss"
    true, pred = _corners(name, y_true, y_pred, bounding_box_format)
    iou, distance = _distance_terms(true, pred)
    return _reduce_boxes(name, 1.0 - iou + distance, axis)


#: The aspect-ratio constant of CIoU, 4 / π² (the paper's). keras-cv 0.9.0 squares it along with
#: the angle difference (``v = (4/π² Δ)²``, i.e. 16/π⁴ Δ²); the golden tests set this to 16/π⁴
#: to show that this is the only difference.
_V_SCALE = 4.0 / math.pi**2


@register
def ciou_loss(y_true, y_pred, bounding_box_format="xyxy", axis="no_reduction"):
    """``1 - CIoU`` per pair of boxes (Zheng et al., 2020), keras-cv's ``CIoULoss`` semantics.

        CIoU = IoU - rho² / c² - a v,   v = 4/π² (atan(w_t / h_t) - atan(w_p / h_p))²,
        a = v / (1 - IoU + v)

    The aspect-ratio term ``v`` is 0 for boxes of the same shape and at most 1. keras-cv 0.9.0
    squares the constant too (``v = (4/π² Δ)² = 16/π⁴ Δ²``, 0.41 times the paper's ``v``), so
    its loss is smaller for boxes of different shapes; refs uses the paper's ``v``. ``a`` is
    differentiated through, as in keras-cv (the authors' code and torchvision treat it as a
    constant). Exact where keras-cv adds 1e-7 (to heights, the union and ``a``'s
    denominator): ``atan(w/h)`` is ``atan2(w, h)``, a 0/0 ``a`` (identical boxes) is 0. One value
    per box (keras-cv does not average); ``axis=-1`` averages over the box axis.

    Example:
        >>> ciou_loss([[0., 0., 2., 2.]], [[0., 0., 2., 2.]])
        [0.]
    """
    name = "ciou_loss"
    true, pred = _corners(name, y_true, y_pred, bounding_box_format)
    iou, distance = _distance_terms(true, pred)
    v = _V_SCALE * ops.square(_aspect_angle(true) - _aspect_angle(pred))
    alpha = _ratio(v, (1.0 - iou) + v)
    return _reduce_boxes(name, 1.0 - iou + distance + alpha * v, axis)


class _BoxLoss(Loss):
    """A box loss class: ``bounding_box_format`` and ``axis`` validated, plus ``hyper``."""

    def __init__(self, fn, bounding_box_format, axis, reduction, name, dtype, **hyper):
        super().__init__(
            fn,
            reduction=reduction,
            name=name,
            dtype=dtype,
            bounding_box_format=_check_format(bounding_box_format),
            axis=_check_box_axis(axis),
            **hyper,
        )


@register
class IoULoss(_BoxLoss):
    """IoU loss ``1 - IoU`` / ``1 - IoU²`` / ``-log IoU`` (:func:`iou_loss`), keras-cv's
    ``IoULoss(bounding_box_format, mode="log", axis=-1)`` with refs's per-box default
    ``axis="no_reduction"`` (see the module docstring).

    Example::

        >>> IoULoss("xyxy", mode="linear")([[0., 0., 2., 2.]], [[1., 0., 3., 2.]])
        0.666667
    """

    def __init__(self, bounding_box_format="xyxy", mode="log", axis="no_reduction",
                 reduction="sum_over_batch_size", name="iou_loss", dtype=None):
        super().__init__(iou_loss, bounding_box_format, axis, reduction, name, dtype,
                         mode=check_choice("mode", mode, IOU_MODES))


@register
class GIoULoss(_BoxLoss):
    """``1 - GIoU`` per pair of boxes (:func:`generalized_iou_loss`), for tfa and keras-cv users.

    One class for both libraries' ``GIoULoss``:

    - tensorflow-addons: ``GIoULoss(mode="giou", reduction=..., name="giou_loss")`` on boxes
      ``[y_min, x_min, y_max, x_max]``, one loss per box. ``GIoULoss()`` here gives tfa's numbers
      (and gradients) on those boxes: GIoU and IoU are symmetric in x and y, so tfa's ``yxyx``
      boxes read as the default ``"xyxy"`` give the same values (``"yxyx"`` may be named too).
      Pass ``mode`` by keyword: ``GIoULoss("iou")`` (tfa's positional mode) is a ValueError that
      says so, since the first argument is keras-cv's ``bounding_box_format``. Only at exact
      ties (identical edges, touching boxes) does the gradient differ from tfa's: there the
      loss has no derivative and this class takes keras-cv's one-sided one (:func:`giou_loss`
      keeps tfa's).
    - keras-cv: ``GIoULoss(bounding_box_format, axis=-1)``. refs defaults to
      ``axis="no_reduction"`` (one loss per box, tfa's behaviour); pass ``axis=-1`` for
      keras-cv's ``1 - mean(GIoU)`` over the box axis (the same number under the default
      reduction without ``sample_weight``). Batched (B, N, 4) boxes are paired box by box (keras-cv
      0.9.0 pairs the wrong ones).

    Args:
        bounding_box_format: one of :data:`BOX_FORMATS` (default "xyxy").
        axis: "no_reduction" (default) or the box axis to average GIoU over (-1).
        mode: "giou" (default) or "iou" (``1 - IoU``, tfa's option).

    Example::

        >>> GIoULoss()([[0., 0., 1., 1.]], [[1., 1., 2., 2.]])   # touching corners
        1.5
    """

    def __init__(self, bounding_box_format="xyxy", axis="no_reduction", mode="giou",
                 reduction="sum_over_batch_size", name="giou_loss", dtype=None):
        super().__init__(generalized_iou_loss, bounding_box_format, axis, reduction, name, dtype,
                         mode=check_choice("mode", mode, ("giou", "iou")))


@register
class DIoULoss(_BoxLoss):
    """``1 - DIoU`` per pair of boxes (:func:`diou_loss`).

    Example::

        >>> DIoULoss("xyxy")([[0., 0., 1., 1.]], [[1., 0., 2., 1.]])
        1.2
    """

    def __init__(self, bounding_box_format="xyxy", axis="no_reduction",
                 reduction="sum_over_batch_size", name="diou_loss", dtype=None):
        super().__init__(diou_loss, bounding_box_format, axis, reduction, name, dtype)


@register
class CIoULoss(_BoxLoss):
    """``1 - CIoU`` per pair of boxes (:func:`ciou_loss`), keras-cv's
    ``CIoULoss(bounding_box_format, eps=1e-7)``.

    ``eps`` is accepted for keras-cv's signature and validated (> 0) but, as in keras-cv (which
    stores it and then uses ``keras.backend.epsilon()``), it does not enter the loss: refs's
    formula is exact (see :func:`ciou_loss`). ``axis`` (refs's addition, default
    "no_reduction") averages over the box axis when -1.

    Example::

        >>> CIoULoss("center_xywh")([[1., 1., 2., 2.]], [[1., 1., 2., 2.]])
        0.0
    """

    def __init__(self, bounding_box_format="xyxy", eps=1e-7, axis="no_reduction",
                 reduction="sum_over_batch_size", name="ciou_loss", dtype=None):
        super().__init__(ciou_loss, bounding_box_format, axis, reduction, name, dtype)
        self._eps = check_positive("eps", eps)

    @property
    def eps(self):
        return self._eps

    def get_config(self):
        return {**super().get_config(), "eps": self._eps}


# --------------------------------------------------------------------------- smooth L1


@register
def smooth_l1_loss(y_true, y_pred, l1_cutoff=1.0):
    """Smooth L1, continuous: mean over the last axis of, with ``d = y_true - y_pred``,

        0.5 d² / c        if |d| < c
        |d| - 0.5 c       otherwise,       c = l1_cutoff > 0,

    i.e. ``huber(delta=c) / c`` (torch's ``SmoothL1Loss(beta=c)``): quadratic near 0, slope 1
    beyond ``c``; ``c -> 0`` tends to the L1 loss. keras-cv's ``SmoothL1Loss`` uses
    ``0.5 d²`` and ``|d| - 0.5`` whatever the cutoff, which equals this for ``c = 1`` only and
    jumps at ``|d| = c`` otherwise (``c = 0.5, d = 0.5`` gives 0 there).

    Example:
        >>> smooth_l1_loss([[0., 0.]], [[0.5, 3.]])   # (0.125 + 2.5) / 2
        [1.3125]
    """
    check_positive("l1_cutoff", l1_cutoff)
    y_true, y_pred = prepare("smooth_l1_loss", y_true, y_pred)
    check_values("smooth_l1_loss", y_true, y_pred)
    d = ops.abs(y_true - y_pred)
    c = ops.convert_to_tensor(l1_cutoff, dtype=y_pred.dtype)
    small = ops.minimum(d, c)
    # 0.5 small² / c + (d - small): the two branches in one expression, continuous at d = c.
    return mean_over(0.5 * ops.square(small) / c + (d - small), axis=-1)


@register
class SmoothL1Loss(Loss):
    """Smooth L1 (:func:`smooth_l1_loss`), keras-cv's ``SmoothL1Loss(l1_cutoff=1.0)``, made
    continuous for ``l1_cutoff != 1`` (``huber(delta=c) / c``).

    Example::

        >>> SmoothL1Loss(l1_cutoff=1.0)([[0., 0.]], [[0.5, 3.]])
        1.3125
    """

    def __init__(self, l1_cutoff=1.0, reduction="sum_over_batch_size", name="smooth_l1_loss",
                 dtype=None):
        super().__init__(smooth_l1_loss, reduction=reduction, name=name, dtype=dtype,
                         l1_cutoff=check_positive("l1_cutoff", l1_cutoff))
