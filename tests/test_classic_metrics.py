import numpy as np
import pytest

from refs.classic.experiments import aggregate, imbalance_weights
from refs.classic.metrics import binary_scores, rounded_accuracy, sign_accuracy


def _np(x):
    import keras

    return keras.ops.convert_to_numpy(x)


def test_sign_accuracy_counts_signs_and_zero_as_wrong():
    y = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    p = np.array([[0.2], [-0.01], [-0.3], [0.0]])
    np.testing.assert_array_equal(_np(sign_accuracy(y, p)), [1, 1, 0, 0])


def test_margin_metrics_align_1d_labels_with_column_predictions():
    """(N,) labels against (N, 1) predictions must not broadcast to an (N, N) comparison."""
    y = np.array([1.0, -1.0, 1.0, -1.0])
    p = np.array([[0.9], [-0.9], [0.7], [0.6]])
    np.testing.assert_array_equal(_np(sign_accuracy(y, p)), [1, 1, 1, 0])
    np.testing.assert_array_equal(_np(rounded_accuracy(y, p)), [1, 1, 1, 0])
    from refs.classic.metrics import SignAccuracy

    metric = SignAccuracy()
    metric.update_state(y, p)
    assert float(metric.result()) == 0.75


def test_rounded_accuracy_is_keras2_accuracy_on_tanh():
    y = np.array([[1.0], [-1.0], [1.0]])
    p = np.array([[0.7], [-0.4], [0.45]])  # |f| < 0.5 rounds to 0: counted wrong
    np.testing.assert_array_equal(_np(rounded_accuracy(y, p)), [1, 0, 0])


def test_binary_scores_against_hand_counts():
    y = np.array([1, 1, 0, 0, 0, 1])
    s = np.array([0.9, 0.4, 0.6, 0.1, 0.2, 0.8])
    out = binary_scores(y, s)
    assert (out["tp"], out["fn"], out["fp"], out["tn"]) == (2, 1, 1, 2)
    assert out["recall"] == pytest.approx(2 / 3) and out["precision"] == pytest.approx(2 / 3)
    # average precision by hand: ranks 0.9(+) 0.8(+) 0.6(-) 0.4(+): (1 + 1 + 3/4) / 3
    assert out["pr_auc"] == pytest.approx((1 + 1 + 0.75) / 3)


def test_binary_scores_predicting_nothing_positive():
    out = binary_scores(np.array([1, 0]), np.array([0.1, 0.2]))
    assert out["precision"] == 0.0 and out["recall"] == 0.0


def test_imbalance_weights_and_aggregate():
    pos_weight, beta = imbalance_weights(np.array([1, 0, 0, 0]))
    assert pos_weight == 3.0 and beta == 0.75
    with pytest.raises(ValueError, match="no positive"):
        imbalance_weights(np.zeros(3))
    agg = aggregate([{"a": 1.0}, {"a": 3.0}])
    assert agg["a"] == {"mean": 2.0, "std": 1.0, "n": 2}
