"""Anchors, matching, box encoding and NMS of refs.detection (fast, no training)."""

import numpy as np
import pytest

from refs.detection import anchors as anchors_mod
from refs.detection.anchors import AnchorGenerator
from refs.detection.decode import decode_predictions, nms_per_class
from refs.detection.encoding import (
    CLASS_BACKGROUND,
    CLASS_IGNORED,
    LabelEncoder,
    decode_boxes,
    encode_boxes,
)
from refs.detection.matching import (
    MATCH_IGNORED,
    MATCH_NEGATIVE,
    MATCH_POSITIVE,
    match_anchors,
    pairwise_iou,
)


# -- anchors ------------------------------------------------------------------------------------
def test_anchor_count_and_level_layout():
    gen = AnchorGenerator(strides=(8, 16, 32), sizes=(16, 32, 64), scales=(1.0, 2.0),
                          aspect_ratios=(0.5, 1.0, 2.0))
    a = gen(128, 96)
    assert a.shape == ((16 * 12 + 8 * 6 + 4 * 3) * 6, 4)
    # first anchors: centre of cell (0, 0) of level 0, scale 1, ratios 0.5, 1, 2
    first = a[:3]
    centres = (first[:, :2] + first[:, 2:]) / 2
    np.testing.assert_allclose(centres, [[4, 4]] * 3)
    w, h = first[:, 2] - first[:, 0], first[:, 3] - first[:, 1]
    np.testing.assert_allclose(w / h, [0.5, 1.0, 2.0], rtol=1e-6)
    np.testing.assert_allclose(w * h, [256.0] * 3, rtol=1e-5)
    # the next location of level 0 is one stride to the right
    np.testing.assert_allclose((a[6, :2] + a[6, 2:]) / 2, [12, 4])
    # the last level starts after the first two, with area (64 * scale)^2
    start = (16 * 12 + 8 * 6) * 6
    np.testing.assert_allclose((a[start, :2] + a[start, 2:]) / 2, [16, 16])
    np.testing.assert_allclose((a[start, 2] - a[start, 0]) * (a[start, 3] - a[start, 1]), 64 ** 2,
                               rtol=1e-5)


def test_anchor_generator_rejects_bad_config():
    with pytest.raises(ValueError, match="aspect_ratios"):
        AnchorGenerator(aspect_ratios=(0.5, -1.0))
    with pytest.raises(ValueError, match="one entry per level"):
        AnchorGenerator(strides=(8, 16), sizes=(16,))
    with pytest.raises(ValueError, match="image size"):
        AnchorGenerator()(0, 128)


def test_default_anchors_cover_the_digit_scales():
    gen = AnchorGenerator()
    a = gen(128, 128)
    sides = np.sqrt((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]))
    assert sides.min() <= 12 * 1.5 and sides.max() >= 64
    assert anchors_mod.DIGIT_ASPECT_RATIOS == gen.aspect_ratios


# -- IoU and matching -----------------------------------------------------------------------------
def test_pairwise_iou_closed_form():
    a = np.array([[0, 0, 10, 10], [0, 0, 2, 2]], np.float32)
    b = np.array([[5, 0, 15, 10], [0, 0, 10, 10], [20, 20, 30, 30], [3, 3, 3, 3]], np.float32)
    iou = pairwise_iou(a, b).numpy()
    np.testing.assert_allclose(iou[0], [50 / 150, 1.0, 0.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(iou[1], [0.0, 4 / 100, 0.0, 0.0], rtol=1e-6)
    assert np.isfinite(pairwise_iou(b[3:], b[3:]).numpy()).all()


def _iou_with_shift(dx):
    # 10x10 anchor at the origin against a 10x10 box shifted by dx: IoU = (10-dx)/(10+dx)
    return (10 - dx) / (10 + dx)


def test_match_thresholds_positive_ignored_negative():
    # shifts giving IoU 0.667 (pos), 0.455 (ignored) and 0.333 (neg) with a single object
    anchors = np.array([[dx, 0, dx + 10, 10] for dx in (-2, -3.75, 5)], np.float32)
    ious = [_iou_with_shift(d) for d in (2, 3.75, 5)]
    assert ious[0] >= 0.5 and 0.4 <= ious[1] < 0.5 and ious[2] < 0.4
    boxes = np.array([[0, 0, 10, 10], [0, 0, 0, 0]], np.float32)
    labels = np.array([7, -1], np.int32)
    matched, state = match_anchors(anchors, boxes, labels, match_best=False)
    assert state.numpy().tolist() == [MATCH_POSITIVE, MATCH_IGNORED, MATCH_NEGATIVE]
    assert matched.numpy()[0] == 0


def test_match_iou_exactly_at_thresholds():
    anchors = np.array([[0, 0, 10, 10], [0, 0, 10, 4], [0, 0, 10, 3.9]], np.float32)
    boxes = np.array([[0, 0, 10, 8]], np.float32)  # IoU 0.8... 0.5 exactly, 0.4875 -> 3.9/8
    iou = pairwise_iou(anchors, boxes).numpy()[:, 0]
    np.testing.assert_allclose(iou[1], 0.5, rtol=1e-7)
    _, state = match_anchors(anchors, boxes, np.array([1]), match_best=False)
    assert state.numpy().tolist() == [MATCH_POSITIVE, MATCH_POSITIVE, MATCH_IGNORED]


def test_match_picks_the_best_object_and_skips_padding():
    anchors = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], np.float32)
    boxes = np.array([[0, 0, 0, 0], [21, 20, 31, 30], [0, 0, 10, 9]], np.float32)
    labels = np.array([-1, 3, 4])
    matched, state = match_anchors(anchors, boxes, labels)
    assert matched.numpy().tolist() == [2, 1]
    assert state.numpy().tolist() == [MATCH_POSITIVE, MATCH_POSITIVE]


def test_match_best_gives_every_object_an_anchor():
    anchors = AnchorGenerator()(128, 128)
    # a very thin "1": no anchor reaches IoU 0.5
    boxes = np.array([[60, 50, 62, 62]], np.float32)
    labels = np.array([1])
    assert pairwise_iou(anchors, boxes).numpy().max() < 0.5
    _, state = match_anchors(anchors, boxes, labels, match_best=False)
    assert (state.numpy() == MATCH_POSITIVE).sum() == 0
    matched, state = match_anchors(anchors, boxes, labels, match_best=True)
    assert (state.numpy() == MATCH_POSITIVE).sum() >= 1


def test_image_without_objects_has_only_negatives():
    anchors = AnchorGenerator()(64, 64)
    boxes = np.zeros((6, 4), np.float32)
    labels = -np.ones(6, np.int32)
    _, state = match_anchors(anchors, boxes, labels)
    assert (state.numpy() == MATCH_NEGATIVE).all()


def test_match_rejects_bad_thresholds():
    with pytest.raises(ValueError, match="negative_iou"):
        match_anchors(np.zeros((1, 4)), np.zeros((1, 4)), np.zeros(1), 0.3, 0.5)


# -- box encoding ---------------------------------------------------------------------------------
def test_encoding_round_trip():
    rng = np.random.default_rng(0)
    anchors = AnchorGenerator()(128, 128)
    idx = rng.integers(len(anchors), size=500)
    a = anchors[idx]
    xy = rng.uniform(0, 120, (500, 2))
    wh = rng.uniform(2, 80, (500, 2))
    boxes = np.concatenate([xy, xy + wh], 1).astype(np.float32)
    t = encode_boxes(boxes, a)
    np.testing.assert_allclose(decode_boxes(t, a).numpy(), boxes, atol=2e-3)


def test_encoding_formula_and_variances():
    anchor = np.array([[0, 0, 10, 20]], np.float32)  # centre (5, 10), w 10, h 20
    box = np.array([[1, 2, 21, 12]], np.float32)  # centre (11, 7), w 20, h 10
    t = encode_boxes(box, anchor).numpy()[0]
    expected = [(11 - 5) / 10 / 0.1, (7 - 10) / 20 / 0.1, np.log(2) / 0.2, np.log(0.5) / 0.2]
    np.testing.assert_allclose(t, expected, rtol=1e-6)
    t1 = encode_boxes(box, anchor, variances=(1, 1, 1, 1)).numpy()[0]
    np.testing.assert_allclose(t1, np.array(expected) * [0.1, 0.1, 0.2, 0.2], rtol=1e-6)


def test_decode_does_not_overflow_on_huge_offsets():
    anchor = np.array([[0, 0, 16, 16]], np.float32)
    out = decode_boxes(np.array([[0, 0, 1e4, 1e4]], np.float32), anchor).numpy()
    assert np.isfinite(out).all()


def test_label_encoder_targets():
    gen = AnchorGenerator()
    enc = LabelEncoder(gen, (64, 64))
    boxes = np.array([[10, 10, 30, 40], [0, 0, 0, 0]], np.float32)
    labels = np.array([5, -1], np.int32)
    targets = enc.encode(boxes, labels).numpy()
    assert targets.shape == (gen.num_anchors(64, 64), 5)
    cls = targets[:, 4]
    assert set(np.unique(cls)) <= {5.0, CLASS_BACKGROUND, CLASS_IGNORED}
    pos = cls == 5
    assert pos.sum() >= 1
    # positive targets decode back to the object's box; others carry zero offsets
    decoded = decode_boxes(targets[pos, :4], enc.anchors[pos]).numpy()
    np.testing.assert_allclose(decoded, np.repeat(boxes[:1], pos.sum(), 0), atol=1e-3)
    assert (targets[~pos, :4] == 0).all()


# -- NMS and decoding -----------------------------------------------------------------------------
def test_nms_suppresses_overlaps_within_a_class_only():
    boxes = np.array([[[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60], [0, 0, 10, 10]]],
                     np.float32)
    scores = np.zeros((1, 4, 3), np.float32)
    scores[0, 0, 0] = 0.9  # kept
    scores[0, 1, 0] = 0.8  # IoU 0.82 with box 0, same class -> suppressed
    scores[0, 2, 0] = 0.7  # far away -> kept
    scores[0, 3, 1] = 0.6  # same place as box 0 but another class -> kept
    scores[0, 1, 2] = 0.01  # below the score threshold
    out = nms_per_class(boxes, scores, score_threshold=0.05, iou_threshold=0.5)
    n = out["num_detections"][0]
    assert n == 3
    np.testing.assert_allclose(out["scores"][0, :n], [0.9, 0.7, 0.6], rtol=1e-6)
    assert out["classes"][0, :n].tolist() == [0, 0, 1]
    np.testing.assert_allclose(out["boxes"][0, :n], boxes[0, [0, 2, 3]])


def test_nms_top_k_limits_detections():
    boxes = np.array([[[i * 20, 0, i * 20 + 10, 10] for i in range(5)]], np.float32)
    scores = np.linspace(0.5, 0.9, 5, dtype=np.float32).reshape(1, 5, 1)
    out = nms_per_class(boxes, scores, max_detections=2)
    assert out["num_detections"][0] == 2
    np.testing.assert_allclose(out["scores"][0], [0.9, 0.8], rtol=1e-6)


def test_decode_predictions_recovers_boxes_and_classes():
    gen = AnchorGenerator()
    enc = LabelEncoder(gen, (128, 128))
    boxes = np.array([[10, 12, 30, 50], [70, 60, 110, 100]], np.float32)
    targets = enc.encode(boxes, np.array([3, 8])).numpy()
    logits = np.full((1, len(targets), 10), -10.0, np.float32)
    pos = targets[:, 4] >= 0
    logits[0, pos, targets[pos, 4].astype(int)] = 5.0
    dets = decode_predictions(enc.anchors, targets[None, :, :4], logits, (128, 128))
    n = dets["num_detections"][0]
    assert n == 2
    order = np.argsort(dets["boxes"][0, :n, 0])
    np.testing.assert_allclose(dets["boxes"][0, :n][order], boxes, atol=1e-2)
    assert sorted(dets["classes"][0, :n].tolist()) == [3, 8]


def test_draw_boxes_colours_and_threshold():
    from refs.detection.draw import PRED_COLOUR, TRUE_COLOUR, draw_boxes

    image = np.zeros((20, 30), np.float32)
    out = draw_boxes(image, [[2, 2, 10, 10], [15, 5, 25, 15]], [1, 2], [0.9, 0.1],
                     true_boxes=[[1, 12, 8, 18]], min_score=0.5)
    assert out.shape == (20, 30, 3) and out.dtype == np.uint8
    assert tuple(out[12, 1]) == TRUE_COLOUR
    assert tuple(out[2, 5]) == PRED_COLOUR  # top edge of the kept box
    assert tuple(out[5, 20]) != PRED_COLOUR  # the low-score box is not drawn
    assert draw_boxes(image, scale=2).shape == (40, 60, 3)
