"""refs.losses.adversarial (the GAN losses) against closed-form maths and the tutorial's goldens."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import golden_cases

from refs import losses as L


def cases(prefix):
    """The gan_minimax.json cases under ``prefix`` (a skip param when the file is absent)."""
    return golden_cases("gan_minimax.json", lambda c: c["id"].startswith(prefix))


def softplus(x):
    return np.logaddexp(0.0, x)


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def value_and_grads(loss, *inputs, dtype):
    tensors = [tf.constant(np.asarray(x, dtype)) for x in inputs]
    with tf.GradientTape() as tape:
        for t in tensors:
            tape.watch(t)
        value = loss(*tensors)
    grads = tape.gradient(value, tensors)
    return float(value), [g.numpy() for g in grads]


def tol(case):
    return dict(rtol=1e-9, atol=1e-12) if case["dtype"] == "float64" else dict(rtol=1e-5,
                                                                               atol=1e-6)


# -- golden: the tutorial's losses and the saturating loss --------------------------------------
@pytest.mark.parametrize("case", cases("gan/discriminator_loss/"), ids=lambda c: c["id"])
def test_discriminator_loss_matches_tutorial(case):
    real, fake = case["inputs"]["real_output"], case["inputs"]["fake_output"]
    loss = L.DiscriminatorMinimaxLoss(dtype=case["dtype"])
    value, (g_real, g_fake) = value_and_grads(loss, real, fake, dtype=case["dtype"])
    np.testing.assert_allclose(value, case["expected"], **tol(case))
    t = {k: v * 10 for k, v in tol(case).items()}
    np.testing.assert_allclose(g_real, case["expected_grad"]["real_output"], **t)
    np.testing.assert_allclose(g_fake, case["expected_grad"]["fake_output"], **t)


@pytest.mark.parametrize("case", cases("gan/generator_loss/"), ids=lambda c: c["id"])
def test_non_saturating_generator_loss_matches_tutorial(case):
    loss = L.GeneratorNonSaturatingLoss(dtype=case["dtype"])
    value, (grad,) = value_and_grads(loss, case["inputs"]["fake_output"], dtype=case["dtype"])
    np.testing.assert_allclose(value, case["expected"], **tol(case))
    t = {k: v * 10 for k, v in tol(case).items()}
    np.testing.assert_allclose(grad, case["expected_grad"]["fake_output"], **t)


@pytest.mark.parametrize("case", cases("gan/minimax_generator_objective/"), ids=lambda c: c["id"])
def test_saturating_generator_loss_is_what_g_minimises(case):
    loss = L.GeneratorSaturatingLoss(dtype="float64")
    value, (grad,) = value_and_grads(loss, case["inputs"]["fake_output"], dtype="float64")
    np.testing.assert_allclose(value, case["expected"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grad, case["expected_grad"]["fake_output"], rtol=1e-8, atol=1e-11)


@pytest.mark.parametrize("case", cases("gan/saturating_generator_loss_as_briefed/"),
                         ids=lambda c: c["id"])
def test_saturating_loss_sign_convention(case):
    """-mean(log(1 - D(G(z)))) of the golden file is the negative of what G minimises."""
    fake = np.asarray(case["inputs"]["fake_output"], np.float64)
    value = float(L.GeneratorSaturatingLoss(dtype="float64")(fake))
    np.testing.assert_allclose(-value, case["expected"], rtol=1e-9, atol=1e-12)


# -- closed forms -------------------------------------------------------------------------------
RNG = np.random.default_rng(0)
R = RNG.normal(0, 3, (16, 3))
F = RNG.normal(0, 3, (16, 3))


@pytest.mark.parametrize("fn, expected", [
    (L.discriminator_minimax_loss, (softplus(-R) + softplus(F)).mean(-1)),
    (L.wasserstein_critic_loss, (F - R).mean(-1)),
    (L.least_squares_discriminator_loss, 0.5 * ((R - 1) ** 2 + F ** 2).mean(-1)),
    (L.hinge_discriminator_loss, (np.maximum(0, 1 - R) + np.maximum(0, 1 + F)).mean(-1)),
], ids=["minimax", "wasserstein", "lsgan", "hinge"])
def test_discriminator_losses_closed_form(fn, expected):
    np.testing.assert_allclose(fn(R, F), expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("fn, expected", [
    (L.generator_saturating_loss, -softplus(F).mean(-1)),
    (L.generator_non_saturating_loss, softplus(-F).mean(-1)),
    (L.wasserstein_generator_loss, -F.mean(-1)),
    (L.least_squares_generator_loss, 0.5 * ((F - 1) ** 2).mean(-1)),
    (L.hinge_generator_loss, -F.mean(-1)),
], ids=["saturating", "non-saturating", "wasserstein", "lsgan", "hinge"])
def test_generator_losses_closed_form(fn, expected):
    np.testing.assert_allclose(fn(F), expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("s", [0.0, 0.1, 0.3, 1.0])
def test_one_sided_label_smoothing(s):
    """Real target 1 - s: (1 - s) softplus(-r) + s softplus(r); the fake term is unchanged."""
    expected = ((1 - s) * softplus(-R) + s * softplus(R) + softplus(F)).mean(-1)
    np.testing.assert_allclose(L.discriminator_minimax_loss(R, F, real_label_smoothing=s),
                               expected, rtol=1e-6, atol=1e-9)


def test_saturation_gradients():
    """At f -> -inf the saturating gradient vanishes, the non-saturating one tends to -1."""
    f = np.array([[-20.0], [-5.0], [0.0], [5.0]])
    _, (g_sat,) = value_and_grads(L.GeneratorSaturatingLoss(reduction="sum", dtype="float64"),
                                  f, dtype="float64")
    _, (g_ns,) = value_and_grads(L.GeneratorNonSaturatingLoss(reduction="sum", dtype="float64"),
                                 f, dtype="float64")
    np.testing.assert_allclose(g_sat, -sigmoid(f), rtol=1e-7)
    np.testing.assert_allclose(g_ns, sigmoid(f) - 1.0, rtol=1e-7)
    assert abs(g_sat[0, 0]) < 1e-8 and abs(g_ns[0, 0] + 1.0) < 1e-8


@pytest.mark.parametrize("name", L.LOSS_NAMES)
def test_stable_for_huge_logits(name):
    """Logits of +-1e4 in float32 give finite values equal to the closed form, finite grads."""
    d_loss, g_loss = L.get_loss_pair(name)
    big = np.array([[1e4], [-1e4], [0.0], [30.0]], np.float32)
    d_val, d_grads = value_and_grads(d_loss, big, -big, dtype=np.float32)
    g_val, (g_grad,) = value_and_grads(g_loss, big, dtype=np.float32)
    assert np.isfinite(d_val) and np.isfinite(g_val)
    assert all(np.all(np.isfinite(g)) for g in (*d_grads, g_grad))
    if name in ("minimax", "non-saturating"):
        b = big.astype(np.float64)
        np.testing.assert_allclose(d_val, (softplus(-b) + softplus(-b)).mean(), rtol=1e-6)
        g_expected = -softplus(b).mean() if name == "minimax" else softplus(-b).mean()
        np.testing.assert_allclose(g_val, g_expected, rtol=1e-6)


def test_gradient_penalty_closed_form():
    g = np.zeros((3, 2, 2, 1))
    g[0, 0, 0, 0] = 1.0          # norm 1 -> 0
    g[1] = 1.0                   # norm 2 -> 1
    g[2, 1, 1, 0] = 3.0          # norm 3 -> 4
    np.testing.assert_allclose(L.gradient_penalty(g), [0.0, 1.0, 4.0], atol=1e-5)


# -- classes: serialization, reduction, errors --------------------------------------------------
ALL_CLASSES = [
    L.DiscriminatorMinimaxLoss(real_label_smoothing=0.1), L.GeneratorSaturatingLoss(),
    L.GeneratorNonSaturatingLoss(), L.WassersteinCriticLoss(gradient_penalty_weight=5.0),
    L.WassersteinGeneratorLoss(), L.LeastSquaresDiscriminatorLoss(),
    L.LeastSquaresGeneratorLoss(), L.HingeDiscriminatorLoss(), L.HingeGeneratorLoss(),
]


@pytest.mark.parametrize("loss", ALL_CLASSES, ids=lambda x: type(x).__name__)
def test_classes_round_trip_through_keras_serialization(loss):
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()
    args = (R, F) if isinstance(loss, L.DiscriminatorLoss) else (F,)
    np.testing.assert_allclose(float(clone(*args)), float(loss(*args)), rtol=1e-6)


def test_hyperparameters_survive_serialization():
    d = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(
        L.DiscriminatorMinimaxLoss(real_label_smoothing=0.2)))
    assert d.real_label_smoothing == 0.2
    w = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(
        L.WassersteinCriticLoss(gradient_penalty_weight=3.0)))
    assert w.gradient_penalty_weight == 3.0


def test_class_applies_sample_weight_and_reduction():
    loss = L.GeneratorNonSaturatingLoss(reduction="sum")
    w = np.arange(16, dtype=np.float32)
    np.testing.assert_allclose(float(loss(F, sample_weight=w)),
                               (w * softplus(-F).mean(-1)).sum(), rtol=1e-5)
    per_sample = L.DiscriminatorMinimaxLoss(reduction="none")(R, F)
    assert tuple(per_sample.shape) == (16,)


def test_bad_hyperparameters_and_shapes_are_named():
    with pytest.raises(ValueError, match="real_label_smoothing"):
        L.DiscriminatorMinimaxLoss(real_label_smoothing=1.5)
    with pytest.raises(ValueError, match="gradient_penalty_weight"):
        L.WassersteinCriticLoss(gradient_penalty_weight=-1.0)
    with pytest.raises(ValueError, match="same shape"):
        L.discriminator_minimax_loss(np.zeros((4, 1)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="loss must be one of"):
        L.get_loss_pair("wasserstein")
    with pytest.raises(ValueError, match="minimax losses only"):
        L.get_loss_pair("hinge", real_label_smoothing=0.1)


def test_loss_pairs():
    pairs = {name: L.get_loss_pair(name) for name in L.LOSS_NAMES}
    assert isinstance(pairs["minimax"][1], L.GeneratorSaturatingLoss)
    assert isinstance(pairs["non-saturating"][1], L.GeneratorNonSaturatingLoss)
    assert pairs["wgan-gp"][0].gradient_penalty_weight == 10.0
    assert isinstance(pairs["lsgan"][0], L.LeastSquaresDiscriminatorLoss)
    assert isinstance(pairs["hinge"][1], L.HingeGeneratorLoss)


# -- inputs: the five pairs check them alike ------------------------------------------------------
@pytest.mark.parametrize("name", L.LOSS_NAMES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_every_pair_rejects_nan_and_infinities_where_the_loss_is_infinite(name, bad):
    """NaN is an error for all five pairs (WGAN-GP, LSGAN and hinge used to return NaN); an
    infinity is an error unless that loss term has a finite limit there."""
    d_loss, g_loss = L.get_loss_pair(name)
    real, fake = np.zeros((4, 1)), np.zeros((4, 1))
    finite_limit = {  # (real, fake, generator's fake) sign with a finite limit
        "minimax": ("+", "-", "-"), "non-saturating": ("+", "-", "+"),
        "wgan-gp": (None, None, None), "lsgan": (None, None, None), "hinge": ("+", "-", None),
    }[name]
    sign = None if np.isnan(bad) else ("+" if bad > 0 else "-")
    # (the WGAN, LSGAN and hinge functions call their inputs scores, the others logits)
    calls = [(lambda: d_loss(_set(real, bad), fake), finite_limit[0], "real_(logits|scores)"),
             (lambda: d_loss(real, _set(fake, bad)), finite_limit[1], "fake_(logits|scores)"),
             (lambda: g_loss(_set(fake, bad)), finite_limit[2], "fake_(logits|scores)")]
    for call, limit, argument in calls:
        if sign is not None and sign == limit:
            assert np.isfinite(float(call()))
        else:
            with pytest.raises(ValueError, match=f"{argument} contains"):
                call()


def _set(a, value):
    a = a.copy()
    a[0, 0] = value
    return a


def test_functions_name_their_arguments():
    with pytest.raises(ValueError, match="wasserstein_critic_loss: fake_scores contains NaN"):
        L.wasserstein_critic_loss(np.zeros((2, 1)), np.array([[np.nan], [0.0]]))
    with pytest.raises(ValueError, match="least_squares_generator_loss: fake_scores contains"):
        L.least_squares_generator_loss(np.array([[np.inf]]))
    with pytest.raises(ValueError, match="gradient_penalty: gradients contains NaN"):
        L.gradient_penalty(np.array([[np.nan, 1.0]]))
    with pytest.raises(TypeError, match="real_logits must hold numbers"):
        L.discriminator_minimax_loss(np.array([["a"]]), np.zeros((1, 1)))


def test_infinite_logits_with_a_finite_limit_give_that_limit():
    """D(x) = +inf on a real and -inf on a fake cost the minimax discriminator nothing."""
    real = np.array([[np.inf], [0.0]])
    fake = np.array([[-np.inf], [0.0]])
    np.testing.assert_allclose(L.discriminator_minimax_loss(real, fake), [0.0, 2 * np.log(2)],
                               rtol=1e-6)
    np.testing.assert_allclose(L.hinge_discriminator_loss(real, fake), [0.0, 2.0])
    with pytest.raises(ValueError, match="real_logits contains \\+inf"):  # smoothed target
        L.discriminator_minimax_loss(real, fake, real_label_smoothing=0.1)


def test_gradient_penalty_of_an_empty_batch_is_empty():
    assert tuple(np.shape(L.gradient_penalty(np.zeros((0, 2, 2, 1))))) == (0,)


def test_get_loss_pair_validates_every_argument():
    with pytest.raises(TypeError, match="gradient_penalty_weight must be a number"):
        L.get_loss_pair("minimax", gradient_penalty_weight="10")
    with pytest.raises(ValueError, match="real_label_smoothing must be in"):
        L.get_loss_pair("wgan-gp", real_label_smoothing=float("nan"))
