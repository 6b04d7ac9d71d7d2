"""The MNIST input pipeline for GAN training: an endless, resumable stream of shuffled batches.

Images are scaled to [-1, 1] (the generator's tanh range) and shaped (28, 28, 1). Pass *k* of
the data (0-based) is shuffled with a permutation drawn from the stateless seed ``(seed, k)``,
so the batch at global step ``s`` is a pure function of ``(seed, s)``: a resumed run sees
exactly the batches an uninterrupted one would (``start_step``), and nothing shuffles with a
stateful RNG. ``tf.data`` batches and prefetches.

Example:
    >>> ds = gan_dataset(x_train, batch_size=128, seed=0)
    >>> next(iter(ds)).shape
    TensorShape([128, 28, 28, 1])
"""

from __future__ import annotations

import numpy as np


def scale_images(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) in [0, 255] -> float32 (N, 28, 28, 1) in [-1, 1]."""
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W), got {images.shape}")
    return (images.astype(np.float32)[..., None] - 127.5) / 127.5


def batches_per_pass(num_images: int, batch_size: int) -> int:
    """Full batches in one pass over the data (the last partial batch is dropped)."""
    if batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if num_images < batch_size:
        raise ValueError(f"need at least batch_size={batch_size} images, got {num_images}")
    return num_images // batch_size


def gan_dataset(images: np.ndarray, batch_size: int, seed: int = 0, start_step: int = 0,
                repeat: bool = True, labels: np.ndarray | None = None):
    """An endless (``repeat``) ``tf.data.Dataset`` of image batches, (batch, 28, 28, 1) float32;
    with ``labels`` (N,) (a conditional GAN), of ``(images, labels (batch,) int32)`` pairs.

    Args:
        images: uint8 (N, 28, 28) (MNIST ``x_train``).
        batch_size: images per batch (partial batches are dropped).
        seed: seeds the per-pass permutations.
        start_step: skip this many batches (the global step a resumed run starts from).
        repeat: ``False`` gives one pass only.
    """
    import tensorflow as tf

    data = tf.constant(scale_images(images))
    n = int(data.shape[0])
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (n,):
            raise ValueError(f"labels must have shape ({n},) (one per image), got {labels.shape}")
        classes = tf.constant(labels.astype(np.int32))
    per_pass = batches_per_pass(n, batch_size)
    if start_step < 0:
        raise ValueError(f"start_step must be >= 0, got {start_step}")
    first_pass, skip = divmod(int(start_step), per_pass)

    def one_pass(k):
        pass_seed = tf.stack([tf.constant(seed, tf.int64), k])
        order = tf.argsort(tf.random.stateless_uniform([n], seed=pass_seed))
        return tf.data.Dataset.from_tensor_slices(order[: per_pass * batch_size])

    passes = tf.data.Dataset.range(first_pass, first_pass + 1 if not repeat else 2**62)
    ds = passes.flat_map(one_pass).batch(batch_size, drop_remainder=True).skip(skip)
    if labels is None:
        ds = ds.map(lambda idx: tf.gather(data, idx), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(lambda idx: (tf.gather(data, idx), tf.gather(classes, idx)),
                    num_parallel_calls=tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    options.deterministic = True
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)
