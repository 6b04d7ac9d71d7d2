"""refs.detection: focal loss inside a small RetinaNet-style detector, scored with COCO mAP.

Read the files in this order - one image from pixels to boxes (the keras-io RetinaNet narrative,
one file per concept as in keras-hub):

0. :mod:`~refs.detection.data` - synthetic MNIST canvases (tight ink boxes, empty canvases on
   purpose) as ``tf.data``; :mod:`~refs.detection.coco` - a user's COCO-JSON dataset, COCO
   results, pycocotools mAP.
1. :mod:`~refs.detection.anchors` - anchors on pyramid levels P3-P5.
2. :mod:`~refs.detection.matching` - IoU matching (positive >= 0.5, negative < 0.4, ignored
   between); :mod:`~refs.detection.encoding` - box offsets with variances, the label encoder.
3. :mod:`~refs.detection.model` - small backbone, FPN, shared class/box subnets, prior init.
4. :mod:`~refs.detection.loss` - focal loss (from :mod:`refs.losses`) over non-ignored
   anchors / max(1, positives) + Huber or GIoU box loss (:func:`refs.losses.giou_loss`).
5. :mod:`~refs.detection.decode` - score threshold, top-k, per-class NMS.
6. :mod:`~refs.detection.retinanet` - :class:`RetinaNet`, all of it as one ``keras.Model``
   (``fit`` on boxes and classes, ``predict`` detections, ``save``/``load_model``, ``export``);
   :mod:`~refs.detection.detector` - a run's model (:func:`load_model`) and :func:`detect`;
   :mod:`~refs.detection.metrics`, :mod:`~refs.detection.draw` - PR-curve matching, pictures.

Commands: ``python -m refs.detection.train``, ``python -m refs.detection.evaluate RUN_DIR``,
``python -m refs.detection.predict RUN_DIR --images DIR --out detections.json [--draw DIR]``.
"""

__all__ = ["RetinaNet", "load_model"]


def __getattr__(name):  # PEP 562: importing refs.detection stays free of TensorFlow
    if name == "RetinaNet":
        from refs.detection.retinanet import RetinaNet

        return RetinaNet
    if name == "load_model":
        from refs.detection.detector import load_model

        return load_model
    raise AttributeError(f"module 'refs.detection' has no attribute {name!r}")
