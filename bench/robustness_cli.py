"""Replay bad command lines against every refs CLI and count the defects.

    python bench/robustness_cli.py [--data mnist.npz] [--jobs 2] [--only SUBSTRING]

Each case is a real process. The expected outcome is exit code 2 (a bad argument) or 1 (a
failure the user can act on) with one line on stderr that says why. Anything else is a defect:

- ``traceback``: a Python traceback reached the user;
- ``silent``: the command exited 0 although it should have refused;
- ``exit``: another exit code than expected;
- ``noisy``: more than one line of explanation (e.g. TensorFlow's start-up lines).

The summary is printed and written to ``bench/results/robustness_cli.json``. MNIST comes from
``--data``, else ``$REFS_MNIST``; the script builds its own small runs (a GAN run with a
generator, an untrained detection run) in a temporary folder first.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "robustness_cli.json"
GAN_TINY = ["--arch", "lean", "--width", "4", "--latent-dim", "8", "--batch-size", "16",
            "--steps-per-epoch", "2", "--fid-samples", "0", "--verbose", "0", "--no-jit"]


def _env():
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_CONFIG")}
    env["CUDA_VISIBLE_DEVICES"] = ""
    return env


def _run(argv, timeout=300, env=None):
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, env=env or _env(),
                          capture_output=True, text=True, timeout=timeout)


def prepare(tmp: Path, mnist: Path) -> dict:
    """Files and runs the cases point at."""
    import numpy as np

    with np.load(mnist) as d:
        np.savez(tmp / "tiny.npz", x_train=d["x_train"][:64], y_train=d["y_train"][:64],
                 x_test=d["x_test"][:16], y_test=d["y_test"][:16])
    (tmp / "corrupt.npz").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp / "empty.npz").write_bytes(b"")
    (tmp / "a_file").write_text("x")
    (tmp / "a_dir").mkdir()
    (tmp / "pngs").mkdir()
    (tmp / "no_pngs").mkdir()
    from PIL import Image

    Image.fromarray(np.zeros((64, 64), np.uint8)).save(tmp / "pngs" / "1.png")
    gan = tmp / "gan_run"
    done = _run(["refs.gan.train", "--data", str(tmp / "tiny.npz"), "--epochs", "1",
                 "--run-dir", str(gan), *GAN_TINY])
    if done.returncode:
        raise SystemExit(f"could not build the GAN run: {done.stderr[-1500:]}")
    bad_gen = tmp / "gan_bad_generator"
    shutil.copytree(gan, bad_gen)
    (bad_gen / "generator.keras").write_bytes(b"PK\x03\x04 garbage")
    bad_ckpt = tmp / "gan_bad_checkpoints"
    shutil.copytree(gan, bad_ckpt)
    for p in (bad_ckpt / "checkpoints").glob("*.npz"):
        p.write_bytes(p.read_bytes()[:100])
    det = tmp / "det_run"
    done = _run(["refs.detection.train", "--data", str(mnist), "--train-images", "8",
                 "--val-images", "2", "--test-images", "2", "--batch-size", "8", "--epochs", "1",
                 "--run-dir", str(det)])
    if done.returncode:
        raise SystemExit(f"could not build the detection run: {done.stderr[-1500:]}")
    return {"tmp": tmp, "tiny": tmp / "tiny.npz", "mnist": mnist, "gan": gan,
            "bad_gen": bad_gen, "bad_ckpt": bad_ckpt, "det": det}


def cases(f: dict) -> list[tuple[str, list[str], int]]:
    """``(name, argv, expected exit code)``."""
    t, tiny, gan, det = f["tmp"], str(f["tiny"]), str(f["gan"]), str(f["det"])
    gt = ["refs.gan.train", "--data", tiny]
    out = []
    parse_gan = [
        ["--epochs", "0"], ["--epochs", "-1"], ["--epochs", "x"], ["--epochs", "1.5"],
        ["--batch-size", "0"], ["--lr", "0"], ["--lr", "nan"], ["--lr", "inf"], ["--lr", "-1e-3"],
        ["--beta-1", "2"], ["--ema", "1"], ["--ema", "0"], ["--label-smoothing", "2"],
        ["--loss", "wasserstein"], ["--arch", "big"], ["--width", "0"], ["--latent-dim", "0"],
        ["--strategy", "tpu"], ["--fid-samples", "1"], ["--fid-samples", "-3"],
        ["--fid-every", "0"], ["--log-every", "-1"], ["--max-minutes", "0"],
        ["--steps-per-epoch", "0"], ["--verbose", "5"], ["--seed", "-1"], ["--no-such-flag"],
        ["--arch", "tutorial", "--width", "32"], ["--loss", "hinge", "--label-smoothing", "0.1"],
        ["--gp-weight", "-1"], ["--gp-weight", "nan"], ["--seed"], ["--run-dir"],
    ]
    out += [(f"gan.train {' '.join(a)}", ["refs.gan.train", *a], 2) for a in parse_gan]
    out += [
        ("gan.train --data missing", ["refs.gan.train", "--data", str(t / "missing.npz")], 1),
        ("gan.train --data corrupt", ["refs.gan.train", "--data", str(t / "corrupt.npz")], 1),
        ("gan.train --data empty", ["refs.gan.train", "--data", str(t / "empty.npz")], 1),
        ("gan.train --data a folder", ["refs.gan.train", "--data", str(t / "a_dir")], 1),
        ("gan.train --run-dir a file", [*gt, "--run-dir", str(t / "a_file"), *GAN_TINY], 2),
        ("gan.train --run-dir under a file", [*gt, "--run-dir", str(t / "a_file" / "r"),
                                              *GAN_TINY], 2),
        ("gan.train batch larger than the data",
         [*gt, "--run-dir", str(t / "big_batch"),
          *[a if a != "16" else "100000" for a in GAN_TINY]], 1),
        ("gan.train --resume conflicting --arch", [*gt, "--resume", "--run-dir", gan,
                                                   "--arch", "infogan"], 2),
        ("gan.train --resume conflicting --loss", [*gt, "--resume", "--run-dir", gan,
                                                   "--loss", "hinge"], 2),
        ("gan.train every checkpoint corrupt", [*gt, "--run-dir", str(f["bad_ckpt"]),
                                                "--epochs", "2"], 1),
        ("gan.train multi-worker without TF_CONFIG", [*gt, "--strategy", "multi-worker",
                                                      "--run-dir", str(t / "mw"), *GAN_TINY], 2),
    ]
    gs = ["refs.gan.sample"]
    out += [
        ("gan.sample no args", gs, 2),
        ("gan.sample --n 0", [*gs, gan, "--n", "0", "--out", str(t / "s.npz")], 2),
        ("gan.sample --n x", [*gs, gan, "--n", "x", "--out", str(t / "s.npz")], 2),
        ("gan.sample --seed -1", [*gs, gan, "--seed", "-1", "--out", str(t / "s.npz")], 2),
        ("gan.sample --out not .npz", [*gs, gan, "--out", str(t / "s.png")], 2),
        ("gan.sample run dir missing", [*gs, str(t / "nope"), "--out", str(t / "s.npz")], 1),
        ("gan.sample not a GAN run", [*gs, str(t / "a_dir"), "--out", str(t / "s.npz")], 1),
        ("gan.sample corrupt generator", [*gs, str(f["bad_gen"]), "--out", str(t / "s.npz")], 1),
        ("gan.sample --out is a folder", [*gs, gan, "--out", str(t / "a_dir.npz")], 1),
        ("gan.sample --out under a file", [*gs, gan, "--out", str(t / "a_file" / "s.npz")], 1),
        ("gan.sample --grid is a folder", [*gs, gan, "--out", str(t / "s2.npz"), "--grid",
                                           str(t / "a_dir")], 1),
    ]
    (t / "a_dir.npz").mkdir(exist_ok=True)
    dt = ["refs.detection.train"]
    parse_det = [
        ["--gamma", "-1"], ["--alpha", "2"], ["--alpha", "nan"], ["--alpha", "x"], ["--lr", "0"],
        ["--aspect-ratios", "a,b"], ["--aspect-ratios", "0"], ["--aspect-ratios", ""],
        ["--anchor-scales", "-1,2"], ["--cls-loss", "x"], ["--box-loss", "x"],
        ["--train-images", "0"], ["--val-images", "-2"], ["--test-images", "x"],
        ["--epochs", "0"], ["--max-minutes", "-1"], ["--strategy", "x"], ["--batch-size", "0"],
        ["--steps-per-epoch", "0"], ["--log-every", "-5"], ["--coco", str(t / "c.json")],
        ["--gamma", "inf"], ["--bogus"], ["--distribution", "x"], ["--assigner", "x"],
        ["--min-scale", "0"], ["--min-scale", "90", "--max-scale", "20"],
        ["--max-scale", "500"], ["--max-digits", "0"], ["--canonical-fraction", "1.5"],
    ]
    out += [(f"detection.train {' '.join(a)}", [*dt, *a], 2) for a in parse_det]
    out += [
        ("detection.train --coco missing file", [*dt, "--coco", str(t / "missing.json"),
                                                 "--coco-images", str(t / "a_dir")], 1),
        ("detection.train --coco garbage", [*dt, "--coco", str(t / "a_file"), "--coco-images",
                                            str(t / "a_dir")], 1),
        ("detection.train --data too small", [*dt, "--data", tiny, "--run-dir",
                                              str(t / "det_small")], 1),
        ("detection.train --run-dir a file", [*dt, "--data", str(f["mnist"]), "--run-dir",
                                              str(t / "a_file"), "--train-images", "8"], 2),
        ("detection.train --resume conflicting", [*dt, "--data", str(f["mnist"]), "--run-dir",
                                                  det, "--resume", "--batch-size", "4"], 2),
    ]
    de = ["refs.detection.evaluate"]
    out += [
        ("detection.evaluate no args", de, 2),
        ("detection.evaluate missing dir", [*de, str(t / "nope")], 1),
        ("detection.evaluate not a run", [*de, str(t / "a_dir")], 1),
        ("detection.evaluate a GAN run", [*de, gan], 1),
        ("detection.evaluate --num-images 0", [*de, det, "--num-images", "0"], 2),
        ("detection.evaluate --num-images x", [*de, det, "--num-images", "x"], 2),
    ]
    dp = ["refs.detection.predict"]
    pngs, o = str(t / "pngs"), str(t / "dets.json")
    out += [
        ("detection.predict no args", dp, 2),
        ("detection.predict no --out", [*dp, det, "--images", pngs], 2),
        ("detection.predict --images missing", [*dp, det, "--images", str(t / "nope"),
                                                "--out", o], 1),
        ("detection.predict --images a file", [*dp, det, "--images", str(t / "a_file"),
                                               "--out", o], 1),
        ("detection.predict no PNGs", [*dp, det, "--images", str(t / "no_pngs"), "--out", o], 1),
        ("detection.predict --out is a folder", [*dp, det, "--images", pngs, "--out",
                                                 str(t / "a_dir")], 1),
        ("detection.predict --out under a file", [*dp, det, "--images", pngs, "--out",
                                                  str(t / "a_file" / "d.json")], 1),
        ("detection.predict --score-threshold 2", [*dp, det, "--images", pngs, "--out", o,
                                                   "--score-threshold", "2"], 2),
        ("detection.predict --max-pixels 0", [*dp, det, "--images", pngs, "--out", o,
                                              "--max-pixels", "0"], 2),
        ("detection.predict run dir missing", [*dp, str(t / "nope"), "--images", pngs,
                                               "--out", o], 1),
        ("detection.predict a GAN run", [*dp, gan, "--images", pngs, "--out", o], 1),
    ]
    dx = ["refs.detection.export"]
    out += [
        ("detection.export no args", dx, 2),
        ("detection.export no --format", [*dx, det, "--out", str(t / "x.onnx")], 2),
        ("detection.export --format x", [*dx, det, "--format", "x", "--out", o], 2),
        ("detection.export missing dir", [*dx, str(t / "nope"), "--format", "onnx", "--out",
                                          str(t / "x.onnx")], 1),
        ("detection.export a GAN run", [*dx, gan, "--format", "onnx", "--out",
                                        str(t / "x.onnx")], 1),
        ("detection.export --image-size 100", [*dx, det, "--format", "saved_model", "--out",
                                               str(t / "sm"), "--image-size", "100"], 2),
        ("detection.export --image-size x", [*dx, det, "--format", "onnx", "--out",
                                             str(t / "x.onnx"), "--image-size", "x,y"], 2),
        ("detection.export saved_model onto a file", [*dx, det, "--format", "saved_model",
                                                      "--out", str(t / "a_file")], 2),
        ("detection.export onnx onto a folder", [*dx, det, "--format", "onnx", "--out",
                                                 str(t / "a_dir")], 1),
    ]
    ct = ["refs.classic.train"]
    out += [
        ("classic.train --suite bogus", [*ct, "--suite", "bogus"], 2),
        ("classic.train --seeds 0", [*ct, "--seeds", "0"], 2),
        ("classic.train --batch-size 8", [*ct, "--batch-size", "8"], 2),
        ("classic.train --epochs 0", [*ct, "--epochs", "0"], 2),
        ("classic.train --seed x", [*ct, "--seed", "x"], 2),
        ("classic.train --data missing", [*ct, "--suite", "mnist9", "--seeds", "1",
                                          "--data", str(t / "missing.npz"), "--run-dir",
                                          str(t / "cl")], 1),
        ("classic.plot --out a file", ["refs.classic.plot", "--out", str(t / "a_file"),
                                       "--run-dir", str(t / "pl")], 1),
        ("classic.plot --bogus", ["refs.classic.plot", "--bogus"], 2),
    ]
    return out


def classify(proc, expected: int) -> str:
    err = proc.stderr
    if "Traceback (most recent call last)" in err:
        return "traceback"
    if proc.returncode == 0:
        return "silent"
    if proc.returncode != expected:
        return "exit"
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith(
        ("warning:", "nothing to resume", "continuing "))]
    return "ok" if len(lines) == 1 else "noisy"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("REFS_MNIST"), help="mnist.npz")
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once")
    parser.add_argument("--only", default=None, help="run the cases whose name has this")
    args = parser.parse_args()
    if not args.data:
        raise SystemExit("pass --data mnist.npz or set REFS_MNIST")
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        fixtures = prepare(Path(tmp), Path(args.data))
        todo = [c for c in cases(fixtures) if not args.only or args.only in c[0]]

        def one(case):
            name, argv, expected = case
            try:
                proc = _run(argv)
            except subprocess.TimeoutExpired:
                return {"case": name, "outcome": "timeout", "expected": expected}
            verdict = classify(proc, expected)
            return {"case": name, "argv": argv[1:], "expected": expected,
                    "exit": proc.returncode, "outcome": verdict,
                    "stderr": proc.stderr.strip().splitlines()[-3:]}

        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(one, todo))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    for r in rows:
        if r["outcome"] != "ok":
            print(f"DEFECT {r['outcome']:9s} {r['case']}: exit {r.get('exit')}, "
                  f"{' | '.join(r.get('stderr', []))[:300]}")
    tmp_prefix = str(fixtures["tmp"])
    for r in rows:  # paths of the temporary folder mean nothing once it is gone
        r["argv"] = [a.replace(tmp_prefix, "$TMP") for a in r.get("argv", [])]
        r["stderr"] = [s.replace(tmp_prefix, "$TMP") for s in r.get("stderr", [])]
    sys.path.insert(0, str(ROOT / "bench"))
    from detection_common import machine

    doc = {"date": time.strftime("%Y-%m-%d"), "cases": len(rows), "outcomes": counts,
           "seconds": round(time.time() - start, 1), "machine": machine(), "rows": rows}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{len(rows)} bad command lines: " + ", ".join(f"{k} {v}" for k, v in
                                                        sorted(counts.items())))
    print(f"written {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
