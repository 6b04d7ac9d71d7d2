"""What a GAN run depends on: :class:`TrainConfig` and the names its settings choose from.

Light on purpose (no TensorFlow): the CLI builds its ``--help`` and checks its flags from here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from refs.utils import checks
from refs.utils.distribute import STRATEGIES

#: the ``--loss`` names, the keys of :func:`refs.losses.adversarial.get_loss_pair`
LOSS_NAMES = ("minimax", "non-saturating", "wgan-gp", "lsgan", "hinge")
#: the pairs whose discriminator loss is a log-loss or a margin: near 0 means D wins every step
SATURATING_D_LOSSES = ("minimax", "non-saturating", "lsgan", "hinge")
ARCHS = ("infogan", "lean", "tutorial")
DEFAULT_ARCH = "infogan"
DEFAULTS = {"infogan": {"latent_dim": 64, "width": 64}, "lean": {"latent_dim": 64, "width": 64},
            "tutorial": {"latent_dim": 100, "width": 64}}
#: settings that must not change when a run is continued (they shape the saved state)
RESUME_KEYS = ("arch", "width", "latent_dim", "loss", "batch_size", "seed", "ema",
               "conditional")
#: classes of a conditional GAN (the ten digits)
NUM_CLASSES = 10


@dataclasses.dataclass
class TrainConfig:
    """Everything a GAN run depends on (recorded in ``config.json``); checked when built."""

    arch: str = DEFAULT_ARCH
    width: int | None = None
    latent_dim: int | None = None
    loss: str = "non-saturating"
    conditional: bool = False  # class-conditional G (label embedding) and projection D
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
    jit: bool | None = None  # None: refs.gan.trainer.default_jit(arch)
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

    def __post_init__(self):
        checks.one_of("arch", self.arch, ARCHS)
        checks.one_of("loss", self.loss, LOSS_NAMES)
        checks.one_of("strategy", self.strategy, STRATEGIES)
        checks.one_of("conditional", self.conditional, (True, False))
        if self.width is not None:
            checks.positive_int("width", self.width)
            if self.arch == "tutorial" and self.width != DEFAULTS["tutorial"]["width"]:
                raise ValueError("width applies to arch 'infogan' and 'lean' only (the "
                                 f"tutorial's widths are fixed), got width={self.width}")
        if self.latent_dim is not None:
            checks.positive_int("latent_dim", self.latent_dim)
        checks.positive("lr", self.lr)
        checks.in_range("beta_1", self.beta_1, 0.0, 1.0)
        if self.ema is not None:
            checks.in_range("ema", self.ema, 0.0, 1.0, open_low=True, open_high=True)
        checks.in_range("label_smoothing", self.label_smoothing, 0.0, 1.0)
        if self.label_smoothing and self.loss not in ("minimax", "non-saturating"):
            raise ValueError("label_smoothing applies to loss 'minimax' and 'non-saturating' "
                             f"only, got loss={self.loss!r}")
        checks.non_negative("gp_weight", self.gp_weight)
        checks.positive_int("epochs", self.epochs)
        checks.positive_int("batch_size", self.batch_size)
        if self.steps_per_epoch is not None:
            checks.positive_int("steps_per_epoch", self.steps_per_epoch)
        checks.non_negative_int("seed", self.seed)
        checks.non_negative_int("fid_samples", self.fid_samples)
        if self.fid_samples == 1:
            raise ValueError("fid_samples must be 0 (off) or at least 2 (a covariance needs two "
                             "samples), got 1")
        checks.positive_int("fid_every", self.fid_every)
        checks.non_negative_int("log_every", self.log_every)
        if self.max_minutes is not None:
            checks.positive("max_minutes", self.max_minutes)
        checks.one_of("verbose", self.verbose, (0, 1, 2))

    def hparams(self) -> dict[str, Any]:
        skip = ("run_dir", "name", "resume", "verbose")
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in skip}
