"""Detect objects in a folder of PNGs: :func:`predict_folder` (``refs.detection.predict`` runs it).

Images may have any size (they are zero-padded to a multiple of the largest stride, never
resized: the detector finds digits at the scales it was trained on) and may be grayscale
(8- or 16-bit), RGB, RGBA or palette PNGs (converted to the run's channels; the synthetic set is
white ink on black). The output is a COCO results list::

    [{"image_id": int(file stem), "category_id": digit, "bbox": [x, y, w, h], "score": s}, ...]

A file that cannot be used - empty, corrupt, not a PNG, larger than ``max_pixels``, whose name
is not an integer image id, or naming an id already taken - is skipped with a one-line reason;
a blank image gives no detections. :class:`refs.errors.DataError` only when no image at all
could be read.

Example:
    >>> results, skipped = predict_folder("runs/detection/x", "my_pngs", "detections.json")
"""

from __future__ import annotations

import json
from pathlib import Path

from refs.errors import DataError
from refs.utils.files import write_text

DEFAULT_MAX_PIXELS = 2048 * 2048


def predict_folder(run_dir, images_dir, out=None, draw_dir=None, score_threshold=None,
                   max_pixels: int = DEFAULT_MAX_PIXELS, trained=None,
                   draw_threshold: float = 0.3):
    """Run the detector of ``run_dir`` on every ``*.png`` in ``images_dir``.

    Returns:
        ``(results, skipped)``: the COCO results list (also written to ``out`` when given) and
        ``[(file name, reason), ...]`` for the files that were not used (two files naming the
        same image id, e.g. ``7.png`` and ``007.png``: the second is skipped). The drawings
        show the detections scoring at least ``draw_threshold``. ``trained``: an already
        loaded :class:`refs.detection.detector.TrainedDetector`.
    """
    from refs.detection.coco import read_image, results_json
    from refs.detection.detector import detect, load_trained

    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise DataError(f"images folder {images_dir} is not a folder")
    files = sorted(p for p in images_dir.iterdir() if p.suffix.lower() == ".png" and p.is_file())
    if not files:
        raise DataError(f"images folder {images_dir} holds no .png files")
    network, gen, hparams = trained if trained is not None else load_trained(run_dir)
    threshold = hparams.get("score_threshold", 0.05) if score_threshold is None \
        else score_threshold
    channels = int(hparams.get("channels", 1))
    images, ids, used, skipped = [], [], [], []
    seen: dict[int, str] = {}
    for path in files:
        try:
            image_id = int(path.stem)
        except ValueError:
            skipped.append((path.name, "the file name must be an integer image id, e.g. 17.png"))
            continue
        if image_id in seen:
            skipped.append((path.name, f"image id {image_id} is already taken by {seen[image_id]}"))
            continue
        try:
            images.append(read_image(path, channels, max_pixels).astype("float32") / 255.0)
        except DataError as exc:
            skipped.append((path.name, str(exc).removeprefix(f"{path}: ")))
            continue
        ids.append(image_id)
        seen[image_id] = path.name
        used.append(path)
    if not images:
        reasons = "; ".join(f"{name}: {why}" for name, why in skipped[:5])
        raise DataError(f"no usable image in {images_dir} ({reasons})")
    dets = detect(network, gen, images, score_threshold=threshold, batch_size=8)
    names = hparams.get("class_names")
    results = results_json(dets, ids, category_ids=_category_ids(hparams))
    if out is not None:
        write_text(out, json.dumps(results))
    if draw_dir is not None:
        from PIL import Image

        from refs.detection.draw import draw_boxes

        Path(draw_dir).mkdir(parents=True, exist_ok=True)
        for path, image, det in zip(used, images, dets):
            picture = draw_boxes(image, det["boxes"], det["classes"], det["scores"], names=names,
                                 min_score=draw_threshold)
            Image.fromarray(picture).save(Path(draw_dir) / path.name)
    return results, skipped


def _category_ids(hparams: dict):
    """Class index -> COCO category id: the digit itself for the synthetic set, the dataset's
    ids for a COCO-trained run (recorded as ``category_ids``), else the index."""
    ids = hparams.get("category_ids")
    return list(ids) if ids else None
