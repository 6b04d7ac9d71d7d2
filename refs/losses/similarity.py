"""Similarity losses: cosine similarity (Keras's negative cosine) and cosine distance.

Both compare the directions of ``y_true`` and ``y_pred`` along ``axis`` (the last by default),
after an L2 normalisation that leaves a zero vector at 0 (so a zero vector gives a cosine of 0,
never NaN). ``cosine_distance = 1 + cosine_similarity``: the same gradients and minimisers.
"""

from __future__ import annotations

from keras import ops

from refs.losses.base import Loss, prepare, register
from refs.losses.validation import check_axis, check_reduced_axis, check_values

__all__ = [
    "CosineDistance",
    "CosineSimilarity",
    "cosine_distance",
    "cosine_similarity",
]


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
    axis = check_reduced_axis("cosine_similarity", y_pred, axis)
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
class CosineSimilarity(Loss):
    """Keras's cosine similarity loss, the NEGATIVE cosine (see :func:`cosine_similarity`).

    ``CosineDistance`` is the same loss shifted by +1 (``1 - cos``); both have the same
    gradients and minimisers.
    """

    def __init__(
        self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None
    ):
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype,
                         axis=check_axis("axis", axis))


@register
class CosineDistance(Loss):
    """Cosine distance ``1 - cos(y, p)``, in [0, 2] (see :func:`cosine_distance`).

    Example: ``CosineDistance()([[1.0, 0.0]], [[1.0, 1.0]])`` is 1 - 1/sqrt(2) = 0.2929.
    """

    def __init__(
        self, axis=-1, reduction="sum_over_batch_size", name="cosine_distance", dtype=None
    ):
        super().__init__(cosine_distance, reduction=reduction, name=name, dtype=dtype,
                         axis=check_axis("axis", axis))
