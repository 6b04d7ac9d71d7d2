"""COCO JSON in and out: a user's own dataset, results files, and COCO mAP with pycocotools.

- :func:`load_coco_dataset` reads ``{"images": [...], "annotations": [...], "categories":
  [...]}`` plus an images folder and returns letterboxed :class:`~refs.detection.data.Canvases`
  (each image scaled by ``s = size / max(H, W)``, pasted top-left on a ``size x size`` canvas;
  boxes scaled by the same ``s``), so the detector trains on anything, not only digits.
- :func:`ground_truth_json` / :func:`results_json` write the two COCO documents
  (``bbox = [x, y, w, h]`` in pixels).
- :func:`coco_evaluate` runs ``pycocotools.cocoeval.COCOeval`` and returns mAP@[.5:.95],
  mAP@.5, mAP@.75 and per-class AP (area "all", 100 detections).

Example:
    >>> gt = ground_truth_json(canvases, category_names=[str(d) for d in range(10)])
    >>> res = results_json(detections, image_ids=range(1, len(canvases) + 1))
    >>> coco_evaluate(gt, res)["mAP"]
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from refs.detection.data import Canvases
from refs.errors import DataError


def ground_truth_json(canvases: Canvases, category_names, category_ids=None,
                      image_ids=None) -> dict:
    """A COCO ground-truth document for ``canvases`` (image ids 1..N unless given; category
    ``k`` gets id ``category_ids[k]``, by default ``k``)."""
    n = len(canvases)
    image_ids = list(range(1, n + 1)) if image_ids is None else [int(i) for i in image_ids]
    category_ids = list(range(len(category_names))) if category_ids is None else category_ids
    h, w = canvases.images.shape[1:3]
    images = [{"id": i, "width": int(w), "height": int(h), "file_name": f"{i}.png"}
              for i in image_ids]
    annotations = []
    for k, image_id in enumerate(image_ids):
        boxes, labels = canvases.objects(k)
        for (x0, y0, x1, y1), label in zip(boxes.tolist(), labels.tolist()):
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id,
                "category_id": int(category_ids[label]),
                "bbox": [x0, y0, x1 - x0, y1 - y0], "area": (x1 - x0) * (y1 - y0), "iscrowd": 0,
            })
    categories = [{"id": int(c), "name": str(name)}
                  for c, name in zip(category_ids, category_names)]
    return {"images": images, "annotations": annotations, "categories": categories}


def results_json(detections, image_ids, category_ids=None) -> list[dict]:
    """COCO results: ``{"image_id", "category_id", "bbox": [x, y, w, h], "score"}`` per detection.

    Args:
        detections: one dict per image with ``boxes`` (corner pixels), ``scores``, ``classes``
            (as returned by :func:`refs.detection.detector.detect`).
        image_ids: the COCO image id of each entry.
        category_ids: class index -> COCO category id (default: the index itself).
    """
    out = []
    for det, image_id in zip(detections, image_ids):
        for (x0, y0, x1, y1), score, cls in zip(det["boxes"].tolist(), det["scores"].tolist(),
                                                det["classes"].tolist()):
            cat = int(cls) if category_ids is None else int(category_ids[int(cls)])
            out.append({"image_id": int(image_id), "category_id": cat,
                        "bbox": [round(x0, 2), round(y0, 2), round(x1 - x0, 2),
                                 round(y1 - y0, 2)],
                        "score": round(float(score), 5)})
    return out


def coco_evaluate(ground_truth: dict, results: list[dict]) -> dict:
    """COCO box mAP with pycocotools (its printed table is captured, not shown).

    Returns:
        ``{"mAP": AP@[.5:.95], "mAP50": AP@.5, "mAP75": AP@.75, "mAP_small", "mAP_medium",
        "mAP_large", "AR100", "per_class_AP": {category name: AP@[.5:.95]}}``; an AP that COCO
        cannot define (no ground truth of that class or size) is ``None`` (JSON ``null``). No
        detection at all gives 0, not an error.
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    names = {c["id"]: c["name"] for c in ground_truth["categories"]}
    if not results:
        zero = {k: 0.0 for k in ("mAP", "mAP50", "mAP75", "mAP_small", "mAP_medium",
                                 "mAP_large", "AR100")}
        return {**zero, "per_class_AP": {names[c]: 0.0 for c in names}}
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = json.loads(json.dumps(ground_truth))
        gt.createIndex()
        dt = gt.loadRes(json.loads(json.dumps(results)))
        ev = COCOeval(gt, dt, iouType="bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    s = [float(v) if v >= 0 else None for v in ev.stats]
    # precision: [T iou thresholds, R recall points, K classes, A areas, M max dets]
    precision = ev.eval["precision"][:, :, :, 0, -1]
    per_class = {}
    for k, cat in enumerate(ev.params.catIds):
        p = precision[:, :, k]
        p = p[p > -1]
        per_class[names[cat]] = float(p.mean()) if p.size else None
    return {"mAP": s[0], "mAP50": s[1], "mAP75": s[2], "mAP_small": s[3], "mAP_medium": s[4],
            "mAP_large": s[5], "AR100": s[8], "per_class_AP": per_class}


# -- a user's own dataset -------------------------------------------------------------------------
def read_image(path: str | os.PathLike, channels: int = 1, max_pixels: int = 4096 * 4096):
    """Read a PNG/JPEG as ``(H, W, channels)`` uint8; gray, RGB, RGBA and palette images are
    converted. Raises :class:`DataError` (naming the file) for an empty, corrupt or too large
    file."""
    path = Path(path)
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    try:
        if path.stat().st_size == 0:
            raise DataError(f"{path}: empty file (0 bytes)")
        with Image.open(path) as img:
            w, h = img.size
            if w * h > max_pixels:
                raise DataError(f"{path}: image is {w}x{h} = {w * h} pixels, more than the "
                                f"limit of {max_pixels}; downscale it or raise the limit")
            if w == 0 or h == 0:
                raise DataError(f"{path}: image has no pixels ({w}x{h})")
            if img.mode.startswith("I"):  # 16-bit (or 32-bit) gray: scale, do not saturate
                wide = np.asarray(img).astype(np.float64)
                top = 65535.0 if img.mode.startswith("I;16") or wide.max() > 255 else 255.0
                arr = np.rint(np.clip(wide, 0, top) * (255.0 / top)).astype(np.uint8)
                if channels == 3:
                    arr = np.repeat(arr[..., None], 3, axis=-1)
            else:
                arr = np.asarray(img.convert("L" if channels == 1 else "RGB"), np.uint8)
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise DataError(f"{path}: not a readable image ({exc.__class__.__name__}: {exc})") \
            from None
    return arr.reshape(arr.shape[0], arr.shape[1], channels)


def letterbox(image: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    """Scale ``(H, W, C)`` by ``s = size / max(H, W)`` and paste it top-left on a zero
    ``size x size`` canvas; returns ``(canvas, s)``."""
    h, w, c = image.shape
    s = size / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    mode = "L" if c == 1 else "RGB"
    resized = np.asarray(Image.fromarray(image.squeeze(-1) if c == 1 else image, mode)
                         .resize((nw, nh), Image.BILINEAR)).reshape(nh, nw, c)
    canvas = np.zeros((size, size, c), np.uint8)
    canvas[:nh, :nw] = resized
    return canvas, s


def load_coco_dataset(annotations: str | os.PathLike, images_dir: str | os.PathLike,
                      size: int = 128, channels: int = 1):
    """A COCO-format detection dataset as letterboxed canvases.

    Returns:
        ``(canvases, categories)``: :class:`Canvases` with images ``(N, size, size)`` (gray) or
        ``(N, size, size, 3)``, and the list of ``{"id", "name"}`` categories whose position is
        the class index used in training. Crowd annotations and boxes with no area are skipped.
    """
    try:
        doc = json.loads(Path(annotations).read_text())
    except FileNotFoundError:
        raise DataError(f"COCO annotations not found: {annotations}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{annotations}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not all(
        isinstance(doc.get(k), list) for k in ("images", "annotations", "categories")
    ):
        raise DataError(f"{annotations}: expected a COCO object with lists 'images', "
                        "'annotations' and 'categories'")
    if not doc["images"] or not doc["categories"]:
        raise DataError(f"{annotations}: needs at least one image and one category")
    categories = sorted(({"id": int(c["id"]), "name": str(c.get("name", c["id"]))}
                         for c in doc["categories"]), key=lambda c: c["id"])
    index = {c["id"]: k for k, c in enumerate(categories)}
    per_image: dict[int, list] = {int(im["id"]): [] for im in doc["images"]}
    for ann in doc["annotations"]:
        try:
            x, y, w, h = (float(v) for v in ann["bbox"])
            image_id, cat = int(ann["image_id"]), int(ann["category_id"])
        except (KeyError, TypeError, ValueError):
            raise DataError(f"{annotations}: annotation {ann.get('id')!r} needs 'image_id', "
                            "'category_id' and 'bbox' [x, y, w, h]") from None
        if cat not in index or image_id not in per_image:
            raise DataError(f"{annotations}: annotation {ann.get('id')!r} refers to an unknown "
                            f"image {image_id} or category {cat}")
        if ann.get("iscrowd") or w <= 0 or h <= 0:
            continue
        per_image[image_id].append(([x, y, x + w, y + h], index[cat]))
    n = len(doc["images"])
    m = max(1, max(len(v) for v in per_image.values()))
    shape = (n, size, size) if channels == 1 else (n, size, size, 3)
    images = np.zeros(shape, np.uint8)
    boxes = np.zeros((n, m, 4), np.float32)
    labels = np.full((n, m), -1, np.int32)
    for k, im in enumerate(doc["images"]):
        arr = read_image(Path(images_dir) / im["file_name"], channels)
        canvas, s = letterbox(arr, size)
        images[k] = canvas[..., 0] if channels == 1 else canvas
        objs = per_image[int(im["id"])]
        for j, (box, label) in enumerate(objs):
            boxes[k, j] = np.clip(np.asarray(box) * s, 0, size)
            labels[k, j] = label
    return Canvases(images, boxes, labels), categories


def write_coco_dataset(canvases: Canvases, out_dir: str | os.PathLike,
                       category_names=None) -> Path:
    """Write canvases as ``out_dir/images/<id>.png`` + ``out_dir/annotations.json`` (the layout
    :func:`load_coco_dataset` and ``predict --images`` read); returns the annotations path."""
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    names = category_names or [str(k) for k in range(int(canvases.labels.max(initial=0)) + 1)]
    doc = ground_truth_json(canvases, names)
    for k, im in enumerate(doc["images"]):
        Image.fromarray(canvases.images[k]).save(out / "images" / im["file_name"])
    path = out / "annotations.json"
    path.write_text(json.dumps(doc))
    return path
