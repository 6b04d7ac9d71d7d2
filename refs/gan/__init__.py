"""refs.gan: the minimax GAN losses at work in a GAN on MNIST, measured by FID.

Read the files in this order:

1. :mod:`~refs.gan.config` - :class:`TrainConfig`, the ``--loss`` and ``--arch`` names (the loss
   pairs themselves are :mod:`refs.losses.adversarial`).
2. :mod:`~refs.gan.models` - the generator and discriminator of each ``--arch`` (the default:
   InfoGAN's MNIST networks); :mod:`~refs.gan.data` - MNIST as a ``tf.data`` stream in [-1, 1].
3. :mod:`~refs.gan.gan` - the ``keras.Model`` holding both networks, its ``train_step`` and the
   optional weight average of G.
4. :mod:`~refs.gan.classifier`, :mod:`~refs.gan.metrics` - the MNIST feature classifier, FID,
   classifier score and KID against the real-data floor.
5. :mod:`~refs.gan.callbacks` - the GAN's own epoch-end work (sample grids, quality);
   :mod:`~refs.gan.trainer` - :func:`train` on :mod:`refs.training`'s shared layer.

Commands: ``python -m refs.gan.train`` and ``python -m refs.gan.sample RUN_DIR --n N --out F.npz``.
"""
