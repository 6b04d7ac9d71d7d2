"""Parity of refs.losses with the golden values of real libraries (tests/golden).

Every case of tfa_focal.json and keras2_losses.json is checked, and every case of
torch_losses.json for which one of our losses computes the same quantity, per sample and
reduced, with the gradient w.r.t. ``y_pred`` where the file gives one (of ``sum(output)`` when
the output is not a scalar). float64 cases run in float64 at rtol=1e-9, atol=1e-12 (gradients
x10); float32 cases run in float32 at rtol=1e-5, atol=1e-6 (x10 for gradients).

Convention mapping (golden -> ours):

- Keras 2 / tfa ``reduction="auto"`` is Keras 3's ``"sum_over_batch_size"``; the class is built
  with ``dtype=case dtype`` (Keras casts inputs to the loss dtype).
- tfa ``SigmoidFocalCrossEntropy``: same sum over the last axis and default reduction "none";
  ``alpha=4`` cases need ``strict=False`` (our constructors reject alpha outside [0, 1]).
- Keras ``LogCosh``: Keras subtracts log(2) rounded to float32; we subtract the exact value, so
  those cases use atol=1e-8 (the golden README's advice).
- torch elementwise losses (BCEWithLogits, Huber, SmoothL1, MSE, L1, SoftMargin, the
  torchvision focal formula) reduce nothing in "none": we call ours on ``y[..., None]`` (a
  trailing axis of one, so our mean/sum over the last axis is the identity); torch "mean" (over
  all elements) is then our "sum_over_batch_size", "sum" is "sum". torch's per-element
  ``weight`` is our ``sample_weight`` broadcast to the input shape; ``pos_weight`` (one per
  class of the last axis) is our ``WeightedBinaryCrossentropy(pos_weight)``.
- ``SmoothL1Loss(beta)`` = ``huber(delta=beta) / beta``; ``SoftMarginLoss`` = ``logistic_loss``.
- torchvision focal: elementwise focal with ``alpha < 0`` meaning "off", which is our (tfa's)
  ``alpha=0``; its "mean" is over all elements.
- torch ``CrossEntropyLoss``: classes on axis 1 -> moved to the last axis. Index targets ->
  ``SparseCategoricalCrossentropy(from_logits=True)``; a class ``weight`` and ``ignore_index``
  -> ``sample_weight = weight[target]`` (0 where ignored) and torch "mean" ->
  "mean_with_sample_weight" (torch divides by the sum of ``weight[target]``). Index targets with
  label smoothing -> ``CategoricalCrossentropy(label_smoothing)`` on one-hot targets (the same
  ``y (1 - s) + s / C``); probability targets -> ``CategoricalCrossentropy(from_logits=True)``.
  With a class ``weight`` and smoothing or probability targets torch weights inside the class
  sum, ``-sum_c w_c t_c log p_c``: our categorical CE on the target ``w * t``, divided by
  ``sum weight[target]`` for "mean" with index targets.
- torch ``KLDivLoss`` (log-probability input, ``xlogy``): ours takes probabilities and clips both
  to [1e-7, 1] like Keras, so a zero target contributes ~1e-6 instead of 0: compared on
  ``exp(input)`` per sample (torch's elementwise output summed over the last axis) and reduced
  ("batchmean" = our "sum" / N), at atol=1e-5.
- torch ``BCELoss`` clamps each log at -100 (p=0, y=1 gives 100); ours follows Keras (clip to
  [1e-7, 1 - 1e-7] and add 1e-7), which differs by ~1e-7/p: compared at rtol=1e-5 on the
  moderate input set s1 and elementwise on entries with min(p, 1 - p) >= 1e-3 elsewhere.
- ``CosineEmbeddingLoss`` with target +1 is our ``cosine_distance`` (1 - cos), compared on the
  rows with target +1 of the "none" cases. Not mapped: its target -1 branch, and
  ``HingeEmbeddingLoss`` / ``MultiMarginLoss`` (different losses from our hinge family).
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
from conftest import golden_cases, golden_doc

import refs.losses as L
from refs.losses import validation

BACKEND = keras.backend.backend()
TORCHVISION_FOCAL = "torchvision.ops.sigmoid_focal_loss (formula re-typed in torch)"


def cases(name, **match):
    """The cases of a golden file whose fields equal ``match`` (a skip param if it is absent)."""
    return golden_cases(name, lambda c: all(c.get(k) == v for k, v in match.items()))


def tolerances(case):
    if case["dtype"] == "float64":
        return 1e-9, 1e-12
    return 1e-5, 1e-6


def reduction_of(case):
    return {"auto": "sum_over_batch_size", "mean": "sum_over_batch_size"}.get(
        case["reduction"], case["reduction"]
    )


# --------------------------------------------------------------------------- evaluation


def evaluate(fn, y_pred, dtype, need_grad):
    """(fn(y_pred), d sum(fn(y_pred)) / d y_pred) as numpy, on the active Keras backend."""
    x = keras.ops.convert_to_tensor(np.asarray(y_pred, dtype=dtype))
    if not need_grad:
        return keras.ops.convert_to_numpy(fn(x)), None
    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            out = fn(x)
            total = tf.reduce_sum(out)
        return out.numpy(), tape.gradient(total, x).numpy()
    if BACKEND == "jax":
        import jax

        out = fn(x)
        grad = jax.grad(lambda v: keras.ops.sum(fn(v)))(x)
        return np.asarray(out), np.asarray(grad)
    pytest.skip(f"no gradient helper for backend {BACKEND}")


def assert_case(case, fn, y_pred, *, rtol=None, atol=None, expected=None, grad_map=None):
    """Run ``fn`` on ``y_pred`` and compare value (and gradient, if given) with the case."""
    default_rtol, default_atol = tolerances(case)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    want_grad = case.get("expected_grad") is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, grad = evaluate(fn, y_pred, case["dtype"], want_grad)
    want = np.asarray(case["expected"] if expected is None else expected, dtype=np.float64)
    assert got.dtype == np.dtype(case["dtype"])
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=case["id"])
    if want_grad:
        grad = grad if grad_map is None else grad_map(grad)
        if BACKEND == "jax":
            grad = np.where(at_clip_bound(case), np.asarray(case["expected_grad"]), grad)
        np.testing.assert_allclose(
            grad, np.asarray(case["expected_grad"]), rtol=10 * rtol, atol=10 * atol,
            err_msg=case["id"] + " (gradient)",
        )


def at_clip_bound(case):
    """Entries of y_pred exactly at Keras's clip bounds eps, 1 - eps (in the case's dtype).

    There JAX's ``clip`` (a max and a min) splits the gradient of the tie in half, where TF's
    ``clip_by_value`` passes it whole (what the golden files record); the JAX run skips them.
    """
    p = np.asarray(case["y_pred"], dtype=case["dtype"])
    eps = np.asarray(1e-7, dtype=case["dtype"])
    return (p == eps) | (p == np.asarray(1, dtype=case["dtype"]) - eps)


def sample_weight_of(case):
    sw = case["sample_weight"]
    return None if sw is None else np.asarray(sw, dtype=case["dtype"])


# --------------------------------------------------------------------------- tensorflow-addons


def grappler_shift(case):
    """Per-sample value shift, and element mask, of tfa's float32 runs from probabilities.

    tfa's loss runs inside ``tf.function``, where Grappler's arithmetic optimizer folds
    ``log(1 - p + eps)`` into ``log((1 + eps) - p)``: the same number in exact arithmetic, but in
    float32 at the clip bound ``p = 1 - 1e-7`` the argument is 2.38e-7 instead of 2.19e-7
    (a loss change of 0.084 per element, times ``alpha_t``). We compute the expression as Keras 2
    writes it (eager); this returns ``ours - tfa`` implied by that rewrite, so the test checks
    the explanation to float32 precision, and the elements whose gradient it changes.
    """
    f = np.float32
    y = np.asarray(case["y_true"], dtype=f)
    p = np.asarray(case["y_pred"], dtype=f)
    eps = f(1e-7)
    clipped = np.clip(p, eps, f(1) - eps)
    as_written = np.log(f(1) - clipped + eps)
    folded = np.log((f(1) + eps) - clipped)
    alpha, gamma = case["kwargs"]["alpha"], case["kwargs"]["gamma"]
    weight = (y * alpha + (1 - y) * (1 - alpha)) if alpha else np.ones_like(y)
    q = y * (1 - p) + (1 - y) * p
    modulation = q**gamma if gamma else np.ones_like(y)
    shift = weight * modulation * (1 - y) * (folded - as_written)
    return shift.sum(-1), shift != 0


@pytest.mark.parametrize("case", cases("tfa_focal.json"), ids=lambda c: c["id"])
def test_tfa_sigmoid_focal_matches(case):
    y_true = np.asarray(case["y_true"], dtype=case["dtype"])
    kwargs = dict(case["kwargs"], strict=False)
    expected, grad_map = None, None
    if case["dtype"] == "float32" and not kwargs["from_logits"]:
        shift, changed = grappler_shift(case)
        expected = np.asarray(case["expected"]) + shift
        want_grad = np.asarray(case["expected_grad"])
        grad_map = lambda g: np.where(changed, want_grad, g)  # noqa: E731
    if case["call"] == "function":
        fn = lambda x: L.sigmoid_focal_crossentropy(y_true, x, **kwargs)  # noqa: E731
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = L.SigmoidFocalCrossEntropy(
                **kwargs, reduction=reduction_of(case), dtype=case["dtype"]
            )
        sw = sample_weight_of(case)
        fn = lambda x: loss(y_true, x, sample_weight=sw)  # noqa: E731
    assert_case(case, fn, case["y_pred"], expected=expected, grad_map=grad_map)


# --------------------------------------------------------------------------- Keras 2

KERAS2_CLASSES = {
    "BinaryCrossentropy": L.BinaryCrossentropy,
    "BinaryFocalCrossentropy": L.BinaryFocalCrossentropy,
    "CategoricalCrossentropy": L.CategoricalCrossentropy,
    "SparseCategoricalCrossentropy": L.SparseCategoricalCrossentropy,
    "Hinge": L.Hinge,
    "SquaredHinge": L.SquaredHinge,
    "CategoricalHinge": L.CategoricalHinge,
    "KLDivergence": L.KLDivergence,
    "MeanSquaredError": L.MeanSquaredError,
    "MeanAbsoluteError": L.MeanAbsoluteError,
    "MeanSquaredLogarithmicError": L.MeanSquaredLogarithmicError,
    "MeanAbsolutePercentageError": L.MeanAbsolutePercentageError,
    "Huber": L.Huber,
    "LogCosh": L.LogCosh,
    "CosineSimilarity": L.CosineSimilarity,
    "Poisson": L.Poisson,
}


@pytest.mark.parametrize("case", cases("keras2_losses.json"), ids=lambda c: c["id"])
def test_keras2_matches(case):
    name = case["loss"].rsplit(".", 1)[-1]
    loss = KERAS2_CLASSES[name](**case["kwargs"], reduction=reduction_of(case), dtype=case["dtype"])
    y_true = np.asarray(case["y_true"])
    sw = sample_weight_of(case)
    atol = 1e-8 if name == "LogCosh" else None  # Keras's float32 log(2), see module docstring
    assert_case(case, lambda x: loss(y_true, x, sample_weight=sw), case["y_pred"], atol=atol)


# --------------------------------------------------------------------------- torch


def _elementwise(case, loss, scale=1.0):
    """Check an elementwise torch loss through ours on a trailing axis of one."""
    dtype = case["dtype"]
    y_true = np.asarray(case["y_true"], dtype=dtype)[..., None]
    y_pred = np.asarray(case["y_pred"], dtype=dtype)[..., None]
    weight = case["kwargs"].get("weight")
    sw = None if weight is None else np.broadcast_to(np.asarray(weight, dtype), y_true.shape[:-1])

    def fn(x):
        return loss(y_true, x, sample_weight=sw) / scale

    assert_case(case, fn, y_pred, grad_map=lambda g: g[..., 0])


def test_torch_cases_are_present():
    assert len(golden_doc("torch_losses.json")["cases"]) == 495, "golden torch file changed"


def _torch(*loss_names, where=lambda _case: True):
    """The torch_losses.json cases of these ``torch.nn`` losses (that ``where`` accepts)."""
    names = {"torch.nn." + n for n in loss_names}
    return golden_cases("torch_losses.json", lambda c: c["loss"] in names and where(c))


@pytest.mark.parametrize("case", _torch("BCEWithLogitsLoss"), ids=lambda c: c["id"])
def test_torch_bce_with_logits_matches(case):
    pos_weight = case["kwargs"].get("pos_weight")
    pw = 1.0 if pos_weight is None else np.asarray(pos_weight)[:, None]  # classes on axis -2
    loss = L.WeightedBinaryCrossentropy(
        pos_weight=pw, from_logits=True, reduction=reduction_of(case), dtype=case["dtype"]
    )
    _elementwise(case, loss)


@pytest.mark.parametrize("case", _torch("HuberLoss"), ids=lambda c: c["id"])
def test_torch_huber_matches(case):
    _elementwise(case, L.Huber(**case["kwargs"], reduction=reduction_of(case), dtype=case["dtype"]))


@pytest.mark.parametrize("case", _torch("SmoothL1Loss"), ids=lambda c: c["id"])
def test_torch_smooth_l1_is_huber_over_beta(case):
    beta = case["kwargs"]["beta"]
    loss = L.Huber(delta=beta, reduction=reduction_of(case), dtype=case["dtype"])
    _elementwise(case, loss, scale=beta)


@pytest.mark.parametrize(
    "case",
    _torch("MSELoss", "L1Loss", "SoftMarginLoss"),
    ids=lambda c: c["id"],
)
def test_torch_mse_l1_soft_margin_match(case):
    cls = {
        "torch.nn.MSELoss": L.MeanSquaredError,
        "torch.nn.L1Loss": L.MeanAbsoluteError,
        "torch.nn.SoftMarginLoss": L.LogisticLoss,
    }[case["loss"]]
    _elementwise(case, cls(reduction=reduction_of(case), dtype=case["dtype"]))


@pytest.mark.parametrize(
    "case",
    cases("torch_losses.json", loss=TORCHVISION_FOCAL),
    ids=lambda c: c["id"],
)
def test_torchvision_focal_matches(case):
    alpha, gamma = case["kwargs"]["alpha"], case["kwargs"]["gamma"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss = L.SigmoidFocalCrossEntropy(
            alpha=max(alpha, 0.0),  # torchvision's "off" (alpha < 0) is tfa's alpha = 0
            gamma=gamma,
            from_logits=True,
            strict=False,
            reduction=reduction_of(case),
            dtype=case["dtype"],
        )
    _elementwise(case, loss)


def _ce_mapping(case):
    """How a torch CrossEntropyLoss case maps onto ours.

    Returns (loss, target, sample_weight, divisor, fused_target): the torch value is
    ``loss(target, logits, sample_weight) / divisor``; ``fused_target`` is the target row the
    categorical loss hands to the fused softmax cross-entropy (None for the sparse loss).

    - index targets, no smoothing: sparse CE, ``sample_weight = weight[y]`` (0 where
      ``ignore_index``), torch "mean" = "mean_with_sample_weight";
    - smoothing and/or probability targets: categorical CE on ``t = y (1 - s) + s / C``; with a
      class weight torch computes ``-sum_c w_c t_c log p_c``, i.e. our CE on the target
      ``w * t``; torch "mean" divides by ``sum weight[y]`` (index targets) or ``N d``.
    """
    kw = case["kwargs"]
    dtype = case["dtype"]
    y_true = np.asarray(case["y_true"])
    num_classes = np.asarray(case["y_pred"]).shape[1]
    weight = kw.get("weight")
    w = np.ones(num_classes) if weight is None else np.asarray(weight)
    smoothing = kw.get("label_smoothing", 0.0)
    reduction = case["reduction"]
    if y_true.dtype.kind == "i":
        valid = y_true != kw.get("ignore_index", -100)
        labels = np.where(valid, y_true, 0)
        if not smoothing:
            sw = (w[labels] * valid).astype(dtype)
            reduction = "mean_with_sample_weight" if reduction == "mean" else reduction
            loss = L.SparseCategoricalCrossentropy(
                from_logits=True, reduction=reduction, dtype=dtype
            )
            return loss, labels, sw, 1.0, None
        t = np.eye(num_classes)[labels]
        divisor = (w[labels] * valid).sum() if reduction == "mean" else 1.0
    else:
        t = np.moveaxis(y_true.astype(np.float64), 1, -1)
        divisor = t[..., 0].size if reduction == "mean" else 1.0
    target = (w * (t * (1 - smoothing) + smoothing / num_classes)).astype(dtype)
    loss = L.CategoricalCrossentropy(
        from_logits=True, reduction="sum" if reduction == "mean" else reduction, dtype=dtype
    )
    return loss, target, None, divisor, target


@pytest.mark.parametrize("case", _torch("CrossEntropyLoss"), ids=lambda c: c["id"])
def test_torch_cross_entropy_matches(case):
    loss, target, sw, divisor, fused_target = _ce_mapping(case)
    y_pred = np.moveaxis(np.asarray(case["y_pred"], dtype=case["dtype"]), 1, -1)
    correction = 0.0
    if BACKEND == "tensorflow" and fused_target is not None:
        # TF's fused softmax cross-entropy returns the gradient softmax(x) - t, exact when each
        # target row sums to 1; here rows sum to 1 +- 1e-7 (float32 probabilities) or to
        # sum_c w_c t_c (class weights), and the true gradient is sum(t) softmax(x) - t.
        # Add the (sum(t) - 1) softmax(x) term TF omits, scaled like the loss.
        softmax = np.exp(y_pred - y_pred.max(-1, keepdims=True))
        softmax /= softmax.sum(-1, keepdims=True)
        correction = (fused_target.sum(-1, keepdims=True) - 1) * softmax / divisor
    # A weighted target w * t leaves [0, 1], which the eager input check rightly rejects for
    # a user's targets; this mapping trick runs with the checks off.
    with validation.input_checks(enabled=fused_target is None or target.max() <= 1):
        assert_case(
            case,
            lambda x: loss(target, x, sample_weight=sw) / divisor,
            y_pred,
            grad_map=lambda g: np.moveaxis(g + correction, -1, 1),
        )


@pytest.mark.parametrize("case", _torch("KLDivLoss"), ids=lambda c: c["id"])
def test_torch_kl_div_matches(case):
    y_true = np.asarray(case["y_true"], dtype=case["dtype"])
    probs = np.exp(np.asarray(case["y_pred"], dtype=case["dtype"]))
    expected = np.asarray(case["expected"])
    red = case["reduction"]
    if red == "none":
        expected, reduction, scale = expected.sum(-1), "none", 1.0
    elif red == "batchmean":
        reduction, scale = "sum", y_true.shape[0]
    elif red == "mean":
        reduction, scale = "sum", y_true.size
    else:
        reduction, scale = "sum", 1.0
    # Where torch's input is below log(1e-7) ours clips (Keras); compare the other rows.
    rows = probs.min(-1) >= 1e-7
    if not rows.all():
        if red != "none":
            pytest.skip("reduced KLDivLoss over rows with p < 1e-7: Keras clip vs torch xlogy")
        y_true, probs, expected = y_true[rows], probs[rows], expected[rows]
    loss = L.KLDivergence(reduction=reduction, dtype=case["dtype"])
    assert_case(
        case, lambda x: loss(y_true, x) / scale, probs, expected=expected, rtol=1e-6, atol=1e-5
    )


@pytest.mark.parametrize("case", _torch("BCELoss"), ids=lambda c: c["id"])
def test_torch_bce_matches_away_from_the_clamp(case):
    dtype = case["dtype"]
    p = np.asarray(case["y_pred"], dtype=dtype)
    y = np.asarray(case["y_true"], dtype=dtype)
    weight = case["kwargs"].get("weight")
    w = np.ones(()) if weight is None else np.asarray(weight)
    moderate = np.minimum(p, 1 - p) >= 1e-3
    if case["input_set"]["name"] == "s1":
        assert moderate.all()
        loss = L.BinaryCrossentropy(reduction=reduction_of(case), dtype=dtype)
        sw = np.broadcast_to(w, p.shape).astype(dtype)
        assert_case(case, lambda x: loss(y[..., None], x, sample_weight=sw), p[..., None],
                    rtol=1e-5, atol=1e-7)
    elif case["reduction"] == "none":
        ours = w * keras.ops.convert_to_numpy(L.binary_crossentropy(y[..., None], p[..., None]))
        want = np.asarray(case["expected"])
        np.testing.assert_allclose(ours[moderate], want[moderate], rtol=1e-5)
        # At the clamp both are finite; ours is bounded by -log(2e-7) (Keras), torch's by 100.
        assert np.all(np.isfinite(ours)) and np.all(ours <= w * 15.43)
    else:
        pytest.skip("reduced BCELoss at p in {0, 1}: torch's -100 clamp vs Keras's epsilon")


@pytest.mark.parametrize(
    "case",
    _torch("CosineEmbeddingLoss", where=lambda c: c["reduction"] == "none"),
    ids=lambda c: c["id"],
)
def test_torch_cosine_embedding_positive_pairs_are_cosine_distance(case):
    dtype = case["dtype"]
    target = np.asarray(case["y_true"])
    x1 = np.asarray(case["y_pred"], dtype=dtype)
    x2 = np.asarray(case["extra_inputs"]["input2"], dtype=dtype)
    positive = target == 1
    assert positive.any()
    ours = keras.ops.convert_to_numpy(L.cosine_distance(x2, x1))
    np.testing.assert_allclose(
        ours[positive], np.asarray(case["expected"])[positive], rtol=1e-9, atol=1e-9
    )
