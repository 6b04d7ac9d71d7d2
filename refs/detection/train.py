"""Train the detector: ``python -m refs.detection.train`` (see ``--help``).

Only the command line lives here: it parses flags into a
:class:`refs.detection.config.TrainConfig` and calls :func:`refs.detection.trainer.train`.
Defaults train on the synthetic MNIST canvases; ``--coco FILE --coco-images DIR`` trains on a
user's COCO-format dataset instead (the last 10 % of its images are the validation split).
Training into a directory that already holds a checkpoint continues from it; ``--resume`` alone
continues the newest run under ``runs/detection`` with its saved settings. ``--help`` and
argument errors answer without importing TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from refs.cli import (
    build_config,
    explicit_dests,
    import_tensorflow_quietly,
    make_parser,
    non_negative_int,
    positive_float,
    positive_int,
    run_cli,
    unit_float,
)
from refs.detection.config import (
    ASSIGNERS,
    BACKGROUNDS,
    BOX_LOSSES,
    CLS_LOSSES,
    DISTRIBUTIONS,
    HEAD_NORMS,
    INPUT_NORMS,
    RESUME_KEYS,
    TrainConfig,
)
from refs.utils.distribute import STRATEGIES

__all__ = ["TrainConfig", "build_parser", "main", "train"]


def train(config: TrainConfig) -> dict[str, Any]:
    """:func:`refs.detection.trainer.train` (kept here for scripts written against this module)."""
    from refs.detection.trainer import train as run

    return run(config)


def _float_list(text: str) -> tuple[float, ...]:
    import argparse

    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") \
            from None
    if not values or any(not (v > 0 and math.isfinite(v)) for v in values):
        raise argparse.ArgumentTypeError(f"expected positive numbers, got {text!r}")
    return values


def build_parser():
    d = TrainConfig()
    parser = make_parser("python -m refs.detection.train",
                         "Train a small RetinaNet-style detector with focal loss (synthetic MNIST "
                         "canvases by default).", epochs=d.epochs, batch_size=d.batch_size)
    g = parser.add_argument_group("detection options")
    g.add_argument("--cls-loss", choices=CLS_LOSSES, default=d.cls_loss,
                   help="classification loss: sigmoid focal loss or plain BCE")
    g.add_argument("--gamma", type=float, default=d.gamma, help="focal loss gamma (>= 0)")
    g.add_argument("--alpha", type=float, default=d.alpha, help="focal loss alpha in [0, 1]")
    g.add_argument("--no-prior-init", action="store_true",
                   help="initialise the class bias to 0 (p = 0.5) instead of the prior 0.01")
    g.add_argument("--box-loss", choices=BOX_LOSSES, default=d.box_loss,
                   help="box regression loss (Huber on offsets, or 1 - GIoU)")
    g.add_argument("--lr", type=positive_float, default=d.lr, help="peak learning rate (AdamW)")
    g.add_argument("--train-images", type=positive_int, default=d.train_images,
                   help="synthetic training canvases")
    g.add_argument("--val-images", type=positive_int, default=d.val_images,
                   help="synthetic validation canvases (mAP each epoch)")
    g.add_argument("--test-images", type=positive_int, default=d.test_images,
                   help="synthetic test canvases (final COCO mAP)")
    g.add_argument("--distribution", choices=DISTRIBUTIONS, default=d.distribution,
                   help="training canvases: 'wide' (sizes, clutter, noise and backgrounds drawn "
                        "per canvas) or 'canonical' (the test canvases' settings)")
    g.add_argument("--canonical-fraction", type=unit_float, default=d.canonical_fraction,
                   help="share of 'wide' training canvases drawn with the canonical settings")
    g.add_argument("--clutter-fraction", type=unit_float, default=d.clutter_fraction,
                   help="share of 'wide' training canvases that are cluttered (any overlap, "
                        "nesting)")
    g.add_argument("--background", choices=BACKGROUNDS, default=d.background,
                   help="background model of 'wide' training canvases ('mixed': black, flat, "
                        "bright, gradient or texture)")
    g.add_argument("--input-norm", choices=INPUT_NORMS, default=d.input_norm,
                   help="input normalisation: 'median' removes each image's median background "
                        "level (robust to grey backgrounds), 'none' feeds the pixels as they are")
    g.add_argument("--head-norm", choices=HEAD_NORMS, default=d.head_norm,
                   help="normalisation in the shared heads: none (RetinaNet) or group (FCOS)")
    g.add_argument("--min-scale", type=positive_float, default=d.min_scale,
                   help="smallest digit (longer ink side, pixels) on training canvases")
    g.add_argument("--max-scale", type=positive_float, default=d.max_scale,
                   help="largest digit (longer ink side, pixels) on training canvases")
    g.add_argument("--max-digits", type=positive_int, default=d.max_digits,
                   help="most digits on one training canvas")
    g.add_argument("--assigner", choices=ASSIGNERS, default=d.assigner,
                   help="anchor matching: IoU thresholds (0.5 / 0.4) or ATSS")
    g.add_argument("--steps-per-epoch", type=positive_int, default=None,
                   help="cap the optimizer steps per epoch")
    g.add_argument("--max-minutes", type=positive_float, default=None,
                   help="stop training after this much wall time")
    g.add_argument("--aspect-ratios", type=_float_list, default=d.aspect_ratios,
                   help="anchor aspect ratios w/h, comma-separated")
    g.add_argument("--anchor-scales", type=_float_list, default=d.scales,
                   help="anchor scale multipliers, comma-separated")
    g.add_argument("--coco", default=None, help="train on this COCO annotations JSON instead")
    g.add_argument("--coco-images", default=None, help="the images folder of --coco")
    g.add_argument("--log-every", type=non_negative_int, default=d.log_every,
                   help="log step metrics every N steps (0: off)")
    g.add_argument("--strategy", choices=STRATEGIES, default=d.strategy,
                   help="tf.distribute strategy (multi-worker reads TF_CONFIG)")
    g.add_argument("--resume", action="store_true",
                   help="continue the newest run under runs/detection (or --run-dir)")
    return parser


#: flags whose config field has another name (dest -> field)
_FIELD_OF = {"anchor_scales": "scales"}


def config_from_args(args) -> TrainConfig:
    """The :class:`TrainConfig` of parsed arguments (a bad value: ``UsageError``, exit 2)."""
    values = {_FIELD_OF.get(k, k): v for k, v in vars(args).items()}
    values["prior"] = None if values.pop("no_prior_init") else TrainConfig.prior
    return build_config(TrainConfig, values)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    config = config_from_args(args)
    from refs.training.resume import settings_to_continue

    explicit = {_FIELD_OF.get(d, d) for d in explicit_dests(parser, argv)}
    if "no_prior_init" in explicit:
        explicit.add("prior")
    config = settings_to_continue("detection", config, explicit, RESUME_KEYS)
    import_tensorflow_quietly()
    results = train(config)
    test = results.get("test") or results.get("val") or {}
    print(f"run: {results['run_dir']}  epochs: {results['epochs']}  "
          f"time: {results['train_time_s']:.0f}s  mAP: {test.get('mAP', float('nan')):.3f}  "
          f"mAP@.5: {test.get('mAP50', float('nan')):.3f}")
    return 0


if __name__ == "__main__":
    run_cli(main)
