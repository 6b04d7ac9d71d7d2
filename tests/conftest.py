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
