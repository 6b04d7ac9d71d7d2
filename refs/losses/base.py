"""The shared pieces: the ``Loss`` base class, input preparation and Keras 2's epsilon.

Every loss here is a plain function ``fn(y_true, y_pred, **hyperparameters)`` returning the
per-sample loss (the last axis reduced), plus a thin ``Loss`` subclass that holds only the
hyperparameters; Keras's ``Loss.__call__`` then applies ``sample_weight`` and ``reduction``.
This is the layout of Keras 3's own ``losses.py``.

Serialization: every class and loss function is registered with
``keras.saving.register_keras_serializable(package="refs")``, so a saved model refers to it as
``"refs>Name"`` (the GAN classes of :mod:`refs.losses.adversarial` use ``package="refs.gan"``).
``keras.models.load_model`` finds it without ``custom_objects`` in any process that has
imported ``refs.losses`` (importing any loss-using part of ``refs`` does that). The saved
config holds the hyperparameters, ``reduction``, ``name`` and ``dtype``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from refs.losses.validation import (
    WrongTypeError,
    check_axis,
    check_bool,
    check_choice,
    check_reduced_axis,
    check_same_shape,
    check_unit_interval,
    check_values,
    convert_input,
)

#: Keras's fuzz factor (``keras.backend.epsilon()`` default): the clip bound of the losses that
#: take probabilities. A fixed constant so that results match Keras 2 to the last digit.
EPSILON = 1e-7

register = keras.saving.register_keras_serializable(package="refs")

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def as_float_tensor(x):
    """``x`` as a tensor; integer/bool inputs become ``keras.backend.floatx()``."""
    x = ops.convert_to_tensor(x)
    if "float" not in str(x.dtype):
        x = ops.cast(x, keras.backend.floatx())
    return x


def align(y_true, y_pred):
    """Make ``y_true`` and ``y_pred`` the same rank when they differ by a trailing axis of 1.

    (N,) against (N, 1) becomes (N, 1) against (N, 1), as Keras's loss wrappers do; anything
    else is left alone (and then rejected by ``check_same_shape`` if the shapes differ).
    """
    rt, rp = len(y_true.shape), len(y_pred.shape)
    if rp == rt + 1 and y_pred.shape[-1] == 1:
        y_true = ops.expand_dims(y_true, -1) if rt == 1 else y_true
        y_pred = y_pred if rt == 1 else ops.squeeze(y_pred, -1)
    elif rt == rp + 1 and y_true.shape[-1] == 1:
        y_pred = ops.expand_dims(y_pred, -1) if rp == 1 else y_pred
        y_true = y_true if rp == 1 else ops.squeeze(y_true, -1)
    return y_true, y_pred


def prepare(loss: str, y_true, y_pred):
    """Tensors of ``y_pred``'s float dtype, ranks aligned, static shapes checked equal.

    Inputs that are not arrays of numbers (None, strings, ragged lists), scalars and an empty
    last axis (the one every loss reduces) are rejected with errors naming the argument.
    """
    y_true = convert_input(loss, "y_true", y_true)
    y_pred = as_float_tensor(convert_input(loss, "y_pred", y_pred))
    y_true = ops.cast(y_true, y_pred.dtype)
    y_true, y_pred = align(y_true, y_pred)
    check_same_shape(loss, y_true, y_pred)
    check_reduced_axis(loss, y_pred)
    return y_true, y_pred


#: float16's spacing just below 1: its clip bound, as 1 - 1e-7 rounds to 1 in float16.
FLOAT16_EPSILON = 2.0**-11


def epsilon_for(dtype) -> float:
    """The clip epsilon of a dtype: Keras's 1e-7, except 2**-11 in float16.

    In float16, ``1 - 1e-7`` rounds to 1 (nothing is clipped) and ``1 / 1e-7`` overflows, so
    the gradient of ``log(1 - p + eps)`` at ``p = 1`` would be infinite; with ``2**-11`` the
    clip bound ``1 - eps`` is representable and every gradient stays below ~1e3.
    """
    return FLOAT16_EPSILON if keras.backend.standardize_dtype(dtype) == "float16" else EPSILON


def epsilon_like(x):
    """The clip epsilon (see ``epsilon_for``) as a constant of ``x``'s dtype."""
    return ops.convert_to_tensor(epsilon_for(x.dtype), dtype=x.dtype)


def mean_over(x, axis=-1):
    """``ops.mean(x, axis)``, but exact in float64 on every backend.

    Keras 3.15's JAX ``mean`` accumulates in ``result_type(dtype, "float32")``, which rounds
    float64 inputs to float32 precision; float64 is therefore averaged as ``sum / n``.
    """
    if keras.backend.standardize_dtype(x.dtype) == "float64":
        return ops.sum(x, axis=axis) / ops.cast(ops.shape(x)[axis], x.dtype)
    return ops.mean(x, axis=axis)


def _check_dtype(dtype):
    """``dtype`` of a loss: None, a floating dtype name, or a (float) ``keras.DTypePolicy``."""
    if dtype is None or isinstance(dtype, keras.DTypePolicy):
        compute = None if dtype is None else dtype.compute_dtype
    else:
        if not isinstance(dtype, str) and not hasattr(dtype, "name"):
            raise WrongTypeError(f"dtype must be a dtype name such as 'float32', got {dtype!r}")
        try:
            compute = keras.dtype_policies.get(dtype).compute_dtype
        except (ValueError, TypeError):
            compute = "invalid"
    if compute is not None and "float" not in str(compute):
        raise ValueError(f"dtype must be a floating dtype (float16, bfloat16, float32, float64 "
                         f"or a mixed policy), got {dtype!r}")
    return dtype


def _plain(value):
    """A JSON-friendly copy of a hyperparameter (numpy arrays and tuples become lists)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return value


class Loss(keras.losses.Loss):
    """Base of every loss class in refs: a ``keras.losses.Loss`` that calls one loss function.

    Subclasses pass their loss function and its hyperparameters to ``__init__``; ``call``
    forwards them to the function and ``get_config`` returns them, so a subclass is only a
    constructor. ``sample_weight`` and ``reduction`` ("sum_over_batch_size" (default), "sum",
    "mean", "mean_with_sample_weight", "none") are Keras's own:

    - per-sample loss ``l_i = fn(y_true, y_pred)`` (shape ``y_pred.shape[:-1]``),
    - weighted ``w_i * l_i`` when ``sample_weight`` is given,
    - "sum": ``sum_i w_i l_i``; "sum_over_batch_size"/"mean": that sum divided by the number
      of per-sample entries (zero weights still count); "mean_with_sample_weight": divided by
      ``sum_i w_i``; "none": the weighted per-sample array.

    Inputs are cast to the loss's ``dtype`` (default ``keras.backend.floatx()``); pass
    ``dtype="float64"`` to compute in float64.

    Example::

        >>> loss = Huber(delta=0.5, reduction="sum")
        >>> float(loss([[0.0, 0.0]], [[0.2, 2.0]]))   # (0.5*0.04 + 0.5*(2-0.25)) / 2
        0.4475
    """

    #: How the two positional inputs are named in error messages (the GAN losses rename them).
    input_names = ("y_true", "y_pred")

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **hyper):
        check_choice("reduction", reduction, REDUCTIONS)
        if name is not None and not isinstance(name, str):
            raise WrongTypeError(f"name must be a string, got {type(name).__name__} {name!r}")
        _check_dtype(dtype)
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self._fn = fn
        self._hyper = {k: _plain(v) for k, v in hyper.items()}
        self._dtype_arg = dtype if dtype is None or isinstance(dtype, str) else dtype.name

    def __getattr__(self, item):
        # Hyperparameters read as attributes: Huber(delta=0.5).delta == 0.5.
        hyper = self.__dict__.get("_hyper", {})
        if item in hyper:
            return hyper[item]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {item!r}")

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Keras's call (``sample_weight``, ``reduction``), with the inputs checked first.

        Keras converts the inputs to the loss dtype before ``call``; here what cannot be
        converted (None, strings, ragged lists) fails first with an error naming it, and a
        NaN / infinite or mis-shaped ``sample_weight`` is reported as such.
        """
        first, second = self.input_names
        y_true = convert_input(self.name, first, y_true)
        y_pred = convert_input(self.name, second, y_pred)
        if sample_weight is None:
            return super().__call__(y_true, y_pred)
        sample_weight = convert_input(self.name, "sample_weight", sample_weight)
        check_values(self.name, y_pred=sample_weight, names=("", "sample_weight"))
        try:
            return super().__call__(y_true, y_pred, sample_weight=sample_weight)
        except Exception as err:
            text = str(err)
            if not any(m in text for m in ("Incompatible shapes", "Dimensions must be equal",
                                           "broadcast")):
                raise
            raise ValueError(
                f"{self.name}: sample_weight of shape {tuple(sample_weight.shape)} does not "
                f"match the per-sample losses of {second} of shape {tuple(y_pred.shape)} (one "
                "weight per sample, or per entry of the loss's output)") from None

    def call(self, y_true, y_pred):
        return self._fn(y_true, y_pred, **self._hyper)

    def get_config(self):
        config = super().get_config()
        config["dtype"] = self._dtype_arg
        config.update(self._hyper)
        return config

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._hyper.items())
        return f"{type(self).__name__}({args}, reduction={self.reduction!r})"


class CrossentropyLoss(Loss):
    """A ``Loss`` with Keras's cross-entropy arguments: from_logits, label_smoothing, axis.

    Subclasses set ``loss_fn`` (``staticmethod`` of the loss function) and ``default_name``;
    extra hyperparameters pass through ``**hyper``. The constructor validates the shared ones.
    """

    loss_fn = None
    default_name = None

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name=None,
        dtype=None,
        **hyper,
    ):
        super().__init__(
            type(self).loss_fn,
            reduction=reduction,
            name=name or self.default_name,
            dtype=dtype,
            **hyper,
            from_logits=check_bool("from_logits", from_logits),
            label_smoothing=check_unit_interval("label_smoothing", label_smoothing),
            axis=check_axis("axis", axis),
        )
