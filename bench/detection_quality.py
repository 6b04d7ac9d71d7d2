"""The quality target: a default ``refs.detection.train`` run, its wall time and its COCO mAP.

Target (issue 5): mAP@.5 >= 0.95 and mAP@[.5:.95] >= 0.75 on the synthetic test canvases after a
default run that trains in at most 20 minutes on 2 CPU cores.

    python bench/detection_quality.py                   # trains with the defaults (~20 min)
    python bench/detection_quality.py --from-run DIR    # records an existing run instead

Writes ``docs/data/detection_quality.json`` (read by ``bench/detection_report.py``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from detection_common import machine, write_json  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-run", default=None, help="record this finished run")
    parser.add_argument("--run-dir", default=None, help="where to train (default: runs/...)")
    args = parser.parse_args()
    from refs.tracking import read_config, read_metrics

    if args.from_run:
        run_dir = Path(args.from_run)
        results = json.loads((run_dir / "results.json").read_text())
    else:
        from refs.detection.config import TrainConfig
        from refs.detection.trainer import train

        results = train(TrainConfig(run_dir=args.run_dir, name="quality"))
        run_dir = Path(results["run_dir"])
    evaluation = json.loads((run_dir / "evaluation.json").read_text())
    curve = [{"epoch": r["epoch"], "val_mAP": r["val/mAP"], "val_mAP50": r["val/mAP50"],
              "wall_time": r["wall_time"]} for r in read_metrics(run_dir, "eval")]
    hparams = read_config(run_dir)["hparams"]
    planned = hparams["epochs"] * math.ceil(hparams["train_images"] / hparams["batch_size"])
    doc = {
        "run_dir": str(run_dir), "hparams": hparams,
        "steps": results["steps"], "planned_steps": planned,
        "stopped_by_max_minutes": results.get("stopped_by_max_minutes",
                                              results["steps"] < planned),
        "train_time_s": results["train_time_s"], "epochs": results["epochs"],
        "test": evaluation, "val_curve": curve, "machine": machine(),
        "target": {"mAP50": 0.95, "mAP": 0.75, "minutes": 20},
    }
    path = write_json("detection_quality.json", doc)
    copy_figures(run_dir)
    print(f"mAP {evaluation['mAP']:.3f}  mAP@.5 {evaluation['mAP50']:.3f}  "
          f"train {results['train_time_s'] / 60:.1f} min -> {path}")


def copy_figures(run_dir: Path) -> None:
    """The run's last validation drawing and its learning curves, into docs/figures/."""
    import shutil

    from refs.tracking import plot_learning_curves

    figures = Path(__file__).resolve().parents[1] / "docs" / "figures"
    drawings = sorted((run_dir / "figures").glob("val_detections_*.png"))
    if drawings:
        shutil.copyfile(drawings[-1], figures / "detection_val_detections.png")
    plot_learning_curves(run_dir, figures / "detection_learning_curves.png",
                         title=f"refs.detection default run ({run_dir.name})")


if __name__ == "__main__":
    main()
