"""The small networks of the reference experiments."""

from __future__ import annotations

import keras


def mlp(n_inputs: int, hidden: int, n_outputs: int, output_activation: str | None,
        dropout: float = 0.0, name: str = "mlp") -> keras.Model:
    """Input -> Dense(hidden, relu, he_uniform) [-> Dropout] -> Dense(n_outputs, activation).

    This is the tutorial's one-hidden-layer network (``he_uniform`` initialisation as there).
    """
    layers = [keras.Input((n_inputs,)),
              keras.layers.Dense(hidden, activation="relu", kernel_initializer="he_uniform")]
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(n_outputs, activation=output_activation, name="output"))
    return keras.Sequential(layers, name=name)


def small_cnn(n_outputs: int, output_activation: str | None, name: str = "cnn") -> keras.Model:
    """28x28x1 -> Conv 16 -> pool -> Conv 32 -> pool -> Dense 64 -> Dense(n_outputs)."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(n_outputs, activation=output_activation, name="output"),
    ], name=name)
