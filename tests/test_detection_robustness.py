"""The robustness suite's test conditions, the wide training distribution, recall by size, and
ATSS matching."""

import numpy as np
import pytest

from refs.data import load_mnist
from refs.detection.anchors import AnchorGenerator
from refs.detection.data import Canvases, box_sides, make_canvases, split_digits
from refs.detection.matching import (
    MATCH_NEGATIVE,
    MATCH_POSITIVE,
    match_anchors_atss,
    pairwise_iou,
)
from refs.detection.robustness import (
    CONDITIONS,
    condition_canvases,
    evaluate_conditions,
    recall_by_size,
)


@pytest.fixture(scope="module")
def mnist(mnist_path):
    return load_mnist(mnist_path)


@pytest.fixture(scope="module")
def suite(mnist):
    return {name: condition_canvases(name, 40, mnist=mnist) for name in CONDITIONS}


def _sides(c: Canvases) -> np.ndarray:
    return box_sides(c.boxes[c.labels >= 0]).max(axis=1)


def _counts(c: Canvases) -> np.ndarray:
    return (c.labels >= 0).sum(axis=1)


def test_each_condition_changes_what_it_says(suite):
    assert suite["in-distribution"].images.shape == (40, 128, 128)
    base = _sides(suite["in-distribution"])
    assert 10 <= base.min() and base.max() <= 65
    small, large = _sides(suite["small"]), _sides(suite["large"])
    assert small.min() >= 6 and small.max() <= 17 and np.median(small) < 14
    assert large.min() >= 55 and large.max() <= 97
    assert suite["non-square"].images.shape == (40, 96, 192)
    assert suite["canvas-256"].images.shape == (40, 256, 256)
    many = _counts(suite["many"])
    assert many[many > 0].min() >= 7 and many.max() <= 12 and np.median(many[many > 0]) >= 8
    # noise: none at all, or sigma 40 (background pixels of a canvas without ink nearby)
    assert (suite["no-noise"].images[:, :4, :4] == 0).mean() > 0.9
    corner = suite["strong-noise"].images[:, :6, :6].astype(float)
    # N(0, 40) clipped at 0 on black: std 40 * sqrt((pi - 1) / (2 pi)) = 23.3 (sigma 8: 4.7)
    assert 20 < corner.std() < 27
    bright = np.median(suite["bright"].images.reshape(40, -1), axis=1)
    assert 110 <= bright.min() and bright.max() <= 215


def test_the_overlap_condition_holds_heavy_overlap_and_nesting(suite):
    c = suite["overlap"]
    heavy = nested = 0
    for i in range(len(c)):
        boxes, _ = c.objects(i)
        inter = np.array(pairwise_iou(boxes, boxes))
        np.fill_diagonal(inter, 0)
        heavy += int((inter > 0.3).any())
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        for a in range(len(boxes)):
            inside = ((centres[a] > boxes[:, :2]) & (centres[a] < boxes[:, 2:])).all(axis=1)
            inside[a] = False
            nested += int(inside.any())
    assert _counts(c)[_counts(c) > 0].min() >= 2  # 5 % of canvases are empty on purpose
    assert heavy >= 10 and nested >= 20
    # the canonical canvases keep at most 15 % of the smaller box covered: no heavy overlap
    canonical = suite["in-distribution"]
    for i in range(len(canonical)):
        boxes, _ = canonical.objects(i)
        iou = np.array(pairwise_iou(boxes, boxes))
        np.fill_diagonal(iou, 0)
        assert iou.max(initial=0) <= 0.15


def test_conditions_are_reproducible_and_independent(mnist, suite):
    again = condition_canvases("small", 40, mnist=mnist)
    np.testing.assert_array_equal(again.images, suite["small"].images)
    other_seed = condition_canvases("small", 40, seed=1, mnist=mnist)
    assert not np.array_equal(other_seed.images, suite["small"].images)
    # the in-distribution condition is not the run's own test split (its own seed stream)
    digits, labels = split_digits(mnist, "test")
    run_test = make_canvases(digits, labels, 40, split="test", seed=0)
    assert not np.array_equal(run_test.images, suite["in-distribution"].images)
    with pytest.raises(ValueError, match="condition must be one of"):
        condition_canvases("fog", 1, mnist=mnist)


def test_the_wide_distribution_spans_sizes_counts_clutter_and_backgrounds(mnist):
    digits, labels = split_digits(mnist, "train")
    c = make_canvases(digits, labels, 300, seed=0, distribution="wide", min_scale=8,
                      max_scale=96, max_digits=12)
    sides = _sides(c)
    assert sides.min() <= 10 and sides.max() >= 85
    # log-uniform: about as many digits below 28 px (the geometric middle) as above
    assert 0.35 < (sides < 28).mean() < 0.65
    assert _counts(c).max() >= 10 and _counts(c).max() <= 12
    levels = np.median(c.images.reshape(300, -1), axis=1)
    assert (levels < 20).mean() > 0.2 and (levels > 120).mean() > 0.05
    # canonical stays what it was: no background, at most 6 digits
    canonical = make_canvases(digits, labels, 50, seed=0)
    assert np.median(canonical.images) < 20 and _counts(canonical).max() <= 6
    with pytest.raises(ValueError, match="distribution"):
        make_canvases(digits, labels, 1, distribution="odd")
    with pytest.raises(ValueError, match="min_visible"):
        make_canvases(digits, labels, 1, min_visible=2.0)


def test_recall_by_size_counts_found_boxes_per_bucket():
    boxes = np.array([[[0, 0, 10, 8], [20, 20, 50, 40], [0, 60, 70, 127]]], np.float32)
    labels = np.array([[1, 2, 3]], np.int32)
    c = Canvases(np.zeros((1, 128, 128), np.uint8), boxes, labels)
    perfect = [{"boxes": boxes[0], "scores": np.array([0.9, 0.8, 0.7]),
                "classes": np.array([1, 2, 3])}]
    assert recall_by_size(perfect, c) == {"recall50_small": 1.0, "recall50_medium": 1.0,
                                          "recall50_large": 1.0}
    wrong_class = [{"boxes": boxes[0], "scores": np.array([0.9, 0.8, 0.7]),
                    "classes": np.array([1, 5, 3])}]
    assert recall_by_size(wrong_class, c)["recall50_medium"] == 0.0
    no_large = Canvases(c.images, boxes[:, :2], labels[:, :2])
    assert recall_by_size([{k: v[:2] for k, v in perfect[0].items()}], no_large)[
        "recall50_large"] is None


def test_atss_gives_every_object_positives_and_none_to_padding(mnist):
    gen = AnchorGenerator((8, 16, 32, 64), (8.0, 16.0, 32.0, 64.0))
    anchors = gen(128, 128)
    counts = [h * w * gen.anchors_per_location for h, w in gen.shapes(128, 128)]
    digits, labels = split_digits(mnist, "train")
    c = make_canvases(digits, labels, 6, seed=2, distribution="wide", min_scale=8,
                      max_scale=96, max_digits=12)
    matched, state = (np.asarray(v) for v in match_anchors_atss(anchors, counts, c.boxes,
                                                                c.labels))
    assert set(np.unique(state)) <= {MATCH_POSITIVE, MATCH_NEGATIVE}  # no ignored zone
    for i in range(len(c)):
        n = int((c.labels[i] >= 0).sum())
        pos = state[i] == MATCH_POSITIVE
        assert set(np.unique(matched[i][pos])) == set(range(n))  # every object, no padding
        one = [np.asarray(v) for v in match_anchors_atss(anchors, counts, c.boxes[i],
                                                         c.labels[i])]
        np.testing.assert_array_equal(one[1], state[i])
        np.testing.assert_array_equal(one[0][pos], matched[i][pos])


def test_evaluate_conditions_reports_every_metric(mnist):
    from refs.detection.detector import TrainedDetector
    from refs.detection.retinanet import RetinaNet

    model = RetinaNet(10, widths=(4, 4, 8, 8, 8), fpn_channels=8, head_depth=1)
    trained = TrainedDetector(model.network, model.anchor_generator, {})
    table = evaluate_conditions(trained, 3, ["small", "non-square"], mnist=mnist)
    assert list(table) == ["small", "non-square"]
    for row in table.values():
        assert {"mAP", "mAP50", "mAP75", "recall50_small", "recall50_medium",
                "recall50_large"} <= set(row) and row["num_images"] == 3
