"""refs.losses.focal's keras-cv-era additions: FocalLoss (keras-cv), CenterNet's penalty-reduced
focal loss, the sparse categorical focal loss, Poly-1 and class-balanced weighting.

Golden parity: every ``FocalLoss`` and ``BinaryPenaltyReducedFocalCrossEntropy`` case of
tests/golden/kerascv_losses.json (float64 at rtol=1e-9, atol=1e-12, float32 at rtol=1e-5,
atol=1e-6; gradients x10), and every ``CategoricalFocalCrossentropy`` case of
tests/golden/keras3_losses.json converted to integer labels for
``SparseCategoricalFocalCrossentropy``.

Convention mapping (golden -> ours):

- keras-cv ``FocalLoss`` with ``label_smoothing > 0``: keras-cv picks ``alpha_t`` by testing the
  *smoothed* label for 1, so every element gets ``1 - alpha``; refs weighs by the unsmoothed
  label. keras-cv's value is therefore exactly ``2 (1 - alpha)`` times refs's with
  ``alpha = 0.5`` (whose ``alpha_t`` is 0.5 everywhere); the test compares that (values and
  gradients), and a closed-form test checks refs's own weighting.
- keras-cv ``FocalLoss(gamma=0)`` at saturated entries: the library's gradient is NaN (TF's
  gradient of ``x ** 0`` at 0; ``expected_grad`` null); refs's is finite, and the test asserts
  it equals the gradient of the alpha-weighted BCE (the gamma = 0 closed form).
- keras3 ``CategoricalFocalCrossentropy`` -> ``SparseCategoricalFocalCrossentropy`` on
  ``argmax(y_true, axis)``: the ``label_smoothing > 0`` cases have no integer-label form and are
  skipped with that reason. From logits, Keras clips the softmax to [1e-7, 1 - 1e-7]; refs uses
  the log-softmax (like refs's ``CategoricalFocalCrossentropy``), so on the extreme sets
  (confidently wrong rows, p < 1e-7) the test asserts refs's closed form (numpy log-softmax)
  and that the golden value is that same formula with Keras's clip; elsewhere values and
  gradients match Keras. On every case the sparse loss equals refs's categorical focal loss on
  the one-hot labels.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import golden_cases

import refs.losses as L
from refs.losses import focal

KERASCV = "kerascv_losses.json"
KERAS3 = "keras3_losses.json"


def _tol(case):
    return (1e-9, 1e-12) if case["dtype"] == "float64" else (1e-5, 1e-6)


def _value_and_grad(fn, y_pred, dtype):
    x = tf.constant(np.asarray(y_pred, dtype))
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = fn(x)
        total = tf.reduce_sum(out)
    return out.numpy(), tape.gradient(total, x).numpy()


def _sw(case):
    sw = case["sample_weight"]
    return None if sw is None else np.asarray(sw, case["dtype"])


# --------------------------------------------------------------------------- keras-cv golden


@pytest.mark.parametrize(
    "case", golden_cases(KERASCV, lambda c: c["loss"].endswith(".FocalLoss")),
    ids=lambda c: c["id"])
def test_focal_loss_matches_kerascv(case):
    kwargs = dict(case["kwargs"])
    scale = 1.0
    if kwargs["label_smoothing"] > 0:  # keras-cv: alpha_t = 1 - alpha everywhere (see above)
        scale, kwargs["alpha"] = 2.0 * (1.0 - kwargs["alpha"]), 0.5
    loss = L.FocalLoss(**kwargs, reduction=case["reduction"], dtype=case["dtype"])
    y_true = np.asarray(case["y_true"], case["dtype"])
    got, grad = _value_and_grad(lambda x: scale * loss(y_true, x, sample_weight=_sw(case)),
                                case["y_pred"], case["dtype"])
    rtol, atol = _tol(case)
    np.testing.assert_allclose(got, case["expected"], rtol=rtol, atol=atol)
    if case["expected_grad"] is not None:
        np.testing.assert_allclose(grad, case["expected_grad"], rtol=10 * rtol, atol=10 * atol)
        return
    # gamma = 0: keras-cv's gradient is NaN at saturated entries; refs's is the weighted BCE's
    assert kwargs["gamma"] == 0.0 and np.isfinite(grad).all()
    y = y_true
    if kwargs["label_smoothing"]:
        y = y * (1 - kwargs["label_smoothing"]) + 0.5 * kwargs["label_smoothing"]
    x = np.asarray(case["y_pred"], np.float64)
    w = np.where(y_true == 1, kwargs["alpha"], 1 - kwargs["alpha"]) * scale
    if kwargs["from_logits"]:
        elem_grad = w * (0.5 * (1 + np.tanh(x / 2)) - y)
    else:
        p = np.clip(x, 1e-7, 1 - 1e-7)
        inside = (x > 1e-7) & (x < 1 - 1e-7)
        elem_grad = np.where(inside, w * (p - y) / (p * (1 - p)), 0.0)
    n = np.prod(x.shape[:-1])
    sw = _sw(case)
    sw = np.ones(x.shape[:-1]) if sw is None else sw
    per = {"none": 1.0, "sum": 1.0, "sum_over_batch_size": 1.0 / n,
           "mean_with_sample_weight": 1.0 / sw.sum()}[case["reduction"]]
    np.testing.assert_allclose(grad, elem_grad * (sw * per)[..., None], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "case", golden_cases(KERASCV, lambda c: "PenaltyReduced" in c["loss"]),
    ids=lambda c: c["id"])
def test_penalty_reduced_focal_matches_kerascv(case):
    loss = L.BinaryPenaltyReducedFocalCrossEntropy(**case["kwargs"], reduction=case["reduction"],
                                                   dtype=case["dtype"])
    y_true = np.asarray(case["y_true"], case["dtype"])
    got, grad = _value_and_grad(lambda x: loss(y_true, x, sample_weight=_sw(case)),
                                case["y_pred"], case["dtype"])
    rtol, atol = _tol(case)
    np.testing.assert_allclose(got, case["expected"], rtol=rtol, atol=atol)
    np.testing.assert_allclose(grad, case["expected_grad"], rtol=10 * rtol, atol=10 * atol)


# --------------------------------------------------------------------------- sparse focal


def _keras_cfc_numpy(y_onehot, x, alpha, gamma, axis, from_logits, clip):
    x = np.moveaxis(np.asarray(x, np.float64), axis, -1)
    y = np.moveaxis(np.asarray(y_onehot, np.float64), axis, -1)
    if from_logits:
        z = x - x.max(-1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
        p = np.exp(log_p)
        if clip:
            p = np.clip(p / p.sum(-1, keepdims=True), 1e-7, 1 - 1e-7)
            log_p = np.log(p)
    else:
        p = np.clip(x / x.sum(-1, keepdims=True), 1e-7, 1 - 1e-7)
        log_p = np.log(p)
    return (alpha * (1 - p) ** gamma * -y * log_p).sum(-1)


@pytest.mark.parametrize(
    "case", golden_cases(KERAS3, lambda c: c["loss"].endswith("CategoricalFocalCrossentropy")),
    ids=lambda c: c["id"])
def test_sparse_focal_matches_keras_categorical_focal_on_one_hot_labels(case):
    kwargs = dict(case["kwargs"])
    if kwargs.pop("label_smoothing"):
        pytest.skip("label smoothing has no integer-label form (refs's "
                    "CategoricalFocalCrossentropy covers these cases)")
    axis = kwargs["axis"]
    y_onehot = np.asarray(case["y_true"], case["dtype"])
    labels = np.argmax(y_onehot, axis=axis)
    loss = L.SparseCategoricalFocalCrossentropy(**kwargs, reduction=case["reduction"],
                                                dtype=case["dtype"])
    got, grad = _value_and_grad(lambda x: loss(labels, x, sample_weight=_sw(case)),
                                case["y_pred"], case["dtype"])
    categorical = L.CategoricalFocalCrossentropy(**kwargs, reduction=case["reduction"],
                                                 dtype=case["dtype"])
    np.testing.assert_allclose(got, categorical(y_onehot, np.asarray(case["y_pred"],
                                                                     case["dtype"])),
                               rtol=1e-12, atol=1e-14)
    rtol, atol = _tol(case)
    x = np.asarray(case["y_pred"], np.float64)
    clipped = False
    if kwargs["from_logits"]:
        z = np.moveaxis(x, axis, -1)
        p = np.exp(z - z.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        clipped = bool(((p < 1e-7) | (p > 1 - 1e-7)).any())
    if not clipped:
        np.testing.assert_allclose(got, case["expected"], rtol=rtol, atol=atol)
        np.testing.assert_allclose(grad, case["expected_grad"], rtol=10 * rtol, atol=10 * atol)
        return
    args = (y_onehot, x, kwargs["alpha"], kwargs["gamma"], axis, True)
    reduce = {"none": lambda v: v, "sum": np.sum, "sum_over_batch_size": np.mean}[
        case["reduction"]]
    np.testing.assert_allclose(reduce(_keras_cfc_numpy(*args, clip=True)), case["expected"],
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got, reduce(_keras_cfc_numpy(*args, clip=False)), rtol=1e-9,
                               atol=1e-12)
    assert np.isfinite(grad).all()


def test_sparse_focal_alpha_per_class_and_gamma_zero():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 3, (7, 4))
    labels = rng.integers(0, 4, 7)
    alpha = [0.1, 0.2, 0.3, 0.4]
    got = L.sparse_categorical_focal_crossentropy(labels, x, alpha=alpha, gamma=1.5,
                                                  from_logits=True)
    want = L.categorical_focal_crossentropy(np.eye(4)[labels], x, alpha=alpha, gamma=1.5,
                                            from_logits=True)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    ce = L.sparse_categorical_crossentropy(labels, x, from_logits=True)
    np.testing.assert_allclose(L.sparse_categorical_focal_crossentropy(
        labels, x, alpha=1.0, gamma=0.0, from_logits=True), ce, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("ignore_class", [255, -1])
def test_sparse_focal_ignore_class_follows_keras(reduction, ignore_class):
    rng = np.random.default_rng(1)
    x = rng.normal(0, 2, (3, 5, 4)).astype("float32")
    labels = rng.integers(0, 4, (3, 5))
    labels[0, 1] = labels[2, 4] = ignore_class
    ours = L.SparseCategoricalFocalCrossentropy(alpha=1.0, gamma=0.0, from_logits=True,
                                                ignore_class=ignore_class, reduction=reduction)
    keras_scce = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=ignore_class, reduction=reduction)
    np.testing.assert_allclose(ours(labels, x), keras_scce(labels, x), rtol=1e-5, atol=1e-6)
    # with focusing, ignored entries are 0 and the mean is over the others
    per = np.asarray(L.sparse_categorical_focal_crossentropy(
        labels, x, from_logits=True, ignore_class=ignore_class))
    assert per[0, 1] == 0 and per[2, 4] == 0
    if reduction == "sum_over_batch_size":
        mean = float(L.SparseCategoricalFocalCrossentropy(from_logits=True,
                                                          ignore_class=ignore_class)(labels, x))
        np.testing.assert_allclose(mean, per.sum() / 13, rtol=1e-5)


# --------------------------------------------------------------------------- FocalLoss


def test_focal_loss_closed_form_and_relations():
    y = np.float64([[1, 0, 1], [0, 0, 1]])
    x = np.float64([[2.0, -1.0, 0.5], [3.0, -4.0, -0.5]])
    alpha, gamma, ls = 0.25, 2.0, 0.2
    p = 1 / (1 + np.exp(-x))
    ys = y * (1 - ls) + ls / 2
    bce = -(ys * np.log(p) + (1 - ys) * np.log(1 - p))
    q = ys * (1 - p) + (1 - ys) * p
    want = (np.where(y == 1, alpha, 1 - alpha) * q**gamma * bce).sum(-1)
    np.testing.assert_allclose(L.focal_loss(y, x, alpha, gamma, True, ls), want, rtol=1e-12)
    # the table of FocalLoss's docstring, from logits
    a = L.FocalLoss(alpha=0.25, gamma=2.0, from_logits=True)(y, x)
    b = L.SigmoidFocalCrossEntropy(alpha=0.25, gamma=2.0, from_logits=True,
                                   reduction="sum_over_batch_size")(y, x)
    c = 3 * L.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.25, gamma=2.0,
                                      from_logits=True)(y, x)
    np.testing.assert_allclose([float(b), float(c)], [float(a)] * 2, rtol=1e-6)
    # existing subclasses keep their own semantics
    assert issubclass(L.BinaryFocalCrossentropy, L.FocalLoss)
    assert L.BinaryFocalCrossentropy.loss_fn is not L.FocalLoss.loss_fn


def test_gamma_zero_has_a_finite_gradient_everywhere():
    # TF's gradient of q ** 0 at q = 0 is NaN; every focal loss now uses 1 there.
    y = np.float32([[1.0, 0.0]])
    for fn in (lambda x: L.binary_focal_crossentropy(y, x, gamma=0.0),
               lambda x: L.sigmoid_focal_crossentropy(y, x, gamma=0.0),
               lambda x: L.focal_loss(y, x, gamma=0.0)):
        _, grad = _value_and_grad(fn, [[1.0, 0.0]], "float32")
        assert np.isfinite(grad).all()


def test_penalty_reduced_closed_form():
    y = np.float64([[1.0, 0.5, 0.0]])
    p = np.float64([[0.8, 0.3, 0.1]])
    got = L.binary_penalty_reduced_focal_cross_entropy(y, p, alpha=2.0, beta=4.0)
    want = [-(0.2**2) * math.log(0.8), -(0.5**4) * 0.3**2 * math.log(0.7),
            -(0.1**2) * math.log(0.9)]
    np.testing.assert_allclose(got, [want], rtol=1e-12)
    # logits -> sigmoid; saturation is clipped to [1e-4, 0.9999], finite
    out = L.binary_penalty_reduced_focal_cross_entropy(y, [[1e4, -1e4, 1e4]], from_logits=True)
    assert np.isfinite(np.asarray(out)).all()


# --------------------------------------------------------------------------- Poly-1


def test_poly1_cross_entropy_closed_form():
    rng = np.random.default_rng(2)
    x = rng.normal(0, 2, (5, 3))
    y = np.eye(3)[rng.integers(0, 3, 5)]
    p = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    ce = -(y * np.log(p)).sum(-1)
    for eps in (-1.0, 0.0, 1.0, 2.5):
        np.testing.assert_allclose(
            L.poly1_cross_entropy(y, x, epsilon=eps, from_logits=True),
            ce + eps * (1 - (y * p).sum(-1)), rtol=1e-10)
    np.testing.assert_allclose(L.poly1_cross_entropy(y, p, epsilon=0.0),
                               L.categorical_crossentropy(y, p), rtol=1e-12)
    ys = y * 0.9 + 0.1 / 3
    np.testing.assert_allclose(
        L.poly1_cross_entropy(y, x, epsilon=1.0, from_logits=True, label_smoothing=0.1),
        -(ys * np.log(p)).sum(-1) + 1 - (ys * p).sum(-1), rtol=1e-10)


def test_poly1_focal_closed_form():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 2, (4, 5))
    y = (rng.random((4, 5)) < 0.4).astype(np.float64)
    p = 1 / (1 + np.exp(-x))
    q = y * (1 - p) + (1 - y) * p
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    for gamma, alpha in ((2.0, 0.25), (0.0, 0.5), (3.0, 0.75)):
        fl = np.where(y == 1, alpha, 1 - alpha) * q**gamma * bce
        want = (fl + 1.5 * q ** (gamma + 1)).mean(-1)
        got = L.poly1_focal(y, x, epsilon=1.5, gamma=gamma, alpha=alpha,
                            apply_class_balancing=True, from_logits=True)
        np.testing.assert_allclose(got, want, rtol=1e-10)
    np.testing.assert_allclose(L.poly1_focal(y, x, epsilon=0.0, from_logits=True),
                               L.binary_focal_crossentropy(y, x, from_logits=True), rtol=1e-12)


# --------------------------------------------------------------------------- class-balanced


def test_class_balanced_weights_closed_form_and_limits():
    n = [5000, 500, 50, 5]
    beta = 0.99
    raw = np.array([(1 - beta) / (1 - beta**k) for k in n])
    np.testing.assert_allclose(L.class_balanced_weights(n, beta), raw * 4 / raw.sum(),
                               rtol=1e-12)
    np.testing.assert_allclose(L.class_balanced_weights(n, 0.0), np.ones(4))
    inverse = 1 / np.array(n, float)
    inverse *= 4 / inverse.sum()
    np.testing.assert_allclose(L.class_balanced_weights(n, 1.0), inverse, rtol=1e-12)
    np.testing.assert_allclose(L.class_balanced_weights(n, 1 - 1e-9), inverse, rtol=1e-5)
    assert L.class_balanced_weights(n, 0.999).sum() == pytest.approx(4)
    with pytest.raises(ValueError, match="beta must be in \\[0, 1\\], got 1.5"):
        L.class_balanced_weights(n, 1.5)
    with pytest.raises(ValueError, match="samples_per_class must hold integer counts >= 1"):
        L.class_balanced_weights([10, 0], 0.9)
    with pytest.raises(ValueError, match="samples_per_class must be a non-empty list"):
        L.class_balanced_weights([], 0.9)


@pytest.mark.parametrize("labels_kind", ["sparse", "one_hot"])
def test_class_balanced_wrapper_weights_each_sample(labels_kind):
    rng = np.random.default_rng(4)
    x = rng.normal(0, 2, (6, 3)).astype("float32")
    labels = np.array([0, 1, 2, 2, 1, 0])
    n = [600, 60, 6]
    w = L.class_balanced_weights(n, 0.999)
    if labels_kind == "sparse":
        inner, y = L.SparseCategoricalFocalCrossentropy(from_logits=True), labels
    else:
        inner, y = L.CategoricalFocalCrossentropy(from_logits=True), np.eye(3)[labels]
    wrapped = L.ClassBalanced(inner, n, beta=0.999, reduction="none")
    per = np.asarray(inner.call(y, x))
    np.testing.assert_allclose(wrapped(y, x), per * w[labels], rtol=1e-5)
    sw = np.array([1, 0, 1, 1, 0.5, 1], "float32")
    np.testing.assert_allclose(
        float(L.ClassBalanced(inner, n, beta=0.999)(y, x, sample_weight=sw)),
        float(type(inner)(**inner.get_config())(y, x, sample_weight=sw * w[labels])),
        rtol=1e-5)
    # beta = 0: the wrapped loss itself
    np.testing.assert_allclose(L.ClassBalanced(inner, n, beta=0.0, reduction="none")(y, x), per,
                               rtol=1e-6)


# --------------------------------------------------------------------------- house checks

CLASSES = [
    (L.FocalLoss, {"alpha": 0.5, "gamma": 1.0, "from_logits": True, "label_smoothing": 0.1},
     "binary_logits"),
    (L.BinaryPenaltyReducedFocalCrossEntropy, {"alpha": 2.0, "beta": 4.0,
                                               "positive_threshold": 0.9}, "heatmap"),
    (L.SparseCategoricalFocalCrossentropy, {"alpha": [0.2, 0.3, 0.5], "from_logits": True,
                                            "ignore_class": 255}, "sparse_logits"),
    (L.Poly1CrossEntropy, {"epsilon": 2.0, "from_logits": True}, "categorical_logits"),
    (L.Poly1FocalLoss, {"epsilon": -1.0, "gamma": 2.0, "from_logits": True}, "binary_logits"),
    (L.ClassBalanced, {"loss": L.SparseCategoricalFocalCrossentropy(from_logits=True),
                       "samples_per_class": [30, 20, 10], "beta": 0.9}, "sparse_logits"),
]
IDS = [cls.__name__ for cls, _, _ in CLASSES]


def _inputs(kind, scale=3.0):
    rng = np.random.default_rng(5)
    x = np.linspace(-scale, scale, 18).reshape(6, 3).astype("float32")
    labels = rng.integers(0, 3, 6)
    if kind == "binary_logits":
        return (rng.random((6, 3)) < 0.5).astype("float32"), x
    if kind == "heatmap":
        return np.float32(rng.choice([0.0, 0.3, 0.95, 1.0], (6, 3))), 0.5 * (1 + np.tanh(x / 2))
    if kind == "sparse_logits":
        return labels, x
    return np.eye(3, dtype="float32")[labels], x


@pytest.mark.parametrize(("cls", "kwargs", "kind"), CLASSES, ids=IDS)
def test_config_round_trip_and_serialization(cls, kwargs, kind):
    obj = cls(**kwargs)
    clone = cls.from_config(obj.get_config())
    assert clone.get_config() == obj.get_config()
    again = keras.losses.deserialize(keras.losses.serialize(obj))
    assert type(again) is cls and again.get_config() == obj.get_config()
    y, x = _inputs(kind)
    np.testing.assert_allclose(float(again(y, x)), float(obj(y, x)), rtol=1e-6)
    assert keras.saving.get_registered_object(f"refs>{cls.__name__}") is cls
    assert keras.saving.get_registered_object(f"refs>{obj._fn.__name__}") is obj._fn


@pytest.mark.parametrize(("cls", "kwargs", "kind"), CLASSES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_and_extreme_logits_are_finite(cls, kwargs, kind, dtype):
    for scale in (3.0, 1000.0):
        y, x = _inputs(kind, scale)
        if kind == "heatmap":
            x = np.clip(x, 0, 1)
        for dt in (dtype, "float32"):
            loss = cls(**kwargs, dtype=dt)
            xt = tf.cast(x, dt)
            with tf.GradientTape() as tape:
                tape.watch(xt)
                out = loss(y, xt)
            grad = tape.gradient(out, xt)
            assert np.isfinite(float(tf.cast(out, "float32")))
            assert np.isfinite(tf.cast(grad, "float32").numpy()).all()


@pytest.mark.parametrize(("cls", "kwargs", "kind"), CLASSES, ids=IDS)
def test_jit_compile_matches_eager(cls, kwargs, kind):
    loss = cls(**kwargs, reduction="none")
    y, x = _inputs(kind)
    compiled = tf.function(lambda a, b: loss(a, b), jit_compile=True)
    np.testing.assert_allclose(compiled(tf.constant(y), tf.constant(x)).numpy(),
                               loss(y, x).numpy(), rtol=1e-5, atol=1e-6)


def test_bad_inputs_and_hyperparameters_name_the_argument():
    with pytest.raises(ValueError, match="epsilon must be finite and >= -1, got -2"):
        L.Poly1CrossEntropy(epsilon=-2.0)
    with pytest.raises(ValueError, match="alpha must be in \\[0, 1\\]"):
        L.FocalLoss(alpha=4.0)
    with pytest.raises(ValueError, match="ignore_class must be an integer"):
        L.SparseCategoricalFocalCrossentropy(ignore_class=2.5)
    with pytest.raises(ValueError, match="positive_threshold must be in \\[0, 1\\]"):
        L.BinaryPenaltyReducedFocalCrossEntropy(positive_threshold=2.0)
    with pytest.raises(ValueError, match="loss must be a keras.losses.Loss"):
        L.ClassBalanced("focal", [1, 2], 0.9)
    x = np.zeros((2, 3), "float32")
    with pytest.raises(ValueError, match="y_true must be in \\[0, 2\\] or ignore_class=255"):
        L.sparse_categorical_focal_crossentropy([0, 3], x, ignore_class=255)
    with pytest.raises(ValueError, match="it looks one-hot"):
        L.sparse_categorical_focal_crossentropy(np.eye(3)[[0, 1]], x)
    with pytest.raises(ValueError, match="alpha must be one value or one per class"):
        L.sparse_categorical_focal_crossentropy([0, 1], x, alpha=[0.5, 0.5])
    with pytest.raises(ValueError, match="y_true must be in \\[0, 1\\]"):
        L.binary_penalty_reduced_focal_cross_entropy([[2.0]], [[0.5]])
    with pytest.raises(ValueError, match="sample_weight of shape \\(3,\\) does not match"):
        L.BinaryPenaltyReducedFocalCrossEntropy()(np.zeros((2, 3)), np.full((2, 3), 0.5),
                                                  sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="did you mean from_logits=True"):
        L.focal_loss([[1.0]], [[3.0]])
    assert focal.class_balanced_weights is L.class_balanced_weights
