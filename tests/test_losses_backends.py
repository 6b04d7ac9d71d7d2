"""The golden parity suite under a second Keras backend (JAX), in a subprocess.

The losses are written with ``keras.ops`` only, so the same code must reproduce the golden
values with ``KERAS_BACKEND=jax`` (float64 needs ``JAX_ENABLE_X64=1``). Skipped cleanly when jax
is not installed (``pip install jax jaxlib``). The whole suite (~1,400 cases, ~3 minutes on
2 cores: JAX dispatches eager ops slowly) is a bounded slow test that CI runs; the default run
checks a cross-section of every golden file.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def _run_golden_under_jax(selection: str | None, timeout: int,
                          files: tuple[str, ...] = ("test_losses_golden.py",)):
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed (pip install jax jaxlib)")
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_ENABLE_X64="1", TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [
        sys.executable, "-m", "pytest", *(str(TESTS / f) for f in files),
        "-q", "-p", "no:cacheprovider", "-m", "not slow", "-o", "addopts=",
    ]
    if selection:
        cmd += ["-k", selection]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=TESTS.parent
    )
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary, summary
    return summary


def test_golden_cross_section_matches_under_jax():
    # Unreduced float64 cases of input set s1: every Keras 2 loss, the tfa and torchvision
    # focal functions, torch BCEWithLogits and CrossEntropy (84 cases, ~30 s).
    _run_golden_under_jax(
        "s1 and none and float64 and (keras2 or function or BCEWithLogits or CrossEntropy)",
        timeout=300,
    )


@pytest.mark.slow
@pytest.mark.ci
def test_whole_golden_suite_matches_under_jax():
    _run_golden_under_jax(None, timeout=600)


#: the golden parity files of the second batch written backend-neutrally (tfa metric learning,
#: Pinball, Sparsemax, WeightedKappa, Circle: 385 cases, ~3 min). The keras-cv, smp and Keras 3
#: golden tests still take gradients with tf.GradientTape and run under TensorFlow only.
SECOND_BATCH = ("test_losses_tfa_golden.py",)


@pytest.mark.slow
def test_second_batch_golden_files_match_under_jax():
    _run_golden_under_jax(None, timeout=1500, files=SECOND_BATCH)
