"""Generator and discriminator builders for 28x28x1 images (MNIST).

Three architectures:

- ``"tutorial"``: exactly the TensorFlow DCGAN tutorial's networks. Generator: noise (100) ->
  Dense 7*7*256 (no bias) -> BN -> LeakyReLU -> Conv2DTranspose 128 (5x5, stride 1) -> BN ->
  LeakyReLU -> Conv2DTranspose 64 (5x5, stride 2) -> BN -> LeakyReLU -> Conv2DTranspose 1 (5x5,
  stride 2, tanh). Discriminator: Conv2D 64 (5x5, stride 2) -> LeakyReLU -> Dropout 0.3 ->
  Conv2D 128 (5x5, stride 2) -> LeakyReLU -> Dropout 0.3 -> Flatten -> Dense 1 (a logit).
- ``"lean"``: the DCGAN recipe with about a third of the tutorial's FLOPs. Generator: noise ->
  Dense 7*7*(2w) -> BN -> ReLU -> Conv2DTranspose w (4x4, stride 2) -> BN -> ReLU ->
  Conv2DTranspose 1 (4x4, stride 2, tanh). Discriminator: Conv2D w (4x4, stride 2) ->
  LeakyReLU(0.2) -> Conv2D 2w (4x4, stride 2) -> BN -> LeakyReLU(0.2) -> Flatten -> Dense 1.
  ``w`` is ``width`` (default 64).
- ``"infogan"`` (the default): the MNIST networks of the InfoGAN paper (Chen et al., 2016,
  appendix C.1; without its mutual-information head), chosen for time to quality on a CPU (see
  docs/benchmarks.md). ``"lean"`` with a fully connected layer of ``16 w`` units after the noise
  in the generator (Dense -> BN -> ReLU) and before the logit in the discriminator (Dense -> BN
  -> LeakyReLU(0.2)): 1024 units at the default ``w = 64``, about 6.6M parameters each.

Images are in [-1, 1] (tanh); the discriminator outputs one unbounded logit per image.

Example:
    >>> g = build_generator("lean", latent_dim=64, width=32)
    >>> d = build_discriminator("lean", width=32)
    >>> d(g(keras.random.normal((2, 64)))).shape
    (2, 1)
"""

from __future__ import annotations

import keras
from keras import layers

from refs.gan.config import ARCHS, DEFAULT_ARCH, DEFAULTS  # noqa: F401 - re-exported

IMAGE_SHAPE = (28, 28, 1)
FC_UNITS_PER_WIDTH = 16  # "infogan": fully connected units = 16 * width


def _check(arch: str, latent_dim: int | None, width: int | None) -> tuple[int, int]:
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {ARCHS}, got {arch!r}")
    latent_dim = DEFAULTS[arch]["latent_dim"] if latent_dim is None else latent_dim
    width = DEFAULTS[arch]["width"] if width is None else width
    for name, value in (("latent_dim", latent_dim), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if arch == "tutorial" and width != 64:
        raise ValueError(f"arch 'tutorial' has fixed widths; width must be 64, got {width}")
    return latent_dim, width


def build_generator(arch: str = DEFAULT_ARCH, latent_dim: int | None = None,
                    width: int | None = None, synchronized: bool = False) -> keras.Model:
    """A generator mapping noise (batch, latent_dim) to images (batch, 28, 28, 1) in [-1, 1].

    ``width`` scales the channel counts of ``"lean"`` and ``"infogan"`` (``"tutorial"`` has
    fixed widths: 256, 128, 64 for ``width=64``). ``synchronized`` makes batch norm use the
    global batch's statistics under a distribution strategy (so every replica keeps the same
    moving statistics).
    """
    latent_dim, width = _check(arch, latent_dim, width)
    z = keras.Input((latent_dim,), name="noise")
    if arch == "tutorial":
        x = layers.Dense(7 * 7 * 256, use_bias=False)(z)
        x = layers.BatchNormalization(synchronized=synchronized)(x)
        x = layers.LeakyReLU()(x)
        x = layers.Reshape((7, 7, 256))(x)
        for filters, stride in ((128, 1), (64, 2)):
            x = layers.Conv2DTranspose(filters, 5, strides=stride, padding="same",
                                       use_bias=False)(x)
            x = layers.BatchNormalization(synchronized=synchronized)(x)
            x = layers.LeakyReLU()(x)
        out = layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False,
                                     activation="tanh")(x)
    else:
        x = z
        if arch == "infogan":
            x = layers.Dense(FC_UNITS_PER_WIDTH * width, use_bias=False)(x)
            x = layers.BatchNormalization(synchronized=synchronized)(x)
            x = layers.ReLU()(x)
        x = layers.Dense(7 * 7 * 2 * width, use_bias=False)(x)
        x = layers.BatchNormalization(synchronized=synchronized)(x)
        x = layers.ReLU()(x)
        x = layers.Reshape((7, 7, 2 * width))(x)
        x = layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(synchronized=synchronized)(x)
        x = layers.ReLU()(x)
        out = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh")(x)
    # Keep the output float32 under mixed precision (tanh range, losses, image logging).
    out = layers.Activation("linear", dtype="float32", name="image")(out)
    return keras.Model(z, out, name=f"generator_{arch}")


def build_discriminator(arch: str = DEFAULT_ARCH, width: int | None = None,
                        batch_norm: bool = True, synchronized: bool = False) -> keras.Model:
    """A discriminator mapping images (batch, 28, 28, 1) to one logit each (batch, 1).

    ``batch_norm=False`` drops the lean and infogan critics' batch norm (a gradient penalty is
    per sample, which batch statistics would break: use it with WGAN-GP); ``synchronized`` as
    in :func:`build_generator`.
    """
    _, width = _check(arch, None, width)
    img = keras.Input(IMAGE_SHAPE, name="image")
    if arch == "tutorial":
        x = img
        for filters in (64, 128):
            x = layers.Conv2D(filters, 5, strides=2, padding="same")(x)
            x = layers.LeakyReLU()(x)
            x = layers.Dropout(0.3)(x)
        x = layers.Flatten()(x)
    else:
        x = layers.Conv2D(width, 4, strides=2, padding="same")(img)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.Conv2D(2 * width, 4, strides=2, padding="same", use_bias=not batch_norm)(x)
        if batch_norm:
            x = layers.BatchNormalization(synchronized=synchronized)(x)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.Flatten()(x)
        if arch == "infogan":
            x = layers.Dense(FC_UNITS_PER_WIDTH * width, use_bias=not batch_norm)(x)
            if batch_norm:
                x = layers.BatchNormalization(synchronized=synchronized)(x)
            x = layers.LeakyReLU(0.2)(x)
    logit = layers.Dense(1, dtype="float32", name="logit")(x)
    return keras.Model(img, logit, name=f"discriminator_{arch}")
