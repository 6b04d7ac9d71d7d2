"""Every loss class: finite values and gradients at the extremes, in low precision, under XLA.

- logits of magnitude 1e4 (and margins/residuals of that size) -> finite values and gradients;
- probabilities of exactly 0 and 1 -> finite values and gradients;
- float16 and bfloat16 inputs (computed in that dtype) -> finite results;
- ``tf.function(jit_compile=True)`` gives the eager value, and a model compiled with
  ``jit_compile=True`` trains a step with each loss.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import refs.losses as L

RNG = np.random.default_rng(0)
N, C = 6, 4


def _one_hot(labels, c=C):
    return np.eye(c, dtype=np.float32)[labels]


def inputs(kind, scale, extreme_probs=True):
    """(y_true, y_pred) of shape (N, C) (labels (N,) for 'sparse') with |y_pred| up to scale.

    Probabilities are exactly 0 and 1 (and 1e-30) with ``extreme_probs``, else in (0.05, 0.95).
    """
    labels = RNG.integers(0, C, size=N)
    big = np.linspace(-scale, scale, N * C).reshape(N, C).astype(np.float32)
    if kind.endswith("probs") and not extreme_probs:
        p = RNG.uniform(0.05, 0.95, size=(N, C)).astype(np.float32)
        if kind.startswith(("categorical", "sparse")):
            p /= p.sum(-1, keepdims=True)
        y = _one_hot(labels) if kind.startswith("categorical") else labels.astype(np.float32)
        return (RNG.random((N, C)) < 0.5).astype(np.float32) if kind == "binary_probs" else y, p
    if kind == "binary_logits":
        return (RNG.random((N, C)) < 0.5).astype(np.float32), big
    if kind == "binary_probs":
        p = np.tile(np.float32([0.0, 1.0, 0.5, 1e-30]), (N, 1))
        return np.tile(np.float32([1.0, 0.0, 1.0, 1.0]), (N, 1)), p
    if kind == "margin":
        return np.where(RNG.random((N, C)) < 0.5, -1.0, 1.0).astype(np.float32), big
    if kind == "regression":
        return np.zeros((N, C), np.float32), big
    if kind == "nonneg":
        return np.abs(big[::-1]).copy(), np.abs(big)
    if kind == "categorical_logits":
        return _one_hot(labels), big
    if kind == "categorical_probs":
        return _one_hot(labels), _one_hot((labels + 1) % C)  # exact 0/1, confidently wrong
    if kind == "sparse_logits":
        return labels.astype(np.float32), big
    if kind == "sparse_probs":
        return labels.astype(np.float32), _one_hot((labels + 1) % C)
    if kind == "cosine":
        return big[::-1].copy(), big
    raise KeyError(kind)


# (class, kwargs, input kind)
CASES = [
    (L.BinaryCrossentropy, {"from_logits": True}, "binary_logits"),
    (L.BinaryCrossentropy, {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    (L.BinaryCrossentropy, {}, "binary_probs"),
    (L.WeightedBinaryCrossentropy, {"pos_weight": 5.0, "from_logits": True}, "binary_logits"),
    (L.WeightedBinaryCrossentropy, {"pos_weight": 5.0}, "binary_probs"),
    (L.BalancedBinaryCrossentropy, {"beta": 0.9, "from_logits": True}, "binary_logits"),
    (L.BalancedBinaryCrossentropy, {"beta": 0.9}, "binary_probs"),
    (L.SigmoidFocalCrossEntropy, {"from_logits": True}, "binary_logits"),
    (L.SigmoidFocalCrossEntropy, {"from_logits": True, "gamma": 0.5}, "binary_logits"),
    (L.SigmoidFocalCrossEntropy, {"gamma": 0.5}, "binary_probs"),
    (L.BinaryFocalCrossentropy, {"from_logits": True, "gamma": 0.5}, "binary_logits"),
    (L.BinaryFocalCrossentropy, {"apply_class_balancing": True}, "binary_probs"),
    (L.Hinge, {}, "margin"),
    (L.SquaredHinge, {}, "margin"),
    (L.LogisticLoss, {}, "margin"),
    (L.ExponentialLoss, {}, "margin"),
    (L.MeanSquaredError, {}, "regression"),
    (L.MeanAbsoluteError, {}, "regression"),
    (L.Huber, {"delta": 0.5}, "regression"),
    (L.LogCosh, {}, "regression"),
    (L.SmoothL1Loss, {"l1_cutoff": 0.5}, "regression"),
    (L.PinballLoss, {"tau": 0.9}, "regression"),
    (L.MeanSquaredLogarithmicError, {}, "nonneg"),
    (L.MeanAbsolutePercentageError, {}, "nonneg"),
    (L.Poisson, {}, "nonneg"),
    (
        L.CategoricalCrossentropy,
        {"from_logits": True, "label_smoothing": 0.1},
        "categorical_logits",
    ),
    (L.CategoricalCrossentropy, {}, "categorical_probs"),
    (L.SparseCategoricalCrossentropy, {"from_logits": True}, "sparse_logits"),
    (L.SparseCategoricalCrossentropy, {}, "sparse_probs"),
    (L.CategoricalGeneralizedCrossEntropy, {"q": 0.5}, "sparse_probs"),
    (L.CategoricalFocalCrossentropy, {"from_logits": True}, "categorical_logits"),
    (L.CategoricalFocalCrossentropy, {}, "categorical_probs"),
    (L.FocalLoss, {"from_logits": True}, "binary_logits"),
    (L.FocalLoss, {"gamma": 0.5, "label_smoothing": 0.1}, "binary_probs"),
    (L.SparseCategoricalFocalCrossentropy, {"from_logits": True}, "sparse_logits"),
    (L.SparseCategoricalFocalCrossentropy, {"alpha": [0.1, 0.2, 0.3, 0.4]}, "sparse_probs"),
    # CenterNet's loss clips p to [1e-4, 0.9999] after the sigmoid: saturated logits have a
    # zero gradient by design, so only probabilities here.
    (L.BinaryPenaltyReducedFocalCrossEntropy, {}, "binary_probs"),
    (L.Poly1CrossEntropy, {"from_logits": True}, "categorical_logits"),
    (L.Poly1CrossEntropy, {"epsilon": -1.0}, "categorical_probs"),
    (L.Poly1FocalLoss, {"from_logits": True}, "binary_logits"),
    (L.Poly1FocalLoss, {"apply_class_balancing": True}, "binary_probs"),
    (L.ClassBalanced, {"loss": L.SparseCategoricalCrossentropy(from_logits=True),
                       "samples_per_class": [1000, 100, 10, 1], "beta": 0.99}, "sparse_logits"),
    (L.KLDivergence, {}, "categorical_probs"),
    (L.CategoricalHinge, {}, "categorical_logits"),
    (L.SparsemaxLoss, {}, "categorical_logits"),
    (L.WeightedKappaLoss, {"num_classes": C}, "categorical_probs"),
    (L.CosineSimilarity, {}, "cosine"),
    (L.CosineDistance, {}, "cosine"),
    # Segmentation (refs.losses.segmentation): (N, C) inputs as N pixels; the smp overlap
    # losses take probabilities here (saturated logits give them a zero gradient). More
    # extremes, multiclass Lovász, float16/bfloat16 and XLA in test_losses_segmentation.py.
    (L.Dice, {}, "binary_probs"),
    (L.Dice, {"mode": "multiclass"}, "sparse_probs"),
    (L.Tversky, {"alpha": 0.7, "beta": 0.3}, "binary_probs"),
    (L.Jaccard, {"mode": "multilabel"}, "binary_probs"),
    (L.FocalTversky, {"mode": "multiclass", "gamma": 0.75}, "sparse_probs"),
    (L.Lovasz, {}, "binary_logits"),
    (L.MCC, {}, "binary_probs"),
    (L.SoftBinaryCrossentropy, {"smooth_factor": 0.1}, "binary_logits"),
    (L.SoftCategoricalCrossentropy, {"smooth_factor": 0.1}, "sparse_logits"),
]
IDS = [f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for cls, kw, _ in CASES]


def value_and_grad(loss, y_true, y_pred):
    x = tf.convert_to_tensor(y_pred)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = tf.reduce_sum(loss(y_true, x))
    return value.numpy(), tape.gradient(value, x).numpy()


def test_every_exported_loss_class_is_covered():
    # The GAN classes (refs.losses.adversarial) take logit pairs: their extremes are tested in
    # test_gan_losses.py (test_stable_for_huge_logits).
    exported = {
        name for name in L.__all__
        if isinstance(getattr(L, name), type) and issubclass(getattr(L, name), L.Loss)
        and getattr(L, name) is not L.Loss
        and getattr(L, name).__module__ != "refs.losses.adversarial"
        # The metric-learning losses take (labels (B,), embeddings (B, D)) or pair distances:
        # their extremes, float16/bfloat16 and XLA are tested in test_losses_metric_learning.py.
        and getattr(L, name).__module__ != "refs.losses.metric_learning"
        # CTC takes (B, L) labels and (B, T, C) logits: its extremes, float16/bfloat16 and XLA
        # are tested in test_losses_keras3_golden.py.
        and getattr(L, name) is not L.CTC
        # The IoU-family box losses take (..., 4) boxes with x_max >= x_min: their extremes,
        # float16/bfloat16 and XLA are tested in test_losses_boxes.py.
        and name not in ("IoULoss", "GIoULoss", "DIoULoss", "CIoULoss")
    }
    assert exported == {cls.__name__ for cls, _, _ in CASES}


@pytest.mark.parametrize(("cls", "kwargs", "kind"), CASES, ids=IDS)
def test_finite_value_and_gradient_at_1e4(cls, kwargs, kind):
    y_true, y_pred = inputs(kind, 1e4)
    for dtype in ("float32", "float64"):
        loss = cls(**kwargs, dtype=dtype)
        value, grad = value_and_grad(loss, y_true.astype(dtype), y_pred.astype(dtype))
        assert np.isfinite(value), (dtype, value)
        assert np.all(np.isfinite(grad)), (dtype, grad)
        if not kind.endswith("probs"):  # clipped probabilities have a 0 gradient (Keras)
            assert np.any(grad != 0), "a loss of 1e4-sized errors must still have a gradient"


@pytest.mark.parametrize(("cls", "kwargs", "kind"), CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_inputs_give_finite_results(cls, kwargs, kind, dtype):
    y_true, y_pred = inputs(kind, 8.0)
    loss = cls(**kwargs, dtype=dtype)
    x = tf.cast(y_pred, dtype)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = loss(tf.cast(y_true, dtype), x)
    grad = tape.gradient(out, x)
    assert out.dtype == dtype
    total = float(tf.reduce_sum(tf.cast(out, "float32")))
    assert np.isfinite(total), total
    assert np.all(np.isfinite(tf.cast(grad, "float32").numpy()))
    # Away from the clip bounds (which are wider in float16), close to the float32 value.
    y_true, y_pred = inputs(kind, 4.0, extreme_probs=False)  # 4 < c of exponential_loss
    low = loss(tf.cast(y_true, dtype), tf.cast(y_pred, dtype))
    low = float(tf.reduce_sum(tf.cast(low, "float32")))
    ref = float(tf.reduce_sum(cls(**kwargs)(y_true, y_pred)))
    assert low == pytest.approx(ref, rel=0.05, abs=0.05)


@pytest.mark.parametrize(("cls", "kwargs", "kind"), CASES, ids=IDS)
def test_xla_compiled_call_matches_eager(cls, kwargs, kind):
    # Away from the probability clip: there XLA folds 1 - p + eps into (1 + eps) - p, a
    # float32 rounding difference (the tfa golden cases show the same under Grappler).
    y_true, y_pred = inputs(kind, 30.0, extreme_probs=False)
    loss = cls(**kwargs, reduction="none")

    @tf.function(jit_compile=True)
    def compiled(t, p):
        with tf.GradientTape() as tape:
            tape.watch(p)
            out = loss(t, p)
        return out, tape.gradient(out, p)

    out, grad = compiled(tf.constant(y_true), tf.constant(y_pred))
    eager, eager_grad = loss(y_true, y_pred), value_and_grad(loss, y_true, y_pred)[1]
    np.testing.assert_allclose(out.numpy(), eager.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grad.numpy(), eager_grad, rtol=1e-4, atol=1e-5)


def multi_head_model(cases):
    """(uncompiled model, x, targets, losses): one Dense head per loss case on shared input.

    Heads get the activation their loss expects (softmax / sigmoid / softplus).
    """
    import keras

    x = RNG.normal(size=(N, 3)).astype(np.float32)
    inp = keras.Input((3,))
    outputs, targets, losses = [], [], []
    for i, (cls, kwargs, kind) in enumerate(cases):
        y_true, _ = inputs(kind, 3.0)
        out = keras.layers.Dense(C, name=f"head{i}")(inp)
        if kind in ("categorical_probs", "sparse_probs"):
            out = keras.layers.Softmax()(out)
        elif kind == "binary_probs":
            out = keras.layers.Activation("sigmoid")(out)
        elif kind == "nonneg":
            out = keras.layers.Activation("softplus")(out)
        outputs.append(out)
        targets.append(y_true)
        losses.append(cls(**kwargs, name=f"loss{i}"))
    return keras.Model(inp, outputs), x, targets, losses


def _train_jit_model(cases):
    """All heads compiled once with jit_compile=True; every per-output loss stays finite."""
    model, x, targets, losses = multi_head_model(cases)
    model.compile(optimizer="sgd", loss=losses, jit_compile=True)
    history = model.fit(x, targets, epochs=2, batch_size=N, verbose=0)
    per_output = [k for k in history.history if k.endswith("_loss")]
    assert len(per_output) == len(cases)
    for key in per_output:
        assert np.all(np.isfinite(history.history[key])), key


def test_keras_model_compiled_with_jit_trains_with_the_detector_and_classifier_losses():
    _train_jit_model([CASES[0], CASES[7], CASES[25]])  # BCE, sigmoid focal, sparse CE logits


@pytest.mark.slow
@pytest.mark.ci
def test_keras_model_compiled_with_jit_trains_with_every_loss():
    _train_jit_model(CASES)  # ~40 s: one XLA compile of a 33-head model
