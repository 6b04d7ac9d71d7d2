"""Which detections are right: greedy matching at one IoU threshold (for PR curves).

Detections of a class are taken best score first; each takes the unmatched true box of its class
with the highest IoU if that IoU is ``>= iou_threshold`` (a true positive), otherwise it is a
false positive. True boxes left unmatched are misses. This is the matching COCO uses at one
threshold, without its crowd and area rules; COCO mAP itself comes from pycocotools
(:func:`refs.detection.coco.coco_evaluate`).

Example:
    >>> tp, missed = match_detections(boxes, scores, classes, true_boxes, true_labels)
"""

from __future__ import annotations

import numpy as np

from refs.detection.matching import pairwise_iou


def match_detections(boxes, scores, classes, true_boxes, true_labels, iou_threshold=0.5):
    """Returns ``(is_true_positive (k,) bool, missed_labels (m,) int)`` for one image."""
    tp, found = greedy_match(boxes, scores, classes, true_boxes, true_labels, iou_threshold)
    return tp, np.asarray(true_labels).reshape(-1)[~found]


def greedy_match(boxes, scores, classes, true_boxes, true_labels, iou_threshold=0.5):
    """Returns ``(is_true_positive (k,) bool, is_found (m,) bool)``: which detections are right
    and which true boxes a detection found, for one image."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    scores = np.asarray(scores, np.float32).reshape(-1)
    classes = np.asarray(classes).reshape(-1)
    true_boxes = np.asarray(true_boxes, np.float32).reshape(-1, 4)
    true_labels = np.asarray(true_labels).reshape(-1)
    tp = np.zeros(len(boxes), bool)
    used = np.zeros(len(true_boxes), bool)
    if len(boxes) and len(true_boxes):
        iou = np.asarray(pairwise_iou(boxes, true_boxes))
        for i in np.argsort(-scores, kind="stable"):
            cand = np.where((true_labels == classes[i]) & ~used, iou[i], -1.0)
            j = int(np.argmax(cand))
            if cand[j] >= iou_threshold:
                tp[i], used[j] = True, True
    return tp, used


def pr_curve_data(detections, ground_truth, num_classes, iou_threshold=0.5):
    """Per class ``(labels, scores)`` for :meth:`refs.tracking.Run.log_pr_curve`.

    ``detections``: one dict per image (``boxes``, ``scores``, ``classes``); ``ground_truth``:
    one ``(boxes, labels)`` per image. Each detection contributes ``(is_tp, score)``; each missed
    true box ``(1, 0.0)``, so recall is measured against all true boxes (a miss only counts as
    found at the threshold 0).
    """
    labels = {c: [] for c in range(num_classes)}
    scores = {c: [] for c in range(num_classes)}
    for det, (tb, tl) in zip(detections, ground_truth):
        tp, missed = match_detections(det["boxes"], det["scores"], det["classes"], tb, tl,
                                      iou_threshold)
        for cls, ok, score in zip(det["classes"], tp, det["scores"]):
            labels[int(cls)].append(bool(ok))
            scores[int(cls)].append(float(score))
        for cls in missed:
            labels[int(cls)].append(True)
            scores[int(cls)].append(0.0)
    return {c: (np.asarray(labels[c], bool), np.asarray(scores[c], np.float32))
            for c in range(num_classes)}
