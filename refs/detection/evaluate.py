"""COCO mAP of a trained run: ``python -m refs.detection.evaluate RUN_DIR``.

Prints mAP@[.5:.95], mAP@.5, mAP@.75 and the AP of each class, computed with pycocotools on the
run's test canvases (MNIST test digits only; the seed and sizes come from the run's config), or
on the validation part of a COCO dataset the run was trained on. The numbers are also written to
``RUN_DIR/evaluation.json``. Only the command line lives here: the work is
:func:`refs.detection.evaluation.evaluate_run`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from refs.cli import ArgumentParser, import_tensorflow_quietly, positive_int, run_cli


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="python -m refs.detection.evaluate",
                            description="COCO mAP of a trained detection run (pycocotools).",
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("run_dir", help="the run directory written by refs.detection.train")
    parser.add_argument("--num-images", type=positive_int, default=None,
                        help="test canvases to use (default: the run's test_images)")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import_tensorflow_quietly()
    from refs.detection.evaluation import evaluate_run

    metrics = evaluate_run(args.run_dir, args.num_images, quiet=args.json)
    if args.json:
        print(json.dumps(metrics, indent=2))
    return 0


if __name__ == "__main__":
    run_cli(main)
