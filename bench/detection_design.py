"""Which design changes bought what: the detector's variants trained at the default budget and
scored on the robustness suite (:mod:`refs.detection.robustness`).

Each variant changes :data:`BASE` (the wide distribution, the default
:class:`~refs.detection.config.TrainConfig` when this bench was written; fixed here so that a
variant means the same run whatever today's default is) in a few fields;
``baseline-canonical`` is the detector before the robustness work (canonical canvases, three
levels from 16 px anchors). Results are appended to ``docs/data/detection_design.json`` as each
variant finishes (finished ones are skipped on a re-run; an interrupted one resumes from its
last epoch checkpoint), and ``bench/detection_report.py`` puts the table into docs/results.md.

    python bench/detection_design.py [--only wide,wide-atss] [--seeds 0,1] [--images 300]
    python bench/detection_design.py --only baseline-canonical --from-run DIR   # a finished run
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from detection_common import machine, read_json, write_json  # noqa: E402

NAME = "detection_design.json"

#: what every variant starts from: the wide distribution with its anchors (the 2026-12-02 default)
BASE = {"distribution": "wide", "clutter_fraction": 0.35, "background": "mixed",
        "min_scale": 8.0, "max_scale": 96.0, "max_digits": 12, "strides": (8, 16, 32, 64),
        "sizes": (8.0, 16.0, 32.0, 64.0), "input_norm": "none"}

#: variant id -> (what it changes, TrainConfig fields over BASE)
VARIANTS: dict[str, tuple[str, dict]] = {
    "baseline-canonical": (
        "the detector before this work: canonical canvases (12-64 px, <= 6 digits, <= 15 % "
        "overlap, noise 8), anchors 16-102 px on strides 8-32",
        {"distribution": "canonical", "min_scale": 12.0, "max_scale": 64.0, "max_digits": 6,
         "strides": (8, 16, 32), "sizes": (16.0, 32.0, 64.0), "train_images": 8000,
         "epochs": 7}),
    "wide": (
        "the wide training distribution (8-96 px log-uniform, 0-12 digits, clutter, noise and "
        "background models) and anchors 8-102 px on strides 8-64",
        {}),
    "wide-atss": (
        "wide, with ATSS matching (top-9 nearest anchors per level, IoU above mean + std, "
        "centre inside) instead of IoU 0.5 / 0.4",
        {"assigner": "atss"}),
    "wide-atss-mix": (
        "wide-atss, half of the training canvases drawn with the canonical settings",
        {"assigner": "atss", "canonical_fraction": 0.5}),
    "wide-atss-qfl": (
        "wide-atss with the quality focal loss (IoU-aware classification) instead of focal",
        {"assigner": "atss", "cls_loss": "quality"}),
    "wide-atss-qfl-mix": (
        "wide-atss-qfl with half of the training canvases drawn with the canonical settings",
        {"assigner": "atss", "cls_loss": "quality", "canonical_fraction": 0.5}),
    "wide-atss-qfl-b16": (
        "wide-atss-qfl with batch 16 (twice the steps, each about half the work)",
        {"assigner": "atss", "cls_loss": "quality", "batch_size": 16}),
    "photometric-atss-qfl": (
        "the canonical geometry (12-64 px, <= 6 digits, <= 15 % overlap, anchors 16-102 px on "
        "strides 8-32) with the wide noise and background models, ATSS and the quality focal "
        "loss; 2000 steps",
        {"min_scale": 12.0, "max_scale": 64.0, "max_digits": 6, "clutter_fraction": 0.0,
         "strides": (8, 16, 32), "sizes": (16.0, 32.0, 64.0), "assigner": "atss",
         "cls_loss": "quality", "epochs": 8}),
    "moderate-atss-qfl": (
        "a moderate widening: 10-80 px, <= 8 digits, 20 % cluttered canvases, the wide noise "
        "and backgrounds, a quarter canonical canvases, anchors 8-102 px on strides 8-64, ATSS "
        "and the quality focal loss; 2000 steps",
        {"min_scale": 10.0, "max_scale": 80.0, "max_digits": 8, "clutter_fraction": 0.2,
         "canonical_fraction": 0.25, "assigner": "atss", "cls_loss": "quality", "epochs": 8}),
    "moderate-atss-qfl-gn": (
        "moderate-atss-qfl with group normalisation in the heads (FCOS / ATSS); 1750 steps",
        {"min_scale": 10.0, "max_scale": 80.0, "max_digits": 8, "clutter_fraction": 0.2,
         "canonical_fraction": 0.25, "assigner": "atss", "cls_loss": "quality",
         "head_norm": "group"}),
    "photometric-atss-qfl-gn": (
        "photometric-atss-qfl with group normalisation in the heads; 1750 steps",
        {"min_scale": 12.0, "max_scale": 64.0, "max_digits": 6, "clutter_fraction": 0.0,
         "strides": (8, 16, 32), "sizes": (16.0, 32.0, 64.0), "assigner": "atss",
         "cls_loss": "quality", "head_norm": "group"}),
    "canonical-median-noise": (
        "the baseline (canonical geometry, IoU matching, focal loss) with the median background "
        "removal at the input and the wide noise model (sigma 48u^2) on black backgrounds",
        {"min_scale": 12.0, "max_scale": 64.0, "max_digits": 6, "clutter_fraction": 0.0,
         "strides": (8, 16, 32), "sizes": (16.0, 32.0, 64.0), "background": "black",
         "input_norm": "median"}),
    "scales-median-noise": (
        "canonical-median-noise with digits of 8-96 px (log-uniform), up to 8 digits, 20 % "
        "cluttered canvases, and anchors 8-102 px on strides 8-64",
        {"min_scale": 8.0, "max_scale": 96.0, "max_digits": 8, "clutter_fraction": 0.2,
         "background": "black", "input_norm": "median"}),
    "median-noise-sizes": (
        "canonical-median-noise with digits of 8-96 px (log-uniform) and anchors 10-112 px on "
        "the baseline's strides 8-32 (sizes 10/24/56, octave scales 1, 1.5, 2), so each size "
        "stays on the level the baseline used",
        {"min_scale": 8.0, "max_scale": 96.0, "max_digits": 6, "clutter_fraction": 0.0,
         "strides": (8, 16, 32), "sizes": (10.0, 24.0, 56.0), "scales": (1.0, 1.5, 2.0),
         "background": "black", "input_norm": "median"}),
    "median-noise-clutter": (
        "canonical-median-noise with a quarter of the canvases cluttered (any overlap, half "
        "of the digits nested in an earlier one's box, at least half of each digit visible)",
        {"min_scale": 12.0, "max_scale": 64.0, "max_digits": 6, "clutter_fraction": 0.25,
         "strides": (8, 16, 32), "sizes": (16.0, 32.0, 64.0), "background": "black",
         "input_norm": "median"}),
    "median-noise-atss-qfl": (
        "canonical-median-noise with ATSS matching and the quality focal loss",
        {"min_scale": 12.0, "max_scale": 64.0, "max_digits": 6, "clutter_fraction": 0.0,
         "strides": (8, 16, 32), "sizes": (16.0, 32.0, 64.0), "background": "black",
         "input_norm": "median", "assigner": "atss", "cls_loss": "quality"}),
}


def _check_settings(run_dir: Path, fields: dict, seed: int) -> None:
    """A recorded run must have been trained with the variant's settings."""
    from refs.detection.config import TrainConfig
    from refs.tracking import read_config

    hparams = read_config(run_dir)["hparams"]
    want = TrainConfig(**fields, seed=seed).hparams()
    differ = [k for k, v in want.items() if k in hparams and hparams[k] != v
              and k not in ("data", "verbose", "draw_images", "log_every")]
    if differ:
        raise SystemExit(f"{run_dir} differs from the variant in {differ}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=None, help="comma-separated variant ids")
    parser.add_argument("--seeds", default="0", help="comma-separated training seeds")
    parser.add_argument("--images", type=int, default=300, help="canvases per condition")
    parser.add_argument("--root", default="runs/detection/design")
    parser.add_argument("--out", default=NAME)
    parser.add_argument("--from-run", default=None,
                        help="record this finished run (trained with the variant's settings) "
                             "for the one variant of --only instead of training")
    parser.add_argument("--threads", type=int, default=None,
                        help="TensorFlow intra-op threads (two variants side by side: 1 each)")
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)

    from refs.data import load_mnist
    from refs.detection.config import TrainConfig
    from refs.detection.detector import load_trained
    from refs.detection.robustness import evaluate_conditions
    from refs.detection.trainer import train

    doc = read_json(args.out) or {"images_per_condition": args.images, "results": {}}
    wanted = args.only.split(",") if args.only else list(VARIANTS)
    mnist = load_mnist(os.environ.get("REFS_MNIST"))
    for vid in wanted:
        what, changes = VARIANTS[vid]
        fields = {**BASE, **changes}
        for seed in (int(s) for s in args.seeds.split(",")):
            key = f"{vid}/seed{seed}"
            if key in doc["results"]:
                continue
            keras.backend.clear_session()
            run_dir = Path(args.from_run or Path(args.root) / vid / f"seed{seed}")
            start = time.perf_counter()
            if args.from_run:
                results = json.loads((run_dir / "results.json").read_text())
                _check_settings(run_dir, fields, seed)
            else:
                resume = (run_dir / "checkpoints").is_dir()
                results = train(TrainConfig(**fields, seed=seed, run_dir=str(run_dir),
                                            resume=resume, verbose=2, draw_images=4))
            table = evaluate_conditions(load_trained(run_dir), args.images, mnist=mnist)
            record = {
                "variant": vid, "what": what, "fields": {k: list(v) if isinstance(v, tuple)
                                                         else v for k, v in fields.items()},
                "seed": seed, "train_time_s": results["train_time_s"],
                "steps": results["steps"], "test": results.get("test"), "conditions": table,
                "seconds": round(time.perf_counter() - start, 1), "machine": machine()}
            # re-read first: another variant may be training side by side into the same file
            doc = read_json(args.out) or doc
            doc["results"][key] = record
            doc["machine"] = machine()
            write_json(args.out, doc)
            print(f"{key}: " + "  ".join(f"{c} {r['mAP']:.3f}" for c, r in table.items()),
                  flush=True)


if __name__ == "__main__":
    main()
