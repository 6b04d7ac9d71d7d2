"""Export a trained detector: ``python -m refs.detection.export RUN_DIR --format onnx --out PATH``.

Two formats, both through Keras 3's export machinery, for images of one size (the run's image
size unless ``--image-size H,W``; multiples of the largest stride), any batch size:

- ``saved_model``: a TensorFlow SavedModel whose ``serve`` signature is the whole of
  :meth:`refs.detection.RetinaNet.predict`: ``images (B, H, W, C)`` float32 in [0, 1] ->
  ``boxes (B, K, 4)`` xyxy pixels, ``scores (B, K)``, ``classes (B, K)`` (-1 past the last),
  ``num_detections (B,)``; non-maximum suppression is inside the graph.
- ``onnx``: an ONNX file (``tf2onnx``, the ``export`` extra) of the network and the box decoding:
  ``images`` -> ``boxes (B, N, 4)`` xyxy pixels for every anchor and ``scores (B, N, C)``.
  Non-maximum suppression is the post-step, done by the same function the Keras path uses::

      boxes, scores = session.run(None, {"images": images})
      detections = refs.detection.decode.nms_per_class(boxes, scores, score_threshold=0.05)

  (``onnxruntime`` needs nothing from refs; the post-step is any per-class NMS at IoU 0.5.)
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from refs.cli import ArgumentParser, import_tensorflow_quietly, run_cli
from refs.errors import UsageError

FORMATS = ("saved_model", "onnx")


def _image_size(text: str) -> tuple[int, int]:
    try:
        parts = [int(v) for v in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) not in (1, 2) or any(p < 1 for p in parts):
        raise argparse.ArgumentTypeError(f"expected a side or H,W in pixels, got {text!r}")
    return (parts[0], parts[-1])


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="python -m refs.detection.export",
                            description="Export a trained detection run as a TensorFlow "
                                        "SavedModel (NMS inside) or ONNX (NMS as a post-step).",
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("run_dir", help="the run directory written by refs.detection.train")
    parser.add_argument("--format", choices=FORMATS, required=True, help="what to write")
    parser.add_argument("--out", required=True,
                        help="the SavedModel folder, or the .onnx file, to write")
    parser.add_argument("--image-size", type=_image_size, default=None,
                        help="H,W (or one side) of the images the export takes (default: the "
                             "run's image size); multiples of the largest anchor stride")
    return parser


def export(model, fmt: str, out, image_size: tuple[int, int]) -> Path:
    """Write ``model`` (a :class:`~refs.detection.RetinaNet`) in format ``fmt`` to ``out``."""
    import keras
    import tensorflow as tf

    from refs.detection.retinanet import inference_model

    h, w = image_size
    if h % model.multiple or w % model.multiple:
        raise UsageError(f"--image-size must be multiples of {model.multiple} (the largest "
                         f"anchor stride), got {h},{w}")
    out = Path(out)
    if fmt == "onnx":
        from refs.utils.files import output_path

        output_path(out, "--out")
        try:
            import tf2onnx  # noqa: F401 - Keras's ONNX export needs it
        except ImportError:
            raise UsageError("--format onnx needs tf2onnx: pip install -e '.[export]'") from None
        spec = [keras.InputSpec(shape=(None, h, w, model.input_channels), dtype="float32",
                                name="images")]
        inference_model(model, h, w).export(str(out), format="onnx", input_signature=spec,
                                            verbose=False)
        return out
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; a SavedModel is a folder")
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        "serve", lambda images: model.decode(model(images, training=False), (h, w)),
        input_signature=[tf.TensorSpec((None, h, w, model.input_channels), tf.float32,
                                       name="images")])
    archive.write_out(str(out), verbose=False)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import_tensorflow_quietly()
    from refs.detection.detector import load_with_settings

    model, hparams = load_with_settings(args.run_dir)
    size = args.image_size or (hparams["image_size"], hparams["image_size"])
    path = export(model, args.format, args.out, size)
    print(f"wrote {args.format} for {size[0]}x{size[1]} images: {path}")
    return 0


if __name__ == "__main__":
    run_cli(main)
