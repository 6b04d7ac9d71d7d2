"""The paths of before the move (refs.classic.losses, refs.gan.losses, refs.detection.loss) give
the very objects of refs.losses, and the old validation module is the new one (one state)."""

from __future__ import annotations

import importlib

import keras
import numpy as np
import pytest

import refs.classic.losses as old_classic
import refs.detection.loss as old_detection
import refs.gan.losses as old_gan
import refs.losses as L
from refs.losses import adversarial, validation


def test_named_objects_of_the_old_paths_are_the_new_objects():
    assert old_classic.Huber is L.Huber
    assert old_gan.get_loss_pair is L.get_loss_pair
    assert old_detection.giou_loss is L.giou_loss


def test_every_name_of_refs_classic_losses_is_the_object_of_refs_losses():
    assert len(old_classic.__all__) == 49  # the names the package exported before the move
    for name in old_classic.__all__:
        assert getattr(old_classic, name) is getattr(L, name), name
    assert old_classic.EPSILON == 1e-7 and old_classic.validation is validation


def test_every_name_of_refs_gan_losses_is_the_object_of_refs_losses():
    assert set(old_gan.__all__) == set(adversarial.__all__)
    for name in adversarial.__all__:
        assert getattr(old_gan, name) is getattr(L, name), name


@pytest.mark.parametrize("module, names", [
    ("base", ["Loss", "EPSILON", "CrossentropyLoss", "prepare", "align", "epsilon_like"]),
    ("regression", ["Huber", "huber", "LogCosh", "Poisson", "poisson"]),
    ("binary", ["BinaryCrossentropy", "binary_crossentropy", "elementwise_bce",
                "WeightedBinaryCrossentropy", "balanced_binary_crossentropy"]),
    ("categorical", ["CategoricalCrossentropy", "sparse_categorical_crossentropy",
                     "KLDivergence", "CosineSimilarity", "cosine_distance"]),
    ("focal", ["SigmoidFocalCrossEntropy", "binary_focal_crossentropy", "modulating_factor"]),
    ("margin", ["Hinge", "exponential_loss", "to_pm1_labels", "CategoricalHinge"]),
])
def test_old_submodules_still_import_and_re_export_the_same_objects(module, names):
    old = importlib.import_module(f"refs.classic.losses.{module}")
    for name in names:
        new = getattr(L, name, None)
        if new is None:  # a helper: find it in the module that now holds it
            new = next(getattr(importlib.import_module(f"refs.losses.{m}"), name)
                       for m in ("base", "probabilistic", "focal", "margin")
                       if hasattr(importlib.import_module(f"refs.losses.{m}"), name))
        assert getattr(old, name) is new, f"refs.classic.losses.{module}.{name}"


def test_old_validation_module_is_the_new_module():
    import refs.classic.losses.validation as old_validation
    from refs.classic.losses.validation import set_input_checks

    assert old_validation is validation
    assert set_input_checks is validation.set_input_checks


def test_switching_checks_off_through_the_old_path_switches_them_off_for_refs_losses():
    import refs.classic.losses.validation

    nan_input = np.array([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="NaN"):
        L.huber(np.zeros((1, 2)), nan_input)
    try:
        refs.classic.losses.validation.set_input_checks(False)
        assert not validation.input_checks_enabled()
        L.huber(np.zeros((1, 2)), nan_input)  # not checked any more
    finally:
        refs.classic.losses.validation.set_input_checks(True)
    assert validation.input_checks_enabled()


def test_registered_names_did_not_change():
    assert keras.saving.get_registered_name(L.Huber) == "refs>Huber"
    assert keras.saving.get_registered_name(L.huber) == "refs>huber"
    assert keras.saving.get_registered_name(L.SigmoidFocalCrossEntropy) == (
        "refs>SigmoidFocalCrossEntropy")
    assert keras.saving.get_registered_name(L.DiscriminatorMinimaxLoss) == (
        "refs.gan>DiscriminatorMinimaxLoss")
    assert keras.saving.get_registered_name(L.WassersteinCriticLoss) == (
        "refs.gan>WassersteinCriticLoss")


def test_detection_matching_uses_the_box_geometry_of_refs_losses():
    import refs.detection.matching as matching
    from refs.losses import boxes

    assert matching.intersection_union is boxes.intersection_union
    assert matching.box_area is boxes.box_area
