"""Both trainers killed with SIGKILL at exact moments, then resumed: the run ends as if it had
never been killed, with every step logged exactly once in metrics.jsonl and TensorBoard.

Real processes (tests/kill_at.py kills the trainer at a step, in the middle of a checkpoint
write, in the middle of a metrics line, or as the run finishes). Slow: two TensorFlow start-ups
per case; the ``ci`` subset is a few kill points.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tensorboard_event_counts

ROOT = Path(__file__).resolve().parents[1]
KILL_AT = ROOT / "tests" / "kill_at.py"

GAN = ["refs.gan.train", "--arch", "lean", "--width", "4", "--latent-dim", "8",
       "--batch-size", "16", "--steps-per-epoch", "4", "--epochs", "3", "--fid-samples", "0",
       "--verbose", "0", "--log-every", "1", "--no-jit"]
DETECTION = ["refs.detection.train", "--train-images", "24", "--val-images", "4",
             "--test-images", "4", "--batch-size", "8", "--epochs", "3", "--log-every", "1"]

# (kill point, marks): before the first checkpoint, inside checkpoint writes, mid-epoch,
# in the middle of a metrics line, after the last epoch, while finishing.
POINTS = ["step:1", "step:3", "save:1", "step:5", "record:7", "save:2", "step:7", "step:9",
          "save:3", "finish:1"]
CI_POINTS = {"save:1", "record:7"}


def _env():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    env.pop("TF_CONFIG", None)
    return env


def _run(cmd, timeout=300):
    return subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True,
                          timeout=timeout)


def _check_killed_and_resumed(point, argv, run_dir, steps_per_epoch):
    killed = _run([sys.executable, str(KILL_AT), point, *argv, "--run-dir", str(run_dir)])
    assert killed.returncode == -9, killed.stderr[-2000:]
    resumed = _run([sys.executable, "-m", *argv[:1], "--run-dir", str(run_dir), "--resume"])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "Traceback" not in resumed.stderr
    results = json.loads((run_dir / "results.json").read_text())
    total = 3 * steps_per_epoch
    assert (results["epochs"], results["steps"]) == (3, total)
    from refs.tracking import read_metrics

    records = read_metrics(run_dir)
    keys = [(r["kind"], r["step"]) for r in records]
    assert len(keys) == len(set(keys)), "a record was logged twice"
    assert [r["step"] for r in records if r["kind"] == "step"] == list(range(1, total + 1))
    assert [r["epoch"] for r in records if r["kind"] == "epoch"] == [1, 2, 3]
    counts = tensorboard_event_counts(run_dir)
    twice = [k for k, n in counts.items() if n > 1]
    assert not twice, f"logged twice in TensorBoard: {twice[:5]}"
    assert not list((run_dir / "checkpoints").glob("*.tmp"))


def _marks(point):
    marks = [pytest.mark.slow]
    if point in CI_POINTS:
        marks.append(pytest.mark.ci)
    return marks


@pytest.mark.parametrize("point", [pytest.param(p, marks=_marks(p)) for p in POINTS])
def test_gan_resumes_after_sigkill(point, tmp_path, tiny_mnist):
    _check_killed_and_resumed(point, [*GAN, "--data", str(tiny_mnist)], tmp_path / "run", 4)


@pytest.mark.parametrize("point", [pytest.param(p, marks=_marks(p)) for p in POINTS])
def test_detection_resumes_after_sigkill(point, tmp_path, mnist_path):
    _check_killed_and_resumed(point, [*DETECTION, "--data", str(mnist_path)], tmp_path / "run",
                              3)
