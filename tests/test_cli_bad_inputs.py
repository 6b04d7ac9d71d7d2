"""Bad command lines, as a user types them: one line on stderr, exit code 2, no traceback, and
no TensorFlow start-up (argument errors are answered before TensorFlow is imported).

The full replay (108 command lines, the runtime failures included) is bench/robustness_cli.py;
these are the parse-time ones, each a real process of well under a second.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CASES = [
    ("refs.gan.train", ["--epochs", "0"], "--epochs"),
    ("refs.gan.train", ["--lr", "nan"], "--lr"),
    ("refs.gan.train", ["--fid-samples", "1"], "at least 2"),
    ("refs.gan.train", ["--loss", "wasserstein"], "--loss"),
    ("refs.gan.train", ["--arch", "tutorial", "--width", "32"], "--width"),
    ("refs.gan.train", ["--loss", "hinge", "--label-smoothing", "0.1"], "--label-smoothing"),
    ("refs.gan.sample", ["x", "--out", "x.png"], "--out must end in .npz"),
    ("refs.detection.train", ["--alpha", "2"], "--alpha: alpha must be in [0, 1]"),
    ("refs.detection.train", ["--aspect-ratios", "a,b"], "--aspect-ratios"),
    ("refs.detection.train", ["--coco", "c.json"], "coco_images"),
    ("refs.detection.evaluate", ["run", "--num-images", "0"], "--num-images"),
    ("refs.detection.predict", ["run", "--images", "d"], "--out"),
    ("refs.classic.train", ["--seeds", "0"], "--seeds"),
    ("refs.classic.train", ["--batch-size", "8"], "unrecognized arguments"),
]


def _run(module, argv):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", module, *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    return proc, time.perf_counter() - start


@pytest.mark.parametrize("module, argv, fragment", CASES,
                         ids=[f"{m.split('.', 1)[1]} {' '.join(a)}" for m, a, _ in CASES])
def test_a_bad_argument_is_one_line_and_exit_2_without_tensorflow(module, argv, fragment):
    proc, _ = _run(module, argv)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert fragment in lines[0] and "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("module", ["refs.gan.train", "refs.gan.sample", "refs.detection.train",
                                    "refs.detection.evaluate", "refs.detection.predict",
                                    "refs.classic.train", "refs.classic.plot"])
def test_help_answers_quickly_without_tensorflow(module):
    probe = ("import runpy, sys; sys.argv = [sys.argv[0], '--help']\n"
             f"try:\n    runpy.run_module({module!r}, run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print('TF-LOADED' if 'tensorflow' in sys.modules else 'NO-TF')")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.strip().endswith("NO-TF") and "usage:" in proc.stdout
