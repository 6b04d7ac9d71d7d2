"""The focal-loss experiment (RetinaNet paper, Table 1a) on the synthetic digits.

Every configuration trains the same network from the same seed with the same budget (training
canvases, epochs, batch size) and is scored with COCO mAP on the same test canvases:

- focal loss, gamma in {0, 0.5, 1, 2, 5} x alpha in {0.25, 0.5, 0.75};
- plain BCE with the prior initialisation (pi = 0.01) and without it (bias 0).

    python bench/detection_ablation.py [--epochs 2 --train-images 4800 --test-images 300]
                                       [--only focal-g2-a0.25,bce-prior] [--restart]
                                       [--out detection_ablation.json]

A check of the early winner at the full default budget (the default run is the paper's setting):

    python bench/detection_ablation.py --epochs 7 --train-images 8000 --warmup-steps 200 \
        --test-images 1000 --only focal-g0.5-a0.25 \
        --root runs/detection/ablation-full --out detection_ablation_full.json

At the full default budget, two seeds, resumable across sessions (an interrupted configuration
continues from its last epoch checkpoint):

    python bench/detection_ablation.py --full --seeds 0,1

Results are appended to ``docs/data/detection_ablation.json`` as each configuration finishes
(finished ones are skipped on a re-run unless ``--restart``), so a partial grid is kept.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from detection_common import machine, read_json, write_json  # noqa: E402

NAME = "detection_ablation.json"


def grid() -> list[dict]:
    """The configurations, most telling first (a partial grid still answers something)."""
    def focal(g, a):
        return {"id": f"focal-g{g:g}-a{a:g}", "cls_loss": "focal", "gamma": g, "alpha": a,
                "prior": 0.01}

    first = [focal(2.0, 0.25),
             {"id": "bce-prior", "cls_loss": "bce", "gamma": 0.0, "alpha": 0.25, "prior": 0.01},
             {"id": "bce-no-prior", "cls_loss": "bce", "gamma": 0.0, "alpha": 0.25,
              "prior": None}]
    rest = [focal(g, a) for a in (0.25, 0.5, 0.75) for g in (0.0, 0.5, 1.0, 2.0, 5.0)]
    return first + [c for c in rest if c["id"] != first[0]["id"]]


def run_config(cfg: dict, seed: int, budget: dict, run_dir: Path) -> dict:
    """Train one configuration (continuing an interrupted run) and return its record."""
    from refs.detection.config import TrainConfig
    from refs.detection.trainer import train
    from refs.errors import TrainingError
    from refs.tracking import read_metrics

    params = {k: v for k, v in cfg.items() if k != "id"}
    resume = (run_dir / "checkpoints").is_dir()  # an interrupted run continues
    start = time.perf_counter()
    record = {**params}
    try:
        results = train(TrainConfig(**budget, **params, seed=seed, run_dir=str(run_dir),
                                    resume=resume, verbose=2, draw_images=4, log_every=10))
        test = results["test"]
        record.update(mAP=test["mAP"], mAP50=test["mAP50"], mAP75=test["mAP75"],
                      diverged=False)
    except TrainingError as exc:
        record.update(mAP=0.0, mAP50=0.0, mAP75=0.0, diverged=True, error=str(exc))
    steps = read_metrics(run_dir, "step")
    first = [r["cls_loss"] for r in steps[:5] if "cls_loss" in r]
    record["first_cls_loss"] = float(sum(first) / len(first)) if first else math.nan
    record["max_cls_loss"] = max((r["cls_loss"] for r in steps if "cls_loss" in r),
                                 default=math.nan)
    record["seconds"] = round(time.perf_counter() - start, 1)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train-images", type=int, default=4800)
    parser.add_argument("--warmup-steps", type=int, default=50)
    parser.add_argument("--test-images", type=int, default=300)
    parser.add_argument("--only", default=None, help="comma-separated configuration ids")
    parser.add_argument("--seeds", default="0",
                        help="comma-separated seeds; seed 0 is recorded as the id itself, "
                             "others as ID/seedN")
    parser.add_argument("--full", action="store_true",
                        help="the default run's budget (TrainConfig's epochs, training and "
                             "test canvases) into detection_ablation_full.json")
    parser.add_argument("--restart", action="store_true", help="forget earlier results")
    parser.add_argument("--root", default="runs/detection/ablation-300")
    parser.add_argument("--out", default=NAME,
                        help="results file in docs/data (another budget: another file)")
    args = parser.parse_args()

    from refs.detection.config import TrainConfig

    if args.full:
        d = TrainConfig()
        args.epochs, args.train_images, args.test_images = (d.epochs, d.train_images,
                                                             d.test_images)
        args.warmup_steps = d.warmup_steps
        if args.out == NAME:
            args.out, args.root = "detection_ablation_full.json", "runs/detection/ablation-full"
    budget = {"epochs": args.epochs, "train_images": args.train_images,
              "test_images": args.test_images, "val_images": 100, "batch_size": 32,
              "warmup_steps": args.warmup_steps}
    doc = None if args.restart else read_json(args.out)
    if not doc or doc.get("budget") != budget:
        doc = {"budget": budget, "results": {}}
    wanted = set(args.only.split(",")) if args.only else None
    import keras

    seeds = [int(s) for s in args.seeds.split(",")]
    for cfg, seed in ((c, s) for s in seeds for c in grid()):
        key = cfg["id"] if seed == 0 else f"{cfg['id']}/seed{seed}"
        if (wanted and cfg["id"] not in wanted) or key in doc["results"]:
            continue
        keras.backend.clear_session()
        record = run_config(cfg, seed, budget, Path(args.root) / key.replace("/", "-"))
        record["seed"] = seed
        doc["results"][key] = record
        doc["machine"] = machine()
        write_json(args.out, doc)
        print(f"{key}: mAP {record['mAP']:.3f}  mAP@.5 {record['mAP50']:.3f}  "
              f"({record['seconds']:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
