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

from keras import ops

from refs import losses
from refs.detection.encoding import IGNORE, VARIANCES, decode_boxes
from refs.losses import validation
from refs.losses.boxes import giou_loss

CLS_LOSSES = ("focal", "bce")
BOX_LOSSES = ("huber", "giou")

__all__ = ["BOX_LOSSES", "CLS_LOSSES", "DetectionLoss", "giou_loss"]


class DetectionLoss:
    """The RetinaNet loss; returns its parts so training can log them.

    Args:
        num_classes: C.
        cls_loss: ``"focal"`` (sigmoid focal loss) or ``"bce"`` (plain sigmoid cross-entropy).
        alpha: focal weight of positives in [0, 1] (tfa convention: ``alpha=0`` switches the
            weighting off). gamma: focusing parameter >= 0.
        box_loss: ``"huber"`` (smooth L1 on encoded offsets, ``delta``) or ``"giou"``.
        box_weight: the weight of the box term.
        anchors: ``(N, 4)`` anchors, needed for ``box_loss="giou"`` (to decode boxes).
    """

    def __init__(self, num_classes: int, cls_loss: str = "focal", alpha: float = 0.25,
                 gamma: float = 2.0, box_loss: str = "huber", delta: float = 1.0,
                 box_weight: float = 1.0, anchors=None, variances=VARIANCES):
        if cls_loss not in CLS_LOSSES:
            raise ValueError(f"cls_loss must be one of {CLS_LOSSES}, got {cls_loss!r}")
        if box_loss not in BOX_LOSSES:
            raise ValueError(f"box_loss must be one of {BOX_LOSSES}, got {box_loss!r}")
        validation.check_unit_interval("alpha", alpha)
        validation.check_non_negative("gamma", gamma)
        validation.check_non_negative("box_weight", box_weight)
        if not delta > 0:
            raise ValueError(f"delta must be > 0, got {delta}")
        if box_loss == "giou" and anchors is None:
            raise ValueError("box_loss='giou' needs the anchors to decode boxes")
        self.num_classes = int(num_classes)
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

    def regression(self, box_targets, box_preds):
        """Per-anchor box loss ``(B, N)``."""
        if self.box_loss == "huber":
            # Huber averages over the 4 coordinates; times 4 gives the usual sum.
            return 4.0 * losses.huber(box_targets, box_preds, delta=self.delta)
        true = decode_boxes(box_targets, self.anchors[None], self.variances)
        pred = decode_boxes(box_preds, self.anchors[None], self.variances)
        return giou_loss(true, pred)

    def __call__(self, y_true, y_pred) -> dict:
        y_true = ops.convert_to_tensor(y_true, "float32")
        y_pred = ops.cast(y_pred, "float32")
        cls_target = ops.cast(y_true[..., 4], "int32")
        positive = ops.cast(cls_target >= 0, "float32")
        valid = ops.cast(cls_target != IGNORE, "float32")
        num_pos = ops.sum(positive)
        normaliser = ops.maximum(num_pos, 1.0)
        one_hot = ops.one_hot(ops.maximum(cls_target, 0), self.num_classes) * positive[..., None]
        cls = ops.sum(self.classification(one_hot, y_pred[..., 4:]) * valid) / normaliser
        box = ops.sum(self.regression(y_true[..., :4], y_pred[..., :4]) * positive) / normaliser
        return {"loss": cls + self.box_weight * box, "cls_loss": cls, "box_loss": box,
                "num_positives": num_pos}

    def get_config(self) -> dict:
        return {"num_classes": self.num_classes, "cls_loss": self.cls_loss, "alpha": self.alpha,
                "gamma": self.gamma, "box_loss": self.box_loss, "delta": self.delta,
                "box_weight": self.box_weight}
