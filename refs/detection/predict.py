"""Detect objects in a folder of PNGs: ``python -m refs.detection.predict RUN_DIR --images DIR
--out detections.json [--draw DIR]``.

Only the command line lives here; the work is :func:`refs.detection.inference.predict_folder`
(which says what images are accepted and what is skipped, with a reason). The command fails
(exit 1, one line) only when no image at all could be read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from refs.cli import ArgumentParser, import_tensorflow_quietly, positive_int, run_cli, unit_float
from refs.detection.inference import DEFAULT_MAX_PIXELS


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
    import_tensorflow_quietly()
    from refs.detection.inference import predict_folder

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
