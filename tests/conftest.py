import json
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
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


def tensorboard_event_counts(run_dir) -> dict:
    """``{(tag, step): how many times it was logged}`` over a run's TensorBoard event files."""
    import collections

    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    counts = collections.Counter()
    for path in sorted(Path(run_dir).glob("events.out.tfevents.*")):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                counts[(value.tag, event.step)] += 1
    return counts


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    """The local MNIST file named by $REFS_MNIST (the tests never download); skip without it."""
    env = os.environ.get("REFS_MNIST")
    if not env:
        pytest.skip("no local MNIST: set REFS_MNIST=/path/to/mnist.npz")
    path = Path(env)
    if not path.exists():
        pytest.skip(f"REFS_MNIST names a missing file: {path}")
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


def assert_config_round_trip(cls, kwargs: dict) -> None:
    """``cls(**kwargs)`` survives ``get_config``/``from_config`` and Keras's registered
    serialization unchanged, its hyperparameters read back as attributes, and it is registered
    as ``refs>ClassName``."""
    import keras

    loss = cls(**kwargs)
    clone = cls.from_config(loss.get_config())
    assert clone.get_config() == loss.get_config()
    for k, v in kwargs.items():
        assert getattr(clone, k) == v
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert type(restored) is cls and restored.get_config() == loss.get_config()
    assert keras.saving.get_registered_name(cls) == f"refs>{cls.__name__}"
