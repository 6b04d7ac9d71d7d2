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
where the textbook form's derivative is infinite, and ``gamma = 0`` uses the factor 1 (whose
gradient TensorFlow's ``q ** 0`` gets wrong at ``q = 0``: NaN); saturated logits (|x| = 1e4)
therefore give finite values and gradients.

Contents
--------
- binary: :class:`FocalLoss` (keras-cv's; its docstring compares the three binary focal
  losses), :class:`SigmoidFocalCrossEntropy` (tfa), :class:`BinaryFocalCrossentropy` (Keras);
- multi-class: :class:`CategoricalFocalCrossentropy` (Keras) and
  :class:`SparseCategoricalFocalCrossentropy` (integer labels, ``ignore_class``);
- heatmaps: :class:`BinaryPenaltyReducedFocalCrossEntropy` (CenterNet, keras-cv);
- Poly-1 (Leng et al., 2022): :class:`Poly1CrossEntropy`, :class:`Poly1FocalLoss`;
- class-balanced weighting (Cui et al., 2019): :func:`class_balanced_weights` and the
  :class:`ClassBalanced` wrapper around any per-sample loss.
"""

from __future__ import annotations

import numbers

import keras
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
from refs.losses.probabilistic import check_binary_inputs, elementwise_bce
from refs.losses.validation import (
    WrongTypeError,
    check_alpha,
    check_axis,
    check_bool,
    check_broadcast,
    check_int,
    check_non_negative,
    check_reduced_axis,
    check_unit_interval,
    check_values,
    concrete_sample,
    convert_input,
    finite_logits,
    resolve_infinities,
    static_shape,
)

__all__ = [
    "BinaryFocalCrossentropy",
    "BinaryPenaltyReducedFocalCrossEntropy",
    "CategoricalFocalCrossentropy",
    "ClassBalanced",
    "FocalLoss",
    "Poly1CrossEntropy",
    "Poly1FocalLoss",
    "SigmoidFocalCrossEntropy",
    "SparseCategoricalFocalCrossentropy",
    "binary_focal_crossentropy",
    "binary_penalty_reduced_focal_cross_entropy",
    "categorical_focal_crossentropy",
    "class_balanced_loss",
    "class_balanced_weights",
    "focal_loss",
    "poly1_cross_entropy",
    "poly1_focal",
    "sigmoid_focal_crossentropy",
    "sparse_categorical_focal_crossentropy",
]


def modulating_factor(q, gamma):
    """``q ** gamma`` with a finite gradient at ``q = 0`` (0) for any ``gamma > 0``."""
    if isinstance(gamma, numbers.Real) and gamma == 0:
        return ops.ones_like(q)  # q ** 0: TensorFlow's gradient of it at q = 0 is 0 * inf = NaN
    if isinstance(gamma, numbers.Real) and gamma >= 1:
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
        num_classes = ops.cast(ops.shape(y_true)[axis], y_pred.dtype)
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


@register
class FocalLoss(CrossentropyLoss):
    """keras-cv's ``FocalLoss(alpha=0.25, gamma=2, from_logits=False, label_smoothing=0)``
    (:func:`focal_loss`): ``sum_last_axis(alpha_t (1 - p_t)^gamma BCE)``, the RetinaNet loss.

    Also the base of :class:`BinaryFocalCrossentropy` and :class:`CategoricalFocalCrossentropy`
    (``alpha`` in [0, 1] and ``gamma >= 0`` on top of the cross-entropy arguments; subclasses
    set ``loss_fn`` and ``default_name``), which keep their own (Keras's) semantics.

    How the three binary focal losses relate (all ``alpha_t (1 - p_t)^gamma CE`` per element):

    ======================================  ===============  =========================  =========
    class                                   last axis        alpha                      BCE eps
    ======================================  ===============  =========================  =========
    ``FocalLoss`` (keras-cv)                summed           always applied             once
    ``SigmoidFocalCrossEntropy`` (tfa)      summed           0 means "off"; no          twice
                                                             smoothing; default
                                                             reduction "none"
    ``BinaryFocalCrossentropy`` (Keras)     averaged         only with                  twice
                                                             ``apply_class_balancing``
    ======================================  ===============  =========================  =========

    So ``FocalLoss(alpha, gamma, from_logits=True)`` equals ``SigmoidFocalCrossEntropy(alpha,
    gamma, from_logits=True, reduction="sum_over_batch_size")`` (for ``alpha > 0``), and
    ``C * BinaryFocalCrossentropy(apply_class_balancing=True, ...)`` on C classes (from
    logits; from probabilities the clipping differs by ~1e-7). Where refs differs from
    keras-cv: with ``label_smoothing > 0``, keras-cv picks ``alpha`` by testing the *smoothed*
    label for 1, so every element gets ``1 - alpha``; refs weighs by the unsmoothed label.

    Example::

        >>> FocalLoss(alpha=0.25, gamma=2.0, from_logits=True)([[1.0, 0.0]], [[0.0, 0.0]])
        0.173287   # 0.25 * 0.25 * log 2 + 0.75 * 0.25 * log 2
    """

    loss_fn = None  # set below: focal_loss
    default_name = "focal_loss"

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


# --------------------------------------------------------------------------- keras-cv's focal


def _clipped_bce(y, p, lower, upper):
    """``-(y log p + (1 - y) log(1 - p))`` with ``p`` clipped to [lower, upper] (Keras 3: one
    epsilon), and ``1 - p`` kept >= ``lower`` where ``upper`` rounds to 1 (bfloat16)."""
    p = ops.clip(p, lower, upper)
    return -(y * ops.log(p) + (1.0 - y) * ops.log(ops.maximum(1.0 - p, lower)))


@register
def focal_loss(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
               axis=-1):
    """keras-cv's binary focal loss, SUMMED over ``axis`` (the last): RetinaNet's loss.

        loss = sum_axis( alpha_t (1 - p_t)^gamma BCE(y_s, p) ),
        y_s = y (1 - label_smoothing) + label_smoothing / 2,
        alpha_t = alpha y + (1 - alpha)(1 - y),     1 - p_t = y_s (1 - p) + (1 - y_s) p

    ``y_true`` in {0, 1}; ``y_pred`` logits (``from_logits=True``: BCE in the stable softplus
    form, unclipped, as keras-cv's TensorFlow path computes it) or probabilities (BCE of ``p``
    clipped to [1e-7, 1 - 1e-7], Keras 3's single epsilon; 2**-11 in float16). ``gamma = 0``
    is alpha-weighted BCE (with a finite gradient, where TensorFlow's ``x ** 0`` gives NaN at
    ``x = 0``); ``alpha = 0.5`` weighs both classes 0.5. Where refs differs from keras-cv:
    ``alpha_t`` comes from the unsmoothed label (keras-cv compares the smoothed label with 1,
    so with ``label_smoothing > 0`` every element gets ``1 - alpha``).

    Example::

        >>> focal_loss([[1.0, 0.0]], [[0.0, 0.0]], from_logits=True)
        [0.173287]
    """
    name = "focal_loss"
    check_bool("from_logits", from_logits)
    check_alpha(alpha)
    check_non_negative("gamma", gamma)
    check_unit_interval("label_smoothing", label_smoothing)
    y_true, y_pred = prepare(name, y_true, y_pred)
    axis = check_reduced_axis(name, y_pred, axis)
    infinite = check_binary_inputs(name, y_true, y_pred, from_logits)
    alpha_t = y_true * alpha + (1.0 - y_true) * (1.0 - alpha)
    y = y_true
    if label_smoothing:
        y = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    y_pred = resolve_infinities(name, "binary", y, y_pred, infinite)
    if from_logits:
        ce = ops.binary_crossentropy(y, y_pred, from_logits=True)
        p = ops.sigmoid(y_pred)
    else:
        eps = epsilon_like(y_pred)
        ce = _clipped_bce(y, y_pred, eps, 1.0 - eps)
        p = y_pred
    one_minus_pt = y * (1.0 - p) + (1.0 - y) * p
    return ops.sum(alpha_t * modulating_factor(one_minus_pt, gamma) * ce, axis=axis)


FocalLoss.loss_fn = staticmethod(focal_loss)


# --------------------------------------------------------------------------- CenterNet


def _upper_clip(dtype, bound):
    """``bound`` (< 1), or the largest float below 1 of ``dtype`` if ``bound`` rounds to 1."""
    name = keras.backend.standardize_dtype(dtype)
    spacing = {"float16": 2.0**-11, "bfloat16": 2.0**-8}.get(name)
    if spacing is None:
        return float(np.float32(bound)) if name == "float32" else bound
    return min(bound, 1.0 - spacing)


@register
def binary_penalty_reduced_focal_cross_entropy(
    y_true,
    y_pred,
    alpha=2.0,
    beta=4.0,
    from_logits=False,
    positive_threshold=0.99,
    positive_weight=1.0,
    negative_weight=1.0,
):
    """CenterNet's penalty-reduced focal loss on heatmaps (Zhou et al., 2019), ELEMENTWISE.

    With ``p`` clipped to [1e-4, 0.9999] (after the sigmoid when ``from_logits``)::

        y > positive_threshold:  -positive_weight (1 - p)^alpha log p
        otherwise:               -negative_weight (1 - y)^beta p^alpha log(1 - p)

    ``y_true`` is a heatmap in [0, 1] (1 at object centres, a Gaussian around them); ``alpha``
    is the focusing exponent (the focal loss's ``gamma``), ``beta`` reduces the penalty for
    negatives near a centre (``beta = 0``: none). No axis is reduced: the per-sample loss has
    the inputs' shape (``sample_weight`` too), and the Keras reduction follows (CenterNet
    itself divides the sum by the number of positives: use ``reduction="sum"`` and divide).
    keras-cv's semantics, including its thresholds in the input's dtype (float32 0.99 is not
    above float32(0.99)). In float16 / bfloat16 the upper clip is the largest value below 1.

    Example::

        >>> binary_penalty_reduced_focal_cross_entropy([[1.0, 0.0]], [[0.5, 0.5]])
        [[0.173287, 0.173287]]   # 0.25 log 2 each
    """
    name = "binary_penalty_reduced_focal_cross_entropy"
    check_bool("from_logits", from_logits)
    check_non_negative("alpha", alpha)
    check_non_negative("beta", beta)
    check_unit_interval("positive_threshold", positive_threshold)
    check_non_negative("positive_weight", positive_weight)
    check_non_negative("negative_weight", negative_weight)
    y_true, y_pred = prepare(name, y_true, y_pred)
    infinite = check_values(
        name, y_true, y_pred, true_range=(0.0, 1.0),
        pred_range=None if from_logits else (0.0, 1.0),
        pred_hint="did you mean from_logits=True?", true_hint="a heatmap in [0, 1]",
        infinite_pred=from_logits,
    )
    if infinite:
        y_pred = finite_logits(y_pred)  # the clip below makes every logit's loss finite
    p = ops.sigmoid(y_pred) if from_logits else y_pred
    p = ops.clip(p, 1e-4, _upper_clip(p.dtype, 0.9999))
    positive = y_true > ops.convert_to_tensor(positive_threshold, dtype=y_true.dtype)
    pos = -positive_weight * modulating_factor(1.0 - p, alpha) * ops.log(p)
    neg = (-negative_weight * modulating_factor(1.0 - y_true, beta)
           * modulating_factor(p, alpha) * ops.log(1.0 - p))
    return ops.where(positive, pos, neg)


@register
class BinaryPenaltyReducedFocalCrossEntropy(Loss):
    """CenterNet's heatmap focal loss (:func:`binary_penalty_reduced_focal_cross_entropy`),
    keras-cv's class of the same name and arguments; elementwise (no axis reduced).

    Example::

        >>> BinaryPenaltyReducedFocalCrossEntropy(alpha=2.0, beta=4.0)
    """

    def __init__(
        self,
        alpha=2.0,
        beta=4.0,
        from_logits=False,
        positive_threshold=0.99,
        positive_weight=1.0,
        negative_weight=1.0,
        reduction="sum_over_batch_size",
        name="binary_penalty_reduced_focal_cross_entropy",
        dtype=None,
    ):
        super().__init__(
            binary_penalty_reduced_focal_cross_entropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=check_non_negative("alpha", alpha),
            beta=check_non_negative("beta", beta),
            from_logits=check_bool("from_logits", from_logits),
            positive_threshold=check_unit_interval("positive_threshold", positive_threshold),
            positive_weight=check_non_negative("positive_weight", positive_weight),
            negative_weight=check_non_negative("negative_weight", negative_weight),
        )

    def __call__(self, y_true, y_pred, sample_weight=None):
        # The loss is elementwise: a weight per element (the inputs' shape) or per leading
        # index (e.g. (B,) per image); Keras would broadcast anything else along the last axes.
        if sample_weight is not None:
            w_shape = static_shape(convert_input(self.name, "sample_weight", sample_weight))
            x_shape = static_shape(convert_input(self.name, "y_pred", y_pred))
            if w_shape is not None and x_shape is not None and None not in w_shape + x_shape \
                    and (len(w_shape) > len(x_shape) or w_shape != x_shape[:len(w_shape)]):
                raise ValueError(
                    f"{self.name}: sample_weight of shape {w_shape} does not match y_pred of "
                    f"shape {x_shape} (give one weight per element, or per leading index)")
        return super().__call__(y_true, y_pred, sample_weight=sample_weight)


# --------------------------------------------------------------------------- sparse focal


def _set_keras_mask(x, mask):
    """Attach a Keras mask to the per-sample loss: ``Loss.__call__`` then leaves the masked
    entries out of its mean, as Keras's ``SparseCategoricalCrossentropy(ignore_class=...)`` does
    (Keras has no public op for it; ``keras.src.backend.set_keras_mask`` is what Keras uses)."""
    from keras.src import backend as keras_backend

    keras_backend.set_keras_mask(x, mask)
    return x


def _check_ignore_class(ignore_class):
    if ignore_class is None:
        return None
    return check_int("ignore_class", ignore_class)


def _check_sparse_labels(name, y_true, num_classes, ignore_class):
    """Eager: integer labels in [0, C) (or equal to ``ignore_class``), finite."""
    labels = concrete_sample(y_true)
    if labels is None or not labels.size:
        return
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        raise ValueError(f"{name}: y_true contains NaN or inf")
    kept = labels if ignore_class is None else labels[labels != ignore_class]
    if not kept.size:
        return
    if not np.all(kept == np.round(kept)):
        raise ValueError(f"{name}: y_true must hold integer class indices, got non-integer "
                         f"values (min {kept.min():g}, max {kept.max():g})")
    if num_classes is not None and (kept.min() < 0 or kept.max() > num_classes - 1):
        extra = "" if ignore_class is None else f" or ignore_class={ignore_class}"
        raise ValueError(f"{name}: y_true must be in [0, {num_classes - 1}]{extra}, got "
                         f"values with min {kept.min():g}, max {kept.max():g}")


@register
def sparse_categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, ignore_class=None, axis=-1
):
    """Categorical focal loss with integer labels: ``alpha_y (1 - p_y)^gamma (-log p_y)``.

    ``y_true`` holds class indices in ``[0, C)``, shape ``y_pred`` without its class ``axis``
    (a trailing axis of 1 is accepted). ``p`` is Keras's ``CategoricalFocalCrossentropy``'s:
    ``softmax(y_pred)`` (log-softmax used directly) from logits, else the probabilities
    renormalised along ``axis`` and clipped to [1e-7, 1 - 1e-7]. So this equals
    :func:`categorical_focal_crossentropy` on the one-hot labels (without label smoothing).
    ``alpha``: one weight in [0, 1], or one per class (``alpha[y]`` is used); ``gamma = 0``,
    ``alpha = 1`` is sparse categorical cross-entropy.

    ``ignore_class`` (an int, e.g. 255 or -1): entries with that label give 0 and are left out
    of the mean of the default reduction, as in Keras's ``SparseCategoricalCrossentropy``
    (they carry a Keras mask).

    Example::

        >>> sparse_categorical_focal_crossentropy([1], [[0.5, 0.5]])   # .25 * .25 * log 2
        [0.043322]
    """
    name = "sparse_categorical_focal_crossentropy"
    check_bool("from_logits", from_logits)
    check_alpha(alpha)
    check_non_negative("gamma", gamma)
    ignore_class = _check_ignore_class(ignore_class)
    y_true = convert_input(name, "y_true", y_true)
    y_pred = as_float_tensor(convert_input(name, "y_pred", y_pred))
    pred_shape = static_shape(y_pred)
    if not pred_shape:
        raise ValueError(f"{name}: y_pred must have a class axis (shape (..., C)), got a scalar")
    axis = check_axis("axis", axis, len(pred_shape)) % len(pred_shape)
    num_classes = pred_shape[axis]
    if num_classes == 0:
        raise ValueError(f"{name}: y_pred of shape {pred_shape} has no classes")
    true_shape = static_shape(y_true)
    want = pred_shape[:axis] + pred_shape[axis + 1:]
    if true_shape == want + (1,) and len(true_shape) == len(pred_shape):
        y_true = ops.squeeze(y_true, -1)
        true_shape = want
    if len(true_shape) != len(want) or any(
        a is not None and b is not None and a != b for a, b in zip(true_shape, want)
    ):
        hint = (": it looks one-hot; pass integer labels or use categorical_focal_crossentropy"
                if true_shape == pred_shape else "")
        raise ValueError(f"{name}: y_true must have shape y_pred's without the class axis "
                         f"{want}, got {true_shape}{hint}")
    alpha_arr = np.asarray(alpha, dtype=np.float64) if not ops.is_tensor(alpha) else None
    if alpha_arr is not None and alpha_arr.ndim > 1 or (
        alpha_arr is not None and alpha_arr.ndim == 1 and num_classes is not None
        and alpha_arr.size != num_classes
    ):
        raise ValueError(f"{name}: alpha must be one value or one per class ({num_classes}), "
                         f"got shape {alpha_arr.shape}")
    _check_sparse_labels(name, y_true, num_classes, ignore_class)
    infinite = check_values(name, y_pred=y_pred,
                            pred_range=None if from_logits else (0.0, 1.0),
                            pred_hint="did you mean from_logits=True?",
                            infinite_pred=from_logits)
    labels = ops.cast(y_true, "int32")
    valid = None
    if ignore_class is not None:
        valid = ops.not_equal(labels, ignore_class)
        labels = ops.where(valid, labels, ops.zeros_like(labels))
    x = ops.moveaxis(y_pred, axis, -1) if axis != len(pred_shape) - 1 else y_pred
    if infinite:
        one_hot = ops.one_hot(labels, ops.shape(x)[-1], dtype=x.dtype)
        x = resolve_infinities(name, "categorical", one_hot, x, True)
    if from_logits:
        log_p = ops.log_softmax(x, axis=-1)
    else:
        eps = epsilon_like(x)
        log_p = ops.log(ops.clip(x / ops.sum(x, axis=-1, keepdims=True), eps, 1.0 - eps))
    log_p_y = ops.squeeze(ops.take_along_axis(log_p, labels[..., None], axis=-1), -1)
    p_y = ops.exp(log_p_y)
    alpha_t = ops.convert_to_tensor(alpha, dtype=x.dtype)
    if len(alpha_t.shape) == 1:
        alpha_t = ops.take(alpha_t, labels)
    loss = alpha_t * modulating_factor(1.0 - p_y, gamma) * (-log_p_y)
    if valid is not None:
        loss = _set_keras_mask(ops.where(valid, loss, ops.zeros_like(loss)), valid)
    return loss


@register
class SparseCategoricalFocalCrossentropy(Loss):
    """Categorical focal loss on integer labels (:func:`sparse_categorical_focal_crossentropy`):
    Keras's ``CategoricalFocalCrossentropy`` on one-hot labels, plus ``ignore_class``.

    Example::

        >>> SparseCategoricalFocalCrossentropy(alpha=[0.25, 0.25, 0.5], gamma=2.0)
    """

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        ignore_class=None,
        axis=-1,
        reduction="sum_over_batch_size",
        name="sparse_categorical_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            sparse_categorical_focal_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=check_alpha(alpha),
            gamma=check_non_negative("gamma", gamma),
            from_logits=check_bool("from_logits", from_logits),
            ignore_class=_check_ignore_class(ignore_class),
            axis=check_axis("axis", axis),
        )


# --------------------------------------------------------------------------- PolyLoss


def _check_epsilon(epsilon):
    """Poly-1's ``epsilon``: finite and >= -1 (below, the loss rises as p_t -> 1)."""
    if isinstance(epsilon, (bool, np.bool_)) or not isinstance(epsilon, numbers.Real):
        raise WrongTypeError(f"epsilon must be a number >= -1, got {epsilon!r}")
    if not (np.isfinite(epsilon) and epsilon >= -1):
        raise ValueError(f"epsilon must be finite and >= -1, got {epsilon!r}")
    return float(epsilon)


@register
def poly1_cross_entropy(y_true, y_pred, epsilon=1.0, from_logits=False, label_smoothing=0.0,
                        axis=-1):
    """Poly-1 cross-entropy (Leng et al., 2022): ``CE + epsilon (1 - p_t)``, ``p_t = sum y p``.

    The first polynomial coefficient of cross-entropy's Taylor expansion in ``1 - p_t`` is
    raised by ``epsilon``: ``epsilon = 0`` is categorical cross-entropy
    (:func:`refs.losses.categorical_crossentropy`, whose ``p``, clipping and label smoothing it
    uses), ``epsilon > 0`` pushes harder on confident-but-wrong examples, ``epsilon < 0`` less;
    ``epsilon >= -1`` keeps the loss decreasing in ``p_t``. The paper's default is 1.

    Example::

        >>> poly1_cross_entropy([[0.0, 1.0]], [[0.2, 0.8]])   # -log 0.8 + 0.2
        [0.423144]
    """
    from refs.losses.probabilistic import categorical_crossentropy

    _check_epsilon(epsilon)
    ce = categorical_crossentropy(y_true, y_pred, from_logits=from_logits,
                                  label_smoothing=label_smoothing, axis=axis)
    y_true, y_pred = prepare("poly1_cross_entropy", y_true, y_pred)
    axis = check_reduced_axis("poly1_cross_entropy", y_pred, axis)
    if label_smoothing:
        num_classes = ops.cast(ops.shape(y_true)[axis], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    if from_logits:
        p = ops.softmax(finite_logits(y_pred), axis=axis)
    else:
        eps = epsilon_like(y_pred)
        p = ops.clip(y_pred / ops.sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
    p_t = ops.sum(y_true * p, axis=axis)
    return ce + epsilon * (1.0 - p_t)


@register
def poly1_focal(y_true, y_pred, epsilon=1.0, gamma=2.0, alpha=0.25, apply_class_balancing=False,
                from_logits=False, label_smoothing=0.0, axis=-1):
    """Poly-1 focal loss (Leng et al., 2022): ``FL + epsilon (1 - p_t)^(gamma + 1)``, averaged
    over ``axis``.

    ``FL`` is :func:`binary_focal_crossentropy` (Keras's, same arguments: ``alpha`` only with
    ``apply_class_balancing``); the added term raises the leading coefficient of FL's
    expansion in ``1 - p_t`` and is not alpha-weighted. ``epsilon = 0`` is the focal loss;
    ``epsilon >= -1`` is required (the paper uses -1 for some detection models).

    Example::

        >>> poly1_focal([[1.0]], [[0.5]], gamma=2.0)   # 0.25 log 2 + 0.5 ** 3
        [0.298287]
    """
    _check_epsilon(epsilon)
    fl = binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=apply_class_balancing,
                                   alpha=alpha, gamma=gamma, from_logits=from_logits,
                                   label_smoothing=label_smoothing, axis=axis)
    y_true, y_pred = prepare("poly1_focal", y_true, y_pred)
    axis = check_reduced_axis("poly1_focal", y_pred, axis)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    p = ops.sigmoid(finite_logits(y_pred)) if from_logits else y_pred
    one_minus_pt = y_true * (1.0 - p) + (1.0 - y_true) * p
    return fl + epsilon * mean_over(ops.power(one_minus_pt, gamma + 1.0), axis=axis)


@register
class Poly1CrossEntropy(CrossentropyLoss):
    """Poly-1 cross-entropy ``CE + epsilon (1 - p_t)`` (:func:`poly1_cross_entropy`).

    Example::

        >>> Poly1CrossEntropy(epsilon=1.0, from_logits=True)
    """

    loss_fn = staticmethod(poly1_cross_entropy)
    default_name = "poly1_cross_entropy"

    def __init__(self, epsilon=1.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(from_logits, label_smoothing, axis, reduction=reduction, name=name,
                         dtype=dtype, epsilon=_check_epsilon(epsilon))


@register
class Poly1FocalLoss(FocalLoss):
    """Poly-1 focal loss ``FL + epsilon (1 - p_t)^(gamma + 1)`` (:func:`poly1_focal`).

    Example::

        >>> Poly1FocalLoss(epsilon=1.0, gamma=2.0, from_logits=True)
    """

    loss_fn = staticmethod(poly1_focal)
    default_name = "poly1_focal"

    def __init__(self, epsilon=1.0, gamma=2.0, alpha=0.25, apply_class_balancing=False,
                 from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(alpha, gamma, from_logits, label_smoothing, axis, reduction=reduction,
                         name=name, dtype=dtype, epsilon=_check_epsilon(epsilon),
                         apply_class_balancing=check_bool("apply_class_balancing",
                                                          apply_class_balancing))


# --------------------------------------------------------------------------- class-balanced


def class_balanced_weights(samples_per_class, beta=0.9999):
    """Class-balanced weights (Cui et al., 2019), one per class, normalised to sum to C.

        w_c ∝ (1 - beta) / (1 - beta^n_c)   (1 / the effective number of samples of class c)

    ``beta = 0`` gives uniform weights (all 1); ``beta -> 1`` tends to inverse frequency
    ``w_c ∝ 1 / n_c`` (``beta = 1`` is taken as that limit). The paper uses beta in
    {0.9, 0.99, 0.999, 0.9999}. Computed in float64 numpy (a constant, not a tensor op).

    Args:
        samples_per_class: the number of training samples of each class, all >= 1.
        beta: in [0, 1].

    Example::

        >>> class_balanced_weights([10, 1000], beta=0.0)
        array([1., 1.])
    """
    check_unit_interval("beta", beta)
    n = np.asarray(samples_per_class, dtype=np.float64)
    if n.ndim != 1 or n.size == 0:
        raise ValueError(f"samples_per_class must be a non-empty list of counts, one per class, "
                         f"got shape {n.shape}")
    if not np.all(np.isfinite(n)) or np.any(n < 1) or np.any(n != np.round(n)):
        raise ValueError(f"samples_per_class must hold integer counts >= 1, got {n.tolist()}")
    beta = float(beta)
    if beta == 0.0:
        w = np.ones_like(n)
    elif beta == 1.0:
        w = 1.0 / n
    else:
        w = (1.0 - beta) / -np.expm1(n * np.log(beta))  # 1 - beta^n, accurate near beta = 1
    return w * (n.size / w.sum())


def _class_of_sample_weights(y_true, y_pred, weights):
    """Per-sample class weights: ``w[y]`` for integer labels, ``sum_c y_c w_c`` for one-hot."""
    w = ops.convert_to_tensor(weights, dtype=y_pred.dtype)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == len(weights) and (
            y_true.shape[-1] != 1):
        return ops.sum(ops.cast(y_true, w.dtype) * w, axis=-1)
    labels = ops.cast(y_true, "int32")
    if len(labels.shape) == len(y_pred.shape):
        labels = ops.squeeze(labels, -1)
    return ops.take(w, ops.clip(labels, 0, len(weights) - 1))


@register
def class_balanced_loss(y_true, y_pred, loss, samples_per_class, beta=0.9999):
    """``loss``'s per-sample values times the class-balanced weight of each sample's class.

    ``weight = class_balanced_weights(samples_per_class, beta)[y]`` (Cui et al., 2019) for
    integer labels ``y`` (``y_true`` one axis shorter than ``y_pred``), or ``sum_c y_c w_c``
    for one-hot / multi-hot labels on the last axis (a multi-hot sample's class weights add
    up). ``loss`` is a ``keras.losses.Loss`` whose per-sample values are
    ``loss.call(y_true, y_pred)`` (its own reduction is not used), one per sample of the class
    axis -- any refs or Keras cross-entropy or focal loss.

    Example::

        >>> class_balanced_loss([0, 1], [[0.9, 0.1], [0.5, 0.5]],
        ...                     SparseCategoricalCrossentropy(), [100, 10], beta=0.0)
        [0.105361, 0.693147]    # beta = 0: uniform weights 1
    """
    name = "class_balanced_loss"
    if not isinstance(loss, keras.losses.Loss):
        raise WrongTypeError(f"loss must be a keras.losses.Loss instance, got "
                             f"{type(loss).__name__} {loss!r}")
    weights = class_balanced_weights(samples_per_class, beta)
    y_true = convert_input(name, "y_true", y_true)
    y_pred = as_float_tensor(convert_input(name, "y_pred", y_pred))
    per_sample = loss.call(y_true, y_pred)
    sample_w = _class_of_sample_weights(y_true, y_pred, weights)
    return per_sample * ops.reshape(ops.cast(sample_w, per_sample.dtype), ops.shape(per_sample))


@register
class ClassBalanced(Loss):
    """Class-balanced wrapper (Cui et al., 2019) around a per-sample classification loss
    (:func:`class_balanced_loss`).

    Each sample's loss is multiplied by the weight of its class,
    ``class_balanced_weights(samples_per_class, beta)[y]``, before ``sample_weight`` and this
    loss's reduction (the wrapped loss's reduction is not used). Serializable: the config holds
    the wrapped loss's (``keras.losses.serialize``). ``beta = 0`` is the wrapped loss itself;
    ``beta -> 1`` weighs by inverse class frequency.

    Example::

        >>> ClassBalanced(SparseCategoricalFocalCrossentropy(gamma=2.0), [5000, 500, 50], 0.999)
    """

    def __init__(self, loss, samples_per_class, beta=0.9999, reduction="sum_over_batch_size",
                 name="class_balanced", dtype=None):
        if isinstance(loss, dict):
            loss = keras.losses.deserialize(loss)
        if not isinstance(loss, keras.losses.Loss):
            raise WrongTypeError(f"loss must be a keras.losses.Loss instance, got "
                                 f"{type(loss).__name__} {loss!r}")
        class_balanced_weights(samples_per_class, beta)  # validates both
        super().__init__(class_balanced_loss, reduction=reduction, name=name, dtype=dtype,
                         samples_per_class=[int(v) for v in samples_per_class],
                         beta=float(beta))
        self._hyper["loss"] = loss

    @property
    def weights(self):
        """The class weights, ``class_balanced_weights(samples_per_class, beta)``."""
        return class_balanced_weights(self._hyper["samples_per_class"], self._hyper["beta"])

    def get_config(self):
        config = super().get_config()
        config["loss"] = keras.losses.serialize(self._hyper["loss"])
        return config
