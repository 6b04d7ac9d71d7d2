"""Step 1: anchor boxes on several pyramid levels.

On level ``l`` with stride ``s_l`` the anchors sit at the centres of the stride cells,
``((j + 0.5) s_l, (i + 0.5) s_l)`` for ``i < ceil(H / s_l)``, ``j < ceil(W / s_l)``. Each centre
carries ``len(scales) * len(aspect_ratios)`` anchors of area ``(size_l * scale)^2`` and aspect
ratio ``r = w / h``: ``w = size_l * scale * sqrt(r)``, ``h = size_l * scale / sqrt(r)``.

The anchors of all levels are concatenated level by level, row-major inside a level, scales
outer and ratios inner at one centre - the order in which :mod:`refs.detection.model` lays out
its predictions.

Example:
    >>> gen = AnchorGenerator(strides=(8, 16, 32), sizes=(16, 32, 64))
    >>> gen(128, 128).shape   # (16*16 + 8*8 + 4*4) * 9 anchors
    (3024, 4)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

# Digits are taller than wide: ink boxes have w/h between about 0.2 ("1") and 1.2.
DIGIT_ASPECT_RATIOS = (0.35, 0.6, 1.0)


@dataclass(frozen=True)
class AnchorGenerator:
    """Anchors ``[x_min, y_min, x_max, y_max]`` (pixels) for an ``H x W`` input.

    Args:
        strides: the stride of each pyramid level (P3, P4, P5 -> 8, 16, 32).
        sizes: the base anchor side of each level (one per stride).
        scales: multipliers of the base side (octave scales ``2^(k/3)`` by default).
        aspect_ratios: ``w / h`` of the anchors.
    """

    strides: Sequence[int] = (8, 16, 32)
    sizes: Sequence[float] = (16.0, 32.0, 64.0)
    scales: Sequence[float] = (1.0, 2 ** (1 / 3), 2 ** (2 / 3))
    aspect_ratios: Sequence[float] = DIGIT_ASPECT_RATIOS

    def __post_init__(self):
        for name in ("strides", "sizes", "scales", "aspect_ratios"):
            values = tuple(float(v) for v in getattr(self, name))
            if not values or any(not (v > 0 and math.isfinite(v)) for v in values):
                raise ValueError(f"{name} must be a non-empty list of positive numbers, "
                                 f"got {getattr(self, name)!r}")
            object.__setattr__(self, name, tuple(int(v) for v in values)
                               if name == "strides" else values)
        if len(self.strides) != len(self.sizes):
            raise ValueError(f"strides and sizes need one entry per level, got "
                             f"{len(self.strides)} strides and {len(self.sizes)} sizes")

    @property
    def anchors_per_location(self) -> int:
        return len(self.scales) * len(self.aspect_ratios)

    def level_shape(self, height: int, width: int, level: int) -> tuple[int, int]:
        """Feature-map size of a level: ``ceil(H / stride), ceil(W / stride)``."""
        s = self.strides[level]
        return -(-height // s), -(-width // s)

    def shapes(self, height: int, width: int) -> list[tuple[int, int]]:
        return [self.level_shape(height, width, k) for k in range(len(self.strides))]

    def num_anchors(self, height: int, width: int) -> int:
        return sum(h * w for h, w in self.shapes(height, width)) * self.anchors_per_location

    def level_anchors(self, height: int, width: int, level: int) -> np.ndarray:
        """``(h_l * w_l * anchors_per_location, 4)`` float32 anchors of one level."""
        stride, size = self.strides[level], self.sizes[level]
        fh, fw = self.level_shape(height, width, level)
        cy, cx = np.meshgrid((np.arange(fh) + 0.5) * stride, (np.arange(fw) + 0.5) * stride,
                             indexing="ij")
        wh = [
            (size * sc * math.sqrt(r), size * sc / math.sqrt(r))
            for sc in self.scales for r in self.aspect_ratios
        ]
        wh = np.asarray(wh, np.float64)  # (A, 2)
        centres = np.stack([cx, cy], -1).reshape(-1, 1, 2)  # (h*w, 1, 2)
        boxes = np.concatenate([centres - wh / 2, centres + wh / 2], -1)  # (h*w, A, 4)
        return boxes.reshape(-1, 4).astype(np.float32)

    def __call__(self, height: int, width: int) -> np.ndarray:
        """All anchors of an ``height x width`` input, ``(num_anchors, 4)`` float32."""
        if int(height) < 1 or int(width) < 1:
            raise ValueError(f"image size must be positive, got {height}x{width}")
        return np.concatenate(
            [self.level_anchors(int(height), int(width), k) for k in range(len(self.strides))]
        )

    def get_config(self) -> dict:
        return {k: list(v) for k, v in asdict(self).items()}
