"""COCO mAP of a trained run: ``python -m refs.detection.evaluate RUN_DIR``.

Prints mAP@[.5:.95], mAP@.5, mAP@.75 and the AP of each class, computed with pycocotools on the
run's test canvases (MNIST test digits only; the seed and sizes come from the run's config), or
on the validation part of a COCO dataset the run was trained on. The numbers are also written to
``RUN_DIR/evaluation.json``.

Example:
    >>> metrics = evaluate_run("runs/detection/20261123T050000Z")
    >>> metrics["mAP50"]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from refs.cli import ArgumentParser, positive_int, run_cli


def evaluate_run(run_dir, num_images: int | None = None, score_threshold: float | None = None,
                 network=None, quiet: bool = False, write: bool = True) -> dict:
    """COCO metrics of the run in ``run_dir`` (see :func:`refs.detection.coco.coco_evaluate`).

    Args:
        num_images: evaluate on this many test canvases instead of the run's ``test_images``.
        score_threshold: detections below it are dropped (default: the run's).
        network: an already loaded ``(network, anchor_generator, hparams)``.
    """
    import time

    from refs.detection.detector import load_trained
    from refs.detection.train import TrainConfig, evaluate_canvases, load_data

    run_dir = Path(run_dir)
    network, gen, hparams = network if network is not None else load_trained(run_dir)
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    config = TrainConfig(**{k: v for k, v in hparams.items() if k in fields})
    split = "val" if config.coco else "test"
    canvases, names, _ = load_data(config, split, None if config.coco else num_images)
    threshold = config.score_threshold if score_threshold is None else score_threshold
    start = time.perf_counter()
    metrics, _ = evaluate_canvases(network, gen, canvases, names, threshold)
    metrics.update(split=split, num_images=len(canvases),
                   seconds=round(time.perf_counter() - start, 2))
    if write:
        (run_dir / "evaluation.json").write_text(json.dumps(metrics, indent=2) + "\n")
    if not quiet:
        print(format_metrics(metrics))
    return metrics


def format_metrics(metrics: dict) -> str:
    """The metrics as a small text table."""
    def show(v):
        return "n/a" if v is None else f"{v:.4f}"

    lines = [
        f"COCO box metrics on {metrics.get('num_images', '?')} {metrics.get('split', '')} images",
        f"  mAP@[.5:.95]  {show(metrics['mAP'])}",
        f"  mAP@.5        {show(metrics['mAP50'])}",
        f"  mAP@.75       {show(metrics['mAP75'])}",
        "  per-class AP@[.5:.95]:",
    ]
    lines += [f"    {name:>10}  {show(ap)}" for name, ap in metrics["per_class_AP"].items()]
    return "\n".join(lines)


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
    metrics = evaluate_run(args.run_dir, args.num_images, quiet=args.json)
    if args.json:
        print(json.dumps(metrics, indent=2))
    return 0


if __name__ == "__main__":
    run_cli(main)
