"""GAN losses, computed from discriminator logits (or critic scores).

Notation: ``r = D(x)`` are the discriminator's logits on real images, ``f = D(G(z))`` on generated
ones, ``sigma`` the logistic sigmoid, ``softplus(t) = log(1 + e^t)``. Since
``-log(sigma(t)) = softplus(-t)`` and ``-log(1 - sigma(t)) = softplus(t)``, every log-loss below
is a binary cross-entropy from logits (:func:`refs.losses.binary_crossentropy`) and is
finite, with finite gradients, for logits of any magnitude.

=========================  ==============================================  ===================
pair (``--loss``)           discriminator / critic minimises                generator minimises
=========================  ==============================================  ===================
``minimax``                 ``-log sigma(r) - log(1 - sigma(f))``           ``log(1 - sigma(f))``
``non-saturating``          same                                            ``-log sigma(f)``
``wgan-gp``                 ``f - r + lambda (||grad D(x_hat)|| - 1)^2``    ``-f``
``lsgan``                   ``(r - 1)^2 / 2 + f^2 / 2``                     ``(f - 1)^2 / 2``
``hinge``                   ``relu(1 - r) + relu(1 + f)``                   ``-f``
=========================  ==============================================  ===================

Sign convention of the saturating loss: in Goodfellow et al.'s game the generator *minimises*
``log(1 - D(G(z)))`` (a negative number). Its gradient ``-sigma(f)`` vanishes when D rejects the
fakes (``f -> -inf``): that is the saturation. The non-saturating loss ``-log D(G(z))`` has gradient
``sigma(f) - 1 -> -1`` there instead.

Each function returns per-sample values (the mean over the last axis, like Keras losses); each
class wraps one function with the usual ``reduction`` and ``sample_weight`` and is
Keras-serializable. Discriminator classes are called as ``loss(real_logits, fake_logits)``,
generator classes as ``loss(fake_logits)``.

Example:
    >>> d_loss, g_loss = get_loss_pair("non-saturating")
    >>> float(d_loss(np.zeros((4, 1)), np.zeros((4, 1))))  # 2 log 2
    1.3862943...
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from refs.losses.base import Loss, as_float_tensor
from refs.losses.probabilistic import binary_crossentropy
from refs.losses.validation import (
    check_non_negative,
    check_reduced_axis,
    check_unit_interval,
    check_values,
    convert_input,
    finite_logits,
    static_shape,
)

__all__ = [
    "DiscriminatorLoss",
    "DiscriminatorMinimaxLoss",
    "GeneratorLoss",
    "GeneratorNonSaturatingLoss",
    "GeneratorSaturatingLoss",
    "HingeDiscriminatorLoss",
    "HingeGeneratorLoss",
    "LOSS_NAMES",
    "LeastSquaresDiscriminatorLoss",
    "LeastSquaresGeneratorLoss",
    "WassersteinCriticLoss",
    "WassersteinGeneratorLoss",
    "discriminator_minimax_loss",
    "generator_non_saturating_loss",
    "generator_saturating_loss",
    "get_loss_pair",
    "gradient_penalty",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
]

LOSS_NAMES = ("minimax", "non-saturating", "wgan-gp", "lsgan", "hinge")


def _scores(loss: str, name: str, x, like=None):
    """``x`` as a float tensor (``like``'s dtype if given) with a last axis to average over."""
    x = convert_input(loss, name, x)
    x = as_float_tensor(x) if like is None else ops.cast(x, like.dtype)
    check_reduced_axis(loss, x, name=name)
    return x


def _finite(loss: str, name: str, x, limit: str | None = None):
    """Eager NaN / inf check of one input; ``limit``: the sign ("+" or "-") of the infinity at
    which this loss term has a finite limit (0), where the input is replaced by a finite
    stand-in (see :func:`refs.losses.validation.finite_logits`)."""
    found = check_values(loss, y_pred=x, names=("", name), infinite_pred=limit is not None)
    if not found:
        return x
    values = np.asarray(keras.ops.convert_to_numpy(x))
    wrong = np.isneginf(values) if limit == "+" else np.isposinf(values)
    if wrong.any():
        other = "-inf" if limit == "+" else "+inf"
        raise ValueError(f"{loss}: {name} contains {other}, where the loss is infinite (only "
                         f"{limit}inf has a finite limit here)")
    return finite_logits(x)


def _pair(loss: str, real, fake, names=("real_logits", "fake_logits"), limits=(None, None)):
    """Both inputs checked: numbers, same shape, no NaN, infinities only where finite."""
    real = _scores(loss, names[0], real)
    fake = _scores(loss, names[1], fake, like=real)
    if tuple(real.shape) != tuple(fake.shape):
        raise ValueError(
            f"{loss}: {names[0]} and {names[1]} must have the same shape (one real and one fake "
            f"per sample), got {tuple(real.shape)} and {tuple(fake.shape)}"
        )
    return (_finite(loss, names[0], real, limits[0]), _finite(loss, names[1], fake, limits[1]))


def _one(loss: str, fake, name="fake_logits", limit=None):
    return _finite(loss, name, _scores(loss, name, fake), limit)


# -- the minimax pair --------------------------------------------------------------------------
def discriminator_minimax_loss(real_logits, fake_logits, real_label_smoothing=0.0):
    """Discriminator loss of the minimax game: ``-[log D(x) + log(1 - D(G(z)))]``.

    ``= softplus(-r) + softplus(f)`` per element (mean over the last axis). With one-sided label
    smoothing ``s`` (Salimans et al. 2016) the real target is ``1 - s`` instead of 1:
    ``(1 - s) softplus(-r) + s softplus(r) + softplus(f)``; fake targets stay 0.

    Args:
        real_logits: ``D(x)``, shape ``(batch, ..., k)``.
        fake_logits: ``D(G(z))``, the same shape.
        real_label_smoothing: ``s`` in [0, 1]; 0 is the plain loss.

    Returns:
        per-sample loss, shape ``real_logits.shape[:-1]``; ``2 log 2`` at ``r = f = 0``.
    """
    check_unit_interval("real_label_smoothing", real_label_smoothing)
    # r = +inf gives 0 only with the target 1 (no smoothing); f = -inf always gives 0.
    real_limit = None if real_label_smoothing else "+"
    real_logits, fake_logits = _pair("discriminator_minimax_loss", real_logits, fake_logits,
                                     limits=(real_limit, "-"))
    real_target = ops.full_like(real_logits, 1.0 - float(real_label_smoothing))
    real_term = binary_crossentropy(real_target, real_logits, from_logits=True)
    fake_term = binary_crossentropy(ops.zeros_like(fake_logits), fake_logits, from_logits=True)
    return real_term + fake_term


def generator_saturating_loss(fake_logits):
    """The original (saturating) generator loss: ``log(1 - D(G(z))) = -softplus(f)``.

    Negative; the generator minimises it. Its gradient ``-sigma(f)`` vanishes as ``f -> -inf``.
    It is the negative of the discriminator's fake term.

    Returns:
        per-sample loss, shape ``fake_logits.shape[:-1]``; ``-log 2`` at ``f = 0``.
    """
    fake_logits = _one("generator_saturating_loss", fake_logits, limit="-")
    return -binary_crossentropy(ops.zeros_like(fake_logits), fake_logits, from_logits=True)


def generator_non_saturating_loss(fake_logits):
    """The non-saturating generator loss: ``-log D(G(z)) = softplus(-f)``.

    The DCGAN tutorial's ``bce(ones, fake)``; gradient ``sigma(f) - 1``, which stays near -1 when
    D rejects the fakes.

    Returns:
        per-sample loss, shape ``fake_logits.shape[:-1]``; ``log 2`` at ``f = 0``.
    """
    fake_logits = _one("generator_non_saturating_loss", fake_logits, limit="+")
    return binary_crossentropy(ops.ones_like(fake_logits), fake_logits, from_logits=True)


# -- Wasserstein with gradient penalty ---------------------------------------------------------
def wasserstein_critic_loss(real_scores, fake_scores):
    """Critic loss of WGAN: ``D(G(z)) - D(x)``, per element (mean over the last axis).

    The gradient penalty is added separately (:func:`gradient_penalty`), since it needs the
    critic's gradient at interpolated images.
    """
    real_scores, fake_scores = _pair("wasserstein_critic_loss", real_scores, fake_scores,
                                     names=("real_scores", "fake_scores"))
    return ops.mean(fake_scores - real_scores, axis=-1)


def wasserstein_generator_loss(fake_scores):
    """Generator loss of WGAN: ``-D(G(z))`` (mean over the last axis)."""
    fake_scores = _one("wasserstein_generator_loss", fake_scores, "fake_scores")
    return -ops.mean(fake_scores, axis=-1)


def gradient_penalty(gradients):
    """WGAN-GP penalty per sample: ``(||g||_2 - 1)^2``, the norm over all non-batch axes.

    Args:
        gradients: ``d D(x_hat) / d x_hat`` at ``x_hat = e x + (1 - e) G(z)``, shape
            ``(batch, ...)``.

    Returns:
        shape ``(batch,)``; 0 where the critic is 1-Lipschitz with unit slope.
    """
    g = as_float_tensor(convert_input("gradient_penalty", "gradients", gradients))
    shape = static_shape(g)
    if shape is not None and len(shape) == 0:
        raise ValueError("gradient_penalty: gradients must have a batch axis (shape (batch, ...)), "
                         "got a scalar")
    check_values("gradient_penalty", y_pred=g, names=("", "gradients"))
    # The per-sample size spelled out when it is known (an empty batch cannot infer a -1).
    known = shape is not None and None not in shape[1:]
    flat = ops.reshape(g, (ops.shape(g)[0], math.prod(shape[1:]) if known else -1))
    # sqrt with a tiny floor: the gradient of ||g|| at g = 0 would be 0/0.
    norm = ops.sqrt(ops.sum(ops.square(flat), axis=-1) + 1e-12)
    return ops.square(norm - 1.0)


# -- least squares (LSGAN, Mao et al. 2017, a=0, b=c=1) --------------------------------------
def least_squares_discriminator_loss(real_scores, fake_scores):
    """LSGAN discriminator loss: ``(r - 1)^2 / 2 + f^2 / 2`` (mean over the last axis)."""
    real_scores, fake_scores = _pair("least_squares_discriminator_loss", real_scores, fake_scores,
                                     names=("real_scores", "fake_scores"))
    return 0.5 * ops.mean(ops.square(real_scores - 1.0) + ops.square(fake_scores), axis=-1)


def least_squares_generator_loss(fake_scores):
    """LSGAN generator loss: ``(f - 1)^2 / 2`` (mean over the last axis)."""
    fake_scores = _one("least_squares_generator_loss", fake_scores, "fake_scores")
    return 0.5 * ops.mean(ops.square(fake_scores - 1.0), axis=-1)


# -- hinge (Lim & Ye 2017; SAGAN) --------------------------------------------------------------
def hinge_discriminator_loss(real_scores, fake_scores):
    """Hinge discriminator loss: ``relu(1 - r) + relu(1 + f)`` (mean over the last axis)."""
    # r = +inf and f = -inf are beyond the margins: both terms are then 0.
    real_scores, fake_scores = _pair("hinge_discriminator_loss", real_scores, fake_scores,
                                     names=("real_scores", "fake_scores"), limits=("+", "-"))
    return ops.mean(ops.relu(1.0 - real_scores) + ops.relu(1.0 + fake_scores), axis=-1)


def hinge_generator_loss(fake_scores):
    """Hinge generator loss: ``-f`` (mean over the last axis), as in WGAN."""
    fake_scores = _one("hinge_generator_loss", fake_scores, "fake_scores")
    return -ops.mean(fake_scores, axis=-1)


# -- classes -----------------------------------------------------------------------------------
# Each class holds only hyperparameters; the maths is the function it wraps (the refs ``Loss``
# base forwards ``call`` to it and adds Keras's ``reduction`` and ``sample_weight``).
_register = keras.saving.register_keras_serializable(package="refs.gan")


class DiscriminatorLoss(Loss):
    """Base of discriminator losses, called as ``loss(real_logits, fake_logits, sample_weight)``
    (Keras's ``y_true`` slot holds the real logits, ``y_pred`` the fake ones)."""

    input_names = ("real_logits", "fake_logits")

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **hyper):
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **hyper)


class GeneratorLoss(Loss):
    """Base of generator losses, called as ``loss(fake_logits, sample_weight=None)``."""

    input_names = ("fake_logits", "fake_logits")

    def __call__(self, fake_logits, sample_weight=None):
        return super().__call__(fake_logits, fake_logits, sample_weight=sample_weight)

    def call(self, y_true, y_pred):  # noqa: ARG002 - Keras's slots; both hold the fake logits
        return self._fn(y_pred, **self._hyper)


@_register
class DiscriminatorMinimaxLoss(DiscriminatorLoss):
    """Class form of :func:`discriminator_minimax_loss` (with ``real_label_smoothing``)."""

    def __init__(self, real_label_smoothing=0.0, reduction="sum_over_batch_size",
                 name="discriminator_minimax_loss", dtype=None):
        check_unit_interval("real_label_smoothing", real_label_smoothing)
        super().__init__(discriminator_minimax_loss, reduction=reduction, name=name, dtype=dtype,
                         real_label_smoothing=float(real_label_smoothing))


@_register
class GeneratorSaturatingLoss(GeneratorLoss):
    """Class form of :func:`generator_saturating_loss` (``log(1 - D(G(z)))``, minimised)."""

    def __init__(self, reduction="sum_over_batch_size", name="generator_saturating_loss",
                 dtype=None):
        super().__init__(generator_saturating_loss, reduction=reduction, name=name, dtype=dtype)


@_register
class GeneratorNonSaturatingLoss(GeneratorLoss):
    """Class form of :func:`generator_non_saturating_loss` (``-log D(G(z))``)."""

    def __init__(self, reduction="sum_over_batch_size", name="generator_non_saturating_loss",
                 dtype=None):
        super().__init__(generator_non_saturating_loss, reduction=reduction, name=name,
                         dtype=dtype)


@_register
class WassersteinCriticLoss(DiscriminatorLoss):
    """Class form of :func:`wasserstein_critic_loss`; also holds the gradient-penalty weight.

    :class:`refs.gan.gan.GAN` adds ``gradient_penalty_weight * mean(gradient_penalty(...))`` at
    random interpolates of real and fake images when the weight is positive (0: plain WGAN
    critic, which then needs another way to stay Lipschitz).
    """

    def __init__(self, gradient_penalty_weight=10.0, reduction="sum_over_batch_size",
                 name="wasserstein_critic_loss", dtype=None):
        check_non_negative("gradient_penalty_weight", gradient_penalty_weight)
        super().__init__(wasserstein_critic_loss, reduction=reduction, name=name, dtype=dtype)
        self.gradient_penalty_weight = float(gradient_penalty_weight)

    def get_config(self):
        return {**super().get_config(), "gradient_penalty_weight": self.gradient_penalty_weight}


@_register
class WassersteinGeneratorLoss(GeneratorLoss):
    """Class form of :func:`wasserstein_generator_loss` (``-D(G(z))``)."""

    def __init__(self, reduction="sum_over_batch_size", name="wasserstein_generator_loss",
                 dtype=None):
        super().__init__(wasserstein_generator_loss, reduction=reduction, name=name, dtype=dtype)


@_register
class LeastSquaresDiscriminatorLoss(DiscriminatorLoss):
    """Class form of :func:`least_squares_discriminator_loss`."""

    def __init__(self, reduction="sum_over_batch_size",
                 name="least_squares_discriminator_loss", dtype=None):
        super().__init__(least_squares_discriminator_loss, reduction=reduction, name=name,
                         dtype=dtype)


@_register
class LeastSquaresGeneratorLoss(GeneratorLoss):
    """Class form of :func:`least_squares_generator_loss`."""

    def __init__(self, reduction="sum_over_batch_size", name="least_squares_generator_loss",
                 dtype=None):
        super().__init__(least_squares_generator_loss, reduction=reduction, name=name,
                         dtype=dtype)


@_register
class HingeDiscriminatorLoss(DiscriminatorLoss):
    """Class form of :func:`hinge_discriminator_loss`."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge_discriminator_loss",
                 dtype=None):
        super().__init__(hinge_discriminator_loss, reduction=reduction, name=name, dtype=dtype)


@_register
class HingeGeneratorLoss(GeneratorLoss):
    """Class form of :func:`hinge_generator_loss`."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge_generator_loss",
                 dtype=None):
        super().__init__(hinge_generator_loss, reduction=reduction, name=name, dtype=dtype)


def get_loss_pair(name: str = "non-saturating", real_label_smoothing: float = 0.0,
                  gradient_penalty_weight: float = 10.0):
    """``(d_loss, g_loss)`` objects for a ``--loss`` name (see the table in the module docstring).

    ``real_label_smoothing`` applies to ``minimax`` and ``non-saturating``;
    ``gradient_penalty_weight`` to ``wgan-gp``. All three are validated whatever the name.
    """
    if not isinstance(name, str) or name not in LOSS_NAMES:
        raise ValueError(f"loss must be one of {LOSS_NAMES}, got {name!r} (the name argument)")
    check_unit_interval("real_label_smoothing", real_label_smoothing)
    check_non_negative("gradient_penalty_weight", gradient_penalty_weight)
    if name in ("minimax", "non-saturating"):
        d = DiscriminatorMinimaxLoss(real_label_smoothing)
        g = GeneratorSaturatingLoss() if name == "minimax" else GeneratorNonSaturatingLoss()
        return d, g
    if real_label_smoothing:
        raise ValueError(f"real_label_smoothing applies to minimax losses only, not {name!r}")
    if name == "wgan-gp":
        return WassersteinCriticLoss(gradient_penalty_weight), WassersteinGeneratorLoss()
    if name == "lsgan":
        return LeastSquaresDiscriminatorLoss(), LeastSquaresGeneratorLoss()
    return HingeDiscriminatorLoss(), HingeGeneratorLoss()  # name == "hinge"
