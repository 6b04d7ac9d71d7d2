"""Sequence losses: CTC (connectionist temporal classification, Graves et al., 2006).

``ctc(y_true, y_pred)`` is the negative log-likelihood of a label sequence under per-frame
class scores, summed over every alignment (frame-level path) that collapses to it -- repeats
merged, then blanks removed:

    loss = -log sum_{paths pi : B(pi) = y} prod_t softmax(y_pred[t])[pi_t]

It follows Keras 3.15's ``keras.losses.ctc``: ``y_true`` holds integer labels ``(B, L)`` in
which 0 is both the blank class and the padding (the label length is the number of non-zero
entries), ``y_pred`` unnormalised logits ``(B, T, C)`` with the blank at class 0, and every
sequence uses all ``T`` frames. The computation is ``keras.ops.ctc_loss`` (the backend's
forward algorithm in log space), which on TensorFlow runs in float32 even for float64 inputs;
the result has ``y_pred``'s dtype.

Deliberate differences from Keras (eager inputs only; traced calls are not checked):

- padding must come after the labels: ``[1, 0, 2]`` is rejected (Keras silently reads it as
  the two labels ``[1, 0]``, a blank in the middle of the label, and drops the 2);
- a label that cannot fit in ``T`` frames (``T < length + number of adjacent repeats``, each
  repeat needing a blank between its copies) is rejected, where Keras returns a meaningless
  finite value (about 710 on TensorFlow) instead of ``+inf``.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from refs.losses.base import Loss, as_float_tensor, register
from refs.losses.validation import (
    check_values,
    convert_input,
    input_checks_enabled,
    is_concrete,
    static_shape,
)

__all__ = ["CTC", "ctc"]


def _check_shapes(name: str, y_true, y_pred):
    true_shape, pred_shape = static_shape(y_true), static_shape(y_pred)
    if true_shape is None or len(true_shape) != 2:
        raise ValueError(f"{name}: y_true must be integer labels of shape (batch, max_length), "
                         f"got shape {true_shape}")
    if pred_shape is None or len(pred_shape) != 3:
        raise ValueError(f"{name}: y_pred must be logits of shape (batch, frames, classes), got "
                         f"shape {pred_shape}")
    if None not in (true_shape[0], pred_shape[0]) and true_shape[0] != pred_shape[0]:
        raise ValueError(f"{name}: y_true and y_pred must have the same batch size, got y_true "
                         f"{true_shape} and y_pred {pred_shape}")
    if pred_shape[1] == 0 or pred_shape[2] == 0:
        raise ValueError(f"{name}: y_pred of shape {pred_shape} has no frames or no classes")
    return pred_shape


def _check_labels(name: str, y_true, frames: int | None) -> None:
    """Eager: padding (0) only after the labels, and each label feasible in ``frames``."""
    if not input_checks_enabled() or not is_concrete(y_true):
        return
    labels = np.asarray(ops.convert_to_numpy(y_true)).astype(np.int64)
    nonzero = labels != 0
    after_padding = np.cumsum(~nonzero, axis=1) > 0
    bad = np.argwhere(nonzero & after_padding)
    if bad.size:
        row = int(bad[0][0])
        raise ValueError(f"{name}: y_true row {row} {labels[row].tolist()} has a label after "
                         "the padding: 0 is the blank and the padding, so it may only follow "
                         "the labels")
    if frames is None:
        return
    lengths = nonzero.sum(axis=1)
    repeats = (nonzero[:, 1:] & (labels[:, 1:] == labels[:, :-1])).sum(axis=1)
    needed = lengths + repeats
    if (needed > frames).any():
        row = int(np.argmax(needed > frames))
        raise ValueError(
            f"{name}: y_true row {row} (length {int(lengths[row])}, {int(repeats[row])} "
            f"repeats) needs at least {int(needed[row])} frames but y_pred has {frames}: its "
            "likelihood is 0 and the loss infinite"
        )


@register
def ctc(y_true, y_pred):
    """CTC loss ``-log p(y_true | y_pred)``, one value per sequence (Keras 3's conventions).

    Args:
        y_true: integer labels ``(B, L)`` in ``[1, C)``, right-padded with 0 (the blank); the
            label length is the number of non-zero entries. An all-zero row is the empty label,
            whose loss is ``-log p(all frames blank)``.
        y_pred: logits ``(B, T, C)``, class 0 the blank (softmax is applied inside; do not pass
            probabilities). Every sequence uses all ``T`` frames.

    Returns:
        The per-sequence loss, shape ``(B,)``: 0 only for a certain prediction; it grows with
        ``T`` because it is a sum over frames, not a mean.

    Example::

        >>> ctc([[1]], [[[0.0, 0.0]]])   # one frame, p(label 1) = 1/2
        [0.693147]
    """
    name = "ctc"
    y_true = convert_input(name, "y_true", y_true)
    y_pred = as_float_tensor(convert_input(name, "y_pred", y_pred))
    _, frames, classes = _check_shapes(name, y_true, y_pred)
    check_values(
        name,
        y_true,
        y_pred,
        true_range=None if classes is None else (0, classes - 1),
        integer_labels=True,
        true_hint=f"labels are classes 1..{classes - 1 if classes else 'C-1'}, 0 the padding",
    )
    _check_labels(name, y_true, frames)
    if static_shape(y_pred)[0] == 0:  # an empty batch (TensorFlow's CTC op fails on it)
        return ops.zeros((0,), dtype=y_pred.dtype)
    labels = ops.cast(y_true, "int32")
    label_length = ops.sum(ops.cast(ops.not_equal(labels, 0), "int32"), axis=-1)
    shape = ops.shape(y_pred)
    logit_length = ops.full((shape[0],), shape[1], dtype="int32")
    loss = ops.ctc_loss(labels, y_pred, label_length, logit_length, mask_index=0)
    return ops.cast(loss, y_pred.dtype)


@register
class CTC(Loss):
    """CTC loss, one ``-log p(label)`` per sequence (see :func:`ctc`).

    ``y_true``: labels ``(B, L)``, 0-padded (0 is the blank); ``y_pred``: logits ``(B, T, C)``.
    ``sample_weight``, if given, has one weight per sequence, shape ``(B,)``.

    Example::

        >>> model.compile(optimizer="adam", loss=CTC())
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, reduction=reduction, name=name, dtype=dtype)
