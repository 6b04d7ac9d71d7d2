"""refs.losses: the one home of every loss in refs.

Each loss is a plain function ``fn(y_true, y_pred, **hyperparameters)`` returning the per-sample
loss (the last axis reduced), plus a thin ``keras.losses.Loss`` class that holds only the
hyperparameters and adds ``sample_weight`` / ``reduction`` / serialization (Keras 3's own
layout). Class names follow ``keras.losses`` where Keras has the loss.

Where things live
-----------------
=================================  ===========================================================
module                             contents
=================================  ===========================================================
:mod:`refs.losses.base`            the ``Loss`` base class, input preparation (``prepare``,
                                   ``align``), Keras 2's ``EPSILON`` and the per-dtype clip
:mod:`refs.losses.validation`      hyperparameter checks (at construction) and eager input
                                   checks (at call time); ``set_input_checks`` switches them
:mod:`refs.losses.regression`      MSE, MAE, MAPE, MSLE, Huber, log-cosh
:mod:`refs.losses.probabilistic`   binary / weighted / balanced BCE, categorical and sparse
                                   cross-entropy, KL divergence, Poisson
:mod:`refs.losses.similarity`      cosine similarity (Keras's negative cosine), cosine distance
:mod:`refs.losses.focal`           sigmoid (tfa), binary and categorical (Keras) focal losses
:mod:`refs.losses.margin`          hinge, squared hinge, logistic, exponential, categorical hinge
:mod:`refs.losses.boxes`           ``giou_loss`` (1 - GIoU / 1 - IoU) and the IoU geometry
:mod:`refs.losses.adversarial`     the GAN loss pairs (minimax, non-saturating, WGAN-GP, LSGAN,
                                   hinge), ``get_loss_pair``, the gradient penalty
=================================  ===========================================================

``refs.classic`` and ``refs.gan`` build on this package (their old ``refs.classic.losses`` and
``refs.gan.losses`` paths re-export the same objects); ``refs.detection`` keeps only its
composite ``DetectionLoss``. This package imports nothing from the rest of ``refs``.

Registration (saving and loading)
---------------------------------
Every class and loss function here is registered with
``keras.saving.register_keras_serializable``: the classic ones under the package ``"refs"``
(``"refs>Huber"``, ``"refs>huber"``), the GAN classes under ``"refs.gan"``
(``"refs.gan>DiscriminatorMinimaxLoss"``). These names are what saved models contain, so they
never change when code moves. A process that has imported ``refs.losses`` (importing any
loss-using part of ``refs`` does) loads a saved model with ``keras.models.load_model(path)``,
no ``custom_objects`` needed.

Usage::

    from refs import losses
    model.compile(optimizer="adam", loss=losses.Huber(delta=0.5))

    from refs.losses import Huber, get_loss_pair
    d_loss, g_loss = get_loss_pair("non-saturating")

Input checks run on eager inputs only (see :mod:`refs.losses.validation`).
"""

from refs.losses import validation
from refs.losses.adversarial import (
    LOSS_NAMES,
    DiscriminatorLoss,
    DiscriminatorMinimaxLoss,
    GeneratorLoss,
    GeneratorNonSaturatingLoss,
    GeneratorSaturatingLoss,
    HingeDiscriminatorLoss,
    HingeGeneratorLoss,
    LeastSquaresDiscriminatorLoss,
    LeastSquaresGeneratorLoss,
    WassersteinCriticLoss,
    WassersteinGeneratorLoss,
    discriminator_minimax_loss,
    generator_non_saturating_loss,
    generator_saturating_loss,
    get_loss_pair,
    gradient_penalty,
    hinge_discriminator_loss,
    hinge_generator_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from refs.losses.base import EPSILON, Loss
from refs.losses.boxes import (
    giou_loss,
)
from refs.losses.focal import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    SigmoidFocalCrossEntropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    sigmoid_focal_crossentropy,
)
from refs.losses.margin import (
    CategoricalHinge,
    ExponentialLoss,
    Hinge,
    LogisticLoss,
    SquaredHinge,
    categorical_hinge,
    exponential_loss,
    hinge,
    logistic_loss,
    squared_hinge,
)
from refs.losses.probabilistic import (
    BalancedBinaryCrossentropy,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    WeightedBinaryCrossentropy,
    balanced_binary_crossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
    weighted_binary_crossentropy,
)
from refs.losses.regression import (
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from refs.losses.similarity import (
    CosineDistance,
    CosineSimilarity,
    cosine_distance,
    cosine_similarity,
)

__all__ = [
    "BalancedBinaryCrossentropy",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalHinge",
    "CosineDistance",
    "CosineSimilarity",
    "DiscriminatorLoss",
    "DiscriminatorMinimaxLoss",
    "EPSILON",
    "ExponentialLoss",
    "GeneratorLoss",
    "GeneratorNonSaturatingLoss",
    "GeneratorSaturatingLoss",
    "Hinge",
    "HingeDiscriminatorLoss",
    "HingeGeneratorLoss",
    "Huber",
    "KLDivergence",
    "LOSS_NAMES",
    "LeastSquaresDiscriminatorLoss",
    "LeastSquaresGeneratorLoss",
    "LogCosh",
    "LogisticLoss",
    "Loss",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SigmoidFocalCrossEntropy",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "WassersteinCriticLoss",
    "WassersteinGeneratorLoss",
    "WeightedBinaryCrossentropy",
    "balanced_binary_crossentropy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "cosine_distance",
    "cosine_similarity",
    "discriminator_minimax_loss",
    "exponential_loss",
    "generator_non_saturating_loss",
    "generator_saturating_loss",
    "get_loss_pair",
    "giou_loss",
    "gradient_penalty",
    "hinge",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "huber",
    "kl_divergence",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "log_cosh",
    "logistic_loss",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sigmoid_focal_crossentropy",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "validation",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
    "weighted_binary_crossentropy",
]
