"""Guardrails: invalid hyperparameters and bad inputs fail loudly, naming what is wrong.

Constructors (and the functions) reject invalid hyperparameters with a ValueError naming the
argument, the valid range and the value. Inputs are checked at call time when they are eager
(numpy, eager tensors); inside traced functions the checks are skipped by design, so compiled
training steps pay nothing (see refs.losses.validation).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import tensorflow as tf

import refs.losses as L
from refs.losses import validation

# ------------------------------------------------------------------ hyperparameters


def test_check_unit_interval_names_argument_range_and_value():
    with pytest.raises(ValueError, match=re.escape("alpha must be in [0, 1], got 4.0")):
        validation.check_unit_interval("alpha", 4.0)
    assert validation.check_unit_interval("alpha", 0.25) == 0.25
    assert validation.check_unit_interval("alpha", [0.0, 1.0]) == [0.0, 1.0]


@pytest.mark.parametrize("bad", [-1e-9, float("nan"), float("inf")])
def test_check_non_negative_rejects_negative_and_non_finite(bad):
    with pytest.raises(ValueError, match=r"gamma must be finite and >= 0, got"):
        validation.check_non_negative("gamma", bad)
    assert validation.check_non_negative("gamma", 0.0) == 0.0


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_check_positive_rejects_zero_negative_nan(bad):
    with pytest.raises(ValueError, match=r"delta must be finite and > 0, got"):
        validation.check_positive("delta", bad)


def test_check_choice_and_check_bool_name_the_argument():
    with pytest.raises(ValueError, match=r"box_loss must be one of \['giou', 'huber'\], got 'l2'"):
        validation.check_choice("box_loss", "l2", {"huber", "giou"})
    assert validation.check_choice("box_loss", "huber", {"huber", "giou"}) == "huber"
    with pytest.raises(ValueError, match="from_logits must be True or False, got 1"):
        validation.check_bool("from_logits", 1)
    assert validation.check_bool("from_logits", np.bool_(True)) is True


def test_hyperparameter_checks_skip_symbolic_values():
    @tf.function
    def traced(value):
        return validation.check_positive("delta", value)

    assert float(traced(tf.constant(-1.0))) == -1.0  # cannot be inspected while tracing


@pytest.mark.parametrize(
    ("make", "argument", "shown"),
    [
        (lambda: L.SigmoidFocalCrossEntropy(alpha=4.0), "alpha", "4.0"),
        (lambda: L.SigmoidFocalCrossEntropy(alpha=-0.5), "alpha", "-0.5"),
        (lambda: L.SigmoidFocalCrossEntropy(gamma=-1.0), "gamma", "-1.0"),
        (lambda: L.BinaryFocalCrossentropy(alpha=1.5), "alpha", "1.5"),
        (lambda: L.BinaryFocalCrossentropy(gamma=-2.0), "gamma", "-2.0"),
        (lambda: L.CategoricalFocalCrossentropy(alpha=[0.2, 1.5]), "alpha", "[0.2, 1.5]"),
        (lambda: L.CategoricalFocalCrossentropy(gamma=-0.1), "gamma", "-0.1"),
        (lambda: L.Huber(delta=0.0), "delta", "0.0"),
        (lambda: L.Huber(delta=-1.0), "delta", "-1.0"),
        (lambda: L.BinaryCrossentropy(label_smoothing=1.5), "label_smoothing", "1.5"),
        (lambda: L.CategoricalCrossentropy(label_smoothing=-0.1), "label_smoothing", "-0.1"),
        (lambda: L.WeightedBinaryCrossentropy(pos_weight=0.0), "pos_weight", "0.0"),
        (lambda: L.BalancedBinaryCrossentropy(beta=1.2), "beta", "1.2"),
        (lambda: L.BinaryCrossentropy(from_logits="yes"), "from_logits", "'yes'"),
    ],
)
def test_constructors_reject_invalid_hyperparameters(make, argument, shown):
    with pytest.raises(ValueError) as err:
        make()
    message = str(err.value)
    assert message.startswith(argument + " must be"), message
    assert shown in message


def test_constructor_rejects_unknown_reduction():
    with pytest.raises(ValueError, match="reduction"):
        L.Huber(reduction="average")


def test_functions_validate_hyperparameters_too():
    y, x = np.ones((2, 3)), np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\], got 4.0"):
        L.sigmoid_focal_crossentropy(y, x, alpha=4.0, from_logits=True)
    with pytest.raises(ValueError, match=r"delta must be finite and > 0"):
        L.huber(y, x, delta=-1.0)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        L.binary_crossentropy(y, x, label_smoothing=2.0)


def test_focal_alpha_above_one_explains_the_negative_weight():
    with pytest.raises(ValueError, match=r"1 - alpha = -3 is negative.*strict=False"):
        L.SigmoidFocalCrossEntropy(alpha=4.0)
    with pytest.raises(ValueError, match=r"positives' weight alpha = -0.5 is negative"):
        L.BinaryFocalCrossentropy(alpha=-0.5)


def test_strict_false_reproduces_the_tutorial_alpha_4_with_a_warning():
    with pytest.warns(UserWarning, match="1 - alpha = -3"):
        loss = L.SigmoidFocalCrossEntropy(alpha=4.0, from_logits=True, strict=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = float(loss([[0.0]], [[0.0]])[0])
    # A negative at p = 0.5: (1 - 4) * 0.5^2 * log 2 < 0 -- misclassifying it lowers the loss.
    assert value == pytest.approx(-3 * 0.25 * np.log(2), rel=1e-6)
    assert loss.get_config()["strict"] is False


# ------------------------------------------------------------------ inputs at call time


def test_binary_labels_outside_unit_interval_are_rejected():
    with pytest.raises(ValueError, match=r"binary_crossentropy: y_true must be in \[0, 1\]"):
        L.binary_crossentropy([[-1.0], [1.0]], [[0.2], [0.7]])


@pytest.mark.parametrize(
    "fn",
    [
        L.binary_crossentropy,
        L.weighted_binary_crossentropy,
        L.balanced_binary_crossentropy,
        L.sigmoid_focal_crossentropy,
        L.binary_focal_crossentropy,
        L.categorical_crossentropy,
        L.sparse_categorical_crossentropy,
        L.categorical_focal_crossentropy,
    ],
)
def test_logits_given_where_probabilities_are_expected_suggest_from_logits(fn):
    logits = np.array([[2.5, -1.0], [0.3, -4.0]])
    y = np.array([0, 1]) if fn is L.sparse_categorical_crossentropy else np.eye(2)
    with pytest.raises(ValueError, match=r"y_pred must be in \[0, 1\].*from_logits=True"):
        fn(y, logits)
    fn(y, logits, from_logits=True)  # the fix works


def test_nan_in_inputs_is_reported():
    with pytest.raises(ValueError, match="huber: y_pred contains NaN"):
        L.huber([[1.0, 2.0]], [[np.nan, 2.0]])
    with pytest.raises(ValueError, match="mean_squared_error: y_true contains NaN"):
        L.MeanSquaredError()(np.array([[np.nan]]), np.array([[1.0]]))


def test_shape_mismatch_is_rejected_instead_of_broadcast():
    with pytest.raises(ValueError, match=r"same shape, got y_true \(4,\) and y_pred \(4, 3\)"):
        L.mean_squared_error(np.zeros(4), np.zeros((4, 3)))
    # (N,) against (N, 1) is the usual Keras situation and is aligned, not rejected.
    assert L.mean_squared_error(np.zeros(4), np.ones((4, 1))).shape == (4,)


@pytest.mark.parametrize(("label", "pattern"), [(3, r"\[0, 2\]"), (-1, r"\[0, 2\]")])
def test_sparse_labels_out_of_range_are_rejected(label, pattern):
    with pytest.raises(ValueError, match="y_true must be in " + pattern):
        L.sparse_categorical_crossentropy(np.array([0, label]), np.zeros((2, 3)), from_logits=True)


def test_sparse_non_integer_labels_are_rejected():
    with pytest.raises(ValueError, match="integer class indices"):
        L.sparse_categorical_crossentropy(np.array([0.5, 1.0]), np.zeros((2, 3)), from_logits=True)


def test_one_hot_targets_given_to_the_sparse_loss_are_rejected():
    with pytest.raises(ValueError, match="looks one-hot"):
        L.SparseCategoricalCrossentropy(from_logits=True)(np.eye(3), np.zeros((3, 3)))


@pytest.mark.parametrize("labels", [np.array([0, 2, 1]), np.array([[0], [2], [1]])])
def test_integer_labels_given_to_categorical_crossentropy_are_rejected(labels):
    with pytest.raises(ValueError, match="one label per sample.*sparse_categorical"):
        L.CategoricalCrossentropy(from_logits=True)(labels, np.zeros((3, 3)))


def test_single_class_softmax_is_rejected_by_categorical_crossentropy():
    with pytest.raises(ValueError, match="single class.*binary_crossentropy"):
        L.categorical_crossentropy(np.ones((4, 1)), np.ones((4, 1)))


def test_hinge_labels_mixing_zero_and_minus_one_are_rejected():
    with pytest.raises(ValueError, match=r"hinge: y_true must be in \{-1, 1\}"):
        L.hinge(np.array([[-1.0, 0.0, 1.0]]), np.zeros((1, 3)))


def test_msle_rejects_standardized_negative_targets():
    with pytest.raises(ValueError, match="standardized"):
        L.mean_squared_logarithmic_error(np.array([[-0.5, 1.0]]), np.array([[0.1, 0.2]]))


def test_checks_are_skipped_inside_traced_and_xla_functions():
    """Inside tf.function (as in model.fit) the inputs are symbolic: no check, no cost."""
    loss = L.BinaryCrossentropy()

    @tf.function(jit_compile=True)
    def compiled(y, p):
        return loss(y, p)

    out = compiled(tf.constant([[1.0]]), tf.constant([[3.0]]))  # logits, wrongly
    assert np.isfinite(out.numpy())
    with pytest.raises(ValueError, match="from_logits=True"):
        loss(tf.constant([[1.0]]), tf.constant([[3.0]]))  # the same call, eager


def test_input_checks_can_be_switched_off_and_made_exhaustive():
    y = np.zeros((1, 70_000))
    p = np.full((1, 70_000), 0.5)
    p[0, -1] = np.nan  # beyond the default sample of 65,536 leading elements
    L.binary_crossentropy(y, p)  # not seen: the checks look at a bounded sample
    with validation.input_checks(max_elements=None):
        with pytest.raises(ValueError, match="NaN"):
            L.binary_crossentropy(y, p)
    with validation.input_checks(enabled=False):
        L.binary_crossentropy([[2.0]], [[7.0]])  # nothing checked
    assert validation.input_checks_enabled()


# ------------------------------------------------------------------ types, NaN and inf


@pytest.mark.parametrize(("make", "argument"), [
    (lambda: L.Huber(delta="1"), "delta"),
    (lambda: L.Huber(delta=True), "delta"),
    (lambda: L.Huber(delta=None), "delta"),
    (lambda: L.BinaryCrossentropy(label_smoothing="0.1"), "label_smoothing"),
    (lambda: L.BinaryCrossentropy(axis="x"), "axis"),
    (lambda: L.BinaryCrossentropy(axis=True), "axis"),
    (lambda: L.SigmoidFocalCrossEntropy(strict="no"), "strict"),
    (lambda: L.CategoricalFocalCrossentropy(alpha=["a", "b"]), "alpha"),
    (lambda: L.WeightedBinaryCrossentropy(pos_weight=[True, False]), "pos_weight"),
    (lambda: L.MeanSquaredError(name=3), "name"),
])
def test_wrong_type_hyperparameters_fail_in_the_constructor_with_a_type_error(make, argument):
    with pytest.raises(TypeError) as err:
        make()
    assert str(err.value).startswith(argument + " must be"), str(err.value)
    assert isinstance(err.value, ValueError)  # WrongTypeError: callers catching ValueError too


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_hyperparameters_fail_in_the_constructor(value):
    for make, argument in ((lambda v: L.Huber(delta=v), "delta"),
                           (lambda v: L.BinaryFocalCrossentropy(gamma=v), "gamma"),
                           (lambda v: L.BinaryCrossentropy(label_smoothing=v), "label_smoothing"),
                           (lambda v: L.SigmoidFocalCrossEntropy(alpha=v), "alpha")):
        with pytest.raises(ValueError, match=f"^{argument} must be"):
            make(value)


def test_constructor_rejects_a_non_float_dtype_and_a_bad_reduction_naming_them():
    with pytest.raises(ValueError, match="dtype must be a floating dtype.*'int32'"):
        L.Huber(dtype="int32")
    with pytest.raises(ValueError, match="dtype must be a floating dtype.*'floaty'"):
        L.Huber(dtype="floaty")
    with pytest.raises(ValueError, match="^reduction must be one of"):
        L.Huber(reduction="average")
    assert L.Huber(dtype="mixed_float16").get_config()["dtype"] == "mixed_float16"


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_inputs_are_rejected_like_nan(bad):
    with pytest.raises(ValueError, match=r"huber: y_pred contains [+-]inf"):
        L.huber([[1.0, 2.0]], [[bad, 2.0]])
    with pytest.raises(ValueError, match=r"binary_crossentropy: y_true contains [+-]inf"):
        L.binary_crossentropy([[bad]], [[0.0]], from_logits=True)
    with pytest.raises(ValueError, match=r"y_pred contains [+-]inf"):
        L.binary_crossentropy([[1.0]], [[bad]])  # probabilities: never infinite


def test_an_infinite_logit_on_the_side_of_its_label_gives_the_finite_limit():
    y = np.array([[1.0, 0.0, 1.0]])
    x = np.array([[np.inf, -np.inf, 0.0]])
    # Only the logit 0 contributes: log 2, averaged over 3 entries.
    np.testing.assert_allclose(L.binary_crossentropy(y, x, from_logits=True), [np.log(2) / 3],
                               rtol=1e-6)
    np.testing.assert_allclose(L.sigmoid_focal_crossentropy(y, x, from_logits=True),
                               [0.25 * 0.25 * np.log(2)], rtol=1e-6)
    np.testing.assert_allclose(L.hinge([[1.0, -1.0]], [[np.inf, -np.inf]]), [0.0])
    with pytest.raises(ValueError, match=r"y_pred holds \+inf at \(0, 1\), where the loss is "
                                         r"infinite"):
        L.binary_crossentropy([[1.0, 0.0]], [[0.0, np.inf]], from_logits=True)
    with pytest.raises(ValueError, match="where the loss is infinite"):  # smoothing: no limit
        L.binary_crossentropy([[1.0]], [[np.inf]], from_logits=True, label_smoothing=0.1)


def test_masked_minus_inf_logits_leave_the_softmax_cross_entropy_of_the_other_classes():
    x = np.array([[2.0, -np.inf, 0.5], [0.1, 0.3, -np.inf]])
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    kept = [np.array([2.0, 0.5]), np.array([0.1, 0.3])]
    want = [-(row[i] - np.log(np.exp(row).sum())) for row, i in zip(kept, (0, 1))]
    got = L.categorical_crossentropy(y, x, from_logits=True)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(L.sparse_categorical_crossentropy([0, 1], x, from_logits=True),
                               want, rtol=1e-6)
    masked_target = np.array([[-np.inf, 0.0, 0.0], [0.0, 0.0, 0.0]])  # the target's logit
    with pytest.raises(ValueError, match=r"y_pred holds -inf at \(0, 0\)"):
        L.categorical_crossentropy(y, masked_target, from_logits=True)


def test_inputs_that_are_not_numbers_are_named():
    with pytest.raises(TypeError, match="mean_squared_error: y_true must hold numbers"):
        L.mean_squared_error(np.array([["a"]]), np.zeros((1, 1)))
    with pytest.raises(TypeError, match="y_pred is None"):
        L.MeanSquaredError()(np.zeros((1, 1)), None)
    with pytest.raises(TypeError, match="y_pred cannot be converted to a tensor"):
        L.huber(np.zeros((2, 2)), [[1.0, 2.0], [3.0]])


def test_scalars_empty_axes_and_bad_axis_are_named():
    with pytest.raises(ValueError, match="y_pred must have at least one axis"):
        L.mean_squared_error(1.0, 2.0)
    with pytest.raises(ValueError, match=r"y_pred of shape \(2, 0\) is empty along axis -1"):
        L.mean_squared_error(np.zeros((2, 0)), np.zeros((2, 0)))
    with pytest.raises(ValueError, match=r"axis must be in \[-2, 2\).*got 3"):
        L.binary_crossentropy([[1.0]], [[0.5]], axis=3)
    assert L.MeanSquaredError(reduction="none")(np.zeros((0, 3)), np.zeros((0, 3))).shape == (0,)


def test_per_class_hyperparameters_must_match_the_classes():
    with pytest.raises(ValueError, match=r"pos_weight of shape \(3,\) does not broadcast"):
        L.weighted_binary_crossentropy(np.ones((4, 2)), np.zeros((4, 2)), pos_weight=[1, 2, 3],
                                       from_logits=True)
    with pytest.raises(ValueError, match=r"alpha of shape \(2,\) does not broadcast"):
        L.categorical_focal_crossentropy(np.eye(3), np.eye(3) * 0.8 + 0.05, alpha=[0.2, 0.3])


def test_sample_weight_is_checked_and_named():
    loss = L.MeanSquaredError()
    y = np.zeros((4, 2))
    with pytest.raises(ValueError, match="sample_weight contains NaN"):
        loss(y, y, sample_weight=np.array([1.0, np.nan, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\) does not match"):
        loss(y, y, sample_weight=np.ones(3))


def test_check_alpha_is_the_one_alpha_check():
    with pytest.raises(ValueError) as helper:
        validation.check_alpha(1.5)
    for make in (lambda: L.BinaryFocalCrossentropy(alpha=1.5),
                 lambda: L.CategoricalFocalCrossentropy(alpha=1.5),
                 lambda: L.binary_focal_crossentropy([[1.0]], [[0.5]], alpha=1.5)):
        with pytest.raises(ValueError) as err:
            make()
        assert str(err.value) == str(helper.value)
