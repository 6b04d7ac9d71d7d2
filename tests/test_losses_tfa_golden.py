"""Parity of refs.losses with tensorflow-addons 0.23 (tests/golden/tfa_losses.json, all 342
cases) and with Keras 3.15's Circle loss (the 42 Circle cases of tests/golden/keras3_losses.json).

Every case is built as the golden file says (``Cls(**kwargs[, reduction=...])``, called as
``obj(y_true, y_pred[, sample_weight=...])``) from ``refs.losses``, with ``dtype=`` the case
dtype, and compared in value and in the gradient w.r.t. ``y_pred`` (of ``sum(output)``), on
the active Keras backend (TensorFlow; also passes with ``KERAS_BACKEND=jax JAX_ENABLE_X64=1``).

Tolerances (the golden README's): float64 rtol=1e-9, atol=1e-12; float32 rtol=1e-5, atol=1e-6,
except the float32-only triplet and lifted-structure losses (tfa's expanded L2 formula):
rtol=1e-4, atol=1e-5, and atol=5e-4 on their extreme sets; gradients x10.

Convention mapping (golden -> refs):

- tfa ``reduction="auto"`` is ``"sum_over_batch_size"``. The batch-structured losses (triplet,
  lifted, N-pairs, kappa) return one scalar; tfa forces reduction NONE, refs accepts any
  reduction (the identity on a scalar); no case passes a ``sample_weight`` to them.
- ``PinballLoss(tau)``: tfa rounds ``tau`` to float32 even in float64 (``tf.cast`` of a Python
  float); refs uses ``tau`` as given, so the float64 cases pass ``float(np.float32(tau))``.
- Where tfa returns NaN -- ``TripletSemiHardLoss`` on a batch with no positive pair (9 cases,
  0/0) and ``LiftedStructLoss`` with no positive or no negative pair (8 cases) -- refs returns
  its documented value **0** with a **zero gradient**; those cases assert exactly that.
- ``TripletSemiHardLoss`` is computed with an O(B^2) sort (tfa tiles to B^2 x B); tied negative
  distances share the gradient as in tfa, so the extreme sets (duplicate rows) match too.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from conftest import golden_cases

import refs.losses as L

BACKEND = keras.backend.backend()

TFA = "tfa_losses.json"
KERAS3 = "keras3_losses.json"
BATCH_FLOAT32_ONLY = ("TripletSemiHardLoss", "TripletHardLoss", "LiftedStructLoss")


def _class_name(case):
    return case["loss"].rsplit(".", 1)[-1]


def _tolerances(case):
    if case["dtype"] == "float64":
        return 1e-9, 1e-12
    if _class_name(case) in BATCH_FLOAT32_ONLY:
        return 1e-4, 5e-4 if case["input_set"]["extreme"] else 1e-5
    return 1e-5, 1e-6


def _build(case):
    kwargs = dict(case["kwargs"])
    if _class_name(case) == "PinballLoss":
        kwargs["tau"] = float(np.float32(kwargs["tau"]))  # tfa's float32 tau (see docstring)
    if case.get("reduction_passed"):
        kwargs["reduction"] = {"auto": "sum_over_batch_size"}.get(case["reduction"],
                                                                  case["reduction"])
    return getattr(L, _class_name(case))(**kwargs, dtype=case["dtype"])


def _value_and_grad(fn, x):
    """(fn(x), d sum(fn(x)) / dx) as numpy, on the active Keras backend (TensorFlow or JAX)."""
    x = keras.ops.convert_to_tensor(x)
    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            out = fn(x)
            total = tf.reduce_sum(out)
        return out.numpy(), tape.gradient(total, x).numpy()
    if BACKEND == "jax":
        import jax

        grad = jax.grad(lambda v: keras.ops.sum(fn(v)))(x)
        return np.asarray(fn(x)), np.asarray(grad)
    pytest.skip(f"no gradient helper for backend {BACKEND}")


def _evaluate(case):
    loss = _build(case)
    y_true = np.asarray(case["y_true"])
    sw = case["sample_weight"]
    if sw is not None:
        sw = np.asarray(sw, dtype=case["dtype"])
    return _value_and_grad(
        lambda x: loss(y_true, x) if sw is None else loss(y_true, x, sample_weight=sw),
        np.asarray(case["y_pred"], dtype=case["dtype"]))


def _check(case):
    got, grad = _evaluate(case)
    assert got.dtype == np.dtype(case["dtype"])
    if case.get("expected_nonfinite"):
        # tfa: NaN (no positive pair, or no negative); refs: 0 with a zero gradient.
        assert np.isnan(np.asarray(case["expected"], dtype=float)).all()
        np.testing.assert_array_equal(got, 0.0)
        np.testing.assert_array_equal(grad, 0.0)
        return
    rtol, atol = _tolerances(case)
    np.testing.assert_allclose(got, np.asarray(case["expected"], dtype=np.float64), rtol=rtol,
                               atol=atol, err_msg=case["id"])
    if case.get("expected_grad") is not None:
        np.testing.assert_allclose(grad, np.asarray(case["expected_grad"]), rtol=10 * rtol,
                                   atol=10 * atol, err_msg=case["id"] + " (gradient)")


@pytest.mark.parametrize("case", golden_cases(TFA), ids=lambda c: c["id"] if c else "missing")
def test_tfa_losses_match(case):
    _check(case)


@pytest.mark.parametrize("case", golden_cases(KERAS3, lambda c: c["loss"].endswith(".Circle")),
                         ids=lambda c: c["id"] if c else "missing")
def test_keras3_circle_matches(case):
    _check(case)


def test_every_tfa_case_is_run():
    cases = golden_cases(TFA)
    if cases and isinstance(cases[0], dict):
        assert len(cases) == 342
        assert sum(bool(c.get("expected_nonfinite")) for c in cases) == 17
