"""Ordinal-classification losses: tensorflow-addons 0.23's weighted kappa loss.

``WeightedKappaLoss`` (Fernandez-Delgado / de la Torre et al. 2018) is ``log`` of the ratio
behind Cohen's weighted kappa (``kappa = 1 - num / den``), differentiable in the predicted
probabilities: minimising it maximises kappa. A drop-in replacement for
``tfa.losses.WeightedKappaLoss`` (same constructor arguments and defaults; ``num_classes`` may
also be left out). tfa has no function form; ``weighted_kappa_loss`` is refs's.

Batch-structured: the loss is **one scalar per batch** (the agreement of the whole batch's
predictions with its labels, not a sum over samples), as in tfa, whose reduction defaults to
NONE. ``reduction`` is accepted and has no effect on that scalar; ``sample_weight`` is rejected
with a ValueError (a per-sample weight has no meaning for a ratio of batch sums).
"""

from __future__ import annotations

import keras
from keras import ops

from refs.losses.base import Loss, as_float_tensor, register
from refs.losses.validation import (
    check_choice,
    check_int,
    check_positive,
    check_values,
    convert_input,
    static_shape,
)

__all__ = ["WeightedKappaLoss", "weighted_kappa_loss"]

WEIGHTAGES = ("linear", "quadratic")


@register
def weighted_kappa_loss(y_true, y_pred, num_classes=None, weightage="quadratic",
                        epsilon=1e-6):
    """``log(num / den + epsilon)``, the weighted kappa loss of a batch (a scalar).

    ``y_true``: one-hot labels ``(B, C)``; ``y_pred``: class probabilities ``(B, C)`` (a
    softmax output; not renormalised). With the label index ``l_i = y_i . [0, ..., C-1]`` and
    the weights ``w(a, b) = |a - b|`` (``weightage="linear"``) or ``(a - b)^2``
    (``"quadratic"``, the default):

        num = sum_i sum_j w(l_i, j) p_ij                      (observed disagreement)
        den = (sum_i y_i)^T W (sum_i p_i) / B                 (chance disagreement)

    ``den = 0`` (a batch that is all one class predicted with certainty) gives ``num / den =
    0`` (tfa's ``div_no_nan``), so the loss is ``log(epsilon)``, its minimum (-13.8 for 1e-6);
    a perfect prediction also gives ``log(epsilon)``. ``epsilon > 0`` keeps the log finite.
    ``num_classes`` (default: ``y_pred.shape[-1]``) must match the last axis.

    Example::

        >>> float(weighted_kappa_loss([[1., 0.], [0., 1.]], [[.9, .1], [.2, .8]], num_classes=2))
        -1.2039...
    """
    loss = "weighted_kappa_loss"
    check_choice("weightage", weightage, WEIGHTAGES)
    check_positive("epsilon", epsilon)
    y_true = convert_input(loss, "y_true", y_true)
    y_pred = as_float_tensor(convert_input(loss, "y_pred", y_pred))
    a, b = static_shape(y_true), static_shape(y_pred)
    for arg, shape in (("y_true", a), ("y_pred", b)):
        if shape is not None and len(shape) != 2:
            raise ValueError(f"{loss}: {arg} must have shape (batch, num_classes), got shape "
                             f"{shape}")
    if a is not None and b is not None and a != b and None not in (*a, *b):
        raise ValueError(f"{loss}: y_true and y_pred must have the same shape, got y_true {a} "
                         f"and y_pred {b}")
    classes = b[-1] if b is not None else None
    if num_classes is None:
        num_classes = classes
    else:
        num_classes = check_int("num_classes", num_classes, minimum=1)
        if classes is not None and classes != num_classes:
            raise ValueError(f"{loss}: y_pred has {classes} classes on its last axis but "
                             f"num_classes={num_classes}")
    check_values(loss, y_true, y_pred, true_range=(0.0, 1.0), pred_range=(0.0, 1.0),
                 true_hint="y_true holds one-hot labels",
                 pred_hint="y_pred holds class probabilities (a softmax output)")
    dtype = keras.backend.standardize_dtype(y_pred.dtype)
    if dtype in ("float16", "bfloat16"):
        y_pred = ops.cast(y_pred, "float32")
    y_true = ops.cast(y_true, y_pred.dtype)
    index = ops.arange(num_classes, dtype=y_pred.dtype)
    gap = ops.expand_dims(index, 1) - ops.expand_dims(index, 0)
    weights = ops.abs(gap) if weightage == "linear" else ops.square(gap)  # W (C, C)
    label_index = ops.sum(y_true * index, axis=1, keepdims=True)            # (B, 1)
    gap_i = label_index - ops.expand_dims(index, 0)                          # (B, C)
    w_i = ops.abs(gap_i) if weightage == "linear" else ops.square(gap_i)
    numerator = ops.sum(w_i * y_pred)
    label_dist = ops.sum(y_true, axis=0)                                      # (C,)
    pred_dist = ops.sum(y_pred, axis=0)                                       # (C,)
    denominator = ops.sum(label_dist * ops.matmul(weights, pred_dist))
    denominator = denominator / ops.maximum(ops.cast(ops.shape(y_pred)[0], y_pred.dtype), 1.0)
    ratio = ops.divide_no_nan(numerator, denominator)
    return ops.cast(ops.log(ratio + epsilon), dtype)


@register
class WeightedKappaLoss(Loss):
    """Weighted kappa loss (see :func:`weighted_kappa_loss`); tfa's ``WeightedKappaLoss``.

    ``loss(one_hot (B, C), probabilities (B, C))`` is one scalar per batch; ``sample_weight``
    is rejected and ``reduction`` (tfa's default NONE) has no effect on it.

    ``num_classes`` is required in tfa; refs also accepts None (the default here), which takes
    the number of classes from the last axis of ``y_pred`` at call time.

    Example: ``WeightedKappaLoss(num_classes=5, weightage="linear")``.
    """

    def __init__(self, num_classes=None, weightage="quadratic", name="cohen_kappa_loss",
                 epsilon=1e-6, reduction="none", dtype=None):
        if num_classes is not None:
            num_classes = check_int("num_classes", num_classes, minimum=1)
        super().__init__(weighted_kappa_loss, reduction=reduction, name=name, dtype=dtype,
                         num_classes=num_classes,
                         weightage=check_choice("weightage", weightage, WEIGHTAGES),
                         epsilon=check_positive("epsilon", epsilon))

    def __call__(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise ValueError(
                f"{self.name}: sample_weight is not supported: the weighted kappa loss is one "
                "scalar per batch (a ratio of batch sums), so a weight per sample has no "
                "meaning (pass sample_weight=None)")
        y_true = convert_input(self.name, "y_true", y_true)
        y_pred = as_float_tensor(convert_input(self.name, "y_pred", y_pred))
        return self.call(y_true, ops.cast(y_pred, self.dtype))
