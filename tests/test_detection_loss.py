"""The detection loss: normalisation, empty images, GIoU against tfa, the prior initialisation."""

import math

import numpy as np
import pytest
import tensorflow as tf
from conftest import golden_cases

from refs.detection.anchors import AnchorGenerator
from refs.detection.encoding import CLASS_BACKGROUND, CLASS_IGNORED
from refs.detection.loss import DetectionLoss
from refs.detection.model import build_retinanet, prior_logit
from refs.losses import giou_loss

LOG2 = math.log(2.0)


def _targets(classes, offsets=None):
    """(1, N, 5) targets from a list of class targets (id, -1 background, -2 ignored)."""
    classes = np.asarray(classes, np.float32)
    box = np.zeros((len(classes), 4), np.float32) if offsets is None else offsets
    return np.concatenate([box, classes[:, None]], -1)[None]


def test_loss_normalised_by_number_of_positives_closed_form():
    c, alpha, gamma = 3, 0.25, 2.0
    classes = [0, 2, CLASS_BACKGROUND, CLASS_BACKGROUND, CLASS_BACKGROUND, CLASS_IGNORED]
    y_true = _targets(classes)
    y_pred = np.zeros((1, 6, 4 + c), np.float32)  # logits 0: p = 0.5 everywhere
    parts = DetectionLoss(c, alpha=alpha, gamma=gamma)(y_true, y_pred)
    q = 0.5 ** gamma * LOG2  # (1 - p_t)^gamma * CE at p = 0.5
    per_positive = alpha * q + (c - 1) * (1 - alpha) * q
    per_negative = c * (1 - alpha) * q
    expected = (2 * per_positive + 3 * per_negative) / 2  # ignored anchor left out
    np.testing.assert_allclose(float(parts["cls_loss"]), expected, rtol=1e-5)
    assert float(parts["num_positives"]) == 2
    assert float(parts["box_loss"]) == 0.0


def test_box_loss_counts_positives_only():
    offsets = np.zeros((3, 4), np.float32)
    y_true = _targets([1, CLASS_BACKGROUND, CLASS_IGNORED], offsets)
    y_pred = np.zeros((1, 3, 6), np.float32)
    y_pred[0, :, :4] = [[0.5, 0.5, 3.0, 0.0]] * 3  # huber: 0.125 + 0.125 + 2.5 + 0 = 2.75
    parts = DetectionLoss(2, delta=1.0)(y_true, y_pred)
    np.testing.assert_allclose(float(parts["box_loss"]), 2.75, rtol=1e-6)
    parts_w = DetectionLoss(2, box_weight=2.0)(y_true, y_pred)
    np.testing.assert_allclose(float(parts_w["loss"] - parts_w["cls_loss"]), 5.5, rtol=1e-6)


def test_images_without_objects_give_a_finite_loss_and_gradient():
    n, c = 50, 10
    y_true = np.concatenate([np.zeros((4, n, 4)), np.full((4, n, 1), CLASS_BACKGROUND)], -1)
    logits = tf.Variable(np.random.default_rng(0).normal(size=(4, n, 4 + c)).astype("float32"))
    for cls_loss in ("focal", "bce"):
        loss = DetectionLoss(c, cls_loss=cls_loss)
        with tf.GradientTape() as tape:
            parts = loss(y_true.astype("float32"), logits)
        grad = tape.gradient(parts["loss"], logits)
        assert np.isfinite(float(parts["loss"])) and float(parts["num_positives"]) == 0
        assert np.isfinite(grad.numpy()).all()
        assert float(parts["box_loss"]) == 0.0
    # with no positive the normaliser is 1: the loss is the plain sum of the focal terms
    zero = DetectionLoss(c, alpha=0.25, gamma=2.0)(y_true.astype("float32"),
                                                   np.zeros((4, n, 4 + c), "float32"))
    np.testing.assert_allclose(float(zero["cls_loss"]), 4 * n * c * 0.75 * 0.25 * LOG2, rtol=1e-5)


def test_bce_option_is_the_summed_sigmoid_cross_entropy():
    y_true = _targets([1, CLASS_BACKGROUND])
    y_pred = np.zeros((1, 2, 4 + 2), np.float32)
    y_pred[0, :, 4:] = [[2.0, -1.0], [0.5, 3.0]]
    parts = DetectionLoss(2, cls_loss="bce")(y_true, y_pred)

    def bce(y, x):
        return max(x, 0) - x * y + math.log1p(math.exp(-abs(x)))

    expected = bce(0, 2.0) + bce(1, -1.0) + bce(0, 0.5) + bce(0, 3.0)
    np.testing.assert_allclose(float(parts["cls_loss"]), expected, rtol=1e-5)


def test_focal_with_gamma_zero_alpha_half_is_half_bce():
    y_true = _targets([0, 1, CLASS_BACKGROUND])
    y_pred = np.random.default_rng(1).normal(size=(1, 3, 6)).astype("float32")
    focal = DetectionLoss(2, alpha=0.5, gamma=0.0)(y_true, y_pred)
    bce = DetectionLoss(2, cls_loss="bce")(y_true, y_pred)
    np.testing.assert_allclose(float(focal["cls_loss"]), 0.5 * float(bce["cls_loss"]), rtol=1e-5)


def test_detection_loss_rejects_bad_hyperparameters():
    with pytest.raises(ValueError, match="alpha"):
        DetectionLoss(10, alpha=1.5)
    with pytest.raises(ValueError, match="gamma"):
        DetectionLoss(10, gamma=-1.0)
    with pytest.raises(ValueError, match="cls_loss"):
        DetectionLoss(10, cls_loss="softmax")
    with pytest.raises(ValueError, match="anchors"):
        DetectionLoss(10, box_loss="giou")


def test_giou_option_uses_decoded_boxes():
    anchors = AnchorGenerator()(32, 32)[:2]
    y_true = _targets([0, CLASS_BACKGROUND], np.zeros((2, 4), np.float32))
    y_pred = np.zeros((1, 2, 5), np.float32)
    loss = DetectionLoss(1, box_loss="giou", anchors=anchors)
    assert float(loss(y_true, y_pred)["box_loss"]) == pytest.approx(0.0, abs=1e-6)
    y_pred[0, 0, 0] = 10.0  # shift the box by one anchor width: no overlap left
    assert float(loss(y_true, y_pred)["box_loss"]) > 1.0


def test_quality_focal_loss_closed_form_and_gradient():
    """QFL (Li et al. 2020): a positive's target is the IoU q of its predicted box; each term is
    -|q - p|^gamma [q log p + (1 - q) log(1 - p)]."""
    anchors = np.array([[0, 0, 16, 16], [16, 0, 32, 16], [0, 16, 16, 32]], np.float32)
    y_true = _targets([1, CLASS_BACKGROUND, CLASS_IGNORED], np.zeros((3, 4), np.float32))
    y_pred = np.zeros((1, 3, 4 + 2), np.float32)
    y_pred[0, 0, 0] = 5.0  # shift x by 5 * 0.1 * 16 = 8 px: IoU (8 * 16) / (24 * 16) = 1/3
    y_pred[0, 0, 4:] = [0.3, -0.7]
    y_pred[0, 1, 4:] = [-1.0, 2.0]
    loss = DetectionLoss(2, cls_loss="quality", gamma=2.0, anchors=anchors)
    got = float(loss(y_true, y_pred)["cls_loss"])

    def term(q, logit):
        p = 1 / (1 + math.exp(-logit))
        return -abs(q - p) ** 2 * (q * math.log(p) + (1 - q) * math.log(1 - p))

    want = (term(0.0, 0.3) + term(1 / 3, -0.7)) + (term(0.0, -1.0) + term(0.0, 2.0))
    assert got == pytest.approx(want, rel=1e-5)  # one positive: normaliser 1
    # the quality target carries no gradient to the boxes; the logits get a finite one
    x = tf.Variable(y_pred)
    with tf.GradientTape() as tape:
        value = loss(y_true, x)["cls_loss"]
    grad = tape.gradient(value, x).numpy()
    assert np.isfinite(grad).all() and (grad[..., :4] == 0).all() and grad[0, 0, 5] != 0
    with pytest.raises(ValueError, match="anchors"):
        DetectionLoss(2, cls_loss="quality")


@pytest.mark.parametrize(("kwargs", "argument", "error"), [
    ({"num_classes": 0}, "num_classes", ValueError),
    ({"num_classes": "10"}, "num_classes", TypeError),
    ({"alpha": 4.0}, "alpha", ValueError),
    ({"alpha": "0.25"}, "alpha", TypeError),
    ({"gamma": float("nan")}, "gamma", ValueError),
    ({"delta": "1"}, "delta", TypeError),
    ({"delta": float("inf")}, "delta", ValueError),
    ({"box_weight": -1.0}, "box_weight", ValueError),
    ({"anchors": np.zeros((5, 3))}, "anchors", ValueError),
    ({"variances": (0.1, 0.2)}, "variances", ValueError),
])
def test_detection_loss_validates_every_hyperparameter_in_the_constructor(kwargs, argument,
                                                                          error):
    with pytest.raises(error, match=f"^{argument} must"):
        DetectionLoss(**{"num_classes": 10, **kwargs})


def test_detection_loss_alpha_check_is_the_focal_losses_check():
    from refs.losses import BinaryFocalCrossentropy

    with pytest.raises(ValueError) as detector:
        DetectionLoss(10, alpha=4.0)
    with pytest.raises(ValueError) as focal:
        BinaryFocalCrossentropy(alpha=4.0)
    assert str(detector.value) == str(focal.value)
    assert "1 - alpha = -3 is negative" in str(detector.value)


def test_detection_loss_names_bad_inputs():
    loss = DetectionLoss(2)
    y_true = _targets([0, CLASS_BACKGROUND, CLASS_IGNORED])
    y_pred = np.zeros((1, 3, 6), np.float32)
    with pytest.raises(ValueError, match=r"y_pred must be \(batch, anchors, 4 \+ num_classes"):
        loss(y_true, y_pred[..., :5])
    with pytest.raises(ValueError, match="y_true must be in"):
        loss(_targets([0, 2, CLASS_IGNORED]), y_pred)  # class id 2 with 2 classes
    bad = y_pred.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="y_pred contains NaN"):
        loss(y_true, bad)
    bad = y_pred.copy()
    bad[0, 1, 1] = np.inf  # an infinite box offset
    with pytest.raises(ValueError, match=r"y_pred contains \+inf"):
        loss(y_true, bad)
    masked = y_pred.copy()
    masked[0, 1, 4:] = -np.inf  # background anchor: -inf logits cost nothing
    parts = loss(y_true, masked)
    expected = loss(y_true, y_pred)["cls_loss"] - 2 * 0.75 * 0.25 * np.log(2)
    np.testing.assert_allclose(float(parts["cls_loss"]), float(expected), rtol=1e-5)


# -- GIoU against tensorflow-addons --------------------------------------------------------------
def _reduce(values, weights, reduction):
    if weights is not None:
        values = values * weights
    if reduction == "none":
        return values
    if reduction == "sum":
        return values.sum()
    return values.sum() / values.size  # auto = sum_over_batch_size


@pytest.mark.parametrize("case", golden_cases("tfa_giou.json"), ids=lambda c: c["id"])
def test_giou_matches_tfa_golden(case):
    y_true = np.asarray(case["y_true"], np.float64)
    y_pred = np.asarray(case["y_pred"], np.float64)
    sw = None if case["sample_weight"] is None else np.asarray(case["sample_weight"])
    per_box = np.asarray(giou_loss(y_true, y_pred, mode=case["kwargs"]["mode"]))
    got = _reduce(per_box, sw, case["reduction"])
    np.testing.assert_allclose(got, case["expected"], rtol=1e-9, atol=1e-12)
    if case.get("expected_grad") is not None and case["reduction"] == "none" and sw is None:
        pred = tf.Variable(y_pred)
        with tf.GradientTape() as tape:
            total = tf.reduce_sum(giou_loss(y_true, pred, mode=case["kwargs"]["mode"]))
        np.testing.assert_allclose(tape.gradient(total, pred).numpy(), case["expected_grad"],
                                   rtol=1e-8, atol=1e-11)


def test_giou_closed_form_and_errors():
    np.testing.assert_allclose(np.asarray(giou_loss([[0., 0., 1., 1.]], [[1., 1., 2., 2.]])),
                               [1.5])  # IoU 0, |C| = 4, union 2
    np.testing.assert_allclose(np.asarray(giou_loss([[0., 0., 2., 2.]], [[0., 0., 2., 2.]])), [0])
    with pytest.raises(ValueError, match="mode"):
        giou_loss([[0., 0., 1., 1.]], [[0., 0., 1., 1.]], mode="diou")
    with pytest.raises(ValueError, match="giou_loss: y_pred contains NaN"):  # was IoU 0
        giou_loss([[0., 0., 1., 1.]], [[np.nan, 0., 1., 1.]])
    with pytest.raises(ValueError, match="last axis of 4"):
        giou_loss([[0., 0., 1.]], [[0., 0., 1.]])


# -- prior initialisation -------------------------------------------------------------------------
def test_prior_bias_closed_form():
    assert prior_logit(0.01) == pytest.approx(-math.log(99.0))
    assert 1 / (1 + math.exp(-prior_logit(0.3))) == pytest.approx(0.3)
    with pytest.raises(ValueError, match="prior"):
        prior_logit(1.0)


@pytest.mark.parametrize("prior, expected", [(0.01, 0.01), (None, 0.5)])
def test_class_subnet_starts_at_the_prior(prior, expected):
    net = build_retinanet(10, widths=(8, 8, 8, 8, 8), fpn_channels=8, head_depth=1, prior=prior)
    out = net(np.random.default_rng(0).random((1, 64, 64, 1)).astype("float32")).numpy()
    assert out.shape == (1, AnchorGenerator().num_anchors(64, 64), 14)
    p = 1 / (1 + np.exp(-out[..., 4:]))
    np.testing.assert_allclose(p.mean(), expected, atol=0.01)


@pytest.mark.parametrize("alpha", [-0.1, 0.0, 0.25, 1.0, 1.01, 4.0, float("nan"), float("inf")])
def test_the_configs_fast_alpha_check_agrees_with_the_losses(alpha):
    """refs.detection.config checks alpha without Keras (argument errors need no TensorFlow);
    it must accept and refuse exactly what refs.losses.validation.check_alpha does."""
    from refs.detection.config import TrainConfig
    from refs.losses.validation import check_alpha

    def refused(fn):
        try:
            fn()
        except (ValueError, TypeError):
            return True
        return False

    assert refused(lambda: TrainConfig(alpha=alpha)) == refused(lambda: check_alpha(alpha))
