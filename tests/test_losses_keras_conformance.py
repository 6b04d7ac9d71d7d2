"""Conformance of ``refs.losses`` with the installed Keras 3 (3.15) ``keras.losses``.

For every class exported by ``refs.losses`` whose name also exists in ``keras.losses``:

1. **Signature**: every constructor argument of the Keras class exists in refs with the same
   default, in the same relative order (so positional calls mean the same). refs may add
   arguments (e.g. the smp-style ones of Dice/Tversky) only if each appears in the docstring of
   the class, of its loss function or of its module. ``name=None`` is accepted as Keras's
   default name when the class resolves it so (``CrossentropyLoss.default_name``);
   ``*args, **kwargs`` pass-through constructors are followed to the base class they forward
   to (``PASS_THROUGH``). The Keras loss functions of the same names take the same arguments.
2. **Behaviour**: the real ``keras.losses`` class is the oracle, on random float64 inputs, for
   every combination of the shared arguments in ``SPECS`` (a non-default ``axis`` included),
   with reduction ``"none"`` and ``"sum_over_batch_size"`` with a per-sample weight.

Where refs differs from Keras on purpose the difference is listed in ``DELIBERATE`` and has a
test of its own that asserts refs's documented behaviour and that Keras really does differ:

- BCE (and binary focal) from probabilities: Keras 2's ``log(p + 1e-7)`` after the clip
  (Keras 3: ``log(p)``), so the random-input comparison of those paths uses ``rtol=1e-5``;
- MSLE: negative targets raise ValueError (Keras clamps them to 0);
- LogCosh: the exact ``log 2`` of the dtype (Keras subtracts ``log 2`` rounded to float32);
  compared at ``atol=1e-8``;
- CategoricalFocalCrossentropy from logits: ``log_softmax`` without Keras's clip of the
  softmax to ``[1e-7, 1 - 1e-7]`` (they agree on moderate logits, the ones drawn here);
- label smoothing with ``axis != -1`` (CategoricalCrossentropy, CategoricalFocalCrossentropy):
  refs smooths with the number of classes on ``axis``; Keras 3.15 with ``y_true.shape[-1]``.
  refs is compared with Keras on the inputs moved to ``axis=-1`` instead;
- SparseCategoricalCrossentropy: any class ``axis`` (Keras 3.15 on TensorFlow: only -1;
  compared with Keras on moved inputs), and ``(B,)`` sample weights with ``ignore_class`` on
  ``(B, d)`` labels (Keras fails to broadcast its mask against them);
- CategoricalGeneralizedCrossEntropy: ``q = 1`` accepted (Keras: ``0 < q < 1``), gradient 0
  rather than inf at ``p_y = 0``;
- CTC: padding before a label and labels too long for the frames raise ValueError.
"""

from __future__ import annotations

import inspect
import itertools

import keras
import numpy as np
import pytest

import refs.losses as L

#: The base class shares the name ``Loss`` but not the role: refs's takes the loss function.
NOT_A_LOSS = {"Loss"}

SHARED = sorted(
    n for n in L.__all__
    if isinstance(getattr(L, n), type) and hasattr(keras.losses, n) and n not in NOT_A_LOSS
)

#: Constructors written ``(..., *args, **kwargs)`` that forward to a base class; the effective
#: signature is theirs followed by the base's. (Reported: focal.py's classes would be clearer
#: with explicit constructors; the arguments and defaults are Keras's either way.)
PASS_THROUGH = {"BinaryFocalCrossentropy", "CategoricalFocalCrossentropy"}

#: {class: (what, phrases its docstrings -- class, loss function, module -- must contain)}.
DELIBERATE = {
    "BinaryCrossentropy": ("Keras 2's double epsilon from probabilities",
                           ("log(p + eps)", "Keras 3")),
    "BinaryFocalCrossentropy": ("Keras 2's BCE from probabilities", ("Keras 2",)),
    "MeanSquaredLogarithmicError": ("negative targets rejected", ("rejected",)),
    "LogCosh": ("exact log 2 of the dtype", ("exact ``log 2``",)),
    "CategoricalFocalCrossentropy": ("log_softmax unclipped from logits",
                                     ("log_softmax", "clips")),
    "CategoricalCrossentropy": ("label smoothing along axis uses the size of axis",
                                ("axis != -1",)),
    "SparseCategoricalCrossentropy": ("any class axis", ("only -1",)),
    "CategoricalGeneralizedCrossEntropy": ("q = 1 accepted; zero gradient at p_y = 0",
                                           ("q = 1", "0 < q < 1", "gradient of 0")),
    "CTC": ("padding before labels and infeasible labels rejected",
            ("padding must come after", "cannot fit")),
}


# --------------------------------------------------------------------------- signatures


def _params(fn):
    return [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]


def _effective_params(cls):
    params = _params(cls.__init__)
    if cls.__name__ in PASS_THROUGH:
        named = [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        names = {p.name for p in named}
        for base in cls.__mro__[1:]:
            if "__init__" in vars(base):
                named += [p for p in _params(base.__init__) if p.name not in names
                          and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
                break
        params = named
    return params


def _resolved_default(cls, param):
    if param.name == "name" and param.default is None and getattr(cls, "default_name", None):
        return cls.default_name
    return param.default


@pytest.mark.parametrize("name", SHARED)
def test_constructor_has_every_keras_argument_with_its_default(name):
    ours, theirs = getattr(L, name), getattr(keras.losses, name)
    keras_params = _params(theirs.__init__)
    our_params = {p.name: p for p in _effective_params(ours)}
    for param in keras_params:
        assert param.name in our_params, f"{name} lacks Keras's argument {param.name!r}"
        mine = our_params[param.name]
        assert mine.kind in (mine.POSITIONAL_OR_KEYWORD, mine.KEYWORD_ONLY), param.name
        assert _resolved_default(ours, mine) == param.default, (
            f"{name}({param.name}=...): refs default {mine.default!r}, Keras {param.default!r}")
    keras_names = [p.name for p in keras_params]
    order = [n for n in our_params if n in keras_names]
    assert order == keras_names, f"{name}: argument order {order}, Keras {keras_names}"
    extras = set(our_params) - set(keras_names)
    fn = getattr(L, _function_name(name), None)
    doc = (ours.__doc__ or "") + (getattr(fn, "__doc__", "") or "")
    doc += inspect.getmodule(ours).__doc__ or ""
    undocumented = {e for e in extras if e not in doc}
    assert not undocumented, f"{name}: extra arguments not in its docstrings: {undocumented}"


def _function_name(cls_name):
    names = {n.lower().replace("_", ""): n for n in L.__all__ if n.islower()}
    return names.get(cls_name.lower(), "__doc__")


@pytest.mark.parametrize("name", SHARED)
def test_default_object_has_keras_default_config(name):
    """The defaults as the objects hold them (covers pass-through constructors too)."""
    ours, theirs = getattr(L, name)(), getattr(keras.losses, name)()
    mine, keras_config = ours.get_config(), theirs.get_config()
    for key, value in keras_config.items():
        if key == "ignore_class" and value is None:
            assert key not in mine or mine[key] is None  # omitted when None (old configs)
            continue
        assert key in mine and mine[key] == value, (name, key, mine.get(key), value)


@pytest.mark.parametrize("name", SHARED)
def test_keras_loss_functions_of_the_same_name_take_the_same_arguments(name):
    fn_name = _function_name(name)
    if not hasattr(keras.losses, fn_name) or not hasattr(L, fn_name):
        pytest.skip(f"no function {fn_name} in both")
    theirs = _params(getattr(keras.losses, fn_name))
    ours = {p.name: p for p in _params(getattr(L, fn_name))}
    for param in theirs:
        assert param.name in ours, f"{fn_name} lacks {param.name!r}"
        if param.default is not inspect.Parameter.empty:
            assert ours[param.name].default == param.default, (fn_name, param.name)


# --------------------------------------------------------------------------- behaviour


def _rng(*key):
    return np.random.default_rng(abs(hash(key)) % (2**32))


def _binary(rng, kw, shape=(6, 4)):
    shape = (5, 3, 4) if kw.get("axis", -1) != -1 else shape
    y = rng.integers(0, 2, size=shape).astype(np.float64)
    x = rng.normal(size=shape) * 2 if kw.get("from_logits") else rng.uniform(0.05, 0.95, shape)
    return y, x, _reduced_shape(shape, kw.get("axis", -1))


def _reduced_shape(shape, axis):
    axis = axis % len(shape)
    return shape[:axis] + shape[axis + 1:]


def _categorical(rng, kw):
    axis = kw.get("axis", -1)
    shape = (5, 3, 4) if axis != -1 else (6, 4)
    classes = shape[axis]
    labels = rng.integers(0, classes, size=_reduced_shape(shape, axis))
    y = np.moveaxis(np.eye(classes)[labels], -1, axis)
    if kw.get("from_logits"):
        x = rng.normal(size=shape) * 2
    else:
        x = np.moveaxis(rng.dirichlet(np.ones(classes), size=labels.shape), -1, axis)
    return y, x, labels.shape


def _sparse(rng, kw):
    axis = kw.get("axis", -1)
    y, x, wshape = _categorical(rng, {**kw, "axis": axis})
    labels = np.argmax(y, axis=axis)
    if kw.get("ignore_class") is not None:
        labels = np.where(rng.uniform(size=labels.shape) < 0.3, kw["ignore_class"], labels)
    return labels, x, wshape


def _regression(rng, _kw, positive=False):
    shape = (6, 4)
    y = rng.uniform(0.5, 3.0, shape) if positive else rng.normal(size=shape) * 2
    return y, rng.normal(size=shape) * 2 + (2.0 if positive else 0.0), shape[:-1]


def _rates(rng, _kw):
    shape = (6, 4)
    return rng.poisson(2.0, size=shape).astype(np.float64), rng.uniform(0.1, 4.0, shape), (6,)


def _distributions(rng, _kw):
    return rng.dirichlet(np.ones(4), size=6), rng.dirichlet(np.ones(4), size=6), (6,)


def _hinge(rng, kw):
    y = rng.integers(0, 2, size=(6, 4)).astype(np.float64)
    return (y if kw["labels"] == "01" else 2 * y - 1), rng.normal(size=(6, 4)), (6,)


def _cosine(rng, kw):
    shape = (5, 3, 4) if kw.get("axis", -1) != -1 else (6, 4)
    return (rng.normal(size=shape), rng.normal(size=shape),
            _reduced_shape(shape, kw.get("axis", -1)))


def _gce(rng, _kw):
    return rng.integers(0, 4, size=6), rng.dirichlet(np.ones(4), size=6), (6,)


def _ctc(rng, _kw):
    labels = np.array([[1, 2, 0], [3, 3, 1], [0, 0, 0], [2, 0, 0]])
    return labels, rng.normal(size=(4, 7, 4)), (4,)


def _segmentation(rng, kw):
    shape = (4, 5, 3)
    y = rng.integers(0, 2, size=shape).astype(np.float64)
    wshape = None if kw.get("axis") is None else (4,)
    return y, rng.uniform(0.0, 1.0, shape), wshape


def _embeddings(rng, _kw):
    x = rng.normal(size=(8, 5))
    return np.array([0, 0, 1, 1, 2, 2, 3, 0]), x / np.linalg.norm(x, axis=1, keepdims=True), (8,)


def grid(**choices):
    keys = list(choices)
    return [dict(zip(keys, values)) for values in itertools.product(*choices.values())]


LOGITS_SMOOTH_AXIS = grid(from_logits=[False, True], label_smoothing=[0.0, 0.2], axis=[-1, 1])

#: {class: (input maker, kwargs grid, options)}; options: rtol/atol, keras_kwargs (arguments
#: refs has and Keras lacks, dropped for Keras), moved (compare with Keras on inputs whose
#: class axis was moved to -1).
SPECS = {
    "BinaryCrossentropy": (_binary, LOGITS_SMOOTH_AXIS, {"rtol_probabilities": 1e-5}),
    "BinaryFocalCrossentropy": (
        _binary,
        [dict(apply_class_balancing=b, alpha=a, gamma=g, **c) for b in (False, True)
         for a, g in ((0.25, 2.0), (0.5, 0.0)) for c in LOGITS_SMOOTH_AXIS],
        {"rtol_probabilities": 1e-5},
    ),
    "CategoricalCrossentropy": (_categorical, LOGITS_SMOOTH_AXIS, {}),
    "CategoricalFocalCrossentropy": (
        _categorical,
        [dict(alpha=a, gamma=g, **c) for a, g in ((0.25, 2.0), (0.5, 0.0), (1.0, 0.5))
         for c in LOGITS_SMOOTH_AXIS],
        {},
    ),
    "SparseCategoricalCrossentropy": (
        _sparse, grid(from_logits=[False, True], ignore_class=[None, 255, -1], axis=[-1, 1]), {}),
    "KLDivergence": (_distributions, [{}], {}),
    "Poisson": (_rates, [{}], {}),
    "MeanSquaredError": (_regression, [{}], {}),
    "MeanAbsoluteError": (_regression, [{}], {}),
    "MeanAbsolutePercentageError": (_regression, [{}], {}),
    "MeanSquaredLogarithmicError": (lambda r, k: _regression(r, k, positive=True), [{}], {}),
    "Huber": (_regression, grid(delta=[0.5, 1.0, 2.0]), {}),
    "LogCosh": (_regression, [{}], {"atol": 1e-8}),
    "CosineSimilarity": (_cosine, grid(axis=[-1, 1]), {}),
    "Hinge": (_hinge, grid(labels=["pm1", "01"]), {"input_only": ["labels"]}),
    "SquaredHinge": (_hinge, grid(labels=["pm1", "01"]), {"input_only": ["labels"]}),
    "CategoricalHinge": (lambda r, _k: _categorical(r, {"from_logits": True}), [{}], {}),
    "CategoricalGeneralizedCrossEntropy": (_gce, grid(q=[0.3, 0.5, 0.7]), {}),
    "CTC": (_ctc, [{}], {"rtol": 1e-5, "dtype": "float32"}),
    # Added by other helpers (checked when exported):
    "Dice": (_segmentation, grid(axis=[None, [1, 2]]), {}),
    "Tversky": (_segmentation, grid(alpha=[0.5, 0.7], beta=[0.5, 0.3], axis=[None, [1, 2]]), {}),
    "Circle": (_embeddings, grid(gamma=[80.0, 16.0], margin=[0.4, 0.25]), {}),
}


def test_every_shared_class_has_a_behaviour_spec():
    assert set(SHARED) <= set(SPECS), set(SHARED) - set(SPECS)


def _label_smoothing_along_axis(name, kw):
    return (name in ("CategoricalCrossentropy", "CategoricalFocalCrossentropy")
            and kw.get("label_smoothing") and kw.get("axis", -1) != -1)


def _keras_side(name, kw, y, x, sw):
    """Keras's class and inputs for the comparison (moved to axis -1 where Keras can't)."""
    kw = dict(kw)
    axis = kw.get("axis", -1)
    moved = (name == "SparseCategoricalCrossentropy" and axis != -1) or _label_smoothing_along_axis(
        name, kw)
    if moved:
        x = np.moveaxis(x, axis, -1)
        if name != "SparseCategoricalCrossentropy":
            y = np.moveaxis(y, axis, -1)
        kw["axis"] = -1
    return kw, y, x, sw


def _cases():
    out = []
    for name, (_make, kwargs_grid, _opts) in SPECS.items():
        for kw in kwargs_grid:
            for reduction in ("none", "sum_over_batch_size"):
                out.append(pytest.param(name, kw, reduction,
                                        id=f"{name}-{kw}-{reduction}".replace(" ", "")))
    return out


@pytest.mark.parametrize("name, kw, reduction", _cases())
def test_matches_the_keras_class_on_random_inputs(name, kw, reduction):
    if name not in SHARED:
        pytest.skip(f"refs.losses does not export {name} (yet)")
    make, _, opts = SPECS[name]
    dtype = opts.get("dtype", "float64")
    rng = _rng(name, str(kw), reduction)
    y, x, wshape = make(rng, kw)
    sw = None
    if reduction != "none" and wshape is not None:
        # One weight per entry of the per-sample loss (Keras cannot broadcast (B,) weights
        # against its ignore_class mask; refs can, see test_losses_keras3_golden.py).
        sw = rng.uniform(0.0, 2.0, size=wshape)
    ctor = {k: v for k, v in kw.items() if k not in opts.get("input_only", [])}
    ours = getattr(L, name)(**ctor, reduction=reduction, dtype=dtype)
    k_kw, ky, kx, ksw = _keras_side(name, ctor, y, x, sw)
    theirs = getattr(keras.losses, name)(**k_kw, reduction=reduction, dtype=dtype)

    def cast(a):
        return a if a is None or a.dtype.kind in "iu" else a.astype(dtype)

    got = np.asarray(ours(cast(y), cast(x), sample_weight=cast(sw)))
    want = np.asarray(theirs(cast(ky), cast(kx), sample_weight=cast(ksw)))
    rtol = opts.get("rtol", 1e-9)
    if not kw.get("from_logits", True) and "rtol_probabilities" in opts:
        rtol = opts["rtol_probabilities"]
    np.testing.assert_allclose(got, want, rtol=rtol, atol=opts.get("atol", 1e-12))


# --------------------------------------------------------------------------- deliberate


@pytest.mark.parametrize("name", sorted(DELIBERATE))
def test_deliberate_differences_are_documented(name):
    what, phrases = DELIBERATE[name]
    cls = getattr(L, name)
    fn = getattr(L, _function_name(name), None)
    doc = (cls.__doc__ or "") + (getattr(fn, "__doc__", "") or "")
    doc += inspect.getmodule(cls).__doc__ or ""
    for phrase in phrases:
        assert phrase in doc, f"{name} ({what}): {phrase!r} not in its docstrings"


def test_bce_from_probabilities_keeps_keras2_epsilon():
    ours = float(L.BinaryCrossentropy(dtype="float64")([[0.0]], [[1.0]]))
    theirs = float(keras.losses.BinaryCrossentropy(dtype="float64")([[0.0]], [[1.0]]))
    np.testing.assert_allclose(ours, -np.log(2e-7), rtol=1e-9)   # log(1 - p + eps), p clipped
    np.testing.assert_allclose(theirs, -np.log(1e-7), rtol=1e-6)  # Keras 3: log(1 - p)
    assert "log(p + eps)" in L.binary_crossentropy.__doc__


def test_msle_rejects_negative_targets_where_keras_clamps():
    y, p = np.array([[-1.0, 2.0]]), np.array([[0.5, 2.0]])
    with pytest.raises(ValueError, match="y_true"):
        L.MeanSquaredLogarithmicError()(y, p)
    assert np.isfinite(float(keras.losses.MeanSquaredLogarithmicError()(y, p)))


def test_log_cosh_uses_the_exact_log2():
    y, p = np.zeros((1, 1)), np.full((1, 1), 3.0)
    ours = float(L.LogCosh(dtype="float64")(y, p))
    theirs = float(keras.losses.LogCosh(dtype="float64")(y, p))
    np.testing.assert_allclose(ours, np.log(np.cosh(3.0)), rtol=1e-14)
    assert ours != theirs and abs(ours - theirs) < 1e-8


def test_categorical_focal_from_extreme_logits_is_not_clipped():
    y, x = np.array([[1.0, 0.0]]), np.array([[-1000.0, 1000.0]])
    ours = float(L.CategoricalFocalCrossentropy(from_logits=True, dtype="float64")(y, x))
    theirs = float(keras.losses.CategoricalFocalCrossentropy(from_logits=True,
                                                             dtype="float64")(y, x))
    np.testing.assert_allclose(ours, 0.25 * 2000.0, rtol=1e-9)       # -log p = 2000
    np.testing.assert_allclose(theirs, 0.25 * (1 - 1e-7) ** 2 * -np.log(1e-7), rtol=1e-6)


@pytest.mark.parametrize("name", ["CategoricalCrossentropy", "CategoricalFocalCrossentropy"])
def test_label_smoothing_along_axis_1_uses_that_axis(name):
    rng = np.random.default_rng(5)
    y, x, _ = _categorical(rng, {"axis": 1, "from_logits": True})  # (5, 3, 4), classes on 1
    kw = dict(from_logits=True, label_smoothing=0.2, dtype="float64")
    ours = float(getattr(L, name)(axis=1, **kw)(y, x))
    moved = float(getattr(keras.losses, name)(axis=-1, **kw)(np.moveaxis(y, 1, -1),
                                                             np.moveaxis(x, 1, -1)))
    keras_axis_1 = float(getattr(keras.losses, name)(axis=1, **kw)(y, x))
    np.testing.assert_allclose(ours, moved, rtol=1e-9)
    assert abs(ours - keras_axis_1) > 1e-4  # Keras smooths with y_true.shape[-1] = 4, not 3


def test_sparse_axis_1_works_where_keras_raises():
    rng = np.random.default_rng(6)
    labels, x, _ = _sparse(rng, {"axis": 1, "from_logits": True, "ignore_class": None})
    ours = float(L.SparseCategoricalCrossentropy(from_logits=True, axis=1)(labels, x))
    moved = float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
        labels, np.moveaxis(x, 1, -1)))
    np.testing.assert_allclose(ours, moved, rtol=1e-6)
    with pytest.raises(ValueError, match="axis"):
        keras.losses.SparseCategoricalCrossentropy(from_logits=True, axis=1)(labels, x)


def test_sparse_axis_mismatch_names_axis():
    with pytest.raises(ValueError, match="axis"):
        L.SparseCategoricalCrossentropy(axis=0)(np.array([0, 1]), np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match="axis"):
        L.SparseCategoricalCrossentropy(axis=3)(np.array([0, 1]), np.full((2, 3), 1 / 3))


def test_generalized_ce_accepts_q_1_where_keras_refuses():
    assert float(L.CategoricalGeneralizedCrossEntropy(q=1.0)([0], [[0.25, 0.75]])) == 0.75
    with pytest.raises(ValueError):
        keras.losses.CategoricalGeneralizedCrossEntropy(q=1.0)


def test_ctc_rejects_what_keras_silently_misreads():
    x = np.zeros((1, 4, 4), dtype="float32")
    with pytest.raises(ValueError, match="padding"):
        L.ctc([[1, 0, 2]], x)
    with pytest.raises(ValueError, match="frames"):
        L.ctc([[1, 1, 1]], x)
    assert np.isfinite(keras.losses.ctc(np.array([[1, 0, 2]]), x)).all()
    assert float(keras.losses.ctc(np.array([[1, 1, 1]]), x)[0]) > 700  # not inf, not useful
