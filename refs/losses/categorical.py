"""Multi-class losses: categorical / sparse cross-entropy, KL divergence, cosine similarity.

Classes are on ``axis`` (the last by default) and that axis is summed. Probabilities follow
Keras 2 exactly: categorical cross-entropy renormalises each row to sum to 1 and then clips to
``[1e-7, 1 - 1e-7]``; the sparse loss clips each probability first and takes the softmax
cross-entropy of the logs (so the *clipped* row is renormalised); KL divergence clips both
arguments to ``[1e-7, 1]``. Logits use the fused, stable softmax cross-entropy.
"""

from __future__ import annotations

from keras import ops

from refs.losses.base import (
    CrossentropyLoss,
    Loss,
    as_float_tensor,
    epsilon_like,
    prepare,
    register,
)
from refs.losses.validation import (
    check_bool,
    check_unit_interval,
    check_values,
    static_shape,
)

_PROBABILITY_HINT = "did you mean from_logits=True?"


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
    _check_not_sparse("categorical_crossentropy", y_true, y_pred)
    y_true, y_pred = prepare("categorical_crossentropy", y_true, y_pred)
    _check_classes("categorical_crossentropy", y_pred, axis)
    check_values(
        "categorical_crossentropy",
        y_true,
        y_pred,
        true_range=(0.0, 1.0),
        pred_range=None if from_logits else (0.0, 1.0),
        pred_hint=_PROBABILITY_HINT,
        true_hint="targets are one-hot rows (integer labels go to sparse_categorical_crossentropy)",
    )
    if label_smoothing:
        num_classes = ops.cast(ops.shape(y_true)[axis], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
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
    y_pred = as_float_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    pred_shape, true_shape = static_shape(y_pred), static_shape(y_true)
    if len(true_shape) == len(pred_shape):
        if true_shape[-1] == 1:
            y_true = ops.squeeze(y_true, -1)
        elif true_shape[-1] is not None and true_shape[-1] == pred_shape[-1]:
            raise ValueError(
                f"{name}: y_true has the shape of y_pred {pred_shape}: it looks one-hot; "
                "pass integer labels (argmax over the last axis) or use "
                "categorical_crossentropy"
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
    check_values(
        name,
        y_true,
        y_pred,
        true_range=None if num_classes is None else (0, num_classes - 1),
        integer_labels=True,
        true_hint=f"labels are class indices 0..{num_classes - 1 if num_classes else 'C-1'}",
        pred_range=None if from_logits else (0.0, 1.0),
        pred_hint=_PROBABILITY_HINT,
    )
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


def _l2_normalize(x, axis):
    """``x / sqrt(max(sum x^2, 1e-12))`` (``tf.math.l2_normalize``): a zero vector stays 0."""
    return x * ops.rsqrt(ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), 1e-12))


@register
def cosine_similarity(y_true, y_pred, axis=-1):
    """Keras's cosine similarity loss: the NEGATIVE cosine, ``-sum(y_hat * p_hat)``.

    ``y_hat = y / max(||y||, 1e-6)`` and likewise ``p_hat``. Values lie in [-1, 1]: -1 for
    parallel vectors (the minimum), 0 when orthogonal or when either vector is zero, +1 for
    anti-parallel. For the 1 - cos form (in [0, 2], 0 at the optimum) use
    :func:`cosine_distance`, which is this plus 1.

    Example::

        >>> cosine_similarity([[1.0, 0.0]], [[1.0, 1.0]])   # -1/sqrt(2)
        [-0.707107]
    """
    y_true, y_pred = prepare("cosine_similarity", y_true, y_pred)
    check_values("cosine_similarity", y_true, y_pred)
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


@register
def cosine_distance(y_true, y_pred, axis=-1):
    """Cosine distance ``1 - cos(y, p) = 1 + cosine_similarity(y, p)``, in [0, 2].

    The form of ``torch.nn.CosineEmbeddingLoss`` for positive pairs. A zero vector gives 1.

    Example::

        >>> cosine_distance([[1.0, 0.0]], [[1.0, 1.0]])   # 1 - 1/sqrt(2)
        [0.292893]
    """
    return 1.0 + cosine_similarity(y_true, y_pred, axis=axis)


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
            axis=axis,
        )


@register
class KLDivergence(Loss):
    """KL divergence ``sum_c y_c log(y_c / p_c)`` (see :func:`kl_divergence`).

    Example: ``KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]])`` is 0.1438.
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


@register
class CosineSimilarity(Loss):
    """Keras's cosine similarity loss, the NEGATIVE cosine (see :func:`cosine_similarity`).

    ``CosineDistance`` is the same loss shifted by +1 (``1 - cos``); both have the same
    gradients and minimisers.
    """

    def __init__(
        self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None
    ):
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)


@register
class CosineDistance(Loss):
    """Cosine distance ``1 - cos(y, p)``, in [0, 2] (see :func:`cosine_distance`).

    Example: ``CosineDistance()([[1.0, 0.0]], [[1.0, 1.0]])`` is 1 - 1/sqrt(2) = 0.2929.
    """

    def __init__(
        self, axis=-1, reduction="sum_over_batch_size", name="cosine_distance", dtype=None
    ):
        super().__init__(cosine_distance, reduction=reduction, name=name, dtype=dtype, axis=axis)
