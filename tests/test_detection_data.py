"""The synthetic MNIST detection set of refs.detection.data."""

import numpy as np
import pytest

from refs.data import load_mnist
from refs.detection.data import (
    INK_THRESHOLD,
    ink_box,
    make_canvases,
    split_digits,
    synthetic_canvases,
    to_dataset,
)


@pytest.fixture(scope="module")
def mnist(mnist_path):
    return load_mnist(mnist_path)


@pytest.fixture(scope="module")
def canvases(mnist):
    return synthetic_canvases(300, "train", seed=3, mnist=mnist)


def test_splits_use_disjoint_digit_pools(mnist):
    (xtr, _), (xte, _) = mnist
    train, _ = split_digits(mnist, "train")
    val, _ = split_digits(mnist, "val")
    test, _ = split_digits(mnist, "test")
    assert len(train) + len(val) == len(xtr) and len(test) == len(xte)
    assert np.shares_memory(test, xte) and not np.shares_memory(train, xte)
    with pytest.raises(ValueError, match="split"):
        split_digits(mnist, "dev")


def test_canvases_are_deterministic_per_index(mnist):
    a = synthetic_canvases(6, "test", seed=1, mnist=mnist)
    b = synthetic_canvases(3, "test", seed=1, mnist=mnist, start=3)
    np.testing.assert_array_equal(a.images[3:], b.images)
    np.testing.assert_array_equal(a.boxes[3:], b.boxes)
    c = synthetic_canvases(6, "test", seed=2, mnist=mnist)
    assert not np.array_equal(a.images, c.images)


def test_canvas_shapes_counts_and_classes(canvases):
    assert canvases.images.shape == (300, 128, 128) and canvases.images.dtype == np.uint8
    counts = (canvases.labels >= 0).sum(1)
    assert counts.max() <= 6
    assert (counts == 0).sum() >= 3, "some canvases must be empty on purpose"
    assert (counts >= 4).sum() > 30
    real = canvases.labels[canvases.labels >= 0]
    assert set(np.unique(real)) == set(range(10))


def test_boxes_are_tight_ink_boxes_in_range(canvases):
    for i in range(50):
        boxes, labels = canvases.objects(i)
        for x0, y0, x1, y1 in boxes.astype(int):
            assert 0 <= x0 < x1 <= 128 and 0 <= y0 < y1 <= 128
            side = max(x1 - x0, y1 - y0)
            assert 6 <= side <= 64
            crop = canvases.images[i, y0:y1, x0:x1]
            # ink touches every side of the box (tight); noise (std 8) may lower it a little
            ink = INK_THRESHOLD - 32
            assert crop[0].max() > ink and crop[-1].max() > ink
            assert crop[:, 0].max() > ink and crop[:, -1].max() > ink


def test_scales_span_the_requested_range(canvases):
    b = canvases.boxes[canvases.labels >= 0]
    side = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    assert side.min() < 16 and side.max() > 56


def test_digits_overlap_little(canvases):
    for i in range(len(canvases)):
        boxes, _ = canvases.objects(i)
        for j in range(len(boxes)):
            for k in range(j + 1, len(boxes)):
                a, b = boxes[j], boxes[k]
                iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
                ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
                smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
                assert iw * ih <= 0.15 * smaller + 1e-6


def test_empty_canvas_is_noise_only(mnist):
    digits, labels = split_digits(mnist, "test")
    c = make_canvases(digits, labels, 2, split="test", empty_fraction=1.0)
    assert (c.labels == -1).all() and c.images.max() < 80
    assert c.images.std() > 1.0  # the noise is there


def test_ink_box_of_blank_patch_is_none():
    assert ink_box(np.zeros((5, 5), np.uint8)) is None
    p = np.zeros((5, 5), np.uint8)
    p[1:3, 2] = 255
    assert ink_box(p) == (2, 1, 3, 3)


def test_make_canvases_rejects_bad_arguments(mnist):
    digits, labels = split_digits(mnist, "test")
    with pytest.raises(ValueError, match="min_scale"):
        make_canvases(digits, labels, 1, min_scale=70, max_scale=64)
    with pytest.raises(ValueError, match="empty_fraction"):
        make_canvases(digits, labels, 1, empty_fraction=1.5)


def test_tf_data_pipeline_yields_encoded_targets(canvases):
    from refs.detection.anchors import AnchorGenerator
    from refs.detection.encoding import LabelEncoder

    gen = AnchorGenerator()
    enc = LabelEncoder(gen, (128, 128))
    sub = type(canvases)(canvases.images[:8], canvases.boxes[:8], canvases.labels[:8])
    images, targets = next(iter(to_dataset(sub, enc, batch_size=8, augment=True)))
    assert images.shape == (8, 128, 128, 1) and targets.shape == (8, gen.num_anchors(128, 128), 5)
    assert 0.0 <= float(images.numpy().min()) and float(images.numpy().max()) <= 1.0
    images, objects = next(iter(to_dataset(sub, None, batch_size=8)))
    assert objects["boxes"].shape == (8, 6, 4) and objects["classes"].shape == (8, 6)
    np.testing.assert_array_equal(objects["classes"].numpy(), sub.labels)
