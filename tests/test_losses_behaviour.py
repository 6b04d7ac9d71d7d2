"""Closed-form maths, reductions, sample weights and configs of refs.losses.

The losses without a golden file (weighted / balanced BCE from probabilities, the exponential
and logistic margin losses, cosine distance, categorical focal) are checked against their
formulas in numpy; the reductions against Keras 3's definitions; the Keras-named classes
against ``keras.losses`` (Keras 3) on moderate inputs, where the two conventions agree.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_losses_stability import CASES, IDS, inputs

import refs.losses as L

RNG = np.random.default_rng(7)


def np_(x):
    return keras.ops.convert_to_numpy(x)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ------------------------------------------------------------------ reductions and weights


@pytest.mark.parametrize(
    "reduction", ["none", "sum", "sum_over_batch_size", "mean", "mean_with_sample_weight"]
)
def test_reductions_and_sample_weight_follow_keras_definitions(reduction):
    y = RNG.normal(size=(5, 3))
    p = RNG.normal(size=(5, 3))
    w = np.array([1.0, 0.0, 2.0, 0.5, 3.0])
    err = p - y
    per_sample = np.where(np.abs(err) <= 0.5, 0.5 * err**2, 0.5 * (np.abs(err) - 0.25)).mean(-1)
    weighted = w * per_sample
    want = {
        "none": weighted,
        "sum": weighted.sum(),
        "sum_over_batch_size": weighted.sum() / 5,  # zero weights still count
        "mean": weighted.sum() / 5,
        "mean_with_sample_weight": weighted.sum() / w.sum(),
    }[reduction]
    loss = L.Huber(delta=0.5, reduction=reduction, dtype="float64")
    np.testing.assert_allclose(np_(loss(y, p, sample_weight=w)), want, rtol=1e-12)


#: losses that are one statistic of the whole batch (in the configuration of CASES): there is no
#: per-sample loss to weigh, so they reject sample_weight (their docstrings say why)
BATCH_STATISTICS = {"Dice", "Tversky", "Jaccard", "FocalTversky", "Lovasz", "MCC",
                    "WeightedKappaLoss"}
#: elementwise losses (CenterNet's heatmap focal loss): one weight per entry of y_pred
ELEMENTWISE = {"BinaryPenaltyReducedFocalCrossEntropy"}


@pytest.mark.parametrize(("cls", "kwargs", "kind"), CASES, ids=IDS)
def test_every_class_honours_sample_weight_and_each_reduction(cls, kwargs, kind):
    y_true, y_pred = inputs(kind, 3.0, extreme_probs=False)
    if cls.__name__ in BATCH_STATISTICS:
        with pytest.raises(ValueError, match="sample_weight"):
            cls(**kwargs)(y_true, y_pred, sample_weight=np.ones(len(y_pred)))
        return
    shape = np.shape(y_pred) if cls.__name__ in ELEMENTWISE else (len(y_pred),)
    w = RNG.uniform(0.0, 2.0, size=shape)
    w.flat[0] = 0.0
    per_sample = np_(cls(**kwargs, reduction="none")(y_true, y_pred))
    weighted = np_(cls(**kwargs, reduction="none")(y_true, y_pred, sample_weight=w))
    np.testing.assert_allclose(weighted, w * per_sample, rtol=1e-6)
    for reduction, want in (
        ("sum", weighted.sum()),
        ("sum_over_batch_size", weighted.sum() / w.size),  # per-sample (or -entry) values
        ("mean", weighted.sum() / w.size),
        ("mean_with_sample_weight", weighted.sum() / w.sum()),
    ):
        got = np_(cls(**kwargs, reduction=reduction)(y_true, y_pred, sample_weight=w))
        np.testing.assert_allclose(got, want, rtol=1e-5, err_msg=reduction)


def test_sigmoid_focal_default_reduction_is_none_like_tfa():
    y = np.zeros((2, 3, 4))
    out = L.SigmoidFocalCrossEntropy(from_logits=True)(y, np.zeros((2, 3, 4)))
    assert out.shape == (2, 3)


def test_none_reduction_in_model_fit_trains_on_the_batch_sum():
    """Documented in SigmoidFocalCrossEntropy: Keras 3 leaves a "none" loss unreduced, so the
    gradient is that of the batch SUM -- batch-size times the "sum_over_batch_size" one."""
    x = RNG.random((8, 3)).astype("float32")
    y = (RNG.random((8, 4)) < 0.5).astype("float32")
    grads = {}
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    for reduction in ("none", "sum_over_batch_size"):
        model.compile(loss=L.SigmoidFocalCrossEntropy(from_logits=True, reduction=reduction))
        with tf.GradientTape() as tape:
            loss = model.compute_loss(x, y, model(x))
        assert loss.shape == ((8,) if reduction == "none" else ())
        grads[reduction] = tape.gradient(loss, model.trainable_variables)[0].numpy()
    np.testing.assert_allclose(grads["none"], 8 * grads["sum_over_batch_size"], rtol=1e-5)


def test_sigmoid_focal_detector_layout_sums_over_classes():
    y = np.eye(4)[RNG.integers(0, 4, size=(2, 5))]  # (B, A, C) one-hot
    x = RNG.normal(size=(2, 5, 4)) * 3
    p = sigmoid(x)
    p_t = y * p + (1 - y) * (1 - p)
    alpha_t = y * 0.25 + (1 - y) * 0.75
    want = (alpha_t * (1 - p_t) ** 2 * -np.log(p_t)).sum(-1)
    got = np_(L.sigmoid_focal_crossentropy(y, x, from_logits=True))
    assert got.shape == (2, 5)
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_tfa_alpha_zero_means_no_weighting_not_zero_positives():
    y = np.array([[1.0, 0.0, 1.0]])
    x = np.array([[0.3, -2.0, 4.0]])
    off = np_(L.sigmoid_focal_crossentropy(y, x, alpha=0.0, gamma=0.0, from_logits=True))
    bce_sum = 3 * np_(L.binary_crossentropy(y, x, from_logits=True))
    np.testing.assert_allclose(off, bce_sum, rtol=1e-10)


# ------------------------------------------------------------------ binary family


def test_weighted_bce_matches_formula_from_probabilities_and_logits():
    y = (RNG.random((6, 4)) < 0.3).astype(float)
    x = RNG.normal(size=(6, 4)) * 2
    p = sigmoid(x)
    w = 4.0
    want = (-(w * y * np.log(p) + (1 - y) * np.log(1 - p))).mean(-1)
    np.testing.assert_allclose(
        np_(L.weighted_binary_crossentropy(y, x, pos_weight=w, from_logits=True)), want, rtol=1e-10
    )
    # From probabilities: Keras's epsilon, ~1e-7 relative away from the clip.
    np.testing.assert_allclose(
        np_(L.weighted_binary_crossentropy(y, p, pos_weight=w)), want, rtol=1e-5
    )


def test_weighted_bce_per_class_pos_weight_broadcasts_over_last_axis():
    y = np.ones((3, 2))
    x = np.zeros((3, 2))
    got = np_(L.weighted_binary_crossentropy(y, x, pos_weight=[1.0, 3.0], from_logits=True))
    np.testing.assert_allclose(got, np.full(3, 2.0 * np.log(2)), rtol=1e-12)


def test_weighted_bce_with_unit_weight_is_bce():
    y = (RNG.random((4, 5)) < 0.5).astype(float)
    x = RNG.normal(size=(4, 5)) * 5
    np.testing.assert_allclose(
        np_(L.weighted_binary_crossentropy(y, x, pos_weight=1.0, from_logits=True)),
        np_(L.binary_crossentropy(y, x, from_logits=True)),
        rtol=1e-12,
    )


def test_balanced_bce_weights_positives_by_beta_and_negatives_by_one_minus_beta():
    y = np.array([[1.0, 0.0]])
    x = np.array([[0.7, -0.2]])
    p = sigmoid(x)
    want = (0.8 * -np.log(p[0, 0]) + 0.2 * -np.log(1 - p[0, 1])) / 2
    got = np_(L.balanced_binary_crossentropy(y, x, beta=0.8, from_logits=True))
    np.testing.assert_allclose(got, [want], rtol=1e-12)
    half = np_(L.balanced_binary_crossentropy(y, x, beta=0.5, from_logits=True))
    np.testing.assert_allclose(half, 0.5 * np_(L.binary_crossentropy(y, x, from_logits=True)))


def test_bce_gradient_from_logits_is_sigmoid_minus_target():
    y = np.array([[1.0, 0.0, 1.0, 0.0]])
    x = tf.constant([[0.0, 0.0, 1e4, -1e4]], dtype="float64")
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(L.binary_crossentropy(y, x, from_logits=True))
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), (sigmoid(x.numpy()) - y) / 4)


# ------------------------------------------------------------------ margin family


def test_hinge_converts_zero_one_labels_like_keras():
    f = RNG.normal(size=(4, 3))
    y01 = (RNG.random((4, 3)) < 0.5).astype(float)
    for fn in (L.hinge, L.squared_hinge, L.logistic_loss, L.exponential_loss):
        np.testing.assert_allclose(np_(fn(y01, f)), np_(fn(2 * y01 - 1, f)), rtol=1e-12)


def test_margin_losses_match_their_formulas():
    y = np.where(RNG.random((5, 4)) < 0.5, -1.0, 1.0)
    f = RNG.normal(size=(5, 4)) * 2
    m = y * f
    np.testing.assert_allclose(np_(L.hinge(y, f)), np.maximum(0, 1 - m).mean(-1), rtol=1e-12)
    np.testing.assert_allclose(
        np_(L.squared_hinge(y, f)), (np.maximum(0, 1 - m) ** 2).mean(-1), rtol=1e-12
    )
    np.testing.assert_allclose(np_(L.logistic_loss(y, f)), np.log1p(np.exp(-m)).mean(-1))
    np.testing.assert_allclose(np_(L.exponential_loss(y, f)), np.exp(-m).mean(-1), rtol=1e-12)


def test_logistic_loss_is_bce_from_logits_on_zero_one_labels():
    y01 = (RNG.random((3, 6)) < 0.5).astype(float)
    f = RNG.normal(size=(3, 6)) * 10
    np.testing.assert_allclose(
        np_(L.logistic_loss(2 * y01 - 1, f)),
        np_(L.binary_crossentropy(y01, f, from_logits=True)),
        rtol=1e-12,
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_exponential_loss_continues_linearly_beyond_overflow(dtype):
    c = 0.5 * np.log(float(np.finfo(dtype).max))  # 44.4 in float32, 354.9 in float64
    margins = np.array([-c + 1, -c - 1, -1e4], dtype=dtype)
    x = tf.constant(margins[:, None], dtype=dtype)  # y = 1, so the margin is f
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = L.exponential_loss(np.ones((3, 1), dtype), x)
    grad = tape.gradient(out, x).numpy()[:, 0]
    value = out.numpy()
    assert value[0] == pytest.approx(np.exp(c - 1), rel=1e-3)  # exact exp below the tail
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    exp_c = np.exp(np.float64(c))
    assert value[2] == pytest.approx(exp_c * (1 + 1e4 - c), rel=1e-3)  # the tangent line
    assert grad[1] == pytest.approx(grad[2], rel=1e-3)  # constant slope exp(c) in the tail
    assert grad[1] == pytest.approx(-exp_c, rel=1e-3)  # d exp(-f) / df = -exp(c) there


def test_categorical_hinge_formula():
    y = np.eye(3)[[0, 2]]
    f = np.array([[0.2, 0.5, 0.4], [2.0, 0.1, 1.5]])
    want = np.maximum(0, 1 + np.array([0.5, 2.0]) - np.array([0.2, 1.5]))
    np.testing.assert_allclose(np_(L.categorical_hinge(y, f)), want, rtol=1e-12)


# ------------------------------------------------------------------ multi-class


def test_cosine_distance_is_one_minus_cos_and_keras_sign_is_negative_cos():
    a = RNG.normal(size=(4, 5))
    b = RNG.normal(size=(4, 5))
    cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    np.testing.assert_allclose(np_(L.cosine_similarity(a, b)), -cos, rtol=1e-12)
    np.testing.assert_allclose(np_(L.cosine_distance(a, b)), 1 - cos, rtol=1e-12)
    zero = np_(L.CosineDistance(reduction="none", dtype="float64")(np.zeros((1, 5)), b[:1]))
    np.testing.assert_allclose(zero, [1.0])


def test_categorical_focal_with_gamma_zero_and_alpha_one_is_cross_entropy():
    y = np.eye(4)[RNG.integers(0, 4, 6)]
    x = RNG.normal(size=(6, 4)) * 3
    for from_logits, pred in ((True, x), (False, np_(keras.ops.softmax(x)))):
        np.testing.assert_allclose(
            np_(L.categorical_focal_crossentropy(y, pred, 1.0, 0.0, from_logits=from_logits)),
            np_(L.categorical_crossentropy(y, pred, from_logits=from_logits)),
            rtol=1e-6,
        )


def test_categorical_focal_formula_and_gradient_for_confidently_wrong_logits():
    y = np.array([[0.0, 1.0, 0.0]])
    x = np.array([[1.0, -0.5, 0.3]])
    p = np.exp(x) / np.exp(x).sum()
    want = 0.25 * (1 - p[0, 1]) ** 2 * -np.log(p[0, 1])
    got = np_(L.categorical_focal_crossentropy(y, x, from_logits=True))
    np.testing.assert_allclose(got, [want], rtol=1e-12)
    wrong = tf.constant([[1e4, -1e4, 0.0]], dtype="float64")
    with tf.GradientTape() as tape:
        tape.watch(wrong)
        out = L.categorical_focal_crossentropy(y, wrong, from_logits=True)
    grad = tape.gradient(out, wrong).numpy()
    assert np.isfinite(out.numpy()).all() and np.isfinite(grad).all()
    assert grad[0, 1] < 0  # pushes the true class up (Keras's clipped form gives 0 here)


def test_sparse_and_categorical_crossentropy_agree():
    labels = RNG.integers(0, 5, size=(3, 4))
    x = RNG.normal(size=(3, 4, 5)) * 4
    np.testing.assert_allclose(
        np_(L.sparse_categorical_crossentropy(labels, x, from_logits=True)),
        np_(L.categorical_crossentropy(np.eye(5)[labels], x, from_logits=True)),
        rtol=1e-10,
    )


def test_kl_divergence_formula():
    a = RNG.dirichlet(np.ones(4), size=3)
    b = RNG.dirichlet(np.ones(4), size=3)
    np.testing.assert_allclose(
        np_(L.kl_divergence(a, b)), (a * np.log(a / b)).sum(-1), rtol=1e-12
    )


# ------------------------------------------------------------------ against Keras 3

KERAS3_PAIRS = [
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("BinaryCrossentropy", {}, "binary_probs"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True}, "binary_probs"),
    ("CategoricalCrossentropy", {"from_logits": True}, "categorical_logits"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, "categorical_probs"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse_probs"),
    ("CategoricalFocalCrossentropy", {"from_logits": True}, "categorical_logits"),
    ("KLDivergence", {}, "categorical_probs"),
    ("CategoricalHinge", {}, "categorical_logits"),
    ("CosineSimilarity", {}, "regression"),
    ("Hinge", {}, "margin"),
    ("SquaredHinge", {}, "margin"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "nonneg"),
    ("MeanAbsolutePercentageError", {}, "nonneg"),
    ("Huber", {"delta": 0.7}, "regression"),
    ("LogCosh", {}, "regression"),
    ("Poisson", {}, "nonneg"),
]


def _moderate(kind):
    labels = RNG.integers(0, 4, size=8)
    if kind == "binary_logits":
        return (RNG.random((8, 4)) < 0.5).astype("float32"), RNG.normal(size=(8, 4)) * 3
    if kind == "binary_probs":
        return (RNG.random((8, 4)) < 0.5).astype("float32"), RNG.uniform(0.05, 0.95, (8, 4))
    if kind == "categorical_logits":
        return np.eye(4)[labels], RNG.normal(size=(8, 4)) * 3
    if kind == "categorical_probs":
        return np.eye(4)[labels], RNG.dirichlet(np.ones(4), size=8)
    if kind == "sparse_logits":
        return labels, RNG.normal(size=(8, 4)) * 3
    if kind == "sparse_probs":
        return labels, RNG.dirichlet(np.ones(4), size=8)
    if kind == "margin":
        return np.where(RNG.random((8, 4)) < 0.5, -1.0, 1.0), RNG.normal(size=(8, 4))
    if kind == "nonneg":
        return RNG.uniform(0.5, 3, (8, 4)), RNG.uniform(0.5, 3, (8, 4))
    return RNG.normal(size=(8, 4)), RNG.normal(size=(8, 4))


@pytest.mark.parametrize(("name", "kwargs", "kind"), KERAS3_PAIRS, ids=lambda v: str(v))
def test_keras_named_classes_agree_with_keras3_on_moderate_inputs(name, kwargs, kind):
    y, p = _moderate(kind)
    w = RNG.uniform(0, 2, size=8)
    ours = getattr(L, name)(**kwargs)(y, p.astype("float32"), sample_weight=w)
    theirs = getattr(keras.losses, name)(**kwargs)(y, p.astype("float32"), sample_weight=w)
    np.testing.assert_allclose(np_(ours), np_(theirs), rtol=2e-5, atol=1e-6)


# ------------------------------------------------------------------ configs


#: the constructor arguments of the classes that have required ones
REQUIRED = {"ClassBalanced": lambda: {"loss": L.BinaryCrossentropy(),
                                      "samples_per_class": [90, 10]}}


def test_every_class_round_trips_through_its_config():
    bases = (L.Loss, L.DiscriminatorLoss, L.GeneratorLoss)  # abstract: they take the function
    checked, classes = 0, 0
    for name in L.__all__:
        cls = getattr(L, name)
        if not (isinstance(cls, type) and issubclass(cls, L.Loss)) or cls in bases:
            continue
        classes += 1
        required = REQUIRED.get(name, dict)()
        loss = cls(**required, reduction="sum", name="custom", dtype="float64")
        config = loss.get_config()
        assert config["reduction"] == "sum" and config["name"] == "custom"
        assert config["dtype"] == "float64"
        again = cls.from_config(config)
        assert again.get_config() == config
        registered = keras.saving.serialize_keras_object(loss)["registered_name"]
        # The GAN classes kept the package name they were registered with in refs.gan.
        package = "refs.gan" if cls.__module__ == "refs.losses.adversarial" else "refs"
        assert registered == f"{package}>{name}"
        checked += 1
    assert checked == classes >= 60


def test_hyperparameters_are_in_the_config_and_readable():
    loss = L.SigmoidFocalCrossEntropy(alpha=0.5, gamma=1.0, from_logits=True)
    config = loss.get_config()
    assert (config["alpha"], config["gamma"], config["from_logits"]) == (0.5, 1.0, True)
    assert (loss.alpha, loss.gamma) == (0.5, 1.0)
    assert L.WeightedBinaryCrossentropy(pos_weight=np.array([1.0, 2.0])).get_config()[
        "pos_weight"
    ] == [1.0, 2.0]
