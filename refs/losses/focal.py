"""Focal losses (Lin et al., 2017): cross-entropy down-weighted on well-classified examples.

With ``p_t`` the probability given to the true class (``p`` for ``y = 1``, ``1 - p`` for
``y = 0``), the binary focal loss of one element is

    FL = alpha_t * (1 - p_t) ** gamma * CE,   CE = -log p_t,
    alpha_t = alpha for positives, 1 - alpha for negatives.

``gamma = 0`` gives (alpha-weighted) cross-entropy; larger ``gamma`` shrinks the loss of easy
examples (``p_t`` near 1) towards 0. ``alpha`` in [0, 1] balances the classes; ``alpha > 1``
(a mistake found in tutorials) makes ``1 - alpha`` negative, so the loss *rewards*
misclassified negatives -- every focal loss rejects it, through the one check
:func:`refs.losses.validation.check_alpha` (``sigmoid_focal_crossentropy`` with
``strict=False`` only warns, to reproduce the tutorials).

Numerics: ``1 - p_t`` is computed as ``y (1 - p) + (1 - y) p`` and the modulating factor
``(1 - p_t) ** gamma`` has a finite gradient (0) at ``1 - p_t = 0`` even for ``gamma < 1``,
where the textbook form's derivative is infinite; saturated logits (|x| = 1e4) therefore
give finite values and gradients.
"""

from __future__ import annotations

import numbers

from keras import ops

from refs.losses.base import (
    CrossentropyLoss,
    Loss,
    epsilon_like,
    mean_over,
    prepare,
    register,
)
from refs.losses.probabilistic import check_binary_inputs, elementwise_bce
from refs.losses.validation import (
    check_alpha,
    check_bool,
    check_broadcast,
    check_non_negative,
    check_reduced_axis,
    check_unit_interval,
    check_values,
    resolve_infinities,
    static_shape,
)

__all__ = [
    "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
    "SigmoidFocalCrossEntropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "sigmoid_focal_crossentropy",
]


def modulating_factor(q, gamma):
    """``q ** gamma`` with a finite gradient at ``q = 0`` (0) for any ``gamma > 0``."""
    if isinstance(gamma, numbers.Real) and (gamma >= 1 or gamma == 0):
        return ops.power(q, gamma)  # the derivative gamma q^(gamma-1) is finite at 0
    positive = q > 0
    safe_q = ops.where(positive, q, ops.ones_like(q))
    return ops.where(positive, ops.power(safe_q, gamma), ops.zeros_like(q))


def _bce_and_one_minus_pt(y, y_pred, from_logits: bool):
    """Elementwise ``(CE, 1 - p_t)``; CE follows Keras 2 (clipped probabilities or logits)."""
    ce = elementwise_bce(y, y_pred, from_logits)
    p = ops.sigmoid(y_pred) if from_logits else y_pred
    return ce, y * (1.0 - p) + (1.0 - y) * p


@register
def sigmoid_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, strict=True
):
    """Sigmoid focal cross-entropy with tensorflow-addons' semantics, SUMMED over the last axis.

    ``loss = sum_last_axis( alpha_t (1 - p_t)^gamma CE )`` with ``alpha_t = y alpha +
    (1 - y)(1 - alpha)`` and ``p_t = y p + (1 - y)(1 - p)``.

    tfa conventions reproduced (and matched to its values in the tests):

    - the last axis is **summed**, not averaged (Keras's binary losses average it);
    - ``alpha = 0`` and ``gamma = 0`` mean "off" (tfa tests ``if alpha:`` / ``if gamma:``):
      ``alpha = 0`` gives every element the weight 1 -- it does *not* zero the positives;
    - from probabilities, CE is Keras 2's clipped BCE (``eps = 1e-7``); ``p_t`` uses the
      unclipped ``p``.

    Args:
        y_true: targets in {0, 1} (the detector passes one-hot (B, A, C)).
        y_pred: logits (``from_logits=True``) or probabilities, same shape as ``y_true``.
        alpha: weight of the positives in [0, 1] (0: no weighting); default 0.25.
        gamma: focusing parameter >= 0; default 2.
        strict: if False, an ``alpha`` outside [0, 1] only warns (to reproduce alpha = 4).

    Returns:
        Shape ``y_pred.shape[:-1]``, e.g. (B, A) for (B, A, C) inputs.

    Example::

        >>> sigmoid_focal_crossentropy([[1.0, 0.0]], [[0.0, 0.0]], from_logits=True)
        [0.173287]   # 0.25 * 0.25 * log 2 + 0.75 * 0.25 * log 2
    """
    name = "sigmoid_focal_crossentropy"
    check_bool("from_logits", from_logits)
    check_alpha(alpha, check_bool("strict", strict))
    check_non_negative("gamma", gamma)
    y_true, y_pred = prepare(name, y_true, y_pred)
    infinite = check_binary_inputs(name, y_true, y_pred, from_logits)
    y_pred = resolve_infinities(name, "binary", y_true, y_pred, infinite)
    ce, one_minus_pt = _bce_and_one_minus_pt(y_true, y_pred, from_logits)
    loss = ce
    if gamma:
        loss = modulating_factor(one_minus_pt, gamma) * loss
    if alpha:
        loss = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * loss
    return ops.sum(loss, axis=-1)


@register
def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Keras's binary focal cross-entropy, AVERAGED over ``axis``.

    ``loss = mean_axis( w (1 - p_t)^gamma CE )`` with ``w = y alpha + (1 - y)(1 - alpha)``
    when ``apply_class_balancing`` and 1 otherwise; labels smoothed towards 0.5 first.
    From logits CE is the stable softplus form (Keras 2's convention).

    Example::

        >>> binary_focal_crossentropy([[1.0]], [[0.5]], gamma=2.0)   # 0.25 * log 2
        [0.173287]
    """
    name = "binary_focal_crossentropy"
    check_bool("apply_class_balancing", apply_class_balancing)
    check_bool("from_logits", from_logits)
    check_alpha(alpha)
    check_non_negative("gamma", gamma)
    check_unit_interval("label_smoothing", label_smoothing)
    y_true, y_pred = prepare(name, y_true, y_pred)
    axis = check_reduced_axis(name, y_pred, axis)
    infinite = check_binary_inputs(name, y_true, y_pred, from_logits)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    y_pred = resolve_infinities(name, "binary", y_true, y_pred, infinite)
    ce, one_minus_pt = _bce_and_one_minus_pt(y_true, y_pred, from_logits)
    loss = modulating_factor(one_minus_pt, gamma) * ce
    if apply_class_balancing:
        loss = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * loss
    return mean_over(loss, axis=axis)


@register
def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Keras's categorical focal cross-entropy, summed over the class ``axis``.

    ``loss = sum_c alpha_c (1 - p_c)^gamma (-y_c log p_c)``; ``alpha`` is a scalar or one
    weight per class in [0, 1]; labels smoothed as ``y (1 - s) + s / C``. ``gamma = 0``,
    ``alpha = 1`` is categorical cross-entropy.

    Probabilities are renormalised to sum to 1 and clipped to [1e-7, 1 - 1e-7], as Keras does.
    From logits, ``log p = log_softmax(x)`` is used directly -- Keras instead takes the softmax
    and clips it, which gives a zero gradient to confidently wrong logits (p < 1e-7); the two
    agree wherever 1e-7 <= p <= 1 - 1e-7.

    Example::

        >>> categorical_focal_crossentropy([[0.0, 1.0]], [[0.5, 0.5]])  # .25 * .25 * log 2
        [0.043322]
    """
    name = "categorical_focal_crossentropy"
    check_bool("from_logits", from_logits)
    check_alpha(alpha)
    check_non_negative("gamma", gamma)
    check_unit_interval("label_smoothing", label_smoothing)
    y_true, y_pred = prepare(name, y_true, y_pred)
    axis = check_reduced_axis(name, y_pred, axis)
    check_broadcast(name, "alpha", alpha, static_shape(y_pred))
    infinite = check_values(
        name,
        y_true,
        y_pred,
        true_range=(0.0, 1.0),
        pred_range=None if from_logits else (0.0, 1.0),
        pred_hint="did you mean from_logits=True?",
        infinite_pred=from_logits,
    )
    if label_smoothing:
        num_classes = ops.cast(ops.shape(y_true)[-1], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    y_pred = resolve_infinities(name, "categorical", y_true, y_pred, infinite, axis=axis)
    if from_logits:
        log_p = ops.log_softmax(y_pred, axis=axis)
        p = ops.exp(log_p)
    else:
        eps = epsilon_like(y_pred)
        p = ops.clip(y_pred / ops.sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
        log_p = ops.log(p)
    alpha = ops.convert_to_tensor(alpha, dtype=y_pred.dtype)
    focal = alpha * modulating_factor(1.0 - p, gamma) * (-y_true * log_p)
    return ops.sum(focal, axis=axis)


@register
class SigmoidFocalCrossEntropy(Loss):
    """tfa's sigmoid focal loss ``sum(alpha_t (1 - p_t)^gamma CE)`` (sigmoid_focal_crossentropy).

    Like tfa, the default ``reduction`` is ``"none"``: calling it returns the per-sample
    losses (summed over the last axis). Beware: Keras 3's ``model.fit`` then differentiates the
    **sum** of that vector over the batch (``compute_loss`` returns it unreduced), so the step
    size grows with the batch size; pass ``reduction="sum_over_batch_size"`` to train on the
    batch mean (what Keras's own losses do).

    Example::

        >>> SigmoidFocalCrossEntropy(alpha=0.25, gamma=2.0, from_logits=True)
    """

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        strict=True,
        reduction="none",
        name="sigmoid_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            sigmoid_focal_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=check_alpha(alpha, check_bool("strict", strict)),
            gamma=check_non_negative("gamma", gamma),
            from_logits=check_bool("from_logits", from_logits),
            strict=check_bool("strict", strict),
        )


class FocalLoss(CrossentropyLoss):
    """Base of the focal loss classes: ``alpha`` in [0, 1] and ``gamma >= 0`` on top of the
    cross-entropy arguments; subclasses set ``loss_fn`` and ``default_name``."""

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name=None,
        dtype=None,
        **hyper,
    ):
        super().__init__(
            from_logits,
            label_smoothing,
            axis,
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=check_alpha(alpha),
            gamma=check_non_negative("gamma", gamma),
            **hyper,
        )


@register
class BinaryFocalCrossentropy(FocalLoss):
    """Keras's binary focal loss ``mean(w (1 - p_t)^gamma CE)`` (:func:`binary_focal_crossentropy`).

    Example: ``BinaryFocalCrossentropy(gamma=2.0)([[1.0]], [[0.5]])`` is 0.25 log 2 = 0.1733.
    """

    loss_fn = staticmethod(binary_focal_crossentropy)
    default_name = "binary_focal_crossentropy"

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, *args, **kwargs):
        super().__init__(
            alpha,
            gamma,
            *args,
            apply_class_balancing=check_bool("apply_class_balancing", apply_class_balancing),
            **kwargs,
        )


@register
class CategoricalFocalCrossentropy(FocalLoss):
    """Keras's categorical focal loss ``sum_c alpha (1 - p_c)^gamma (-y_c log p_c)``.

    See :func:`categorical_focal_crossentropy`.

    Example::

        >>> CategoricalFocalCrossentropy(alpha=[0.25, 0.25, 0.5], gamma=2.0)
    """

    loss_fn = staticmethod(categorical_focal_crossentropy)
    default_name = "categorical_focal_crossentropy"
