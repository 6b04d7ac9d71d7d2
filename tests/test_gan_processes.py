"""Real processes: a training run killed with SIGKILL and resumed, and two multi-worker workers.

Both are slow (several TensorFlow start-ups); each is bounded by timeouts.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from refs.utils.checkpoint import CheckpointManager

ROOT = Path(__file__).resolve().parents[1]
TINY_FLAGS = ["--width", "4", "--latent-dim", "8", "--batch-size", "16", "--steps-per-epoch",
              "4", "--fid-samples", "0", "--verbose", "0", "--log-every", "0", "--no-jit"]


def _env(**extra):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", **extra}
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env


def _train_cmd(run_dir, data, epochs, *extra):
    return [sys.executable, "-m", "refs.gan.train", "--run-dir", str(run_dir), "--data",
            str(data), "--epochs", str(epochs), *TINY_FLAGS, *extra]


def _final_state(run_dir):
    groups, meta = CheckpointManager.read(CheckpointManager(Path(run_dir) / "checkpoints")
                                          .latest())
    return groups, meta


@pytest.mark.slow
@pytest.mark.ci
def test_sigkilled_run_resumes_to_the_same_weights(tmp_path, tiny_mnist):
    epochs = 40
    cmd = ["--deterministic", "--seed", "3"]
    straight = tmp_path / "straight"
    subprocess.run(_train_cmd(straight, tiny_mnist, epochs, *cmd), env=_env(), check=True,
                   timeout=300, capture_output=True)

    killed = tmp_path / "killed"
    proc = subprocess.Popen(_train_cmd(killed, tiny_mnist, epochs, *cmd), env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manager = CheckpointManager(killed / "checkpoints")
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        latest = manager.latest()
        if latest is not None and int(latest.stem.split("-")[1]) >= 3:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    _, meta_at_kill = CheckpointManager.read(manager.latest())
    assert 3 <= meta_at_kill["epoch"] < epochs

    resumed = subprocess.run(_train_cmd(killed, tiny_mnist, epochs, *cmd), env=_env(),
                             timeout=300, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "continuing" in resumed.stderr

    a, meta_a = _final_state(straight)
    b, meta_b = _final_state(killed)
    assert meta_a["epoch"] == meta_b["epoch"] == epochs
    assert meta_a["step"] == meta_b["step"] == epochs * 4
    for group in ("model", "d_optimizer", "g_optimizer"):
        assert len(a[group]) == len(b[group])
        for x, y in zip(a[group], b[group]):
            np.testing.assert_array_equal(x, y)


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.mark.slow
@pytest.mark.ci
def test_two_workers_end_with_identical_weights(tmp_path, tiny_mnist):
    workers = [f"127.0.0.1:{p}" for p in _free_ports(2)]
    run_dir = tmp_path / "mw"
    procs = []
    for index in range(2):
        tf_config = json.dumps({"cluster": {"worker": workers},
                                "task": {"type": "worker", "index": index}})
        procs.append(subprocess.Popen(
            _train_cmd(run_dir, tiny_mnist, 2, "--strategy", "multi-worker"),
            env=_env(TF_CONFIG=tf_config), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True))
    try:
        outputs = [p.communicate(timeout=240)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, out in zip(procs, outputs):
        assert p.returncode == 0, out[-3000:]
    chief, meta_chief = _final_state(run_dir)
    other, meta_other = CheckpointManager.read(
        CheckpointManager(run_dir / "worker-1" / "checkpoints").latest())
    assert meta_chief["step"] == meta_other["step"] == 8
    for group in ("model", "d_optimizer", "g_optimizer"):
        for x, y in zip(chief[group], other[group]):
            np.testing.assert_array_equal(x, y)
    assert (run_dir / "generator.keras").is_file()
    assert not (run_dir / "worker-1" / "generator.keras").exists()
