"""Sparsemax (Martins & Astudillo 2016) and its loss, as tensorflow-addons 0.23 has them.

``sparsemax`` is the Euclidean projection of the logits onto the probability simplex: like
softmax, but exactly 0 for the classes far below the top ones. ``SparsemaxLoss`` is the
matching convex loss, whose gradient with respect to the logits is ``sparsemax(z) - q``.
Drop-in replacements for ``tfa.activations.sparsemax``, ``tfa.losses.sparsemax_loss`` (the
same ``(logits, sparsemax, labels)`` signature) and ``tfa.losses.SparsemaxLoss``.
"""

from __future__ import annotations

from keras import ops

from refs.losses.base import Loss, as_float_tensor, register
from refs.losses.validation import (
    check_bool,
    check_reduced_axis,
    check_same_shape,
    check_values,
    convert_input,
    static_shape,
)

__all__ = ["SparsemaxLoss", "sparsemax", "sparsemax_loss"]


def sparsemax(logits, axis=-1):
    """``argmin_p |p - z|^2`` over the probability simplex, along ``axis``.

    ``p = max(z - tau, 0)``: sort ``z`` decreasingly, ``k`` = the largest ``j`` with
    ``1 + j z_(j) > sum_(i <= j) z_(i)`` (the support size), ``tau = (sum_(i <= k) z_(i) - 1)
    / k``. The logits are centred on their mean first (``tau`` is shift-invariant; this keeps
    float32 sums small), as tfa does. Infinite logits are rejected (eager inputs; tfa returns
    NaN).

    Example::

        >>> sparsemax([[2.0, 0.5, -1.0]])   # [[1.0, 0.0, 0.0]]; [[0.6, 0.4, 0]] for [.6, .4, -1]
    """
    z = as_float_tensor(convert_input("sparsemax", "logits", logits))
    axis = check_reduced_axis("sparsemax", z, axis, name="logits")
    check_values("sparsemax", y_pred=z, names=("", "logits"))
    rank = len(z.shape)
    axis = axis % rank
    if axis != rank - 1:
        z = ops.moveaxis(z, axis, -1)
    p = _sparsemax_last(z)
    return ops.moveaxis(p, -1, axis) if axis != rank - 1 else p


def _sparsemax_last(z):
    classes = z.shape[-1]
    z = z - ops.mean(z, axis=-1, keepdims=True)
    z_sorted, _ = ops.top_k(z, classes, sorted=True)
    running = ops.cumsum(z_sorted, axis=-1)
    k = ops.arange(1, classes + 1, dtype=z.dtype)
    in_support = 1.0 + k * z_sorted > running
    k_z = ops.sum(ops.cast(in_support, "int32"), axis=-1, keepdims=True)
    k_z = ops.maximum(k_z, 1)
    tau_sum = ops.take_along_axis(running, k_z - 1, axis=-1)
    tau = (tau_sum - 1.0) / ops.cast(k_z, z.dtype)
    return ops.maximum(z - tau, 0.0)


def _loss_terms(logits, probabilities, labels):
    # sum over the support of p (z - p / 2), plus q (q / 2 - z); written with ``where`` so that
    # classes outside the support contribute exactly 0.
    support = ops.where(probabilities > 0, probabilities * (logits - 0.5 * probabilities), 0.0)
    return ops.sum(support + labels * (0.5 * labels - logits), axis=-1)


@register
def sparsemax_loss(logits, sparsemax, labels, name=None):  # noqa: ARG001 - tfa's signature
    """The sparsemax loss of ``logits`` given ``sparsemax = sparsemax(logits)`` (tfa's
    signature; ``name`` is accepted and ignored), per sample:

        loss = sum_(j: p_j > 0) p_j (z_j - p_j / 2) + sum_j q_j (q_j / 2 - z_j)

    = ``(|q|^2 - |p|^2) / 2 - z.(q - p)``, >= 0 and 0 exactly when ``p = q``. ``labels`` ``q``
    is a label distribution (one-hot or soft rows summing to 1), classes on the last axis.

    Example::

        >>> z = [[2.0, 0.5, -1.0]]
        >>> sparsemax_loss(z, sparsemax(z), [[1.0, 0.0, 0.0]])   # [0.0]
    """
    loss = "sparsemax_loss"
    z = as_float_tensor(convert_input(loss, "logits", logits))
    p = ops.cast(convert_input(loss, "sparsemax", sparsemax), z.dtype)
    q = ops.cast(convert_input(loss, "labels", labels), z.dtype)
    for arg, x in (("labels", q), ("sparsemax", p)):
        a, b = static_shape(x), static_shape(z)
        if a is not None and b is not None and (len(a) != len(b) or any(
                i is not None and j is not None and i != j for i, j in zip(a, b))):
            raise ValueError(f"{loss}: {arg} must have the shape of logits, got {arg} {a} "
                             f"and logits {b}")
    check_reduced_axis(loss, z, name="logits")
    check_values(loss, q, z, true_range=(0.0, 1.0), names=("labels", "logits"),
                 true_hint="labels hold a probability distribution per row")
    check_values(loss, y_pred=p, pred_range=(0.0, 1.0), names=("", "sparsemax"),
                 pred_hint="pass sparsemax(logits)")
    return _loss_terms(z, p, q)


def _sparsemax_loss_from_logits(y_true, y_pred, from_logits=True):  # noqa: ARG001 - always True
    loss = "sparsemax_loss"
    y_true = convert_input(loss, "y_true", y_true)
    z = as_float_tensor(convert_input(loss, "y_pred", y_pred))
    q = ops.cast(y_true, z.dtype)
    check_same_shape(loss, q, z)
    check_reduced_axis(loss, z)
    check_values(loss, q, z, true_range=(0.0, 1.0),
                 true_hint="y_true holds a label distribution per row (one-hot or soft)")
    return _loss_terms(z, _sparsemax_last(z), q)


@register
class SparsemaxLoss(Loss):
    """Sparsemax loss of logits (see :func:`sparsemax_loss`); tfa's ``SparsemaxLoss``.

    ``loss(y_true, y_pred)``: ``y_true`` a label distribution ``(B, C)``, ``y_pred`` logits
    ``(B, C)`` (refs also takes more leading axes; classes are on the last). Per sample, then
    ``reduction`` (default ``"sum_over_batch_size"``) and ``sample_weight``. ``from_logits``
    must be True (as tfa: the loss is defined on logits); False is a ValueError.

    Example: ``SparsemaxLoss()([[1.0, 0.0, 0.0]], [[2.0, 0.5, -1.0]])`` is 0.
    """

    def __init__(self, from_logits=True, reduction="sum_over_batch_size",
                 name="sparsemax_loss", dtype=None):
        if check_bool("from_logits", from_logits) is not True:
            raise ValueError("from_logits must be True: the sparsemax loss takes logits "
                             "(tfa's SparsemaxLoss does not support from_logits=False), got "
                             "False")
        super().__init__(_sparsemax_loss_from_logits, reduction=reduction, name=name,
                         dtype=dtype, from_logits=True)
