"""TEMPORARY stand-in for ``refs.classic.losses`` until it lands (deleted then)."""

from __future__ import annotations

import math

import keras
from keras import ops

Loss = keras.losses.Loss


def _check(name, value, ok, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not ok(value):
        raise ValueError(f"{name} must be {what}, got {value!r}")


def check_unit_interval(name, value):
    _check(name, value, lambda v: 0.0 <= v <= 1.0, "a number in [0, 1]")


def check_non_negative(name, value):
    _check(name, value, lambda v: v >= 0 and math.isfinite(v), "a non-negative finite number")


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    assert from_logits and not label_smoothing
    x = ops.convert_to_tensor(y_pred)
    y = ops.cast(y_true, x.dtype)
    per = ops.relu(x) - x * y + ops.log1p(ops.exp(-ops.abs(x)))
    return ops.mean(per, axis=axis)
