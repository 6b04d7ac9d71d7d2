"""Train (or continue) a GAN run: :func:`train`, the library entry point of ``refs.gan.train``.

The GAN brings its networks, data, loss pair and its own epoch-end work (sample grids, FID and
friends); :class:`refs.training.TrainingSession` brings the run directory, the lock, resuming,
the clock, the non-finite stop, logging, the divergence warning and the epoch checkpoint.

A run directory holds ``config.json``, ``metrics.jsonl``, TensorBoard events,
``figures/samples_*.png``, ``samples.gif``, ``checkpoints/ckpt-*.npz``, ``generator.keras`` and
``results.json``.

Example:
    >>> results = train(TrainConfig(epochs=1, fid_samples=0))
    >>> results["generator"]
    'runs/gan/20261202T150000Z/generator.keras'
"""

from __future__ import annotations

import dataclasses
from typing import Any

from refs.gan.config import NUM_CLASSES, RESUME_KEYS, SATURATING_D_LOSSES, TrainConfig

#: |loss| above this for many steps: the run diverges (typical values are 0.1 to 20)
DIVERGENCE_BOUND = 1e4
#: a discriminator log-loss or margin below this for many steps: D wins every step
SATURATION_BOUND = 1e-3


def default_jit(arch: str) -> bool:
    """XLA where it was measured clearly faster (bench/gan_throughput.py): always on a GPU; on a
    CPU for the infogan and lean networks (about 2x). The tutorial's networks stay without it on
    a CPU, where the measured gain is small and inconsistent (1.02x to 1.30x in three
    measurements: XLA runs the large stride-1 Conv2DTranspose faster and the strided layers slower,
    bench/gan_kernel_ceiling.py); ``--jit`` turns it on."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU")) or arch != "tutorial"


def _build(config: TrainConfig, strategy):
    import keras

    from refs.gan.gan import GAN
    from refs.gan.models import build_discriminator, build_generator
    from refs.losses.adversarial import get_loss_pair

    with strategy.scope():
        sync = strategy.num_replicas_in_sync > 1
        classes = NUM_CLASSES if config.conditional else None
        generator = build_generator(config.arch, config.latent_dim, config.width, sync,
                                    num_classes=classes)
        discriminator = build_discriminator(config.arch, config.width,
                                            batch_norm=config.loss != "wgan-gp", synchronized=sync,
                                            num_classes=classes)
        gan = GAN(generator, discriminator, seed=config.seed, name="gan")
        d_loss, g_loss = get_loss_pair(config.loss, config.label_smoothing, config.gp_weight)
        ema = {"use_ema": True, "ema_momentum": config.ema} if config.ema else {}
        gan.compile(
            keras.optimizers.Adam(config.lr, beta_1=config.beta_1),
            keras.optimizers.Adam(config.lr, beta_1=config.beta_1, **ema),
            d_loss, g_loss, jit_compile=config.jit,
        )
        gan.build_optimizers()
    return gan


def _quality_callbacks(session, config: TrainConfig, latent_dim: int) -> list:
    """The GAN's own epoch-end callbacks: the sample grid and (with ``fid_samples``) quality."""
    import numpy as np

    from refs.gan import callbacks as cb

    # a conditional GAN's grid: one row per digit (10 x 10), its evaluation balanced over digits
    grid = 100 if config.conditional else 64
    fixed_noise = np.random.default_rng(config.seed + 1).standard_normal(
        (grid, latent_dim)).astype("float32")
    grid_labels = (np.arange(grid) // 10).astype("int32") if config.conditional else None
    out = [cb.SampleGrid(session.run, fixed_noise, session.counter, guard=session.guard,
                         ncols=10 if config.conditional else 8, labels=grid_labels)]
    if config.fid_samples:
        from refs.gan.metrics import QualityEvaluator

        evaluator = QualityEvaluator.for_mnist(config.data)
        eval_noise = np.random.default_rng(config.seed + 2).standard_normal(
            (config.fid_samples, latent_dim)).astype("float32")
        if config.conditional:
            labels = (np.arange(config.fid_samples) % NUM_CLASSES).astype("int32")
            out.append(cb.QualityCallback(session.run, evaluator.evaluate_conditional,
                                          eval_noise, session.counter, config.fid_every,
                                          guard=session.guard, labels=labels))
        else:
            out.append(cb.QualityCallback(session.run, evaluator.evaluate, eval_noise,
                                          session.counter, config.fid_every,
                                          guard=session.guard))
    return out


def train(config: TrainConfig) -> dict[str, Any]:
    """Train (or continue) a GAN run; returns the results (also in ``results.json``)."""
    from refs.utils.distribute import get_strategy, is_chief, worker_index

    strategy = get_strategy(config.strategy)  # first: multi-worker needs it before other ops
    import keras

    from refs.data import load_mnist
    from refs.errors import DataError
    from refs.gan import callbacks as cb
    from refs.gan.config import DEFAULTS
    from refs.gan.data import batches_per_pass, gan_dataset
    from refs.training import TrainingSession
    from refs.utils import seed_everything

    config = dataclasses.replace(config)
    if config.jit is None:
        config.jit = default_jit(config.arch)
    config.width = config.width or DEFAULTS[config.arch]["width"]
    config.latent_dim = config.latent_dim or DEFAULTS[config.arch]["latent_dim"]
    (x_train, y_train), _ = load_mnist(config.data)
    if config.batch_size > len(x_train):
        raise DataError(f"batch_size {config.batch_size} is larger than the training set "
                        f"({len(x_train)} images)")
    seed_everything(config.seed, deterministic=config.deterministic)
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    chief = is_chief()
    bounds = {"d_loss": (SATURATION_BOUND if config.loss in SATURATING_D_LOSSES else None,
                         DIVERGENCE_BOUND),
              "g_loss": (None, DIVERGENCE_BOUND)}
    with TrainingSession("gan", config.hparams(), run_dir=config.run_dir, name=config.name,
                         resume=config.resume, resume_keys=RESUME_KEYS,
                         loss_keys=("d_loss", "g_loss"), chief=chief,
                         worker=worker_index()) as session:
        gan = _build(config, strategy)
        if session.restore(lambda: cb.checkpoint_groups(gan)):
            # The learning rate in effect is the command's, not the checkpoint's.
            gan.d_optimizer.learning_rate = config.lr
            gan.g_optimizer.learning_rate = config.lr
        per_pass = batches_per_pass(len(x_train), config.batch_size)
        steps_per_epoch = min(config.steps_per_epoch or per_pass, per_pass)
        generator_path = session.path / "generator.keras"
        callbacks = session.callbacks(
            cb.checkpoint_groups, log_every=config.log_every, max_minutes=config.max_minutes,
            divergence_bounds=bounds,
            extra=_quality_callbacks(session, config, config.latent_dim) if chief else (),
            after_save=lambda model: cb.save_generator(model.sampler(), generator_path),
        )
        dataset = gan_dataset(x_train, config.batch_size, seed=config.seed,
                              start_step=session.counter.step,
                              labels=y_train if config.conditional else None)
        if session.counter.epoch < config.epochs:
            gan.fit(dataset, epochs=config.epochs, initial_epoch=session.counter.epoch,
                    steps_per_epoch=steps_per_epoch, callbacks=callbacks,
                    verbose=config.verbose, shuffle=False)
        session.raise_if_failed()
        return _finish(session, gan, generator_path)


def _finish(session, gan, generator_path) -> dict[str, Any]:
    """The final sampler, the GIF of the grids, ``results.json`` and the HParams row."""
    from refs.gan import callbacks as cb
    from refs.gan.sample import grids_to_gif
    from refs.tracking import read_metrics

    results: dict[str, Any] = {}
    if not session.chief:
        return session.finish(results)
    evals = read_metrics(session.path, kind="eval")
    if evals:
        results.update({k: v for k, v in evals[-1].items()
                        if k not in ("kind", "step", "wall_time", "epoch", "train_time_s")})
    results["generator"] = str(cb.save_generator(gan.sampler(), generator_path))
    grids = sorted(session.run.figure_dir.glob("samples_*.png"))
    if grids:
        results["gif"] = str(grids_to_gif(grids, session.path / "samples.gif"))
    return session.finish(results)
