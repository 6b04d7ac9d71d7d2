"""Parity of refs.losses.segmentation with segmentation-models-pytorch 0.6 and Keras 3.15.

Every case of tests/golden/smp_losses.json and every Dice / Tversky case of
tests/golden/keras3_losses.json is a test (pytest id = case id), value and gradient w.r.t.
``y_pred``. float64 at rtol=1e-9, atol=1e-12 (gradients x10); float32 at rtol=1e-5,
atol=1e-6, and smp's Lovász (float32 only, sort-based) at rtol=1e-4, atol=1e-5 (x10 for
gradients), as the golden README suggests.

Convention mapping (golden -> ours):

- smp is NCHW: ``y_pred``, ``expected_grad`` and 4-D masks go through ``np.moveaxis(a, 1, -1)``
  (channels-last); ``(N, H, W)`` class-id masks stay as they are. smp's ``ignore_index`` is our
  ``ignore_class``; smp's ``from_logits`` defaults to True and ours to False, so a case without
  it passes ``from_logits=True``.
- ``DiceLoss`` / ``JaccardLoss(mode, ...)`` -> ``Dice(mode=...)`` / ``Jaccard(mode=...)``.
- ``TverskyLoss(alpha, beta, gamma)`` -> ``FocalTversky(alpha, beta, gamma)`` (smp's meaning of
  alpha/beta); the gamma=1 cases are also checked as ``Tversky(alpha=beta, beta=alpha,
  mode=...)`` (Keras's meaning: alpha weights the false negatives).
- ``LovaszLoss(mode, per_image, ignore_index)`` -> ``Lovasz(...)``; smp's ``from_logits`` is
  unused by smp and refs has no such argument (dropped).
- ``MCCLoss(eps)`` -> ``MCC(eps)``.
- ``SoftBCEWithLogitsLoss(smooth_factor, ignore_index=-100, reduction)`` ->
  ``SoftBinaryCrossentropy(smooth_factor or 0.0, ignore_class)``; ``SoftCrossEntropyLoss`` ->
  ``SoftCategoricalCrossentropy``. torch "mean" (over every pixel, ignored ones included) is
  our "sum_over_batch_size"; "none" returns smp's ``(N, 1, H, W)`` / ``(N, H, W)``, ours the
  per-pixel ``(N, H, W)`` (the same values, compared after a reshape).
- ``FocalLoss`` (66 cases) is not a loss of this module: it is refs.losses.focal's
  ``sigmoid_focal_crossentropy`` (tfa's formula, from logits) on a trailing axis the focal sum
  reduces -- the pixel's one channel (binary), its C one-hot channels (multiclass, one-vs-rest)
  or one multilabel entry. smp's ``alpha=None`` is tfa's ``alpha=0`` ("off"); its "mean" over
  the non-ignored pixels is the weighted mean with weight 0 at ``ignore_index`` pixels (the
  label there replaced by 0), and multiclass averages the per-class means: divided by C;
  "none" keeps the non-ignored pixels, flattened. ``from_logits=False`` is smp's conversion
  written in keras.ops before the call: ``p`` clipped to [1e-7, 1 - 1e-7], logits
  ``log(p / (1 - p))`` (binary) or ``log p`` (multiclass).
- Keras 3 ``Dice`` / ``Tversky``: called as they are (``mode=None``), ``dtype`` = case dtype.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import golden_cases

import refs.losses as L
import refs.losses.segmentation as S

SMP = "smp_losses.json"
KERAS3 = "keras3_losses.json"


def smp_name(case):
    return case["loss"].rsplit(".", 1)[-1]


def tolerances(case):
    if case["dtype"] == "float64":
        return 1e-9, 1e-12
    if smp_name(case) == "LovaszLoss":
        return 1e-4, 1e-5
    return 1e-5, 1e-6


def evaluate(loss, y_true, y_pred, dtype, sample_weight=None):
    x = tf.convert_to_tensor(np.asarray(y_pred, dtype=dtype))
    with tf.GradientTape() as tape:
        tape.watch(x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = loss(y_true, x) if sample_weight is None else loss(y_true, x, sample_weight)
        total = tf.reduce_sum(out)
    return out.numpy(), tape.gradient(total, x).numpy()


def channels_last(a, ndim_pred):
    a = np.asarray(a)
    return np.moveaxis(a, 1, -1) if a.ndim == ndim_pred else a


REDUCTION = {"mean": "sum_over_batch_size", "sum": "sum", "none": "none"}


def smp_loss(case, swap_tversky=False):
    """Our loss object for an smp case (see the mapping in the module docstring)."""
    kw = dict(case["kwargs"])
    name = smp_name(case)
    dtype = case["dtype"]
    if "ignore_index" in kw:
        kw["ignore_class"] = kw.pop("ignore_index")
    if name in ("DiceLoss", "JaccardLoss", "TverskyLoss"):
        kw.setdefault("from_logits", True)
        if name == "DiceLoss":
            return S.Dice(dtype=dtype, **kw)
        if name == "JaccardLoss":
            return S.Jaccard(dtype=dtype, **kw)
        if swap_tversky:
            alpha, beta = kw.pop("alpha"), kw.pop("beta")
            kw.pop("gamma")
            return S.Tversky(alpha=beta, beta=alpha, dtype=dtype, **kw)
        return S.FocalTversky(dtype=dtype, **kw)
    if name == "LovaszLoss":
        kw.pop("from_logits", None)
        return S.Lovasz(dtype=dtype, **kw)
    if name == "MCCLoss":
        return S.MCC(dtype=dtype, **kw)
    reduction = REDUCTION[kw.pop("reduction", "mean")]
    kw["smooth_factor"] = kw.get("smooth_factor") or 0.0
    cls = S.SoftBinaryCrossentropy if name == "SoftBCEWithLogitsLoss" else \
        S.SoftCategoricalCrossentropy
    return cls(reduction=reduction, dtype=dtype, **kw)


def check_smp(case, loss):
    y_pred = np.asarray(case["y_pred"])
    nd = y_pred.ndim
    y_true = channels_last(case["y_true"], nd)
    y_pred = channels_last(y_pred, nd)
    got, grad = evaluate(loss, y_true, y_pred, case["dtype"])
    assert got.dtype == np.dtype(case["dtype"])
    rtol, atol = tolerances(case)
    want = np.asarray(case["expected"], dtype=np.float64)
    if want.ndim:
        want = channels_last(want, nd).reshape(got.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=case["id"])
    if case.get("expected_grad") is None:
        pytest.skip(f"no expected_grad: {case.get('grad_note', 'the library gave none')}")
    want_grad = channels_last(case["expected_grad"], nd)
    np.testing.assert_allclose(grad, want_grad, rtol=10 * rtol, atol=10 * atol,
                               err_msg=case["id"] + " (gradient)")


@pytest.mark.parametrize("case", golden_cases(SMP), ids=lambda c: c["id"] if c else "missing")
def test_matches_smp(case):
    if smp_name(case) == "FocalLoss":
        check_smp_focal(case)
        return
    check_smp(case, smp_loss(case))


def check_smp_focal(case):
    """smp's FocalLoss as refs.losses.sigmoid_focal_crossentropy (see the module docstring)."""
    kw = case["kwargs"]
    mode, reduction, ignore = kw["mode"], kw.get("reduction", "mean"), kw.get("ignore_index")
    y_pred = np.asarray(case["y_pred"])
    nd = y_pred.ndim
    y_true = channels_last(case["y_true"], nd)
    y_pred = channels_last(y_pred, nd)
    valid = np.ones(y_true.shape, bool) if ignore is None else y_true != ignore
    classes = y_pred.shape[-1]
    if mode == "multiclass":
        target = np.eye(classes)[np.where(valid, y_true, 0)]
    else:
        target = np.where(valid, y_true, 0.0)
        if mode == "binary":
            valid = valid[..., 0]
        else:  # multilabel: each entry is a "pixel" of one channel
            target = target[..., None]
    weight = valid.astype(case["dtype"])

    def loss(x):
        if not kw.get("from_logits", True):
            p = keras.ops.clip(x, 1e-7, 1.0 - 1e-7)
            x = keras.ops.log(p) if mode == "multiclass" else keras.ops.log(p / (1.0 - p))
        if mode == "multilabel":
            x = x[..., None]
        per_pixel = L.sigmoid_focal_crossentropy(target, x, alpha=kw.get("alpha") or 0.0,
                                                 gamma=kw.get("gamma", 2.0), from_logits=True)
        if reduction == "none":
            return tf.boolean_mask(per_pixel, weight > 0)
        total = keras.ops.sum(per_pixel * weight)
        if reduction == "mean":
            total = total / weight.sum()
        return total / classes if mode == "multiclass" else total

    got, grad = evaluate(lambda _, x: loss(x), None, y_pred, case["dtype"])
    rtol, atol = tolerances(case)
    np.testing.assert_allclose(got, case["expected"], rtol=rtol, atol=atol, err_msg=case["id"])
    np.testing.assert_allclose(grad, channels_last(case["expected_grad"], nd), rtol=10 * rtol,
                               atol=10 * atol, err_msg=case["id"] + " (gradient)")


@pytest.mark.parametrize(
    "case",
    golden_cases(SMP, lambda c: smp_name(c) == "TverskyLoss" and c["kwargs"]["gamma"] == 1.0),
    ids=lambda c: c["id"] if c else "missing")
def test_tversky_with_keras_alpha_beta_matches_smp_swapped(case):
    check_smp(case, smp_loss(case, swap_tversky=True))


def keras3_case(case):
    return case["loss"].rsplit(".", 1)[-1] in ("Dice", "Tversky")


@pytest.mark.parametrize("case", golden_cases(KERAS3, keras3_case),
                         ids=lambda c: c["id"] if c else "missing")
def test_matches_keras3(case):
    cls = S.Dice if case["loss"].endswith("Dice") else S.Tversky
    loss = cls(reduction=case["reduction"], dtype=case["dtype"], **case["kwargs"])
    sw = None if case["sample_weight"] is None else np.asarray(case["sample_weight"])
    got, grad = evaluate(loss, np.asarray(case["y_true"]), case["y_pred"], case["dtype"], sw)
    assert got.dtype == np.dtype(case["dtype"])
    rtol, atol = (1e-9, 1e-12) if case["dtype"] == "float64" else (1e-5, 1e-6)
    np.testing.assert_allclose(got, case["expected"], rtol=rtol, atol=atol, err_msg=case["id"])
    if case.get("expected_grad") is not None:
        np.testing.assert_allclose(grad, case["expected_grad"], rtol=10 * rtol, atol=10 * atol,
                                   err_msg=case["id"] + " (gradient)")
