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

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

SPLITS = {"train": 0, "val": 1, "test": 2}
INK_THRESHOLD = 64  # uint8 value above which a pixel counts as ink (box = tight box of ink)
#: background models of :func:`background_image`
BACKGROUNDS = ("black", "flat", "bright", "gradient", "texture", "mixed")
#: how :func:`make_canvases` draws a canvas's settings
DISTRIBUTIONS = ("canonical", "wide")


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


def box_sides(boxes: np.ndarray) -> np.ndarray:
    """``(N, 2)`` widths and heights of ``(N, 4)`` corner boxes."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    return boxes[:, 2:] - boxes[:, :2]


def _overlap_ok(box, placed, max_overlap: float) -> bool:
    if max_overlap >= 1.0:
        return True
    x0, y0, x1, y1 = box
    for a0, b0, a1, b1 in placed:
        iw = min(x1, a1) - max(x0, a0)
        ih = min(y1, b1) - max(y0, b0)
        if iw > 0 and ih > 0:
            smaller = min((x1 - x0) * (y1 - y0), (a1 - a0) * (b1 - b0))
            if iw * ih > max_overlap * smaller:
                return False
    return True


def _visible_enough(ink, patch, x, y, threshold, min_visible: float) -> bool:
    """Whether at least ``min_visible`` of the patch's ink lands on pixels without ink yet."""
    if min_visible <= 0.0:
        return True
    mask = patch > threshold
    covered = ink[y:y + patch.shape[0], x:x + patch.shape[1]] > threshold
    total = int(mask.sum())
    return total > 0 and 1.0 - int((mask & covered).sum()) / total >= min_visible


def canvas_shape(size) -> tuple[int, int]:
    """``(height, width)`` from ``size``: one side (a square canvas) or ``(height, width)``."""
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            raise ValueError(f"size must be one side or (height, width), got {size!r}")
        h, w = (int(v) for v in size)
    else:
        h = w = int(size)
    if h < 1 or w < 1:
        raise ValueError(f"size must be positive, got {size!r}")
    return h, w


def _draw(rng: np.random.Generator, value) -> float:
    """A number, or one drawn uniformly from a ``(low, high)`` range."""
    if isinstance(value, (tuple, list)):
        return float(rng.uniform(value[0], value[1]))
    return float(value)


def background_image(rng: np.random.Generator, shape: tuple[int, int], kind: str) -> np.ndarray:
    """A background ``(H, W)`` float32 in uint8 units, one of :data:`BACKGROUNDS`:

    - ``"black"``: 0 (MNIST's own background);
    - ``"flat"``: one grey level ``U[0, 120]``; ``"bright"``: one level ``U[120, 200]``;
    - ``"gradient"``: a linear ramp in a random direction between two levels in ``[0, 160]``;
    - ``"texture"``: smooth blobs (bilinear upsampling of a coarse random grid), ``[0, 120]``;
    - ``"mixed"``: black (0.3), flat (0.2), bright (0.15), gradient (0.15) or texture (0.2).
    """
    h, w = shape
    if kind == "mixed":
        kind = str(rng.choice(["black", "flat", "bright", "gradient", "texture"],
                              p=[0.3, 0.2, 0.15, 0.15, 0.2]))
    if kind == "black":
        return np.zeros(shape, np.float32)
    if kind in ("flat", "bright"):
        low, high = (0.0, 120.0) if kind == "flat" else (120.0, 200.0)
        return np.full(shape, rng.uniform(low, high), np.float32)
    if kind == "gradient":
        a, b = rng.uniform(0.0, 160.0, 2)
        angle = rng.uniform(0.0, 2 * np.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        t = xx * np.cos(angle) + yy * np.sin(angle)
        t = (t - t.min()) / max(float(t.max() - t.min()), 1.0)
        return (a + (b - a) * t).astype(np.float32)
    if kind == "texture":
        coarse = rng.uniform(0.0, 120.0, (max(2, h // 16), max(2, w // 16))).astype(np.float32)
        return np.asarray(Image.fromarray(coarse, mode="F").resize((w, h), Image.BILINEAR),
                          np.float32)
    raise ValueError(f"background must be one of {BACKGROUNDS}, got {kind!r}")


def render_canvas(
    rng: np.random.Generator,
    digits: np.ndarray,
    digit_labels: np.ndarray,
    count: int,
    size=128,
    min_scale: int = 12,
    max_scale: int = 64,
    max_overlap: float = 0.15,
    noise_std=8.0,
    nest_fraction: float = 0.0,
    min_visible: float = 0.0,
    background: str = "black",
    ink_threshold: int = INK_THRESHOLD,
    log_scale: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One canvas with up to ``count`` digits drawn at random from ``digits``.

    The digits' ink is combined by pixel-wise max into an ink layer ``I`` (0..255), which is laid
    over the background ``B`` as ``B + (255 - B) I / 255``; then Gaussian noise. See
    :func:`make_canvases` for the arguments. Returns ``(image (H, W) uint8, boxes (k, 4) float32,
    labels (k,) int32)``; ``k`` may be below ``count`` when a digit finds no place in 30 tries.
    """
    h_canvas, w_canvas = canvas_shape(size)
    ink = np.zeros((h_canvas, w_canvas), np.float32)
    boxes, labels = [], []
    for _ in range(count):
        idx = int(rng.integers(len(digits)))
        digit = digits[idx]
        box = ink_box(digit)
        if box is None:
            continue
        crop = digit[box[1]:box[3], box[0]:box[2]]
        h, w = crop.shape
        side = (math.exp(rng.uniform(math.log(min_scale), math.log(max_scale))) if log_scale
                else rng.uniform(min_scale, max_scale))
        scale = float(side) / max(h, w)
        nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
        nh, nw = min(nh, h_canvas), min(nw, w_canvas)
        patch = np.asarray(Image.fromarray(crop).resize((nw, nh), Image.BILINEAR))
        tight = ink_box(patch, ink_threshold)
        if tight is None:
            continue
        # nesting: this digit's centre falls inside an earlier digit's box
        host = (boxes[int(rng.integers(len(boxes)))]
                if nest_fraction > 0 and boxes and rng.random() < nest_fraction else None)
        for _try in range(30):
            if host is None:
                x = int(rng.integers(0, w_canvas - nw + 1))
                y = int(rng.integers(0, h_canvas - nh + 1))
            else:
                cx, cy = rng.uniform(host[0], host[2]), rng.uniform(host[1], host[3])
                x = int(np.clip(round(cx - nw / 2), 0, w_canvas - nw))
                y = int(np.clip(round(cy - nh / 2), 0, h_canvas - nh))
            cand = (x + tight[0], y + tight[1], x + tight[2], y + tight[3])
            if _overlap_ok(cand, boxes, max_overlap) and _visible_enough(
                    ink, patch, x, y, ink_threshold, min_visible):
                region = ink[y:y + nh, x:x + nw]
                np.maximum(region, patch, out=region)
                boxes.append(cand)
                labels.append(int(digit_labels[idx]))
                break
    if background == "black":
        canvas = ink
    else:
        back = background_image(rng, (h_canvas, w_canvas), background)
        canvas = back + (255.0 - back) * (ink / 255.0)
    std = _draw(rng, noise_std)
    if std > 0:
        canvas = (canvas + rng.normal(0.0, std, canvas.shape)).astype(np.float32)
    image = np.clip(np.rint(canvas), 0, 255).astype(np.uint8)
    return (
        image,
        np.asarray(boxes, np.float32).reshape(-1, 4),
        np.asarray(labels, np.int32).reshape(-1),
    )


def wide_settings(rng: np.random.Generator, clutter_fraction: float = 0.35,
                  background: str = "mixed") -> dict:
    """One canvas's clutter, noise and background in the ``"wide"`` distribution:

    - clutter with probability ``clutter_fraction``: any overlap, half of the digits centred
      inside an earlier digit's box, at least half of each digit's ink visible; otherwise at most
      15 % overlap;
    - Gaussian noise with ``sigma = 48 u^2``, ``u ~ U[0, 1]`` (median 12, 10 % above 40);
    - the ``background`` model (default ``"mixed"``: black, flat, bright, gradient or texture).
    """
    cluttered = bool(rng.random() < clutter_fraction) if clutter_fraction > 0 else False
    return {"max_overlap": 1.0 if cluttered else 0.15,
            "nest_fraction": 0.5 if cluttered else 0.0,
            "min_visible": 0.5 if cluttered else 0.0,
            "noise_std": 48.0 * float(rng.random()) ** 2,
            "background": background}


def make_canvases(
    digits: np.ndarray,
    digit_labels: np.ndarray,
    num: int,
    split: str = "train",
    seed: int = 0,
    start: int = 0,
    size=128,
    max_digits: int = 6,
    min_scale: int = 12,
    max_scale: int = 64,
    empty_fraction: float = 0.05,
    max_overlap: float = 0.15,
    noise_std=8.0,
    min_digits: int = 1,
    nest_fraction: float = 0.0,
    min_visible: float = 0.0,
    background: str = "black",
    ink_threshold: int = INK_THRESHOLD,
    stream: int = 0,
    distribution: str = "canonical",
    canonical_fraction: float = 0.0,
    clutter_fraction: float = 0.35,
    wide_background: str = "mixed",
) -> Canvases:
    """Canvases ``start .. start+num-1`` of ``split``; canvas ``i`` is a function of
    ``(seed, split, i)`` only (and of ``stream``, which gives independent sets of one split).

    Args:
        digits, digit_labels: the digit pool (see :func:`split_digits`): ``(K, 28, 28)`` uint8 and
            ``(K,)`` integer classes.
        num: how many canvases. size: canvas side in pixels, or ``(height, width)``.
        min_digits, max_digits: a non-empty canvas holds ``U{min_digits..max_digits}`` digits.
        min_scale, max_scale: range of the longer ink side of a digit, pixels.
        empty_fraction: probability that a canvas holds no digit.
        max_overlap: the largest allowed intersection over the smaller box between two digits
            (1 allows any overlap, nesting included).
        noise_std: standard deviation of the additive Gaussian noise, in uint8 units, or a
            ``(low, high)`` range it is drawn from per canvas.
        nest_fraction: probability that a digit is centred inside an earlier digit's box
            (a small digit inside a large one's box; needs ``max_overlap`` near 1 to be kept).
        min_visible: the least fraction of a digit's ink that may not fall on earlier ink (0:
            no limit; 0.5: at most half of a digit hidden).
        background: one of :data:`BACKGROUNDS` (see :func:`background_image`).
        ink_threshold: a pixel above it is ink; the box is the tight box of the ink.
        stream: an extra seed component: the same ``(seed, split)`` with another stream gives
            other canvases of the same split (the robustness conditions use this).
        distribution: ``"canonical"`` draws every canvas with the settings above; ``"wide"``
            (what the detector trains on) draws each canvas's clutter, noise and background at
            random (:func:`wide_settings`), digit sizes log-uniform in ``[min_scale,
            max_scale]``; ``size``, ``min_digits``/``max_digits``, ``empty_fraction`` and
            ``ink_threshold`` still apply.
        canonical_fraction: in the ``"wide"`` distribution, the probability that a canvas is
            drawn with the canonical test settings instead (1-6 digits of 12-64 px, at most 15 %
            overlap, noise sigma 8, black background).
        clutter_fraction: in the ``"wide"`` distribution, the probability that a canvas is
            cluttered (any overlap, nesting; see :func:`wide_settings`).
        wide_background: the background model of the ``"wide"`` distribution (one of
            :data:`BACKGROUNDS`; ``"black"`` keeps MNIST's own background).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    if num < 0 or max_digits < 1 or not 1 <= min_digits <= max_digits:
        raise ValueError(f"need num >= 0 and 1 <= min_digits <= max_digits, got {num}, "
                         f"{min_digits}, {max_digits}")
    h, w = canvas_shape(size)
    if not 0 < min_scale <= max_scale <= min(h, w):
        raise ValueError(
            f"need 0 < min_scale <= max_scale <= size, got {min_scale}, {max_scale}, {size}"
        )
    if not 0.0 <= empty_fraction <= 1.0:
        raise ValueError(f"empty_fraction must be in [0, 1], got {empty_fraction}")
    for name, value in (("max_overlap", max_overlap), ("nest_fraction", nest_fraction),
                        ("min_visible", min_visible), ("canonical_fraction", canonical_fraction),
                        ("clutter_fraction", clutter_fraction)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {value}")
    for name, value in (("background", background), ("wide_background", wide_background)):
        if value not in BACKGROUNDS:
            raise ValueError(f"{name} must be one of {BACKGROUNDS}, got {value!r}")
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {DISTRIBUTIONS}, got {distribution!r}")
    settings = {"max_overlap": max_overlap, "noise_std": noise_std,
                "nest_fraction": nest_fraction, "min_visible": min_visible,
                "background": background}
    images = np.zeros((num, h, w), np.uint8)
    boxes = np.zeros((num, max_digits, 4), np.float32)
    labels = np.full((num, max_digits), -1, np.int32)
    for n in range(num):
        key = [seed, SPLITS[split], start + n] + ([stream] if stream else [])
        rng = np.random.default_rng(key)
        plain = (distribution == "wide" and canonical_fraction > 0
                 and bool(rng.random() < canonical_fraction))
        low, high = (1, min(6, max_digits)) if plain else (min_digits, max_digits)
        count = 0 if rng.random() < empty_fraction else int(rng.integers(low, high + 1))
        scales = (12, min(64, h, w)) if plain else (min_scale, max_scale)
        if distribution == "wide":
            settings = ({"max_overlap": 0.15, "noise_std": 8.0} if plain
                        else wide_settings(rng, clutter_fraction, wide_background))
        img, b, lab = render_canvas(
            rng, digits, digit_labels, count, (h, w), *scales, ink_threshold=ink_threshold,
            log_scale=distribution == "wide" and not plain, **settings,
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

    Without ``encoder`` each element is ``(image, {"boxes": (M, 4), "classes": (M,)})``, what
    :class:`refs.detection.RetinaNet` trains on (class ``-1`` marks padding); with ``encoder`` (a
    :class:`refs.detection.encoding.LabelEncoder`) it is ``(image, targets)`` with per-anchor
    ``targets (A, 5)`` ready for :class:`refs.detection.loss.DetectionLoss`. ``augment`` applies
    a random brightness/contrast change (boxes are unchanged:
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
            return image, {"boxes": boxes, "classes": labels}
        return image, encoder.encode(boxes, labels)

    ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
