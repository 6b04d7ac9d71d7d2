"""Image grids: many small images tiled into one, as numpy (no plotting library needed)."""

from __future__ import annotations

import math

import numpy as np


def to_uint8(images: np.ndarray, value_range: tuple[float, float] | None = None) -> np.ndarray:
    """Convert images to uint8.

    uint8 input is returned as is. Float input is mapped from ``value_range`` to [0, 255]; by
    default [0, 1], or [-1, 1] when any value is negative (a tanh generator's output).
    """
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    images = images.astype(np.float32)
    if not np.all(np.isfinite(images)):
        raise ValueError("images contain NaN or inf; cannot convert them to uint8")
    if value_range is None:
        value_range = (-1.0, 1.0) if images.size and images.min() < 0 else (0.0, 1.0)
    lo, hi = value_range
    if hi <= lo:
        raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}")
    scaled = (images - lo) / (hi - lo)
    return np.clip(np.round(scaled * 255.0), 0, 255).astype(np.uint8)


def image_grid(
    images: np.ndarray,
    ncols: int | None = None,
    pad: int = 2,
    pad_value: int = 0,
    value_range: tuple[float, float] | None = None,
) -> np.ndarray:
    """Tile ``images`` into one uint8 image of shape (H', W', C).

    Args:
        images: (N, H, W), (N, H, W, 1) or (N, H, W, 3), uint8 or float (see :func:`to_uint8`).
        ncols: images per row; default ``ceil(sqrt(N))``.
        pad: pixels between tiles and around the border.
        pad_value: the uint8 value of the padding.
        value_range: the range of float input; see :func:`to_uint8`.

    Returns:
        A uint8 array (rows*H + (rows+1)*pad, ncols*W + (ncols+1)*pad, C).
    """
    images = to_uint8(images, value_range)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        raise ValueError(
            f"images must have shape (N, H, W) or (N, H, W, C) with C in 1, 3, 4; "
            f"got {images.shape}"
        )
    n, h, w, c = images.shape
    if n == 0:
        raise ValueError("images is empty: nothing to tile")
    ncols = ncols or math.ceil(math.sqrt(n))
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    nrows = math.ceil(n / ncols)
    grid = np.full(
        (nrows * h + (nrows + 1) * pad, ncols * w + (ncols + 1) * pad, c), pad_value, np.uint8
    )
    for i in range(n):
        r, col = divmod(i, ncols)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        grid[y : y + h, x : x + w] = images[i]
    return grid


def write_png(path, image: np.ndarray) -> None:
    """Write a uint8 (H, W), (H, W, 1) or (H, W, 3) image as PNG (via TensorFlow's encoder)."""
    import tensorflow as tf

    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    data = tf.io.encode_png(tf.constant(to_uint8(image))).numpy()
    with open(path, "wb") as f:
        f.write(data)
