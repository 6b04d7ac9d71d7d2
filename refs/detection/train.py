"""Train the detector: ``python -m refs.detection.train`` (see ``--help``).

The library entry point is :func:`train` (tests and scripts call it); the CLI only parses flags
into a :class:`TrainConfig`. Defaults train on the synthetic MNIST canvases; ``--coco FILE
--coco-images DIR`` trains on a user's COCO-format dataset instead (the last 10 % of its images
are the validation split).

A run directory holds ``config.json``, ``metrics.jsonl`` (per-step cls/box losses, positives,
learning rate; per-epoch validation mAP), TensorBoard events (the same, plus images with true
(green) and predicted (red) boxes and one PR curve per class), ``figures/``,
``checkpoints/ckpt-*.npz`` (every epoch) and ``results.json`` (COCO mAP on the test canvases).
Training into a directory that already holds a checkpoint continues from it (``--resume``
alone continues the newest run under ``runs/detection``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from refs.cli import make_parser, non_negative_int, positive_float, positive_int, run_cli
from refs.detection.anchors import DIGIT_ASPECT_RATIOS
from refs.detection.loss import BOX_LOSSES, CLS_LOSSES
from refs.errors import TrainingError, UsageError
from refs.utils.checkpoint import check_resumable, latest_run_with_checkpoint
from refs.utils.distribute import STRATEGIES

AREA = "detection"
DIGIT_NAMES = [str(d) for d in range(10)]
# Settings that must not change when a run is continued.
_RESUME_KEYS = ("widths", "fpn_channels", "head_depth", "strides", "sizes", "scales",
                "aspect_ratios", "class_names", "image_size", "batch_size", "seed", "channels")


@dataclasses.dataclass
class TrainConfig:
    """Everything a detection run depends on (recorded in ``config.json``)."""

    # data
    train_images: int = 8000
    val_images: int = 200
    test_images: int = 1000
    image_size: int = 128
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
    # model
    widths: tuple[int, ...] = (16, 32, 48, 64, 96)
    fpn_channels: int = 64
    head_depth: int = 2
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

    def hparams(self) -> dict[str, Any]:
        skip = ("run_dir", "name", "data", "resume", "verbose")
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


def load_data(config: TrainConfig, split: str, num: int | None = None):
    """``(canvases, class_names, category_ids)`` of ``split`` ("train", "val" or "test").

    Synthetic canvases by default; with ``config.coco`` the user's dataset (the last 10 % of its
    images, at least one, are "val" and "test").
    """
    from refs.detection.data import synthetic_canvases

    if config.coco:
        from refs.detection.coco import load_coco_dataset
        from refs.detection.data import Canvases

        if not config.coco_images:
            raise UsageError("--coco needs --coco-images DIR (the folder of the images)")
        canvases, categories = load_coco_dataset(config.coco, config.coco_images,
                                                 config.image_size, config.channels)
        n_val = max(1, len(canvases) // 10) if len(canvases) > 1 else 0
        cut = len(canvases) - n_val
        part = slice(0, cut) if split == "train" else slice(cut, None)
        if split != "train" and n_val == 0:
            part = slice(0, None)
        sub = Canvases(canvases.images[part], canvases.boxes[part], canvases.labels[part])
        return sub, [c["name"] for c in categories], [c["id"] for c in categories]
    sizes = {"train": config.train_images, "val": config.val_images, "test": config.test_images}
    canvases = synthetic_canvases(
        sizes[split] if num is None else num, split, seed=config.seed, mnist_path=config.data,
        size=config.image_size, max_digits=config.max_digits,
        empty_fraction=config.empty_fraction,
    )
    return canvases, list(DIGIT_NAMES), None


def evaluate_canvases(network, anchor_generator, canvases, class_names, score_threshold=0.05):
    """``(coco metrics dict, detections)`` of ``network`` on ``canvases`` (pycocotools)."""
    from refs.detection.coco import coco_evaluate, ground_truth_json, results_json
    from refs.detection.detector import detect

    images = canvases.images.astype("float32") / 255.0
    if images.ndim == 3:
        images = images[..., None]
    dets = detect(network, anchor_generator, images, score_threshold=score_threshold)
    ids = list(range(1, len(canvases) + 1))
    metrics = coco_evaluate(ground_truth_json(canvases, class_names, image_ids=ids),
                            results_json(dets, ids))
    return metrics, dets


def _make_monitor(run, network, anchor_generator, val, class_names, manager, config, state):
    """The per-epoch callback: validation mAP, drawn images, PR curves, lr, checkpoint."""
    import keras
    import numpy as np

    from refs.detection.draw import draw_boxes
    from refs.detection.metrics import pr_curve_data

    class DetectionMonitor(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            state["step"] += 1
            if config.log_every and state["step"] % config.log_every == 0:
                run.log_scalars({"lr": _current_lr(self.model.optimizer)}, step=state["step"],
                                kind="step", prefix="step/")
            if config.max_minutes and _elapsed(state) > 60 * config.max_minutes:
                state["time_capped"] = True
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            logs = logs if logs is not None else {}
            if not all(math.isfinite(float(v)) for v in logs.values()):
                state["diverged"] = True
                self.model.stop_training = True
                return
            metrics, dets = evaluate_canvases(network, anchor_generator, val, class_names,
                                              config.score_threshold)
            step = epoch + 1
            lr = _current_lr(self.model.optimizer)
            scalars = {"val/mAP": _num(metrics["mAP"]), "val/mAP50": _num(metrics["mAP50"]),
                       "val/mAP75": _num(metrics["mAP75"]), "lr": lr}
            run.log_scalars(scalars, step=step, kind="eval", epoch=step, prefix="epoch/")
            logs.update({"val_mAP": scalars["val/mAP"], "val_mAP50": scalars["val/mAP50"]})
            k = min(config.draw_images, len(val))
            if k:
                pictures = [draw_boxes(val.images[i], dets[i]["boxes"], dets[i]["classes"],
                                       dets[i]["scores"], val.objects(i)[0], class_names, 2,
                                       min_score=config.draw_threshold)
                            for i in range(k)]
                run.log_image_grid("val/detections", np.stack(pictures), step=step,
                                   ncols=min(4, k))
            pr = pr_curve_data(dets, [val.objects(i) for i in range(len(val))],
                               len(class_names))
            for c, (labels, scores) in pr.items():
                if len(labels):
                    run.log_pr_curve(f"pr/{class_names[c]}", labels, scores, step=step)
            state["epoch"] = step
            state["train_time_s"] = _elapsed(state)
            state["val"] = {k: v for k, v in metrics.items() if k != "per_class_AP"}
            if run.enabled:
                manager.save(step, {"model": network.variables,
                                    "optimizer": self.model.optimizer.variables},
                             {"epoch": step, "step": state["step"],
                              "train_time_s": state["train_time_s"],
                              "config": config.hparams(), "val": state["val"]})
            run.flush()

    return DetectionMonitor()


def _num(value) -> float:
    """A metric for logging: ``None`` (undefined) becomes NaN."""
    return float("nan") if value is None else float(value)


def _current_lr(optimizer) -> float:
    import keras

    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


def _elapsed(state) -> float:
    return state["time_before"] + time.perf_counter() - state["start"]


def train(config: TrainConfig) -> dict[str, Any]:
    """Train (or continue) a detection run; returns the results (also in ``results.json``)."""
    from refs.utils.distribute import get_strategy, is_chief

    strategy = get_strategy(config.strategy)  # first: multi-worker needs it before other ops
    from refs.detection.data import to_dataset
    from refs.detection.detector import Detector, anchor_generator_from, network_from
    from refs.detection.encoding import LabelEncoder
    from refs.detection.loss import DetectionLoss
    from refs.tracking import Run, TrackingCallback
    from refs.utils import seed_everything
    from refs.utils.checkpoint import CheckpointManager

    config = dataclasses.replace(config)
    _validate(config)
    seed_everything(config.seed, deterministic=config.deterministic)
    train_set, class_names, category_ids = load_data(config, "train")
    val_set, _, _ = load_data(config, "val")
    config.class_names, config.category_ids = list(class_names), category_ids
    if config.coco:
        config.channels = 3 if train_set.images.ndim == 4 else 1
    hparams = config.hparams()

    chief = is_chief()
    run_dir = config.run_dir
    if config.resume and run_dir is None:
        run_dir = str(latest_run_with_checkpoint(Path("runs") / AREA))
    run = Run(AREA, name=config.name, run_dir=run_dir, config=hparams, enabled=chief)
    manager = CheckpointManager(run.path / "checkpoints")

    gen = anchor_generator_from(hparams)
    encoder = LabelEncoder(gen, (config.image_size, config.image_size), config.positive_iou,
                           config.negative_iou)
    steps_per_pass = math.ceil(len(train_set) / config.batch_size)
    steps = min(config.steps_per_epoch or steps_per_pass, steps_per_pass)
    total_steps = max(1, steps * config.epochs)
    with strategy.scope():
        network = network_from(hparams)
        loss = DetectionLoss(len(class_names), config.cls_loss, config.alpha, config.gamma,
                             config.box_loss, config.delta, config.box_weight,
                             anchors=encoder.anchors)
        detector = Detector(network, loss, name="detector")
        optimizer = make_optimizer(config.lr, config.warmup_steps, total_steps,
                                   config.weight_decay, config.clipnorm)
        detector.compile(optimizer=optimizer)
        optimizer.build(detector.trainable_variables)

    state: dict[str, Any] = {"epoch": 0, "step": 0, "time_before": 0.0, "diverged": False,
                             "time_capped": False}
    if manager.latest() is not None:
        groups, meta = manager.read(manager.latest())
        check_resumable(meta.get("config", {}), hparams, _RESUME_KEYS, run.path)
        manager.restore({"model": network.variables, "optimizer": optimizer.variables})
        state.update(epoch=int(meta["epoch"]), step=int(meta.get("step", 0)),
                     time_before=float(meta.get("train_time_s", 0.0)))
        print(f"continuing {run.path} from epoch {state['epoch']}")
    state["start"] = time.perf_counter()

    ds = to_dataset(train_set, encoder, config.batch_size, shuffle=True, seed=config.seed,
                    augment=config.augment).repeat()
    callbacks = [
        _make_monitor(run, network, gen, val_set, class_names, manager, config, state),
        TrackingCallback(run, every_n_steps=config.log_every, initial_epoch=state["epoch"]),
    ]
    if state["epoch"] < config.epochs:
        detector.fit(ds, epochs=config.epochs, initial_epoch=state["epoch"],
                     steps_per_epoch=steps, callbacks=callbacks, verbose=config.verbose,
                     shuffle=False)  # the tf.data pipeline shuffles
    if state["diverged"]:
        run.log_hparams(_flat_hparams(hparams), {"diverged": 1.0})
        run.close()
        raise TrainingError(f"the loss became NaN/inf in epoch {state['epoch'] + 1}; lower --lr "
                            "or keep the prior initialisation (run kept in " f"{run.path})")
    results: dict[str, Any] = {
        "run_dir": str(run.path), "epochs": state["epoch"], "steps": state["step"],
        "train_time_s": round(_elapsed(state), 1), "val": state.get("val"),
        "stopped_by_max_minutes": state["time_capped"],
    }
    if config.final_eval and not config.coco:
        from refs.detection.evaluate import evaluate_run

        results["test"] = evaluate_run(run.path, network=(network, gen, hparams), quiet=True)
    if chief:
        (run.path / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        final = results.get("test") or results.get("val") or {}
        run.log_hparams(_flat_hparams(hparams),
                        {f"final/{k}": v for k, v in final.items() if isinstance(v, float)})
    run.close()
    return results


def _flat_hparams(hparams: dict) -> dict:
    return {k: (json.dumps(v) if isinstance(v, (list, tuple)) else v)
            for k, v in hparams.items() if k != "class_names"}


def _validate(config: TrainConfig) -> None:
    if config.cls_loss not in CLS_LOSSES:
        raise UsageError(f"--cls-loss must be one of {CLS_LOSSES}, got {config.cls_loss!r}")
    if config.box_loss not in BOX_LOSSES:
        raise UsageError(f"--box-loss must be one of {BOX_LOSSES}, got {config.box_loss!r}")
    if not 0.0 <= config.alpha <= 1.0:
        raise UsageError(f"--alpha must be in [0, 1], got {config.alpha}")
    if config.gamma < 0:
        raise UsageError(f"--gamma must be >= 0, got {config.gamma}")
    if config.image_size % max(config.strides):
        raise UsageError(f"--image-size must be a multiple of the largest stride "
                         f"{max(config.strides)}, got {config.image_size}")
    if config.strategy not in STRATEGIES:
        raise UsageError(f"--strategy must be one of {STRATEGIES}, got {config.strategy!r}")


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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
        deterministic=args.deterministic, run_dir=args.run_dir, name=args.name, data=args.data,
        cls_loss=args.cls_loss, gamma=args.gamma, alpha=args.alpha,
        prior=None if args.no_prior_init else 0.01, box_loss=args.box_loss, lr=args.lr,
        train_images=args.train_images, val_images=args.val_images,
        test_images=args.test_images, steps_per_epoch=args.steps_per_epoch,
        max_minutes=args.max_minutes, aspect_ratios=args.aspect_ratios,
        scales=args.anchor_scales, coco=args.coco, coco_images=args.coco_images,
        log_every=args.log_every, strategy=args.strategy, resume=args.resume,
    )
    results = train(config)
    test = results.get("test") or results.get("val") or {}
    print(f"run: {results['run_dir']}  epochs: {results['epochs']}  "
          f"time: {results['train_time_s']:.0f}s  mAP: {test.get('mAP', float('nan')):.3f}  "
          f"mAP@.5: {test.get('mAP50', float('nan')):.3f}")
    return 0


if __name__ == "__main__":
    run_cli(main)
