"""Detect objects in a folder of PNGs: ``python -m refs.detection.predict RUN_DIR --images DIR
--out detections.json [--draw DIR]``.

Images may have any size (they are zero-padded to a multiple of the largest stride, never
resized: the detector finds digits at the scales it was trained on, 12-64 pixels) and may be
grayscale, RGB, RGBA or palette PNGs (converted to the run's channels; the synthetic set is
white ink on black). The output is a COCO results list::

    [{"image_id": int(file stem), "category_id": digit, "bbox": [x, y, w, h], "score": s}, ...]

A file that cannot be used - empty, corrupt, not a PNG, larger than ``--max-pixels``, or whose
name is not an integer image id - is skipped with a one-line reason; a blank image gives no
detections. The command fails (exit 1, one line) only when no image at all could be read.

Example:
    >>> results, skipped = predict_folder("runs/detection/x", "my_pngs", "detections.json")
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from refs.cli import ArgumentParser, positive_int, run_cli, unit_float
from refs.errors import DataError

DEFAULT_MAX_PIXELS = 2048 * 2048


def predict_folder(run_dir, images_dir, out=None, draw_dir=None, score_threshold=None,
                   max_pixels: int = DEFAULT_MAX_PIXELS, network=None,
                   draw_threshold: float = 0.3):
    """Run the detector of ``run_dir`` on every ``*.png`` in ``images_dir``.

    Returns:
        ``(results, skipped)``: the COCO results list (also written to ``out`` when given) and
        ``[(file name, reason), ...]`` for the files that were not used. The drawings show
        the detections scoring at least ``draw_threshold``.
    """
    from refs.detection.coco import read_image, results_json
    from refs.detection.detector import detect, load_trained

    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise DataError(f"--images {images_dir}: not a folder")
    files = sorted(p for p in images_dir.iterdir() if p.suffix.lower() == ".png" and p.is_file())
    if not files:
        raise DataError(f"--images {images_dir}: no .png files there")
    network, gen, hparams = network if network is not None else load_trained(run_dir)
    threshold = hparams.get("score_threshold", 0.05) if score_threshold is None \
        else score_threshold
    channels = int(hparams.get("channels", 1))
    images, ids, used, skipped = [], [], [], []
    for path in files:
        try:
            image_id = int(path.stem)
        except ValueError:
            skipped.append((path.name, "the file name must be an integer image id, e.g. 17.png"))
            continue
        try:
            images.append(read_image(path, channels, max_pixels).astype("float32") / 255.0)
        except DataError as exc:
            skipped.append((path.name, str(exc).removeprefix(f"{path}: ")))
            continue
        ids.append(image_id)
        used.append(path)
    if not images:
        reasons = "; ".join(f"{name}: {why}" for name, why in skipped[:5])
        raise DataError(f"no usable image in {images_dir} ({reasons})")
    dets = detect(network, gen, images, score_threshold=threshold, batch_size=8)
    names = hparams.get("class_names")
    results = results_json(dets, ids, category_ids=_category_ids(hparams))
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(results))
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


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="python -m refs.detection.predict",
                            description="Detect digits in a folder of PNG images and write COCO "
                                        "results JSON.",
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("run_dir", help="the run directory written by refs.detection.train")
    parser.add_argument("--images", required=True, help="folder of .png images (<image id>.png)")
    parser.add_argument("--out", required=True, help="where to write the COCO results JSON")
    parser.add_argument("--draw", default=None, help="also write the images with boxes here")
    parser.add_argument("--score-threshold", type=unit_float, default=None,
                        help="drop detections below this score (default: the run's)")
    parser.add_argument("--draw-threshold", type=unit_float, default=0.3,
                        help="draw only detections scoring at least this")
    parser.add_argument("--max-pixels", type=positive_int, default=DEFAULT_MAX_PIXELS,
                        help="skip images with more pixels than this")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    results, skipped = predict_folder(args.run_dir, args.images, args.out, args.draw,
                                      args.score_threshold, args.max_pixels,
                                      draw_threshold=args.draw_threshold)
    for name, why in skipped:
        print(f"skipped {name}: {why}", file=sys.stderr)
    images = len({r["image_id"] for r in results})
    print(f"wrote {len(results)} detections ({images} images with detections, "
          f"{len(skipped)} files skipped) to {args.out}")
    return 0


if __name__ == "__main__":
    run_cli(main)
