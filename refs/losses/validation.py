"""Checks shared by every loss: hyperparameters (at construction) and inputs (at call time).

Hyperparameter checks
---------------------
``check_unit_interval``, ``check_non_negative``, ``check_positive`` and ``check_choice`` take the
argument's name and value, return the value unchanged, and raise ``ValueError`` naming the
argument, the valid range and the value received::

    >>> check_unit_interval("alpha", 4.0)
    Traceback (most recent call last):
    ...
    ValueError: alpha must be in [0, 1], got 4.0

They accept Python numbers, numpy scalars and arrays (every element is checked) and concrete
(eager) tensors. A symbolic tensor (inside ``tf.function`` / ``jax.jit``) cannot be inspected and
is returned unchecked. The GAN and detection areas reuse these helpers.

Input checks (the design, and its cost)
---------------------------------------
The loss functions call :func:`check_values` / :func:`check_shapes` on their inputs. Shape checks
use static shapes only and are free. Value checks (NaN, label range, "probabilities expected")
run **only on concrete inputs**: numpy arrays, Python lists and eager tensors. Inside a traced
function -- ``model.fit``, ``tf.function(jit_compile=True)``, ``jax.jit`` -- the inputs are
symbolic and the checks are skipped at trace time, so the compiled graph contains no check op
and the training hot path pays nothing; XLA compilation is unaffected.

In eager mode each check looks at no more than :data:`MAX_CHECKED_ELEMENTS` (65,536) leading
elements of each input. A full pass over a 1,000,000-element batch costs about as much as the
loss's own forward pass on small batches. A CPU tensor's sample is read through a zero-copy
numpy view (``np.asarray``), which records nothing on an active GradientTape. Taking it with
backend ops cost 0.4-16 ms per forward + backward call on 1M elements, and ``.numpy()`` (a full
copy) about 1 ms (2-core CPU, 2026-11-23); the view costs tens of microseconds (see
docs/benchmarks.md). The sample still catches the
systematic mistakes these checks exist for
(probabilities given to a from-logits loss or the reverse, {0, 1} labels given to a hinge
loss, one-hot targets given to a sparse loss). Switch the checks off, or make them
exhaustive, with :func:`set_input_checks`.
"""

from __future__ import annotations

import contextlib
import math
import numbers

import keras
import numpy as np

#: Eager value checks look at this many leading elements of each input (None: all of them).
MAX_CHECKED_ELEMENTS: int | None = 1 << 16

_ENABLED = True


# --------------------------------------------------------------------------- hyperparameters


def _as_array(value):
    """The value as a float numpy array, or None when it is symbolic (cannot be checked)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got the bool {value!r}")
    if isinstance(value, numbers.Number):
        return np.asarray(float(value))
    if isinstance(value, (list, tuple, np.ndarray, np.generic)):
        return np.asarray(value, dtype=np.float64)
    if _is_concrete(value):
        return np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float64)
    return None


def _check(name: str, value, ok, expected: str):
    arr = _as_array(value)
    if arr is None:
        return value
    if arr.size == 0 or not np.all(ok(arr)):
        shown = value if arr.ndim == 0 or arr.size <= 8 else f"{arr.size} values"
        raise ValueError(f"{name} must be {expected}, got {shown!r}")
    return value


def check_unit_interval(name: str, value):
    """Return ``value`` if every element is in [0, 1]; else ValueError naming ``name``.

    >>> check_unit_interval("label_smoothing", 0.1)
    0.1
    """
    return _check(name, value, lambda a: (a >= 0) & (a <= 1), "in [0, 1]")


def check_non_negative(name: str, value):
    """Return ``value`` if every element is finite and >= 0; else ValueError naming ``name``.

    >>> check_non_negative("gamma", 2.0)
    2.0
    """
    return _check(name, value, lambda a: np.isfinite(a) & (a >= 0), "finite and >= 0")


def check_positive(name: str, value):
    """Return ``value`` if every element is finite and > 0; else ValueError naming ``name``.

    >>> check_positive("delta", 1.0)
    1.0
    """
    return _check(name, value, lambda a: np.isfinite(a) & (a > 0), "finite and > 0")


def check_choice(name: str, value, choices):
    """Return ``value`` if it is one of ``choices``; else ValueError naming ``name``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices, key=str)}, got {value!r}")
    return value


def check_bool(name: str, value):
    """Return ``value`` if it is a bool (``from_logits`` and friends); else ValueError."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


# --------------------------------------------------------------------------- input checks


def set_input_checks(enabled: bool = True, max_elements: int | None = 1 << 16) -> None:
    """Switch the eager input checks on or off, and set how many elements they look at.

    ``max_elements=None`` checks every element (an extra pass over each input on every eager
    call). Traced calls are never checked, whatever this says.
    """
    global _ENABLED, MAX_CHECKED_ELEMENTS
    _ENABLED = bool(enabled)
    MAX_CHECKED_ELEMENTS = max_elements


@contextlib.contextmanager
def input_checks(enabled: bool = True, max_elements: int | None = 1 << 16):
    """Context manager form of :func:`set_input_checks`; restores the previous setting."""
    previous = (_ENABLED, MAX_CHECKED_ELEMENTS)
    set_input_checks(enabled, max_elements)
    try:
        yield
    finally:
        set_input_checks(*previous)


def input_checks_enabled() -> bool:
    return _ENABLED


def _is_concrete(x) -> bool:
    """True for numpy data and eager tensors, False for symbolic/traced tensors."""
    if isinstance(x, (np.ndarray, np.generic, numbers.Number, list, tuple)):
        return True
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return hasattr(x, "numpy") and tf.executing_eagerly()
    if backend == "jax":
        import jax

        return not isinstance(x, jax.core.Tracer)
    if backend == "torch":
        return True
    return False


def _host_memory(x) -> bool:
    """True for an eager TensorFlow tensor that lives in host (CPU) memory."""
    return (keras.backend.backend() == "tensorflow" and hasattr(x, "numpy")
            and "CPU" in str(getattr(x, "device", "")).upper())


def concrete_sample(x):
    """A flat float numpy view of at most MAX_CHECKED_ELEMENTS leading values of ``x``.

    None when checks are off or ``x`` is symbolic.
    """
    if not _ENABLED or x is None or not _is_concrete(x):
        return None
    if isinstance(x, (numbers.Number, list, tuple)):
        x = np.asarray(x)
    cap = MAX_CHECKED_ELEMENTS
    if not isinstance(x, (np.ndarray, np.generic)):
        if _host_memory(x):
            # np.asarray of a CPU tensor is a zero-copy view (``.numpy()`` copies the whole
            # tensor: ~0.1 ms per MB), and slicing it records no op on an active GradientTape
            # (slicing with backend ops did, costing ms per call).
            x = np.asarray(x)
        else:
            if cap is not None and math.prod(x.shape) > cap:
                x = keras.ops.reshape(x, (-1,))[:cap]  # copy only the sample off the device
            x = keras.ops.convert_to_numpy(x)
    flat = np.asarray(x).reshape(-1)
    if cap is not None:
        flat = flat[:cap]
    if flat.dtype.kind == "f" and flat.dtype.itemsize < 4 or flat.dtype.kind not in "fiub":
        flat = flat.astype(np.float32)  # float16 / bfloat16 -> a dtype numpy reduces natively
    return flat


def _describe(values: np.ndarray) -> str:
    return f"min {values.min():.6g}, max {values.max():.6g}"


def check_values(
    loss: str,
    y_true=None,
    y_pred=None,
    *,
    true_range: tuple[float, float] | None = None,
    pred_range: tuple[float, float] | None = None,
    pred_hint: str = "",
    true_hint: str = "",
    integer_labels: bool = False,
) -> None:
    """Eager value checks on a loss's inputs; a no-op for symbolic inputs or when switched off.

    Raises ValueError, naming the loss and the argument, when an input holds NaN, when
    ``y_true`` leaves ``true_range`` (or is not integral with ``integer_labels``), or when
    ``y_pred`` leaves ``pred_range`` (e.g. logits given to a loss that expects probabilities:
    ``pred_hint`` then says "did you mean from_logits=True?").
    """
    if not _ENABLED:
        return
    for arg, x, bounds, hint in (
        ("y_true", y_true, true_range, true_hint),
        ("y_pred", y_pred, pred_range, pred_hint),
    ):
        values = concrete_sample(x)
        if values is None or values.size == 0:
            continue
        if values.dtype.kind == "f" and np.isnan(values).any():
            raise ValueError(f"{loss}: {arg} contains NaN")
        if arg == "y_true" and integer_labels and values.dtype.kind == "f":
            if not np.all(values == np.round(values)):
                raise ValueError(
                    f"{loss}: y_true must hold integer class indices, got non-integer values "
                    f"({_describe(values)})" + (f"; {hint}" if hint else "")
                )
        if bounds is not None:
            lo, hi = bounds
            if values.min() < lo or values.max() > hi:
                raise ValueError(
                    f"{loss}: {arg} must be in [{lo:g}, {hi:g}], got values with "
                    f"{_describe(values)}" + (f"; {hint}" if hint else "")
                )


def static_shape(x) -> tuple | None:
    shape = getattr(x, "shape", None)
    if shape is None:
        return None
    try:
        return tuple(None if d is None else int(d) for d in shape)
    except TypeError:
        return None


def check_same_shape(loss: str, y_true, y_pred) -> None:
    """ValueError when the static shapes of ``y_true`` and ``y_pred`` differ (unknown dims pass).

    Called after the rank alignment of ``base.align``, so (N,) against (N, 1) is accepted, but
    (N,) against (N, 3) -- which would silently broadcast to (N, N) or (N, 3) -- is not.
    """
    a, b = static_shape(y_true), static_shape(y_pred)
    if a is None or b is None:
        return
    if len(a) != len(b) or any(p is not None and q is not None and p != q for p, q in zip(a, b)):
        raise ValueError(
            f"{loss}: y_true and y_pred must have the same shape, got y_true {a} and y_pred {b}"
        )
