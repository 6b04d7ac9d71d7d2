import json
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
#: The golden values of the reference libraries, committed with the tests (a copy of
#: ../shared/golden; tests/test_golden_files.py checks that the two agree when both exist).
GOLDEN = ROOT / "tests" / "golden"


def golden_missing_reason(name: str) -> str:
    return f"golden file missing: {GOLDEN / name} (copy it from ../shared/golden)"


@cache
def _golden_doc(name: str) -> dict | None:
    path = GOLDEN / name
    return json.loads(path.read_text()) if path.exists() else None


def golden_doc(name: str) -> dict:
    """The parsed golden file ``tests/golden/<name>``; skips the calling test when it is absent."""
    doc = _golden_doc(name)
    if doc is None:
        pytest.skip(golden_missing_reason(name))
    return doc


def golden_cases(name: str, where: Callable[[dict], bool] | None = None) -> list:
    """The cases of ``tests/golden/<name>`` (those ``where`` accepts), for ``parametrize``.

    When the file is absent this returns a single parameter marked skip with the reason, so
    the test is reported as skipped -- never silently empty, never a collection error.
    """
    doc = _golden_doc(name)
    if doc is None:
        return [pytest.param(None, id=f"{name}-missing",
                             marks=pytest.mark.skip(reason=golden_missing_reason(name)))]
    return [c for c in doc["cases"] if where is None or where(c)]


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    """The local MNIST file ($REFS_MNIST, else ../shared/data/mnist.npz); skip if neither."""
    env = os.environ.get("REFS_MNIST")
    path = Path(env) if env else SHARED / "data" / "mnist.npz"
    if not path.exists():
        pytest.skip(f"no local MNIST at {path}; set REFS_MNIST")
    return path


@pytest.fixture(scope="session")
def tiny_mnist(mnist_path, tmp_path_factory) -> Path:
    """256 training and 64 test images of the real MNIST, in the Keras npz layout."""
    import numpy as np

    with np.load(mnist_path) as d:
        arrays = {"x_train": d["x_train"][:256], "y_train": d["y_train"][:256],
                  "x_test": d["x_test"][:64], "y_test": d["y_test"][:64]}
    path = tmp_path_factory.mktemp("data") / "tiny_mnist.npz"
    np.savez(path, **arrays)
    return path
