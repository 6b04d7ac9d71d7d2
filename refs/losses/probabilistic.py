"""Probabilistic losses: binary, categorical, sparse and generalized cross-entropies, KL, Poisson.

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

The sparse loss takes Keras 3's ``ignore_class`` (ignored entries give 0 and drop out of the
class's mean) and any class ``axis``. ``categorical_generalized_cross_entropy`` (Keras 3's
generalized cross-entropy, ``(1 - p_y^q) / q``) also takes integer labels and probabilities.

Poisson
-------
``poisson`` is the negative log-likelihood of a count under a predicted rate (up to a
constant), with Keras 2's ``eps = 1e-7`` inside the log.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
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
    WrongTypeError,
    check_axis,
    check_bool,
    check_broadcast,
    check_int,
    check_positive,
    check_reduced_axis,
    check_unit_interval,
    check_values,
    concrete_sample,
    convert_input,
    resolve_infinities,
    static_shape,
)

__all__ = [
    "BalancedBinaryCrossentropy",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "KLDivergence",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "WeightedBinaryCrossentropy",
    "balanced_binary_crossentropy",
    "binary_crossentropy",
    "categorical_crossentropy",
    "categorical_generalized_cross_entropy",
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

    Deliberate differences from Keras 3.15 (same arguments and defaults otherwise): from
    probabilities refs keeps Keras 2's ``log(p + eps)`` after the clip (Keras 3 takes
    ``log(p)``: a relative difference of about ``1e-7 / p``, 15.42 instead of 16.12 at
    ``p = 1, y = 0``), and never reads the logits behind a sigmoid output (see the module
    docstring).

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
    ``label_smoothing = s`` replaces ``y`` by ``y (1 - s) + s / C``, ``C`` the size of the class
    ``axis`` (Keras 3.15 divides by ``y_true.shape[-1]`` even when ``axis != -1``, which is not
    the number of classes there: a deliberate difference).

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


def _check_ignore_class(ignore_class):
    """``ignore_class``: None or an integer label (not a bool, not a float)."""
    if ignore_class is None:
        return None
    return check_int("ignore_class", ignore_class)


def sparse_labels(name: str, y_true, y_pred, axis: int = -1):
    """``(labels, y_pred, axis)`` of a sparse loss, shapes checked; classes moved to the end.

    ``y_true`` must have the shape of ``y_pred`` without its class ``axis`` (or with a 1
    there); the returned ``labels`` have that shape and the returned ``y_pred`` has its classes
    on the last axis. One-hot ``y_true`` (the shape of ``y_pred``) is rejected with a hint.
    """
    y_true = convert_input(name, "y_true", y_true)
    y_pred = as_float_tensor(convert_input(name, "y_pred", y_pred))
    pred_shape, true_shape = static_shape(y_pred), static_shape(y_true)
    if not pred_shape:
        raise ValueError(f"{name}: y_pred must have a class axis (shape (..., C)), got a scalar")
    rank = len(pred_shape)
    axis = check_axis("axis", axis, rank) % rank
    if pred_shape[axis] == 0:
        raise ValueError(f"{name}: y_pred of shape {pred_shape} has no classes on axis {axis}")
    where = f"y_pred.shape without axis {axis}" if axis != rank - 1 else "y_pred.shape[:-1]"
    wanted = pred_shape[:axis] + pred_shape[axis + 1:]
    if len(true_shape) == rank:
        if true_shape[axis] == 1:
            y_true = ops.squeeze(y_true, axis)
        elif true_shape[axis] is not None and true_shape[axis] == pred_shape[axis]:
            fix = ("pass integer labels (argmax over the class axis) or use "
                   "categorical_crossentropy")
            if rank == 1:  # or y_pred lacks its class axis
                fix = ("or y_pred lacks its class axis (it needs shape y_true.shape + (C,)); "
                       "for one-hot targets " + fix)
            raise ValueError(
                f"{name}: y_true has the shape of y_pred {pred_shape}: it looks one-hot; {fix}"
            )
    true_shape = static_shape(y_true)
    if len(true_shape) != rank - 1 or any(
        a is not None and b is not None and a != b for a, b in zip(true_shape, wanted)
    ):
        raise ValueError(
            f"{name}: y_true must have shape {where} = {wanted} (classes on axis={axis - rank}"
            f" of y_pred {pred_shape}), got {true_shape}"
        )
    if axis != rank - 1:
        y_pred = ops.moveaxis(y_pred, axis, -1)
    return y_true, y_pred, axis


def _valid_labels(y_true, ignore_class):
    """The eager sample of ``y_true`` without its ``ignore_class`` entries (for the checks)."""
    if ignore_class is None:
        return y_true
    sample = concrete_sample(y_true)
    return None if sample is None else sample[sample != ignore_class]


@register
def sparse_categorical_crossentropy(
    y_true, y_pred, from_logits=False, ignore_class=None, axis=-1
):
    """Cross-entropy with integer class labels: ``-log p[y]``.

    ``y_true`` holds class indices in ``[0, C)``, the shape of ``y_pred`` without its class
    ``axis`` (a 1 in its place is accepted). From probabilities (Keras's convention): ``p`` is
    clipped to [1e-7, 1 - 1e-7] and the loss is ``-log softmax(log p)[y]``, i.e. the clipped
    row is renormalised. One-hot targets are rejected (use :func:`categorical_crossentropy`).

    Args:
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: None, or an integer label (e.g. 255 or -1: "void" pixels) whose entries
            give a loss of 0 whatever ``y_pred`` holds there (gradient 0 too); the class
            :class:`SparseCategoricalCrossentropy` also leaves them out of its mean, as Keras.
        axis: the class axis of ``y_pred``. Keras 3.15 on TensorFlow accepts only -1; refs
            accepts any axis (``axis=1``: channels-first ``(B, C, d...)`` with labels
            ``(B, d...)``) and moves it to the end.

    Example::

        >>> sparse_categorical_crossentropy([1], [[0.2, 0.8]])   # -log 0.8
        [0.223144]
        >>> sparse_categorical_crossentropy([1, 255], [[0.2, 0.8]] * 2, ignore_class=255)
        [0.223144, 0.0]
    """
    check_bool("from_logits", from_logits)
    ignore_class = _check_ignore_class(ignore_class)
    name = "sparse_categorical_crossentropy"
    y_true, y_pred, _ = sparse_labels(name, y_true, y_pred, axis)
    _check_classes(name, y_pred, -1)
    num_classes = static_shape(y_pred)[-1]
    classes = f"0..{num_classes - 1 if num_classes else 'C-1'}"
    infinite = check_values(
        name,
        _valid_labels(y_true, ignore_class),
        y_pred,
        true_range=None if num_classes is None else (0, num_classes - 1),
        integer_labels=True,
        true_hint=f"labels are class indices {classes}"
        + ("" if ignore_class is None else f" or ignore_class={ignore_class}"),
        pred_range=None if from_logits else (0.0, 1.0),
        pred_hint=_PROBABILITY_HINT,
        infinite_pred=from_logits,
    )
    valid = None
    if ignore_class is not None:
        valid = ops.not_equal(y_true, ops.cast(ignore_class, y_true.dtype))
        y_true = ops.where(valid, y_true, ops.zeros_like(y_true))
        y_pred = ops.where(ops.expand_dims(valid, -1), y_pred, ops.zeros_like(y_pred))
    y_pred = resolve_infinities(name, "sparse", y_true, y_pred, infinite)
    labels = ops.cast(y_true, "int32")
    if not from_logits:
        eps = epsilon_like(y_pred)
        y_pred = ops.log(ops.clip(y_pred, eps, 1.0 - eps))
    loss = ops.sparse_categorical_crossentropy(labels, y_pred, from_logits=True, axis=-1)
    if valid is not None:
        loss = ops.where(valid, loss, ops.zeros_like(loss))
    return loss


def check_q(q):
    """``q`` of the generalized cross-entropy: a real number in (0, 1]."""
    if isinstance(q, (bool, np.bool_)) or not isinstance(q, numbers.Real):
        raise WrongTypeError(f"q must be a number in (0, 1], got {type(q).__name__} {q!r}")
    if not 0.0 < float(q) <= 1.0:
        raise ValueError(f"q must be in (0, 1] (Keras: 0 < q < 1), got {q!r}")
    return float(q)


@register
def categorical_generalized_cross_entropy(y_true, y_pred, q=0.5):
    """Generalized cross-entropy (Zhang & Sabuncu, 2018): ``(1 - p_y^q) / q``.

    ``p_y`` is the probability ``y_pred`` gives the true class (the rows are used as given,
    not renormalised). ``q`` in (0, 1] trades robustness to label noise for speed of learning:
    ``q -> 0`` tends to the cross-entropy ``-log p_y`` (its gradient is large on hard, possibly
    mislabelled, examples); ``q = 1`` is ``1 - p_y``, the MAE of the one-hot target up to a
    factor 2 (noise-robust but slow). Keras 3.15 requires ``0 < q < 1``; refs also accepts
    ``q = 1``. At ``p_y = 0`` the exact gradient ``-p_y^(q-1)`` is infinite: refs returns the
    value ``1 / q`` with a gradient of 0 there (Keras: inf), so training never sees inf/NaN.

    Args:
        y_true: integer labels in ``[0, C)``, shape ``y_pred.shape[:-1]`` (or with a trailing 1).
        y_pred: probabilities ``(..., C)``, classes on the last axis.
        q: the exponent, in (0, 1].

    Returns:
        The per-sample loss, shape ``y_pred.shape[:-1]``.

    Example::

        >>> categorical_generalized_cross_entropy([0], [[0.25, 0.75]], q=0.5)   # (1 - .5)/.5
        [1.0]
    """
    name = "categorical_generalized_cross_entropy"
    check_q(q)
    y_true, y_pred, _ = sparse_labels(name, y_true, y_pred)
    num_classes = static_shape(y_pred)[-1]
    check_values(
        name,
        y_true,
        y_pred,
        true_range=None if num_classes is None else (0, num_classes - 1),
        integer_labels=True,
        true_hint=f"labels are class indices 0..{num_classes - 1 if num_classes else 'C-1'}",
        pred_range=(0.0, 1.0),
        pred_hint="y_pred holds probabilities (apply softmax to logits first)",
    )
    one_hot = ops.one_hot(ops.cast(y_true, "int32"), ops.shape(y_pred)[-1], dtype=y_pred.dtype)
    p = ops.sum(one_hot * y_pred, axis=-1)
    positive = p > 0
    power = ops.power(ops.where(positive, p, ops.ones_like(p)), q)
    power = ops.where(positive, power, ops.zeros_like(p))
    return (1.0 - power) / ops.convert_to_tensor(q, dtype=y_pred.dtype)


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

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(from_logits, label_smoothing, axis, reduction=reduction, name=name,
                         dtype=dtype)


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

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(from_logits, label_smoothing, axis, reduction=reduction, name=name,
                         dtype=dtype)


@register
class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy ``-log p[y]`` on integer labels (:func:`sparse_categorical_crossentropy`).

    ``ignore_class`` (Keras 3's semantics): entries whose label equals it give 0 and are left
    out of the mean -- ``"sum_over_batch_size"`` (and ``"mean"``) divide by the number of
    non-ignored entries (0 when every entry is ignored); ``"sum"`` and ``"none"`` just see the
    zeros; ``"mean_with_sample_weight"`` divides by the weights of the non-ignored entries.
    ``axis`` is the class axis of ``y_pred`` (any axis; Keras 3.15 on TensorFlow: only -1).

    Example: ``SparseCategoricalCrossentropy()([1], [[0.2, 0.8]])`` is -log 0.8 = 0.2231;
    ``SparseCategoricalCrossentropy(ignore_class=255)([1, 255], [[0.2, 0.8]] * 2)`` too.
    """

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            sparse_categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=check_bool("from_logits", from_logits),
            ignore_class=_check_ignore_class(ignore_class),
            axis=check_axis("axis", axis),
        )

    def get_config(self):
        config = super().get_config()
        if config["ignore_class"] is None:
            del config["ignore_class"]  # configs saved before ignore_class stay identical
        return config

    def __call__(self, y_true, y_pred, sample_weight=None):
        ignore_class = self._hyper["ignore_class"]
        if ignore_class is None:
            return super().__call__(y_true, y_pred, sample_weight=sample_weight)
        labels, _, _ = sparse_labels(self.name, y_true, y_pred, self._hyper["axis"])
        dtype = self.dtype or "float32"
        valid = ops.cast(ops.not_equal(labels, ops.cast(ignore_class, labels.dtype)), dtype)
        if self.reduction in ("sum_over_batch_size", "mean"):
            # Keras's masked mean: weight total / valid on the kept entries, so that the mean
            # over all entries is the mean over the kept ones (0 when none is kept).
            total = ops.cast(ops.size(valid), dtype)
            valid = valid * ops.divide_no_nan(total, ops.sum(valid))
        if sample_weight is not None:
            sample_weight = convert_input(self.name, "sample_weight", sample_weight)
            weight = ops.cast(sample_weight, dtype)
            for _ in range(len(valid.shape) - len(weight.shape)):
                weight = ops.expand_dims(weight, -1)  # one weight per sample: broadcast it
            try:
                valid = weight * valid
            except Exception:  # noqa: BLE001 -- any backend's broadcasting error
                raise ValueError(
                    f"{self.name}: sample_weight of shape {tuple(sample_weight.shape)} does not "
                    f"match the per-sample losses of shape {tuple(labels.shape)}") from None
        return super().__call__(y_true, y_pred, sample_weight=valid)


@register
class CategoricalGeneralizedCrossEntropy(Loss):
    """Generalized cross-entropy ``(1 - p_y^q) / q`` (see
    :func:`categorical_generalized_cross_entropy`).

    ``y_true``: integer labels; ``y_pred``: probabilities. ``q`` in (0, 1] (Keras: (0, 1)).

    Example: ``CategoricalGeneralizedCrossEntropy(q=0.5)([0], [[0.25, 0.75]])`` is 1.0.
    """

    def __init__(
        self,
        q=0.5,
        reduction="sum_over_batch_size",
        name="categorical_generalized_cross_entropy",
        dtype=None,
    ):
        super().__init__(
            categorical_generalized_cross_entropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            q=check_q(q),
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
