"""Regression losses of the residual ``e = y_pred - y_true``, each averaged over the last axis.

Keras 2's constants are kept where they change values (``eps = 1e-7`` in MSLE and MAPE);
log-cosh subtracts the exact ``log 2`` of the input dtype (Keras rounds it to float32 even for
float64 inputs, an error of up to ~2e-9 that we do not copy). Poisson, a count likelihood, lives
in :mod:`refs.losses.probabilistic`.
"""

from __future__ import annotations

import math

from keras import ops

from refs.losses.base import Loss, epsilon_like, mean_over, prepare, register
from refs.losses.validation import (
    check_broadcast,
    check_positive,
    check_unit_interval,
    check_values,
    static_shape,
)

__all__ = [
    "Huber",
    "LogCosh",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "PinballLoss",
    "huber",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "pinball_loss",
]


def _residual_inputs(loss: str, y_true, y_pred, **ranges):
    y_true, y_pred = prepare(loss, y_true, y_pred)
    check_values(loss, y_true, y_pred, **ranges)
    return y_true, y_pred


@register
def mean_squared_error(y_true, y_pred):
    """``loss = mean(e^2)`` over the last axis.

    Example::

        >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])
        [0.5]
    """
    y_true, y_pred = _residual_inputs("mean_squared_error", y_true, y_pred)
    return mean_over(ops.square(y_pred - y_true), axis=-1)


@register
def mean_absolute_error(y_true, y_pred):
    """``loss = mean(|e|)`` over the last axis.

    Example::

        >>> mean_absolute_error([[0.0, 1.0]], [[2.0, 1.0]])
        [1.0]
    """
    y_true, y_pred = _residual_inputs("mean_absolute_error", y_true, y_pred)
    return mean_over(ops.abs(y_pred - y_true), axis=-1)


@register
def mean_absolute_percentage_error(y_true, y_pred):
    """``loss = 100 mean(|e| / max(|y_true|, 1e-7))`` over the last axis (Keras's guard).

    A zero target gives a huge but finite value. Example::

        >>> mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 4.0]])
        [25.0]
    """
    y_true, y_pred = _residual_inputs("mean_absolute_percentage_error", y_true, y_pred)
    ratio = ops.abs((y_true - y_pred) / ops.maximum(ops.abs(y_true), epsilon_like(y_true)))
    return 100.0 * mean_over(ratio, axis=-1)


@register
def mean_squared_logarithmic_error(y_true, y_pred):
    """``loss = mean((log(1 + max(y_pred, eps)) - log(1 + max(y_true, eps)))^2)``, eps = 1e-7.

    For non-negative targets (counts, prices). Negative predictions are clamped to ``eps`` as
    Keras does (a linear output may dip below 0 while training); negative **targets** --
    standardized data, a classic mistake -- are rejected at call time, because the clamp would
    silently replace them all by 0. This is a deliberate difference from Keras (2 and 3.15),
    which accepts them.

    Example::

        >>> mean_squared_logarithmic_error([[math.e - 1]], [[0.0]])
        [1.0]
    """
    y_true, y_pred = _residual_inputs(
        "mean_squared_logarithmic_error",
        y_true,
        y_pred,
        true_range=(0.0, math.inf),
        true_hint="MSLE needs non-negative targets (standardized targets are negative; "
        "use mean_squared_error or shift the targets)",
    )
    eps = epsilon_like(y_pred)
    first_log = ops.log(ops.maximum(y_pred, eps) + 1.0)
    second_log = ops.log(ops.maximum(y_true, eps) + 1.0)
    return mean_over(ops.square(first_log - second_log), axis=-1)


@register
def huber(y_true, y_pred, delta=1.0):
    """Huber loss, averaged over the last axis.

    ``h(e) = e^2 / 2`` if ``|e| <= delta``, else ``delta (|e| - delta / 2)``: quadratic near 0,
    linear (gradient ``+-delta``) for outliers; the two branches meet at ``|e| = delta``.
    ``torch.nn.HuberLoss(delta)`` is the same; ``torch.nn.SmoothL1Loss(beta)`` is
    ``huber(delta=beta) / beta``.

    Example::

        >>> huber([[0.0, 0.0]], [[0.5, 3.0]], delta=1.0)   # (0.125 + 2.5) / 2
        [1.3125]
    """
    check_positive("delta", delta)
    y_true, y_pred = _residual_inputs("huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    delta = ops.convert_to_tensor(delta, dtype=y_pred.dtype)
    half = ops.convert_to_tensor(0.5, dtype=y_pred.dtype)
    quadratic = half * ops.square(error)
    linear = delta * abs_error - half * ops.square(delta)
    return mean_over(ops.where(abs_error <= delta, quadratic, linear), axis=-1)


@register
def log_cosh(y_true, y_pred):
    """``loss = mean(log(cosh(e)))``, computed as ``e + softplus(-2e) - log 2`` (no overflow).

    About ``e^2 / 2`` for small errors and ``|e| - log 2`` for large ones: a smooth Huber.

    Example::

        >>> log_cosh([[0.0]], [[1.0]])
        [0.433781]
    """
    y_true, y_pred = _residual_inputs("log_cosh", y_true, y_pred)
    error = y_pred - y_true
    log2 = ops.convert_to_tensor(math.log(2.0), dtype=y_pred.dtype)
    return mean_over(error + ops.softplus(-2.0 * error) - log2, axis=-1)


@register
class MeanSquaredError(Loss):
    """Mean squared error ``mean(e^2)`` (see :func:`mean_squared_error`).

    Example: ``MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]])`` is 0.5.
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


@register
class MeanAbsoluteError(Loss):
    """Mean absolute error ``mean(|e|)`` (see :func:`mean_absolute_error`).

    Example: ``MeanAbsoluteError()([[0.0, 1.0]], [[2.0, 1.0]])`` is 1.0.
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


@register
class MeanAbsolutePercentageError(Loss):
    """``100 mean(|e| / max(|y_true|, 1e-7))`` (see :func:`mean_absolute_percentage_error`).

    Example: ``MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 4.0]])`` is 25.0.
    """

    def __init__(
        self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None
    ):
        super().__init__(
            mean_absolute_percentage_error, reduction=reduction, name=name, dtype=dtype
        )


@register
class MeanSquaredLogarithmicError(Loss):
    """``mean((log(1 + y_pred) - log(1 + y_true))^2)`` (:func:`mean_squared_logarithmic_error`).

    Example: ``MeanSquaredLogarithmicError()([[math.e - 1]], [[0.0]])`` is 1.0.
    """

    def __init__(
        self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None
    ):
        super().__init__(
            mean_squared_logarithmic_error, reduction=reduction, name=name, dtype=dtype
        )


@register
class Huber(Loss):
    """Huber: ``e^2 / 2`` if ``|e| <= delta``, else ``delta (|e| - delta / 2)`` (:func:`huber`).

    Example: ``Huber(delta=1.0)([[0.0, 0.0]], [[0.5, 3.0]])`` is 1.3125;
    ``model.compile(loss=Huber(delta=0.5))``.
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(
            huber,
            reduction=reduction,
            name=name,
            dtype=dtype,
            delta=check_positive("delta", delta),
        )


@register
class LogCosh(Loss):
    """Log-cosh loss ``mean(log(cosh(e)))`` (see :func:`log_cosh`).

    Example: ``LogCosh()([[0.0]], [[1.0]])`` is 0.4338.
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)


@register
def pinball_loss(y_true, y_pred, tau=0.5):
    """Pinball (quantile) loss of the ``tau``-quantile (tfa ``pinball_loss``), averaged over the
    last axis.

    With ``e = y_true - y_pred``: ``loss = mean(max(tau e, (tau - 1) e))``: under-prediction
    costs ``tau`` per unit, over-prediction ``1 - tau``. Its minimiser is the ``tau``-quantile
    of the target: ``tau = 0.5`` is half the mean absolute error (the median); ``tau = 0``
    penalises only over-prediction, ``tau = 1`` only under-prediction. ``tau`` is one value in
    [0, 1] or an array of them broadcasting to the inputs (one per output, say).

    tfa converts a Python ``tau`` through float32 even for float64 inputs (``tau = 0.1`` is
    0.10000000149); refs uses ``tau`` as given. tfa has no Huberised (``delta``) variant.

    Example::

        >>> pinball_loss([[1.0, 1.0]], [[0.0, 3.0]], tau=0.9)   # (0.9 * 1 + 0.1 * 2) / 2
        [0.55]
    """
    check_unit_interval("tau", tau)
    y_true, y_pred = _residual_inputs("pinball_loss", y_true, y_pred)
    check_broadcast("pinball_loss", "tau", tau, static_shape(y_pred))
    tau = ops.convert_to_tensor(tau, dtype=y_pred.dtype)
    error = y_true - y_pred
    # max(tau e, (tau - 1) e), written as a where: at e = 0 the gradient is tau (TensorFlow's
    # maximum, which tfa's gradients record) on every backend (JAX's maximum would split it).
    return mean_over(ops.where(error >= 0.0, tau * error, (tau - 1.0) * error), axis=-1)


@register
class PinballLoss(Loss):
    """Pinball (quantile) loss ``mean(max(tau e, (tau - 1) e))``, ``e = y_true - y_pred``
    (see :func:`pinball_loss`); tfa's ``PinballLoss``.

    Example: ``PinballLoss(tau=0.9)([[1.0, 1.0]], [[0.0, 3.0]])`` is 0.55.
    """

    def __init__(self, tau=0.5, reduction="sum_over_batch_size", name="pinball_loss",
                 dtype=None):
        super().__init__(pinball_loss, reduction=reduction, name=name, dtype=dtype,
                         tau=check_unit_interval("tau", tau))
