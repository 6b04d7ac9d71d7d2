"""Side by side: refs.detection against keras-cv's RetinaNet, same data, same wall time.

Both detectors train from scratch on the same synthetic training canvases and are scored with
the same pycocotools code on the same test canvases; then both are timed end to end (network,
box decoding, per-class NMS) on the same test images, batch 32, median of 3.

- Ours: a default ``refs.detection.train`` run (its wall time is the budget), or an existing
  run with ``--ours-run DIR``.
- keras-cv 0.9 (the ``peers`` extra: ``pip install -e '.[peers]'``): ``keras_cv.models.RetinaNet``
  with a comparable small backbone (``CSPDarkNetBackbone``, channels 32/48/64/96, one block per
  stage; keras-cv's presets need a download), its own FPN (256 channels, P3-P7) and heads (256
  channels; two convolutions each, as ours), prior-initialised class bias, keras-cv's focal and
  smooth-L1 losses. It gets our anchors (sizes 16-256, the same scales and digit aspect
  ratios), our optimiser recipe (AdamW 2e-3, weight decay 1e-4, clipnorm 10, warmup then cosine,
  planned on its own measured step time to end at the budget), grayscale canvases replicated
  to RGB, and the same score threshold (0.05), NMS IoU (0.5) and 100 detections per image.
  Its training stops when the budget's wall time is spent.

    python bench/detection_peer.py [--ours-run DIR] [--minutes M] [--test-images 1000]

Writes ``docs/data/detection_peer.json`` (read by ``bench/detection_report.py``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import keras  # noqa: E402
from detection_common import machine, write_json  # noqa: E402

# keras-cv's functional RetinaNet is declared with a dict input and called with a tensor.
warnings.filterwarnings("ignore", message="The structure of `inputs` doesn't match")

NAME = "detection_peer.json"
TIMING_IMAGES = 512


def import_keras_cv():
    try:
        import keras_cv
    except ImportError as exc:  # the peer is optional
        raise SystemExit("keras-cv is not installed: pip install -e '.[peers]' "
                         f"(it is a peer for this benchmark only): {exc}") from None
    return keras_cv


def rgb(images):
    """uint8 (N, H, W) canvases -> float32 (N, H, W, 3) in [0, 1]."""
    import numpy as np

    x = images.astype(np.float32) / 255.0
    return np.repeat(x[..., None], 3, axis=-1)


def peer_targets(canvases):
    """keras-cv's dense box format: boxes (N, M, 4) xyxy and classes (N, M), padding -1."""
    import numpy as np

    boxes = canvases.boxes.astype(np.float32).copy()
    classes = canvases.labels.astype(np.float32).copy()
    boxes[canvases.labels < 0] = -1.0
    return {"boxes": boxes, "classes": classes}


def build_peer(num_classes: int, hparams: dict, total_steps: int):
    import keras

    keras_cv = import_keras_cv()
    from keras_cv.models.retinanet import PredictionHead

    from refs.detection.config import make_optimizer

    size = hparams["image_size"]
    backbone = keras_cv.models.CSPDarkNetBackbone(
        stackwise_channels=[32, 48, 64, 96], stackwise_depth=[1, 1, 1, 1],
        include_rescaling=False, input_shape=(size, size, 3))
    anchors = keras_cv.layers.AnchorGenerator(
        bounding_box_format="xyxy", sizes=[16.0, 32.0, 64.0, 128.0, 256.0],
        scales=list(hparams["scales"]), aspect_ratios=list(hparams["aspect_ratios"]),
        strides=[8, 16, 32, 64, 128], clip_boxes=True)
    per_location = len(hparams["scales"]) * len(hparams["aspect_ratios"])
    prior = keras.initializers.Constant(-math.log((1 - 0.01) / 0.01))
    model = keras_cv.models.RetinaNet(
        backbone=backbone, num_classes=num_classes, bounding_box_format="xyxy",
        anchor_generator=anchors,
        classification_head=PredictionHead(per_location * num_classes, prior,
                                           num_conv_layers=hparams["head_depth"]),
        box_head=PredictionHead(per_location * 4, keras.initializers.Zeros(),
                                num_conv_layers=hparams["head_depth"]),
        prediction_decoder=keras_cv.layers.MultiClassNonMaxSuppression(
            bounding_box_format="xyxy", from_logits=True, iou_threshold=0.5,
            confidence_threshold=hparams["score_threshold"], max_detections=100,
            max_detections_per_class=100))
    optimizer = make_optimizer(hparams["lr"], hparams["warmup_steps"], total_steps,
                               hparams["weight_decay"], hparams["clipnorm"])
    model.compile(classification_loss="focal", box_loss="smoothl1", optimizer=optimizer)
    return model


class StopAfter(keras.callbacks.Callback):
    """Ends ``fit`` once ``seconds`` of wall time have passed; ``steps`` counts the steps run."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds, self.start, self.steps = seconds, 0.0, 0

    def on_train_begin(self, logs=None):
        self.start, self.steps = time.perf_counter(), 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if time.perf_counter() - self.start >= self.seconds:
            self.model.stop_training = True


def peer_dataset(images, targets, batch_size: int, seed: int):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((images, targets))
    return ds.shuffle(len(images), seed=seed).batch(batch_size, drop_remainder=True).repeat()


def peer_step_seconds(hparams, images, targets) -> float:
    """Median seconds per training step of a throwaway peer, after its first (tracing) steps."""
    import keras

    class Times(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.t = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            times.append(time.perf_counter() - self.t)

    times: list[float] = []
    model = build_peer(len(hparams["class_names"]), hparams, total_steps=1000)
    model.fit(peer_dataset(images, targets, hparams["batch_size"], 1), steps_per_epoch=13,
              epochs=1, callbacks=[Times()], verbose=0)
    del model
    keras.backend.clear_session()
    return statistics.median(times[3:])


def peer_detections(model, images, batch_size: int = 32) -> list[dict]:
    import numpy as np

    out = model.predict(images, batch_size=batch_size, verbose=0)
    dets = []
    for i in range(len(images)):
        n = int(out["num_detections"][i])
        dets.append({"boxes": np.asarray(out["boxes"][i][:n]),
                     "scores": np.asarray(out["confidence"][i][:n]),
                     "classes": np.asarray(out["classes"][i][:n]).astype(int)})
    return dets


def images_per_second(fn, images, repeats: int = 3) -> float:
    fn(images[:64])  # warm-up (tracing)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(images)
        times.append(time.perf_counter() - t)
    return len(images) / statistics.median(times)


def score_ours(run_dir, test, truth, ids):
    """Our trained network's COCO scores on ``test``, its end-to-end images/s, its parameters."""
    import keras
    import numpy as np

    from refs.detection.coco import coco_evaluate, results_json
    from refs.detection.detector import detect, load_trained

    network, gen, _ = load_trained(run_dir)
    gray = test.images[..., None].astype(np.float32) / 255.0
    scores = coco_evaluate(truth, results_json(detect(network, gen, gray), ids))
    ips = images_per_second(lambda x: detect(network, gen, x, batch_size=32),
                            gray[:TIMING_IMAGES])
    params = int(network.count_params())
    keras.backend.clear_session()
    return scores, ips, params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours-run", default=None, help="use this finished run as ours")
    parser.add_argument("--run-dir", default="runs/detection/peer-ours",
                        help="where ours trains (without --ours-run)")
    parser.add_argument("--minutes", type=float, default=None,
                        help="budget (default: ours' training time)")
    parser.add_argument("--train-images", type=int, default=None,
                        help="(smoke tests) fewer training canvases for both")
    parser.add_argument("--test-images", type=int, default=1000)
    parser.add_argument("--out", default=NAME)
    args = parser.parse_args()
    import_keras_cv()  # fail before an expensive training run, not after it
    import keras

    from refs.detection.coco import coco_evaluate, ground_truth_json, results_json
    from refs.detection.config import TrainConfig
    from refs.detection.detector import load_trained
    from refs.detection.splits import load_split as load_data

    ours_dir = _train_ours(args)
    ours_results = json.loads((ours_dir / "results.json").read_text())
    hparams = load_trained(ours_dir).hparams
    budget_s = 60 * args.minutes if args.minutes else float(ours_results["train_time_s"])
    cfg = TrainConfig(**{k: v for k, v in hparams.items() if k in TrainConfig.__dataclass_fields__})
    test, names, _ = load_data(cfg, "test", args.test_images)
    truth = ground_truth_json(test, names)
    ids = range(1, len(test) + 1)
    ours_eval, ours_ips, ours_params = score_ours(ours_dir, test, truth, ids)

    train_set, _, _ = load_data(cfg, "train", args.train_images)
    images, targets = rgb(train_set.images), peer_targets(train_set)
    step_s = peer_step_seconds(hparams, images, targets)
    planned = max(hparams["warmup_steps"] + 1, int(budget_s / step_s))
    print(f"peer: {step_s:.3f} s/step measured; {planned} steps planned in {budget_s:.0f} s",
          flush=True)
    keras.utils.set_random_seed(hparams["seed"])
    peer = build_peer(len(names), hparams, planned)
    per_epoch = len(images) // hparams["batch_size"]
    stop = StopAfter(budget_s)
    start = time.perf_counter()
    peer.fit(peer_dataset(images, targets, hparams["batch_size"], hparams["seed"]),
             steps_per_epoch=per_epoch, epochs=math.ceil(planned / per_epoch),
             callbacks=[stop], verbose=2)
    peer_time = time.perf_counter() - start
    test_rgb = rgb(test.images)
    peer_eval = coco_evaluate(truth, results_json(peer_detections(peer, test_rgb), ids))
    peer_ips = images_per_second(lambda x: peer_detections(peer, x), test_rgb[:TIMING_IMAGES])

    keep = ("mAP", "mAP50", "mAP75", "AR100")
    doc = {
        "budget_s": round(budget_s, 1), "test_images": len(test), "timing_images": TIMING_IMAGES,
        "ours": {"run_dir": str(ours_dir), "train_time_s": ours_results["train_time_s"],
                 "steps": ours_results["steps"], "params": ours_params,
                 **{k: ours_eval[k] for k in keep}, "images_per_s": ours_ips},
        "keras_cv": {"train_time_s": round(peer_time, 1), "steps": stop.steps,
                     "planned_steps": planned, "step_s": step_s,
                     "params": int(peer.count_params()),
                     **{k: peer_eval[k] for k in keep}, "images_per_s": peer_ips},
        "machine": machine(),
    }
    write_json(args.out, doc)
    _print_table(doc)


def _train_ours(args) -> Path:
    """Our finished run (``--ours-run``), or a default run trained now into ``--run-dir``."""
    from refs.detection.config import TrainConfig
    from refs.detection.trainer import train

    if args.ours_run:
        return Path(args.ours_run)
    extra = {"train_images": args.train_images} if args.train_images else {}
    if args.minutes:
        extra["max_minutes"] = args.minutes
    train(TrainConfig(run_dir=args.run_dir, name="peer-ours", **extra))
    return Path(args.run_dir)


def _print_table(doc: dict) -> None:
    print(f"{'':10s} {'mAP':>6s} {'mAP@.5':>7s} {'steps':>6s} {'train s':>8s} {'img/s':>7s}")
    for key in ("ours", "keras_cv"):
        r = doc[key]
        print(f"{key:10s} {r['mAP']:6.3f} {r['mAP50']:7.3f} {r['steps']:6d} "
              f"{r['train_time_s']:8.0f} {r['images_per_s']:7.1f}")


if __name__ == "__main__":
    main()
