"""Probabilistic losses: binary, categorical and sparse cross-entropies, KL divergence, Poisson.

Binary cross-entropy
--------------------
Notation: ``y`` is the target in [0, 1] (normally {0, 1}), ``x`` a logit, ``p = sigmoid(x)`` or
the given probability. Every function returns the per-sample loss: the mean over ``axis``
(the last one by default), as Keras does.

Probabilities follow Keras 2's convention exactly (``keras.backend.binary_crossentropy``):
``p`` is clipped to ``[eps, 1 - eps]`` (``eps = 1e-7``) and then ``log(p + eps)`` and
``log(1 - p + eps)`` are taken -- epsilon enters twice, so ``p = 1, y = 0`` gives
``-log(2e-7) = 15.42`` rather than infinity, and the gradient is 0 where ``p`` was clipped.
Logits use the stable softplus form ``max(x, 0) - x y + log(1 + exp(-|x|))``, finite with
finite gradients for any magnitude.

Unlike ``keras.losses``, the probability path never looks behind a sigmoid layer for its
logits (Keras silently switches to the logit formula when ``y_pred`` is a sigmoid's output):
what you pass is what is computed. For the stable form, output logits and pass
``from_logits=True``. Class-weighted variants: ``weighted_binary_crossentropy`` (``pos_weight``)
and ``balanced_binary_crossentropy`` (``beta``).

Multi-class
-----------
Classes are on ``axis`` (the last by default) and that axis is summed. Probabilities follow
Keras 2 exactly: categorical cross-entropy renormalises each row to sum to 1 and then clips to
``[1e-7, 1 - 1e-7]``; the sparse loss clips each probability first and takes the softmax
cross-entropy of the logs (so the *clipped* row is renormalised); KL divergence clips both
arguments to ``[1e-7, 1]``. Logits use the fused, stable softmax cross-entropy.

Poisson
-------
``poisson`` is the negative log-likelihood of a count under a predicted rate (up to a
constant), with Keras 2's ``eps = 1e-7`` inside the log.
"""

from __future__ import annotations

import math

from keras import ops

from refs.losses.base import (
    CrossentropyLoss,
    Loss,
    as_float_tensor,
    epsilon_like,
    mean_over,
    prepare,
    register,
)
from refs.losses.validation import (
    check_axis,
    check_bool,
    check_broadcast,
    check_positive,
    check_reduced_axis,
    check_unit_interval,
    check_values,
    convert_input,
    resolve_infinities,
    static_shape,
)

__all__ = [
    "BalancedBinaryCrossentropy",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "KLDivergence",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "WeightedBinaryCrossentropy",
    "balanced_binary_crossentropy",
    "binary_crossentropy",
    "categorical_crossentropy",
    "kl_divergence",
    "poisson",
    "sparse_categorical_crossentropy",
    "weighted_binary_crossentropy",
]

_PROBABILITY_HINT = "did you mean from_logits=True?"


def check_binary_inputs(loss: str, y_true, y_pred, from_logits: bool) -> bool:
    """Eager checks for a binary loss: y_true in [0, 1]; probabilities in [0, 1]; no NaN/inf.

    Returns True when logits hold +-inf (allowed here; the caller checks their positions with
    ``resolve_infinities(..., "binary", ...)``).
    """
    return check_values(
        loss,
        y_true,
        y_pred,
        true_range=(0.0, 1.0),
        pred_range=None if from_logits else (0.0, 1.0),
        pred_hint=_PROBABILITY_HINT,
        true_hint="binary targets are 0 or 1 (for {-1, 1} margin labels use a hinge loss)",
        infinite_pred=from_logits,
    )


def clipped_log_probabilities(p):
    """Keras 2's ``(log(p + eps), log(1 - p + eps))`` after clipping ``p`` to [eps, 1 - eps]."""
    eps = epsilon_like(p)
    p = ops.clip(p, eps, 1.0 - eps)
    return ops.log(p + eps), ops.log(1.0 - p + eps)


def log_likelihood(y, p):
    """``y log p + (1 - y) log(1 - p)`` elementwise, with Keras 2's clipping (minus the BCE).

    Returned unnegated so that a caller that reduces can negate the reduced (much smaller)
    tensor instead: ``-mean(l)`` equals ``mean(-l)`` bit for bit and saves one elementwise op
    forward and backward (about 8% of BCE's eager time on 1M elements).
    """
    log_p, log_not_p = clipped_log_probabilities(p)
    return y * log_p + (1.0 - y) * log_not_p


def elementwise_bce(y, y_pred, from_logits: bool):
    """Elementwise BCE ``-(y log p + (1 - y) log(1 - p))``, before any reduction."""
    if from_logits:
        return ops.binary_crossentropy(y, y_pred, from_logits=True)
    return -log_likelihood(y, y_pred)


def _class_weighted_bce(y, y_pred, w_pos, w_neg, from_logits: bool):
    """``-(w_pos y log p + w_neg (1 - y) log(1 - p))`` elementwise.

    From logits, with ``softplus(-x) = -log p`` and ``softplus(x) = softplus(-x) + x``:
    ``(w_pos y + w_neg (1 - y)) softplus(-x) + w_neg (1 - y) x``, one stable softplus (whose
    gradient, ``-sigmoid(-x)``, is exact everywhere, including x = 0).
    """
    if from_logits:
        not_y = 1.0 - y
        return (w_pos * y + w_neg * not_y) * ops.softplus(-y_pred) + w_neg * not_y * y_pred
    log_p, log_not_p = clipped_log_probabilities(y_pred)
    return -(w_pos * y * log_p + w_neg * (1.0 - y) * log_not_p)


@register
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy, averaged over ``axis``.

    ``loss = mean_axis( -(y log p + (1 - y) log(1 - p)) )`` with, when
    ``label_smoothing = s > 0``, ``y <- y (1 - s) + s / 2``.

    Args:
        y_true: targets in [0, 1], same shape as ``y_pred`` (a trailing axis of 1 may differ).
        y_pred: probabilities in [0, 1], or logits with ``from_logits=True`` (stable for any
            magnitude: the softplus form, never ``log(sigmoid(x))``).
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: ``s`` in [0, 1]; 1 makes every target 0.5.
        axis: the axis averaged over.

    Returns:
        The per-sample loss, shape ``y_pred.shape`` without ``axis``.

    Example::

        >>> binary_crossentropy([[1.0, 0.0]], [[0.9, 0.2]])   # (-log .9 - log .8) / 2
        [0.164252]
    """
    check_bool("from_logits", from_logits)
    check_unit_interval("label_smoothing", label_smoothing)
    y_true, y_pred = prepare("binary_crossentropy", y_true, y_pred)
    axis = check_reduced_axis("binary_crossentropy", y_pred, axis)
    infinite = check_binary_inputs("binary_crossentropy", y_true, y_pred, from_logits)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    y_pred = resolve_infinities("binary_crossentropy", "binary", y_true, y_pred, infinite)
    if from_logits:
        return mean_over(elementwise_bce(y_true, y_pred, True), axis=axis)
    return -mean_over(log_likelihood(y_true, y_pred), axis=axis)


@register
def weighted_binary_crossentropy(y_true, y_pred, pos_weight=1.0, from_logits=False, axis=-1):
    """BCE with the positive term weighted by ``pos_weight``, averaged over ``axis``.

    ``loss = mean_axis( -(w y log p + (1 - y) log(1 - p)) )``, ``w = pos_weight > 0``.
    ``w > 1`` raises recall (a missed positive costs ``w`` times more), ``w = 1`` is plain
    BCE; ``w`` may be a scalar or one value per entry of the last axis (per class), as
    ``torch.nn.BCEWithLogitsLoss(pos_weight=...)``, which it matches from logits.

    Example::

        >>> weighted_binary_crossentropy([[1.0, 0.0]], [[0.5, 0.5]], pos_weight=3.0)
        [1.386294]   # (3 log 2 + log 2) / 2
    """
    name = "weighted_binary_crossentropy"
    check_bool("from_logits", from_logits)
    check_positive("pos_weight", pos_weight)
    y_true, y_pred = prepare(name, y_true, y_pred)
    axis = check_reduced_axis(name, y_pred, axis)
    check_broadcast(name, "pos_weight", pos_weight, static_shape(y_pred))
    infinite = check_binary_inputs(name, y_true, y_pred, from_logits)
    y_pred = resolve_infinities(name, "binary", y_true, y_pred, infinite)
    w_pos = ops.convert_to_tensor(pos_weight, dtype=y_pred.dtype)
    return mean_over(_class_weighted_bce(y_true, y_pred, w_pos, 1.0, from_logits), axis=axis)


@register
def balanced_binary_crossentropy(y_true, y_pred, beta=0.5, from_logits=False, axis=-1):
    """Class-balanced BCE: positives weighted by ``beta``, negatives by ``1 - beta``.

    ``loss = mean_axis( -(beta y log p + (1 - beta) (1 - y) log(1 - p)) )``, ``beta`` in
    [0, 1]. ``beta = 0.5`` is half of plain BCE; a common choice is the fraction of negatives,
    so the rare class gets the larger weight. ``beta = 1`` ignores the negatives entirely.

    Example::

        >>> balanced_binary_crossentropy([[1.0, 0.0]], [[0.5, 0.5]], beta=0.75)
        [0.346574]   # (0.75 log 2 + 0.25 log 2) / 2
    """
    name = "balanced_binary_crossentropy"
    check_bool("from_logits", from_logits)
    check_unit_interval("beta", beta)
    y_true, y_pred = prepare(name, y_true, y_pred)
    axis = check_reduced_axis(name, y_pred, axis)
    infinite = check_binary_inputs(name, y_true, y_pred, from_logits)
    y_pred = resolve_infinities(name, "binary", y_true, y_pred, infinite)
    loss = _class_weighted_bce(y_true, y_pred, float(beta), 1.0 - float(beta), from_logits)
    return mean_over(loss, axis=axis)


# --------------------------------------------------------------------------- multi-class


def _check_classes(loss: str, y_pred, axis: int) -> None:
    shape = static_shape(y_pred)
    if shape and shape[axis] == 1:
        raise ValueError(
            f"{loss}: y_pred has a single class (shape {shape}); a softmax over one unit is "
            "always 1 and the loss always 0 -- use binary_crossentropy with a sigmoid output"
        )


def _check_not_sparse(loss: str, y_true, y_pred) -> None:
    """Integer labels (shape y_pred.shape[:-1], or with a trailing 1) given to a one-hot loss."""
    true_shape, pred_shape = static_shape(y_true), static_shape(y_pred)
    if true_shape is None or pred_shape is None or not pred_shape or pred_shape[-1] == 1:
        return
    if true_shape == pred_shape[:-1] or true_shape == pred_shape[:-1] + (1,):
        raise ValueError(
            f"{loss}: y_true {true_shape} holds one label per sample but y_pred {pred_shape} "
            "has a class axis: pass one-hot targets or use sparse_categorical_crossentropy"
        )


@register
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Categorical cross-entropy ``-sum_c y_c log p_c`` over the class ``axis``.

    ``p`` is ``softmax(y_pred)`` with ``from_logits=True`` (fused and stable), otherwise the
    given probabilities renormalised (``p / sum p``) and clipped to [1e-7, 1 - 1e-7].
    ``label_smoothing = s`` replaces ``y`` by ``y (1 - s) + s / C``.

    Args:
        y_true: one-hot (or probability) targets, same shape as ``y_pred``.
        y_pred: probabilities or logits, classes on ``axis``.

    Example::

        >>> categorical_crossentropy([[0.0, 1.0]], [[0.2, 0.8]])   # -log 0.8
        [0.223144]
    """
    check_bool("from_logits", from_logits)
    check_unit_interval("label_smoothing", label_smoothing)
    name = "categorical_crossentropy"
    _check_not_sparse(name, y_true, y_pred)
    y_true, y_pred = prepare(name, y_true, y_pred)
    axis = check_reduced_axis(name, y_pred, axis)
    _check_classes(name, y_pred, axis)
    infinite = check_values(
        name,
        y_true,
        y_pred,
        true_range=(0.0, 1.0),
        pred_range=None if from_logits else (0.0, 1.0),
        pred_hint=_PROBABILITY_HINT,
        true_hint="targets are one-hot rows (integer labels go to sparse_categorical_crossentropy)",
        infinite_pred=from_logits,
    )
    if label_smoothing:
        num_classes = ops.cast(ops.shape(y_true)[axis], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    y_pred = resolve_infinities(name, "categorical", y_true, y_pred, infinite, axis=axis)
    if from_logits:
        return ops.categorical_crossentropy(y_true, y_pred, from_logits=True, axis=axis)
    eps = epsilon_like(y_pred)
    p = ops.clip(y_pred / ops.sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
    return -ops.sum(y_true * ops.log(p), axis=axis)


@register
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """Cross-entropy with integer class labels: ``-log p[y]``.

    ``y_true`` holds class indices in ``[0, C)``, shape ``y_pred.shape[:-1]`` (a trailing axis
    of 1 is accepted). From probabilities (Keras's convention): ``p`` is clipped to
    [1e-7, 1 - 1e-7] and the loss is ``-log softmax(log p)[y]``, i.e. the clipped row is
    renormalised. One-hot targets are rejected (use :func:`categorical_crossentropy`).

    Example::

        >>> sparse_categorical_crossentropy([1], [[0.2, 0.8]])   # -log 0.8
        [0.223144]
    """
    check_bool("from_logits", from_logits)
    name = "sparse_categorical_crossentropy"
    y_true = convert_input(name, "y_true", y_true)
    y_pred = as_float_tensor(convert_input(name, "y_pred", y_pred))
    pred_shape, true_shape = static_shape(y_pred), static_shape(y_true)
    if not pred_shape:
        raise ValueError(f"{name}: y_pred must have a class axis (shape (..., C)), got a scalar")
    axis = check_axis("axis", axis, len(pred_shape))
    if axis % len(pred_shape) != len(pred_shape) - 1:
        raise ValueError(f"{name}: axis must be the class axis of y_pred, the last one (-1), "
                         f"got {axis}")
    if pred_shape[-1] == 0:
        raise ValueError(f"{name}: y_pred of shape {pred_shape} has no classes")
    if len(true_shape) == len(pred_shape):
        if true_shape[-1] == 1:
            y_true = ops.squeeze(y_true, -1)
        elif true_shape[-1] is not None and true_shape[-1] == pred_shape[-1]:
            fix = ("pass integer labels (argmax over the last axis) or use "
                   "categorical_crossentropy")
            if len(pred_shape) == 1:  # or y_pred lacks its class axis
                fix = ("or y_pred lacks its class axis (it needs shape y_true.shape + (C,)); "
                       "for one-hot targets " + fix)
            raise ValueError(
                f"{name}: y_true has the shape of y_pred {pred_shape}: it looks one-hot; {fix}"
            )
    true_shape = static_shape(y_true)
    if len(true_shape) != len(pred_shape) - 1 or any(
        a is not None and b is not None and a != b for a, b in zip(true_shape, pred_shape)
    ):
        raise ValueError(
            f"{name}: y_true must have shape y_pred.shape[:-1] = {pred_shape[:-1]}, "
            f"got {true_shape}"
        )
    _check_classes(name, y_pred, axis)
    num_classes = pred_shape[axis]
    infinite = check_values(
        name,
        y_true,
        y_pred,
        true_range=None if num_classes is None else (0, num_classes - 1),
        integer_labels=True,
        true_hint=f"labels are class indices 0..{num_classes - 1 if num_classes else 'C-1'}",
        pred_range=None if from_logits else (0.0, 1.0),
        pred_hint=_PROBABILITY_HINT,
        infinite_pred=from_logits,
    )
    y_pred = resolve_infinities(name, "sparse", y_true, y_pred, infinite)
    labels = ops.cast(y_true, "int32")
    if not from_logits:
        eps = epsilon_like(y_pred)
        y_pred = ops.log(ops.clip(y_pred, eps, 1.0 - eps))
    return ops.sparse_categorical_crossentropy(labels, y_pred, from_logits=True, axis=axis)


@register
def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence ``sum_c y_c log(y_c / p_c)`` over the last axis.

    Both arguments are probabilities, clipped to [1e-7, 1] as Keras does (so ``y_c = 0``
    contributes ``1e-7 log(1e-7 / p_c)``, ~1e-6, where the exact value is 0).

    Example::

        >>> kl_divergence([[0.5, 0.5]], [[0.25, 0.75]])
        [0.143841]
    """
    y_true, y_pred = prepare("kl_divergence", y_true, y_pred)
    check_values(
        "kl_divergence",
        y_true,
        y_pred,
        true_range=(0.0, 1.0),
        pred_range=(0.0, 1.0),
        pred_hint="y_pred holds probabilities (apply softmax to logits first)",
    )
    eps = epsilon_like(y_pred)
    y_true = ops.clip(y_true, eps, 1.0)
    y_pred = ops.clip(y_pred, eps, 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


# --------------------------------------------------------------------------- Poisson


@register
def poisson(y_true, y_pred):
    """Poisson loss ``mean(y_pred - y_true log(y_pred + eps))`` (NLL up to a constant).

    ``y_pred`` is the predicted rate (>= 0), ``y_true`` a count. Example::

        >>> poisson([[1.0]], [[1.0]])
        [1.0]
    """
    y_true, y_pred = prepare("poisson", y_true, y_pred)
    check_values("poisson", y_true, y_pred, pred_range=(0.0, math.inf))
    return mean_over(y_pred - y_true * ops.log(y_pred + epsilon_like(y_pred)), axis=-1)


# --------------------------------------------------------------------------- classes


@register
class BinaryCrossentropy(CrossentropyLoss):
    """Binary cross-entropy ``mean(-(y log p + (1 - y) log(1 - p)))`` (:func:`binary_crossentropy`).

    ``BinaryCrossentropy()([[1.0, 0.0]], [[0.9, 0.2]])`` is 0.1643. Example::

        >>> model.compile(loss=BinaryCrossentropy(from_logits=True), optimizer="adam")
    """

    loss_fn = staticmethod(binary_crossentropy)
    default_name = "binary_crossentropy"


@register
class WeightedBinaryCrossentropy(Loss):
    """``mean(-(w y log p + (1 - y) log(1 - p)))``, ``w = pos_weight`` (weighted BCE).

    See :func:`weighted_binary_crossentropy`. Example::

        >>> WeightedBinaryCrossentropy(pos_weight=10.0, from_logits=True)
    """

    def __init__(
        self,
        pos_weight=1.0,
        from_logits=False,
        axis=-1,
        reduction="sum_over_batch_size",
        name="weighted_binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            weighted_binary_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            pos_weight=check_positive("pos_weight", pos_weight),
            from_logits=check_bool("from_logits", from_logits),
            axis=check_axis("axis", axis),
        )


@register
class BalancedBinaryCrossentropy(Loss):
    """``mean(-(beta y log p + (1 - beta)(1 - y) log(1 - p)))`` (class-balanced BCE).

    See :func:`balanced_binary_crossentropy`. Example::

        >>> BalancedBinaryCrossentropy(beta=0.99)   # for ~1% positives
    """

    def __init__(
        self,
        beta=0.5,
        from_logits=False,
        axis=-1,
        reduction="sum_over_batch_size",
        name="balanced_binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            balanced_binary_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            beta=check_unit_interval("beta", beta),
            from_logits=check_bool("from_logits", from_logits),
            axis=check_axis("axis", axis),
        )


@register
class CategoricalCrossentropy(CrossentropyLoss):
    """Categorical cross-entropy ``-sum_c y_c log p_c`` (see :func:`categorical_crossentropy`).

    Example: ``CategoricalCrossentropy()([[0.0, 1.0]], [[0.2, 0.8]])`` is -log 0.8 = 0.2231.
    """

    loss_fn = staticmethod(categorical_crossentropy)
    default_name = "categorical_crossentropy"


@register
class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy ``-log p[y]`` on integer labels (:func:`sparse_categorical_crossentropy`).

    Example: ``SparseCategoricalCrossentropy()([1], [[0.2, 0.8]])`` is -log 0.8 = 0.2231.
    """

    def __init__(
        self,
        from_logits=False,
        axis=-1,
        reduction="sum_over_batch_size",
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            sparse_categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=check_bool("from_logits", from_logits),
            axis=check_axis("axis", axis),
        )


@register
class KLDivergence(Loss):
    """KL divergence ``sum_c y_c log(y_c / p_c)`` (see :func:`kl_divergence`).

    Example: ``KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]])`` is 0.1438.
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


@register
class Poisson(Loss):
    """Poisson loss ``mean(y_pred - y_true log(y_pred + 1e-7))`` (see :func:`poisson`).

    Example: ``Poisson()([[1.0]], [[1.0]])`` is 1.0.
    """

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)
