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

Class-conditional networks (``num_classes``, ``--conditional``): the generator takes ``[noise,
label]`` and concatenates a learned label embedding (``LABEL_EMBEDDING`` units) to the noise;
the discriminator takes ``[image, label]`` and is a *projection discriminator* (Miyato & Koyama,
2018): with ``phi(x)`` its last hidden features,

    D(x, y) = w . phi(x) + b + embed(y) . phi(x)

so the label enters as an inner product with the features instead of as an input channel.

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
LABEL_EMBEDDING = 32  # units of the conditional generator's label embedding


def _check_classes(num_classes) -> int | None:
    if num_classes is None:
        return None
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be None (unconditional) or an integer >= 2, got "
                         f"{num_classes!r}")
    return num_classes


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
                    width: int | None = None, synchronized: bool = False,
                    num_classes: int | None = None) -> keras.Model:
    """A generator mapping noise (batch, latent_dim) to images (batch, 28, 28, 1) in [-1, 1];
    with ``num_classes``, ``[noise, labels (batch,) int]`` to images of those classes.

    ``width`` scales the channel counts of ``"lean"`` and ``"infogan"`` (``"tutorial"`` has
    fixed widths: 256, 128, 64 for ``width=64``). ``synchronized`` makes batch norm use the
    global batch's statistics under a distribution strategy (so every replica keeps the same
    moving statistics).
    """
    latent_dim, width = _check(arch, latent_dim, width)
    num_classes = _check_classes(num_classes)
    z = keras.Input((latent_dim,), name="noise")
    inputs, h = z, z
    if num_classes:
        label = keras.Input((), dtype="int32", name="label")
        emb = layers.Embedding(num_classes, LABEL_EMBEDDING, name="label_embedding")(label)
        inputs, h = [z, label], layers.Concatenate(name="noise_and_label")([z, emb])
    if arch == "tutorial":
        x = layers.Dense(7 * 7 * 256, use_bias=False)(h)
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
        x = h
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
    name = f"generator_{arch}" + ("_conditional" if num_classes else "")
    return keras.Model(inputs, out, name=name)


def build_discriminator(arch: str = DEFAULT_ARCH, width: int | None = None,
                        batch_norm: bool = True, synchronized: bool = False,
                        num_classes: int | None = None) -> keras.Model:
    """A discriminator mapping images (batch, 28, 28, 1) to one logit each (batch, 1); with
    ``num_classes``, ``[images, labels]`` to the projection discriminator's logits.

    ``batch_norm=False`` drops the lean and infogan critics' batch norm (a gradient penalty is
    per sample, which batch statistics would break: use it with WGAN-GP); ``synchronized`` as
    in :func:`build_generator`.
    """
    _, width = _check(arch, None, width)
    num_classes = _check_classes(num_classes)
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
    if not num_classes:
        return keras.Model(img, logit, name=f"discriminator_{arch}")
    label = keras.Input((), dtype="int32", name="label")
    features = int(x.shape[-1])
    emb = layers.Embedding(num_classes, features, dtype="float32",
                           embeddings_initializer=keras.initializers.RandomNormal(stddev=0.02),
                           name="label_projection")(label)
    projection = layers.Dot(axes=1, dtype="float32", name="projection")(
        [emb, layers.Activation("linear", dtype="float32")(x)])
    logit = layers.Add(dtype="float32", name="logit_and_projection")([logit, projection])
    return keras.Model([img, label], logit, name=f"discriminator_{arch}_conditional")
