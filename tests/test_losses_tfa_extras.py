"""refs' PinballLoss (regression), SparsemaxLoss / sparsemax (sparsemax) and WeightedKappaLoss
(ordinal): closed forms, bad inputs, serialization and XLA. Golden parity with tfa is in
test_losses_tfa_golden.py; float16 / bfloat16 and extremes in test_losses_stability.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import assert_config_round_trip

import refs.losses as L

RNG = np.random.default_rng(3)


def test_pinball_closed_forms():
    y, p = np.float32([[1.0, 1.0]]), np.float32([[0.0, 3.0]])
    np.testing.assert_allclose(L.pinball_loss(y, p, tau=0.9), [0.55], rtol=1e-6)
    y, p = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))
    np.testing.assert_allclose(L.pinball_loss(y, p, tau=0.5),
                               0.5 * np.abs(y - p).mean(-1), rtol=1e-12)
    # tau = 0: only over-prediction costs; tau = 1: only under-prediction.
    assert float(L.pinball_loss([[1.0]], [[0.0]], tau=0.0)[0]) == 0.0
    assert float(L.pinball_loss([[0.0]], [[1.0]], tau=1.0)[0]) == 0.0
    per_output = L.pinball_loss(np.zeros((1, 2)), np.ones((1, 2)), tau=[0.1, 0.9])
    np.testing.assert_allclose(per_output, [(0.9 + 0.1) / 2])


@pytest.mark.parametrize("tau", [-0.1, 1.5, float("nan")])
def test_pinball_rejects_tau_outside_the_unit_interval(tau):
    with pytest.raises(ValueError, match="tau"):
        L.PinballLoss(tau=tau)
    with pytest.raises(ValueError, match="tau"):
        L.pinball_loss([[0.0]], [[1.0]], tau=tau)


def _project_simplex(z):
    """Euclidean projection onto the simplex by bisection on tau (an independent derivation)."""
    lo, hi = z.min() - 1.0, z.max()
    for _ in range(200):
        tau = (lo + hi) / 2
        lo, hi = (tau, hi) if np.maximum(z - tau, 0).sum() > 1 else (lo, tau)
    return np.maximum(z - (lo + hi) / 2, 0)


def test_sparsemax_is_the_simplex_projection():
    z = RNG.normal(0, 2, size=(6, 5))
    p = np.asarray(L.sparsemax(z))
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-10)
    np.testing.assert_allclose(p, np.stack([_project_simplex(r) for r in z]), atol=1e-9)
    np.testing.assert_allclose(np.asarray(L.sparsemax(z.T, axis=0)), p.T, atol=1e-12)
    np.testing.assert_allclose(L.sparsemax([[2.0, 0.5, -1.0]]), [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(L.sparsemax([[0.6, 0.4, -1.0]]), [[0.6, 0.4, 0.0]], atol=1e-6)


def test_sparsemax_loss_gradient_is_sparsemax_minus_target():
    z = tf.constant(RNG.normal(0, 2, size=(4, 5)))
    q = np.eye(5)[[0, 3, 1, 4]]
    with tf.GradientTape() as tape:
        tape.watch(z)
        total = tf.reduce_sum(L.SparsemaxLoss(reduction="sum", dtype="float64")(q, z))
    np.testing.assert_allclose(tape.gradient(total, z), np.asarray(L.sparsemax(z)) - q,
                               atol=1e-12)
    # the tfa-signature function agrees with the class, and a perfect prediction costs 0
    per = L.sparsemax_loss(z, L.sparsemax(z), q)
    np.testing.assert_allclose(per, L.SparsemaxLoss(reduction="none", dtype="float64")(q, z))
    assert float(L.SparsemaxLoss()([[1.0, 0.0, 0.0]], [[2.0, 0.5, -1.0]])) == 0.0


def test_sparsemax_bad_inputs():
    with pytest.raises(ValueError, match="from_logits"):
        L.SparsemaxLoss(from_logits=False)
    with pytest.raises(ValueError, match="logits"):
        L.sparsemax([[np.inf, 0.0]])
    with pytest.raises(ValueError, match="y_true"):
        L.SparsemaxLoss()(np.eye(3), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="labels"):
        L.sparsemax_loss(np.zeros((2, 3)), np.full((2, 3), 1 / 3), np.zeros((2, 4)))


def test_kappa_closed_forms():
    y = np.eye(3)[[0, 1, 2, 1]]
    perfect = float(L.WeightedKappaLoss(num_classes=3)(y, y))
    assert perfect == pytest.approx(np.log(1e-6), rel=1e-6)
    p = np.float64([[0.8, 0.2, 0.0], [0.1, 0.8, 0.1], [0.0, 0.3, 0.7], [0.2, 0.6, 0.2]])
    w = np.abs(np.arange(3)[:, None] - np.arange(3)[None, :]).astype(float)
    num = sum(w[np.argmax(y[i])] @ p[i] for i in range(4))
    den = y.sum(0) @ w @ p.sum(0) / 4
    got = L.weighted_kappa_loss(y, p, num_classes=3, weightage="linear")
    assert float(got) == pytest.approx(np.log(num / den + 1e-6), rel=1e-12)
    # all one class, predicted with certainty: den = 0 -> num / den := 0 (tfa's div_no_nan)
    one = np.eye(3)[[0, 0]]
    assert float(L.weighted_kappa_loss(one, one)) == pytest.approx(np.log(1e-6), rel=1e-6)


@pytest.mark.parametrize(("call", "name"), [
    (lambda: L.WeightedKappaLoss(num_classes=0), "num_classes"),
    (lambda: L.WeightedKappaLoss(num_classes=2.5), "num_classes"),
    (lambda: L.WeightedKappaLoss(num_classes=3, weightage="cubic"), "weightage"),
    (lambda: L.WeightedKappaLoss(num_classes=3, epsilon=0.0), "epsilon"),
    (lambda: L.WeightedKappaLoss(num_classes=4)(np.eye(3), np.eye(3)), "num_classes"),
    (lambda: L.WeightedKappaLoss(num_classes=3)(np.eye(3), np.eye(3), sample_weight=[1, 1, 1]),
     "sample_weight"),
    (lambda: L.WeightedKappaLoss(num_classes=3)(np.eye(3), np.eye(3) * 2), "y_pred"),
    (lambda: L.WeightedKappaLoss(num_classes=3)(np.eye(3)[None], np.eye(3)[None]), "y_true"),
])
def test_kappa_bad_inputs(call, name):
    with pytest.raises(ValueError, match=name):
        call()


CLASSES = [
    (L.PinballLoss, {"tau": 0.25}),
    (L.SparsemaxLoss, {}),
    (L.WeightedKappaLoss, {"num_classes": 4, "weightage": "linear", "epsilon": 1e-5}),
]


@pytest.mark.parametrize(("cls", "kwargs"), CLASSES, ids=[c.__name__ for c, _ in CLASSES])
def test_config_round_trip_and_registered_serialization(cls, kwargs):
    assert_config_round_trip(cls, kwargs)


def test_tfa_defaults():
    assert L.PinballLoss().tau == 0.5 and L.PinballLoss().reduction == "sum_over_batch_size"
    kappa = L.WeightedKappaLoss(num_classes=5)
    assert (kappa.weightage, kappa.epsilon, kappa.name, kappa.reduction) == (
        "quadratic", 1e-6, "cohen_kappa_loss", "none")
    assert L.SparsemaxLoss().name == "sparsemax_loss"
    # refs: num_classes may be left out (tfa requires it): taken from y_pred's last axis
    y, p = np.eye(3)[[0, 1, 2]], np.full((3, 3), 1 / 3)
    assert float(L.WeightedKappaLoss()(y, p)) == float(L.WeightedKappaLoss(num_classes=3)(y, p))


def test_sparsemax_function_under_xla_matches_eager():
    z = RNG.normal(0, 3, size=(5, 6)).astype(np.float32)
    compiled = tf.function(lambda x: L.sparsemax(x), jit_compile=True)
    np.testing.assert_allclose(compiled(tf.constant(z)).numpy(), L.sparsemax(z), atol=1e-6)
