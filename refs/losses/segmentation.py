"""Segmentation losses: Dice, Tversky, Jaccard (soft IoU), focal Tversky, Lovász, MCC, and the
label-smoothed cross-entropies of segmentation-models-pytorch -- channels-last.

Anchors and naming
------------------
``Dice`` / ``dice`` and ``Tversky`` / ``tversky`` carry Keras 3.15's names, arguments and
defaults (``Dice(reduction, name, axis=None, dtype)``, ``Tversky(alpha=0.5, beta=0.5,
reduction, name, axis=None, dtype)``) and, with the default ``mode=None``, compute exactly what
``keras.losses.Dice`` / ``Tversky`` compute. segmentation-models-pytorch (smp) 0.6's options are
extra **keyword-only** arguments: passing ``mode="binary" | "multiclass" | "multilabel"``
switches to smp's ``DiceLoss`` / ``TverskyLoss`` semantics (below), with ``from_logits``,
``smooth``, ``log_loss``, ``ignore_class`` (smp's ``ignore_index``), ``classes``,
``class_weights`` and ``eps``. The other losses have no Keras counterpart and follow smp:
``Jaccard`` (``JaccardLoss``), ``FocalTversky`` (``TverskyLoss`` with its ``gamma``),
``Lovasz`` (``LovaszLoss``), ``MCC`` (``MCCLoss``), ``SoftBinaryCrossentropy``
(``SoftBCEWithLogitsLoss``) and ``SoftCategoricalCrossentropy`` (``SoftCrossEntropyLoss``).
One class per loss, rather than a second ``DiceLoss``-style family, so that a model never has
two Dice classes whose defaults differ.

Tversky's ``alpha`` and ``beta`` (read this)
--------------------------------------------
``Tversky`` follows **Keras's code**: ``alpha`` multiplies the false negatives, ``beta`` the
false positives -- with or without ``mode``. (Keras's docstring, and smp, say the opposite.)
``FocalTversky`` follows **smp's meaning**: ``alpha`` weights the false positives, ``beta`` the
false negatives. So ``Tversky(alpha=a, beta=b, mode=m)`` equals
``FocalTversky(alpha=b, beta=a, gamma=1, mode=m)``.

Layout (channels-last) and masks
--------------------------------
``y_pred`` is ``(B, ..., C)`` (classes last; smp's NCHW ``(N, C, H, W)`` is
``np.moveaxis(x, 1, -1)``). ``y_true`` by mode:

- ``"binary"``: ``y_pred`` is ``(B, ...)`` or ``(B, ..., 1)``, one foreground channel; ``y_true``
  has the same shape (a trailing axis of 1 may be missing on either), values in [0, 1] (soft
  targets allowed for the overlap losses; {0, 1} for Lovász) or ``ignore_class``;
- ``"multiclass"``: ``y_true`` holds integer class ids ``(B, ...)`` = ``y_pred.shape[:-1]``
  (or with a trailing axis of 1), values in ``[0, C)`` or ``ignore_class``; ``y_pred`` holds
  logits (softmax over the last axis) or probabilities;
- ``"multilabel"``: ``y_true`` is multi-hot ``(B, ..., C)`` like ``y_pred``; one sigmoid per
  channel.

Batch-global statistics, ``reduction`` and ``sample_weight``
------------------------------------------------------------
smp pools each class's statistics (TP, FP, FN) over the **whole batch and all pixels together**,
not per image, so the Dice / Tversky (with ``mode``) / Jaccard / focal Tversky / MCC losses and
``Lovasz(per_image=False)`` are one scalar per call: the function returns a 0-d tensor, the
Keras reduction leaves it unchanged, and ``sample_weight`` is **rejected** (ValueError naming
it): there is no per-sample loss for a weight to multiply, and weighting the scalar would only
rescale the learning rate. Mask pixels with ``ignore_class``, weight classes with
``class_weights``. ``Lovasz(per_image=True)`` returns one value per image ``(B,)`` (the default
"sum_over_batch_size" gives smp's mean over images) and takes a per-image ``sample_weight``.
The cross-entropies return one value per pixel (``(B, ...)``, the class axis reduced) and take
``sample_weight`` like any Keras loss. ``Dice`` / ``Tversky`` with ``mode=None`` are Keras's
own: a scalar over every axis with ``axis=None``, one value per sample with ``axis=[1, ...]``
(then ``sample_weight`` is one weight per sample, as in Keras). One deliberate difference:
with ``axis=None`` (the default) the loss is a batch statistic too and ``sample_weight`` is
rejected, where Keras silently returns ``mean(sample_weight) * loss`` for weights of any
length.

Quirks of smp reproduced (matched to smp's values in the tests)
---------------------------------------------------------------
- ``TP = (sum p + sum t - sum |p - t|) / 2`` (``= sum p t`` for 0/1 targets; its gradient at
  ``p = t`` is 1/2), ``FP = sum p - TP``, ``FN = sum t - TP``; score ``(TP + smooth) /
  max(TP + a FP + b FN + smooth, eps)`` with (a, b) = (1/2, 1/2) Dice, (1, 1) Jaccard;
  loss ``1 - score`` or ``-log(max(score, eps))`` with ``log_loss``;
- a class with no true pixel in the whole batch gets loss 0 **and still counts** in the mean
  over classes; ``classes`` averages over a subset, ``class_weights`` gives
  ``sum w_c loss_c / sum w_c``; focal Tversky is ``mean_c(loss_c) ** gamma``;
- ``ignore_class`` zeroes ``p`` and ``t`` at ignored pixels (overlap losses), removes them
  (Lovász), and in the cross-entropies gives them a loss of 0 that **still counts in the mean's
  denominator** (smp divides by every pixel; ``reduction="sum_over_batch_size"`` does the same
  here). That differs from Keras's ``SparseCategoricalCrossentropy(ignore_class)``, which leaves
  them out of the mean; use ``"sum"`` and divide yourself for that;
- smp's ``from_logits`` defaults to True; here it defaults to False (probabilities), as in every
  Keras loss. Lovász takes logits always (smp accepts ``from_logits`` and ignores it; refs has no
  such argument), and MCC probabilities always.

Numerics: float16 / bfloat16 inputs are computed in float32 (sums over many pixels, sorting)
and the result cast back. Input checks (labels, ranges, shapes) run on eager inputs only; they
also apply to ``Dice`` / ``Tversky`` with ``mode=None`` (``y_true`` and ``y_pred`` in [0, 1]),
where Keras computes on any values. Infinite inputs are rejected (no finite limit is assumed).
"""

from __future__ import annotations

import math
import numbers

import keras
import numpy as np
from keras import ops

from refs.losses.base import Loss, align, as_float_tensor, register
from refs.losses.validation import (
    WrongTypeError,
    check_bool,
    check_choice,
    check_int,
    check_non_negative,
    check_positive,
    check_reduced_axis,
    check_unit_interval,
    check_values,
    concrete_sample,
    convert_input,
    static_shape,
)

__all__ = [
    "MCC",
    "Dice",
    "FocalTversky",
    "Jaccard",
    "Lovasz",
    "SoftBinaryCrossentropy",
    "SoftCategoricalCrossentropy",
    "Tversky",
    "dice",
    "focal_tversky",
    "jaccard",
    "lovasz",
    "mcc",
    "soft_binary_crossentropy",
    "soft_categorical_crossentropy",
    "tversky",
]

MODES = ("binary", "multiclass", "multilabel")
#: smp's ``eps`` of the overlap losses (and Keras's epsilon in Dice / Tversky).
EPS = 1e-7


# --------------------------------------------------------------------------- hyperparameters


def check_ignore_class(ignore_class):
    """``ignore_class``: None or an integer label (not a bool, not a float)."""
    if ignore_class is None:
        return None
    if isinstance(ignore_class, (bool, np.bool_)) or not isinstance(
            ignore_class, numbers.Integral):
        raise WrongTypeError(f"ignore_class must be an integer label or None, got "
                             f"{type(ignore_class).__name__} {ignore_class!r}")
    return int(ignore_class)


def _check_classes(classes):
    if classes is None:
        return None
    if isinstance(classes, (str, bytes)) or not isinstance(classes, (list, tuple, np.ndarray)):
        raise WrongTypeError(f"classes must be a list of class ids or None, got {classes!r}")
    ids = [check_int("classes", c, minimum=0) for c in list(classes)]
    if not ids or len(set(ids)) != len(ids):
        raise ValueError(f"classes must be a non-empty list of distinct class ids, got "
                         f"{classes!r}")
    return ids


def _check_class_weights(class_weights):
    if class_weights is None:
        return None
    if isinstance(class_weights, (str, bytes)) or not isinstance(
            class_weights, (list, tuple, np.ndarray)):
        raise WrongTypeError(f"class_weights must be a list of weights (one per class) or None, "
                             f"got {class_weights!r}")
    weights = [float(check_non_negative("class_weights", w)) for w in list(class_weights)]
    if not weights or sum(weights) <= 0:
        raise ValueError(f"class_weights must be non-negative with a positive sum, got "
                         f"{class_weights!r}")
    return weights


def _check_axis(axis):
    """Keras's ``axis`` of Dice / Tversky: None, an int or a list of ints."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        axes = [check_int("axis", a) for a in axis]
        if not axes or len(set(axes)) != len(axes):
            raise ValueError(f"axis must be None, an integer or a non-empty list of distinct "
                             f"integers, got {axis!r}")
        return axes
    return check_int("axis", axis)


def _overlap_hyper(mode, from_logits, smooth, log_loss, ignore_class, classes, class_weights,
                   eps, allow_none_mode):
    """Validated smp hyperparameters of the overlap losses (a dict)."""
    choices = MODES + ((None,) if allow_none_mode else ())
    hyper = {
        "mode": check_choice("mode", mode, choices),
        "from_logits": check_bool("from_logits", from_logits),
        "smooth": check_non_negative("smooth", smooth),
        "log_loss": check_bool("log_loss", log_loss),
        "ignore_class": check_ignore_class(ignore_class),
        "classes": _check_classes(classes),
        "class_weights": _check_class_weights(class_weights),
        "eps": check_positive("eps", eps),
    }
    if hyper["classes"] is not None and hyper["class_weights"] is not None:
        raise ValueError("classes and class_weights cannot both be given (a class weight of 0 "
                         "leaves a class out)")
    if mode == "binary" and (hyper["classes"] is not None or hyper["class_weights"] is not None):
        raise ValueError("classes / class_weights need mode='multiclass' or 'multilabel' "
                         "(mode='binary' has one class)")
    if mode is None:
        defaults = {"from_logits": False, "smooth": 0.0, "log_loss": False,
                    "ignore_class": None, "classes": None, "class_weights": None}
        for key, default in defaults.items():
            if hyper[key] != default:
                raise ValueError(f"{key}={hyper[key]!r} applies to smp's semantics: pass mode="
                                 f"'binary', 'multiclass' or 'multilabel' (mode=None is Keras's "
                                 f"formula, which has no {key})")
    return hyper


# --------------------------------------------------------------------------- inputs


def _compute_dtype(x):
    """float16 / bfloat16 -> float32 (statistics over many pixels); others unchanged."""
    kind = keras.backend.standardize_dtype(x.dtype)
    return "float32" if kind in ("float16", "bfloat16") else kind


def _float_pred(loss, y_pred):
    y_pred = as_float_tensor(convert_input(loss, "y_pred", y_pred))
    out_dtype = y_pred.dtype
    return ops.cast(y_pred, _compute_dtype(y_pred)), out_dtype


def _shape_error(loss, y_true, y_pred, expected):
    return ValueError(f"{loss}: y_true of shape {static_shape(y_true)} does not match y_pred of "
                      f"shape {static_shape(y_pred)} ({expected})")


def _check_labels(loss, y_true, ignore_class, *, num_classes=None, binary=False,
                  unit=False):
    """Eager checks of the masks: NaN/inf, integer ids in [0, C), {0, 1} or [0, 1] values;
    ``ignore_class`` entries are exempt. ValueError naming y_true."""
    sample = concrete_sample(y_true)
    if sample is None or sample.size == 0:
        return
    if sample.dtype.kind == "f":
        if np.isnan(sample).any():
            raise ValueError(f"{loss}: y_true contains NaN")
        if not np.isfinite(sample).all():
            raise ValueError(f"{loss}: y_true contains infinite values")
    values = sample if ignore_class is None else sample[sample != ignore_class]
    if values.size == 0:
        return
    ignored = "" if ignore_class is None else f" (or ignore_class={ignore_class})"
    if num_classes is not None:
        if not np.all(values == np.round(values)):
            raise ValueError(f"{loss}: y_true must hold integer class ids{ignored}, got "
                             f"non-integer values (min {values.min():.6g}, max "
                             f"{values.max():.6g})")
        if values.min() < 0 or values.max() > num_classes - 1:
            raise ValueError(f"{loss}: y_true class ids must be in [0, {num_classes - 1}]"
                             f"{ignored} for y_pred with {num_classes} classes, got values "
                             f"from {values.min():g} to {values.max():g}")
    elif binary and not np.all((values == 0) | (values == 1)):
        raise ValueError(f"{loss}: y_true must hold 0 or 1{ignored}, got values from "
                         f"{values.min():.6g} to {values.max():.6g}")
    elif unit and (values.min() < 0 or values.max() > 1):
        raise ValueError(f"{loss}: y_true must be in [0, 1]{ignored}, got values from "
                         f"{values.min():.6g} to {values.max():.6g}")


def _check_pred(loss, y_pred, probabilities):
    check_values(loss, None, y_pred, pred_range=(0.0, 1.0) if probabilities else None,
                 pred_hint="did you mean from_logits=True?" if probabilities else "")


def _flat(x, batch, pixels, channels):
    """``x`` as (B, P, C); static sizes where known (a -1 cannot be inferred for B = 0)."""
    return ops.reshape(x, (batch, pixels, channels))


def _sizes(shape, start, stop):
    dims = shape[start:stop]
    if all(d is not None for d in dims):
        return int(math.prod(dims))
    return -1


def _batch(shape, x):
    return shape[0] if shape[0] is not None else ops.shape(x)[0]


def _mode_shapes(loss, y_true, y_pred, mode):
    """Shape checks of one mode: ``(y_true, y_pred, shape, channels, pixels)``."""
    if mode == "binary":
        y_true, y_pred = align(y_true, y_pred)
        pshape, tshape = static_shape(y_pred), static_shape(y_true)
        if not pshape:
            raise ValueError(f"{loss}: y_pred must have a batch axis, got a scalar")
        if len(tshape) != len(pshape) or any(
                a is not None and b is not None and a != b for a, b in zip(tshape, pshape)):
            raise _shape_error(loss, y_true, y_pred, "mode='binary': the same shape, (B, ...) "
                               "or (B, ..., 1)")
        if len(pshape) > 1 and pshape[-1] == 0:
            raise ValueError(f"{loss}: y_pred of shape {pshape} is empty along its last axis")
        channels = 1
        pixels = _sizes(pshape, 1, None)
    elif mode == "multilabel":
        pshape, tshape = static_shape(y_pred), static_shape(y_true)
        if len(pshape) < 2:
            raise ValueError(f"{loss}: y_pred must be (B, ..., C) for mode='multilabel', got "
                             f"shape {pshape}")
        if len(tshape) != len(pshape) or any(
                a is not None and b is not None and a != b for a, b in zip(tshape, pshape)):
            raise _shape_error(loss, y_true, y_pred, "mode='multilabel': multi-hot y_true of "
                               "y_pred's shape (B, ..., C)")
        channels = pshape[-1]
        pixels = _sizes(pshape, 1, -1)
    else:  # multiclass
        pshape, tshape = static_shape(y_pred), static_shape(y_true)
        if len(pshape) < 2 or pshape[-1] is None:
            raise ValueError(f"{loss}: y_pred must be (B, ..., C) with a known number of "
                             f"classes C for mode='multiclass', got shape {pshape}")
        if len(tshape) == len(pshape) and tshape[-1] == 1 and pshape[-1] != 1:
            y_true = ops.squeeze(y_true, -1)
            tshape = tshape[:-1]
        if len(tshape) != len(pshape) - 1 or any(
                a is not None and b is not None and a != b for a, b in zip(tshape, pshape)):
            raise _shape_error(loss, y_true, y_pred, "mode='multiclass': integer class ids of "
                               "shape y_pred.shape[:-1]")
        channels = pshape[-1]
        pixels = _sizes(pshape, 1, -1)
    return y_true, y_pred, pshape, channels, pixels


def segmentation_inputs(loss, y_true, y_pred, mode, ignore_class, *, binary_labels=False,
                        probabilities=False):
    """``(y_pred, target, valid, out_dtype, shape)``: y_pred and target as (B, P, C), valid
    (B, P, C) (1 where the pixel counts, 0 where it holds ``ignore_class``), in the compute
    dtype; ``shape`` is y_pred's static shape (after the binary rank alignment)."""
    y_pred, out_dtype = _float_pred(loss, y_pred)
    y_true = convert_input(loss, "y_true", y_true)
    dtype = y_pred.dtype
    y_true, y_pred, pshape, channels, pixels = _mode_shapes(loss, y_true, y_pred, mode)
    if channels == 0:
        raise ValueError(f"{loss}: y_pred of shape {pshape} has an empty class axis")
    _check_labels(loss, y_true, ignore_class,
                  num_classes=channels if mode == "multiclass" else None,
                  binary=binary_labels, unit=not binary_labels)
    _check_pred(loss, y_pred, probabilities)
    batch = _batch(pshape, y_pred)
    y_pred = _flat(y_pred, batch, pixels, channels)
    if mode == "multiclass":
        labels = ops.reshape(ops.cast(y_true, dtype), (batch, pixels))
        if ignore_class is None:
            valid = ops.ones_like(labels, dtype=dtype)
        else:
            valid = ops.cast(ops.not_equal(labels, ignore_class), dtype)
        ids = ops.where(valid > 0, ops.cast(labels, "int32"), ops.zeros_like(labels, "int32"))
        target = ops.one_hot(ids, channels, dtype=dtype) * valid[..., None]
        valid = ops.broadcast_to(valid[..., None], ops.shape(target))
    else:
        y_true = _flat(ops.cast(y_true, dtype), batch, pixels, channels)
        if ignore_class is None:
            valid = ops.ones_like(y_pred)
        else:
            valid = ops.cast(ops.not_equal(y_true, ignore_class), dtype)
        target = y_true * valid
    return y_pred, target, valid, out_dtype, pshape


def _probabilities(y_pred, mode, from_logits):
    if not from_logits:
        return y_pred
    if mode == "multiclass":
        return ops.exp(ops.log_softmax(y_pred, axis=-1))
    return ops.exp(ops.log_sigmoid(y_pred))


# --------------------------------------------------------------------------- overlap losses


def _class_mean(loss_c, classes, class_weights, num_classes, loss):
    """smp's aggregation of the per-class losses (C,)."""
    if classes is not None:
        if max(classes) >= num_classes:
            raise ValueError(f"{loss}: classes {classes} has an id >= the {num_classes} "
                             f"classes of y_pred")
        loss_c = ops.take(loss_c, ops.convert_to_tensor(classes, "int32"))
    if class_weights is not None:
        if len(class_weights) != num_classes:
            raise ValueError(f"{loss}: class_weights has {len(class_weights)} entries for "
                             f"y_pred with {num_classes} classes (one weight per class)")
        w = ops.convert_to_tensor(class_weights, dtype=loss_c.dtype)
        return ops.sum(w * loss_c) / ops.sum(w)
    return ops.mean(loss_c)


def _smp_overlap(loss, y_true, y_pred, fp_weight, fn_weight, *, mode, from_logits, smooth,
                 log_loss, ignore_class, classes, class_weights, eps, gamma=1.0):
    """smp's DiceLoss / JaccardLoss / TverskyLoss with batch-global per-class statistics."""
    y_pred, target, valid, out_dtype, _ = segmentation_inputs(
        loss, y_true, y_pred, mode, ignore_class, probabilities=not from_logits)
    p = _probabilities(y_pred, mode, from_logits) * valid
    sum_p = ops.sum(p, axis=(0, 1))
    sum_t = ops.sum(target, axis=(0, 1))
    tp = (sum_p + sum_t - ops.sum(ops.abs(p - target), axis=(0, 1))) / 2.0
    fp, fn = sum_p - tp, sum_t - tp
    eps_t = ops.cast(eps, p.dtype)
    score = (tp + smooth) / ops.maximum(tp + fp_weight * fp + fn_weight * fn + smooth, eps_t)
    loss_c = -ops.log(ops.maximum(score, eps_t)) if log_loss else 1.0 - score
    loss_c = loss_c * ops.cast(sum_t > 0, p.dtype)
    value = _class_mean(loss_c, classes, class_weights, static_shape(p)[-1], loss)
    if gamma != 1.0:
        value = _power(value, gamma)
    return ops.cast(value, out_dtype)


def _power(x, gamma):
    """``x ** gamma`` (x >= 0) with a finite gradient (0) at ``x = 0`` for ``gamma < 1``."""
    if gamma >= 1:
        return ops.power(x, gamma)
    positive = x > 0
    safe = ops.where(positive, x, ops.ones_like(x))
    return ops.where(positive, ops.power(safe, gamma), ops.zeros_like(x))


def _keras_inputs(loss, y_true, y_pred, axis):
    y_pred, out_dtype = _float_pred(loss, y_pred)
    y_true = ops.cast(convert_input(loss, "y_true", y_true), y_pred.dtype)
    a, b = static_shape(y_true), static_shape(y_pred)
    if len(a) != len(b) or any(p is not None and q is not None and p != q for p, q in zip(a, b)):
        raise _shape_error(loss, y_true, y_pred, "Dice / Tversky with mode=None need the same "
                           "shape")
    check_reduced_axis(loss, y_pred)
    if axis is not None:
        for ax in (axis if isinstance(axis, list) else [axis]):
            if not -len(b) <= ax < len(b):
                raise ValueError(f"{loss}: axis {axis!r} is out of range for inputs of rank "
                                 f"{len(b)}")
    check_values(loss, y_true, y_pred, true_range=(0.0, 1.0), pred_range=(0.0, 1.0),
                 pred_hint="Keras's Dice / Tversky take probabilities")
    return y_true, y_pred, out_dtype


def _keras_axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


@register
def dice(y_true, y_pred, axis=None, *, mode=None, from_logits=False, smooth=0.0,
         log_loss=False, ignore_class=None, classes=None, class_weights=None, eps=EPS):
    """Dice loss: Keras 3's ``1 - 2 sum(y p) / (sum y + sum p + eps)`` (``mode=None``), or smp's
    ``DiceLoss`` (``mode`` given).

    ``mode=None`` (Keras): ``y_true`` in {0, 1} and probabilities of the same shape; sums over
    ``axis`` (None: every axis, batch included -> one scalar; ``[1, ...]``: one value per
    sample). A sample with no true and no predicted pixel gets 1 (``0 / eps``), as in Keras.

    ``mode`` given (smp): per class ``c``, over the whole batch, ``score_c = (TP + smooth) /
    max(TP + (FP + FN) / 2 + smooth, eps)``, ``loss_c = 1 - score_c`` (``-log(max(score_c,
    eps))`` with ``log_loss``), 0 for a class with no true pixel (still averaged); the mean over
    classes (``classes``: a subset; ``class_weights``: weighted mean). ``smooth`` pulls the score
    towards 1 for small classes (``smooth = 0``: the plain ratio; large: loss -> 0).
    ``ignore_class`` pixels are left out. Returns a scalar (see the module docstring).

    Args:
        y_true, y_pred: see the module docstring (layout by ``mode``).
        axis: Keras's reduction axes (``mode=None`` only): None (every axis) or ints.
        mode: None (Keras's formula), ``"binary"``, ``"multiclass"`` or ``"multilabel"`` (smp).
        from_logits: ``y_pred`` holds logits (softmax for multiclass, sigmoid otherwise);
            False (default, unlike smp's True): probabilities.
        smooth: added to numerator and denominator (>= 0; default 0).
        log_loss: ``-log(max(score, eps))`` instead of ``1 - score`` (steeper near 0 overlap).
        ignore_class: an integer label whose pixels count nowhere (smp's ``ignore_index``).
        classes: class ids to average over (default: all); not with ``class_weights``.
        class_weights: one non-negative weight per class: ``sum w loss / sum w``.
        eps: floor of the denominator (and of the score with ``log_loss``); Keras's epsilon
            (added to the denominator) with ``mode=None``. Default 1e-7.

    Example::

        >>> float(dice([[1.0, 0.0]], [[0.5, 0.5]]))   # 1 - 2 * 0.5 / (1 + 1)
        0.5
    """
    name = "dice"
    axis = _check_axis(axis)
    hyper = _overlap_hyper(mode, from_logits, smooth, log_loss, ignore_class, classes,
                           class_weights, eps, allow_none_mode=True)
    if mode is not None:
        if axis is not None:
            raise ValueError(f"axis={axis!r} applies to Keras's formula (mode=None); with mode "
                             "the statistics are pooled over the whole batch")
        return _smp_overlap(name, y_true, y_pred, 0.5, 0.5, **hyper)
    y_true, y_pred, out_dtype = _keras_inputs(name, y_true, y_pred, axis)
    ax = _keras_axis(axis)
    intersection = ops.sum(y_true * y_pred, axis=ax)
    union = ops.sum(y_true, axis=ax) + ops.sum(y_pred, axis=ax)
    return ops.cast(1.0 - 2.0 * intersection / (union + ops.cast(eps, y_pred.dtype)), out_dtype)


@register
def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None, *, mode=None, from_logits=False,
            smooth=0.0, log_loss=False, ignore_class=None, classes=None, class_weights=None,
            eps=EPS):
    """Tversky loss with **Keras's** ``alpha`` / ``beta``: ``alpha`` weights the false negatives,
    ``beta`` the false positives (Keras's code; its docstring and smp say the reverse).

    ``mode=None`` (Keras 3): ``1 - TP / (TP + alpha sum(y (1 - p)) + beta sum((1 - y) p) +
    eps)`` over ``axis`` (None: every axis -> one scalar). ``mode`` given: smp's TverskyLoss
    statistics (see :func:`dice`) with ``score_c = (TP + smooth) / max(TP + beta FP + alpha FN +
    smooth, eps)`` -- i.e. smp's ``TverskyLoss(alpha=beta, beta=alpha)``. ``alpha = beta = 0.5``
    is Dice, ``1`` and ``1`` Jaccard; a larger ``alpha`` penalises missed pixels more (recall).
    The other arguments (``axis``, ``mode``, ``from_logits``, ``smooth``, ``log_loss``,
    ``ignore_class``, ``classes``, ``class_weights``, ``eps``) are :func:`dice`'s.

    Example::

        >>> round(float(tversky([[1.0, 0.0]], [[0.5, 0.5]], alpha=0.7, beta=0.3)), 4)
        0.5
        >>> # 1 - TP / (TP + 0.7 FN + 0.3 FP) = 1 - 0.5 / (0.5 + 0.35 + 0.15)
    """
    name = "tversky"
    check_non_negative("alpha", alpha)
    check_non_negative("beta", beta)
    axis = _check_axis(axis)
    hyper = _overlap_hyper(mode, from_logits, smooth, log_loss, ignore_class, classes,
                           class_weights, eps, allow_none_mode=True)
    if mode is not None:
        if axis is not None:
            raise ValueError(f"axis={axis!r} applies to Keras's formula (mode=None); with mode "
                             "the statistics are pooled over the whole batch")
        return _smp_overlap(name, y_true, y_pred, beta, alpha, **hyper)
    y_true, y_pred, out_dtype = _keras_inputs(name, y_true, y_pred, axis)
    ax = _keras_axis(axis)
    tp = ops.sum(y_true * y_pred, axis=ax)
    fn = ops.sum(y_true * (1.0 - y_pred), axis=ax)
    fp = ops.sum((1.0 - y_true) * y_pred, axis=ax)
    value = 1.0 - tp / (tp + alpha * fn + beta * fp + ops.cast(eps, y_pred.dtype))
    return ops.cast(value, out_dtype)


@register
def jaccard(y_true, y_pred, mode="binary", from_logits=False, smooth=0.0, log_loss=False,
            ignore_class=None, classes=None, class_weights=None, eps=EPS):
    """Soft Jaccard (IoU) loss, smp's ``JaccardLoss``: per class over the whole batch,
    ``score_c = (TP + smooth) / max(TP + FP + FN + smooth, eps)`` (``TP + FP + FN`` is the soft
    union), ``loss_c = 1 - score_c`` or ``-log(max(score_c, eps))``, 0 for a class with no true
    pixel, averaged over classes. Arguments as in :func:`dice` (``mode`` given); returns a
    scalar. Perfect prediction -> 0; prediction disjoint from the truth -> 1.

    Example::

        >>> round(float(jaccard([[1.0, 0.0]], [[0.5, 0.5]])), 4)   # 1 - 0.5 / (0.5 + 0.5 + 0.5)
        0.6667
    """
    hyper = _overlap_hyper(mode, from_logits, smooth, log_loss, ignore_class, classes,
                           class_weights, eps, allow_none_mode=False)
    return _smp_overlap("jaccard", y_true, y_pred, 1.0, 1.0, **hyper)


@register
def focal_tversky(y_true, y_pred, alpha=0.5, beta=0.5, gamma=1.0, mode="binary",
                  from_logits=False, smooth=0.0, log_loss=False, ignore_class=None, classes=None,
                  class_weights=None, eps=EPS):
    """Focal Tversky loss, smp's ``TverskyLoss`` with **smp's** ``alpha`` / ``beta``: ``alpha``
    weights the false positives, ``beta`` the false negatives (the reverse of
    :func:`tversky`). ``score_c = (TP + smooth) / max(TP + alpha FP + beta FN + smooth, eps)``,
    ``loss = mean_c(loss_c) ** gamma`` (smp raises the class mean, not each class, to
    ``gamma``). ``gamma = 1``: the Tversky loss; ``gamma > 1`` shrinks small losses (focus on
    the hard batches), ``gamma < 1`` enlarges them. Returns a scalar.

    Example::

        >>> float(focal_tversky([[1.0, 0.0]], [[0.5, 0.5]], alpha=0.3, beta=0.7, gamma=2.0))
        0.25
    """
    check_non_negative("alpha", alpha)
    check_non_negative("beta", beta)
    check_positive("gamma", gamma)
    hyper = _overlap_hyper(mode, from_logits, smooth, log_loss, ignore_class, classes,
                           class_weights, eps, allow_none_mode=False)
    return _smp_overlap("focal_tversky", y_true, y_pred, alpha, beta, gamma=gamma, **hyper)


# --------------------------------------------------------------------------- Lovász


def _lovasz_rows(errors, fg, valid, hinge):
    """The Lovász extension of the Jaccard loss along the last axis of (..., P) errors.

    Errors are sorted in decreasing order (ignored pixels last, with error and weight 0);
    ``g_k = J_k - J_{k-1}`` with ``J_k = 1 - (G - F_k) / (G + N_k)`` (G: foreground pixels,
    F_k / N_k: foreground / background pixels among the k largest errors) is the gradient of
    the Jaccard loss along that order, and the loss is ``sum_k f(e_(k)) g_k`` with ``f = relu``
    (hinge) or the identity.
    """
    key = ops.stop_gradient(ops.where(valid > 0, errors, ops.full_like(errors, -np.inf)))
    order = ops.argsort(-key, axis=-1)
    e_sorted = ops.take_along_axis(errors * valid, order, axis=-1)
    g_sorted = ops.take_along_axis(fg * valid, order, axis=-1)
    v_sorted = ops.take_along_axis(valid, order, axis=-1)
    total = ops.sum(g_sorted, axis=-1, keepdims=True)
    intersection = total - ops.cumsum(g_sorted, axis=-1)
    union = total + ops.cumsum((1.0 - g_sorted) * v_sorted, axis=-1)
    jac = 1.0 - intersection / ops.maximum(union, 1.0)  # union >= 1 wherever it matters
    grad = ops.concatenate([jac[..., :1], jac[..., 1:] - jac[..., :-1]], axis=-1)
    grad = ops.stop_gradient(grad)
    values = ops.relu(e_sorted) if hinge else e_sorted
    return ops.sum(values * grad, axis=-1)


@register
def lovasz(y_true, y_pred, mode="binary", per_image=False, ignore_class=None):
    """Lovász loss (Berman et al., 2018), smp's ``LovaszLoss``: a convex surrogate of the
    Jaccard loss, the Lovász extension evaluated on the sorted errors.

    - ``"binary"``: the Lovász hinge on **logits** ``x``: errors ``1 - x (2y - 1)``, hinge
      ``relu``; ``y_true`` in {0, 1}.
    - ``"multiclass"``: the Lovász-softmax on ``softmax(y_pred)`` (logits): per class, errors
      ``|[y = c] - p_c|``, averaged over the classes **present** (with a true pixel) in the
      image or batch; 0 when none is.

    ``per_image=False`` (default) pools every pixel of the batch into one ranking and returns a
    scalar (``sample_weight`` rejected); ``per_image=True`` ranks each image separately and
    returns ``(B,)``, whose mean (the default reduction) is smp's value. ``ignore_class`` pixels
    are removed from the ranking. The gradient follows the sort order (ties between errors make
    it depend on the order; the value does not). Computed in float32 for half inputs, like smp
    (which supports float32 only).

    Example::

        >>> float(lovasz([[1.0, 0.0]], [[2.0, -2.0]]))   # errors -1, -1: hinge 0
        0.0
    """
    name = "lovasz"
    check_choice("mode", mode, ("binary", "multiclass"))
    check_bool("per_image", per_image)
    ignore_class = check_ignore_class(ignore_class)
    y_pred, target, valid, out_dtype, _ = segmentation_inputs(
        name, y_true, y_pred, mode, ignore_class, binary_labels=True)
    if mode == "binary":
        errors = 1.0 - y_pred * (2.0 * target - 1.0)
        if per_image:
            rows = [a[..., 0] for a in (errors, target, valid)]  # (B, P)
        else:
            rows = [ops.reshape(a, (1, -1)) for a in (errors, target, valid)]
        losses = _lovasz_rows(*rows, hinge=True)
        return ops.cast(losses if per_image else losses[0], out_dtype)
    channels = static_shape(y_pred)[-1]
    probs = ops.softmax(y_pred, axis=-1)
    errors = ops.abs(target - probs)
    arrays = (errors, target, valid)
    if not per_image:
        arrays = [ops.reshape(a, (1, -1, channels)) for a in arrays]
    errors, target, valid = (ops.transpose(a, (0, 2, 1)) for a in arrays)  # (G, C, P)
    losses = _lovasz_rows(errors, target, valid, hinge=False)  # (G, C)
    present = ops.cast(ops.sum(target, axis=-1) > 0, losses.dtype)
    per_group = ops.sum(losses * present, axis=-1) / ops.maximum(
        ops.sum(present, axis=-1), 1.0)
    return ops.cast(per_group if per_image else per_group[0], out_dtype)


# --------------------------------------------------------------------------- MCC


@register
def mcc(y_true, y_pred, eps=1e-5):
    """Matthews-correlation loss, smp's ``MCCLoss``: ``1 - (TP TN - FP FN) / sqrt((TP + FP)
    (TP + FN) (TN + FP) (TN + FN))`` with soft counts summed over the **whole batch** (every
    axis) and ``eps`` added to each count; ``y_pred`` holds **probabilities** (no sigmoid),
    ``y_true`` {0, 1} of the same shape. 0 for a perfect prediction, 1 for an uncorrelated one,
    2 for the inverted one; ``eps`` keeps an empty class finite. Returns a scalar.

    Example::

        >>> round(float(mcc([[1.0, 0.0]], [[1.0, 0.0]])), 4)
        0.0
    """
    name = "mcc"
    check_positive("eps", eps)
    y_pred, target, _, out_dtype, _ = segmentation_inputs(
        name, y_true, y_pred, "binary", None, probabilities=True)
    e = ops.cast(eps, y_pred.dtype)
    tp = ops.sum(target * y_pred) + e
    tn = ops.sum((1.0 - target) * (1.0 - y_pred)) + e
    fp = ops.sum((1.0 - target) * y_pred) + e
    fn = ops.sum(target * (1.0 - y_pred)) + e
    numerator = tp * tn - fp * fn
    denominator = ops.sqrt((tp + fp) * (tp + fn)) * ops.sqrt((tn + fp) * (tn + fn))
    return ops.cast(1.0 - numerator / denominator, out_dtype)


# --------------------------------------------------------------------------- cross-entropies


@register
def soft_binary_crossentropy(y_true, y_pred, smooth_factor=0.0, ignore_class=-100):
    """smp's ``SoftBCEWithLogitsLoss``: sigmoid cross-entropy on **logits** with the targets
    smoothed as ``(1 - y) s + y (1 - s)`` (0 -> s, 1 -> 1 - s; Keras's ``label_smoothing`` =
    ``2 s``), elementwise, then the mean over the last axis (the per-pixel loss ``(B, H, W)``
    for ``(B, H, W, 1)`` inputs). ``ignore_class`` (smp's default -100) pixels give 0 and
    **still count** in the mean (``"sum_over_batch_size"`` divides by every pixel, as smp).
    ``smooth_factor`` in [0, 1]: 0 no smoothing, 0.5 a constant target of 1/2.

    Example::

        >>> round(float(soft_binary_crossentropy([[1.0]], [[0.0]])[0]), 6)   # log 2
        0.693147
    """
    name = "soft_binary_crossentropy"
    check_unit_interval("smooth_factor", smooth_factor)
    ignore_class = check_ignore_class(ignore_class)
    y_pred, out_dtype = _float_pred(name, y_pred)
    y_true = convert_input(name, "y_true", y_true)
    y_true, y_pred = align(y_true, y_pred)
    a, b = static_shape(y_true), static_shape(y_pred)
    if not b:
        raise ValueError(f"{name}: y_pred must have at least one axis, got a scalar")
    if len(a) != len(b) or any(p is not None and q is not None and p != q for p, q in zip(a, b)):
        raise _shape_error(name, y_true, y_pred, "the same shape")
    if b[-1] == 0:
        raise ValueError(f"{name}: y_pred of shape {b} is empty along its last axis")
    _check_labels(name, y_true, ignore_class, unit=True)
    _check_pred(name, y_pred, False)
    y = ops.cast(y_true, y_pred.dtype)
    if ignore_class is None:
        valid = ops.ones_like(y)
    else:
        valid = ops.cast(ops.not_equal(y, ignore_class), y.dtype)
        y = y * valid
    y = (1.0 - y) * smooth_factor + y * (1.0 - smooth_factor)
    x = y_pred
    bce = ops.softplus(x) - x * y  # (softplus's gradient, sigmoid(x), is right at x = 0)
    return ops.cast(ops.mean(bce * valid, axis=-1), out_dtype)


@register
def soft_categorical_crossentropy(y_true, y_pred, smooth_factor=0.0, ignore_class=-100):
    """smp's ``SoftCrossEntropyLoss``: softmax cross-entropy on **logits** (classes last) with
    integer labels ``(B, ...)`` and label smoothing ``(1 - e) nll + e / C sum_c(-log p_c)``
    (``e = smooth_factor``; the same as Keras's ``label_smoothing``), per pixel ``(B, ...)``.
    ``ignore_class`` (smp's default -100) pixels give 0 and **still count** in the mean, unlike
    ``torch.nn.CrossEntropyLoss`` and Keras's ``SparseCategoricalCrossentropy``.

    Example::

        >>> round(float(soft_categorical_crossentropy([0], [[0.0, 0.0]])[0]), 6)   # log 2
        0.693147
    """
    name = "soft_categorical_crossentropy"
    check_unit_interval("smooth_factor", smooth_factor)
    ignore_class = check_ignore_class(ignore_class)
    y_pred = convert_input(name, "y_pred", y_pred)
    pixel_shape = _pixel_shape(y_pred)
    y_pred, target, valid, out_dtype, _ = segmentation_inputs(
        name, y_true, y_pred, "multiclass", ignore_class)
    log_p = ops.log_softmax(y_pred, axis=-1)
    nll = -ops.sum(target * log_p, axis=-1)
    smooth = -ops.mean(log_p, axis=-1) * valid[..., 0]
    loss = (1.0 - smooth_factor) * nll + smooth_factor * smooth
    return ops.cast(ops.reshape(loss, pixel_shape), out_dtype)


def _pixel_shape(x):
    """``x.shape[:-1]`` with static sizes where known and dynamic ones elsewhere."""
    static = static_shape(x) or ()
    dynamic = ops.shape(x)
    return tuple(d if d is not None else dynamic[i] for i, d in enumerate(static[:-1]))


# --------------------------------------------------------------------------- classes


class _SegmentationLoss(Loss):
    """A ``Loss`` whose output may be one statistic of the whole batch (then no sample_weight)."""

    def batch_global(self) -> bool:
        return True

    def __call__(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None and self.batch_global():
            raise ValueError(
                f"{self.name}: sample_weight is not supported: this loss is one statistic of the "
                "whole batch (per-class counts pooled over every image and pixel), so there is "
                "no per-sample loss to weight; mask pixels with ignore_class or weight classes "
                "with class_weights")
        return super().__call__(y_true, y_pred, sample_weight=sample_weight)


def _overlap_kwargs(mode, from_logits, smooth, log_loss, ignore_class, classes, class_weights,
                    eps, allow_none_mode):
    return _overlap_hyper(mode, from_logits, smooth, log_loss, ignore_class, classes,
                          class_weights, eps, allow_none_mode)


@register
class Dice(_SegmentationLoss):
    """Keras 3's ``Dice`` (``mode=None``) or smp's ``DiceLoss`` (``mode`` given): :func:`dice`.

    With ``mode=None`` this is ``keras.losses.Dice``: same arguments, defaults and values;
    ``sample_weight`` is one weight per sample with ``axis=[1, ...]``. With ``axis=None`` or a
    ``mode`` the loss is one statistic of the batch (a scalar) and ``sample_weight`` is rejected
    (Keras would return ``mean(sample_weight) * loss``; see the module docstring).

    Example::

        >>> loss = Dice(mode="multiclass", from_logits=True, ignore_class=255)
        >>> loss(labels, logits)   # labels (B, H, W) ints, logits (B, H, W, C)
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None, *,
                 mode=None, from_logits=False, smooth=0.0, log_loss=False, ignore_class=None,
                 classes=None, class_weights=None, eps=EPS):
        axis = _check_axis(axis)
        hyper = _overlap_kwargs(mode, from_logits, smooth, log_loss, ignore_class, classes,
                                class_weights, eps, allow_none_mode=True)
        if mode is not None and axis is not None:
            raise ValueError(f"axis={axis!r} applies to Keras's formula (mode=None); with mode "
                             "the statistics are pooled over the whole batch")
        super().__init__(dice, reduction=reduction, name=name, dtype=dtype, axis=axis, **hyper)

    def batch_global(self):
        return self._hyper["mode"] is not None or self._hyper["axis"] is None


@register
class Tversky(_SegmentationLoss):
    """Keras 3's ``Tversky`` (``mode=None``) or smp's statistics (``mode`` given):
    :func:`tversky`. ``alpha`` weights the false negatives and ``beta`` the false positives,
    as in Keras's code (not its docstring, not smp), whatever the mode. ``sample_weight`` as in
    :class:`Dice` (rejected for a batch statistic: ``axis=None`` or a ``mode``).

    Example::

        >>> Tversky(alpha=0.7, beta=0.3)            # keras.losses.Tversky(alpha=0.7, beta=0.3)
        >>> Tversky(alpha=0.7, beta=0.3, mode="binary", from_logits=True)
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None, *, mode=None, from_logits=False, smooth=0.0,
                 log_loss=False, ignore_class=None, classes=None, class_weights=None, eps=EPS):
        axis = _check_axis(axis)
        hyper = _overlap_kwargs(mode, from_logits, smooth, log_loss, ignore_class, classes,
                                class_weights, eps, allow_none_mode=True)
        if mode is not None and axis is not None:
            raise ValueError(f"axis={axis!r} applies to Keras's formula (mode=None); with mode "
                             "the statistics are pooled over the whole batch")
        super().__init__(tversky, reduction=reduction, name=name, dtype=dtype,
                         alpha=check_non_negative("alpha", alpha),
                         beta=check_non_negative("beta", beta), axis=axis, **hyper)

    def batch_global(self):
        return self._hyper["mode"] is not None or self._hyper["axis"] is None


@register
class Jaccard(_SegmentationLoss):
    """Soft Jaccard / IoU loss, smp's ``JaccardLoss`` (:func:`jaccard`); batch-global scalar.

    Example::

        >>> Jaccard(mode="multiclass", from_logits=True)
    """

    def __init__(self, mode="binary", from_logits=False, smooth=0.0, log_loss=False,
                 ignore_class=None, classes=None, class_weights=None, eps=EPS,
                 reduction="sum_over_batch_size", name="jaccard", dtype=None):
        hyper = _overlap_kwargs(mode, from_logits, smooth, log_loss, ignore_class, classes,
                                class_weights, eps, allow_none_mode=False)
        super().__init__(jaccard, reduction=reduction, name=name, dtype=dtype, **hyper)


@register
class FocalTversky(_SegmentationLoss):
    """smp's ``TverskyLoss`` with ``gamma`` (:func:`focal_tversky`): ``alpha`` weights the false
    positives, ``beta`` the false negatives (smp's meaning); batch-global scalar.

    Example::

        >>> FocalTversky(alpha=0.3, beta=0.7, gamma=0.75, mode="binary", from_logits=True)
    """

    def __init__(self, alpha=0.5, beta=0.5, gamma=1.0, mode="binary", from_logits=False,
                 smooth=0.0, log_loss=False, ignore_class=None, classes=None,
                 class_weights=None, eps=EPS, reduction="sum_over_batch_size",
                 name="focal_tversky", dtype=None):
        hyper = _overlap_kwargs(mode, from_logits, smooth, log_loss, ignore_class, classes,
                                class_weights, eps, allow_none_mode=False)
        super().__init__(focal_tversky, reduction=reduction, name=name, dtype=dtype,
                         alpha=check_non_negative("alpha", alpha),
                         beta=check_non_negative("beta", beta),
                         gamma=check_positive("gamma", gamma), **hyper)


@register
class Lovasz(_SegmentationLoss):
    """smp's ``LovaszLoss`` (:func:`lovasz`): Lovász hinge (binary, logits) or Lovász-softmax
    (multiclass, logits). ``per_image=False``: one scalar for the batch (no sample_weight);
    ``per_image=True``: one value per image, averaged by the reduction, weighted by a per-image
    ``sample_weight``.

    Example::

        >>> Lovasz(mode="multiclass", per_image=True, ignore_class=255)
    """

    def __init__(self, mode="binary", per_image=False, ignore_class=None,
                 reduction="sum_over_batch_size", name="lovasz", dtype=None):
        super().__init__(lovasz, reduction=reduction, name=name, dtype=dtype,
                         mode=check_choice("mode", mode, ("binary", "multiclass")),
                         per_image=check_bool("per_image", per_image),
                         ignore_class=check_ignore_class(ignore_class))

    def batch_global(self):
        return not self._hyper["per_image"]


@register
class MCC(_SegmentationLoss):
    """smp's ``MCCLoss`` (:func:`mcc`) on probabilities; batch-global scalar.

    Example::

        >>> MCC(eps=1e-5)
    """

    def __init__(self, eps=1e-5, reduction="sum_over_batch_size", name="mcc", dtype=None):
        super().__init__(mcc, reduction=reduction, name=name, dtype=dtype,
                         eps=check_positive("eps", eps))


@register
class SoftBinaryCrossentropy(_SegmentationLoss):
    """smp's ``SoftBCEWithLogitsLoss`` (:func:`soft_binary_crossentropy`): per-pixel loss on
    logits; ``sample_weight`` per image or per pixel; ignored pixels count in the mean.

    Example::

        >>> SoftBinaryCrossentropy(smooth_factor=0.1)
    """

    def __init__(self, smooth_factor=0.0, ignore_class=-100, reduction="sum_over_batch_size",
                 name="soft_binary_crossentropy", dtype=None):
        super().__init__(soft_binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         smooth_factor=check_unit_interval("smooth_factor", smooth_factor),
                         ignore_class=check_ignore_class(ignore_class))

    def batch_global(self):
        return False


@register
class SoftCategoricalCrossentropy(_SegmentationLoss):
    """smp's ``SoftCrossEntropyLoss`` (:func:`soft_categorical_crossentropy`): per-pixel loss
    on logits with integer labels; ignored pixels count in the mean.

    Example::

        >>> SoftCategoricalCrossentropy(smooth_factor=0.1, ignore_class=255)
    """

    def __init__(self, smooth_factor=0.0, ignore_class=-100, reduction="sum_over_batch_size",
                 name="soft_categorical_crossentropy", dtype=None):
        super().__init__(soft_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype,
                         smooth_factor=check_unit_interval("smooth_factor", smooth_factor),
                         ignore_class=check_ignore_class(ignore_class))

    def batch_global(self):
        return False
