"""refs.losses.boxes: the IoU-family box losses and smooth L1 against keras-cv 0.9.0.

Every ``GIoULoss``, ``IoULoss``, ``CIoULoss`` and ``SmoothL1Loss`` case of
tests/golden/kerascv_losses.json is checked (value, and gradient where given). keras-cv computes
boxes in float32 only (its ``convert_format`` casts), so those cases are float32, compared at
the README's rtol=1e-4, atol=1e-5 (gradients x10); smooth L1 float64 at rtol=1e-9, atol=1e-12.

Convention mapping (golden -> ours):

- keras-cv's ``GIoULoss`` / ``IoULoss`` default ``axis=-1`` (average over the box axis first)
  is refs's ``axis=-1``; refs's own default is ``axis="no_reduction"`` (one loss per box), so
  cases without an ``axis`` kwarg are run with ``axis=-1``.
- Gradients at the kinks of min / max (identical edges, touching and zero-width boxes): the
  box losses have no derivative there; refs's keras-cv-style functions take keras-cv's
  one-sided derivative (y_true first), so these match too. (``giou_loss``, the tfa function,
  takes tfa's; tests/test_detection_loss.py checks it against tfa_giou.json.)
- Where keras-cv's epsilons make a gradient of size ~1/1e-7 at a degenerate pair, refs's exact
  formula gives 0, and the test asserts 0 on those rows (and the library's value elsewhere):
  GIoU's identical zero-area pair (keras-cv: +-2e7 from ``1 / (enclose + 1e-7)``) and CIoU's
  point-sized prediction (keras-cv: ~4.5e5 from ``atan(w / (h + 1e-7))`` at w = h = 0).
- ``IoULoss(mode="log", axis="no_reduction")``: keras-cv returns ``+inf`` for pairs with IoU 0
  (``expected_nonfinite``); refs returns ``-log(1e-7)`` there. The test asserts refs's closed
  form, computed in numpy from the boxes, and that the library's finite entries agree with it.
- ``CIoULoss``: keras-cv 0.9.0 squares the constant of the aspect term,
  ``v = (4/π² Δatan)² = 16/π⁴ Δatan²`` (the paper: ``4/π² Δatan²``). With refs's constant set
  to keras-cv's (``boxes._V_SCALE = 16/π⁴``) every value and gradient matches; a separate test
  checks refs's paper formula against a numpy closed form.
- ``SmoothL1Loss(l1_cutoff=c)``: keras-cv's ``0.5 d² if |d| < c else |d| - 0.5`` equals refs's
  continuous ``0.5 d²/c if |d| < c else |d| - 0.5 c`` (``huber(delta=c)/c``) only for c = 1.
  For c = 0.5 and 2 the test asserts refs's closed form (numpy) and that the golden value is
  keras-cv's discontinuous formula (so the difference is exactly that one).
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import golden_cases

import refs.losses as L
from refs.losses import boxes

GOLDEN = "kerascv_losses.json"
BOX_LOSSES = ("GIoULoss", "IoULoss", "CIoULoss")


def _name(case):
    return case["loss"].split(".")[-1]


def _cases(*names):
    return golden_cases(GOLDEN, lambda c: _name(c) in names)


def _reduce(per, sw, reduction):
    per = per if sw is None else per * sw
    if reduction == "none":
        return per
    if reduction == "sum":
        return per.sum()
    return per.sum() / per.size


def _np_corners(b, fmt):
    b = np.asarray(b, np.float64).reshape(-1, 4)
    if fmt == "xyxy":
        return b
    if fmt == "xywh":
        return np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], 1)
    return np.concatenate([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], 1)


def _np_iou(t, p):
    wh = np.clip(np.minimum(t[:, 2:], p[:, 2:]) - np.maximum(t[:, :2], p[:, :2]), 0, None)
    inter = wh.prod(1)
    union = (t[:, 2:] - t[:, :2]).prod(1) + (p[:, 2:] - p[:, :2]).prod(1) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _run(obj, case):
    dtype = case["dtype"]
    y_true = np.asarray(case["y_true"], dtype)
    x = tf.constant(np.asarray(case["y_pred"], dtype))
    sw = case["sample_weight"]
    sw = None if sw is None else np.asarray(sw, dtype)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = obj(y_true, x, sample_weight=sw)
        total = tf.reduce_sum(out)
    return out.numpy(), tape.gradient(total, x).numpy()


@pytest.mark.parametrize("case", _cases(*BOX_LOSSES), ids=lambda c: c["id"])
def test_box_losses_match_kerascv(case, monkeypatch):
    name = _name(case)
    kwargs = dict(case["kwargs"])
    if name in ("GIoULoss", "IoULoss"):
        kwargs.setdefault("axis", -1)
    if name == "CIoULoss":
        monkeypatch.setattr(boxes, "_V_SCALE", 16.0 / math.pi**4)
    obj = getattr(L, name)(**kwargs, reduction=case["reduction"], dtype=case["dtype"])
    got, grad = _run(obj, case)
    expected = np.asarray(case["expected"], dtype=np.float64)
    if case.get("expected_nonfinite"):
        fmt = kwargs["bounding_box_format"]
        iou = _np_iou(_np_corners(case["y_true"], fmt), _np_corners(case["y_pred"], fmt))
        per = -np.log(np.maximum(iou, 1e-7))
        closed = _reduce(per, None, case["reduction"])
        finite = np.isfinite(expected)
        np.testing.assert_allclose(np.asarray(closed)[finite], expected[finite], rtol=1e-4,
                                   atol=1e-5)
        assert not np.all(finite)
        expected = closed
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5, err_msg=case["id"])
    if case["expected_grad"] is None:
        assert np.isfinite(grad).all()
        return
    want = np.asarray(case["expected_grad"], np.float64).reshape(-1, 4)
    grad = grad.reshape(-1, 4)
    kinds = case.get("box_kinds") or [None] * len(want)
    tiny = {"GIoULoss": "both_zero_area_identical", "CIoULoss": "pred_point"}.get(name)
    for i, kind in enumerate(kinds):
        if kind == tiny and np.abs(want[i]).max() > 1e4:
            np.testing.assert_array_equal(grad[i], 0.0)  # keras-cv: ~1/eps, refs: exact 0
            want[i] = 0.0
    np.testing.assert_allclose(grad, want, rtol=1e-3, atol=1e-4, err_msg=case["id"] + " grad")


@pytest.mark.parametrize("case", _cases("SmoothL1Loss"), ids=lambda c: c["id"])
def test_smooth_l1_matches_kerascv(case):
    c = case["kwargs"]["l1_cutoff"]
    obj = L.SmoothL1Loss(l1_cutoff=c, reduction=case["reduction"], dtype=case["dtype"])
    got, grad = _run(obj, case)
    tol = (1e-9, 1e-12) if case["dtype"] == "float64" else (1e-5, 1e-6)
    expected = np.asarray(case["expected"], np.float64)
    if c == 1.0:
        np.testing.assert_allclose(got, expected, rtol=tol[0], atol=tol[1])
        if case["expected_grad"] is not None:
            np.testing.assert_allclose(grad, case["expected_grad"], rtol=10 * tol[0],
                                       atol=10 * tol[1])
        return
    d = np.abs(np.asarray(case["y_true"], case["dtype"]) - np.asarray(case["y_pred"],
                                                                      case["dtype"]))
    d = d.astype(np.float64)
    sw = case["sample_weight"]
    sw = None if sw is None else np.asarray(sw, np.float64)
    kerascv = np.where(d < c, 0.5 * d**2, d - 0.5).mean(-1)
    ours = np.where(d < c, 0.5 * d**2 / c, d - 0.5 * c).mean(-1)
    rtol, atol = (1e-9, 1e-12) if case["dtype"] == "float64" else (1e-5, 1e-5)
    np.testing.assert_allclose(_reduce(kerascv, sw, case["reduction"]), expected, rtol=rtol,
                               atol=atol)
    np.testing.assert_allclose(got, _reduce(ours, sw, case["reduction"]), rtol=rtol, atol=atol)


# --------------------------------------------------------------------------- closed forms

SQ = [[0.0, 0.0, 2.0, 2.0]]


def test_closed_forms():
    shifted = [[1.0, 0.0, 3.0, 2.0]]  # IoU 2/6, enclose 6 = union: GIoU = IoU
    np.testing.assert_allclose(L.iou_loss(SQ, shifted, mode="linear"), [2 / 3], rtol=1e-6)
    np.testing.assert_allclose(L.iou_loss(SQ, shifted, mode="quadratic"), [1 - 1 / 9],
                               rtol=1e-6)
    np.testing.assert_allclose(L.iou_loss(SQ, shifted, mode="log"), [math.log(3)], rtol=1e-6)
    np.testing.assert_allclose(L.generalized_iou_loss(SQ, shifted), [2 / 3], rtol=1e-6)
    # DIoU: centres (1, 1) and (2, 1): rho² 1; enclosing box 3 x 2: c² 13
    np.testing.assert_allclose(L.diou_loss(SQ, shifted), [2 / 3 + 1 / 13], rtol=1e-6)
    # CIoU of same-shape boxes is DIoU; of a 2x2 against a 2x1 box, the paper's v
    np.testing.assert_allclose(L.ciou_loss(SQ, shifted), [2 / 3 + 1 / 13], rtol=1e-6)
    flat = [[0.0, 0.0, 2.0, 1.0]]
    iou = 0.5
    v = 4 / math.pi**2 * (math.atan(1.0) - math.atan(2.0)) ** 2
    rho2_c2 = 0.25 / 8  # centres (1, 1) and (1, 0.5); enclosing 2 x 2
    want = 1 - iou + rho2_c2 + v * v / (1 - iou + v)
    np.testing.assert_allclose(L.ciou_loss(SQ, flat), [want], rtol=1e-6)
    for fn in (L.iou_loss, L.generalized_iou_loss, L.diou_loss, L.ciou_loss):
        np.testing.assert_allclose(fn(SQ, SQ), [0.0], atol=1e-7)
    # disjoint: log mode is finite (-log 1e-7), GIoU tends to 2
    far = [[100.0, 100.0, 102.0, 102.0]]
    np.testing.assert_allclose(L.iou_loss(SQ, far), [-math.log(1e-7)], rtol=1e-6)
    assert 1.9 < float(L.generalized_iou_loss(SQ, far)[0]) < 2.0


def test_formats_agree():
    rng = np.random.default_rng(3)
    lo = rng.uniform(0, 5, (2, 5, 2))
    xyxy_t = np.concatenate([lo, lo + rng.uniform(0.1, 3, (2, 5, 2))], -1)
    lo = rng.uniform(0, 5, (2, 5, 2))
    xyxy_p = np.concatenate([lo, lo + rng.uniform(0.1, 3, (2, 5, 2))], -1)

    def as_fmt(b, fmt):
        x1, y1, x2, y2 = np.moveaxis(b, -1, 0)
        return np.stack({
            "xyxy": (x1, y1, x2, y2), "yxyx": (y1, x1, y2, x2),
            "xywh": (x1, y1, x2 - x1, y2 - y1),
            "center_xywh": ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1),
            "center_yxhw": ((y1 + y2) / 2, (x1 + x2) / 2, y2 - y1, x2 - x1),
        }[fmt], -1)

    for fn in (L.iou_loss, L.generalized_iou_loss, L.diou_loss, L.ciou_loss):
        ref = np.asarray(fn(xyxy_t, xyxy_p))
        assert ref.shape == (2, 5)  # one loss per matching pair, batched
        for fmt in boxes.BOX_FORMATS:
            np.testing.assert_allclose(fn(as_fmt(xyxy_t, fmt), as_fmt(xyxy_p, fmt),
                                          bounding_box_format=fmt), ref, rtol=1e-5, atol=1e-6)
    # batched pairs are box by box (keras-cv 0.9.0 pairs the wrong ones)
    per_pair = [float(L.generalized_iou_loss(xyxy_t[b, i], xyxy_p[b, i]))
                for b in range(2) for i in range(5)]
    np.testing.assert_allclose(np.ravel(L.generalized_iou_loss(xyxy_t, xyxy_p)), per_pair,
                               rtol=1e-6)
    # axis=-1: keras-cv's mean over the box axis, per batch element
    np.testing.assert_allclose(
        L.iou_loss(xyxy_t, xyxy_p, mode="quadratic", axis=-1),
        1 - np.mean(1 - np.asarray(L.iou_loss(xyxy_t, xyxy_p, mode="linear")), -1) ** 2,
        rtol=1e-5)


def test_giou_class_serves_tfa_users():
    # tfa's GIoULoss() on yxyx boxes: the default xyxy gives the same values (symmetry)
    yxyx_t = np.float32([[0.0, 0.0, 1.0, 2.0], [1.0, 1.0, 3.0, 2.0]])
    yxyx_p = np.float32([[0.5, 0.5, 1.5, 1.0], [1.0, 0.0, 2.0, 4.0]])
    per_box = np.asarray(L.giou_loss(yxyx_t, yxyx_p))
    loss = L.GIoULoss()
    np.testing.assert_allclose(float(loss(yxyx_t, yxyx_p)), per_box.mean(), rtol=1e-6)
    np.testing.assert_allclose(L.GIoULoss(reduction="none")(yxyx_t, yxyx_p), per_box, rtol=1e-6)
    np.testing.assert_allclose(
        L.GIoULoss(bounding_box_format="yxyx", reduction="none")(yxyx_t, yxyx_p), per_box,
        rtol=1e-6)
    np.testing.assert_allclose(L.GIoULoss(mode="iou", reduction="none")(yxyx_t, yxyx_p),
                               L.giou_loss(yxyx_t, yxyx_p, mode="iou"), rtol=1e-6)
    with pytest.raises(ValueError, match="that is a mode.*mode='iou'"):
        L.GIoULoss("iou")


def test_smooth_l1_is_continuous_huber_over_cutoff():
    d = np.linspace(-3, 3, 61)[:, None]
    for c in (0.5, 1.0, 2.0):
        got = np.asarray(L.smooth_l1_loss(np.zeros_like(d), d, l1_cutoff=c))
        np.testing.assert_allclose(got, np.asarray(L.huber(np.zeros_like(d), d, delta=c)) / c,
                                   rtol=1e-6, atol=1e-7)
        near = np.asarray(L.smooth_l1_loss([[0.0], [0.0]], [[c - 1e-6], [c + 1e-6]], l1_cutoff=c))
        assert abs(near[1] - near[0]) < 1e-5


# --------------------------------------------------------------------------- robustness

CLASSES = [
    (L.IoULoss, {"mode": "linear"}),
    (L.IoULoss, {"mode": "log", "axis": -1}),
    (L.GIoULoss, {}),
    (L.DIoULoss, {"bounding_box_format": "center_xywh"}),
    (L.CIoULoss, {"bounding_box_format": "xywh"}),
    (L.SmoothL1Loss, {"l1_cutoff": 0.5}),
]
IDS = [f"{cls.__name__}-{kw}" for cls, kw in CLASSES]
TRUE = np.float32([[0, 0, 2, 2], [1, 1, 1, 1], [0, 0, 4, 1], [5, 5, 6, 8]])
PRED = np.float32([[0, 0, 2, 2], [1, 1, 1, 1], [3, 0, 9, 3], [1e4, 1e4, 2e4, 1.5e4]])


def _value_grad(loss, y_true, y_pred):
    x = tf.convert_to_tensor(y_pred)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = tf.reduce_sum(loss(y_true, x))
    return value.numpy(), tape.gradient(value, x).numpy()


@pytest.mark.parametrize(("cls", "kwargs"), CLASSES, ids=IDS)
def test_config_round_trip_and_serialization(cls, kwargs):
    obj = cls(**kwargs)
    clone = cls.from_config(obj.get_config())
    assert clone.get_config() == obj.get_config()
    again = keras.losses.deserialize(keras.losses.serialize(obj))
    assert type(again) is cls and again.get_config() == obj.get_config()
    np.testing.assert_allclose(float(again(TRUE, PRED)), float(obj(TRUE, PRED)), rtol=1e-6)
    fn = keras.saving.get_registered_object(f"refs>{obj._fn.__name__}")
    assert fn is obj._fn


@pytest.mark.parametrize(("cls", "kwargs"), CLASSES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_finite_values_and_gradients(cls, kwargs, dtype):
    scale = 1.0 if dtype == "float32" else 1e-2  # float16: areas of 1e4-sized boxes overflow
    loss = cls(**kwargs, dtype=dtype)
    y_true = tf.cast(TRUE * scale, dtype)
    y_pred = tf.cast(PRED * scale, dtype)
    value, grad = _value_grad(loss, y_true, y_pred)
    assert np.isfinite(np.float32(value)) and np.isfinite(np.float32(grad)).all()


@pytest.mark.parametrize(("cls", "kwargs"), CLASSES, ids=IDS)
def test_jit_compile_matches_eager(cls, kwargs):
    loss = cls(**kwargs)
    eager = float(loss(TRUE, PRED))
    compiled = tf.function(lambda a, b: loss(a, b), jit_compile=True)
    np.testing.assert_allclose(float(compiled(tf.constant(TRUE), tf.constant(PRED))), eager,
                               rtol=1e-5)


@pytest.mark.parametrize("fn", [L.iou_loss, L.generalized_iou_loss, L.diou_loss, L.ciou_loss])
def test_bad_boxes_raise(fn):
    good = [[0.0, 0.0, 1.0, 1.0]]
    with pytest.raises(ValueError, match="y_pred has a box with x_max < x_min"):
        fn(good, [[2.0, 0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match="y_true has a box with x_max < x_min"):
        fn([[0.0, 3.0, 1.0, 1.0]], good)
    with pytest.raises(ValueError, match="y_true has a box with a negative width or height"):
        fn([[0.0, 0.0, -1.0, 1.0]], good, bounding_box_format="xywh")
    with pytest.raises(ValueError, match="y_pred contains NaN"):
        fn(good, [[np.nan, 0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match="last axis of 4"):
        fn([[0.0, 0.0, 1.0]], [[0.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match="bounding_box_format must be one of"):
        fn(good, good, bounding_box_format="xyzw")
    with pytest.raises(ValueError, match="relative formats need the image size"):
        fn(good, good, bounding_box_format="rel_xyxy")
    with pytest.raises(ValueError, match="axis must be 'no_reduction' or an integer"):
        fn(good, good, axis="mean")


def test_bad_hyperparameters_raise():
    with pytest.raises(ValueError, match="mode must be one of"):
        L.IoULoss(mode="square")
    with pytest.raises(ValueError, match="mode must be one of"):
        L.GIoULoss(mode="diou")
    with pytest.raises(ValueError, match="eps must be finite and > 0"):
        L.CIoULoss(eps=-1.0)
    with pytest.raises(ValueError, match="l1_cutoff must be finite and > 0, got 0"):
        L.SmoothL1Loss(l1_cutoff=0)
    with pytest.raises(ValueError, match="axis=-1 needs boxes with a box axis"):
        L.iou_loss([0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], axis=-1)
    with pytest.raises(ValueError, match="y_true and y_pred must have the same shape"):
        L.smooth_l1_loss([[0.0, 1.0]], [[0.0, 1.0, 2.0]])


def test_keras_model_compiled_with_jit_trains_with_the_box_losses():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype("float32")
    lo = rng.uniform(0, 4, (8, 2))
    target = np.concatenate([lo, lo + rng.uniform(0.5, 2, (8, 2))], -1).astype("float32")
    inp = keras.Input((3,))
    outputs = []
    losses = [cls(**kw) for cls, kw in CLASSES if cls is not L.SmoothL1Loss]
    for i in range(len(losses)):
        corner = keras.layers.Dense(2, name=f"lo{i}")(inp)
        size = keras.layers.Dense(2, activation="softplus", name=f"wh{i}")(inp)
        outputs.append(keras.layers.Concatenate(name=f"box{i}")([corner, corner + size]))
    model = keras.Model(inp, outputs)
    model.compile(optimizer="sgd", loss=losses, jit_compile=True)
    history = model.fit(x, [target] * len(losses), epochs=2, batch_size=8, verbose=0)
    per_output = [k for k in history.history if k.endswith("_loss")]
    assert len(per_output) == len(losses)
    for key in per_output:
        assert np.all(np.isfinite(history.history[key])), key
