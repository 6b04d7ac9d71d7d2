"""Metrics the reference experiments need that Keras lacks or gets wrong for margin losses.

With labels in {-1, 1} and a tanh output, Keras 3's ``accuracy`` compares ``y_pred > 0.5`` (0 or 1)
with -1/1 labels, so a negative can never count as correct: the number is meaningless. The
margin view of a prediction is its sign:

- :func:`sign_accuracy`: ``mean(sign(y_pred) == sign(y_true))`` (0 counts as wrong), right for
  {-1, 1} labels with any real-valued output.
- :func:`rounded_accuracy`: ``mean(y_true == round(y_pred))``, what Keras 2's ``accuracy`` computed
  for these models (and so what older tutorials report): a tanh output with ``|f| < 0.5`` rounds
  to 0 and counts as wrong, so it understates the classifier.

Post-hoc scores for imbalanced problems (confusion counts, precision, recall, PR-AUC) are in
:func:`binary_scores`.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


def _same_rank(y_true, y_pred):
    """Labels (N,) against predictions (N, 1) become (N, 1): never broadcast to (N, N)."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    if len(y_true.shape) == len(y_pred.shape) - 1 and y_pred.shape[-1] == 1:
        y_true = ops.expand_dims(y_true, -1)
    elif len(y_pred.shape) == len(y_true.shape) - 1 and y_true.shape[-1] == 1:
        y_pred = ops.expand_dims(y_pred, -1)
    return y_true, y_pred


@keras.saving.register_keras_serializable(package="refs")
def sign_accuracy(y_true, y_pred):
    """Per-sample margin accuracy: 1 where ``sign(y_pred) == sign(y_true)`` and ``y_pred != 0``.

    Example:
        >>> float(np.mean(sign_accuracy(np.array([[1.0], [-1.0]]), np.array([[0.2], [0.3]]))))
        0.5
    """
    y_true, y_pred = _same_rank(y_true, y_pred)
    hit = ops.logical_and(ops.equal(ops.sign(y_pred), ops.sign(y_true)), ops.not_equal(y_pred, 0))
    return ops.mean(ops.cast(hit, "float32"), axis=-1)


@keras.saving.register_keras_serializable(package="refs")
def rounded_accuracy(y_true, y_pred):
    """Per-sample ``y_true == round(y_pred)``: Keras 2's ``binary_accuracy`` on a tanh output."""
    y_true, y_pred = _same_rank(y_true, y_pred)
    return ops.mean(ops.cast(ops.equal(y_true, ops.round(y_pred)), "float32"), axis=-1)


def SignAccuracy(name: str = "sign_accuracy") -> keras.metrics.Metric:  # noqa: N802
    """The streaming (``model.compile(metrics=[...])``) form of :func:`sign_accuracy`."""
    return keras.metrics.MeanMetricWrapper(sign_accuracy, name=name)


def RoundedAccuracy(name: str = "rounded_accuracy") -> keras.metrics.Metric:  # noqa: N802
    """The streaming form of :func:`rounded_accuracy`."""
    return keras.metrics.MeanMetricWrapper(rounded_accuracy, name=name)


def binary_scores(y_true: np.ndarray, score: np.ndarray, threshold: float = 0.5) -> dict:
    """Confusion counts and scores of a binary classifier on {0, 1} labels.

    Args:
        y_true: labels in {0, 1}.
        score: the predicted probability of class 1.
        threshold: predict 1 where ``score >= threshold``.

    Returns:
        ``tp``, ``fn``, ``fp``, ``tn``, ``accuracy``, ``precision`` (0.0 when nothing is predicted
        positive), ``recall``, ``pr_auc`` (average precision: the step-wise area under the
        precision-recall curve).
    """
    from sklearn.metrics import average_precision_score

    y = np.asarray(y_true).ravel().astype(bool)
    s = np.asarray(score, np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"y_true {y.shape} and score {s.shape} must have the same size")
    pred = s >= threshold
    tp = int(np.sum(pred & y))
    fp = int(np.sum(pred & ~y))
    fn = int(np.sum(~pred & y))
    tn = int(np.sum(~pred & ~y))
    return {
        "tp": tp, "fn": fn, "fp": fp, "tn": tn,
        "accuracy": (tp + tn) / max(1, y.size),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "pr_auc": float(average_precision_score(y, s)) if y.any() else float("nan"),
    }
