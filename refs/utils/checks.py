"""Checks of settings (run configs, CLI-built objects) that need no TensorFlow.

Each returns the value (converted where that is lossless) or raises ``ValueError`` / ``TypeError``
naming the setting, the value and what is valid. The CLIs turn these into exit code 2.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable


def _number(name: str, value, integer: bool = False):
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "an integer" if integer else "a number"
        raise TypeError(f"{name} must be {what}, got {value!r} ({type(value).__name__})")
    if not integer and not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return int(value) if integer else float(value)


def positive_int(name: str, value) -> int:
    value = _number(name, value, integer=True)
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return value


def non_negative_int(name: str, value) -> int:
    value = _number(name, value, integer=True)
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value}")
    return value


def positive(name: str, value) -> float:
    value = _number(name, value)
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def non_negative(name: str, value) -> float:
    value = _number(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def in_range(name: str, value, low: float, high: float, open_low: bool = False,
             open_high: bool = False) -> float:
    value = _number(name, value)
    ok_low = value > low if open_low else value >= low
    ok_high = value < high if open_high else value <= high
    if not (ok_low and ok_high):
        interval = f"{'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return value


def one_of(name: str, value, choices: Iterable):
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value
