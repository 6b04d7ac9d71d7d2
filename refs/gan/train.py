"""Train a DCGAN on MNIST: ``python -m refs.gan.train`` (see ``--help``).

The library entry point is :func:`train` (tests and scripts call it); the CLI only parses flags
into a :class:`TrainConfig`. A run directory holds ``config.json``, ``metrics.jsonl``, TensorBoard
events, ``figures/samples_*.png``, ``samples.gif``, ``checkpoints/ckpt-*.npz``,
``generator.keras`` and ``results.json``. Training into a directory that already holds a
checkpoint continues from it (``--resume`` alone continues the newest run under ``runs/gan``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from refs.cli import (
    make_parser,
    non_negative_int,
    open_unit_float,
    positive_float,
    positive_int,
    run_cli,
    unit_float,
)
from refs.errors import TrainingError, UsageError
from refs.gan.losses import LOSS_NAMES
from refs.gan.models import ARCHS, DEFAULT_ARCH
from refs.utils.checkpoint import check_resumable, latest_run_with_checkpoint
from refs.utils.distribute import STRATEGIES

AREA = "gan"
# Settings that must not change when a run is continued.
_RESUME_KEYS = ("arch", "width", "latent_dim", "loss", "batch_size", "seed", "ema")


@dataclasses.dataclass
class TrainConfig:
    """Everything a GAN run depends on (recorded in ``config.json``)."""

    arch: str = DEFAULT_ARCH
    width: int | None = None
    latent_dim: int | None = None
    loss: str = "non-saturating"
    lr: float = 2e-4
    beta_1: float = 0.5
    ema: float | None = None  # decay of the generator's weight average (None: no average)
    label_smoothing: float = 0.0
    gp_weight: float = 10.0
    epochs: int = 4
    batch_size: int = 64
    steps_per_epoch: int | None = None
    seed: int = 0
    deterministic: bool = False
    jit: bool | None = None  # None: default_jit(arch)
    mixed_precision: bool = False
    strategy: str = "default"
    fid_samples: int = 10000
    fid_every: int = 1
    log_every: int = 10
    run_dir: str | None = None
    name: str | None = None
    data: str | None = None
    resume: bool = False
    max_minutes: float | None = None
    verbose: int = 1

    def hparams(self) -> dict[str, Any]:
        skip = ("run_dir", "name", "data", "resume", "verbose", "max_minutes")
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in skip}


def default_jit(arch: str) -> bool:
    """XLA where it was measured clearly faster (bench/gan_throughput.py): always on a GPU; on a
    CPU for the infogan and lean networks (about 2x). The tutorial's networks stay without it on
    a CPU, where the measured gain is small and inconsistent (1.02x to 1.30x in three
    measurements: XLA runs the large stride-1 Conv2DTranspose faster and the strided layers slower,
    bench/gan_kernel_ceiling.py); ``--jit`` turns it on."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU")) or arch != "tutorial"


def train(config: TrainConfig) -> dict[str, Any]:
    """Train (or continue) a GAN run; returns the results (also in ``results.json``)."""
    from refs.utils.distribute import get_strategy, is_chief, worker_index

    strategy = get_strategy(config.strategy)  # first: multi-worker needs it before other ops
    import keras
    import numpy as np

    from refs.data import load_mnist
    from refs.gan import callbacks as cb
    from refs.gan.data import batches_per_pass, gan_dataset
    from refs.gan.gan import GAN
    from refs.gan.losses import get_loss_pair
    from refs.gan.models import DEFAULTS, build_discriminator, build_generator
    from refs.tracking import Run, TrackingCallback
    from refs.utils import seed_everything
    from refs.utils.checkpoint import CheckpointManager

    config = dataclasses.replace(config)
    if config.jit is None:
        config.jit = default_jit(config.arch)
    config.width = config.width or DEFAULTS[config.arch]["width"]
    config.latent_dim = config.latent_dim or DEFAULTS[config.arch]["latent_dim"]
    seed_everything(config.seed, deterministic=config.deterministic)
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    chief = is_chief()
    run_dir = config.run_dir
    if config.resume and run_dir is None:
        run_dir = str(latest_run_with_checkpoint(Path("runs") / AREA))
    run = Run(AREA, name=config.name, run_dir=run_dir, config=config.hparams(), enabled=chief)
    manager = CheckpointManager(run.path / "checkpoints")

    (x_train, _), _ = load_mnist(config.data)
    per_pass = batches_per_pass(len(x_train), config.batch_size)
    steps_per_epoch = min(config.steps_per_epoch or per_pass, per_pass)

    with strategy.scope():
        sync = strategy.num_replicas_in_sync > 1
        generator = build_generator(config.arch, config.latent_dim, config.width, sync)
        discriminator = build_discriminator(config.arch, config.width,
                                            batch_norm=config.loss != "wgan-gp", synchronized=sync)
        gan = GAN(generator, discriminator, seed=config.seed, name="gan")
        d_loss, g_loss = get_loss_pair(config.loss, config.label_smoothing, config.gp_weight)
        ema = {"use_ema": True, "ema_momentum": config.ema} if config.ema else {}
        gan.compile(
            keras.optimizers.Adam(config.lr, beta_1=config.beta_1),
            keras.optimizers.Adam(config.lr, beta_1=config.beta_1, **ema),
            d_loss, g_loss, jit_compile=config.jit,
        )
        gan.build_optimizers()

    meta: dict[str, Any] = {"epoch": 0, "step": 0, "train_time_s": 0.0}
    if manager.latest() is not None:
        _, saved_meta = CheckpointManager.read(manager.latest())
        check_resumable(saved_meta.get("config", {}), dataclasses.asdict(config), _RESUME_KEYS,
                        run.path)
        try:
            meta = manager.restore(cb.checkpoint_groups(gan))
        except ValueError as exc:
            raise TrainingError(str(exc)) from None
        # The learning rate in effect is the command's, not the checkpoint's.
        gan.d_optimizer.learning_rate = config.lr
        gan.g_optimizer.learning_rate = config.lr
        print(f"continuing {run.path} from epoch {meta['epoch']} (step {meta['step']})",
              file=sys.stderr)

    fixed_noise = np.random.default_rng(config.seed + 1).standard_normal(
        (64, config.latent_dim)).astype("float32")
    counter = cb.StepCounter(meta["step"], meta["train_time_s"], meta["epoch"])
    guard = cb.NonFiniteGuard(counter)
    callbacks: list = [counter, guard, cb.StepLogger(run, counter, config.log_every)]
    if config.max_minutes:
        callbacks.append(cb.TimeBudget(counter, 60.0 * config.max_minutes))
    quality = None
    if chief:
        callbacks += [TrackingCallback(run, initial_epoch=meta["epoch"]),
                      cb.SampleGrid(run, fixed_noise, guard=guard)]
        if config.fid_samples:
            from refs.gan.metrics import QualityEvaluator

            evaluator = QualityEvaluator.for_mnist(config.data)
            eval_noise = np.random.default_rng(config.seed + 2).standard_normal(
                (config.fid_samples, config.latent_dim)).astype("float32")
            quality = cb.QualityCallback(run, evaluator.evaluate, eval_noise, counter,
                                         config.fid_every, guard=guard)
            callbacks.append(quality)
    # Non-chief workers keep their own copy aside (it must equal the chief's; the multi-worker
    # test compares them); every worker restores from the chief's.
    save_manager = manager if chief else CheckpointManager(
        run.path / f"worker-{worker_index()}" / "checkpoints", keep=1)
    checkpoint = cb.EpochCheckpoint(
        save_manager, counter, guard,
        run.path / "generator.keras" if chief else None,
        meta={"config": config.hparams()},
    )
    callbacks.append(checkpoint)

    dataset = gan_dataset(x_train, config.batch_size, seed=config.seed, start_step=meta["step"])
    if meta["epoch"] < config.epochs:
        gan.fit(dataset, epochs=config.epochs, initial_epoch=meta["epoch"],
                steps_per_epoch=steps_per_epoch, callbacks=callbacks, verbose=config.verbose,
                shuffle=False)
    if guard.failure is not None:
        run.log_text("failure", guard.failure, step=counter.step)
        run.close()
        kept = manager.latest()
        raise TrainingError(
            f"{guard.failure}; stopped. Last good checkpoint: "
            f"{kept if kept else 'none (failed in the first epoch)'}"
        )

    results = _finish(run, gan, config, counter, quality, fixed_noise, chief)
    run.close()
    return results


def _finish(run, gan, config, counter, quality, fixed_noise, chief) -> dict[str, Any]:
    import resource

    from refs.gan import callbacks as cb
    from refs.gan.sample import grids_to_gif
    from refs.tracking import read_metrics

    results: dict[str, Any] = {
        "run_dir": str(run.path),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "epochs": counter.epoch,
        "steps": counter.step,
        "train_time_s": round(counter.train_time, 2),
    }
    evals = read_metrics(run.path, kind="eval") if chief else []
    if evals:
        results.update({k: v for k, v in evals[-1].items()
                        if k not in ("kind", "step", "wall_time", "epoch")})
    if not chief:
        return results
    generator_path = cb.save_generator(gan.sampler(), run.path / "generator.keras")
    results["generator"] = str(generator_path)
    grids = sorted(run.figure_dir.glob("samples_*.png"))
    if grids:
        results["gif"] = str(grids_to_gif(grids, run.path / "samples.gif"))
    final = {k: float(v) for k, v in results.items()
             if isinstance(v, (int, float)) and k not in ("epochs",)}
    run.log_hparams(config.hparams(), final)
    (run.path / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


def build_parser():
    parser = make_parser("python -m refs.gan.train", "Train a DCGAN on MNIST.",
                         epochs=TrainConfig.epochs, batch_size=TrainConfig.batch_size)
    g = parser.add_argument_group("GAN options")
    g.add_argument("--arch", choices=ARCHS, default=DEFAULT_ARCH,
                   help="networks: 'infogan' (the default: best time to quality on a CPU), "
                        "'lean' (the same without the fully connected layers) or 'tutorial' "
                        "(the TF DCGAN tutorial's)")
    g.add_argument("--width", type=positive_int, default=None,
                   help="base channel count of 'infogan' and 'lean' (default 64)")
    g.add_argument("--latent-dim", type=positive_int, default=None,
                   help="noise size (default: 64, 100 for tutorial)")
    g.add_argument("--loss", choices=LOSS_NAMES, default="non-saturating", help="GAN loss pair")
    g.add_argument("--lr", type=positive_float, default=TrainConfig.lr, help="Adam learning rate")
    g.add_argument("--beta-1", type=unit_float, default=TrainConfig.beta_1, help="Adam beta_1")
    g.add_argument("--ema", type=open_unit_float, default=None, metavar="DECAY",
                   help="sample (grids, FID, generator.keras) from an exponential moving "
                        "average of the generator's weights with this decay, e.g. 0.999 "
                        "(default: the generator itself)")
    g.add_argument("--label-smoothing", type=unit_float, default=0.0,
                   help="one-sided label smoothing of D's real targets (minimax losses)")
    g.add_argument("--gp-weight", type=positive_float, default=10.0,
                   help="gradient-penalty weight (wgan-gp)")
    g.add_argument("--steps-per-epoch", type=positive_int, default=None,
                   help="cap an epoch at this many steps (quick runs)")
    g.add_argument("--max-minutes", type=positive_float, default=None,
                   help="stop after this many minutes of training (time-to-quality runs)")
    g.add_argument("--resume", action="store_true",
                   help="continue the newest run under runs/gan (or --run-dir's)")
    g.add_argument("--strategy", choices=STRATEGIES, default="default",
                   help="tf.distribute strategy (multi-worker reads TF_CONFIG)")
    g.add_argument("--jit", dest="jit", action="store_true", default=None,
                   help="compile the train step with XLA (default: where measured faster: "
                        "GPU, or --arch infogan/lean on CPU)")
    g.add_argument("--no-jit", dest="jit", action="store_false",
                   help="do not compile the train step with XLA")
    g.add_argument("--mixed-precision", action="store_true",
                   help="mixed_float16 compute (for GPUs)")
    g.add_argument("--fid-samples", type=non_negative_int, default=TrainConfig.fid_samples,
                   help="generated images for the per-epoch FID/score/KID (0: off)")
    g.add_argument("--fid-every", type=positive_int, default=1, help="evaluate every N epochs")
    g.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                   help="Keras fit verbosity: 0 silent, 1 progress bar, 2 one line per epoch")
    g.add_argument("--log-every", type=non_negative_int, default=10,
                   help="log step scalars every N steps (0: off)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = TrainConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
                            if hasattr(args, f.name)})
    if config.arch == "tutorial" and config.width not in (None, 64):
        raise UsageError("--width applies to --arch infogan and lean only (the tutorial's "
                         "widths are fixed)")
    if config.label_smoothing and config.loss not in ("minimax", "non-saturating"):
        raise UsageError("--label-smoothing applies to --loss minimax/non-saturating only")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    results = train(config)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    run_cli(main)
