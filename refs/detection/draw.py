"""Boxes drawn on images: true boxes in green, predicted boxes in red with class and score.

Example:
    >>> rgb = draw_boxes(image, pred_boxes, pred_classes, pred_scores, true_boxes=gt_boxes)
    >>> rgb.shape   # (H, W, 3) uint8
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

TRUE_COLOUR = (40, 220, 40)
PRED_COLOUR = (255, 60, 60)


def draw_boxes(image, boxes=(), classes=(), scores=None, true_boxes=(), names=None,
               scale: int = 1, min_score: float = 0.0) -> np.ndarray:
    """An ``(H*scale, W*scale, 3)`` uint8 picture of ``image`` ((H, W), (H, W, 1) or
    (H, W, 3); uint8 or float in [0, 1]) with boxes ``[x_min, y_min, x_max, y_max]``;
    predictions scoring below ``min_score`` are not drawn."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = np.clip(np.asarray(arr, np.float32) * 255.0, 0, 255).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    img = Image.fromarray(arr).convert("RGB")
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    pen = ImageDraw.Draw(img)
    for box in np.asarray(true_boxes, np.float32).reshape(-1, 4):
        pen.rectangle([float(v) * scale for v in box], outline=TRUE_COLOUR)
    scores = [None] * len(boxes) if scores is None else list(scores)
    for box, cls, score in zip(np.asarray(boxes, np.float32).reshape(-1, 4), classes, scores):
        if score is not None and score < min_score:
            continue
        x0, y0, x1, y1 = (float(v) * scale for v in box)
        pen.rectangle([x0, y0, x1, y1], outline=PRED_COLOUR)
        text = str(names[int(cls)]) if names is not None else str(int(cls))
        if score is not None:
            text += f" {float(score):.2f}"
        pen.text((x0 + 1, max(0.0, y0 - 10)), text, fill=PRED_COLOUR)
    return np.asarray(img)
