"""refs.classic.check catches each classic mistake and says what to change."""

import keras
import numpy as np
import pytest

from refs.classic.check import LossConfigurationError, check, output_head


def _model(units, activation, n_in=3):
    dense = keras.layers.Dense(units, activation=activation)
    return keras.Sequential([keras.Input((n_in,)), dense])


def _codes(findings):
    return {f.code for f in findings}


Y01 = np.array([0.0, 1.0, 1.0, 0.0])
YPM1 = 2 * Y01 - 1


def test_sound_setups_pass_silently():
    assert check(_model(1, "sigmoid"), keras.losses.BinaryCrossentropy(), Y01) == []
    assert check(_model(1, None), keras.losses.BinaryCrossentropy(from_logits=True), Y01) == []
    assert check(_model(1, "tanh"), keras.losses.Hinge(), YPM1) == []
    assert check(_model(3, "softmax"), "sparse_categorical_crossentropy", np.array([0, 2, 1])) == []
    assert check(_model(3, "softmax"), "categorical_crossentropy", np.eye(3)) == []
    assert check(_model(1, None), "mse", np.array([-1.0, 2.0])) == []


def test_single_unit_softmax_with_bce_is_an_error_that_explains_the_fix():
    with pytest.raises(LossConfigurationError) as err:
        check(_model(1, "softmax"), "binary_crossentropy", Y01)
    msg = str(err.value)
    assert "softmax_single_unit" in msg and "always outputs 1.0" in msg and "sigmoid" in msg
    # the claim is real: such a model outputs exactly 1.0 whatever the input
    out = _model(1, "softmax")(np.random.default_rng(0).normal(size=(5, 3)).astype("float32"))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(out), 1.0)


def test_softmax_layer_after_dense_is_recognised():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1), keras.layers.Softmax()])
    assert output_head(model) == ("softmax", 1)
    assert "softmax_single_unit" in _codes(check(model, "binary_crossentropy", Y01,
                                                 raise_on_error=False))


@pytest.mark.parametrize("alpha, code", [(4.0, "focal_alpha_out_of_range"),
                                         (-0.5, "focal_alpha_out_of_range")])
def test_focal_alpha_outside_unit_interval(alpha, code):
    loss = keras.losses.BinaryFocalCrossentropy(alpha=alpha, apply_class_balancing=True)
    findings = check(_model(1, "sigmoid"), loss, Y01, raise_on_error=False)
    assert code in _codes(findings)
    msg = next(str(f) for f in findings if f.code == code)
    assert f"1 - alpha = {1 - alpha:g}" in msg


def test_focal_negative_gamma():
    loss = keras.losses.BinaryFocalCrossentropy(gamma=-1.0)
    assert "focal_gamma_negative" in _codes(check(_model(1, "sigmoid"), loss, Y01,
                                                  raise_on_error=False))


def test_hinge_with_01_labels_warns_and_sigmoid_output_is_an_error():
    findings = check(_model(1, "tanh"), keras.losses.Hinge(), Y01, raise_on_error=False)
    assert [(f.code, f.severity) for f in findings] == [("hinge_01_labels", "warning")]
    with pytest.raises(LossConfigurationError, match="hinge_bounded_output"):
        check(_model(1, "sigmoid"), keras.losses.SquaredHinge(), YPM1)


def test_msle_on_negative_targets():
    y = np.array([-1.2, 0.3, -0.1, 2.0])
    with pytest.raises(LossConfigurationError, match="msle_negative_targets") as err:
        check(_model(1, None), keras.losses.MeanSquaredLogarithmicError(), y)
    assert "50% negative" in str(err.value)


def test_probabilities_passed_as_logits():
    loss = keras.losses.BinaryCrossentropy(from_logits=True)
    with pytest.raises(LossConfigurationError, match="logits_expected"):
        check(_model(1, "sigmoid"), loss, Y01)
    loss = keras.losses.CategoricalCrossentropy(from_logits=True)
    with pytest.raises(LossConfigurationError, match="logits_expected"):
        check(_model(3, "softmax"), loss, np.eye(3))


def test_logits_passed_as_probabilities():
    with pytest.raises(LossConfigurationError, match="probabilities_expected"):
        check(_model(1, None), keras.losses.BinaryCrossentropy(), Y01)


def test_one_hot_targets_to_sparse_loss():
    with pytest.raises(LossConfigurationError, match="sparse_onehot_targets"):
        check(_model(3, "softmax"), keras.losses.SparseCategoricalCrossentropy(), np.eye(3))


def test_integer_targets_to_categorical_loss():
    with pytest.raises(LossConfigurationError, match="categorical_integer_targets"):
        check(_model(3, "softmax"), keras.losses.CategoricalCrossentropy(), np.array([0, 1, 2]))


@pytest.mark.parametrize("loss, y, fragment", [
    (keras.losses.SparseCategoricalCrossentropy(), np.array([0, 3, 1]), "[0, 3)"),
    (keras.losses.BinaryCrossentropy(), np.array([-1.0, 1.0]), "must be in [0, 1]"),
])
def test_labels_out_of_range(loss, y, fragment):
    units = 3 if isinstance(loss, keras.losses.SparseCategoricalCrossentropy) else 1
    activation = "softmax" if units == 3 else "sigmoid"
    with pytest.raises(LossConfigurationError, match="labels_out_of_range") as err:
        check(_model(units, activation), loss, y)
    assert fragment in str(err.value)


def test_nan_targets_and_width_mismatch():
    y = np.array([[0.0, np.nan], [1.0, 0.0]])
    codes = _codes(check(_model(3, "softmax"), "categorical_crossentropy", y,
                         raise_on_error=False))
    assert {"nan_targets", "target_shape_mismatch"} <= codes


def test_reduction_none_warns():
    loss = keras.losses.BinaryCrossentropy(reduction="none")
    findings = check(_model(1, "sigmoid"), loss, Y01)
    assert [f.code for f in findings] == ["reduction_none"]


def test_errors_come_first_and_all_are_reported():
    loss = keras.losses.BinaryCrossentropy(reduction="none")
    findings = check(_model(1, "softmax"), loss, np.array([0.0, 2.0]), raise_on_error=False)
    assert [f.severity for f in findings] == ["error", "error", "warning"]


def test_check_is_callable_as_refs_classic_check():
    import refs.classic

    findings = refs.classic.check(_model(1, "softmax"), "binary_crossentropy", Y01,
                                  raise_on_error=False)
    assert findings[0].code == "softmax_single_unit"
    with pytest.raises(refs.classic.LossConfigurationError):
        refs.classic.check(_model(1, "softmax"), "binary_crossentropy", Y01)


def test_warnings_are_printed_to_stderr_one_line_each(capsys):
    findings = check(_model(1, "tanh"), keras.losses.Hinge(), Y01, raise_on_error=False)
    printed = capsys.readouterr().err.strip().splitlines()
    assert printed == [str(f) for f in findings if f.severity == "warning"]
    assert len(printed) == 1 and printed[0].startswith("[warning] hinge_01_labels:")


def test_errors_are_not_printed(capsys):
    check(_model(1, "softmax"), "binary_crossentropy", Y01, raise_on_error=False)
    assert capsys.readouterr().err == ""


def test_focal_alpha_finding_uses_the_losses_alpha_check():
    from refs.losses import CategoricalFocalCrossentropy, validation

    loss = keras.losses.BinaryFocalCrossentropy(alpha=4.0, apply_class_balancing=True)
    finding = next(f for f in check(_model(1, "sigmoid"), loss, Y01, raise_on_error=False)
                   if f.code == "focal_alpha_out_of_range")
    with pytest.raises(ValueError) as err:
        validation.check_alpha(4.0)
    assert str(err.value) in finding.message
    # One alpha per class (refs' categorical focal loss) is checked element by element.
    per_class = CategoricalFocalCrossentropy(alpha=[0.25, 0.5, 0.25])
    assert "focal_alpha_out_of_range" not in {
        f.code for f in check(_model(3, "softmax"), per_class, np.eye(3), raise_on_error=False)}
