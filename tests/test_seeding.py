import random

import keras
import numpy as np
import pytest
import tensorflow as tf

from refs.utils import seed_everything


def _draw():
    layer = keras.layers.Dense(3)
    layer.build((None, 2))
    return (random.random(), np.random.rand(), float(tf.random.uniform(())),
            keras.ops.convert_to_numpy(layer.kernel).tolist())


def test_same_seed_same_numbers_everywhere():
    seed_everything(123)
    a = _draw()
    seed_everything(123)
    b = _draw()
    seed_everything(124)
    c = _draw()
    assert a == b
    assert a[0] != c[0] and a[1] != c[1] and a[3] != c[3]


@pytest.mark.parametrize("bad", [-1, 1.5, "7", True])
def test_invalid_seed_is_rejected(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        seed_everything(bad)
