"""The robustness suite (:mod:`refs.detection.robustness`) on a trained detection run.

    python bench/detection_robustness.py RUN_DIR [RUN_DIR ...] [--images 500]
                                         [--conditions small,overlap] [--out NAME.json]
    python bench/detection_robustness.py --from-design VARIANT   # the design bench's scores

``--from-design`` takes the suite's scores that ``bench/detection_design.py`` recorded for a
variant (every seed run; the same evaluation, its ``images_per_condition`` canvases per
condition) instead of scoring the runs again.

Scores each run on every condition and writes ``docs/data/detection_robustness.json`` (read by
``bench/detection_report.py``, which puts the table into docs/results.md); with several runs
(seeds) the report gives the mean and the spread.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from detection_common import machine, read_json, write_json  # noqa: E402

TARGET = {"in-distribution": {"mAP": 0.88, "mAP50": 0.98},
          "every condition": {"mAP": 0.75, "mAP50": 0.93}}


def from_design(variant: str, out: str) -> None:
    """The robustness document of the design bench's records of ``variant``."""
    doc = read_json("detection_design.json") or {"results": {}}
    records = [r for r in doc["results"].values() if r["variant"] == variant]
    if not records:
        raise SystemExit(f"no design record of variant {variant!r} in detection_design.json")
    from detection_design import BASE

    from refs.detection.config import TrainConfig

    runs = [{"run_dir": f"runs/detection/design/{variant}/seed{r['seed']}",
             "hparams": TrainConfig(**{**BASE, **r["fields"]}, seed=r["seed"]).hparams(),
             "conditions": r["conditions"], "seconds": r["seconds"]} for r in records]
    result = {"images_per_condition": doc["images_per_condition"], "runs": runs,
              "machine": records[0].get("machine") or doc["machine"], "target": TARGET,
              "source": f"bench/detection_design.py variant {variant}"}
    print(f"-> {write_json(out, result)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", help="detection run directories")
    parser.add_argument("--from-design", default=None, metavar="VARIANT",
                        help="use the design bench's recorded scores of this variant")
    parser.add_argument("--images", type=int, default=500, help="canvases per condition")
    parser.add_argument("--conditions", default=None, help="comma-separated subset")
    parser.add_argument("--data", default=None, help="MNIST .npz (default: REFS_MNIST)")
    parser.add_argument("--out", default="detection_robustness.json")
    args = parser.parse_args()
    if args.from_design:
        from_design(args.from_design, args.out)
        return
    if not args.runs:
        parser.error("give run directories or --from-design VARIANT")
    from refs.data import load_mnist
    from refs.detection.detector import load_trained
    from refs.detection.robustness import CONDITIONS, evaluate_conditions
    from refs.tracking import read_config

    conditions = args.conditions.split(",") if args.conditions else list(CONDITIONS)
    mnist = load_mnist(args.data)
    runs = []
    for run_dir in args.runs:
        start = time.perf_counter()
        print(f"{run_dir}:")
        table = evaluate_conditions(
            load_trained(run_dir), args.images, conditions, mnist=mnist,
            progress=lambda name, row: print(f"  {name:>16}  mAP {row['mAP']:.3f}  "
                                             f"mAP@.5 {row['mAP50']:.3f}", flush=True))
        runs.append({"run_dir": str(run_dir), "hparams": read_config(run_dir)["hparams"],
                     "conditions": table, "seconds": round(time.perf_counter() - start, 1)})
    doc = {"images_per_condition": args.images, "runs": runs, "machine": machine(),
           "target": TARGET}
    print(f"-> {write_json(args.out, doc)}")


if __name__ == "__main__":
    main()
