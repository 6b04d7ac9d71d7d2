"""Step 3: the network - a small backbone, a feature pyramid, and shared class and box subnets.

- Input normalisation (``input_norm="median"``): each image becomes ``(x - m) / (1 - m)`` with
  ``m`` its median pixel (the background level of a canvas that is mostly background), so a digit
  laid over a flat grey background of any brightness looks like one on black (in
  :func:`refs.detection.data.render_canvas` the ink is ``B + (1 - B) I``); a black-background
  image (``m = 0``) is unchanged. See :class:`MedianBackground`.
- Backbone (trained from scratch): a stride-2 stem, then one residual stage per stride
  (4, 8, 16, 32), each ``conv3x3/2 -> BN -> ReLU -> conv3x3 -> BN`` plus a 1x1 shortcut.
- Feature pyramid (FPN): 1x1 lateral convs to ``fpn_channels``, a top-down path
  ``P_l = lateral_l + upsample(P_{l+1})`` and a 3x3 output conv per level; strides above 32 come
  from stride-2 convs on top (RetinaNet's P6, P7).
- Heads, shared by every level: the class subnet (``head_depth`` 3x3 convs + ReLU, then a 3x3
  conv to ``A * C`` logits) and the box subnet (same, to ``A * 4`` offsets). ``head_norm="group"``
  puts a group normalisation (16 groups, shared by the levels) before each ReLU of the heads, as
  FCOS and ATSS do (Tian et al. 2019, Zhang et al. 2020): it speeds up training from scratch.
- Prior initialisation (RetinaNet, section 4.1): the last class conv has bias
  ``b = -log((1 - pi) / pi)`` so that every anchor starts with ``sigmoid(b) = pi = 0.01``: the
  ~100k easy negatives then do not swamp the first steps. ``prior=None`` (``--no-prior-init``)
  uses ``b = 0``, i.e. ``p = 0.5`` everywhere.

The output is one tensor ``(B, N, 4 + C)``: box offsets, then class logits, for the ``N``
anchors of :class:`refs.detection.anchors.AnchorGenerator` in its order. The input side must be
a multiple of the largest stride (pad with :func:`pad_to_multiple`).

Example:
    >>> net = build_retinanet(num_classes=10)
    >>> net(np.zeros((2, 128, 128, 1), "float32")).shape
    TensorShape([2, 3024, 14])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
from keras import layers, ops

from refs.detection.anchors import AnchorGenerator

BACKBONE_STRIDES = (4, 8, 16, 32)
#: input normalisation: none, or the per-image median background removal of MedianBackground
INPUT_NORMS = ("none", "median")
#: normalisation inside the shared heads: none (RetinaNet) or group normalisation (FCOS/ATSS)
HEAD_NORMS = ("none", "group")


@keras.saving.register_keras_serializable(package="refs.detection")
class MedianBackground(layers.Layer):
    """``(x - m) / max(1 - m, floor)`` per image, ``m`` the median over its pixels and channels:
    removes a flat background of level ``m`` from images in [0, 1] whose ink is
    ``m + (1 - m) I``, and rescales the ink to [0, 1]. ``floor`` (0.05) bounds the gain on an
    almost white image."""

    def __init__(self, floor: float = 0.05, **kwargs):
        super().__init__(**kwargs)
        self.floor = float(floor)

    def call(self, images):
        flat = ops.reshape(images, (ops.shape(images)[0], -1))
        median = ops.reshape(ops.median(flat, axis=1), (-1, 1, 1, 1))
        return (images - median) / ops.maximum(1.0 - median, self.floor)

    def get_config(self):
        return {**super().get_config(), "floor": self.floor}


def prior_logit(prior: float) -> float:
    """The logit ``b`` with ``sigmoid(b) = prior``: ``-log((1 - prior) / prior)``."""
    if not 0.0 < prior < 1.0:
        raise ValueError(f"prior must be in (0, 1), got {prior}")
    return -math.log((1.0 - prior) / prior)


def _conv_bn(x, filters, stride, name, relu=True):
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                      name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x) if relu else x


def _stage(x, filters, name):
    shortcut = layers.Conv2D(filters, 1, strides=2, use_bias=False, name=f"{name}_short")(x)
    shortcut = layers.BatchNormalization(name=f"{name}_short_bn")(shortcut)
    y = _conv_bn(x, filters, 2, f"{name}_a")
    y = _conv_bn(y, filters, 1, f"{name}_b", relu=False)
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([y, shortcut]))


def backbone_features(inputs, widths: Sequence[int]) -> dict[int, keras.KerasTensor]:
    """Feature maps keyed by stride (4, 8, 16, 32) of the small residual backbone."""
    if len(widths) != 5:
        raise ValueError(f"widths needs 5 entries (stem, stride 4, 8, 16, 32), got {widths}")
    x = _conv_bn(inputs, widths[0], 2, "stem")
    feats = {}
    for stride, w in zip(BACKBONE_STRIDES, widths[1:]):
        x = _stage(x, w, f"stage{stride}")
        feats[stride] = x
    return feats


def _head(filters_out, depth, channels, bias_init, name, norm="none"):
    """The layers of one subnet: ``depth`` times conv3x3 (+ group norm) + ReLU, then the output
    conv3x3. Shared by every level (one set of weights)."""
    layers_ = []
    for i in range(depth):
        layers_.append(layers.Conv2D(
            channels, 3, padding="same", activation=None if norm == "group" else "relu",
            use_bias=norm != "group",
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
            name=f"{name}_conv{i}"))
        if norm == "group":
            layers_.append(layers.GroupNormalization(min(16, channels), name=f"{name}_gn{i}"))
            layers_.append(layers.ReLU(name=f"{name}_relu{i}"))
    layers_.append(layers.Conv2D(filters_out, 3, padding="same",
                                 kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
                                 bias_initializer=bias_init, name=f"{name}_out"))
    return layers_


def _apply(convs, x):
    for conv in convs:
        x = conv(x)
    return x


def build_retinanet(
    num_classes: int,
    anchor_generator: AnchorGenerator | None = None,
    input_channels: int = 1,
    widths: Sequence[int] = (16, 32, 48, 64, 96),
    fpn_channels: int = 64,
    head_depth: int = 2,
    prior: float | None = 0.01,
    name: str = "retinanet",
    head_norm: str = "none",
    input_norm: str = "none",
) -> keras.Model:
    """The detector network as a functional ``keras.Model`` with input ``(H, W, input_channels)``
    (any ``H, W`` that are multiples of the largest stride) and output ``(B, N, 4 + C)``."""
    if int(num_classes) < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    if input_norm not in INPUT_NORMS:
        raise ValueError(f"input_norm must be one of {INPUT_NORMS}, got {input_norm!r}")
    if head_norm not in HEAD_NORMS:
        raise ValueError(f"head_norm must be one of {HEAD_NORMS}, got {head_norm!r}")
    if head_norm == "group" and int(fpn_channels) % min(16, int(fpn_channels)):
        raise ValueError(f"head_norm='group' needs fpn_channels divisible by 16 (or below 16), "
                         f"got {fpn_channels}")
    gen = anchor_generator or AnchorGenerator()
    strides = list(gen.strides)
    if sorted(strides) != strides or any(s & (s - 1) or s < 4 for s in strides):
        raise ValueError(f"strides must be increasing powers of two >= 4, got {strides}")
    a = gen.anchors_per_location
    inputs = keras.Input((None, None, int(input_channels)), name="image")
    x = MedianBackground(name="median_background")(inputs) if input_norm == "median" else inputs
    feats = backbone_features(x, widths)

    # top-down FPN over the backbone strides that are used, plus extra strided levels on top
    fpn_strides = [s for s in strides if s <= 32]
    pyramid = {}
    top, top_stride = None, None
    for s in sorted(fpn_strides or [32], reverse=True):
        lat = layers.Conv2D(fpn_channels, 1, name=f"fpn_lateral{s}")(feats[s])
        if top is not None:
            up = layers.UpSampling2D(top_stride // s, name=f"fpn_up{s}")(top)
            lat = layers.Add(name=f"fpn_add{s}")([lat, up])
        top, top_stride = lat, s
        pyramid[s] = layers.Conv2D(fpn_channels, 3, padding="same", name=f"fpn_out{s}")(top)
    x = pyramid.get(32, feats[32])
    for s in (s for s in strides if s > 32):
        x = layers.Conv2D(fpn_channels, 3, strides=2, padding="same", name=f"fpn_extra{s}")(
            layers.ReLU()(x) if s > 64 else x)
        pyramid[s] = x

    bias = keras.initializers.Constant(prior_logit(prior)) if prior is not None else "zeros"
    cls_convs = _head(a * num_classes, head_depth, fpn_channels, bias, "cls", head_norm)
    box_convs = _head(a * 4, head_depth, fpn_channels, "zeros", "box", head_norm)
    boxes, logits = [], []
    for s in strides:
        boxes.append(layers.Reshape((-1, 4), name=f"box_flat{s}")(_apply(box_convs, pyramid[s])))
        logits.append(layers.Reshape((-1, num_classes), name=f"cls_flat{s}")(
            _apply(cls_convs, pyramid[s])))
    out = layers.Concatenate(axis=-1, name="predictions")([
        layers.Concatenate(axis=1, name="boxes")(boxes),
        layers.Concatenate(axis=1, name="logits")(logits),
    ])
    return keras.Model(inputs, out, name=name)


def pad_to_multiple(image: np.ndarray, multiple: int) -> np.ndarray:
    """Zero-pad ``(H, W, C)`` at the bottom and right to multiples of ``multiple`` (boxes in
    pixel coordinates are unchanged)."""
    h, w = image.shape[:2]
    ph, pw = -h % multiple, -w % multiple
    if ph == 0 and pw == 0:
        return image
    return np.pad(image, ((0, ph), (0, pw)) + ((0, 0),) * (image.ndim - 2))
