"""Step 4: the detection loss - focal loss over anchors plus a box regression loss.

With per-anchor targets from :class:`refs.detection.encoding.LabelEncoder` (class id, -1
background, -2 ignored) and predictions ``(B, N, 4 + C)``:

    L_cls = sum_{non-ignored anchors a} sum_c FL(p_{a,c}, y_{a,c}) / max(1, N_pos)
    L_box = sum_{positive anchors a} box_loss(t_a, t*_a)          / max(1, N_pos)
    L     = L_cls + box_weight * L_box

where ``y_{a,c}`` is one-hot (all zeros on background), ``N_pos`` the number of positive anchors
in the batch and ``FL`` the sigmoid focal loss of :mod:`refs.losses`
(``-alpha_t (1 - p_t)^gamma log p_t``; ``gamma = 0`` and no alpha gives plain BCE). Dividing by
``max(1, N_pos)`` instead of ``N_pos`` keeps the loss finite on batches of empty images (the
focal term of pure background is then a plain sum). ``box_loss`` is the Huber / smooth L1 loss
on the encoded offsets (summed over the 4 coordinates) or, with ``box_loss="giou"``,
``1 - GIoU`` of the decoded boxes (:func:`refs.losses.giou_loss`, re-exported here).

Only the composite ``DetectionLoss`` lives here (it knows the detector's target layout); the
losses it combines are in :mod:`refs.losses`.

Example:
    >>> loss = DetectionLoss(num_classes=10, alpha=0.25, gamma=2.0)
    >>> parts = loss(targets, predictions)   # dict: loss, cls_loss, box_loss, num_positives
"""

from __future__ import annotations

import numpy as np
from keras import ops

from refs import losses
from refs.detection.encoding import CLASS_BACKGROUND, CLASS_IGNORED, VARIANCES, decode_boxes
from refs.losses import validation
from refs.losses.boxes import giou_loss

CLS_LOSSES = ("focal", "bce", "quality")
BOX_LOSSES = ("huber", "giou")

__all__ = ["BOX_LOSSES", "CLS_LOSSES", "DetectionLoss", "giou_loss"]


class DetectionLoss:
    """The RetinaNet loss; returns its parts so training can log them.

    Args:
        num_classes: C.
        cls_loss: ``"focal"`` (sigmoid focal loss), ``"bce"`` (plain sigmoid cross-entropy) or
            ``"quality"``: the quality focal loss of Li et al. 2020 (Generalized Focal Loss),
            IoU-aware classification: a positive anchor's target for its class is the IoU ``q``
            of its predicted box with its object (not 1), and every term is
            ``-|q - p|^gamma [q log p + (1 - q) log(1 - p)]`` (``alpha`` unused), so scores
            rank detections by how well they are placed. Needs ``anchors``.
        alpha: focal weight of positives in [0, 1] (tfa convention: ``alpha=0`` switches the
            weighting off). gamma: focusing parameter >= 0.
        box_loss: ``"huber"`` (smooth L1 on encoded offsets, ``delta``) or ``"giou"``.
        box_weight: the weight of the box term.
        anchors: ``(N, 4)`` anchors, needed for ``box_loss="giou"`` (to decode boxes).

    Every hyperparameter is validated here (``alpha`` by the focal losses' own check,
    :func:`refs.losses.validation.check_alpha`); eager calls check their inputs (shapes, NaN,
    infinite box offsets, class ids), traced calls (``fit``) skip the value checks.
    """

    def __init__(self, num_classes: int, cls_loss: str = "focal", alpha: float = 0.25,
                 gamma: float = 2.0, box_loss: str = "huber", delta: float = 1.0,
                 box_weight: float = 1.0, anchors=None, variances=VARIANCES):
        self.num_classes = validation.check_int("num_classes", num_classes, minimum=1)
        validation.check_choice("cls_loss", cls_loss, CLS_LOSSES)
        validation.check_choice("box_loss", box_loss, BOX_LOSSES)
        validation.check_alpha(alpha)
        validation.check_non_negative("gamma", gamma)
        validation.check_positive("delta", delta)
        validation.check_non_negative("box_weight", box_weight)
        validation.check_positive("variances", variances)
        if np.shape(variances) not in ((), (4,)):
            raise ValueError(f"variances must be one value or 4 (one per box offset), got "
                             f"{variances!r}")
        if (box_loss == "giou" or cls_loss == "quality") and anchors is None:
            raise ValueError(f"box_loss={box_loss!r} / cls_loss={cls_loss!r} needs the anchors "
                             "to decode boxes")
        if anchors is not None:
            anchors = validation.convert_input("DetectionLoss", "anchors", anchors)
            shape = validation.static_shape(anchors)
            if shape is not None and (len(shape) != 2 or shape[-1] != 4):
                raise ValueError(f"anchors must have shape (num_anchors, 4), got {shape}")
        self.cls_loss, self.box_loss = cls_loss, box_loss
        self.alpha, self.gamma, self.delta = float(alpha), float(gamma), float(delta)
        self.box_weight = float(box_weight)
        self.anchors = None if anchors is None else ops.convert_to_tensor(anchors, "float32")
        self.variances = variances

    def classification(self, one_hot, logits):
        """Per-anchor classification loss ``(B, N)``, summed over classes."""
        if self.cls_loss == "focal":
            return losses.sigmoid_focal_crossentropy(one_hot, logits, alpha=self.alpha,
                                                     gamma=self.gamma, from_logits=True)
        # Keras BCE averages over the last axis; times C gives the sum, like the focal loss.
        bce = losses.binary_crossentropy(one_hot[..., None], logits[..., None], from_logits=True)
        return ops.sum(bce, axis=-1)

    def quality(self, soft, logits):
        """Per-anchor quality focal loss ``(B, N)`` for soft targets ``soft (B, N, C)``."""
        p = ops.sigmoid(logits)
        # binary cross-entropy with soft targets, stable for any logit
        bce = ops.maximum(logits, 0.0) - logits * soft + ops.log1p(ops.exp(-ops.abs(logits)))
        return ops.sum(ops.power(ops.abs(soft - p), self.gamma) * bce, axis=-1)

    def box_quality(self, box_targets, box_preds):
        """IoU ``(B, N)`` of each anchor's predicted box with its target box (no gradient)."""
        from refs.losses.boxes import intersection_union

        true = decode_boxes(box_targets, self.anchors[None], self.variances)
        pred = decode_boxes(ops.stop_gradient(box_preds), self.anchors[None], self.variances)
        inter, union = intersection_union(true, pred)
        return ops.stop_gradient(inter / ops.maximum(union, 1e-6))

    def regression(self, box_targets, box_preds):
        """Per-anchor box loss ``(B, N)``."""
        if self.box_loss == "huber":
            # Huber averages over the 4 coordinates; times 4 gives the usual sum.
            return 4.0 * losses.huber(box_targets, box_preds, delta=self.delta)
        true = decode_boxes(box_targets, self.anchors[None], self.variances)
        pred = decode_boxes(box_preds, self.anchors[None], self.variances)
        return giou_loss(true, pred)

    def _check_inputs(self, y_true, y_pred):
        """Shapes (static), then, on eager inputs, NaN / inf and the class ids."""
        name = "DetectionLoss"
        y_true = validation.convert_input(name, "y_true", y_true)
        y_pred = validation.convert_input(name, "y_pred", y_pred)
        true_shape, pred_shape = validation.static_shape(y_true), validation.static_shape(y_pred)
        width = 4 + self.num_classes
        true_shape = true_shape if true_shape is not None else (None, None, None)
        pred_shape = pred_shape if pred_shape is not None else (None, None, None)
        if len(true_shape) != 3 or true_shape[-1] not in (5, None):
            raise ValueError(f"{name}: y_true must be (batch, anchors, 5) (4 box offsets and the "
                             f"class id), got shape {true_shape}")
        if len(pred_shape) != 3 or pred_shape[-1] not in (width, None):
            raise ValueError(f"{name}: y_pred must be (batch, anchors, 4 + num_classes = "
                             f"{width}), got shape {pred_shape}")
        if any(a is not None and b is not None and a != b
               for a, b in zip(true_shape[:2], pred_shape[:2])):
            raise ValueError(f"{name}: y_true {true_shape} and y_pred {pred_shape} must have the "
                             "same batch and anchor axes")
        y_true = ops.cast(y_true, "float32")
        y_pred = ops.cast(y_pred, "float32")
        # Infinite class logits are left to the classification loss (finite where they are on
        # the side of their target); infinite box offsets are errors.
        if validation.check_values(name, y_true, y_pred, infinite_pred=True):
            validation.check_values(name, y_pred=y_pred[..., :4])
        if validation.input_checks_enabled() and validation.is_concrete(y_true):
            validation.check_values(
                name, y_true[..., 4], true_range=(CLASS_IGNORED, self.num_classes - 1),
                integer_labels=True,
                true_hint=f"class ids are 0..{self.num_classes - 1}, {CLASS_BACKGROUND} "
                          f"background, {CLASS_IGNORED} ignored")
        return y_true, y_pred

    def __call__(self, y_true, y_pred) -> dict:
        y_true, y_pred = self._check_inputs(y_true, y_pred)
        cls_target = ops.cast(y_true[..., 4], "int32")
        positive = ops.cast(cls_target >= 0, "float32")
        valid = ops.cast(cls_target != CLASS_IGNORED, "float32")
        num_pos = ops.sum(positive)
        normaliser = ops.maximum(num_pos, 1.0)
        one_hot = ops.one_hot(ops.maximum(cls_target, 0), self.num_classes) * positive[..., None]
        if self.cls_loss == "quality":
            soft = one_hot * self.box_quality(y_true[..., :4], y_pred[..., :4])[..., None]
            per_anchor = self.quality(soft, y_pred[..., 4:])
        else:
            per_anchor = self.classification(one_hot, y_pred[..., 4:])
        cls = ops.sum(per_anchor * valid) / normaliser
        box = ops.sum(self.regression(y_true[..., :4], y_pred[..., :4]) * positive) / normaliser
        return {"loss": cls + self.box_weight * box, "cls_loss": cls, "box_loss": box,
                "num_positives": num_pos}

    def get_config(self) -> dict:
        return {"num_classes": self.num_classes, "cls_loss": self.cls_loss, "alpha": self.alpha,
                "gamma": self.gamma, "box_loss": self.box_loss, "delta": self.delta,
                "box_weight": self.box_weight}
