"""Checks shared by every loss: hyperparameters (at construction) and inputs (at call time).

Hyperparameter checks
---------------------
``check_unit_interval``, ``check_non_negative``, ``check_positive``, ``check_alpha``,
``check_int``, ``check_axis``, ``check_choice`` and ``check_bool`` take the argument's name and
value, return the value (unchanged, or as a plain ``int`` / ``bool``), and raise a
``ValueError`` naming the argument, the valid range and the value received, or a
:class:`WrongTypeError` (a ``TypeError`` that is also a ``ValueError``) for a value of the wrong
type -- a string, a bool where a number is expected, ``None``::

    >>> check_unit_interval("alpha", 4.0)
    Traceback (most recent call last):
    ...
    ValueError: alpha must be in [0, 1], got 4.0

NaN and infinite values fail every range. The checks accept Python numbers, numpy scalars and
arrays (every element is checked) and concrete (eager) tensors. A symbolic tensor (inside
``tf.function`` / ``jax.jit``) cannot be inspected and is returned unchecked. The loss classes
call them in their constructors, the loss functions at every call (their hyperparameters are
arguments), and the GAN and detection areas reuse them; the focal ``alpha`` has its one helper,
:func:`check_alpha`, used by every focal loss, ``DetectionLoss`` and ``refs.classic.check``.

Input checks (the design, and its cost)
---------------------------------------
The loss functions call :func:`convert_input`, :func:`check_same_shape` and
:func:`check_values` on their inputs. Conversion and shape checks use dtypes and static shapes
only and are free. Value checks (NaN, +-inf, label range, "probabilities expected") run **only
on concrete inputs**: numpy arrays, Python lists and eager tensors. Inside a traced
function -- ``model.fit``, ``tf.function(jit_compile=True)``, ``jax.jit`` -- the inputs are
symbolic and the checks are skipped at trace time, so the compiled graph contains no check op
and the training hot path pays nothing; XLA compilation is unaffected.

Infinite inputs are rejected like NaN, except where the loss has a finite limit there: a logit of
``+inf`` with the target 1 (or ``-inf`` with the target 0) gives a cross-entropy of exactly 0,
a masked ``-inf`` logit of a class whose target is 0 leaves a softmax cross-entropy finite, a
margin of ``+inf`` gives a hinge loss of 0. :func:`check_values` then returns True, the loss
checks the positions with :func:`check_infinite_logits` and computes on
:func:`finite_logits` (each infinity replaced by a finite stand-in far beyond where the loss
saturates), which returns that finite limit.

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
import warnings

import keras
import numpy as np

#: Eager value checks look at this many leading elements of each input (None: all of them).
MAX_CHECKED_ELEMENTS: int | None = 1 << 16

_ENABLED = True


class WrongTypeError(TypeError, ValueError):
    """A hyperparameter or input of the wrong type (a string, a bool for a number, None...).

    A ``TypeError``, and also a ``ValueError`` so that code catching the ``ValueError`` of an
    invalid configuration catches it too.
    """


# --------------------------------------------------------------------------- hyperparameters


def _shown(value, arr=None) -> str:
    if arr is not None and arr.ndim > 0 and arr.size > 8:
        return f"{arr.size} values"
    return repr(value)


def _as_array(name: str, value):
    """The value as a float64 numpy array; None when it is symbolic (cannot be checked).

    WrongTypeError naming ``name`` when the value is not a number (or array of numbers).
    """
    if isinstance(value, (bool, np.bool_)):
        raise WrongTypeError(f"{name} must be a number, got the bool {value!r}")
    if isinstance(value, numbers.Real):
        return np.asarray(float(value))
    if isinstance(value, (list, tuple, np.ndarray, np.generic)):
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError):
            raise WrongTypeError(f"{name} must be a number or an array of numbers, got "
                                 f"{value!r}") from None
        if arr.dtype.kind not in "iuf":
            raise WrongTypeError(f"{name} must be a number or an array of numbers, got "
                                 f"{_shown(value, arr)} (dtype {arr.dtype})")
        return arr.astype(np.float64)
    if keras.ops.is_tensor(value):
        if not _is_concrete(value):
            return None
        kind = keras.backend.standardize_dtype(value.dtype)
        if "float" not in kind and "int" not in kind:
            raise WrongTypeError(f"{name} must hold numbers, got a tensor of dtype {kind}")
        return np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float64)
    raise WrongTypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")


def _check(name: str, value, ok, expected: str):
    arr = _as_array(name, value)
    if arr is None:
        return value
    if arr.size == 0 or not np.all(ok(arr)):
        raise ValueError(f"{name} must be {expected}, got {_shown(value, arr)}")
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


def check_alpha(alpha, strict: bool | None = None, name: str = "alpha"):
    """The focal loss's ``alpha`` (the positives' weight; one value, or one per class): [0, 1].

    Outside [0, 1] one class gets a negative weight -- ``alpha > 1`` makes the negatives'
    weight ``1 - alpha`` negative, ``alpha < 0`` the positives' -- so misclassifying it would
    *lower* the loss; the error says which. ``strict=False`` (the losses that reproduce
    tutorials' ``alpha = 4``) turns that into a warning; ``strict=True`` adds how to allow it;
    ``None`` (losses without the option) is strict without the hint. NaN, infinite and
    non-numeric values are always errors.

    >>> check_alpha(0.25)
    0.25
    """
    arr = _as_array(name, alpha)
    if arr is None:
        return alpha
    base = f"{name} must be in [0, 1], got {_shown(alpha, arr)}"
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(base)
    lo, hi = float(arr.min()), float(arr.max())
    if lo >= 0 and hi <= 1:
        return alpha
    if hi > 1:
        why = (f"the negatives' weight 1 - alpha = {1 - hi:g} is negative, so misclassifying a "
               "negative would lower the loss")
    else:
        why = (f"the positives' weight alpha = {lo:g} is negative (the negatives' weight "
               f"1 - alpha = {1 - lo:g}), so misclassifying a positive would lower the loss")
    if strict is False:
        warnings.warn(f"{name} = {_shown(alpha, arr)} is outside [0, 1]: {why} (allowed by "
                      "strict=False)", stacklevel=3)
        return alpha
    hint = " (pass strict=False to allow it)" if strict else ""
    raise ValueError(f"{base}: {why}{hint}")


def check_int(name: str, value, minimum: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer (not a bool) ``>= minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral)):
        raise WrongTypeError(f"{name} must be an integer, got {type(value).__name__} "
                             f"{value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_axis(name: str, axis, ndim: int | None = None) -> int:
    """Return ``axis`` (an int) if it is an integer axis, within ``[-ndim, ndim)`` if given."""
    axis = check_int(name, axis)
    if ndim is not None and not -ndim <= axis < ndim:
        raise ValueError(f"{name} must be in [{-ndim}, {ndim}) for inputs of rank {ndim}, "
                         f"got {axis}")
    return axis


def check_choice(name: str, value, choices):
    """Return ``value`` if it is one of ``choices``; else ValueError naming ``name``."""
    try:
        known = value in choices
    except TypeError:  # unhashable
        known = False
    if not known or isinstance(value, (bool, np.bool_)) and not any(
            isinstance(c, bool) for c in choices):
        raise ValueError(f"{name} must be one of {sorted(choices, key=str)}, got {value!r}")
    return value


def check_bool(name: str, value):
    """Return ``value`` if it is a bool (``from_logits`` and friends); else WrongTypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise WrongTypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_broadcast(loss: str, name: str, value, shape) -> None:
    """ValueError when a per-class hyperparameter cannot broadcast to the inputs' ``shape``.

    ``value`` (e.g. ``alpha`` or ``pos_weight``, one entry per class of the last axis) may have
    fewer axes than the inputs but must not enlarge them. Unknown (None) dimensions pass.
    """
    value_shape = np.shape(value) if not keras.ops.is_tensor(value) else tuple(value.shape)
    if not value_shape or shape is None:
        return
    known = tuple(1 if d is None else d for d in shape)
    try:
        ok = np.broadcast_shapes(value_shape, known) == known
    except ValueError:
        ok = False
    if not ok and None not in shape:
        raise ValueError(f"{loss}: {name} of shape {tuple(value_shape)} does not broadcast to "
                         f"the inputs' shape {tuple(shape)} (give one value, or one per class "
                         "of the last axis)")


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


def is_concrete(x) -> bool:
    """True for numpy data and eager tensors: inputs whose values the eager checks can read."""
    return _is_concrete(x)


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


def _infinities(values: np.ndarray) -> str:
    signs = [s for s, found in (("+inf", np.isposinf(values).any()),
                                ("-inf", np.isneginf(values).any())) if found]
    return " and ".join(signs)


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
    infinite_pred: bool = False,
    names: tuple[str, str] = ("y_true", "y_pred"),
) -> bool:
    """Eager value checks on a loss's inputs; a no-op for symbolic inputs or when switched off.

    Raises ValueError, naming the loss and the argument (``names``), when an input holds NaN or
    +-inf, when ``y_true`` leaves ``true_range`` (or is not integral with ``integer_labels``),
    or when ``y_pred`` leaves ``pred_range`` (e.g. logits given to a loss that expects
    probabilities: ``pred_hint`` then says "did you mean from_logits=True?").

    With ``infinite_pred`` (logits, where some infinities have a finite loss), +-inf in
    ``y_pred`` are not rejected here: the function returns True and the caller checks where
    they are with :func:`check_infinite_logits` and computes on :func:`finite_logits`.
    Otherwise it returns False.
    """
    if not _ENABLED:
        return False
    infinite = False
    for arg, x, bounds, hint, may_be_infinite in (
        (names[0], y_true, true_range, true_hint, False),
        (names[1], y_pred, pred_range, pred_hint, infinite_pred),
    ):
        values = concrete_sample(x)
        if values is None or values.size == 0:
            continue
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            if np.isnan(values).any():
                raise ValueError(f"{loss}: {arg} contains NaN")
            if not may_be_infinite:
                raise ValueError(f"{loss}: {arg} contains {_infinities(values)} (finite values "
                                 "expected: the loss is infinite or undefined there)")
            infinite = True
            values = values[np.isfinite(values)]
            if values.size == 0:
                continue
        if arg == names[0] and integer_labels and values.dtype.kind == "f":
            if not np.all(values == np.round(values)):
                raise ValueError(
                    f"{loss}: {arg} must hold integer class indices, got non-integer values "
                    f"({_describe(values)})" + (f"; {hint}" if hint else "")
                )
        if bounds is not None:
            lo, hi = bounds
            if values.min() < lo or values.max() > hi:
                raise ValueError(
                    f"{loss}: {arg} must be in [{lo:g}, {hi:g}], got values with "
                    f"{_describe(values)}" + (f"; {hint}" if hint else "")
                )
    return infinite


def _numpy(x) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)


def check_infinite_logits(loss: str, kind: str, y_true, y_pred, axis: int = -1,
                          names: tuple[str, str] = ("y_true", "y_pred")) -> None:
    """ValueError unless every +-inf of ``y_pred`` is where the loss has a finite limit.

    ``y_true`` holds the targets as the loss uses them (after label smoothing). ``kind``:

    - ``"binary"`` (sigmoid cross-entropies, focal): ``+inf`` where the target is 1, ``-inf``
      where it is 0 (the cross-entropy is then 0);
    - ``"margin"`` (labels in {-1, 1}, or all in {0, 1}): ``+inf`` where the label is 1,
      ``-inf`` where it is -1 (the margin is then ``+inf``);
    - ``"categorical"`` (classes on ``axis``): ``-inf`` for classes whose target is 0 (masked
      classes), ``+inf`` for at most one class per row, the only one with a non-zero target;
    - ``"sparse"`` (integer labels, classes on the last axis): likewise, with the label's class.

    Called only when :func:`check_values` found infinities, so it reads the whole arrays.
    """
    x = _numpy(y_pred)
    pos, neg = np.isposinf(x), np.isneginf(x)
    if kind in ("binary", "margin"):
        t = np.broadcast_to(_numpy(y_true), x.shape)
        if kind == "margin" and np.all((t == 0) | (t == 1)):
            t = 2 * t - 1
        low = 0 if kind == "binary" else -1
        bad = (pos & (t != 1)) | (neg & (t != low))
        rule = (f"+inf is allowed where the target is 1, -inf where it is {low}, where the "
                "loss is finite")
    elif kind in ("categorical", "sparse"):
        if kind == "sparse":
            labels = _numpy(y_true).astype(np.int64)
            t = (np.arange(x.shape[-1]) == labels[..., None]).astype(np.float64)
        else:
            x, pos, neg = (np.moveaxis(a, axis, -1) for a in (x, pos, neg))
            t = np.broadcast_to(np.moveaxis(_numpy(y_true), axis, -1), x.shape)
        nonzero = t != 0
        others_nonzero = nonzero.sum(-1, keepdims=True) - nonzero > 0
        bad = (neg & nonzero) | (pos & (~nonzero | others_nonzero))
        bad |= pos & (pos.sum(-1, keepdims=True) > 1)
        bad |= neg & neg.all(-1, keepdims=True)
        rule = ("-inf is allowed for classes whose target is 0, +inf for the one class of a "
                "row with a non-zero target, where the loss is finite")
    else:
        raise ValueError(f"unknown kind {kind!r}")
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{loss}: {names[1]} holds {x[index]:+} at {index}, where the loss is "
                         f"infinite ({rule})")


_LARGEST = {"float16": 65504.0, "bfloat16": 3.3895e38, "float32": 3.4028e38,
            "float64": 1.7976e308}


def finite_logits(x):
    """``x`` with +-inf replaced by +-(largest float / 4) of its dtype (finite values unchanged).

    A loss with a finite limit at an infinite logit (see :func:`check_infinite_logits`) reaches
    it exactly long before such a value, and a quarter of the largest float leaves room for
    the differences the softmax takes (``x - max(x)``) without overflow.
    """
    big = _LARGEST.get(keras.backend.standardize_dtype(x.dtype), 3.4028e38) / 4
    return keras.ops.clip(x, -big, big)


def resolve_infinities(loss: str, kind: str, y_true, y_pred, found: bool, axis: int = -1,
                       names: tuple[str, str] = ("y_true", "y_pred")):
    """``y_pred`` ready for a loss's formula: unchanged, or -- when :func:`check_values` found
    infinities it allowed (``found``) -- checked with :func:`check_infinite_logits` and passed
    through :func:`finite_logits`, so the loss returns its finite limit."""
    if not found:
        return y_pred
    check_infinite_logits(loss, kind, y_true, y_pred, axis=axis, names=names)
    return finite_logits(y_pred)


def convert_input(loss: str, arg: str, x):
    """``x`` as a tensor of numbers (bool, integer or float); WrongTypeError naming ``arg``.

    Catches what would otherwise fail deep inside the backend: None, strings, ragged lists,
    objects. Only the dtype is looked at, so this costs nothing inside traced functions.
    """
    if x is None:
        raise WrongTypeError(f"{loss}: {arg} is None; expected an array of numbers")
    if keras.ops.is_tensor(x):
        tensor = x
    else:
        try:
            tensor = keras.ops.convert_to_tensor(x)
        except (ValueError, TypeError) as err:
            raise WrongTypeError(f"{loss}: {arg} cannot be converted to a tensor of numbers "
                                 f"({str(err)[:120]})") from None
    kind = keras.backend.standardize_dtype(tensor.dtype)
    if not ("float" in kind or "int" in kind or kind == "bool"):
        raise WrongTypeError(f"{loss}: {arg} must hold numbers, got dtype {kind}")
    return tensor


def check_reduced_axis(loss: str, x, axis=-1, name: str = "y_pred") -> int:
    """The loss reduces ``x`` along ``axis``: ``x`` must have that axis, and it must not be empty.

    Returns ``axis`` as an int (validated, see :func:`check_axis`).
    """
    shape = static_shape(x)
    if shape is None:
        return check_axis("axis", axis)
    if len(shape) == 0:
        raise ValueError(f"{loss}: {name} must have at least one axis (the loss reduces the last "
                         "one), got a scalar")
    axis = check_axis("axis", axis, len(shape))
    if shape[axis] == 0:
        raise ValueError(f"{loss}: {name} of shape {shape} is empty along axis {axis}, the axis "
                         "the loss reduces")
    return axis


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
