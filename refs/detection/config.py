"""What a detection run depends on: :class:`TrainConfig`, the loss names, and the optimiser.

Light on purpose (no TensorFlow at import): the CLIs build ``--help`` and check flags from here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from refs.detection.anchors import DIGIT_ASPECT_RATIOS
from refs.utils import checks
from refs.utils.distribute import STRATEGIES

DIGIT_NAMES = [str(d) for d in range(10)]
BACKGROUNDS = ("black", "flat", "bright", "gradient", "texture", "mixed")  # data.BACKGROUNDS
INPUT_NORMS = ("none", "median")  # refs.detection.model.INPUT_NORMS (TensorFlow-free copies)
DISTRIBUTIONS = ("canonical", "wide")  # refs.detection.data.DISTRIBUTIONS (TensorFlow-free copy)
ASSIGNERS = ("iou", "atss")  # refs.detection.encoding.ASSIGNERS (TensorFlow-free copy)
HEAD_NORMS = ("none", "group")  # refs.detection.model.HEAD_NORMS (TensorFlow-free copy)
CLS_LOSSES = ("focal", "bce", "quality")
BOX_LOSSES = ("huber", "giou")
#: settings that must not change when a run is continued (they shape the saved state)
RESUME_KEYS = ("widths", "fpn_channels", "head_depth", "head_norm", "input_norm", "strides",
               "sizes", "scales", "aspect_ratios", "class_names", "image_size", "batch_size",
               "seed", "channels")


def _positive_tuple(name: str, values) -> tuple:
    if not isinstance(values, (list, tuple)) or not values:
        raise ValueError(f"{name} must be a non-empty sequence of positive numbers, got "
                         f"{values!r}")
    return tuple(checks.positive(f"{name}[{i}]", v) for i, v in enumerate(values))


@dataclasses.dataclass
class TrainConfig:
    """Everything a detection run depends on (recorded in ``config.json``); checked when built."""

    # data
    train_images: int = 8000
    val_images: int = 200
    test_images: int = 1000
    image_size: int = 128
    distribution: str = "wide"
    canonical_fraction: float = 0.0
    clutter_fraction: float = 0.0
    background: str = "black"
    min_scale: float = 12.0
    max_scale: float = 64.0
    max_digits: int = 6
    empty_fraction: float = 0.05
    augment: bool = True
    coco: str | None = None
    coco_images: str | None = None
    channels: int = 1
    class_names: list[str] = dataclasses.field(default_factory=lambda: list(DIGIT_NAMES))
    category_ids: list[int] | None = None
    # anchors and matching
    strides: tuple[int, ...] = (8, 16, 32)
    sizes: tuple[float, ...] = (16.0, 32.0, 64.0)
    scales: tuple[float, ...] = (1.0, 2 ** (1 / 3), 2 ** (2 / 3))
    aspect_ratios: tuple[float, ...] = DIGIT_ASPECT_RATIOS
    positive_iou: float = 0.5
    negative_iou: float = 0.4
    assigner: str = "iou"
    # model
    widths: tuple[int, ...] = (16, 32, 48, 64, 96)
    fpn_channels: int = 64
    head_depth: int = 2
    head_norm: str = "none"
    input_norm: str = "median"
    prior: float | None = 0.01
    # loss
    cls_loss: str = "focal"
    alpha: float = 0.25
    gamma: float = 2.0
    box_loss: str = "huber"
    delta: float = 1.0
    box_weight: float = 1.0
    # optimisation
    epochs: int = 7
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 200
    clipnorm: float | None = 10.0
    steps_per_epoch: int | None = None
    max_minutes: float | None = None
    seed: int = 0
    deterministic: bool = False
    strategy: str = "default"
    # evaluation and logging
    score_threshold: float = 0.05
    log_every: int = 20
    draw_images: int = 8
    draw_threshold: float = 0.3
    final_eval: bool = True
    run_dir: str | None = None
    name: str | None = None
    data: str | None = None
    resume: bool = False
    verbose: int | str = "auto"

    def __post_init__(self):
        for name in ("train_images", "val_images", "test_images", "image_size", "max_digits",
                     "fpn_channels", "head_depth", "epochs", "batch_size"):
            checks.positive_int(name, getattr(self, name))
        checks.one_of("channels", self.channels, (1, 3))
        checks.one_of("distribution", self.distribution, DISTRIBUTIONS)
        checks.in_range("canonical_fraction", self.canonical_fraction, 0.0, 1.0)
        checks.in_range("clutter_fraction", self.clutter_fraction, 0.0, 1.0)
        checks.one_of("background", self.background, BACKGROUNDS)
        checks.positive("min_scale", self.min_scale)
        checks.positive("max_scale", self.max_scale)
        if not self.min_scale <= self.max_scale <= self.image_size:
            raise ValueError(f"need min_scale <= max_scale <= image_size, got {self.min_scale}, "
                             f"{self.max_scale}, {self.image_size}")
        checks.in_range("empty_fraction", self.empty_fraction, 0.0, 1.0)
        self.strides = tuple(int(s) for s in _positive_tuple("strides", self.strides))
        self.sizes = _positive_tuple("sizes", self.sizes)
        self.scales = _positive_tuple("scales", self.scales)
        self.aspect_ratios = _positive_tuple("aspect_ratios", self.aspect_ratios)
        self.widths = tuple(int(w) for w in _positive_tuple("widths", self.widths))
        if len(self.sizes) != len(self.strides):
            raise ValueError(f"sizes must have one entry per stride ({len(self.strides)}), got "
                             f"{len(self.sizes)}")
        if self.image_size % max(self.strides):
            raise ValueError(f"image_size must be a multiple of the largest stride "
                             f"{max(self.strides)}, got {self.image_size}")
        checks.in_range("positive_iou", self.positive_iou, 0.0, 1.0, open_low=True)
        checks.in_range("negative_iou", self.negative_iou, 0.0, self.positive_iou)
        checks.one_of("assigner", self.assigner, ASSIGNERS)
        checks.one_of("head_norm", self.head_norm, HEAD_NORMS)
        checks.one_of("input_norm", self.input_norm, INPUT_NORMS)
        if self.prior is not None:
            checks.in_range("prior", self.prior, 0.0, 1.0, open_low=True, open_high=True)
        checks.one_of("cls_loss", self.cls_loss, CLS_LOSSES)
        checks.one_of("box_loss", self.box_loss, BOX_LOSSES)
        # the loss's own ranges (DetectionLoss applies the same checks when it is built)
        checks.in_range("alpha", self.alpha, 0.0, 1.0)
        checks.non_negative("gamma", self.gamma)
        checks.positive("delta", self.delta)
        checks.non_negative("box_weight", self.box_weight)
        checks.positive("lr", self.lr)
        checks.non_negative("weight_decay", self.weight_decay)
        checks.non_negative_int("warmup_steps", self.warmup_steps)
        if self.clipnorm is not None:
            checks.positive("clipnorm", self.clipnorm)
        if self.steps_per_epoch is not None:
            checks.positive_int("steps_per_epoch", self.steps_per_epoch)
        if self.max_minutes is not None:
            checks.positive("max_minutes", self.max_minutes)
        checks.non_negative_int("seed", self.seed)
        checks.one_of("strategy", self.strategy, STRATEGIES)
        checks.in_range("score_threshold", self.score_threshold, 0.0, 1.0)
        checks.in_range("draw_threshold", self.draw_threshold, 0.0, 1.0)
        checks.non_negative_int("log_every", self.log_every)
        checks.non_negative_int("draw_images", self.draw_images)
        if self.coco and not self.coco_images:
            raise ValueError("coco needs coco_images (the folder of the images)")

    def hparams(self) -> dict[str, Any]:
        skip = ("run_dir", "name", "resume", "verbose")
        out = {k: v for k, v in dataclasses.asdict(self).items() if k not in skip}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


def make_optimizer(lr: float, warmup_steps: int, total_steps: int, weight_decay: float,
                   clipnorm: float | None):
    """The detector's optimiser: AdamW, linear warmup to ``lr`` (over at most half the run),
    then cosine decay to ``lr / 100`` at ``total_steps``; global gradient-norm clipping."""
    import keras

    warmup = min(warmup_steps, total_steps // 2)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0 if warmup else lr, decay_steps=max(1, total_steps - warmup),
        warmup_target=lr if warmup else None, warmup_steps=warmup, alpha=0.01)
    return keras.optimizers.AdamW(schedule, weight_decay=weight_decay, global_clipnorm=clipnorm)
