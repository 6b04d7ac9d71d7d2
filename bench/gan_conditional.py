"""The class-conditional GAN measured: does it draw the digit it is asked for?

Trains (or continues: each run directory resumes from its last epoch checkpoint) one
``--conditional`` run per seed with the default settings, then draws 1,000 samples of every digit
from its generator and scores them with the package's MNIST classifier: the share recognised as
the requested digit (target >= 98 % for every digit; real test digits: about 99 %) and the
per-class FID against that digit's test images (1,000 samples each, so compare per-class FIDs
only with each other and with the real-data floor computed here the same way). Writes
``docs/data/gan_conditional.json`` and the "gan-conditional" section of docs/results.md.

    python bench/gan_conditional.py [--seeds 0,1,2] [--root runs/gan/conditional]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from detection_common import machine, read_json, write_json  # noqa: E402

NAME = "gan_conditional.json"
PER_CLASS = 1000


def score(evaluator, generator, seed: int) -> dict:
    """Per-digit accuracy and FID of ``PER_CLASS`` samples of each digit."""
    import numpy as np

    from refs.gan.gan import generate_images

    labels = np.repeat(np.arange(10), PER_CLASS).astype("int32")
    noise = np.random.default_rng(seed).standard_normal(
        (len(labels), int(generator.inputs[0].shape[-1]))).astype("float32")
    table = evaluator.per_class(generate_images(generator, noise, labels=labels), labels)
    return {str(c): row for c, row in table.items()}


def real_floor(evaluator, data) -> dict:
    """The same per-class scores for ``PER_CLASS`` real training images of each digit."""
    import numpy as np

    from refs.data import load_mnist

    (x_train, y_train), _ = load_mnist(data)
    idx = np.concatenate([np.flatnonzero(y_train == c)[:PER_CLASS] for c in range(10)])
    table = evaluator.per_class(x_train[idx], y_train[idx])
    return {str(c): row for c, row in table.items()}


def section(doc: dict) -> str:
    runs = doc["runs"]
    lines = [
        f"`python bench/gan_conditional.py`: {len(runs)} `--conditional` run(s) of the default "
        f"settings; {PER_CLASS} samples of each digit, scored by the package's classifier "
        "(share recognised as the requested digit; target >= 98 % for every digit) and per-class "
        "FID against that digit's MNIST test images. Real: the same scores for "
        f"{PER_CLASS} real training digits of each class.",
        "",
        "| digit | " + " | ".join(f"seed {r['seed']} acc / FID" for r in runs)
        + " | real acc / FID |",
        "|---|" + "---|" * (len(runs) + 1),
    ]
    for c in map(str, range(10)):
        cells = [f"{r['per_class'][c]['accuracy']:.3f} / {r['per_class'][c]['fid']:.2f}"
                 for r in runs]
        real = doc["real"][c]
        lines.append(f"| {c} | " + " | ".join(cells)
                     + f" | {real['accuracy']:.3f} / {real['fid']:.2f} |")
    lines += ["", f"Measured on {doc['machine'].get('cpu', '?')}, {doc['machine']['date_utc']}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0", help="comma-separated training seeds")
    parser.add_argument("--root", default="runs/gan/conditional")
    parser.add_argument("--data", default=None, help="MNIST .npz (default: REFS_MNIST)")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the docs section from the recorded JSON")
    args = parser.parse_args()
    from refs.tracking.docs import replace_marked_section

    results_md = Path(__file__).resolve().parents[1] / "docs" / "results.md"
    if args.report_only:
        doc = read_json(NAME)
        if not doc:
            raise SystemExit(f"no docs/data/{NAME} yet")
        replace_marked_section(results_md, "gan-conditional", section(doc),
                               heading="refs.gan: conditional digits")
        return

    from refs.gan.config import TrainConfig
    from refs.gan.metrics import QualityEvaluator
    from refs.gan.sample import load_generator
    from refs.gan.trainer import train

    data = args.data or os.environ.get("REFS_MNIST")
    evaluator = QualityEvaluator.for_mnist(data)
    doc = {"runs": [], "real": real_floor(evaluator, data)}
    for seed in (int(s) for s in args.seeds.split(",")):
        run_dir = Path(args.root) / f"seed{seed}"
        results = train(TrainConfig(conditional=True, seed=seed, run_dir=str(run_dir),
                                    data=data, verbose=2,
                                    resume=(run_dir / "checkpoints").is_dir()))
        doc["runs"].append({"seed": seed, "run_dir": str(run_dir),
                            "train_time_s": results.get("train_time_s"),
                            "fid": results.get("fid"), "precision": results.get("precision"),
                            "recall": results.get("recall"),
                            "per_class": score(evaluator, load_generator(run_dir), seed)})
    doc["machine"] = machine()
    print(f"-> {write_json(NAME, doc)}")
    replace_marked_section(results_md, "gan-conditional", section(doc),
                           heading="refs.gan: conditional digits")


if __name__ == "__main__":
    main()
