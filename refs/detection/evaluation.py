"""COCO mAP of a detector on canvases (:func:`evaluate_canvases`) or of a run
(:func:`evaluate_run`).

Every image of the ground truth is scored, those with no detection included (they count as
missed objects; skipping them would inflate mAP).

Example:
    >>> metrics = evaluate_run("runs/detection/20261123T050000Z")
    >>> metrics["mAP50"]
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path


def evaluate_canvases(network, anchor_generator, canvases, class_names, score_threshold=0.05):
    """``(coco metrics dict, detections)`` of ``network`` on ``canvases`` (pycocotools)."""
    from refs.detection.coco import coco_evaluate, ground_truth_json, results_json
    from refs.detection.detector import detect

    images = canvases.images.astype("float32") / 255.0
    if images.ndim == 3:
        images = images[..., None]
    dets = detect(network, anchor_generator, images, score_threshold=score_threshold)
    ids = list(range(1, len(canvases) + 1))
    metrics = coco_evaluate(ground_truth_json(canvases, class_names, image_ids=ids),
                            results_json(dets, ids))
    return metrics, dets


def evaluate_run(run_dir, num_images: int | None = None, score_threshold: float | None = None,
                 trained=None, quiet: bool = False, write: bool = True) -> dict:
    """COCO metrics of the run in ``run_dir`` on its test canvases (MNIST test digits; seed and
    sizes from the run's config), or on the validation part of the COCO dataset it trained on.

    Args:
        num_images: evaluate on this many test canvases instead of the run's ``test_images``.
        score_threshold: detections below it are dropped (default: the run's).
        trained: an already loaded :class:`refs.detection.detector.TrainedDetector` (default:
            the run's newest checkpoint).
        quiet: do not print the table. write: also write ``RUN_DIR/evaluation.json``.
    """
    from refs.detection.config import TrainConfig
    from refs.detection.detector import load_trained
    from refs.detection.splits import load_split

    run_dir = Path(run_dir)
    trained = trained if trained is not None else load_trained(run_dir)
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    config = TrainConfig(**{k: v for k, v in trained.hparams.items() if k in fields})
    split = "val" if config.coco else "test"
    canvases, names, _ = load_split(config, split, None if config.coco else num_images)
    threshold = config.score_threshold if score_threshold is None else score_threshold
    start = time.perf_counter()
    metrics, _ = evaluate_canvases(trained.network, trained.anchor_generator, canvases, names,
                                   threshold)
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
