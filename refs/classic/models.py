"""The small networks of the reference experiments."""

from __future__ import annotations

import keras


def positive_rate_logit(y) -> float:
    """``log(p / (1 - p))`` for the positive rate ``p`` of ``y``: the output bias at which a
    sigmoid starts by predicting the class prior (RetinaNet's prior initialisation)."""
    import numpy as np

    p = float(np.clip(np.mean(np.asarray(y) > 0.5), 1e-6, 1 - 1e-6))
    return float(np.log(p / (1.0 - p)))


def mlp(n_inputs: int, hidden: int, n_outputs: int, output_activation: str | None,
        dropout: float = 0.0, name: str = "mlp", output_bias: float | None = None) -> keras.Model:
    """Input -> Dense(hidden, relu, he_uniform) [-> Dropout] -> Dense(n_outputs, activation).

    This is the tutorial's one-hidden-layer network (``he_uniform`` initialisation as there).
    ``output_bias`` sets the output layer's initial bias (see :func:`positive_rate_logit`).
    """
    layers = [keras.Input((n_inputs,)),
              keras.layers.Dense(hidden, activation="relu", kernel_initializer="he_uniform")]
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    bias = "zeros" if output_bias is None else keras.initializers.Constant(output_bias)
    layers.append(keras.layers.Dense(n_outputs, activation=output_activation, name="output",
                                     bias_initializer=bias))
    return keras.Sequential(layers, name=name)


def small_cnn(n_outputs: int, output_activation: str | None, name: str = "cnn") -> keras.Model:
    """28x28x1 -> Conv 8 -> pool -> Conv 16 -> pool -> Dense 32 -> Dense(n_outputs)."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(n_outputs, activation=output_activation, name="output"),
    ], name=name)
