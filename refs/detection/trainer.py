"""Train (or continue) a detection run: :func:`train`, the library entry point of
``refs.detection.train``.

The detector (:class:`refs.detection.RetinaNet`, which owns its anchors, label encoder, network
and loss) brings its canvases and optimiser, and its own epoch-end work
(:class:`ValidationMonitor`: validation mAP, drawn detections, PR curves);
:class:`refs.training.TrainingSession` brings the run directory, the lock, resuming, the clock,
the non-finite stop, logging, the divergence warning and the epoch checkpoint.

A run directory holds ``config.json``, ``metrics.jsonl`` (per-step cls/box losses, positives,
learning rate; per-epoch validation mAP), TensorBoard events (the same, plus images with true
(green) and predicted (red) boxes and one PR curve per class), ``figures/``,
``checkpoints/ckpt-*.npz`` (every epoch) and ``results.json`` (COCO mAP on the test canvases).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import keras
import numpy as np

from refs.detection.config import RESUME_KEYS, TrainConfig

#: |loss| above this for many steps: the run diverges (BCE without the prior starts near 600)
DIVERGENCE_BOUND = 1e4


def _num(value) -> float:
    """A metric for logging: ``None`` (undefined) becomes NaN."""
    return float("nan") if value is None else float(value)


def current_lr(model) -> dict[str, float]:
    """``{"lr": the optimiser's learning rate now}`` (a step scalar)."""
    return {"lr": float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))}


def checkpoint_groups(detector) -> dict:
    """What a detection checkpoint holds: the network's and the optimiser's variables."""
    return {"model": detector.network.variables, "optimizer": detector.optimizer.variables}


class ValidationMonitor(keras.callbacks.Callback):
    """Each epoch: validation COCO mAP, drawn detections and per-class PR curves, logged at the
    global step; ``last`` keeps the metrics (they go into the checkpoint's metadata)."""

    def __init__(self, run, counter, guard, anchor_generator, canvases, class_names,
                 config: TrainConfig):
        super().__init__()
        self.run, self.counter, self.guard = run, counter, guard
        self.anchor_generator, self.canvases, self.class_names = (anchor_generator, canvases,
                                                                  class_names)
        self.config = config
        self.last: dict = {}

    def on_epoch_end(self, epoch, logs=None):
        from refs.detection.draw import draw_boxes
        from refs.detection.evaluation import evaluate_canvases
        from refs.detection.metrics import pr_curve_data

        if self.guard.failure is not None:
            return
        val, names, step = self.canvases, self.class_names, self.counter.step
        metrics, dets = evaluate_canvases(self.model.network, self.anchor_generator, val, names,
                                          self.config.score_threshold)
        scalars = {"val/mAP": _num(metrics["mAP"]), "val/mAP50": _num(metrics["mAP50"]),
                   "val/mAP75": _num(metrics["mAP75"])}
        self.run.log_scalars(scalars, step=step, kind="eval", epoch=epoch + 1)
        k = min(self.config.draw_images, len(val))
        if k:
            pictures = [draw_boxes(val.images[i], dets[i]["boxes"], dets[i]["classes"],
                                   dets[i]["scores"], val.objects(i)[0], names, 2,
                                   min_score=self.config.draw_threshold)
                        for i in range(k)]
            self.run.log_image_grid("val/detections", np.stack(pictures), step=step,
                                    ncols=min(4, k), png_name=f"val_detections_{epoch + 1:06d}.png")
        pr = pr_curve_data(dets, [val.objects(i) for i in range(len(val))], len(names))
        for c, (labels, scores) in pr.items():
            if len(labels):
                self.run.log_pr_curve(f"pr/{names[c]}", labels, scores, step=step)
        self.last = {k: v for k, v in metrics.items() if k != "per_class_AP"}
        self.run.flush()


def _build(config: TrainConfig, hparams: dict, total_steps: int, strategy):
    from refs.detection.config import make_optimizer
    from refs.detection.retinanet import retinanet_from

    with strategy.scope():
        detector = retinanet_from(hparams)
        optimizer = make_optimizer(config.lr, config.warmup_steps, total_steps,
                                   config.weight_decay, config.clipnorm)
        detector.compile(optimizer=optimizer, classification_loss=config.cls_loss,
                         alpha=config.alpha, gamma=config.gamma, box_loss=config.box_loss,
                         delta=config.delta, box_weight=config.box_weight)
        optimizer.build(detector.trainable_variables)
    return detector


def train(config: TrainConfig) -> dict[str, Any]:
    """Train (or continue) a detection run; returns the results (also in ``results.json``)."""
    from refs.utils.distribute import get_strategy, is_chief, worker_index

    strategy = get_strategy(config.strategy)  # first: multi-worker needs it before other ops
    from refs.detection.data import to_dataset
    from refs.detection.detector import TrainedDetector
    from refs.detection.splits import load_split
    from refs.errors import DataError
    from refs.training import TrainingSession
    from refs.utils import seed_everything

    config = dataclasses.replace(config)
    seed_everything(config.seed, deterministic=config.deterministic)
    train_set, class_names, category_ids = load_split(config, "train")
    if len(train_set) == 0:
        raise DataError("the training set is empty")
    val_set, _, _ = load_split(config, "val")
    config.class_names, config.category_ids = list(class_names), category_ids
    if config.coco:
        config.channels = 3 if train_set.images.ndim == 4 else 1
    hparams = config.hparams()
    steps_per_pass = math.ceil(len(train_set) / config.batch_size)
    steps = min(config.steps_per_epoch or steps_per_pass, steps_per_pass)
    chief = is_chief()
    with TrainingSession("detection", hparams, run_dir=config.run_dir, name=config.name,
                         resume=config.resume, resume_keys=RESUME_KEYS, loss_keys=("loss",),
                         chief=chief, worker=worker_index()) as session:
        detector = _build(config, hparams, max(1, steps * config.epochs), strategy)
        gen = detector.anchor_generator
        session.restore(lambda: checkpoint_groups(detector))
        monitor = ValidationMonitor(session.run, session.counter, session.guard, gen, val_set,
                                    class_names, config)
        callbacks = session.callbacks(
            checkpoint_groups, log_every=config.log_every, max_minutes=config.max_minutes,
            divergence_bounds={"loss": (None, DIVERGENCE_BOUND)}, step_scalars=current_lr,
            extra=[monitor], extra_meta=lambda: {"val": monitor.last},
        )
        ds = to_dataset(train_set, None, config.batch_size, shuffle=True, seed=config.seed,
                        augment=config.augment).repeat()
        if session.counter.epoch < config.epochs:
            detector.fit(ds, epochs=config.epochs, initial_epoch=session.counter.epoch,
                         steps_per_epoch=steps, callbacks=callbacks, verbose=config.verbose,
                         shuffle=False)  # the tf.data pipeline shuffles
        session.raise_if_failed()
        results: dict[str, Any] = {"val": monitor.last or None}
        if config.final_eval and not config.coco and chief:
            from refs.detection.evaluation import evaluate_run

            results["test"] = evaluate_run(
                session.path, trained=TrainedDetector(detector.network, gen, hparams),
                quiet=True)
        final = results.get("test") or results.get("val") or {}
        return session.finish(results, {f"test/{k}": v for k, v in final.items()
                                        if isinstance(v, float) and results.get("test")})
