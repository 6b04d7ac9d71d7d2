"""refs.classic.losses: the classic losses, each a function and a ``keras.losses.Loss`` class.

Each function takes ``(y_true, y_pred, **hyperparameters)`` and returns the per-sample loss (the
last axis reduced); each class wraps one function, adds ``sample_weight`` / ``reduction`` and is
serializable. Class names follow ``keras.losses`` where Keras has the loss.

Saving and loading: every class and every loss function is registered as ``"refs>Name"``; a
process that has imported ``refs.classic.losses`` loads a saved model with
``keras.models.load_model(path)``, no ``custom_objects`` needed (without that import Keras
cannot find the classes, and a model compiled with one of our functions would otherwise fall
back to a Keras function of the same name).

Input checks run on eager inputs only (see :mod:`refs.classic.losses.validation`).
"""

from refs.losses import validation
from refs.losses.base import EPSILON, Loss
from refs.losses.probabilistic import (
    BalancedBinaryCrossentropy,
    BinaryCrossentropy,
    WeightedBinaryCrossentropy,
    balanced_binary_crossentropy,
    binary_crossentropy,
    weighted_binary_crossentropy,
)
from refs.losses.categorical import (
    CategoricalCrossentropy,
    CosineDistance,
    CosineSimilarity,
    KLDivergence,
    SparseCategoricalCrossentropy,
    categorical_crossentropy,
    cosine_distance,
    cosine_similarity,
    kl_divergence,
    sparse_categorical_crossentropy,
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
from refs.losses.regression import (
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
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
    "EPSILON",
    "ExponentialLoss",
    "Hinge",
    "Huber",
    "KLDivergence",
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
    "WeightedBinaryCrossentropy",
    "balanced_binary_crossentropy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "cosine_distance",
    "cosine_similarity",
    "exponential_loss",
    "hinge",
    "huber",
    "kl_divergence",
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
    "weighted_binary_crossentropy",
]
