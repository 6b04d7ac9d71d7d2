"""Margin losses: functions of the margin ``m = y * f(x)`` with labels ``y`` in {-1, +1}.

==================  ==========================  ===========================================
loss                per element                 behaviour
==================  ==========================  ===========================================
hinge               ``max(0, 1 - m)``           0 once the margin reaches 1 (the SVM loss)
squared_hinge       ``max(0, 1 - m)^2``         smooth at 1, quadratic penalty
logistic_loss       ``log(1 + exp(-m))``        BCE from logits in margin form
exponential_loss    ``exp(-m)``                 AdaBoost's loss; explodes on outliers
==================  ==========================  ===========================================

Each averages over the last axis. Labels in {0, 1} are converted to {-1, +1} **as Keras does**:
only when *every* label of the call is 0 or 1 (a batch holding -1, 0 and 1 is used as given,
and rejected by the eager input check). ``categorical_hinge`` is the multi-class
(Crammer-Singer) hinge on one-hot targets.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from refs.losses.base import Loss, mean_over, prepare, register
from refs.losses.validation import check_values, concrete_sample, resolve_infinities, static_shape

__all__ = [
    "CategoricalHinge",
    "ExponentialLoss",
    "Hinge",
    "LogisticLoss",
    "SquaredHinge",
    "categorical_hinge",
    "exponential_loss",
    "hinge",
    "logistic_loss",
    "squared_hinge",
]


def check_margin_labels(loss: str, y_true, y_pred) -> bool:
    """Eager check: labels all in {-1, 1} or all in {0, 1}; no NaN.

    Returns True when ``y_pred`` holds +-inf (allowed here: the caller checks their positions
    with ``resolve_infinities(..., "margin", ...)``).
    """
    infinite = check_values(loss, y_true, y_pred, infinite_pred=True)
    labels = concrete_sample(y_true)
    if labels is None:
        return infinite
    pm1 = np.all((labels == -1) | (labels == 1))
    zero_one = np.all((labels == 0) | (labels == 1))
    if not (pm1 or zero_one):
        found = np.unique(labels)[:6].tolist()
        raise ValueError(
            f"{loss}: y_true must be in {{-1, 1}} (or all in {{0, 1}}, converted to "
            f"{{-1, 1}} as Keras does), got values {found}"
        )
    return infinite


def to_pm1_labels(y_true):
    """``2y - 1`` when every label is 0 or 1 (Keras's rule), else ``y`` unchanged."""
    is_binary = ops.all(ops.logical_or(ops.equal(y_true, 0), ops.equal(y_true, 1)))
    return ops.cond(is_binary, lambda: 2.0 * y_true - 1.0, lambda: y_true)


def _margin(loss: str, y_true, y_pred):
    y_true, y_pred = prepare(loss, y_true, y_pred)
    infinite = check_margin_labels(loss, y_true, y_pred)
    y_pred = resolve_infinities(loss, "margin", y_true, y_pred, infinite)
    return to_pm1_labels(y_true) * y_pred


@register
def hinge(y_true, y_pred):
    """Hinge loss ``mean(max(0, 1 - y f))`` over the last axis.

    Example::

        >>> hinge([[1.0, -1.0]], [[0.3, -2.0]])   # (0.7 + 0) / 2
        [0.35]
    """
    margin = _margin("hinge", y_true, y_pred)
    return mean_over(ops.relu(1.0 - margin), axis=-1)


@register
def squared_hinge(y_true, y_pred):
    """Squared hinge ``mean(max(0, 1 - y f)^2)`` over the last axis.

    Example::

        >>> squared_hinge([[1.0, -1.0]], [[0.3, -2.0]])   # (0.49 + 0) / 2
        [0.245]
    """
    margin = _margin("squared_hinge", y_true, y_pred)
    return mean_over(ops.square(ops.relu(1.0 - margin)), axis=-1)


@register
def logistic_loss(y_true, y_pred):
    """Logistic (soft-margin) loss ``mean(log(1 + exp(-y f)))``, stable for any margin.

    Equals BCE from logits with ``y`` mapped to {0, 1}, and ``torch.nn.SoftMarginLoss``.

    Example::

        >>> logistic_loss([[1.0]], [[0.0]])
        [0.693147]
    """
    margin = _margin("logistic_loss", y_true, y_pred)
    return mean_over(ops.softplus(-margin), axis=-1)


_LARGEST_FINITE = {"float16": 65504.0, "bfloat16": 3.3895e38, "float32": 3.4028e38}


def _exp_tail_start(dtype) -> float:
    """Half the log of the dtype's largest finite value: where the exponential turns linear."""
    return 0.5 * math.log(_LARGEST_FINITE.get(keras.backend.standardize_dtype(dtype), 1.7976e308))


@register
def exponential_loss(y_true, y_pred):
    """Exponential loss ``mean(exp(-y f))`` over the last axis (AdaBoost's loss).

    ``exp`` overflows for margins below ``-log(max float)`` (-88.7 in float32), so beyond
    ``-c`` with ``c = log(max float) / 2`` (44.4 in float32, 354.9 in float64, 5.5 in float16)
    the loss continues along its tangent: ``exp(c) (1 + (-m - c))`` -- exact for ``m >= -c``,
    finite values and gradients (``exp(c)``) for any logit magnitude.

    Example::

        >>> exponential_loss([[1.0, -1.0]], [[0.0, 1.0]])   # (1 + e) / 2
        [1.859141]
    """
    margin = _margin("exponential_loss", y_true, y_pred)
    c = _exp_tail_start(margin.dtype)
    excess = ops.relu(-margin - c)  # 0 where the exponential is exact
    return mean_over(ops.exp(-margin - excess) * (1.0 + excess), axis=-1)


@register
def categorical_hinge(y_true, y_pred):
    """Multi-class hinge ``max(0, 1 + max_{c != y} f_c - f_y)`` (Crammer-Singer), as Keras.

    With one-hot ``y``: ``pos = sum_c y_c f_c``, ``neg = max_c (1 - y_c) f_c``,
    ``loss = max(neg - pos + 1, 0)``. One value per sample (the class axis is reduced).

    Example::

        >>> categorical_hinge([[0.0, 1.0, 0.0]], [[0.2, 0.5, 0.4]])   # 1 + 0.4 - 0.5
        [0.9]
    """
    y_true, y_pred = prepare("categorical_hinge", y_true, y_pred)
    infinite = check_values("categorical_hinge", y_true, y_pred, true_range=(-1.0, 1.0),
                            infinite_pred=True)
    y_pred = resolve_infinities("categorical_hinge", "categorical", y_true, y_pred, infinite)
    shape = static_shape(y_pred)
    if shape is not None and 0 in shape[:-1]:  # an empty batch: no sample, no loss
        return ops.zeros(shape[:-1], y_pred.dtype)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.relu(neg - pos + 1.0)


@register
class Hinge(Loss):
    """Hinge loss ``mean(max(0, 1 - y f))`` (see :func:`hinge`); {0, 1} labels are converted
    to {-1, 1} as Keras does.

    Example: ``Hinge()([[1.0, -1.0]], [[0.3, -2.0]])`` is 0.35.
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


@register
class SquaredHinge(Loss):
    """Squared hinge ``mean(max(0, 1 - y f)^2)`` (see :func:`squared_hinge`).

    Example: ``SquaredHinge()([[1.0, -1.0]], [[0.3, -2.0]])`` is 0.245.
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


@register
class LogisticLoss(Loss):
    """Logistic loss ``mean(log(1 + exp(-y f)))`` on {-1, 1} labels (see :func:`logistic_loss`).

    Example: ``LogisticLoss()([[1.0]], [[0.0]])`` is log 2 = 0.6931.
    """

    def __init__(self, reduction="sum_over_batch_size", name="logistic_loss", dtype=None):
        super().__init__(logistic_loss, reduction=reduction, name=name, dtype=dtype)


@register
class ExponentialLoss(Loss):
    """Exponential loss ``mean(exp(-y f))`` on {-1, 1} labels (see :func:`exponential_loss`).

    Example: ``ExponentialLoss()([[1.0, -1.0]], [[0.0, 1.0]])`` is (1 + e) / 2 = 1.8591.
    """

    def __init__(self, reduction="sum_over_batch_size", name="exponential_loss", dtype=None):
        super().__init__(exponential_loss, reduction=reduction, name=name, dtype=dtype)


@register
class CategoricalHinge(Loss):
    """Multi-class hinge ``max(0, 1 + max_{c != y} f_c - f_y)`` (see :func:`categorical_hinge`).

    Example: ``CategoricalHinge()([[0.0, 1.0, 0.0]], [[0.2, 0.5, 0.4]])`` is 0.9.
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)
