import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
GOLDEN = SHARED / "golden"


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    """The local MNIST file ($REFS_MNIST, else ../shared/data/mnist.npz); skip if neither."""
    env = os.environ.get("REFS_MNIST")
    path = Path(env) if env else SHARED / "data" / "mnist.npz"
    if not path.exists():
        pytest.skip(f"no local MNIST at {path}; set REFS_MNIST")
    return path
