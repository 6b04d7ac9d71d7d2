"""``GAN``: a ``keras.Model`` holding a generator and a discriminator, trained with ``fit()``.

One training step (simultaneous updates, as in the TensorFlow DCGAN tutorial):

1. ``z ~ N(0, I)`` (from the model's own seed generator, so it is part of the checkpoint);
2. ``fake = G(z)``, ``r = D(x)``, ``f = D(fake)`` -- one forward pass serves both players;
3. ``d_loss(r, f)`` (+ ``lambda * gradient_penalty`` for WGAN-GP) and ``g_loss(f)``;
4. both gradients are taken from that pass and each optimizer updates its own network.

A class-conditional GAN (networks built with ``num_classes``, see :mod:`refs.gan.models`) trains
on ``(images, labels)`` batches: the fakes of a step are drawn for the real batch's labels, ``D``
sees each image with its label, and ``generate(noise, labels)`` draws the requested classes.

Logs per step: ``d_loss``, ``g_loss``, ``d_real`` (mean ``sigma(D(x))``), ``d_fake`` (mean
``sigma(D(G(z)))``) and ``g_grad_norm`` (the global norm of the generator's gradient, which shows
the saturation of the minimax loss). The progress bar averages them over the epoch; the epoch logs
are the epoch means.

Example:
    >>> gan = GAN(build_generator(), build_discriminator())
    >>> d_loss, g_loss = get_loss_pair("non-saturating")
    >>> gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5),
    ...             keras.optimizers.Adam(2e-4, beta_1=0.5), d_loss, g_loss)
    >>> gan.fit(gan_dataset(x_train, 128), epochs=1, steps_per_epoch=100)
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from refs.losses import adversarial as gan_losses

METRIC_NAMES = ("d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm")


class _Untracked:
    """A plain holder: Keras does not track what it holds as part of a model."""

    model = None


def is_conditional(generator) -> bool:
    """Whether ``generator`` takes ``[noise, labels]`` (a class-conditional generator)."""
    return len(generator.inputs) == 2


def num_classes_of(generator) -> int | None:
    """The number of classes a conditional generator draws (None when unconditional)."""
    if not is_conditional(generator):
        return None
    return int(generator.get_layer("label_embedding").input_dim)


def generate_images(generator, noise, batch_size: int = 1000, labels=None):
    """``generator(noise)`` (``generator([noise, labels])`` when it is conditional) in inference
    mode, in batches, as a float32 numpy array."""
    import numpy as np

    noise = np.asarray(noise, dtype="float32")
    conditional = is_conditional(generator)
    if conditional and labels is None:
        raise ValueError("this generator is class-conditional: pass labels (one per noise row)")
    if not conditional and labels is not None:
        raise ValueError("this generator is unconditional: it takes no labels")
    if conditional:
        labels = np.asarray(labels)
        classes = num_classes_of(generator)
        if labels.shape != (len(noise),) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels must be {len(noise)} integers (one per noise row), got "
                             f"shape {labels.shape} of {labels.dtype}")
        if labels.size and (labels.min() < 0 or labels.max() >= classes):
            raise ValueError(f"labels must be in [0, {classes - 1}], got values from "
                             f"{labels.min()} to {labels.max()}")
        labels = labels.astype("int32")
    parts = []
    for i in range(0, len(noise), batch_size):
        x = noise[i:i + batch_size]
        x = [x, labels[i:i + batch_size]] if conditional else x
        parts.append(ops.convert_to_numpy(generator(x, training=False)))
    return np.concatenate(parts).astype("float32")


@keras.saving.register_keras_serializable(package="refs.gan")
class GAN(keras.Model):
    """A generator ``G: z -> image`` and a discriminator ``D: image -> logit`` trained together.

    Args:
        generator: a model from (batch, latent_dim) noise to images.
        discriminator: a model from images to (batch, 1) logits.
        seed: seeds the noise the training step draws.
    """

    def __init__(self, generator, discriminator, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(generator.inputs[0].shape[-1])
        self.conditional = is_conditional(generator)
        if self.conditional != (len(discriminator.inputs) == 2):
            raise ValueError("generator and discriminator must both be conditional (built with "
                             "num_classes) or both unconditional")
        self.num_classes = num_classes_of(generator)
        self.noise_seed = keras.random.SeedGenerator(seed, name="noise_seed")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}
        self._ema_copy = _Untracked()  # sampler()'s averaged copy, outside this model's weights
        # Both networks are built; Keras must not try to build the GAN by calling it on a batch
        # of images (its input is noise).
        self.built = True

    def compile(self, d_optimizer, g_optimizer, d_loss, g_loss, jit_compile=True, **kwargs):
        """Set both optimizers and both losses.

        Args:
            d_optimizer, g_optimizer: ``keras.optimizers.Optimizer`` for each network (wrapped
                in a ``LossScaleOptimizer`` under a ``mixed_float16`` policy).
            d_loss: a callable ``(real_logits, fake_logits) -> loss`` (a
                :class:`refs.losses.DiscriminatorLoss`); a ``gradient_penalty_weight``
                attribute > 0 turns on the WGAN-GP penalty.
            g_loss: a callable ``fake_logits -> loss``.
            jit_compile: compile the step with XLA.
        """
        if not callable(d_loss) or not callable(g_loss):
            raise TypeError("d_loss and g_loss must be callables (see refs.losses.adversarial)")
        if keras.config.dtype_policy().name == "mixed_float16":
            if not isinstance(d_optimizer, keras.optimizers.LossScaleOptimizer):
                d_optimizer = keras.optimizers.LossScaleOptimizer(d_optimizer)
            if not isinstance(g_optimizer, keras.optimizers.LossScaleOptimizer):
                g_optimizer = keras.optimizers.LossScaleOptimizer(g_optimizer)
        super().compile(jit_compile=jit_compile, **kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.d_loss = d_loss
        self.g_loss = g_loss
        self.gradient_penalty_weight = float(getattr(d_loss, "gradient_penalty_weight", 0.0))

    @property
    def metrics(self):
        return list(self.trackers.values())

    def build_optimizers(self):
        """Create the optimizers' variables now (before restoring a checkpoint into them)."""
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def call(self, noise, training=False):
        return self.generator(noise, training=training)  # [noise, labels] when conditional

    def generate(self, noise, batch_size: int = 1000, labels=None):
        """Images in [-1, 1] for ``noise`` (and ``labels``, one class per row, when conditional;
        numpy, in batches; inference mode), from :meth:`sampler` (the weight average when the
        generator's optimizer keeps one).

        Calls the generator directly rather than ``predict`` (which, under a multi-worker
        strategy, would wait for the other workers).
        """
        return generate_images(self.sampler(), noise, batch_size, labels=labels)

    def sampler(self):
        """The generator to sample from: ``self.generator``, or, when the generator's
        optimizer keeps an exponential moving average of its weights (Keras's ``use_ema``,
        ``--ema`` in the trainer), a copy of it holding that average.

        The average (``avg <- m avg + (1 - m) w`` after every update, ``avg = w`` after the
        first) is an optimizer variable, so checkpoints carry it; batch-norm statistics, which
        no optimizer updates, are the generator's own. The copy is refreshed on every call and
        is not part of this model's variables.
        """
        optimizer = getattr(self, "g_optimizer", None)
        if optimizer is None or not optimizer.use_ema:
            return self.generator
        averages = getattr(optimizer, "_model_variables_moving_average", None)
        trainable = self.generator.trainable_variables
        if not averages or len(averages) != len(trainable):
            raise RuntimeError("the generator's optimizer has no weight average for its "
                               "variables; call build_optimizers() first")
        if self._ema_copy.model is None:
            self._ema_copy.model = keras.models.clone_model(self.generator)
        by_path = {v.path: a for v, a in zip(trainable, averages)}
        for mine, theirs in zip(self._ema_copy.model.weights, self.generator.weights):
            mine.assign(by_path.get(theirs.path, theirs))
        return self._ema_copy.model

    def _replica_seed(self):
        """The next seed of the noise stream, made distinct per replica (so that replicas of a
        distributed run draw different noise); unchanged on a single device."""
        seed = ops.cast(self.noise_seed.next(), "int64")
        replica = tf.distribute.get_replica_context()
        rid = replica.replica_id_in_sync_group if replica is not None else 0
        return seed + ops.cast(ops.stack([0, rid]), "int64")

    def _d(self, images, labels, training=True):
        """The discriminator's float32 logits for images (and their labels when conditional)."""
        inputs = [images, labels] if self.conditional else images
        return ops.cast(self.discriminator(inputs, training=training), "float32")

    def _gradient_penalty(self, real, fake, labels=None):
        batch = ops.shape(real)[0]
        eps = tf.random.stateless_uniform((batch, 1, 1, 1), seed=self._replica_seed(),
                                          dtype=real.dtype)
        mixed = eps * real + (1.0 - eps) * ops.cast(fake, real.dtype)
        with tf.GradientTape() as tape:
            tape.watch(mixed)
            scores = self._d(mixed, labels)
        grads = tape.gradient(scores, mixed)
        return ops.mean(gan_losses.gradient_penalty(grads))

    def train_step(self, data):
        labels = None
        if isinstance(data, (tuple, list)):
            real = data[0]
            labels = data[1] if len(data) > 1 and self.conditional else None
        else:
            real = data
        if self.conditional and labels is None:
            raise ValueError("a conditional GAN trains on (images, labels) batches")
        if labels is not None:
            labels = ops.cast(ops.reshape(labels, (-1,)), "int32")
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        batch = ops.shape(real)[0]
        noise = tf.random.stateless_normal((batch, self.latent_dim), seed=self._replica_seed())
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generator([noise, labels] if self.conditional else noise, training=True)
            real_logits = self._d(real, labels)
            fake_logits = self._d(fake, labels)
            d_loss = self.d_loss(real_logits, fake_logits)
            if self.gradient_penalty_weight > 0:
                d_loss = d_loss + self.gradient_penalty_weight * self._gradient_penalty(
                    real, fake, labels)
            g_loss = self.g_loss(fake_logits)
            d_scaled = self.d_optimizer.scale_loss(d_loss / replicas)
            g_scaled = self.g_optimizer.scale_loss(g_loss / replicas)
        d_vars = self.discriminator.trainable_variables
        g_vars = self.generator.trainable_variables
        d_grads = d_tape.gradient(d_scaled, d_vars)
        g_grads = g_tape.gradient(g_scaled, g_vars)
        self.d_optimizer.apply(d_grads, d_vars)
        self.g_optimizer.apply(g_grads, g_vars)
        g_norm = tf.linalg.global_norm([ops.cast(g, "float32") for g in g_grads])
        if isinstance(self.g_optimizer, keras.optimizers.LossScaleOptimizer):
            g_norm = g_norm / ops.cast(self.g_optimizer.dynamic_scale, "float32")
        values = {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": ops.mean(ops.sigmoid(real_logits)),
            "d_fake": ops.mean(ops.sigmoid(fake_logits)),
            "g_grad_norm": g_norm * replicas,
        }
        for name, value in values.items():
            self.trackers[name].update_state(value)
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Keras reduces per-replica outputs across workers with reduce("MEAN", axis=0),
            # which needs a leading axis; the result is a scalar again.
            values = {name: ops.reshape(value, (1,)) for name, value in values.items()}
        # Per-batch logs are this step's values (the progress bar averages them); Keras replaces
        # them by the trackers' epoch means at the end of an epoch (same keys).
        return values

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        generator = keras.saving.deserialize_keras_object(config.pop("generator"))
        discriminator = keras.saving.deserialize_keras_object(config.pop("discriminator"))
        return cls(generator, discriminator, **config)
