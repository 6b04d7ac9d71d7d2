"""Train a DCGAN on MNIST: ``python -m refs.gan.train`` (see ``--help``).

Only the command line lives here: it parses flags into a :class:`refs.gan.config.TrainConfig`
and calls :func:`refs.gan.trainer.train`. Training into a directory that already holds a
checkpoint continues from it; ``--resume`` alone continues the newest run under ``runs/gan``
with its saved settings (a flag given with another value than the run's is an error).
``--help`` and argument errors answer without importing TensorFlow.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from refs.cli import (
    build_config,
    explicit_dests,
    import_tensorflow_quietly,
    make_parser,
    non_negative_int,
    open_unit_float,
    positive_float,
    positive_int,
    run_cli,
    unit_float,
)
from refs.gan.config import ARCHS, DEFAULT_ARCH, LOSS_NAMES, RESUME_KEYS, TrainConfig
from refs.utils.distribute import STRATEGIES

__all__ = ["TrainConfig", "build_parser", "main", "train"]


def train(config: TrainConfig) -> dict[str, Any]:
    """:func:`refs.gan.trainer.train` (kept here for scripts written against this module)."""
    from refs.gan.trainer import train as run

    return run(config)


def fid_samples(text: str) -> int:
    """``--fid-samples``: 0 (off) or at least 2."""
    import argparse

    value = non_negative_int(text)
    if value == 1:
        raise argparse.ArgumentTypeError("expected 0 (off) or at least 2 (a covariance needs "
                                         "two samples), got 1")
    return value


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
    g.add_argument("--conditional", action="store_true",
                   help="class-conditional GAN: a label embedding in G and a projection "
                        "discriminator (Miyato & Koyama 2018); sample digits with "
                        "'python -m refs.gan.sample RUN --digit D'")
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
    g.add_argument("--fid-samples", type=fid_samples, default=TrainConfig.fid_samples,
                   help="generated images for the per-epoch FID/score/KID (0: off)")
    g.add_argument("--fid-every", type=positive_int, default=1, help="evaluate every N epochs")
    g.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                   help="Keras fit verbosity: 0 silent, 1 progress bar, 2 one line per epoch")
    g.add_argument("--log-every", type=non_negative_int, default=10,
                   help="log step scalars every N steps (0: off)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    config = build_config(TrainConfig, vars(args))
    from refs.training.resume import settings_to_continue

    config = settings_to_continue("gan", config, explicit_dests(parser, argv), RESUME_KEYS)
    import_tensorflow_quietly()
    results = train(config)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    run_cli(main)
