"""Golden parity with Keras 3.15.1 (``tests/golden/keras3_losses.json``), plus the behaviour of
the losses refs took from Keras 3 (CTC, generalized cross-entropy, SCCE's ``ignore_class``).

Every case of these losses in the file is a test (pytest id = case id): CTC (18),
CategoricalGeneralizedCrossEntropy (39), Poisson (21), MeanAbsolutePercentageError (21),
SparseCategoricalCrossentropy with ``ignore_class`` (42) and CategoricalFocalCrossentropy
(57). Dice, Tversky and Circle (the rest of the file) are tested with their own modules.

Each case is ``Cls(**kwargs, reduction=..., dtype=case dtype)(y_true, y_pred, sample_weight)``
and ``expected_grad`` the gradient of ``sum(output)``. Tolerances: float64 ``rtol=1e-9,
atol=1e-12``; float32 ``rtol=1e-5, atol=1e-6``; CTC (float32 only: Keras computes it in
float32) ``rtol=1e-4, atol=1e-5``; gradients ten times those.

One mapping, on purpose:

- ``CategoricalFocalCrossentropy(from_logits=True)`` on the extreme input sets (s2, s3: logits
  of +-1000, 88, 30...). Keras takes ``softmax`` and clips it to ``[1e-7, 1 - 1e-7]``, so a
  confidently wrong row costs at most ``-log 1e-7 = 16.1`` and gets no gradient; refs uses
  ``log_softmax`` unclipped (documented in ``categorical_focal_crossentropy``): the loss keeps
  growing and keeps its gradient. Those 20 cases are checked against the closed form of refs's
  formula (numpy, float64), and -- with ``reduction="none"`` -- against Keras's value and
  gradient on every sample whose softmax is within the clip bounds (where the two agree).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import golden_cases

import refs.losses as L

FILE = "keras3_losses.json"
CLASSES = {
    "CTC": L.CTC,
    "CategoricalGeneralizedCrossEntropy": L.CategoricalGeneralizedCrossEntropy,
    "Poisson": L.Poisson,
    "MeanAbsolutePercentageError": L.MeanAbsolutePercentageError,
    "SparseCategoricalCrossentropy": L.SparseCategoricalCrossentropy,
    "CategoricalFocalCrossentropy": L.CategoricalFocalCrossentropy,
}


def _name(case):
    return case["loss"].rsplit(".", 1)[-1]


CASES = golden_cases(FILE, lambda c: _name(c) in CLASSES)


def _tolerance(case):
    if _name(case) == "CTC":
        return 1e-4, 1e-5
    return (1e-9, 1e-12) if case["dtype"] == "float64" else (1e-5, 1e-6)


def _run(case):
    """(value, gradient of sum(value) with respect to y_pred) of refs on the case."""
    dtype = case["dtype"]
    loss = CLASSES[_name(case)](**case["kwargs"], reduction=case["reduction"], dtype=dtype)
    y_pred = tf.constant(np.asarray(case["y_pred"], dtype=dtype))
    sw = case["sample_weight"]
    sw = None if sw is None else np.asarray(sw, dtype=dtype)
    with tf.GradientTape() as tape:
        tape.watch(y_pred)
        value = loss(np.asarray(case["y_true"]), y_pred, sample_weight=sw)
        total = tf.reduce_sum(value)
    return value.numpy(), tape.gradient(total, y_pred).numpy()


def _clipped_by_keras(case) -> bool:
    return (_name(case) == "CategoricalFocalCrossentropy" and case["kwargs"]["from_logits"]
            and case["input_set"].get("extreme", False))


def _refs_focal_from_logits(case):
    """Closed form of refs's categorical focal loss from logits (log_softmax, no clip)."""
    kw = case["kwargs"]
    axis = kw["axis"]
    x = np.asarray(case["y_pred"], dtype=np.float64)
    y = np.asarray(case["y_true"], dtype=np.float64)
    if kw["label_smoothing"]:
        y = y * (1 - kw["label_smoothing"]) + kw["label_smoothing"] / y.shape[axis]
    shifted = x - x.max(axis=axis, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    p = np.exp(log_p)
    per_sample = (kw["alpha"] * (1 - p) ** kw["gamma"] * -y * log_p).sum(axis=axis)
    if case["sample_weight"] is not None:
        per_sample = per_sample * np.asarray(case["sample_weight"])
    return {"none": per_sample, "sum": per_sample.sum(),
            "sum_over_batch_size": per_sample.mean()}[case["reduction"]], p


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_matches_keras3(case):
    value, grad = _run(case)
    rtol, atol = _tolerance(case)
    if _clipped_by_keras(case):
        closed, p = _refs_focal_from_logits(case)
        np.testing.assert_allclose(value, closed, rtol=1e-5 if case["dtype"] == "float32"
                                   else 1e-9, atol=atol)
        assert np.isfinite(grad).all()
        if case["reduction"] == "none":
            axis = case["kwargs"]["axis"]
            inside = ((p >= 1e-7) & (p <= 1 - 1e-7)).all(axis=axis)
            assert inside.any() and not inside.all()
            expected = np.asarray(case["expected"], dtype=float)
            np.testing.assert_allclose(value[inside], expected[inside], rtol=rtol, atol=atol)
            g_ref = np.moveaxis(np.asarray(case["expected_grad"]), axis, -1)[inside]
            np.testing.assert_allclose(np.moveaxis(grad, axis, -1)[inside], g_ref,
                                       rtol=10 * rtol, atol=10 * atol)
        return
    np.testing.assert_allclose(value, np.asarray(case["expected"], dtype=float),
                               rtol=rtol, atol=atol)
    if case.get("expected_grad") is not None:
        np.testing.assert_allclose(grad, np.asarray(case["expected_grad"]),
                                   rtol=10 * rtol, atol=10 * atol)
    else:  # Keras's gradient is inf at p_y = 0 (generalized CE); refs documents 0 there
        assert np.isfinite(grad).all()


def test_every_case_of_these_losses_is_collected():
    counts = {}
    for case in CASES:
        counts[_name(case)] = counts.get(_name(case), 0) + 1
    assert counts == {"CTC": 18, "CategoricalGeneralizedCrossEntropy": 39, "Poisson": 21,
                      "MeanAbsolutePercentageError": 21, "SparseCategoricalCrossentropy": 42,
                      "CategoricalFocalCrossentropy": 57}
    assert sum(_clipped_by_keras(c) for c in CASES) == 20


# --------------------------------------------------------------------------- behaviour


def _ctc_brute_force(labels, logits):
    """-log p(labels) by enumerating every path of T frames (tiny T and C only)."""
    import itertools

    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    target = [int(v) for v in labels if v != 0]
    total = 0.0
    for path in itertools.product(range(logits.shape[1]), repeat=logits.shape[0]):
        collapsed = [k for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k)]
        if collapsed == target:
            total += np.exp(sum(log_p[t, k] for t, k in enumerate(path)))
    return -np.log(total)


def test_ctc_matches_the_sum_over_paths():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 4, 3))
    labels = np.array([[1, 2, 0], [2, 2, 0], [0, 0, 0], [1, 0, 0]])
    got = L.ctc(labels, logits.astype("float32"))
    want = [_ctc_brute_force(lab, lg) for lab, lg in zip(labels, logits)]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    # The class averages over sequences and takes one weight per sequence.
    sw = np.array([1.0, 0.0, 2.0, 1.0])
    np.testing.assert_allclose(L.CTC()(labels, logits.astype("float32"), sample_weight=sw),
                               np.sum(sw * want) / 4, rtol=1e-5)


def test_ctc_certain_prediction_is_zero_and_docstring_example():
    logits = np.full((1, 3, 3), -50.0, dtype="float32")
    logits[0, [0, 1, 2], [1, 0, 2]] = 50.0  # 1, blank, 2
    np.testing.assert_allclose(L.ctc([[1, 2]], logits), [0.0], atol=1e-5)
    np.testing.assert_allclose(L.ctc([[1]], [[[0.0, 0.0]]]), [np.log(2)], rtol=1e-6)


@pytest.mark.parametrize("call, argument", [
    (lambda: L.ctc([[1, 0, 2]], np.zeros((1, 4, 3))), "y_true"),   # label after padding
    (lambda: L.ctc([[1, 1, 1]], np.zeros((1, 4, 3))), "frames"),   # needs 5 frames
    (lambda: L.ctc([[1, 3]], np.zeros((1, 4, 3))), "y_true"),      # class out of range
    (lambda: L.ctc([[1, -1]], np.zeros((1, 4, 3))), "y_true"),
    (lambda: L.ctc([[1.5]], np.zeros((1, 4, 3))), "y_true"),
    (lambda: L.ctc([1, 2], np.zeros((1, 4, 3))), "y_true"),        # rank 1
    (lambda: L.ctc([[1, 2]], np.zeros((4, 3))), "y_pred"),         # rank 2
    (lambda: L.ctc([[1], [2]], np.zeros((1, 4, 3))), "batch"),
    (lambda: L.ctc([[1]], np.full((1, 4, 3), np.nan)), "NaN"),
])
def test_ctc_bad_inputs_name_the_argument(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


def test_generalized_ce_closed_form_and_limits():
    p = np.array([[0.2, 0.8], [0.5, 0.5], [1.0, 0.0], [1.0, 0.0]])
    y = np.array([1, 0, 0, 1])
    for q in (0.3, 1.0):
        want = (1 - np.array([0.8, 0.5, 1.0, 0.0]) ** q) / q
        np.testing.assert_allclose(L.categorical_generalized_cross_entropy(y, p, q=q), want)
    # q = 1: 1 - p_y; a small q tends to the cross-entropy -log p_y.
    small = L.categorical_generalized_cross_entropy(y[:2], p[:2], q=1e-6)
    np.testing.assert_allclose(small, -np.log([0.8, 0.5]), rtol=1e-5)
    # (B, 1) labels are accepted; the docstring example.
    np.testing.assert_allclose(L.CategoricalGeneralizedCrossEntropy(q=0.5)([[0]], [[0.25, 0.75]]),
                               1.0)


@pytest.mark.parametrize("q", [0.0, -0.5, 1.5, float("nan")])
def test_generalized_ce_rejects_q_outside_0_1(q):
    with pytest.raises(ValueError, match="q must be in"):
        L.CategoricalGeneralizedCrossEntropy(q=q)
    with pytest.raises(ValueError, match="q must be in"):
        L.categorical_generalized_cross_entropy([0], [[1.0, 0.0]], q=q)


@pytest.mark.parametrize("q", ["0.5", True, None, [0.5]])
def test_generalized_ce_rejects_a_non_number_q(q):
    with pytest.raises(ValueError, match="q must be a number"):
        L.CategoricalGeneralizedCrossEntropy(q=q)


@pytest.mark.parametrize("call, argument", [
    (lambda: L.categorical_generalized_cross_entropy([2], [[0.5, 0.5]]), "y_true"),
    (lambda: L.categorical_generalized_cross_entropy([0.5], [[0.5, 0.5]]), "y_true"),
    (lambda: L.categorical_generalized_cross_entropy([0], [[2.0, -1.0]]), "y_pred"),
    (lambda: L.categorical_generalized_cross_entropy([0, 1], [[0.5, 0.5]]), "y_true"),
    (lambda: L.categorical_generalized_cross_entropy([[1.0, 0.0]], [[0.5, 0.5]]), "one-hot"),
])
def test_generalized_ce_bad_inputs_name_the_argument(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


def test_generalized_ce_gradient_is_finite_at_p_zero():
    p = tf.constant([[0.0, 1.0], [0.3, 0.7]], dtype="float64")
    with tf.GradientTape() as tape:
        tape.watch(p)
        value = L.categorical_generalized_cross_entropy([0, 1], p, q=0.5)
    grad = tape.gradient(value, p).numpy()
    np.testing.assert_allclose(value, [2.0, (1 - 0.7**0.5) / 0.5])
    assert np.isfinite(grad).all() and grad[0, 0] == 0.0
    np.testing.assert_allclose(grad[1, 1], -0.5 * 0.7**-0.5 / 0.5)


def test_ignore_class_closed_form_and_reductions():
    p = np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5], [0.1, 0.9]])
    y = np.array([1, 255, 0, 255])
    per = np.array([-np.log(0.8), 0.0, -np.log(0.5), 0.0])
    fn = L.sparse_categorical_crossentropy(y, p, ignore_class=255)
    np.testing.assert_allclose(fn, per, rtol=1e-6)
    make = lambda r: L.SparseCategoricalCrossentropy(ignore_class=255, reduction=r)  # noqa: E731
    np.testing.assert_allclose(make("sum_over_batch_size")(y, p), per.sum() / 2, rtol=1e-6)
    np.testing.assert_allclose(make("sum")(y, p), per.sum(), rtol=1e-6)
    np.testing.assert_allclose(make("none")(y, p), per, rtol=1e-6)
    sw = np.array([2.0, 5.0, 1.0, 7.0])
    np.testing.assert_allclose(make("mean_with_sample_weight")(y, p, sample_weight=sw),
                               (2 * per[0] + per[2]) / 3, rtol=1e-6)
    np.testing.assert_allclose(make("sum_over_batch_size")(y, p, sample_weight=sw),
                               (2 * per[0] + per[2]) / 2, rtol=1e-6)
    # Every entry ignored: 0, not NaN.
    assert float(make("sum_over_batch_size")([255, 255], p[:2])) == 0.0


def test_ignore_class_per_sample_weights_broadcast_over_pixels():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 4)).astype("float32")
    y = np.array([[0, -1, 3], [-1, -1, 2]])
    sw = np.array([1.0, 3.0])
    ours = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)(
        y, x, sample_weight=sw)
    # Keras 3.15 fails on (B,) weights with ignore_class (its mask (B, d) does not broadcast
    # against them); refs broadcasts them over the pixels, i.e. Keras with (B, d) weights.
    full = np.broadcast_to(sw[:, None], y.shape)
    ref = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)(
        y, x, sample_weight=full)
    np.testing.assert_allclose(ours, ref, rtol=1e-6)


@pytest.mark.parametrize("ignore_class, error", [(1.5, "ignore_class"), (True, "ignore_class"),
                                                 ("255", "ignore_class")])
def test_ignore_class_must_be_an_integer(ignore_class, error):
    with pytest.raises(ValueError, match=error):
        L.SparseCategoricalCrossentropy(ignore_class=ignore_class)
    with pytest.raises(ValueError, match=error):
        L.sparse_categorical_crossentropy([0], [[0.5, 0.5]], ignore_class=ignore_class)


def test_ignore_class_labels_still_checked():
    with pytest.raises(ValueError, match="y_true.*ignore_class=255"):
        L.sparse_categorical_crossentropy([0, 7], [[0.5, 0.5]] * 2, ignore_class=255)


@pytest.mark.parametrize("make", [
    lambda: L.CTC(),
    lambda: L.CTC(reduction="sum", name="seq"),
    lambda: L.CategoricalGeneralizedCrossEntropy(q=0.7, reduction="none"),
    lambda: L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255, axis=1),
])
def test_config_round_trip_and_registered_serialization(make):
    obj = make()
    again = type(obj).from_config(obj.get_config())
    assert again.get_config() == obj.get_config()
    restored = keras.losses.deserialize(keras.losses.serialize(obj))
    assert type(restored) is type(obj) and restored.get_config() == obj.get_config()
    assert keras.saving.get_registered_name(type(obj)) == f"refs>{type(obj).__name__}"


def test_scce_config_without_ignore_class_is_unchanged():
    assert "ignore_class" not in L.SparseCategoricalCrossentropy().get_config()
    assert L.SparseCategoricalCrossentropy(ignore_class=0).get_config()["ignore_class"] == 0


def _inputs(kind, dtype, extreme=False):
    rng = np.random.default_rng(3)
    if kind == "ctc":
        x = rng.normal(size=(3, 6, 4)) * (1000.0 if extreme else 1.0)
        return np.array([[1, 2, 0], [3, 3, 0], [0, 0, 0]]), tf.constant(x, dtype=dtype)
    if kind == "gce":
        p = rng.dirichlet(np.ones(3), size=5)
        if extreme:
            p[0] = [0.0, 1.0, 0.0]
            p[1] = [1.0, 0.0, 0.0]
        return np.array([0, 1, 2, 0, 1]), tf.constant(p, dtype=dtype)
    x = rng.normal(size=(5, 3)) * (1000.0 if extreme else 1.0)
    return np.array([0, 255, 2, 1, 255]), tf.constant(x, dtype=dtype)


LOSSES = [("ctc", lambda: L.CTC()), ("gce", lambda: L.CategoricalGeneralizedCrossEntropy(q=0.3)),
          ("scce", lambda: L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255))]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("extreme", [False, True])
@pytest.mark.parametrize("kind, make", LOSSES, ids=[k for k, _ in LOSSES])
def test_low_precision_and_extreme_inputs_are_finite(kind, make, dtype, extreme):
    y_true, y_pred = _inputs(kind, dtype, extreme)
    fn = make()._fn
    hyper = make()._hyper
    with tf.GradientTape() as tape:
        tape.watch(y_pred)
        value = tf.reduce_sum(fn(y_true, y_pred, **hyper))
    grad = tape.gradient(value, y_pred)
    assert np.isfinite(np.asarray(value, dtype=np.float32)).all()
    assert np.isfinite(np.asarray(tf.cast(grad, "float32"))).all()


@pytest.mark.parametrize("kind, make", LOSSES, ids=[k for k, _ in LOSSES])
def test_jit_compile_matches_eager(kind, make):
    y_true, y_pred = _inputs(kind, "float32")
    loss = make()
    compiled = tf.function(lambda t, p: loss(t, p), jit_compile=True)
    np.testing.assert_allclose(compiled(tf.constant(y_true), y_pred), loss(y_true, y_pred),
                               rtol=1e-5, atol=1e-6)


def test_keras_model_compiled_with_jit_trains_with_ctc_and_ignore_class():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(8, 6, 3)).astype("float32")
    labels = np.array([[1, 2, 0], [3, 0, 0], [2, 2, 1], [0, 0, 0]] * 2)
    pixels = rng.integers(0, 4, size=(8, 6))
    pixels[:, 0] = 255  # ignored
    inp = keras.Input((6, 3))
    seq = keras.layers.Dense(4, name="seq")(inp)
    seg = keras.layers.Dense(4, name="seg")(inp)
    model = keras.Model(inp, [seq, seg])
    scce = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255)
    model.compile(optimizer="sgd", loss=[L.CTC(), scce], jit_compile=True)
    history = model.fit(x, [labels, pixels], epochs=2, batch_size=8, verbose=0)
    assert all(np.isfinite(v).all() for v in history.history.values())
    # The compiled model's loss is the eager one (the masked mean over non-ignored pixels).
    seq_out, seg_out = model(x)
    want = float(L.CTC()(labels, seq_out)) + float(scce(pixels, seg_out))
    got = model.evaluate(x, [labels, pixels], batch_size=8, verbose=0, return_dict=True)
    np.testing.assert_allclose(got["loss"], want, rtol=1e-4)
