"""Bad library calls: does every loss of refs.losses (and DetectionLoss) fail clearly or compute?

Replays several hundred wrong calls -- NaN and +-inf inputs, wrong shapes and ranks, scalars,
empty axes, out-of-range labels, strings, ragged lists and ``None`` as inputs, mismatched
dtypes, wrong-type / NaN / infinite / out-of-range hyperparameters, bad ``axis``, ``reduction``,
``name``, ``dtype`` and ``sample_weight`` -- against every public loss function and class of
:mod:`refs.losses` and :class:`refs.detection.loss.DetectionLoss`, and classifies each outcome:

- ``error``: a ``ValueError`` / ``TypeError`` raised by refs (not from deep inside TensorFlow,
  Keras or numpy) whose message names the bad argument -- for a call that is wrong;
- ``value``: a finite result equal to the reference -- for a call that is odd but well defined
  (an infinite logit on the side of its label, float64 targets with float32 predictions, an
  empty batch...);
- a defect, anything else: a NaN/inf output, an accepted wrong call, an exception of another
  type, an error raised deep inside a dependency, a message that names no argument, an error
  for a well-defined call, a hyperparameter error that only shows at call time, a wrong value.

Usage::

    python bench/robustness_library.py [--json bench/results/robustness_library.json]
        [--only huber,Huber] [--show-defects]

The summary table goes to stdout; the JSON holds every case and its outcome. Target: 0 defects.
``tests/test_losses_bad_inputs.py`` runs a representative subset (``representative_cases``).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import sys
import time
import traceback
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from refs import losses as L  # noqa: E402
from refs.detection.loss import DetectionLoss  # noqa: E402

N, C = 4, 3
REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "robustness_library.json"
BIG = 1e30  # the finite stand-in for an infinite logit in the reference calls

# --------------------------------------------------------------------------- valid inputs


def _rng():
    return np.random.default_rng(0)


def valid_inputs(kind: str) -> tuple[np.ndarray, ...]:
    """A well-formed ``(y_true, y_pred)`` (or the GAN's logits) of the given kind, float32."""
    rng = _rng()
    f = np.float32
    if kind == "regression":
        return rng.normal(size=(N, C)).astype(f), rng.normal(size=(N, C)).astype(f)
    if kind == "positive":
        return rng.uniform(0.5, 2, (N, C)).astype(f), rng.uniform(0.5, 2, (N, C)).astype(f)
    if kind in ("binary_prob", "binary_logit"):
        y = np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0]], f)
        if kind == "binary_prob":
            return y, rng.uniform(0.05, 0.95, (N, C)).astype(f)
        return y, rng.normal(0, 2, (N, C)).astype(f)
    if kind in ("cat_prob", "cat_logit", "cat_scores"):
        y = np.eye(C, dtype=f)[[0, 2, 1, 2]]
        logits = rng.normal(0, 2, (N, C)).astype(f)
        if kind == "cat_prob":
            p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
            return y, p.astype(f)
        return y, logits
    if kind in ("sparse_prob", "sparse_logit"):
        labels = np.array([0, 2, 1, 2])
        logits = rng.normal(0, 2, (N, C)).astype(f)
        if kind == "sparse_prob":
            return labels, (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype(f)
        return labels, logits
    if kind == "ctc":  # labels (N, 2) 0-padded, logits (N, T=5, C)
        return np.array([[1, 2], [2, 0], [1, 1], [0, 0]]), rng.normal(0, 2, (N, 5, C)).astype(f)
    if kind in ("metric", "similarity"):  # labels (N,), embeddings (N, C) / similarities (N, N)
        labels = np.array([0, 0, 1, 1])
        if kind == "similarity":
            return labels, rng.normal(0, 2, (N, N)).astype(f)
        emb = rng.normal(size=(N, C))
        return labels, (emb / np.linalg.norm(emb, axis=1, keepdims=True)).astype(f)
    if kind == "multilabel":  # multi-hot (N, 2), similarities (N, N)
        return np.array([[1, 0], [1, 1], [0, 1], [0, 1]]), rng.normal(0, 2, (N, N)).astype(f)
    if kind == "pair_distance":  # similar (1) / dissimilar (0) pairs, distances: (N, 1)
        return np.array([[1], [0], [1], [0]], f), rng.uniform(0.1, 2, (N, 1)).astype(f)
    if kind == "logits_one":  # sparsemax(logits)
        return (rng.normal(0, 2, (N, C)).astype(f),)
    if kind == "sparsemax_triple":  # sparsemax_loss(logits, sparsemax(logits), labels)
        logits = rng.normal(0, 2, (N, C)).astype(f)
        return logits, np.asarray(L.sparsemax(logits)), np.eye(C, dtype=f)[[0, 2, 1, 2]]
    if kind == "margin":
        y = np.array([[1, -1, 1], [-1, -1, 1], [1, 1, -1], [-1, 1, -1]], f)
        return y, rng.normal(0, 2, (N, C)).astype(f)
    if kind == "boxes":
        lo = rng.uniform(0, 5, (N, 2))
        true = np.concatenate([lo, lo + rng.uniform(1, 3, (N, 2))], -1).astype(f)
        plo = lo + rng.uniform(-1, 1, (N, 2))
        pred = np.concatenate([plo, plo + rng.uniform(1, 3, (N, 2))], -1).astype(f)
        return true, pred
    if kind == "gan_pair":
        return rng.normal(0, 2, (N, 1)).astype(f), rng.normal(0, 2, (N, 1)).astype(f)
    if kind == "gan_one":
        return (rng.normal(0, 2, (N, 1)).astype(f),)
    if kind == "gradients":
        return (rng.normal(size=(N, 2, 2, 1)).astype(f),)
    raise ValueError(kind)


# --------------------------------------------------------------------------- the catalogue


@dataclass
class Hyper:
    """A hyperparameter: its kind decides the bad values tried."""

    kind: str  # "unit" [0,1], "nonneg", "positive", "bool", "axis", "choice"
    per_class: bool = False  # may be one value per class (broadcast against the last axis)
    choices: tuple = ()


@dataclass
class Spec:
    """One loss: its function and/or class, valid inputs and what is odd-but-defined for it."""

    fn: str | None
    cls: str | None
    inputs: str
    hyper: dict[str, Hyper] = field(default_factory=dict)
    fixed: dict = field(default_factory=dict)  # keyword arguments of the valid call
    # where an infinite value of the LAST positional argument still gives a finite loss:
    # "binary" (+inf where y = 1, -inf where y = 0), "margin" (+inf where y = 1, -inf where
    # y = -1), "categorical" (-inf where y_c = 0; +inf in the target class), None: nowhere.
    inf_ok: str | None = None
    # per-argument infinities allowed for the GAN losses: {arg index: "+" / "-"}
    gan_inf: dict = field(default_factory=dict)
    # (label, mutate(args) -> args, names) calls with labels / values outside the domain
    out_of_range: list = field(default_factory=list)
    empty_ok: bool = True  # an empty batch is well defined


def _set(a, index, value):
    a = np.array(a, copy=True)
    a[index] = value
    return a


def _replace(args, i, value):
    args = list(args)
    args[i] = value
    return tuple(args)


BINARY_OOR = [
    ("y_true=2", lambda a: _replace(a, 0, _set(a[0], (0, 0), 2.0)), ("y_true",)),
    ("y_true=-1", lambda a: _replace(a, 0, _set(a[0], (0, 0), -1.0)), ("y_true",)),
]
PROB_OOR = [
    ("y_pred=1.5", lambda a: _replace(a, 1, _set(a[1], (0, 0), 1.5)), ("y_pred",)),
    ("y_pred=-0.2", lambda a: _replace(a, 1, _set(a[1], (0, 0), -0.2)), ("y_pred",)),
]
CAT_OOR = [
    ("y_true=2", lambda a: _replace(a, 0, _set(a[0], (0, 0), 2.0)), ("y_true",)),
    ("integer labels to categorical", lambda a: (np.array([0, 2, 1, 2]), a[1]), ("y_true",)),
]
SPARSE_OOR = [
    ("label=C", lambda a: _replace(a, 0, _set(a[0], 0, C)), ("y_true",)),
    ("label=-1", lambda a: _replace(a, 0, _set(a[0], 0, -1)), ("y_true",)),
    ("label=0.5", lambda a: _replace(a, 0, _set(a[0].astype("float32"), 0, 0.5)), ("y_true",)),
    ("one-hot labels to sparse", lambda a: (np.eye(C, dtype="float32")[a[0]], a[1]),
     ("y_true",)),
    ("y_pred without a class axis", lambda a: (a[0], a[1][:, 0]), ("y_pred", "y_true")),
]
MARGIN_OOR = [
    ("labels -1/0/1 mixed", lambda a: _replace(a, 0, _set(a[0], (0, 0), 0.0)), ("y_true",)),
    ("label=0.5", lambda a: _replace(a, 0, _set(a[0], (0, 0), 0.5)), ("y_true",)),
]

CE = {"from_logits": Hyper("bool"), "label_smoothing": Hyper("unit"), "axis": Hyper("axis")}
TRIPLET = {"margin": Hyper("nonneg"),
           "distance_metric": Hyper("choice", choices=("L2", "squared-L2", "angular"))}
BOX_HYPER = {"bounding_box_format": Hyper("choice", choices=("xyxy", "yxyx", "xywh",
                                                             "center_xywh", "center_yxhw")),
             "axis": Hyper("axis")}
BOX_OOR = [
    ("3 coordinates", lambda a: (a[0][:, :3], a[1][:, :3]), ("y_true", "y_pred")),
    ("x_max < x_min", lambda a: (a[0], a[1][:, [2, 1, 0, 3]]), ("y_pred",)),
]

SPECS = [
    Spec("mean_squared_error", "MeanSquaredError", "regression"),
    Spec("mean_absolute_error", "MeanAbsoluteError", "regression"),
    Spec("mean_absolute_percentage_error", "MeanAbsolutePercentageError", "positive"),
    Spec("mean_squared_logarithmic_error", "MeanSquaredLogarithmicError", "positive",
         out_of_range=[("y_true<0", lambda a: _replace(a, 0, _set(a[0], (0, 0), -1.0)),
                        ("y_true",))]),
    Spec("huber", "Huber", "regression", {"delta": Hyper("positive")}),
    Spec("log_cosh", "LogCosh", "regression"),
    Spec("poisson", "Poisson", "positive",
         out_of_range=[("y_pred<0", lambda a: _replace(a, 1, _set(a[1], (0, 0), -1.0)),
                        ("y_pred",))]),
    Spec("binary_crossentropy", "BinaryCrossentropy", "binary_prob", dict(CE),
         out_of_range=BINARY_OOR + PROB_OOR),
    Spec("binary_crossentropy", "BinaryCrossentropy", "binary_logit", dict(CE),
         fixed={"from_logits": True}, inf_ok="binary", out_of_range=BINARY_OOR),
    Spec("weighted_binary_crossentropy", "WeightedBinaryCrossentropy", "binary_logit",
         {"pos_weight": Hyper("positive", per_class=True), "from_logits": Hyper("bool"),
          "axis": Hyper("axis")}, fixed={"from_logits": True}, inf_ok="binary",
         out_of_range=BINARY_OOR),
    Spec("balanced_binary_crossentropy", "BalancedBinaryCrossentropy", "binary_prob",
         {"beta": Hyper("unit"), "from_logits": Hyper("bool"), "axis": Hyper("axis")},
         out_of_range=BINARY_OOR + PROB_OOR),
    Spec("categorical_crossentropy", "CategoricalCrossentropy", "cat_prob", dict(CE),
         out_of_range=CAT_OOR + PROB_OOR),
    Spec("categorical_crossentropy", "CategoricalCrossentropy", "cat_logit", dict(CE),
         fixed={"from_logits": True}, inf_ok="categorical", out_of_range=CAT_OOR),
    Spec("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", "sparse_prob",
         {"from_logits": Hyper("bool"), "axis": Hyper("axis")},
         out_of_range=SPARSE_OOR + PROB_OOR),
    Spec("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", "sparse_logit",
         {"from_logits": Hyper("bool"), "axis": Hyper("axis")}, fixed={"from_logits": True},
         inf_ok="sparse", out_of_range=SPARSE_OOR),
    Spec("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", "sparse_logit",
         {"from_logits": Hyper("bool"), "axis": Hyper("axis")},
         fixed={"from_logits": True, "ignore_class": 255}, inf_ok="sparse",
         out_of_range=SPARSE_OOR),
    Spec("categorical_generalized_cross_entropy", "CategoricalGeneralizedCrossEntropy",
         "sparse_prob", {"q": Hyper("unit")}, out_of_range=SPARSE_OOR + PROB_OOR),
    Spec("ctc", "CTC", "ctc",
         out_of_range=[("label=C", lambda a: _replace(a, 0, _set(a[0], (0, 0), C)), ("y_true",)),
                       ("label=-1", lambda a: _replace(a, 0, _set(a[0], (0, 0), -1)),
                        ("y_true",)),
                       ("label after the padding",
                        lambda a: (np.array([[1, 2], [0, 2], [1, 1], [0, 0]]), a[1]),
                        ("y_true",)),
                       ("label longer than the frames",
                        lambda a: (np.array([[1, 1, 1, 1]] * N), a[1]), ("y_true",))]),
    Spec("kl_divergence", "KLDivergence", "cat_prob",
         out_of_range=PROB_OOR + [("y_true<0", lambda a: _replace(a, 0, _set(a[0], (0, 0),
                                                                              -0.1)),
                                   ("y_true",))]),
    Spec("cosine_similarity", "CosineSimilarity", "regression", {"axis": Hyper("axis")}),
    Spec("cosine_distance", "CosineDistance", "regression", {"axis": Hyper("axis")}),
    Spec("sigmoid_focal_crossentropy", "SigmoidFocalCrossEntropy", "binary_logit",
         {"alpha": Hyper("unit"), "gamma": Hyper("nonneg"), "from_logits": Hyper("bool"),
          "strict": Hyper("bool")}, fixed={"from_logits": True}, inf_ok="binary",
         out_of_range=BINARY_OOR),
    Spec("sigmoid_focal_crossentropy", "SigmoidFocalCrossEntropy", "binary_prob",
         {"alpha": Hyper("unit"), "gamma": Hyper("nonneg")}, out_of_range=PROB_OOR),
    Spec("binary_focal_crossentropy", "BinaryFocalCrossentropy", "binary_prob",
         {"apply_class_balancing": Hyper("bool"), "alpha": Hyper("unit"),
          "gamma": Hyper("nonneg"), "from_logits": Hyper("bool"),
          "label_smoothing": Hyper("unit"), "axis": Hyper("axis")},
         out_of_range=BINARY_OOR + PROB_OOR),
    Spec("binary_focal_crossentropy", "BinaryFocalCrossentropy", "binary_logit",
         {"gamma": Hyper("nonneg")}, fixed={"from_logits": True}, inf_ok="binary"),
    Spec("categorical_focal_crossentropy", "CategoricalFocalCrossentropy", "cat_prob",
         {"alpha": Hyper("unit", per_class=True), "gamma": Hyper("nonneg"),
          "from_logits": Hyper("bool"), "label_smoothing": Hyper("unit"),
          "axis": Hyper("axis")}, out_of_range=CAT_OOR + PROB_OOR),
    Spec("categorical_focal_crossentropy", "CategoricalFocalCrossentropy", "cat_logit",
         {"alpha": Hyper("unit", per_class=True)}, fixed={"from_logits": True},
         inf_ok="categorical"),
    Spec("hinge", "Hinge", "margin", inf_ok="margin", out_of_range=MARGIN_OOR),
    Spec("squared_hinge", "SquaredHinge", "margin", inf_ok="margin", out_of_range=MARGIN_OOR),
    Spec("logistic_loss", "LogisticLoss", "margin", inf_ok="margin", out_of_range=MARGIN_OOR),
    Spec("exponential_loss", "ExponentialLoss", "margin", inf_ok="margin",
         out_of_range=MARGIN_OOR),
    Spec("categorical_hinge", "CategoricalHinge", "cat_scores", inf_ok="categorical",
         out_of_range=[("y_true=2", lambda a: _replace(a, 0, _set(a[0], (0, 0), 2.0)),
                        ("y_true",))]),
    Spec("giou_loss", None, "boxes", {"mode": Hyper("choice", choices=("giou", "iou"))},
         out_of_range=[("3 coordinates", lambda a: (a[0][:, :3], a[1][:, :3]),
                        ("y_true", "y_pred"))]),
    Spec("iou_loss", "IoULoss", "boxes", dict(BOX_HYPER, mode=Hyper(
        "choice", choices=("linear", "quadratic", "log"))), out_of_range=BOX_OOR),
    Spec("generalized_iou_loss", "GIoULoss", "boxes", dict(BOX_HYPER, mode=Hyper(
        "choice", choices=("giou", "iou"))), out_of_range=BOX_OOR),
    Spec("diou_loss", "DIoULoss", "boxes", dict(BOX_HYPER), out_of_range=BOX_OOR),
    Spec("ciou_loss", "CIoULoss", "boxes", dict(BOX_HYPER), fixed={"bounding_box_format": "xyxy"},
         out_of_range=BOX_OOR),
    Spec("smooth_l1_loss", "SmoothL1Loss", "regression", {"l1_cutoff": Hyper("positive")}),
    # refs.losses.focal: keras-cv's focal loss, CenterNet's, sparse focal, Poly-1, balanced
    Spec("focal_loss", "FocalLoss", "binary_prob",
         {"alpha": Hyper("unit"), "gamma": Hyper("nonneg"), "from_logits": Hyper("bool"),
          "label_smoothing": Hyper("unit"), "axis": Hyper("axis")},
         out_of_range=BINARY_OOR + PROB_OOR),
    Spec("focal_loss", "FocalLoss", "binary_logit", {"gamma": Hyper("nonneg")},
         fixed={"from_logits": True}, inf_ok="binary", out_of_range=BINARY_OOR),
    Spec("binary_penalty_reduced_focal_cross_entropy", "BinaryPenaltyReducedFocalCrossEntropy",
         "binary_prob",
         {"alpha": Hyper("nonneg"), "beta": Hyper("nonneg"), "from_logits": Hyper("bool"),
          "positive_threshold": Hyper("unit"), "positive_weight": Hyper("nonneg"),
          "negative_weight": Hyper("nonneg")}, out_of_range=BINARY_OOR + PROB_OOR),
    Spec("sparse_categorical_focal_crossentropy", "SparseCategoricalFocalCrossentropy",
         "sparse_prob", {"alpha": Hyper("unit", per_class=True), "gamma": Hyper("nonneg"),
                         "from_logits": Hyper("bool"), "axis": Hyper("axis")},
         out_of_range=SPARSE_OOR + PROB_OOR),
    Spec("sparse_categorical_focal_crossentropy", "SparseCategoricalFocalCrossentropy",
         "sparse_logit", {"alpha": Hyper("unit", per_class=True)},
         fixed={"from_logits": True, "ignore_class": 255}, inf_ok="sparse",
         out_of_range=SPARSE_OOR),
    Spec("poly1_cross_entropy", "Poly1CrossEntropy", "cat_prob", dict(CE),
         out_of_range=CAT_OOR + PROB_OOR),
    Spec("poly1_cross_entropy", "Poly1CrossEntropy", "cat_logit", {}, fixed={"from_logits": True},
         inf_ok="categorical", out_of_range=CAT_OOR),
    Spec("poly1_focal", "Poly1FocalLoss", "binary_prob",
         {"apply_class_balancing": Hyper("bool"), "alpha": Hyper("unit"),
          "gamma": Hyper("nonneg"), "label_smoothing": Hyper("unit"), "axis": Hyper("axis")},
         out_of_range=BINARY_OOR + PROB_OOR),
    Spec("poly1_focal", "Poly1FocalLoss", "binary_logit", {}, fixed={"from_logits": True},
         inf_ok="binary", out_of_range=BINARY_OOR),
    Spec("class_balanced_loss", "ClassBalanced", "sparse_logit", {"beta": Hyper("unit")},
         fixed={"loss": L.SparseCategoricalCrossentropy(from_logits=True),
                "samples_per_class": [100, 10, 1], "beta": 0.99}, inf_ok="sparse",
         out_of_range=SPARSE_OOR),
    # refs.losses.segmentation: (N, C) inputs as N pixels (binary / multilabel) or N pixels of
    # C classes (multiclass, integer labels).
    Spec("dice", "Dice", "binary_prob", {"axis": Hyper("axis")},
         out_of_range=BINARY_OOR + PROB_OOR),
    Spec("dice", "Dice", "sparse_prob",
         {"from_logits": Hyper("bool"), "smooth": Hyper("nonneg"), "log_loss": Hyper("bool"),
          "eps": Hyper("positive")}, fixed={"mode": "multiclass"},
         out_of_range=SPARSE_OOR + PROB_OOR),
    Spec("tversky", "Tversky", "binary_prob",
         {"alpha": Hyper("nonneg"), "beta": Hyper("nonneg"), "axis": Hyper("axis")},
         out_of_range=BINARY_OOR + PROB_OOR),
    Spec("jaccard", "Jaccard", "binary_logit",
         {"mode": Hyper("choice", choices=("binary", "multiclass", "multilabel")),
          "smooth": Hyper("nonneg"), "log_loss": Hyper("bool"), "eps": Hyper("positive")},
         fixed={"from_logits": True}, out_of_range=BINARY_OOR),
    Spec("focal_tversky", "FocalTversky", "sparse_logit",
         {"alpha": Hyper("nonneg"), "beta": Hyper("nonneg"), "gamma": Hyper("positive")},
         fixed={"mode": "multiclass", "from_logits": True}, out_of_range=SPARSE_OOR),
    Spec("lovasz", "Lovasz", "binary_logit",
         {"mode": Hyper("choice", choices=("binary", "multiclass")),
          "per_image": Hyper("bool")}, out_of_range=BINARY_OOR),
    Spec("lovasz", "Lovasz", "sparse_logit", {"per_image": Hyper("bool")},
         fixed={"mode": "multiclass"}, out_of_range=SPARSE_OOR),
    Spec("mcc", "MCC", "binary_prob", {"eps": Hyper("positive")},
         out_of_range=BINARY_OOR + PROB_OOR),
    Spec("soft_binary_crossentropy", "SoftBinaryCrossentropy", "binary_logit",
         {"smooth_factor": Hyper("unit")}, out_of_range=BINARY_OOR),
    Spec("soft_categorical_crossentropy", "SoftCategoricalCrossentropy", "sparse_logit",
         {"smooth_factor": Hyper("unit")}, out_of_range=SPARSE_OOR),
    Spec("discriminator_minimax_loss", "DiscriminatorMinimaxLoss", "gan_pair",
         {"real_label_smoothing": Hyper("unit")}, gan_inf={0: "+", 1: "-"}),
    Spec("generator_saturating_loss", "GeneratorSaturatingLoss", "gan_one", gan_inf={0: "-"}),
    Spec("generator_non_saturating_loss", "GeneratorNonSaturatingLoss", "gan_one",
         gan_inf={0: "+"}),
    Spec("wasserstein_critic_loss", "WassersteinCriticLoss", "gan_pair"),
    Spec("wasserstein_generator_loss", "WassersteinGeneratorLoss", "gan_one"),
    Spec("least_squares_discriminator_loss", "LeastSquaresDiscriminatorLoss", "gan_pair"),
    Spec("least_squares_generator_loss", "LeastSquaresGeneratorLoss", "gan_one"),
    Spec("hinge_discriminator_loss", "HingeDiscriminatorLoss", "gan_pair",
         gan_inf={0: "+", 1: "-"}),
    Spec("hinge_generator_loss", "HingeGeneratorLoss", "gan_one"),
    Spec("gradient_penalty", None, "gradients"),
    # tfa's metric-learning losses (labels, embeddings) and Keras 3's circle loss
    Spec("triplet_semihard_loss", "TripletSemiHardLoss", "metric", dict(TRIPLET)),
    Spec("triplet_hard_loss", "TripletHardLoss", "metric",
         {**TRIPLET, "soft": Hyper("bool")}),
    Spec("lifted_struct_loss", "LiftedStructLoss", "metric", {"margin": Hyper("nonneg")}),
    Spec("circle", "Circle", "metric", {"gamma": Hyper("positive"), "margin": Hyper("nonneg"),
                                        "remove_diagonal": Hyper("bool")}),
    Spec("npairs_loss", "NpairsLoss", "similarity", empty_ok=False),
    Spec("npairs_multilabel_loss", "NpairsMultilabelLoss", "multilabel", empty_ok=False,
         out_of_range=[("y_true=2", lambda a: _replace(a, 0, _set(a[0], (0, 0), 2)),
                        ("y_true",))]),
    Spec("contrastive_loss", "ContrastiveLoss", "pair_distance", {"margin": Hyper("nonneg")},
         out_of_range=[("y_true=2", lambda a: _replace(a, 0, _set(a[0], 0, 2.0)), ("y_true",)),
                       ("negative distance", lambda a: _replace(a, 1, _set(a[1], 0, -0.5)),
                        ("y_pred",))]),
    # tfa's pinball, sparsemax and weighted kappa losses
    Spec("pinball_loss", "PinballLoss", "regression", {"tau": Hyper("unit", per_class=True)}),
    Spec("sparsemax", None, "logits_one", {"axis": Hyper("axis")}),
    Spec("sparsemax_loss", None, "sparsemax_triple"),
    Spec(None, "SparsemaxLoss", "cat_logit", {"from_logits": Hyper("bool")},
         out_of_range=CAT_OOR),
    Spec("weighted_kappa_loss", "WeightedKappaLoss", "cat_prob",
         {"weightage": Hyper("choice", choices=("linear", "quadratic")),
          "epsilon": Hyper("positive")}, fixed={"num_classes": C},
         out_of_range=CAT_OOR + PROB_OOR),
]

# Class-only hyperparameters (the function has no such argument).
CLASS_HYPER = {
    "CIoULoss": {"eps": Hyper("positive")},
    "WassersteinCriticLoss": {"gradient_penalty_weight": Hyper("nonneg")},
}

# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    target: str  # what is called: a function, a class or "DetectionLoss"
    kind: str  # the mutation, e.g. "nan in y_pred"
    run: Callable[[], object]
    expect: object  # "error", or a callable returning the reference value
    names: tuple[str, ...] = ()  # arguments a clear error may name
    construct: Callable[[], object] | None = None  # class cases: the constructor alone
    rtol: float = 1e-5
    group: str = "input"


def _positional_names(fn) -> list[str]:
    params = inspect.signature(fn).parameters.values()
    return [p.name for p in params
            if p.default is inspect.Parameter.empty and p.kind == p.POSITIONAL_OR_KEYWORD]


def _arg_names(spec: Spec, on_class: bool) -> list[tuple[str, ...]]:
    """For each positional argument: the names a clear error about it may use."""
    if spec.fn is None:  # a class whose loss function has another signature (SparsemaxLoss)
        return [("y_true",), ("y_pred",)]
    fn = getattr(L, spec.fn)
    names = _positional_names(fn)
    out = []
    for i, name in enumerate(names):
        aliases = {name}
        if on_class or spec.inputs.startswith("gan"):
            aliases.add(("y_true", "y_pred")[min(i, 1)] if len(names) > 1 else "y_pred")
        if spec.inputs.startswith("gan"):
            aliases |= {"real_logits", "fake_logits", "real_scores", "fake_scores"}
        out.append(tuple(sorted(aliases)))
    return out


def _callers(spec: Spec):
    """(label, call(args, **hyper), construct(**hyper) or None) for the function and class."""
    out = []
    if spec.fn is not None:
        fn = getattr(L, spec.fn)
        out.append((spec.fn, lambda args, _fn=fn, **kw: _fn(*args, **kw), None))
    if spec.cls is not None:
        cls = getattr(L, spec.cls)

        def call(args, _cls=cls, sample_weight=None, **kw):
            loss = _cls(**kw)
            if sample_weight is None:
                return loss(*args)
            return loss(*args, sample_weight=sample_weight)

        out.append((spec.cls, call, lambda _cls=cls, **kw: _cls(**kw)))
    return out


def _inf_positions(spec: Spec, args) -> list[tuple[str, int, tuple, float, bool]]:
    """(label, arg index, element index, value, defined) infinities to try."""
    out = []
    if spec.inputs.startswith("gan") or spec.inputs == "gradients":
        for i in range(len(args)):
            for sign, value in (("+", np.inf), ("-", -np.inf)):
                ok = spec.gan_inf.get(i) == sign
                out.append((f"{sign}inf in arg {i}", i, (0, 0) if args[i].ndim > 1 else (0,),
                            value, ok))
        return out
    y = args[0]
    last = len(args) - 1
    if spec.inf_ok in ("binary", "margin"):
        pos = tuple(np.argwhere(y == 1)[0])
        neg = tuple(np.argwhere(y == (0 if spec.inf_ok == "binary" else -1))[0])
        out += [("+inf where y=1", last, pos, np.inf, True),
                ("-inf where y=1", last, pos, -np.inf, False),
                ("-inf where y is negative", last, neg, -np.inf, True),
                ("+inf where y is negative", last, neg, np.inf, False)]
    elif spec.inf_ok in ("categorical", "sparse"):
        labels = y if spec.inf_ok == "sparse" else y.argmax(-1)
        target = (0, int(labels[0]))
        other = (0, (int(labels[0]) + 1) % C)
        out += [("+inf in the target class", last, target, np.inf, True),
                ("-inf in another class", last, other, -np.inf, True),
                ("-inf in the target class", last, target, -np.inf, False),
                ("+inf in another class", last, other, np.inf, False)]
    else:
        out += [("+inf in y_pred", last, (0, 0), np.inf, False),
                ("-inf in y_pred", last, (0, 0), -np.inf, False)]
    if np.asarray(y).dtype.kind == "f":
        out.append(("+inf in y_true", 0, (0, 0), np.inf, False))
    return out


def _reference(call, args, **kw):
    return lambda: call(args, **kw)


def input_cases(spec: Spec) -> list[Case]:
    args = valid_inputs(spec.inputs)
    cases = []
    for target, call, _ in _callers(spec):
        on_class = target == spec.cls
        names = _arg_names(spec, on_class)
        kw = dict(spec.fixed)
        label = f"{target}({spec.inputs})"

        def add(kind, mutated, expect, arg_names=(), rtol=1e-5, _call=call, _kw=kw,
                _label=label):
            cases.append(Case(_label, kind, lambda: _call(mutated, **_kw), expect,
                              tuple(arg_names), rtol=rtol))

        # the valid call itself must work (a sanity row, counted like the others)
        add("valid call", args, _reference(call, args, **kw))
        for i, arg in enumerate(args):
            if np.asarray(arg).dtype.kind == "f":
                add(f"NaN in arg {i}", _replace(args, i, _set(arg, (0,) * arg.ndim, np.nan)),
                    "error", names[i])
            add(f"strings as arg {i}", _replace(args, i, np.full(np.shape(arg), "a")),
                "error", names[i])
            add(f"None as arg {i}", _replace(args, i, None), "error", names[i])
            add(f"ragged list as arg {i}", _replace(args, i, [[1.0, 2.0], [3.0]]), "error",
                names[i])
        for kind, i, index, value, defined in _inf_positions(spec, args):
            mutated = _replace(args, i, _set(args[i], index, value))
            if defined:
                stand_in = _replace(args, i, _set(args[i], index, np.sign(value) * BIG))
                add(kind, mutated, _reference(call, stand_in, **kw))
            else:
                add(kind, mutated, "error", names[i])
        # shapes and ranks
        all_names = tuple(sorted(set(sum(names, ()))))
        if spec.inputs not in ("gan_one", "gradients", "logits_one"):
            last = len(args) - 1
            wider = np.concatenate([args[last], args[last][..., :1]], -1)
            if not spec.inputs.startswith(("sparse", "ctc", "metric")):  # (one more class or
                # embedding dimension is valid)
                add("wrong last dimension", _replace(args, last, wider), "error", all_names)
            add("extra axis on arg 0", _replace(args, 0, np.stack([args[0]] * 2, -1)),
                "error", all_names)
            add("fewer rows in arg 0", _replace(args, 0, args[0][:-1]), "error", all_names)
        add("scalars", tuple(np.float32(0.5) for _ in args), "error", all_names)
        if spec.inputs not in ("sparse_prob", "sparse_logit", "gradients"):
            add("empty last axis", tuple(np.zeros((N, 0), "float32") for _ in args), "error",
                all_names)
        if spec.empty_ok:
            empty = tuple(np.asarray(a)[:0] for a in args)
            add("empty batch", empty, "finite")
        # dtypes
        add("float64 y_true / float32 y_pred" if len(args) > 1 else "float64 input",
            tuple(np.asarray(a, "float64") if i == 0 and np.asarray(a).dtype.kind == "f"
                  else a for i, a in enumerate(args)),
            _reference(call, args, **kw))
        add("float16 inputs", tuple(np.asarray(a, "float16") if np.asarray(a).dtype.kind == "f"
                                    else a for a in args),
            _reference(call, args, **kw), rtol=2e-2)
        if spec.inputs in ("binary_prob", "binary_logit"):
            add("bool y_true", _replace(args, 0, args[0].astype(bool)),
                _reference(call, args, **kw))
            add("int y_true", _replace(args, 0, args[0].astype("int32")),
                _reference(call, args, **kw))
        if spec.inputs in ("regression", "margin", "cat_scores"):
            rounded = tuple(np.round(a) for a in args)
            add("int inputs", tuple(a.astype("int64") for a in rounded),
                _reference(call, rounded, **kw))
        for kind, mutate, bad in spec.out_of_range:
            add(kind, mutate(args), "error", bad)
        if on_class:
            sw = np.ones(len(args[0]), "float32")
            add_sw = [("NaN sample_weight", _set(sw, 0, np.nan)),
                      ("inf sample_weight", _set(sw, 0, np.inf)),
                      ("sample_weight of the wrong length", sw[:-1]),
                      ("string sample_weight", np.full(sw.shape, "a"))]
            for kind, weight in add_sw:
                cases.append(Case(label, kind,
                                  lambda _w=weight, _call=call, _kw=kw: _call(
                                      args, sample_weight=_w, **_kw),
                                  "error", ("sample_weight",)))
    return cases


def _bad_values(h: Hyper) -> list[tuple[str, object, bool]]:
    """(label, value, at_call) bad values of one hyperparameter; ``at_call``: a class can only
    detect it when called (it depends on the inputs' shape), not in its constructor."""
    if h.kind == "bool":
        return [("1 for a bool", 1, False), ("'yes' for a bool", "yes", False),
                ("None for a bool", None, False)]
    if h.kind == "axis":
        return [("axis='x'", "x", False), ("axis=1.5", 1.5, False),
                ("axis=True", True, False), ("axis=5 (out of range)", 5, True)]
    if h.kind == "choice":
        return [("unknown choice", "nope", False), ("None", None, False),
                ("number", 3, False)]
    bad = [("string", "1", False), ("bool", True, False), ("None", None, False),
           ("NaN", float("nan"), False), ("+inf", float("inf"), False)]
    if h.kind == "unit":
        bad += [("-0.1", -0.1, False), ("1.5", 1.5, False)]
    elif h.kind == "nonneg":
        bad += [("-1", -1.0, False)]
    elif h.kind == "positive":
        bad += [("0", 0.0, False), ("-1", -1.0, False)]
    if h.per_class:
        bad += [("wrong number of classes", [0.5] * (C + 1), True),
                ("string list", ["a"] * C, False)]
    return bad


def hyper_cases(spec: Spec) -> list[Case]:
    args = valid_inputs(spec.inputs)
    cases = []
    for target, call, construct in _callers(spec):
        hyper = dict(spec.hyper)
        if construct is not None:
            hyper.update(CLASS_HYPER.get(spec.cls, {}))
        for name, h in hyper.items():
            for label, value, at_call in _bad_values(h):
                kw = {**spec.fixed, name: value}
                ctor = None
                if construct is not None and not at_call:
                    ctor = lambda _kw=kw, _c=construct: _c(**_kw)  # noqa: E731
                cases.append(Case(
                    f"{target}({spec.inputs})", f"{name}: {label}",
                    lambda _kw=kw, _call=call: _call(args, **_kw), "error", (name,),
                    construct=ctor, group="hyperparameter"))
        if construct is not None:
            for name, value in (("reduction", "average"), ("reduction", 3), ("name", 3),
                                ("dtype", "floaty"), ("dtype", "int32")):
                kw = {**spec.fixed, name: value}
                cases.append(Case(
                    f"{target}({spec.inputs})", f"{name}={value!r}",
                    lambda _kw=kw, _call=call: _call(args, **_kw), "error", (name,),
                    construct=lambda _kw=kw, _c=construct: _c(**_kw), group="hyperparameter"))
    return cases


def special_cases() -> list[Case]:
    """get_loss_pair and DetectionLoss."""
    cases = []

    def add(target, kind, run, expect, names=(), construct=None, group="hyperparameter"):
        cases.append(Case(target, kind, run, expect, tuple(names), construct=construct,
                          group=group))

    add("get_loss_pair", "unknown name", lambda: L.get_loss_pair("wasserstein"), "error",
        ("loss", "name"))
    add("get_loss_pair", "name=None", lambda: L.get_loss_pair(None), "error", ("loss", "name"))
    for label, value in (("string", "0.1"), ("NaN", float("nan")), ("1.5", 1.5),
                         ("bool", True)):
        add("get_loss_pair", f"real_label_smoothing: {label}",
            lambda v=value: L.get_loss_pair("minimax", real_label_smoothing=v), "error",
            ("real_label_smoothing",))
    for label, value in (("string", "10"), ("-1", -1.0), ("inf", float("inf")),
                         ("None", None)):
        add("get_loss_pair", f"gradient_penalty_weight: {label}",
            lambda v=value: L.get_loss_pair("wgan-gp", gradient_penalty_weight=v), "error",
            ("gradient_penalty_weight",))
    add("get_loss_pair", "smoothing with hinge", lambda: L.get_loss_pair("hinge", 0.1),
        "error", ("real_label_smoothing",))

    # DetectionLoss: constructor and call.
    def build(**kw):
        return DetectionLoss(**{"num_classes": C, **kw})

    ctor_bad = [
        ("num_classes", 0), ("num_classes", -1), ("num_classes", "3"), ("num_classes", 2.5),
        ("num_classes", True), ("num_classes", None),
        ("cls_loss", "softmax"), ("cls_loss", None), ("box_loss", "l2"), ("box_loss", 3),
        ("alpha", 1.5), ("alpha", -0.1), ("alpha", "0.25"), ("alpha", float("nan")),
        ("alpha", True), ("alpha", None),
        ("gamma", -1.0), ("gamma", "2"), ("gamma", float("inf")), ("gamma", float("nan")),
        ("delta", 0.0), ("delta", -1.0), ("delta", "1"), ("delta", float("nan")),
        ("delta", float("inf")), ("box_weight", -1.0), ("box_weight", "1"),
        ("box_weight", float("nan")), ("anchors", np.zeros((5, 3))),
    ]
    for name, value in ctor_bad:
        add("DetectionLoss", f"{name}={value!r}",
            lambda n=name, v=value: build(**{n: v})(*_detection_inputs()), "error", (name,),
            construct=lambda n=name, v=value: build(**{n: v}))
    add("DetectionLoss", "giou without anchors", lambda: build(box_loss="giou"), "error",
        ("anchors", "box_loss"), construct=lambda: build(box_loss="giou"))

    y_true, y_pred = _detection_inputs()
    loss = build()
    add("DetectionLoss", "valid call", lambda: loss(y_true, y_pred)["loss"],
        lambda: _detection_reference(), group="input")
    call_bad = [
        ("NaN in y_pred", y_true, _set(y_pred, (0, 0, 5), np.nan), ("y_pred",)),
        ("inf in y_pred box", y_true, _set(y_pred, (0, 0, 0), np.inf), ("y_pred",)),
        ("NaN in y_true", _set(y_true, (0, 0, 0), np.nan), y_pred, ("y_true",)),
        ("class id >= num_classes", _set(y_true, (0, 0, 4), C), y_pred, ("y_true",)),
        ("class id -5", _set(y_true, (0, 0, 4), -5), y_pred, ("y_true",)),
        ("class id 0.5", _set(y_true, (0, 0, 4), 0.5), y_pred, ("y_true",)),
        ("y_pred last dim != 4 + C", y_true, y_pred[..., :-1], ("y_pred",)),
        ("y_true last dim != 5", y_true[..., :4], y_pred, ("y_true",)),
        ("anchor count mismatch", y_true[:, :-1], y_pred, ("y_true", "y_pred")),
        ("rank 2 inputs", y_true[0], y_pred[0], ("y_true", "y_pred")),
        ("strings", np.full(y_true.shape, "a"), y_pred, ("y_true",)),
        ("None y_pred", y_true, None, ("y_pred",)),
    ]
    for kind, yt, yp, names in call_bad:
        add("DetectionLoss", kind, lambda a=yt, b=yp: loss(a, b), "error", names,
            group="input")
    add("DetectionLoss", "-inf logit of a class the anchor is not",
        lambda: loss(y_true, _set(y_pred, (0, 1, 4), -np.inf))["loss"],
        lambda: loss(y_true, _set(y_pred, (0, 1, 4), -BIG))["loss"], group="input")
    return cases


def _detection_inputs():
    rng = _rng()
    boxes = rng.normal(0, 0.5, (2, 6, 4)).astype("float32")
    classes = np.array([[0, 2, -1, -1, -2, 1], [-1, -1, -1, 1, -2, -1]], "float32")
    y_true = np.concatenate([boxes, classes[..., None]], -1)
    y_pred = rng.normal(0, 1, (2, 6, 4 + C)).astype("float32")
    return y_true, y_pred


def _detection_reference():
    y_true, y_pred = _detection_inputs()
    return DetectionLoss(C)(y_true, y_pred)["loss"]


def all_cases(only: set[str] | None = None) -> list[Case]:
    cases = []
    for spec in SPECS:
        if only and not ({spec.fn, spec.cls} & only):
            continue
        cases += input_cases(spec) + hyper_cases(spec)
    if not only or only & {"get_loss_pair", "DetectionLoss"}:
        cases += [c for c in special_cases()
                  if not only or c.target in only]
    return cases


def representative_cases() -> list[Case]:
    """A spread of every kind of bad call over every family (a few dozen cases)."""
    picked, seen = [], set()
    for case in all_cases():
        family = case.target.split("(")[-1]
        key = (family, case.kind.split(":")[0].split(" in ")[0], case.group)
        if key in seen:
            continue
        seen.add(key)
        picked.append(case)
    return picked[::6]


# --------------------------------------------------------------------------- classification

DEPENDENCIES = ("site-packages", "dist-packages")


def _origin(err: BaseException) -> str:
    """The file the exception was raised in (its innermost traceback frame)."""
    frames = traceback.extract_tb(err.__traceback__)
    return frames[-1].filename if frames else ""


def _error_outcome(case: Case, err: BaseException) -> tuple[str, str]:
    message = f"{type(err).__name__}: {err}".replace("\n", " ")[:300]
    origin = _origin(err)
    if case.expect != "error":
        return "defect", f"error for a well-defined call ({message})"
    if not isinstance(err, (ValueError, TypeError)):
        return "defect", f"exception of another type ({message})"
    if any(d in origin for d in DEPENDENCIES):
        where = origin.split("site-packages/")[-1]
        return "defect", f"raised deep inside {where} ({message})"
    if case.names and not any(name in str(err) for name in case.names):
        return "defect", f"message names no argument among {case.names} ({message})"
    return "error", message


def classify(case: Case) -> tuple[str, str]:
    """("error" | "value" | "defect", detail) for one case."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if case.construct is not None and case.expect == "error":
            try:
                case.construct()
            except Exception as err:  # the constructor is where it should fail
                return _error_outcome(case, err)
            try:
                case.run()
            except Exception as err:
                outcome, detail = _error_outcome(case, err)
                if outcome == "error":
                    return "defect", f"accepted by the constructor, failed only when called " \
                                     f"({detail})"
                return outcome, detail
            return "defect", "accepted (constructor and call)"
        try:
            out = case.run()
        except Exception as err:
            return _error_outcome(case, err)
        try:
            got = np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float64)
        except Exception:
            if case.expect == "error":
                return "defect", f"accepted silently, returned {type(out).__name__}"
            raise
        if not np.all(np.isfinite(got)):
            return "defect", f"non-finite output {got.ravel()[:6].tolist()}"
        if case.expect == "error":
            return "defect", f"accepted silently, returned {got.ravel()[:4].tolist()}"
        if callable(case.expect):
            want = np.asarray(keras.ops.convert_to_numpy(case.expect()), dtype=np.float64)
            if want.shape != got.shape or not np.allclose(got, want, rtol=case.rtol,
                                                          atol=case.rtol):
                return "defect", f"wrong value {got.ravel()[:4].tolist()} != " \
                                 f"{want.ravel()[:4].tolist()}"
        return "value", f"finite {got.ravel()[:3].tolist()}"


# --------------------------------------------------------------------------- main


def run(cases: list[Case]) -> list[dict]:
    rows = []
    for case in cases:
        outcome, detail = classify(case)
        rows.append({"target": case.target, "kind": case.kind, "group": case.group,
                     "expect": case.expect if isinstance(case.expect, str) else "value",
                     "outcome": outcome, "detail": detail})
    return rows


def summary(rows: list[dict]) -> str:
    by_target = defaultdict(Counter)
    for row in rows:
        by_target[row["target"].split("(")[0]][row["outcome"]] += 1
    lines = [f"{'target':<36} {'calls':>5} {'error':>6} {'value':>6} {'defect':>7}"]
    for target in sorted(by_target):
        c = by_target[target]
        lines.append(f"{target:<36} {sum(c.values()):>5} {c['error']:>6} {c['value']:>6} "
                     f"{c['defect']:>7}")
    total = Counter(row["outcome"] for row in rows)
    lines.append(f"{'TOTAL':<36} {len(rows):>5} {total['error']:>6} {total['value']:>6} "
                 f"{total['defect']:>7}")
    return "\n".join(lines)


def _compact(row: dict) -> dict:
    """A JSON row: the detail (message or value) is kept short, in full for defects."""
    limit = 300 if row["outcome"] == "defect" else 100
    return {**row, "detail": row["detail"][:limit]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--only", default="", help="comma-separated targets")
    parser.add_argument("--show-defects", action="store_true")
    args = parser.parse_args(argv)
    only = {s for s in args.only.split(",") if s} or None
    start = time.perf_counter()
    rows = run(all_cases(only))
    seconds = time.perf_counter() - start
    print(summary(rows))
    defects = [r for r in rows if r["outcome"] == "defect"]
    if args.show_defects:
        for r in defects:
            print(f"DEFECT {r['target']} | {r['kind']} | {r['detail'][:220]}")
    by_reason = Counter(r["detail"].split(" (")[0].split(" [")[0][:60] for r in defects)
    if by_reason:
        print("\ndefects by reason:")
        for reason, count in by_reason.most_common():
            print(f"  {count:>4}  {reason}")
    meta = {"calls": len(rows), "defects": len(defects),
            "outcomes": dict(Counter(r["outcome"] for r in rows)), "seconds": round(seconds, 1),
            "python": platform.python_version(), "keras": keras.__version__,
            "backend": keras.backend.backend(), "numpy": np.__version__,
            "command": "python bench/robustness_library.py " + " ".join(argv or sys.argv[1:])}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    lines = ",\n".join("  " + json.dumps(_compact(r)) for r in rows)
    args.json.write_text(json.dumps(meta, indent=1)[:-2] + ',\n "cases": [\n' + lines
                         + "\n ]\n}\n")
    print(f"\n{len(rows)} calls, {len(defects)} defects, {seconds:.0f} s -> {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
