"""refs.losses.metric_learning: tfa's metric-learning losses and Keras 3's circle loss.

Golden parity is in test_losses_tfa_golden.py; here: agreement of the O(B^2) semi-hard triplet
loss with a direct B^3 re-derivation (values and gradients, ties included), closed forms, the
documented finite values where tfa gives NaN, bad inputs, serialization, float16 / bfloat16,
XLA, and a Keras model compiled with jit_compile.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import assert_config_round_trip

import refs.losses as L
from refs.losses import metric_learning as M

RNG = np.random.default_rng(7)

BATCH_CLASSES = [
    (L.TripletSemiHardLoss, {"margin": 0.5}),
    (L.TripletSemiHardLoss, {"distance_metric": "angular"}),
    (L.TripletHardLoss, {"soft": True, "distance_metric": "squared-L2"}),
    (L.TripletHardLoss, {"margin": 0.3}),
    (L.LiftedStructLoss, {"margin": 1.0}),
]
SIM_CLASSES = [(L.NpairsLoss, {})]


def _unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _batch(b=8, d=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, size=b)
    return labels, _unit(rng.normal(size=(b, d)))


def value_and_grad(fn, x):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = fn(x)
        total = tf.reduce_sum(tf.cast(out, "float32"))
    return out.numpy(), tape.gradient(total, x).numpy()


# --------------------------------------------------------------------------- semi-hard vs B^3


def semihard_cubic(labels, emb, margin, squared=False):
    """The semi-hard loss written directly (B^2 x B masks), as a TF expression to differentiate.

    For each (anchor a, positive p, candidate n): mask = negative & d(a, n) > d(a, p); the
    semi-hard distance is min_n((d_an - M_a) mask + M_a), else the masked maximum of negatives.
    """
    d = M.pairwise_distance(emb, squared=squared)
    same = tf.equal(labels[:, None], labels[None, :])
    neg = tf.cast(~same, d.dtype)
    pos = tf.cast(same, d.dtype) - tf.eye(tf.shape(d)[0], dtype=d.dtype)
    top = tf.reduce_max(d, axis=1, keepdims=True)                    # (B, 1)
    mask = neg[:, None, :] * tf.cast(d[:, None, :] > d[:, :, None], d.dtype)  # [a, p, n]
    outside = tf.reduce_min((d[:, None, :] - top[:, :, None]) * mask, axis=2) + top
    any_outside = tf.reduce_sum(mask, axis=2) > 0
    low = tf.reduce_min(d, axis=1, keepdims=True)
    inside = tf.reduce_max((d - low) * neg, axis=1, keepdims=True) + low
    semi = tf.where(any_outside, outside, inside)
    loss = tf.maximum((margin + d - semi) * pos, 0.0)
    return tf.reduce_sum(loss) / tf.maximum(tf.reduce_sum(pos), 1.0)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("squared", [False, True])
def test_semihard_matches_the_cubic_formulation_with_ties(seed, squared):
    rng = np.random.default_rng(seed)
    b = 24
    labels = rng.integers(0, 4, size=b)
    # Coarse coordinates: many exactly tied distances; duplicated rows across classes.
    emb = rng.integers(-2, 3, size=(b, 3)).astype(np.float32)
    emb[5] = emb[4]
    labels[5] = (labels[4] + 1) % 4
    emb[7] = emb[6]
    labels[7] = labels[6]
    metric = "squared-L2" if squared else "L2"
    fn = lambda x: L.triplet_semihard_loss(labels, x, margin=0.7, distance_metric=metric)  # noqa: E731
    ref = lambda x: semihard_cubic(tf.constant(labels), x, 0.7, squared)  # noqa: E731
    got, grad = value_and_grad(fn, emb)
    want, want_grad = value_and_grad(ref, emb)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-4, atol=1e-5)


def test_semihard_large_batch_is_quadratic_in_memory():
    # B = 1024, D = 128: a B^2 x B float32 tensor would need 4.3 GB; B^2 matrices need 4 MB.
    labels = RNG.integers(0, 64, size=1024)
    emb = _unit(RNG.normal(size=(1024, 128)))
    value = float(L.TripletSemiHardLoss()(labels, emb))
    assert np.isfinite(value) and value > 0


# --------------------------------------------------------------------------- closed forms


def test_triplet_losses_on_separated_clusters_are_zero():
    labels = np.array([0, 0, 1, 1])
    emb = np.float32([[1, 0], [0.999, 0.0447], [-1, 0], [-0.999, 0.0447]])
    assert float(L.TripletSemiHardLoss(margin=0.5)(labels, emb)) == 0.0
    assert float(L.TripletHardLoss(margin=0.5)(labels, emb)) == 0.0


def test_triplet_hard_closed_form():
    labels = np.array([0, 0, 1])
    emb = np.float32([[0, 0], [3, 0], [0, 4]])
    # anchor 0: P = 3, N = 4 -> 0; anchor 1: P = 3, N = 5 -> 0; anchor 2: no positive,
    # P = row min = 0, N = 4 -> max(0 - 4 + 1, 0) = 0; margin 2 -> (1 + 0 + 0) / 3.
    assert float(L.triplet_hard_loss(labels, emb, margin=2.0)) == pytest.approx(1 / 3, 1e-6)


def test_semihard_closed_form():
    labels = np.array([0, 0, 1])
    emb = np.float32([[0, 0], [3, 0], [0, 4]])
    # (0, 1): d = 3; negatives farther than 3: n = 2 (d = 4) -> max(1 + 3 - 4, 0) = 0.
    # (1, 0): d = 3; d(1, 2) = 5 > 3 -> max(1 + 3 - 5, 0) = 0. margin = 2: (1 + 0) / 2.
    assert float(L.triplet_semihard_loss(labels, emb, margin=2.0)) == pytest.approx(0.5, 1e-6)


@pytest.mark.parametrize("cls", [L.TripletSemiHardLoss, L.LiftedStructLoss])
def test_no_positive_pair_gives_zero_and_zero_gradient(cls):
    labels = np.arange(5)
    _, emb = _batch(5)
    value, grad = value_and_grad(lambda x: cls()(labels, x), emb)
    assert value == 0.0 and np.all(grad == 0.0)


def test_lifted_single_class_gives_zero_and_zero_gradient():
    _, emb = _batch(5)
    value, grad = value_and_grad(lambda x: L.LiftedStructLoss()(np.zeros(5, int), x), emb)
    assert value == 0.0 and np.all(grad == 0.0)


def test_lifted_closed_form():
    labels = np.array([0, 0, 1])
    emb = np.float32([[0, 0], [1, 0], [0, 2]])
    d01, d02, d12 = 1.0, 2.0, np.sqrt(5.0)
    j = np.log(np.exp(1 - d02) + np.exp(1 - d12)) + d01
    want = 0.25 * 2 * max(j, 0) ** 2 / 1.0
    assert float(L.lifted_struct_loss(labels, emb, margin=1.0)) == pytest.approx(want, 1e-5)


def test_contrastive_closed_form():
    got = L.contrastive_loss(np.array([1, 0, 0]), np.float32([0.5, 0.2, 3.0]), margin=1.0)
    np.testing.assert_allclose(got, [0.25, 0.64, 0.0], rtol=1e-6)
    weighted = L.ContrastiveLoss(reduction="sum")([1, 0], np.float32([0.5, 0.2]),
                                                  sample_weight=[2.0, 0.0])
    assert float(weighted) == pytest.approx(0.5)


def test_npairs_closed_forms():
    sim = np.float32([[5, 0], [0, 5]])
    assert float(L.npairs_loss([0, 1], sim)) == pytest.approx(np.log1p(np.exp(-5)), 1e-6)
    # one class, equal similarities: uniform targets against a uniform softmax -> log 2
    both = float(L.npairs_loss([0, 0], np.zeros((2, 2), np.float32)))
    assert both == pytest.approx(np.log(2), 1e-6)
    multi = L.npairs_multilabel_loss(np.array([[1, 0], [0, 1]]), sim)
    assert float(multi) == pytest.approx(np.log1p(np.exp(-5)), 1e-6)


def test_npairs_multilabel_row_without_label_is_left_out():
    sim = np.float32([[5, 0, 1], [0, 5, 1], [1, 1, 1]])
    y = np.array([[1, 0], [0, 1], [0, 0]])
    value, grad = value_and_grad(lambda x: L.npairs_multilabel_loss(y, x), sim)
    two = float(L.npairs_multilabel_loss(y[:2], sim[:2, :2]))
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert np.all(grad[2] == 0)
    assert value > two  # the third column still enters the first two rows' softmax


def test_circle_reduction_averages_over_positive_samples_only():
    labels = np.array([0, 0, 1, 2])  # samples 2 and 3 have no positive: loss 0, left out
    emb = _unit(RNG.normal(size=(4, 3)))
    per = L.Circle(reduction="none")(labels, emb).numpy()
    assert per[2] == 0 and per[3] == 0 and np.all(per[:2] > 0)
    mean = float(L.Circle()(labels, emb))
    assert mean == pytest.approx(per[:2].mean(), rel=1e-6)
    assert float(L.Circle()(np.arange(4), emb)) == 0.0
    weighted = float(L.Circle()(labels, emb, sample_weight=[2.0, 0.0, 1.0, 1.0]))
    assert weighted == pytest.approx(2 * per[0] / 2, rel=1e-6)


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(("call", "name"), [
    (lambda: L.TripletSemiHardLoss()(np.zeros(4), np.zeros((4, 2, 2))), "y_pred"),
    (lambda: L.TripletHardLoss()(np.zeros(3), np.zeros((4, 2))), "y_true"),
    (lambda: L.TripletHardLoss()(np.zeros((4, 2)), np.zeros((4, 2))), "y_true"),
    (lambda: L.TripletSemiHardLoss(margin=-1.0), "margin"),
    (lambda: L.TripletHardLoss(margin=-0.5), "margin"),
    (lambda: L.LiftedStructLoss(margin=-1.0), "margin"),
    (lambda: L.ContrastiveLoss(margin=-1.0), "margin"),
    (lambda: L.TripletSemiHardLoss(distance_metric="cosine"), "distance_metric"),
    (lambda: L.TripletHardLoss(soft=1), "soft"),
    (lambda: L.TripletSemiHardLoss()(np.zeros(4), np.zeros((4, 2)), sample_weight=np.ones(4)),
     "sample_weight"),
    (lambda: L.lifted_struct_loss(np.zeros(4), np.zeros(4)), "embeddings"),
    (lambda: L.NpairsLoss()(np.zeros(4), np.zeros((4, 3))), "y_pred"),
    (lambda: L.NpairsMultilabelLoss()(np.zeros((3, 2)), np.zeros((4, 4))), "y_true"),
    (lambda: L.ContrastiveLoss()(np.ones(3), np.float32([0.1, -0.2, 0.3])), "y_pred"),
    (lambda: L.ContrastiveLoss()(np.ones(3), np.float32([0.1, 0.2])), "y_true"),
    (lambda: L.TripletSemiHardLoss()(np.zeros(2), np.float32([[np.nan, 0], [0, 1]])), "y_pred"),
    (lambda: L.Circle(gamma=0.0), "gamma"),
    (lambda: L.Circle()(np.zeros(3), np.zeros((4, 2))), "y_true"),
])
def test_bad_inputs_raise_value_errors_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# --------------------------------------------------------------------------- config, saving

ALL = BATCH_CLASSES + SIM_CLASSES + [
    (L.NpairsMultilabelLoss, {}), (L.ContrastiveLoss, {"margin": 2.0}),
    (L.Circle, {"gamma": 16.0, "margin": 0.25, "remove_diagonal": False}),
]
IDS = [f"{c.__name__}-{kw}" for c, kw in ALL]


@pytest.mark.parametrize(("cls", "kwargs"), ALL, ids=IDS)
def test_config_round_trip_and_registered_serialization(cls, kwargs):
    assert_config_round_trip(cls, kwargs)


def _inputs_for(cls, dtype="float32", scale=1.0):
    labels, emb = _batch(8, 4, 3, seed=1)
    if cls is L.ContrastiveLoss:
        return (labels % 2).astype(np.float32), (np.abs(emb[:, 0]) * scale * 3).astype(dtype)
    if cls is L.NpairsLoss:
        return labels, (emb @ emb.T * 3 * scale).astype(dtype)
    if cls is L.NpairsMultilabelLoss:
        return np.eye(3, dtype=int)[labels], (emb @ emb.T * 3 * scale).astype(dtype)
    return labels, (emb * scale).astype(dtype)


@pytest.mark.parametrize(("cls", "kwargs"), ALL, ids=IDS)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_inputs_give_finite_values_and_gradients(cls, kwargs, dtype):
    y_true, y_pred = _inputs_for(cls)
    loss = cls(**kwargs, dtype=dtype)
    value, grad = value_and_grad(lambda x: loss(y_true, x), tf.cast(y_pred, dtype))
    assert str(value.dtype) == dtype
    assert np.all(np.isfinite(np.asarray(value, np.float32)))
    assert np.all(np.isfinite(tf.cast(grad, "float32").numpy()))
    ref = np.asarray(cls(**kwargs)(y_true, y_pred), np.float32)
    np.testing.assert_allclose(np.asarray(value, np.float32), ref, rtol=0.05, atol=0.05)


@pytest.mark.parametrize(("cls", "kwargs"), ALL, ids=IDS)
def test_huge_inputs_give_finite_values_and_gradients(cls, kwargs):
    y_true, y_pred = _inputs_for(cls, scale=1e4)
    for dtype in ("float32", "float64"):
        loss = cls(**kwargs, dtype=dtype)
        value, grad = value_and_grad(lambda x, _l=loss: _l(y_true, x), y_pred.astype(dtype))
        assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad)), (dtype, value)


XLA = [case for i, case in enumerate(ALL) if i not in (1, 3)]  # one per class (compile time)


@pytest.mark.parametrize(("cls", "kwargs"), XLA, ids=[f"{c.__name__}-{kw}" for c, kw in XLA])
def test_xla_compiled_call_matches_eager(cls, kwargs):
    y_true, y_pred = _inputs_for(cls)
    loss = cls(**kwargs)

    @tf.function(jit_compile=True)
    def compiled(t, p):
        with tf.GradientTape() as tape:
            tape.watch(p)
            out = loss(t, p)
            total = tf.reduce_sum(out)
        return out, tape.gradient(total, p)

    out, grad = compiled(tf.constant(y_true), tf.constant(y_pred))
    eager, eager_grad = value_and_grad(lambda x: loss(y_true, x), y_pred)
    np.testing.assert_allclose(out.numpy(), eager, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad.numpy(), eager_grad, rtol=1e-4, atol=1e-5)


def test_keras_model_compiled_with_jit_trains_with_triplet_losses():
    labels, _ = _batch(16, 4, 4, seed=3)
    x = RNG.normal(size=(16, 5)).astype(np.float32)
    inp = keras.Input((5,))
    emb = keras.layers.UnitNormalization()(keras.layers.Dense(4)(inp))
    model = keras.Model(inp, [emb, emb])
    model.compile(optimizer="sgd", loss=[L.TripletSemiHardLoss(), L.Circle()], jit_compile=True)
    history = model.fit(x, [labels, labels], epochs=2, batch_size=16, verbose=0)
    assert all(np.all(np.isfinite(v)) for v in history.history.values())
