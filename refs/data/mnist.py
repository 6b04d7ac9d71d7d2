"""MNIST as numpy arrays, from a local ``.npz`` first and Keras's download last.

Where the data comes from, in order:

1. the ``path`` argument (every CLI passes ``--data PATH`` here);
2. the path in the environment variable ``REFS_MNIST``;
3. ``keras.datasets.mnist.load_data()``, which downloads and caches the file
   (as on a real user's machine).

The file must be in Keras's ``mnist.npz`` layout: ``x_train`` uint8 (N, 28, 28), ``y_train`` (N,),
``x_test`` uint8 (M, 28, 28), ``y_test`` (M,), labels in 0..9. Anything else raises
:class:`refs.errors.DataError` with a message that says what was expected and how to fix it.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from refs.errors import DataError

MNIST_ENV_VAR = "REFS_MNIST"
EXPECTED_KEYS = ("x_train", "y_train", "x_test", "y_test")
_LAYOUT = (
    "expected a Keras-format mnist.npz with keys x_train (N, 28, 28) uint8, y_train (N,), "
    "x_test (M, 28, 28) uint8, y_test (M,), labels 0..9"
)
_HOW_TO_FIX = (
    f"give the path of a local mnist.npz (the commands' --data) or set "
    f"{MNIST_ENV_VAR}=/path/to/mnist.npz (or neither, to let Keras download MNIST)"
)

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def resolve_mnist_path(path: str | os.PathLike | None = None) -> Path | None:
    """The local file to read, or ``None`` when Keras's download should be used.

    An explicit ``path`` wins over ``$REFS_MNIST``; an empty environment variable counts as unset.
    """
    if path is not None and str(path) != "":
        return Path(path).expanduser()
    env = os.environ.get(MNIST_ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return None


def _origin(path: Path, from_env: bool) -> str:
    return f"{path} (from ${MNIST_ENV_VAR})" if from_env else str(path)


def _validate(arrays: dict[str, np.ndarray], where: str) -> Arrays:
    missing = [k for k in EXPECTED_KEYS if k not in arrays]
    if missing:
        raise DataError(f"MNIST file {where} lacks keys {missing}: {_LAYOUT}; {_HOW_TO_FIX}")
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise DataError(
                f"MNIST file {where}: x_{split} has shape {x.shape}, {_LAYOUT}; {_HOW_TO_FIX}"
            )
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise DataError(
                f"MNIST file {where}: y_{split} has shape {y.shape} for {x.shape[0]} images, "
                f"{_LAYOUT}; {_HOW_TO_FIX}"
            )
        if x.dtype != np.uint8:
            raise DataError(
                f"MNIST file {where}: x_{split} has dtype {x.dtype}, {_LAYOUT}; {_HOW_TO_FIX}"
            )
        if y.size and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() > 9):
            raise DataError(
                f"MNIST file {where}: y_{split} must hold integer labels 0..9 "
                f"(dtype {y.dtype}); {_HOW_TO_FIX}"
            )
    return (
        (arrays["x_train"], arrays["y_train"].astype(np.uint8)),
        (arrays["x_test"], arrays["y_test"].astype(np.uint8)),
    )


def _read_npz(path: Path, where: str) -> dict[str, np.ndarray]:
    if not path.exists():
        raise DataError(f"MNIST file not found: {where}; {_HOW_TO_FIX}")
    if path.is_dir():
        raise DataError(f"MNIST path is a directory, not an .npz file: {where}; {_HOW_TO_FIX}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        bad = sorted(k for k, v in arrays.items() if not isinstance(v, np.ndarray))
        if bad:  # a member that is not a valid .npy comes back as raw bytes
            raise ValueError(f"members {bad} are not .npy arrays")
        return arrays
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise DataError(
            f"MNIST file {where} is corrupt or not an .npz archive ({type(exc).__name__}: {exc}); "
            f"{_LAYOUT}; replace it with a good copy or {_HOW_TO_FIX}"
        ) from exc


def _download() -> dict[str, np.ndarray]:
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as exc:  # network errors come in many types (URLError, HTTPError, OSError...)
        raise DataError(
            "could not download MNIST through keras.datasets.mnist.load_data() "
            f"({type(exc).__name__}: {exc}). Offline? Point the loader at a local copy: "
            f"{_HOW_TO_FIX}"
        ) from exc
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def load_mnist(path: str | os.PathLike | None = None) -> Arrays:
    """Load MNIST as ``((x_train, y_train), (x_test, y_test))`` uint8 numpy arrays.

    Args:
        path: a Keras-format ``mnist.npz``. If ``None``, ``$REFS_MNIST`` is used; if that is unset
            too, Keras downloads MNIST into its cache (``~/.keras/datasets``).

    Raises:
        DataError: the file is missing, corrupt, lacks a key or has the wrong shapes, or the
            download failed. The message names the file, what was expected and how to fix it.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_mnist("../shared/data/mnist.npz")
        >>> x_train.shape, y_test.dtype
        ((60000, 28, 28), dtype('uint8'))
    """
    from_env = path is None or str(path) == ""
    resolved = resolve_mnist_path(path)
    if resolved is None:
        return _validate(_download(), "downloaded by keras.datasets.mnist")
    where = _origin(resolved, from_env)
    return _validate(_read_npz(resolved, where), where)
