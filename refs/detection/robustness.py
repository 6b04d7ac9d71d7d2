"""The robustness suite: test canvases the detector was not generated for, one set per condition.

A reference detector is judged on data it was not generated for. Each condition changes one
thing about the canonical test canvases (MNIST *test* digits, 128x128, 1-6 digits with a longer
ink side of 12-64 px, at most 15 % overlap of the smaller box, Gaussian noise sigma 8):

===================  =====================================================================
``in-distribution``  the canonical test canvases themselves
``small``            digits of 8-16 px
``large``            digits of 64-96 px (1-4 per canvas)
``overlap``          2-6 digits, any overlap: half of them centred inside an earlier digit's
                     box (nesting), each with at least half of its ink visible
``no-noise``         no noise at all
``strong-noise``     Gaussian noise sigma 40
``bright``           a flat background of grey level 120-200 (the ink is laid over it)
``non-square``       96x192 canvases
``canvas-256``       256x256 canvases
``many``             7-12 digits of 12-40 px, overlap up to 30 %
===================  =====================================================================

Every condition draws its own canvases (its own seed stream) from the test digits, which no
training canvas uses. :func:`condition_canvases` builds one condition; :func:`evaluate_conditions`
scores a detector on all of them: COCO mAP@[.5:.95], mAP@.5, mAP@.75, and recall at IoU 0.5 for
small (longer side < 16 px), medium (16-48 px) and large (>= 48 px) boxes.

Example:
    >>> canvases = condition_canvases("small", 300, mnist=load_mnist())
    >>> table = evaluate_conditions(load_trained("runs/detection/x"), num_images=300)
    >>> table["small"]["mAP"]
"""

from __future__ import annotations

import numpy as np

from refs.detection.data import Canvases, box_sides, make_canvases, split_digits

#: the canonical test canvases (the defaults of :func:`refs.detection.data.make_canvases`)
CANONICAL = {"size": 128, "min_digits": 1, "max_digits": 6, "min_scale": 12, "max_scale": 64,
             "max_overlap": 0.15, "noise_std": 8.0, "empty_fraction": 0.05}

#: each condition's change to :data:`CANONICAL`
CONDITIONS: dict[str, dict] = {
    "in-distribution": {},
    "small": {"min_scale": 8, "max_scale": 16},
    "large": {"min_scale": 64, "max_scale": 96, "max_digits": 4},
    "overlap": {"min_digits": 2, "max_overlap": 1.0, "nest_fraction": 0.5, "min_visible": 0.5},
    "no-noise": {"noise_std": 0.0},
    "strong-noise": {"noise_std": 40.0},
    "bright": {"background": "bright"},
    "non-square": {"size": (96, 192)},
    "canvas-256": {"size": 256},
    "many": {"min_digits": 7, "max_digits": 12, "max_scale": 40, "max_overlap": 0.3},
}

#: longer box side (pixels) bounds of the recall buckets: small < 16 <= medium < 48 <= large
SIZE_BUCKETS = {"small": (0.0, 16.0), "medium": (16.0, 48.0), "large": (48.0, float("inf"))}
_STREAM = 1000  # seed streams 1000+k: canvases no other part of refs draws


def condition_settings(name: str) -> dict:
    """The :func:`~refs.detection.data.make_canvases` settings of condition ``name``."""
    if name not in CONDITIONS:
        raise ValueError(f"condition must be one of {list(CONDITIONS)}, got {name!r}")
    return {**CANONICAL, **CONDITIONS[name]}


def condition_canvases(name: str, num: int = 500, seed: int = 0, mnist=None,
                       mnist_path=None) -> Canvases:
    """``num`` test canvases of condition ``name`` (MNIST test digits), reproducible from
    ``(name, seed)``."""
    settings = condition_settings(name)
    if mnist is None:
        from refs.data import load_mnist

        mnist = load_mnist(mnist_path)
    digits, labels = split_digits(mnist, "test")
    stream = _STREAM + list(CONDITIONS).index(name)
    return make_canvases(digits, labels, num, split="test", seed=seed, stream=stream, **settings)


def recall_by_size(detections, canvases: Canvases, iou_threshold: float = 0.5) -> dict:
    """Recall at ``iou_threshold`` (class-aware, greedy COCO-style matching, every detection
    kept) per :data:`SIZE_BUCKETS` bucket; ``None`` for a bucket without true boxes."""
    from refs.detection.metrics import greedy_match

    found = {k: 0 for k in SIZE_BUCKETS}
    total = {k: 0 for k in SIZE_BUCKETS}
    for i, det in enumerate(detections):
        true_boxes, true_labels = canvases.objects(i)
        _, hit = greedy_match(det["boxes"], det["scores"], det["classes"], true_boxes,
                              true_labels, iou_threshold)
        sides = box_sides(true_boxes).max(axis=1) if len(true_boxes) else np.zeros(0)
        for bucket, (low, high) in SIZE_BUCKETS.items():
            inside = (sides >= low) & (sides < high)
            total[bucket] += int(inside.sum())
            found[bucket] += int((hit & inside).sum())
    return {f"recall50_{k}": (found[k] / total[k] if total[k] else None) for k in SIZE_BUCKETS}


def evaluate_conditions(trained, num_images: int = 500, conditions=None, seed: int = 0,
                        mnist=None, mnist_path=None, score_threshold: float = 0.05,
                        progress=None) -> dict:
    """Scores of a :class:`~refs.detection.detector.TrainedDetector` on each condition.

    Returns ``{condition: {"mAP", "mAP50", "mAP75", "recall50_small", "recall50_medium",
    "recall50_large", "num_images", "num_objects"}}``.
    """
    from refs.detection.coco import coco_evaluate, ground_truth_json, results_json
    from refs.detection.config import DIGIT_NAMES
    from refs.detection.detector import detect

    if mnist is None:
        from refs.data import load_mnist

        mnist = load_mnist(mnist_path)
    names = list(conditions or CONDITIONS)
    table = {}
    for name in names:
        canvases = condition_canvases(name, num_images, seed, mnist=mnist)
        images = canvases.images.astype("float32")[..., None] / 255.0
        dets = detect(trained.network, trained.anchor_generator, images,
                      score_threshold=score_threshold)
        ids = list(range(1, len(canvases) + 1))
        coco = coco_evaluate(ground_truth_json(canvases, DIGIT_NAMES, image_ids=ids),
                             results_json(dets, ids))
        row = {k: coco[k] for k in ("mAP", "mAP50", "mAP75")}
        row.update(recall_by_size(dets, canvases))
        row.update(num_images=len(canvases), num_objects=int((canvases.labels >= 0).sum()))
        table[name] = row
        if progress:
            progress(name, row)
    return table
