"""The detector as one ``keras.Model`` a user takes into their own code: :class:`RetinaNet`.

Like keras-hub's ``RetinaNetObjectDetector``, but small and trained from scratch. The model owns
its anchors, its label encoder, its loss and its decoder:

- ``fit`` takes ``(images, {"boxes": ..., "classes": ...})``: images ``(B, H, W, C)`` float in
  [0, 1]; boxes ``(B, M, 4)`` in ``bounding_box_format`` (pixels), padded or a
  ``tf.RaggedTensor``; classes ``(B, M)`` integer, padding ``-1``. The targets are built inside
  the step (IoU matching of :mod:`~refs.detection.matching`, offsets of
  :mod:`~refs.detection.encoding`) and the loss is :class:`~refs.detection.loss.DetectionLoss`
  (focal loss + Huber or GIoU), set by :meth:`RetinaNet.compile`.
- ``model(images)`` returns the raw predictions ``(B, N, 4 + C)`` (box offsets, class logits,
  for the ``N`` anchors of the image size); this is what ``export`` writes.
- ``predict(images)`` returns the detections: ``{"boxes": (B, K, 4)`` in
  ``bounding_box_format``, ``"scores": (B, K)``, ``"classes": (B, K)`` (``-1`` past the last
  detection), ``"num_detections": (B,)}`` with ``K = max_detections``, after the score
  threshold and per-class non-maximum suppression.

Box formats (``bounding_box_format``): ``"xyxy"`` ``[x_min, y_min, x_max, y_max]`` (the
default), ``"xywh"`` ``[x_min, y_min, w, h]`` and ``"center_xywh"`` ``[x_c, y_c, w, h]``, all in
pixels, as in ``keras.utils.bounding_boxes``. Image sides must be multiples of the largest
stride (32 by default) for ``fit``; ``predict`` pads at the bottom and right by itself.

Example:
    >>> model = RetinaNet(num_classes=10)
    >>> model.compile(optimizer="adam")                    # focal loss + Huber
    >>> model.fit(dataset, epochs=1)                       # (images, {"boxes", "classes"})
    >>> detections = model.predict(images)                 # dict of boxes, scores, classes
    >>> model.save("detector.keras")                       # keras.models.load_model reloads it
"""

from __future__ import annotations

import keras
from keras import ops

from refs.detection.anchors import DIGIT_ASPECT_RATIOS, AnchorGenerator
from refs.detection.encoding import (
    ASSIGNERS,
    VARIANCES,
    LabelEncoder,
    centers_to_corners,
    corners_to_centers,
    decode_boxes,
)
from refs.detection.loss import DetectionLoss

BOX_FORMATS = ("xyxy", "xywh", "center_xywh")


def to_corners(boxes, box_format: str):
    """Boxes in ``box_format`` -> ``xyxy``."""
    if box_format == "xyxy":
        return boxes
    if box_format == "xywh":
        return ops.concatenate([boxes[..., :2], boxes[..., :2] + boxes[..., 2:]], axis=-1)
    return centers_to_corners(boxes)


def from_corners(boxes, box_format: str):
    """``xyxy`` boxes -> ``box_format``."""
    if box_format == "xyxy":
        return boxes
    if box_format == "xywh":
        return ops.concatenate([boxes[..., :2], boxes[..., 2:] - boxes[..., :2]], axis=-1)
    return corners_to_centers(boxes)


def _dense(value, fill):
    """A ``tf.RaggedTensor`` padded to a dense tensor with ``fill``; anything else unchanged."""
    to_tensor = getattr(value, "to_tensor", None)
    return to_tensor(default_value=fill) if to_tensor is not None else value


@keras.saving.register_keras_serializable(package="refs.detection")
class RetinaNet(keras.Model):
    """A small RetinaNet-style detector (backbone, FPN, shared class and box subnets).

    Args:
        num_classes: number of object classes.
        input_channels: 1 (grey) or 3.
        strides, sizes, scales, aspect_ratios: the anchors
            (:class:`~refs.detection.anchors.AnchorGenerator`): one level per stride with base
            side ``size``, times each scale and aspect ratio ``w / h``.
        widths, fpn_channels, head_depth, prior, head_norm: the network
            (:func:`~refs.detection.model.build_retinanet`); ``prior=None`` starts the class
            bias at 0 instead of ``logit(0.01)``; ``head_norm="group"`` adds group
            normalisation to the heads (FCOS / ATSS).
        input_norm: ``"median"`` removes each image's median background level first
            (:class:`~refs.detection.model.MedianBackground`).
        positive_iou, negative_iou: IoU matching thresholds of the training targets.
        assigner: ``"iou"`` (those thresholds, RetinaNet) or ``"atss"`` (adaptive training
            sample selection, :func:`~refs.detection.matching.match_anchors_atss`).
        bounding_box_format: ``"xyxy"``, ``"xywh"`` or ``"center_xywh"`` (pixels), for the
            boxes ``fit`` takes and ``predict`` returns.
        score_threshold, iou_threshold, max_detections: decoding (score cut, per-class NMS IoU,
            detections kept per image).
    """

    def __init__(self, num_classes: int, input_channels: int = 1,
                 strides=(8, 16, 32), sizes=(16.0, 32.0, 64.0),
                 scales=(1.0, 2 ** (1 / 3), 2 ** (2 / 3)), aspect_ratios=DIGIT_ASPECT_RATIOS,
                 widths=(16, 32, 48, 64, 96), fpn_channels: int = 64, head_depth: int = 2,
                 prior: float | None = 0.01, positive_iou: float = 0.5,
                 negative_iou: float = 0.4, assigner: str = "iou",
                 bounding_box_format: str = "xyxy",
                 score_threshold: float = 0.05, iou_threshold: float = 0.5,
                 max_detections: int = 100, head_norm: str = "none",
                 input_norm: str = "median", **kwargs):
        from refs.detection.model import build_retinanet
        from refs.losses import validation

        super().__init__(**kwargs)
        self.num_classes = validation.check_int("num_classes", num_classes, minimum=1)
        validation.check_choice("input_channels", input_channels, (1, 3))
        validation.check_choice("bounding_box_format", bounding_box_format, BOX_FORMATS)
        for name, value in (("score_threshold", score_threshold),
                            ("iou_threshold", iou_threshold)):
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if not 0.0 <= negative_iou <= positive_iou <= 1.0:
            raise ValueError(f"need 0 <= negative_iou <= positive_iou <= 1, got "
                             f"{negative_iou}, {positive_iou}")
        self.input_channels = int(input_channels)
        self.anchor_generator = AnchorGenerator(strides, sizes, scales, aspect_ratios)
        self.widths, self.fpn_channels = tuple(int(w) for w in widths), int(fpn_channels)
        self.head_depth, self.prior = int(head_depth), prior
        self.head_norm, self.input_norm = head_norm, input_norm
        self.positive_iou, self.negative_iou = float(positive_iou), float(negative_iou)
        validation.check_choice("assigner", assigner, ASSIGNERS)
        self.assigner = assigner
        self.bounding_box_format = bounding_box_format
        self.score_threshold, self.iou_threshold = float(score_threshold), float(iou_threshold)
        self.max_detections = validation.check_int("max_detections", max_detections, minimum=1)
        self.network = build_retinanet(self.num_classes, self.anchor_generator,
                                       self.input_channels, self.widths, self.fpn_channels,
                                       self.head_depth, prior, name="network",
                                       head_norm=head_norm, input_norm=input_norm)
        self.loss_settings = {"cls_loss": "focal", "alpha": 0.25, "gamma": 2.0,
                              "box_loss": "huber", "delta": 1.0, "box_weight": 1.0}
        self._encoders: dict = {}
        self._losses: dict = {}
        self._parts = {name: keras.metrics.Mean(name=name)
                       for name in ("cls_loss", "box_loss", "num_positives")}
        self.built = True  # the functional network is built for any image size

    # -- the parts that depend on the image size ------------------------------------------------
    @property
    def multiple(self) -> int:
        """Image sides are padded to a multiple of this (the largest stride)."""
        return max(self.anchor_generator.strides)

    def _static_size(self, images) -> tuple[int, int]:
        h, w = images.shape[1], images.shape[2]
        if h is None or w is None:
            raise ValueError("RetinaNet needs images of a static size to train (batch a "
                             "tf.data.Dataset whose images have a known height and width)")
        return int(h), int(w)

    def encoder(self, height: int, width: int) -> LabelEncoder:
        """The label encoder (anchors and matching) for ``height x width`` images."""
        key = (int(height), int(width))
        if key not in self._encoders:
            self._encoders[key] = LabelEncoder(self.anchor_generator, key, self.positive_iou,
                                               self.negative_iou, assigner=self.assigner)
        return self._encoders[key]

    def detection_loss(self, height: int, width: int) -> DetectionLoss:
        """The :class:`DetectionLoss` of the compiled settings for ``height x width`` images."""
        key = (int(height), int(width))
        if key not in self._losses:
            self._losses[key] = DetectionLoss(self.num_classes, anchors=self.encoder(
                *key).anchors, **self.loss_settings)
        return self._losses[key]

    # -- Keras ----------------------------------------------------------------------------------
    def compile(self, optimizer="adam", classification_loss: str = "focal", alpha: float = 0.25,
                gamma: float = 2.0, box_loss: str = "huber", delta: float = 1.0,
                box_weight: float = 1.0, **kwargs):
        """Compile with the detection loss: ``classification_loss`` ``"focal"`` (``alpha``,
        ``gamma``), ``"bce"`` or ``"quality"`` (IoU-aware quality focal loss, ``gamma``);
        ``box_loss`` ``"huber"`` (``delta``) or ``"giou"``; the total is
        ``L_cls + box_weight * L_box`` (see :class:`~refs.detection.loss.DetectionLoss`). Other
        keyword arguments go to ``keras.Model.compile`` (``loss`` is not accepted)."""
        if "loss" in kwargs:
            raise ValueError("RetinaNet.compile sets its own loss: use classification_loss and "
                             "box_loss instead of loss")
        settings = {"cls_loss": classification_loss, "alpha": alpha, "gamma": gamma,
                    "box_loss": box_loss, "delta": delta, "box_weight": box_weight}
        DetectionLoss(self.num_classes, anchors=[[0.0, 0.0, 1.0, 1.0]], **settings)  # checks
        self.loss_settings, self._losses = settings, {}
        super().compile(optimizer=optimizer, **kwargs)

    def get_compile_config(self):
        config = super().get_compile_config() or {}
        return {**config, "classification_loss": self.loss_settings["cls_loss"],
                **{k: v for k, v in self.loss_settings.items() if k != "cls_loss"}}

    def compile_from_config(self, config):
        config = keras.saving.deserialize_keras_object(config)
        if config.get("loss") is None:
            config.pop("loss", None)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def call(self, images, training=False):
        h, w = images.shape[1], images.shape[2]
        if (h is not None and h % self.multiple) or (w is not None and w % self.multiple):
            raise ValueError(f"image height and width must be multiples of {self.multiple} (the "
                             f"largest stride; predict() pads by itself), got {h}x{w}")
        return self.network(images, training=training)

    def targets(self, images, y):
        """The per-anchor training targets ``(B, N, 5)`` of ``y = {"boxes", "classes"}``."""
        if not isinstance(y, dict) or not {"boxes", "classes"} <= set(y):
            raise ValueError("RetinaNet trains on (images, {'boxes': ..., 'classes': ...}), got "
                             f"y of type {type(y).__name__}")
        boxes = ops.cast(_dense(y["boxes"], 0.0), "float32")
        classes = ops.cast(_dense(y["classes"], -1), "int32")
        if boxes.shape[-2] is None:  # ragged: one padding object so that matching sees >= 1
            boxes = ops.pad(boxes, [[0, 0], [0, 1], [0, 0]])
            classes = ops.pad(classes, [[0, 0], [0, 1]], constant_values=-1)
        boxes = to_corners(boxes, self.bounding_box_format)
        return self.encoder(*self._static_size(images)).encode(boxes, classes)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,  # noqa: ARG002
                     training=True):  # noqa: ARG002 - Keras's signature; the loss needs y only
        size = self._static_size(x)
        parts = self.detection_loss(*size)(self.targets(x, y), y_pred)
        for name, tracker in self._parts.items():
            tracker.update_state(parts[name])
        # Under tf.distribute the per-replica gradients are summed: scale like Keras does.
        return parts["loss"] / _replicas()

    @property
    def metrics(self):
        return list(super().metrics) + list(self._parts.values())

    def decode(self, predictions, image_size):
        """Detections (the dict of :meth:`predict`) from raw predictions of ``image_size``
        ``(H, W)`` images (padded to a multiple of the largest stride before the network)."""
        from refs.detection.decode import combined_nms

        h, w = int(image_size[0]), int(image_size[1])
        padded = (-(-h // self.multiple) * self.multiple, -(-w // self.multiple) * self.multiple)
        anchors = ops.convert_to_tensor(self.anchor_generator(*padded))
        boxes = decode_boxes(predictions[..., :4], anchors[None], VARIANCES)
        boxes = ops.clip(boxes, 0.0, ops.convert_to_tensor([w, h, w, h], "float32"))
        scores = ops.sigmoid(ops.cast(predictions[..., 4:], "float32"))
        dets = combined_nms(boxes, scores, self.score_threshold, self.iou_threshold,
                            self.max_detections, self.max_detections)
        dets["boxes"] = from_corners(dets["boxes"], self.bounding_box_format)
        return dets

    def predict_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        images = ops.convert_to_tensor(images, "float32")
        h, w = images.shape[1], images.shape[2]
        if h is None or w is None:
            raise ValueError("RetinaNet.predict needs images of a static size")
        pad_h, pad_w = -h % self.multiple, -w % self.multiple
        if pad_h or pad_w:
            images = ops.pad(images, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]])
        return self.decode(self(images, training=False), (h, w))

    def predict(self, x, *args, **kwargs):
        """Detections of images ``x`` (an array, a tensor or a ``tf.data.Dataset``); see the
        module docstring for the output. Images of another size than the last call's are fine
        (the decoding, whose anchors depend on the size, is traced again)."""
        spec = getattr(x, "element_spec", None)
        shape = getattr(spec[0] if isinstance(spec, (tuple, list)) else spec, "shape",
                        None) if spec is not None else getattr(x, "shape", None)
        size = tuple(shape[1:3]) if shape is not None and len(shape) == 4 else None
        if size != getattr(self, "_predict_size", None):
            self.predict_function = None
            self._predict_size = size
        return super().predict(x, *args, **kwargs)

    def get_config(self):
        gen = self.anchor_generator
        return {**super().get_config(), "num_classes": self.num_classes,
                "input_channels": self.input_channels, "strides": list(gen.strides),
                "sizes": list(gen.sizes), "scales": list(gen.scales),
                "aspect_ratios": list(gen.aspect_ratios), "widths": list(self.widths),
                "fpn_channels": self.fpn_channels, "head_depth": self.head_depth,
                "prior": self.prior, "positive_iou": self.positive_iou,
                "negative_iou": self.negative_iou, "assigner": self.assigner,
                "bounding_box_format": self.bounding_box_format,
                "score_threshold": self.score_threshold, "iou_threshold": self.iou_threshold,
                "max_detections": self.max_detections, "head_norm": self.head_norm,
                "input_norm": self.input_norm}


@keras.saving.register_keras_serializable(package="refs.detection")
class DecodeBoxes(keras.layers.Layer):
    """Raw predictions ``(B, N, 4 + C)`` of ``height x width`` images -> ``(boxes (B, N, 4)``
    ``xyxy`` pixels clipped to the image, ``scores (B, N, C)`` sigmoid probabilities``)``: the
    decoding before NMS, as a layer (what the ONNX export ends with; NMS is the post-step
    :func:`refs.detection.decode.nms_per_class`)."""

    def __init__(self, anchors, height: int, width: int, **kwargs):
        super().__init__(**kwargs)
        self.anchors = [[float(v) for v in row] for row in ops.convert_to_numpy(anchors)]
        self.height, self.width = int(height), int(width)

    def call(self, predictions):
        anchors = ops.convert_to_tensor(self.anchors, "float32")
        boxes = decode_boxes(predictions[..., :4], anchors[None], VARIANCES)
        limit = ops.convert_to_tensor([self.width, self.height, self.width, self.height],
                                      "float32")
        return ops.clip(boxes, 0.0, limit), ops.sigmoid(predictions[..., 4:])

    def get_config(self):
        return {**super().get_config(), "anchors": self.anchors, "height": self.height,
                "width": self.width}


def inference_model(model: RetinaNet, height: int, width: int) -> keras.Model:
    """A functional model ``images (B, height, width, C) -> {"boxes", "scores"}`` (decoded,
    before NMS) for export; ``height`` and ``width`` must be multiples of the largest stride."""
    if height % model.multiple or width % model.multiple:
        raise ValueError(f"height and width must be multiples of {model.multiple}, got "
                         f"{height}x{width}")
    images = keras.Input((height, width, model.input_channels), name="images")
    boxes, scores = DecodeBoxes(model.anchor_generator(height, width), height, width,
                                name="decode")(model.network(images))
    return keras.Model(images, {"boxes": boxes, "scores": scores}, name="retinanet_inference")


def _replicas() -> int:
    """How many replicas sum their gradients (1 outside ``tf.distribute``)."""
    if keras.backend.backend() != "tensorflow":
        return 1
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync


def retinanet_from(hparams: dict) -> RetinaNet:
    """The (untrained) :class:`RetinaNet` a run's hyperparameters describe."""
    return RetinaNet(
        num_classes=len(hparams["class_names"]), input_channels=hparams.get("channels", 1),
        strides=hparams["strides"], sizes=hparams["sizes"], scales=hparams["scales"],
        aspect_ratios=hparams["aspect_ratios"], widths=hparams["widths"],
        fpn_channels=hparams["fpn_channels"], head_depth=hparams["head_depth"],
        prior=hparams.get("prior"), positive_iou=hparams.get("positive_iou", 0.5),
        negative_iou=hparams.get("negative_iou", 0.4),
        assigner=hparams.get("assigner", "iou"),
        score_threshold=hparams.get("score_threshold", 0.05),
        head_norm=hparams.get("head_norm", "none"),
        input_norm=hparams.get("input_norm", "none"))
