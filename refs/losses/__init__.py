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
:mod:`refs.losses.regression`      MSE, MAE, MAPE, MSLE, Huber, log-cosh, pinball (tfa)
:mod:`refs.losses.probabilistic`   binary / weighted / balanced BCE, categorical and sparse
                                   cross-entropy (``ignore_class``), generalized
                                   cross-entropy, KL divergence, Poisson
:mod:`refs.losses.sequence`        CTC (Keras 3's labels and logits conventions)
:mod:`refs.losses.segmentation`    Dice, Tversky (Keras 3 and smp), Jaccard, focal Tversky,
                                   Lovász, MCC, smp's soft BCE / CE (channels-last masks)
:mod:`refs.losses.similarity`      cosine similarity (Keras's negative cosine), cosine distance
:mod:`refs.losses.focal`           focal losses: keras-cv's ``FocalLoss``, sigmoid (tfa), binary,
                                   categorical (Keras) and sparse categorical; CenterNet's
                                   penalty-reduced focal loss; Poly-1 (cross-entropy, focal);
                                   class-balanced weights and the ``ClassBalanced`` wrapper
:mod:`refs.losses.margin`          hinge, squared hinge, logistic, exponential, categorical hinge
:mod:`refs.losses.boxes`           IoU, GIoU (tfa and keras-cv), DIoU, CIoU box losses in any
                                   ``bounding_box_format``, smooth L1, and the IoU geometry
:mod:`refs.losses.metric_learning` tfa's triplet (semi-hard, hard), contrastive, lifted
                                   structure, N-pairs losses; Keras 3's circle loss
:mod:`refs.losses.sparsemax`       ``sparsemax`` and tfa's sparsemax loss
:mod:`refs.losses.ordinal`         tfa's weighted kappa loss
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
    CIoULoss,
    DIoULoss,
    GIoULoss,
    IoULoss,
    SmoothL1Loss,
    ciou_loss,
    diou_loss,
    generalized_iou_loss,
    giou_loss,
    iou_loss,
    smooth_l1_loss,
)
from refs.losses.focal import (
    BinaryFocalCrossentropy,
    BinaryPenaltyReducedFocalCrossEntropy,
    CategoricalFocalCrossentropy,
    ClassBalanced,
    FocalLoss,
    Poly1CrossEntropy,
    Poly1FocalLoss,
    SigmoidFocalCrossEntropy,
    SparseCategoricalFocalCrossentropy,
    binary_focal_crossentropy,
    binary_penalty_reduced_focal_cross_entropy,
    categorical_focal_crossentropy,
    class_balanced_loss,
    class_balanced_weights,  # noqa: F401  (not a loss: outside __all__, which the bench replays)
    focal_loss,
    poly1_cross_entropy,
    poly1_focal,
    sigmoid_focal_crossentropy,
    sparse_categorical_focal_crossentropy,
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
from refs.losses.metric_learning import (
    Circle,
    ContrastiveLoss,
    LiftedStructLoss,
    NpairsLoss,
    NpairsMultilabelLoss,
    TripletHardLoss,
    TripletSemiHardLoss,
    circle,
    contrastive_loss,
    lifted_struct_loss,
    npairs_loss,
    npairs_multilabel_loss,
    triplet_hard_loss,
    triplet_semihard_loss,
)
from refs.losses.ordinal import WeightedKappaLoss, weighted_kappa_loss
from refs.losses.probabilistic import (
    BalancedBinaryCrossentropy,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    WeightedBinaryCrossentropy,
    balanced_binary_crossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    categorical_generalized_cross_entropy,
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
    PinballLoss,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    pinball_loss,
)
from refs.losses.segmentation import (
    MCC,
    Dice,
    FocalTversky,
    Jaccard,
    Lovasz,
    SoftBinaryCrossentropy,
    SoftCategoricalCrossentropy,
    Tversky,
    dice,
    focal_tversky,
    jaccard,
    lovasz,
    mcc,
    soft_binary_crossentropy,
    soft_categorical_crossentropy,
    tversky,
)
from refs.losses.sequence import CTC, ctc
from refs.losses.similarity import (
    CosineDistance,
    CosineSimilarity,
    cosine_distance,
    cosine_similarity,
)
from refs.losses.sparsemax import SparsemaxLoss, sparsemax, sparsemax_loss

__all__ = [
    "CTC",
    "MCC",
    "BalancedBinaryCrossentropy",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalFocalCrossentropy",
    "CategoricalHinge",
    "CosineDistance",
    "CosineSimilarity",
    "Dice",
    "DiscriminatorLoss",
    "DiscriminatorMinimaxLoss",
    "EPSILON",
    "ExponentialLoss",
    "FocalTversky",
    "GeneratorLoss",
    "GeneratorNonSaturatingLoss",
    "GeneratorSaturatingLoss",
    "Hinge",
    "HingeDiscriminatorLoss",
    "HingeGeneratorLoss",
    "Huber",
    "Jaccard",
    "KLDivergence",
    "LOSS_NAMES",
    "LeastSquaresDiscriminatorLoss",
    "LeastSquaresGeneratorLoss",
    "LogCosh",
    "LogisticLoss",
    "Loss",
    "Lovasz",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SigmoidFocalCrossEntropy",
    "SoftBinaryCrossentropy",
    "SoftCategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
    "WassersteinCriticLoss",
    "WassersteinGeneratorLoss",
    "WeightedBinaryCrossentropy",
    "balanced_binary_crossentropy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "cosine_distance",
    "cosine_similarity",
    "ctc",
    "dice",
    "discriminator_minimax_loss",
    "exponential_loss",
    "focal_tversky",
    "generator_non_saturating_loss",
    "generator_saturating_loss",
    "get_loss_pair",
    "giou_loss",
    "gradient_penalty",
    "hinge",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "huber",
    "jaccard",
    "kl_divergence",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "log_cosh",
    "logistic_loss",
    "lovasz",
    "mcc",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sigmoid_focal_crossentropy",
    "soft_binary_crossentropy",
    "soft_categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "tversky",
    "validation",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
    "weighted_binary_crossentropy",
    "Circle",
    "ContrastiveLoss",
    "LiftedStructLoss",
    "NpairsLoss",
    "NpairsMultilabelLoss",
    "PinballLoss",
    "SparsemaxLoss",
    "TripletHardLoss",
    "TripletSemiHardLoss",
    "WeightedKappaLoss",
    "circle",
    "contrastive_loss",
    "lifted_struct_loss",
    "npairs_loss",
    "npairs_multilabel_loss",
    "pinball_loss",
    "sparsemax",
    "sparsemax_loss",
    "triplet_hard_loss",
    "triplet_semihard_loss",
    "weighted_kappa_loss",
    "CIoULoss",
    "DIoULoss",
    "GIoULoss",
    "IoULoss",
    "SmoothL1Loss",
    "ciou_loss",
    "diou_loss",
    "generalized_iou_loss",
    "iou_loss",
    "smooth_l1_loss",
    "BinaryPenaltyReducedFocalCrossEntropy",
    "ClassBalanced",
    "FocalLoss",
    "Poly1CrossEntropy",
    "Poly1FocalLoss",
    "SparseCategoricalFocalCrossentropy",
    "binary_penalty_reduced_focal_cross_entropy",
    "class_balanced_loss",
    "focal_loss",
    "poly1_cross_entropy",
    "poly1_focal",
    "sparse_categorical_focal_crossentropy",
]
