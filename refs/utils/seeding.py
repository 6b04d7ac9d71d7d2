"""One call to make a run reproducible."""

from __future__ import annotations

import os
import random

import numpy as np


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed Python's ``random``, NumPy, TensorFlow and Keras with ``seed``.

    Args:
        seed: a non-negative integer.
        deterministic: also turn on TensorFlow op determinism
            (``tf.config.experimental.enable_op_determinism``): the same seed then gives the same
            numbers run after run, at some cost in speed. It cannot be turned off again in the
            same process.

    Example:
        >>> seed_everything(42, deterministic=True)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    import keras
    import tensorflow as tf

    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # inherited by subprocesses
    random.seed(seed)
    np.random.seed(seed % 2**32)
    tf.random.set_seed(seed)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
