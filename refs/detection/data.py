"""Step 0 of the narrative: a synthetic detection set made of MNIST digits on a canvas.

Each example is a ``size x size`` grayscale canvas holding 0 to ``max_digits`` MNIST digits. A
digit is cropped to its ink, resized so that the longer side of its ink is ``s`` pixels with
``s ~ U[min_scale, max_scale]``, and pasted (pixel-wise max) where its box overlaps no earlier box
by more than ``max_overlap`` (intersection over the smaller box). The box is the tight box of the
ink *after* resizing, ``[x_min, y_min, x_max, y_max]`` in pixels (pixel ``i`` spans ``[i, i+1)``);
the class is the digit. A fraction ``empty_fraction`` of canvases hold no digit on purpose (the
loss must stay finite on them), the rest hold ``U{1..max_digits}``. Gaussian noise is added.

Splits never share digits: ``"train"`` uses MNIST training digits 0..54999, ``"val"`` the
training digits 55000..59999, ``"test"`` the MNIST test digits. Canvas ``i`` of a split depends
only on ``(seed, split, i)``, so any subset is reproducible on its own.

Example:
    >>> (xtr, ytr), (xte, yte) = refs.data.load_mnist()
    >>> canvases = make_canvases(xte, yte, 4, split="test", seed=0)
    >>> canvases.images.shape, canvases.boxes.shape   # (4, 128, 128) uint8, (4, 6, 4) float32
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

SPLITS = {"train": 0, "val": 1, "test": 2}
INK_THRESHOLD = 64  # uint8 value above which a pixel counts as ink (box = tight box of ink)


@dataclass
class Canvases:
    """A batch of detection examples in padded numpy form.

    Attributes:
        images: ``(N, H, W)`` uint8.
        boxes: ``(N, M, 4)`` float32 ``[x_min, y_min, x_max, y_max]`` pixels; padding rows are 0.
        labels: ``(N, M)`` int32 class ids; ``-1`` marks padding.
    """

    images: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.images)

    def objects(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The real (unpadded) boxes and labels of example ``i``."""
        keep = self.labels[i] >= 0
        return self.boxes[i][keep], self.labels[i][keep]


def split_digits(mnist, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The MNIST digits a split may use, from ``load_mnist()``'s ``((xtr, ytr), (xte, yte))``."""
    from refs.errors import DataError

    (xtr, ytr), (xte, yte) = mnist
    parts = {"train": (xtr[:55000], ytr[:55000], "training images 0-54999"),
             "val": (xtr[55000:], ytr[55000:], "training images 55000-59999"),
             "test": (xte, yte, "test images")}
    if split not in parts:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    digits, labels, which = parts[split]
    if len(digits) == 0:
        raise DataError(f"the MNIST file holds no digits for the {split!r} split (it uses the "
                        f"{which}; the file has {len(xtr)} training and {len(xte)} test images)")
    return digits, labels


def ink_box(patch: np.ndarray, threshold: int = INK_THRESHOLD) -> tuple[int, int, int, int] | None:
    """Tight box ``(x0, y0, x1, y1)`` (x1, y1 exclusive) of pixels ``> threshold``, or None."""
    ys, xs = np.nonzero(patch > threshold)
    if len(xs) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _overlap_ok(box, placed, max_overlap: float) -> bool:
    x0, y0, x1, y1 = box
    for a0, b0, a1, b1 in placed:
        iw = min(x1, a1) - max(x0, a0)
        ih = min(y1, b1) - max(y0, b0)
        if iw > 0 and ih > 0:
            smaller = min((x1 - x0) * (y1 - y0), (a1 - a0) * (b1 - b0))
            if iw * ih > max_overlap * smaller:
                return False
    return True


def render_canvas(
    rng: np.random.Generator,
    digits: np.ndarray,
    digit_labels: np.ndarray,
    count: int,
    size: int = 128,
    min_scale: int = 12,
    max_scale: int = 64,
    max_overlap: float = 0.15,
    noise_std: float = 8.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One canvas with up to ``count`` digits drawn at random from ``digits``.

    Returns ``(image (size, size) uint8, boxes (k, 4) float32, labels (k,) int32)``; ``k`` may be
    below ``count`` when a digit finds no free place in 30 tries.
    """
    canvas = np.zeros((size, size), np.float32)
    boxes, labels, placed = [], [], []
    for _ in range(count):
        idx = int(rng.integers(len(digits)))
        digit = digits[idx]
        box = ink_box(digit)
        if box is None:
            continue
        crop = digit[box[1]:box[3], box[0]:box[2]]
        h, w = crop.shape
        scale = float(rng.uniform(min_scale, max_scale)) / max(h, w)
        nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
        patch = np.asarray(Image.fromarray(crop).resize((nw, nh), Image.BILINEAR))
        tight = ink_box(patch)
        if tight is None:
            continue
        for _try in range(30):
            x = int(rng.integers(0, size - nw + 1))
            y = int(rng.integers(0, size - nh + 1))
            cand = (x + tight[0], y + tight[1], x + tight[2], y + tight[3])
            if _overlap_ok(cand, placed, max_overlap):
                region = canvas[y:y + nh, x:x + nw]
                np.maximum(region, patch, out=region)
                placed.append(cand)
                boxes.append(cand)
                labels.append(int(digit_labels[idx]))
                break
    if noise_std > 0:
        canvas += rng.normal(0.0, noise_std, canvas.shape)
    image = np.clip(np.rint(canvas), 0, 255).astype(np.uint8)
    return (
        image,
        np.asarray(boxes, np.float32).reshape(-1, 4),
        np.asarray(labels, np.int32).reshape(-1),
    )


def make_canvases(
    digits: np.ndarray,
    digit_labels: np.ndarray,
    num: int,
    split: str = "train",
    seed: int = 0,
    start: int = 0,
    size: int = 128,
    max_digits: int = 6,
    min_scale: int = 12,
    max_scale: int = 64,
    empty_fraction: float = 0.05,
    max_overlap: float = 0.15,
    noise_std: float = 8.0,
) -> Canvases:
    """Canvases ``start .. start+num-1`` of ``split``; canvas ``i`` is a function of
    ``(seed, split, i)`` only.

    Args:
        digits, digit_labels: the digit pool (see :func:`split_digits`): ``(K, 28, 28)`` uint8 and
            ``(K,)`` integer classes.
        num: how many canvases. size: canvas side in pixels.
        max_digits: the most digits on one canvas (at least 1).
        min_scale, max_scale: range of the longer ink side of a digit, pixels.
        empty_fraction: probability that a canvas holds no digit.
        max_overlap: the largest allowed intersection over the smaller box between two digits.
        noise_std: standard deviation of the additive Gaussian noise, in uint8 units.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    if num < 0 or max_digits < 1:
        raise ValueError(f"num must be >= 0 and max_digits >= 1, got {num}, {max_digits}")
    if not 0 < min_scale <= max_scale <= size:
        raise ValueError(
            f"need 0 < min_scale <= max_scale <= size, got {min_scale}, {max_scale}, {size}"
        )
    if not 0.0 <= empty_fraction <= 1.0:
        raise ValueError(f"empty_fraction must be in [0, 1], got {empty_fraction}")
    images = np.zeros((num, size, size), np.uint8)
    boxes = np.zeros((num, max_digits, 4), np.float32)
    labels = np.full((num, max_digits), -1, np.int32)
    for n in range(num):
        rng = np.random.default_rng([seed, SPLITS[split], start + n])
        count = 0 if rng.random() < empty_fraction else int(rng.integers(1, max_digits + 1))
        img, b, lab = render_canvas(
            rng, digits, digit_labels, count, size, min_scale, max_scale, max_overlap, noise_std
        )
        images[n] = img
        boxes[n, : len(b)] = b
        labels[n, : len(lab)] = lab
    return Canvases(images, boxes, labels)


def synthetic_canvases(
    num: int, split: str = "train", seed: int = 0, mnist=None, mnist_path=None, **kwargs
) -> Canvases:
    """:func:`make_canvases` on the digits of ``split``, loading MNIST when not given."""
    if mnist is None:
        from refs.data import load_mnist

        mnist = load_mnist(mnist_path)
    digits, digit_labels = split_digits(mnist, split)
    return make_canvases(digits, digit_labels, num, split=split, seed=seed, **kwargs)


def to_dataset(
    canvases: Canvases,
    encoder=None,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int = 0,
    augment: bool = False,
):
    """A ``tf.data`` pipeline over ``canvases``: images as float32 ``(H, W, 1)`` in [0, 1].

    With ``encoder`` (a :class:`refs.detection.encoding.LabelEncoder`) each element is
    ``(image, targets)`` with ``targets (A, 5)`` ready for the loss; without it, ``(image, boxes,
    labels)``. ``augment`` applies a random brightness/contrast change (boxes are unchanged:
    flips and rotations would change what a digit means).
    """
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((canvases.images, canvases.boxes, canvases.labels))
    if shuffle:
        ds = ds.shuffle(min(len(canvases), 8192), seed=seed, reshuffle_each_iteration=True)

    def prepare(image, boxes, labels):
        image = tf.cast(image[..., None], tf.float32) / 255.0
        if augment:
            image = tf.image.random_contrast(image, 0.7, 1.3)
            image = tf.clip_by_value(tf.image.random_brightness(image, 0.1), 0.0, 1.0)
        if encoder is None:
            return image, boxes, labels
        return image, encoder.encode(boxes, labels)

    ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
