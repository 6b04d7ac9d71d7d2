"""refs.detection.RetinaNet as a keras.Model: fit on boxes and classes (padded or ragged, any box
format), predict, save / load_model in a fresh process, SavedModel and ONNX export, and COCO
evaluation that scores images without detections."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from refs.detection import RetinaNet
from refs.detection.coco import coco_evaluate, ground_truth_json, results_json
from refs.detection.data import Canvases, synthetic_canvases
from refs.detection.decode import nms_per_class
from refs.detection.retinanet import from_corners

SMALL = dict(widths=(4, 4, 8, 8, 8), fpn_channels=8, head_depth=1)


@pytest.fixture(scope="module")
def canvases(mnist_path):
    return synthetic_canvases(24, "test", seed=5, mnist_path=mnist_path)


def _images(c: Canvases) -> np.ndarray:
    return c.images[..., None].astype("float32") / 255.0


def _dataset(c: Canvases, box_format="xyxy", batch=8):
    boxes = np.where(c.labels[..., None] >= 0,
                     keras.ops.convert_to_numpy(from_corners(c.boxes, box_format)), 0.0)
    return tf.data.Dataset.from_tensor_slices(
        (_images(c), {"boxes": boxes.astype("float32"), "classes": c.labels})).batch(batch)


@pytest.fixture(scope="module")
def trained(canvases):
    """A tiny RetinaNet after a few steps of fit (score threshold 0: 100 detections each)."""
    keras.utils.set_random_seed(0)
    model = RetinaNet(10, score_threshold=0.0, **SMALL)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(_dataset(canvases), epochs=2, verbose=0)
    return model, history.history


def test_fit_reports_the_detection_loss_and_its_parts(trained):
    _, history = trained
    assert {"loss", "cls_loss", "box_loss", "num_positives"} <= set(history)
    assert all(np.isfinite(history["loss"])) and history["num_positives"][-1] > 0
    total = np.asarray(history["cls_loss"]) + np.asarray(history["box_loss"])
    np.testing.assert_allclose(history["loss"], total, rtol=1e-4)


def test_ragged_padded_and_every_box_format_give_the_same_targets(canvases):
    model = RetinaNet(10, **SMALL)
    images = tf.constant(_images(canvases)[:8])
    padded = {"boxes": canvases.boxes[:8], "classes": canvases.labels[:8]}
    ragged = {"boxes": tf.ragged.constant([canvases.objects(i)[0].tolist() for i in range(8)],
                                          ragged_rank=1, dtype=tf.float32),
              "classes": tf.ragged.constant([canvases.objects(i)[1].tolist() for i in range(8)],
                                            dtype=tf.int32)}
    want = np.asarray(model.targets(images, padded))
    np.testing.assert_array_equal(np.asarray(model.targets(images, ragged)), want)
    for fmt in ("xywh", "center_xywh"):
        other = RetinaNet(10, bounding_box_format=fmt, **SMALL)
        boxes = keras.ops.convert_to_numpy(from_corners(canvases.boxes[:8], fmt))
        got = np.asarray(other.targets(images, {"boxes": boxes, "classes": padded["classes"]}))
        np.testing.assert_allclose(got, want, atol=1e-4)
    # one positive anchor at least per object, classes of the objects only
    cls = want[..., 4]
    assert set(np.unique(cls[cls >= 0]).astype(int)) <= set(canvases.labels[:8].ravel())


def test_predict_returns_padded_detections_in_the_box_format(trained, canvases):
    model, _ = trained
    dets = model.predict(_images(canvases)[:4], verbose=0)
    assert dets["boxes"].shape == (4, 100, 4) and dets["scores"].shape == (4, 100)
    assert dets["classes"].shape == (4, 100) and dets["num_detections"].shape == (4,)
    for i, n in enumerate(dets["num_detections"]):
        assert (dets["classes"][i, n:] == -1).all() and (dets["scores"][i, n:] == 0).all()
        assert np.all(np.diff(dets["scores"][i, :n]) <= 1e-7)  # best first
    boxes = dets["boxes"][dets["classes"] >= 0]
    assert (boxes[:, 2:] >= boxes[:, :2]).all() and boxes.min() >= 0 and boxes.max() <= 128
    # the same model in center_xywh reports the same boxes converted
    other = RetinaNet.from_config({**model.get_config(), "bounding_box_format": "center_xywh"})
    other.set_weights(model.get_weights())
    converted = other.predict(_images(canvases)[:4], verbose=0)["boxes"]
    np.testing.assert_allclose(converted, keras.ops.convert_to_numpy(
        from_corners(dets["boxes"], "center_xywh")), atol=1e-4)
    # another image size (not a multiple of the stride) is padded, boxes stay inside it
    small = model.predict(_images(canvases)[:2, :100, :120], verbose=0)
    kept = small["boxes"][small["classes"] >= 0]
    assert kept[:, [0, 2]].max() <= 120 and kept[:, [1, 3]].max() <= 100


def test_save_and_load_model_in_a_fresh_process_give_identical_detections(trained, canvases,
                                                                          tmp_path):
    model, _ = trained
    path, images = tmp_path / "detector.keras", _images(canvases)[:6]
    model.save(path)
    np.save(tmp_path / "images.npy", images)
    script = (
        "import sys, numpy as np, keras\n"
        "import refs.detection.retinanet  # registers the classes, as `import refs` would\n"
        f"m = keras.models.load_model({str(path)!r})\n"
        f"d = m.predict(np.load({str(tmp_path / 'images.npy')!r}), verbose=0)\n"
        f"np.savez({str(tmp_path / 'out.npz')!r}, **d)\n"
        "print(type(m).__name__, m.optimizer.__class__.__name__, m.loss_settings['cls_loss'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-3:] == ["RetinaNet", "Adam", "focal"]
    want = model.predict(images, verbose=0)
    got = np.load(tmp_path / "out.npz")
    assert want["num_detections"].sum() > 0
    for key in want:
        np.testing.assert_array_equal(got[key], want[key])


def test_compile_and_constructor_reject_bad_arguments():
    with pytest.raises(ValueError, match="num_classes"):
        RetinaNet(0)
    with pytest.raises(ValueError, match="bounding_box_format"):
        RetinaNet(3, bounding_box_format="yxyx")
    with pytest.raises(ValueError, match="iou_threshold"):
        RetinaNet(3, iou_threshold=1.5)
    model = RetinaNet(3, **SMALL)
    with pytest.raises(ValueError, match="classification_loss|cls_loss"):
        model.compile(classification_loss="hinge")
    with pytest.raises(ValueError, match="alpha"):
        model.compile(alpha=2.0)
    with pytest.raises(ValueError, match="loss"):
        model.compile(loss="mse")


def test_fit_names_the_problem_with_bad_targets_or_image_sizes():
    model = RetinaNet(3, **SMALL)
    model.compile()
    images = np.zeros((2, 100, 100, 1), "float32")
    y = {"boxes": np.zeros((2, 1, 4), "float32"), "classes": -np.ones((2, 1), "int32")}
    with pytest.raises(ValueError, match="multiples of 32"):
        model.fit(images, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="boxes"):
        model.fit(np.zeros((2, 64, 64, 1), "float32"), np.zeros((2, 3)), epochs=1, verbose=0)


def test_exported_saved_model_gives_the_keras_detections(trained, canvases, tmp_path):
    from refs.detection.export import export

    model, _ = trained
    images = _images(canvases)[:5]
    export(model, "saved_model", tmp_path / "sm", (128, 128))
    loaded = tf.saved_model.load(str(tmp_path / "sm"))  # keep it: it owns the variables
    served = loaded.serve(tf.constant(images))
    want = model.predict(images, verbose=0)
    np.testing.assert_array_equal(served["num_detections"].numpy(), want["num_detections"])
    np.testing.assert_array_equal(served["classes"].numpy(), want["classes"])
    np.testing.assert_allclose(served["boxes"].numpy(), want["boxes"], atol=1e-4)
    np.testing.assert_allclose(served["scores"].numpy(), want["scores"], atol=1e-6)


def test_exported_onnx_in_onnxruntime_gives_the_keras_boxes(trained, canvases, tmp_path):
    ort = pytest.importorskip("onnxruntime", reason="the export extra: pip install '.[export]'")
    pytest.importorskip("tf2onnx", reason="the export extra: pip install '.[export]'")
    from refs.detection.export import export

    model, _ = trained
    images = _images(canvases)[:5]
    path = export(model, "onnx", tmp_path / "detector.onnx", (128, 128))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    outputs = dict(zip(names, session.run(None, {session.get_inputs()[0].name: images})))
    boxes = next(v for v in outputs.values() if v.shape[-1] == 4)
    scores = next(v for v in outputs.values() if v.shape[-1] == 10)
    # before NMS: the same decoded boxes and scores for every anchor
    from refs.detection.retinanet import inference_model

    want_boxes, want_scores = (np.asarray(v) for v in inference_model(model, 128, 128)(
        images).values())
    np.testing.assert_allclose(boxes, want_boxes, atol=1e-3)
    np.testing.assert_allclose(scores, want_scores, atol=1e-5)
    # after the NMS post-step: the detections of model.predict (near-ties may swap places)
    got = nms_per_class(boxes, scores, model.score_threshold, model.iou_threshold)
    want = model.predict(images, verbose=0)
    np.testing.assert_array_equal(got["num_detections"], want["num_detections"])
    np.testing.assert_allclose(got["scores"], want["scores"], atol=1e-5)
    for i in range(len(images)):
        n = want["num_detections"][i]
        clear = want["scores"][i, :n] > want["scores"][i, n - 1] + 1e-4  # not at the cut
        for j in np.flatnonzero(clear):
            close = ((got["classes"][i, :n] == want["classes"][i, j])
                     & (np.abs(got["boxes"][i, :n] - want["boxes"][i, j]).max(axis=1) < 1e-3)
                     & (np.abs(got["scores"][i, :n] - want["scores"][i, j]) < 1e-5))
            assert close.any(), (i, j)


def test_export_cli_writes_both_formats(tmp_path, trained, monkeypatch):
    """The command line on a run directory (a checkpoint of the trained tiny model)."""
    from refs.cli import guarded
    from refs.detection import export as export_cli
    from refs.detection.config import TrainConfig
    from refs.tracking import Run
    from refs.utils.checkpoint import CheckpointManager

    model, _ = trained
    run_dir = tmp_path / "run"
    hparams = TrainConfig(**SMALL, score_threshold=0.0).hparams()
    with Run("detection", run_dir=run_dir, config=hparams):
        pass
    CheckpointManager(run_dir / "checkpoints").save(1, {"model": model.network.variables}, {})
    monkeypatch.chdir(tmp_path)
    assert guarded(export_cli.main, [str(run_dir), "--format", "saved_model", "--out", "sm"]) == 0
    assert (tmp_path / "sm" / "saved_model.pb").is_file()
    code = guarded(export_cli.main, [str(run_dir), "--format", "saved_model", "--out", "sm2",
                                     "--image-size", "100"])
    assert code == 2


def test_coco_evaluation_scores_images_without_detections():
    """keras-cv's COCO evaluation skipped images without detections, which inflates mAP; here
    a perfect detection on one image and nothing on the other is recall 0.5, AP about 0.5."""
    boxes = np.zeros((2, 1, 4), np.float32)
    boxes[:, 0] = [10, 10, 40, 50]
    canvases = Canvases(np.zeros((2, 64, 64), np.uint8), boxes, np.array([[3], [3]], np.int32))
    gt = ground_truth_json(canvases, [str(d) for d in range(10)])
    perfect = {"boxes": boxes[0], "scores": np.array([0.9]), "classes": np.array([3])}
    nothing = {"boxes": np.zeros((0, 4)), "scores": np.zeros(0), "classes": np.zeros(0, int)}
    both = coco_evaluate(gt, results_json([perfect, perfect], [1, 2]))
    one = coco_evaluate(gt, results_json([perfect, nothing], [1, 2]))
    assert both["mAP50"] == pytest.approx(1.0)
    assert one["mAP50"] == pytest.approx(0.5, abs=0.02)
    assert one["AR100"] == pytest.approx(0.5)
    json.dumps(one)  # plain JSON types


def test_group_norm_heads_train_and_reload_to_the_same_predictions(canvases, tmp_path):
    from refs.detection import config, model

    assert config.HEAD_NORMS == model.HEAD_NORMS  # the TensorFlow-free copy
    keras.utils.set_random_seed(1)
    net = RetinaNet(10, head_norm="group", widths=(4, 4, 8, 8, 8), fpn_channels=16,
                    head_depth=1, score_threshold=0.0)
    names = [layer.name for layer in net.network.layers]
    assert {"cls_gn0", "box_gn0"} <= set(names)
    net.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = net.fit(_dataset(canvases), epochs=1, verbose=0).history
    assert np.isfinite(history["loss"]).all()
    net.save(tmp_path / "gn.keras")
    again = keras.models.load_model(tmp_path / "gn.keras")
    assert again.head_norm == "group"
    images = _images(canvases)[:4]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again(images)),
                               keras.ops.convert_to_numpy(net(images)), rtol=1e-5, atol=1e-5)


def test_head_norm_is_checked_where_it_is_given():
    from refs.detection.config import TrainConfig

    with pytest.raises(ValueError, match="head_norm"):
        RetinaNet(3, head_norm="batch", **SMALL)
    with pytest.raises(ValueError, match="head_norm"):
        TrainConfig(head_norm="layer")
    with pytest.raises(ValueError, match="fpn_channels"):
        RetinaNet(3, head_norm="group", widths=(4, 4, 8, 8, 8), fpn_channels=24, head_depth=1)


def test_median_background_removes_a_flat_background_of_any_level():
    """Ink laid over a background B as B + (1 - B) I (refs.detection.data.render_canvas) comes
    back as I after the median background removal; a black background is left unchanged."""
    from refs.detection.model import MedianBackground

    ink = np.zeros((1, 32, 32, 1), "float32")
    ink[0, 4:12, 6:9] = 1.0
    ink[0, 20:24, 10:20] = 0.5
    layer = MedianBackground()
    for level in (0.0, 0.3, 0.75):
        image = level + (1.0 - level) * ink
        np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(image)), ink, atol=1e-6)


def test_input_norm_model_saves_and_reloads(canvases, tmp_path):
    from refs.detection import config, model

    assert config.INPUT_NORMS == model.INPUT_NORMS
    net = RetinaNet(10, input_norm="median", **SMALL)
    assert "median_background" in [layer.name for layer in net.network.layers]
    net.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    images = _images(canvases)[:2] * 0.5 + 0.4   # a bright background
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again(images)),
                               keras.ops.convert_to_numpy(net(images)), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="input_norm"):
        RetinaNet(3, input_norm="mean", **SMALL)


def test_wide_background_choice_reaches_the_canvases(mnist_path):
    from refs.data import load_mnist
    from refs.detection import config, data

    assert config.BACKGROUNDS == data.BACKGROUNDS
    mnist = load_mnist(mnist_path)
    digits, labels = data.split_digits(mnist, "train")
    black = data.make_canvases(digits, labels, 40, distribution="wide", clutter_fraction=0.0,
                               wide_background="black")
    mixed = data.make_canvases(digits, labels, 40, distribution="wide", clutter_fraction=0.0)
    # median pixel: near 0 on black canvases (clipped noise, some ink); far above on some mixed
    assert np.median(black.images.reshape(40, -1), axis=1).max() < 20
    assert np.median(mixed.images.reshape(40, -1), axis=1).max() > 100
    with pytest.raises(ValueError, match="wide_background"):
        data.make_canvases(digits, labels, 2, distribution="wide", wide_background="pink")
    with pytest.raises(ValueError, match="background"):
        config.TrainConfig(background="pink")
