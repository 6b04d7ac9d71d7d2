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

import keras
from keras import ops

from refs.losses.base import Loss
from refs.losses.probabilistic import binary_crossentropy
from refs.losses.validation import check_non_negative, check_unit_interval

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


def _same_shape(real_logits, fake_logits):
    real_logits = ops.convert_to_tensor(real_logits)
    fake_logits = ops.convert_to_tensor(fake_logits, dtype=real_logits.dtype)
    if tuple(real_logits.shape) != tuple(fake_logits.shape):
        raise ValueError(
            "real_logits and fake_logits must have the same shape (one real and one fake per "
            f"sample), got {tuple(real_logits.shape)} and {tuple(fake_logits.shape)}"
        )
    return real_logits, fake_logits


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
    real_logits, fake_logits = _same_shape(real_logits, fake_logits)
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
    fake_logits = ops.convert_to_tensor(fake_logits)
    return -binary_crossentropy(ops.zeros_like(fake_logits), fake_logits, from_logits=True)


def generator_non_saturating_loss(fake_logits):
    """The non-saturating generator loss: ``-log D(G(z)) = softplus(-f)``.

    The DCGAN tutorial's ``bce(ones, fake)``; gradient ``sigma(f) - 1``, which stays near -1 when
    D rejects the fakes.

    Returns:
        per-sample loss, shape ``fake_logits.shape[:-1]``; ``log 2`` at ``f = 0``.
    """
    fake_logits = ops.convert_to_tensor(fake_logits)
    return binary_crossentropy(ops.ones_like(fake_logits), fake_logits, from_logits=True)


# -- Wasserstein with gradient penalty ---------------------------------------------------------
def wasserstein_critic_loss(real_scores, fake_scores):
    """Critic loss of WGAN: ``D(G(z)) - D(x)``, per element (mean over the last axis).

    The gradient penalty is added separately (:func:`gradient_penalty`), since it needs the
    critic's gradient at interpolated images.
    """
    real_scores, fake_scores = _same_shape(real_scores, fake_scores)
    return ops.mean(fake_scores - real_scores, axis=-1)


def wasserstein_generator_loss(fake_scores):
    """Generator loss of WGAN: ``-D(G(z))`` (mean over the last axis)."""
    return -ops.mean(ops.convert_to_tensor(fake_scores), axis=-1)


def gradient_penalty(gradients):
    """WGAN-GP penalty per sample: ``(||g||_2 - 1)^2``, the norm over all non-batch axes.

    Args:
        gradients: ``d D(x_hat) / d x_hat`` at ``x_hat = e x + (1 - e) G(z)``, shape
            ``(batch, ...)``.

    Returns:
        shape ``(batch,)``; 0 where the critic is 1-Lipschitz with unit slope.
    """
    g = ops.convert_to_tensor(gradients)
    flat = ops.reshape(g, (ops.shape(g)[0], -1))
    # sqrt with a tiny floor: the gradient of ||g|| at g = 0 would be 0/0.
    norm = ops.sqrt(ops.sum(ops.square(flat), axis=-1) + 1e-12)
    return ops.square(norm - 1.0)


# -- least squares (LSGAN, Mao et al. 2017, a=0, b=c=1) --------------------------------------
def least_squares_discriminator_loss(real_scores, fake_scores):
    """LSGAN discriminator loss: ``(r - 1)^2 / 2 + f^2 / 2`` (mean over the last axis)."""
    real_scores, fake_scores = _same_shape(real_scores, fake_scores)
    return 0.5 * ops.mean(ops.square(real_scores - 1.0) + ops.square(fake_scores), axis=-1)


def least_squares_generator_loss(fake_scores):
    """LSGAN generator loss: ``(f - 1)^2 / 2`` (mean over the last axis)."""
    return 0.5 * ops.mean(ops.square(ops.convert_to_tensor(fake_scores) - 1.0), axis=-1)


# -- hinge (Lim & Ye 2017; SAGAN) --------------------------------------------------------------
def hinge_discriminator_loss(real_scores, fake_scores):
    """Hinge discriminator loss: ``relu(1 - r) + relu(1 + f)`` (mean over the last axis)."""
    real_scores, fake_scores = _same_shape(real_scores, fake_scores)
    return ops.mean(ops.relu(1.0 - real_scores) + ops.relu(1.0 + fake_scores), axis=-1)


def hinge_generator_loss(fake_scores):
    """Hinge generator loss: ``-f`` (mean over the last axis), as in WGAN."""
    return wasserstein_generator_loss(fake_scores)


# -- classes -----------------------------------------------------------------------------------
# Each class holds only hyperparameters; the maths is the function it wraps (the refs ``Loss``
# base forwards ``call`` to it and adds Keras's ``reduction`` and ``sample_weight``).
_register = keras.saving.register_keras_serializable(package="refs.gan")


class DiscriminatorLoss(Loss):
    """Base of discriminator losses, called as ``loss(real_logits, fake_logits, sample_weight)``
    (Keras's ``y_true`` slot holds the real logits, ``y_pred`` the fake ones)."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **hyper):
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **hyper)


class GeneratorLoss(Loss):
    """Base of generator losses, called as ``loss(fake_logits, sample_weight=None)``."""

    def __call__(self, fake_logits, sample_weight=None):
        return super().__call__(fake_logits, fake_logits, sample_weight=sample_weight)

    def call(self, y_true, y_pred):  # both slots hold the fake logits
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
    ``gradient_penalty_weight`` to ``wgan-gp``.
    """
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
    if name == "hinge":
        return HingeDiscriminatorLoss(), HingeGeneratorLoss()
    raise ValueError(f"loss must be one of {LOSS_NAMES}, got {name!r}")
