"""refs.losses.segmentation: behaviour, Keras parity, configs, bad inputs, low precision, XLA.

(Parity with the golden values of smp and Keras is in test_losses_segmentation_golden.py.)
"""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

import refs.losses.segmentation as S

RNG = np.random.default_rng(7)
B, H, W, C = 2, 3, 4, 3


def binary_inputs(seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random((B, H, W, 1)) < 0.4).astype(np.float32)
    y[0, 0, 0, 0], y[1, 0, 0, 0] = 1.0, 0.0
    return y, rng.normal(0, 2, (B, H, W, 1)).astype(np.float32)


def multiclass_inputs(seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, C, (B, H, W))
    return labels, rng.normal(0, 2, (B, H, W, C)).astype(np.float32)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def value_and_grad(loss, y_true, y_pred, dtype="float32"):
    x = tf.convert_to_tensor(np.asarray(y_pred, dtype))
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = loss(y_true, x)
        total = tf.reduce_sum(tf.cast(out, "float32"))
    return out, tape.gradient(total, x)


# --------------------------------------------------------------------------- Keras parity


@pytest.mark.parametrize(("ours", "theirs"), [(S.Dice, keras.losses.Dice),
                                              (S.Tversky, keras.losses.Tversky)])
def test_constructor_starts_with_keras_arguments_and_defaults(ours, theirs):
    mine = inspect.signature(ours).parameters
    keras_params = inspect.signature(theirs).parameters
    assert list(mine)[:len(keras_params)] == list(keras_params)
    for name, param in keras_params.items():
        assert mine[name].default == param.default, name
    extra = list(mine)[len(keras_params):]
    assert all(mine[n].kind is inspect.Parameter.KEYWORD_ONLY for n in extra)


@pytest.mark.parametrize(("axis", "shape"), [(None, (4, 3, 2)), ([1], (4, 6)),
                                             ([1, 2], (4, 3, 2))])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_default_dice_and_tversky_equal_keras(axis, shape, reduction, weighted):
    y = (RNG.random(shape) < 0.5).astype(np.float32)
    p = RNG.random(shape).astype(np.float32)
    sw = np.float32([1.0, 0.0, 2.0, 0.5]) if weighted else None
    pairs = [(S.Dice(reduction=reduction, axis=axis),
              keras.losses.Dice(reduction=reduction, axis=axis)),
             (S.Tversky(0.7, 0.3, reduction=reduction, axis=axis),
              keras.losses.Tversky(0.7, 0.3, reduction=reduction, axis=axis))]
    for ours, theirs in pairs:
        if weighted and axis is None:  # deliberate: a batch statistic takes no sample weight
            with pytest.raises(ValueError, match="sample_weight"):
                ours(y, p, sample_weight=sw)
            unweighted = float(theirs(y, p))  # Keras: mean(w) * loss, for any length of w
            if reduction == "sum_over_batch_size":
                assert float(theirs(y, p, sample_weight=sw)) == pytest.approx(
                    sw.mean() * unweighted, rel=1e-6)
            continue
        np.testing.assert_allclose(ours(y, p, sample_weight=sw), theirs(y, p, sample_weight=sw),
                                   rtol=1e-6, atol=1e-7)


def test_keras_tversky_alpha_weights_false_negatives():
    y, p = np.float32([[1.0, 0.0]]), np.float32([[0.0, 0.0]])  # one FN, no FP
    assert float(S.tversky(y, p, alpha=1.0, beta=0.0)) == pytest.approx(1.0)
    assert float(S.tversky(y, p, alpha=0.0, beta=1.0)) == pytest.approx(1.0)  # 0 / (0 + eps)
    y, p = np.float32([[1.0, 0.0]]), np.float32([[1.0, 1.0]])  # one FP
    assert float(S.tversky(y, p, alpha=1.0, beta=0.0)) == pytest.approx(0.0, abs=1e-6)
    assert float(S.tversky(y, p, alpha=0.0, beta=1.0)) == pytest.approx(0.5)
    # smp's meaning in FocalTversky: alpha weights the false positives.
    assert float(S.focal_tversky(y, p, alpha=1.0, beta=0.0)) == pytest.approx(0.5)


# --------------------------------------------------------------------------- closed forms


@pytest.mark.parametrize("cls, kw", [
    (S.Dice, {"mode": "binary"}), (S.Jaccard, {}), (S.FocalTversky, {"gamma": 2.0}),
    (S.Tversky, {"mode": "binary", "alpha": 0.7, "beta": 0.3}), (S.MCC, {}),
])
def test_perfect_binary_prediction_gives_zero(cls, kw):
    y, _ = binary_inputs()
    assert float(cls(**kw)(y, y)) == pytest.approx(0.0, abs=1e-4)


def test_perfect_prediction_gives_zero_for_lovasz():
    y, _ = binary_inputs()
    logits = np.where(y > 0, 5.0, -5.0).astype(np.float32)  # margins >= 1: hinge 0
    assert float(S.Lovasz()(y, logits)) == 0.0
    labels, _ = multiclass_inputs()
    onehot = np.eye(C, dtype=np.float32)[labels] * 200.0
    assert float(S.Lovasz(mode="multiclass")(labels, onehot)) == pytest.approx(0.0, abs=1e-6)


def test_overlap_statistics_are_pooled_over_the_batch():
    labels, logits = multiclass_inputs()
    p = softmax(logits)
    t = np.eye(C)[labels]
    tp, sp, st = (p * t).sum((0, 1, 2)), p.sum((0, 1, 2)), t.sum((0, 1, 2))
    dice = 1 - 2 * tp / (sp + st)
    jac = 1 - tp / (sp + st - tp)
    got = S.Dice(mode="multiclass", from_logits=True)(labels, logits)
    assert float(got) == pytest.approx(dice.mean(), rel=1e-5)
    got = S.Jaccard(mode="multiclass", from_logits=True)(labels, logits)
    assert float(got) == pytest.approx(jac.mean(), rel=1e-5)
    w = np.array([0.5, 1.0, 2.0])
    got = S.Dice(mode="multiclass", from_logits=True, class_weights=list(w))(labels, logits)
    assert float(got) == pytest.approx((w * dice).sum() / w.sum(), rel=1e-5)
    got = S.Dice(mode="multiclass", from_logits=True, classes=[0, 2])(labels, logits)
    assert float(got) == pytest.approx(dice[[0, 2]].mean(), rel=1e-5)


def test_absent_class_counts_as_zero_in_the_class_mean():
    labels, logits = multiclass_inputs()
    labels = np.where(labels == 2, 0, labels)  # class 2 never appears
    p, t = softmax(logits), np.eye(C)[labels]
    tp, sp, st = (p * t).sum((0, 1, 2)), p.sum((0, 1, 2)), t.sum((0, 1, 2))
    dice = 1 - 2 * tp / (sp + st)
    dice[2] = 0.0
    got = S.Dice(mode="multiclass", from_logits=True)(labels, logits)
    assert float(got) == pytest.approx(dice.mean(), rel=1e-5)


def test_ignored_pixels_do_not_change_the_overlap_losses():
    labels, logits = multiclass_inputs()
    ignored = labels.copy()
    ignored[1, 0, :] = 255
    loss = S.Dice(mode="multiclass", from_logits=True, ignore_class=255)
    keep = np.ones(labels.shape, bool)
    keep[1, 0, :] = False
    # Dropping those pixels (a flat "batch" of the kept ones) gives the same value.
    expect = S.Dice(mode="multiclass", from_logits=True)(labels[keep][None], logits[keep][None])
    assert float(loss(ignored, logits)) == pytest.approx(float(expect), rel=1e-6)
    for cls in (S.Lovasz,):
        got = cls(mode="multiclass", ignore_class=255)(ignored, logits)
        want = cls(mode="multiclass")(labels[keep][None], logits[keep][None])
        assert float(got) == pytest.approx(float(want), rel=1e-6)


def lovasz_hinge_reference(y, x):
    """The Lovász hinge by its definition: sort errors, Jaccard gradient, dot (numpy)."""
    y, x = y.ravel().astype(np.float64), x.ravel().astype(np.float64)
    errors = 1 - x * (2 * y - 1)
    order = np.argsort(-errors, kind="stable")
    e, g = errors[order], y[order]
    inter = g.sum() - np.cumsum(g)
    union = g.sum() + np.cumsum(1 - g)
    jac = 1 - inter / union
    jac[1:] = jac[1:] - jac[:-1]
    return float(np.maximum(e, 0) @ jac)


def test_lovasz_hinge_matches_its_definition_and_per_image_mean():
    y, x = binary_inputs(3)
    assert float(S.lovasz(y, x)) == pytest.approx(lovasz_hinge_reference(y, x), rel=1e-5)
    per_image = S.lovasz(y, x, per_image=True)
    assert per_image.shape == (B,)
    want = [lovasz_hinge_reference(y[i], x[i]) for i in range(B)]
    np.testing.assert_allclose(per_image, want, rtol=1e-5)
    sw = np.float32([2.0, 0.0])
    got = S.Lovasz(per_image=True, reduction="sum")(y, x, sample_weight=sw)
    assert float(got) == pytest.approx(2 * want[0], rel=1e-5)


def test_soft_cross_entropies_count_ignored_pixels_in_the_mean():
    labels, logits = multiclass_inputs()
    ignored = labels.copy()
    ignored[0, 0, 0] = -100
    per_pixel = S.soft_categorical_crossentropy(ignored, logits).numpy()
    assert per_pixel.shape == (B, H, W) and per_pixel[0, 0, 0] == 0.0
    mean = S.SoftCategoricalCrossentropy()(ignored, logits)
    assert float(mean) == pytest.approx(per_pixel.sum() / per_pixel.size, rel=1e-6)
    y, x = binary_inputs()
    y[0, 0, 0, 0] = -100
    per_pixel = S.soft_binary_crossentropy(y, x).numpy()
    assert per_pixel.shape == (B, H, W) and per_pixel[0, 0, 0] == 0.0
    # smp smoothing s is Keras's label_smoothing 2 s.
    y, x = binary_inputs()
    ours = S.SoftBinaryCrossentropy(smooth_factor=0.1)(y, x)
    keras_bce = keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)(y, x)
    assert float(ours) == pytest.approx(float(keras_bce), rel=1e-5)


def test_mcc_values():
    y = np.float32([[1, 0, 1, 0]])
    assert float(S.mcc(y, y)) == pytest.approx(0.0, abs=1e-4)
    assert float(S.mcc(y, 1 - y)) == pytest.approx(2.0, abs=1e-4)
    assert float(S.mcc(y, np.full((1, 4), 0.5, np.float32))) == pytest.approx(1.0, abs=1e-4)


# --------------------------------------------------------------------------- configs


CONFIGURED = [
    S.Dice(axis=[1, 2], reduction="sum"),
    S.Dice(mode="multiclass", from_logits=True, smooth=1.0, log_loss=True, ignore_class=255,
           class_weights=[0.5, 1.0, 2.0]),
    S.Tversky(0.7, 0.3, mode="multilabel", classes=[0, 2]),
    S.Jaccard(mode="multiclass", from_logits=True, smooth=0.5),
    S.FocalTversky(0.3, 0.7, 0.75, mode="binary", from_logits=True),
    S.Lovasz(mode="multiclass", per_image=True, ignore_class=255),
    S.MCC(eps=1e-3),
    S.SoftBinaryCrossentropy(smooth_factor=0.1, ignore_class=None),
    S.SoftCategoricalCrossentropy(smooth_factor=0.1, ignore_class=255, reduction="none"),
]


@pytest.mark.parametrize("loss", CONFIGURED, ids=lambda x: type(x).__name__)
def test_config_round_trip_and_registered_serialization(loss):
    config = loss.get_config()
    again = type(loss).from_config(config)
    assert again.get_config() == config
    data = keras.saving.serialize_keras_object(loss)
    assert data["registered_name"] == f"refs>{type(loss).__name__}"
    back = keras.saving.deserialize_keras_object(data)
    assert type(back) is type(loss) and back.get_config() == config


def test_functions_are_registered():
    for fn in (S.dice, S.tversky, S.jaccard, S.focal_tversky, S.lovasz, S.mcc,
               S.soft_binary_crossentropy, S.soft_categorical_crossentropy):
        assert keras.saving.get_registered_object(f"refs>{fn.__name__}") is fn


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("cls", [S.Dice, S.Tversky, S.Jaccard, S.FocalTversky, S.Lovasz,
                                 S.SoftBinaryCrossentropy, S.SoftCategoricalCrossentropy])
@pytest.mark.parametrize("value", [1.5, "255", True])
def test_ignore_class_must_be_an_integer(cls, value):
    kw = {"mode": "multiclass"} if cls in (S.Dice, S.Tversky, S.Jaccard, S.FocalTversky,
                                           S.Lovasz) else {}
    with pytest.raises(ValueError, match="ignore_class"):
        cls(ignore_class=value, **kw)


@pytest.mark.parametrize("kw, match", [
    ({"smooth": 1.0}, "smooth"), ({"from_logits": True}, "from_logits"),
    ({"ignore_class": 255}, "ignore_class"), ({"mode": "binary", "axis": [1]}, "axis"),
    ({"mode": "binary", "classes": [0]}, "classes"), ({"mode": "softmax"}, "mode"),
    ({"mode": "multiclass", "classes": [0], "class_weights": [1.0, 1.0]}, "class_weights"),
    ({"mode": "multiclass", "class_weights": [-1.0, 1.0]}, "class_weights"),
    ({"mode": "multiclass", "classes": [0, 0]}, "classes"), ({"eps": 0.0}, "eps"),
    ({"axis": "x"}, "axis"),
])
def test_bad_hyperparameters_fail_in_the_constructor(kw, match):
    with pytest.raises(ValueError, match=match):
        S.Dice(**kw)


def test_bad_labels_name_y_true():
    labels, logits = multiclass_inputs()
    bad = labels.copy()
    bad[0, 0, 0] = C
    for loss in (S.Dice(mode="multiclass"), S.Lovasz(mode="multiclass"),
                 S.SoftCategoricalCrossentropy()):
        with pytest.raises(ValueError, match="y_true"):
            loss(bad, logits if not isinstance(loss, S.Dice) else softmax(logits))
    bad = labels.astype(np.float32)
    bad[0, 0, 0] = 0.5
    with pytest.raises(ValueError, match="y_true"):
        S.Lovasz(mode="multiclass")(bad, logits)
    y, x = binary_inputs()
    y[0, 0, 0, 0] = 2.0
    for loss in (S.Jaccard(from_logits=True), S.Lovasz(), S.MCC(), S.SoftBinaryCrossentropy()):
        with pytest.raises(ValueError, match="y_true"):
            loss(y, x if not isinstance(loss, S.MCC) else 1 / (1 + np.exp(-x)))
    with pytest.raises(ValueError, match="y_true"):  # 255 is only ignored when asked to
        S.Lovasz(mode="multiclass")(np.where(labels == 0, 255, labels), logits)


def test_shape_mismatches_name_both_arguments():
    labels, logits = multiclass_inputs()
    cases = [
        (S.Dice(mode="multiclass"), labels[:, :-1], softmax(logits)),
        (S.Dice(mode="multiclass"), np.eye(C)[labels], softmax(logits)),
        (S.Jaccard(mode="multilabel"), np.eye(C)[labels][..., :2], softmax(logits)),
        (S.Lovasz(), labels[..., None][:1], logits[..., :1]),
        (S.SoftCategoricalCrossentropy(), labels, logits[..., 0]),
        (S.Dice(), np.ones((2, 3)), np.ones((2, 4))),
    ]
    for loss, y, p in cases:
        with pytest.raises(ValueError, match="y_true|y_pred"):
            loss(y, p)


def test_class_arguments_checked_against_the_inputs():
    labels, logits = multiclass_inputs()
    with pytest.raises(ValueError, match="classes"):
        S.Dice(mode="multiclass", classes=[0, C])(labels, softmax(logits))
    with pytest.raises(ValueError, match="class_weights"):
        S.Dice(mode="multiclass", class_weights=[1.0] * (C + 1))(labels, softmax(logits))


@pytest.mark.parametrize("loss", [S.Dice(mode="binary"), S.Jaccard(), S.FocalTversky(),
                                  S.Lovasz(), S.MCC(), S.Tversky(mode="binary"), S.Dice(),
                                  S.Tversky()],
                         ids=lambda x: type(x).__name__)
def test_batch_global_losses_reject_sample_weight(loss):
    y, x = binary_inputs()
    p = 1 / (1 + np.exp(-x))
    with pytest.raises(ValueError, match="sample_weight"):
        loss(y, p if not isinstance(loss, S.Lovasz) else x, sample_weight=np.ones(B))


def test_probabilities_expected_without_from_logits():
    y, x = binary_inputs()
    with pytest.raises(ValueError, match="from_logits"):
        S.Jaccard()(y, x * 10)


# --------------------------------------------------------------------------- numerics


STABILITY = [
    (S.Dice(mode="multiclass", from_logits=True, log_loss=True), "mc"),
    (S.Jaccard(mode="multilabel", from_logits=True), "ml"),
    (S.FocalTversky(0.3, 0.7, 0.5, mode="binary", from_logits=True), "b"),
    (S.Lovasz(mode="multiclass"), "mc"),
    (S.Lovasz(mode="binary", per_image=True), "b"),
    (S.SoftCategoricalCrossentropy(smooth_factor=0.1), "mc"),
    (S.SoftBinaryCrossentropy(smooth_factor=0.1), "b"),
]


def stability_inputs(kind, scale):
    labels, logits = multiclass_inputs(1)
    if kind == "mc":
        logits = logits * scale / 2.0
        logits[0, 0, 0] = [scale, -scale, 0.0]
        return labels, logits
    y, x = binary_inputs(1)
    x = x * scale / 2.0
    x[0, 0, 0, 0], x[1, 0, 0, 0] = -scale, scale  # confidently wrong
    if kind == "ml":
        return np.concatenate([y, 1 - y, y], -1), np.concatenate([x, x, -x], -1)
    return y, x


@pytest.mark.parametrize("loss, kind", STABILITY, ids=lambda x: getattr(x, "name", x))
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
def test_finite_values_and_gradients_at_extreme_logits(loss, kind, dtype):
    config = loss.get_config()
    config["dtype"] = dtype
    loss = type(loss).from_config(config)
    for scale in (8.0, 1000.0):
        y, x = stability_inputs(kind, scale)
        out, grad = value_and_grad(loss, y, x, dtype)
        assert out.dtype == dtype
        assert np.all(np.isfinite(tf.cast(out, "float32").numpy())), scale
        assert np.all(np.isfinite(tf.cast(grad, "float32").numpy())), scale
    y, x = stability_inputs(kind, 4.0)
    low = float(tf.reduce_sum(tf.cast(loss(y, tf.cast(x, dtype)), "float32")))
    ref = float(tf.reduce_sum(type(loss).from_config({**config, "dtype": None})(y, x)))
    assert low == pytest.approx(ref, rel=0.02, abs=0.02)


@pytest.mark.parametrize("loss, kind", STABILITY, ids=lambda x: getattr(x, "name", x))
def test_xla_compiled_call_matches_eager(loss, kind):
    y, x = stability_inputs(kind, 8.0)

    @tf.function(jit_compile=True)
    def compiled(t, p):
        with tf.GradientTape() as tape:
            tape.watch(p)
            out = tf.reduce_sum(loss(t, p))
        return out, tape.gradient(out, p)

    out, grad = compiled(tf.constant(y), tf.constant(x))
    eager, eager_grad = value_and_grad(loss, y, x)
    np.testing.assert_allclose(out.numpy(), tf.reduce_sum(eager).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad.numpy(), eager_grad.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("loss", [
    S.Lovasz(mode="multiclass", ignore_class=255),
    S.Lovasz(mode="multiclass", per_image=True, ignore_class=255),
    S.Dice(mode="multiclass", from_logits=True, ignore_class=255),
    S.SoftCategoricalCrossentropy(ignore_class=255),
], ids=lambda x: x.name)
def test_compiled_model_trains_with_unknown_batch_and_image_size(loss):
    inp = keras.Input((None, None, 2))  # a fully convolutional model: any image size
    out = keras.layers.Conv2D(C, 1)(inp)
    model = keras.Model(inp, out)
    model.compile(optimizer="sgd", loss=loss, jit_compile=True)
    labels, _ = multiclass_inputs()
    labels[0, 0, 0] = 255
    x = RNG.normal(size=(B, H, W, 2)).astype(np.float32)
    history = model.fit(x, labels, epochs=2, batch_size=B, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    eager = float(loss(labels, model(x)))
    assert float(model.evaluate(x, labels, batch_size=B, verbose=0)) == pytest.approx(
        eager, rel=1e-5)


def test_empty_batch_is_finite():
    for loss, y, p in [(S.Dice(mode="binary"), np.zeros((0, 2, 1)), np.zeros((0, 2, 1))),
                       (S.Lovasz(mode="multiclass"), np.zeros((0, 2), int), np.zeros((0, 2, 3))),
                       (S.MCC(), np.zeros((0, 2)), np.zeros((0, 2)))]:
        assert np.isfinite(float(loss(y, p)))
