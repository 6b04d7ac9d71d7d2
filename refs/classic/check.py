"""Guardrails: catch the classic loss-function mistakes before training starts.

``check(model, loss, y)`` inspects the model's output layer, the loss (a ``refs`` or
``keras.losses`` object, a loss function, or a Keras loss name) and the training targets, and
returns a list of :class:`Finding`, each naming what is wrong and what to change. With
``raise_on_error=True`` (the default) any finding of severity ``"error"`` raises
:class:`LossConfigurationError`. Warnings are also printed to stderr, one line each. The
trainers of this package run it before every fit. The focal ``alpha`` / ``gamma`` findings use
the losses' own checks (:func:`refs.losses.validation.check_alpha`).

What it detects (``Finding.code``):

=============================== ======= ====================================================
code                            level   mistake
=============================== ======= ====================================================
softmax_single_unit             error   softmax over one unit: the output is always 1.0
focal_alpha_out_of_range        error   focal ``alpha`` outside [0, 1] (alpha = 4 gives the
                                        negatives the weight 1 - alpha = -3)
focal_gamma_negative            error   focal ``gamma`` < 0
hinge_01_labels                 warning hinge-type loss with {0, 1} labels (converted to
                                        {-1, 1} silently; pass {-1, 1})
hinge_bounded_output            error   hinge-type loss on a sigmoid/softmax output in [0, 1]:
                                        no prediction can have a negative margin
msle_negative_targets           error   MSLE with negative targets (log(1 + y) clips them)
logits_expected                 error   ``from_logits=True`` but the output layer already
                                        applies sigmoid/softmax (probabilities as logits)
probabilities_expected          error   a probability loss on an unbounded (linear, relu,
                                        tanh) output without ``from_logits=True``
sparse_onehot_targets           error   one-hot targets given to a sparse loss
categorical_integer_targets     error   integer class ids given to a categorical loss
labels_out_of_range             error   class ids outside [0, units) or binary targets
                                        outside [0, 1]
target_shape_mismatch           error   target width differs from the output width
nan_targets                     error   NaN or inf in the targets
reduction_none                  warning ``reduction="none"`` inside ``model.compile`` (Keras
                                        then sums per-sample losses, scaling the learning rate)
=============================== ======= ====================================================

Example:
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="softmax")])
    >>> check(model, "binary_crossentropy", y, raise_on_error=False)[0].code
    'softmax_single_unit'
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from refs.errors import RefsError

if TYPE_CHECKING:  # Keras is imported where it is used: refs.classic stays light to import
    import keras


class LossConfigurationError(RefsError, ValueError):
    """A model/loss/target combination that cannot train correctly."""


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # "error" or "warning"
    message: str
    fix: str

    def __str__(self) -> str:
        return f"[{self.severity}] {self.code}: {self.message} Fix: {self.fix}"


_BINARY_PROB = {"binarycrossentropy", "weightedbinarycrossentropy", "balancedbinarycrossentropy"}
_FOCAL = {"sigmoidfocalcrossentropy", "binaryfocalcrossentropy", "categoricalfocalcrossentropy"}
_CATEGORICAL = {"categoricalcrossentropy", "categoricalfocalcrossentropy", "kldivergence",
                "kld", "kullbackleiblerdivergence", "categoricalhinge"}
_SPARSE = {"sparsecategoricalcrossentropy"}
_HINGE = {"hinge", "squaredhinge", "categoricalhinge", "exponentialloss", "exponential"}
_MSLE = {"meansquaredlogarithmicerror", "msle"}
_PROBABILITY = _BINARY_PROB | _FOCAL | {"categoricalcrossentropy", "sparsecategoricalcrossentropy",
                                        "kldivergence", "kld", "kullbackleiblerdivergence"}
_BOUNDED = {"sigmoid", "softmax", "hard_sigmoid", "log_softmax"}


def _canonical(name: str) -> str:
    return name.replace("_", "").lower()


def describe_loss(loss) -> tuple[str, dict]:
    """``(canonical name, config)`` of a loss given as object, function or Keras name."""
    import keras

    if isinstance(loss, str):
        obj = keras.losses.get(loss)
        return _canonical(getattr(obj, "__name__", type(obj).__name__)), {}
    if isinstance(loss, keras.losses.Loss):
        try:
            config = dict(loss.get_config())
        except NotImplementedError:
            config = {}
        # Keras's wrappers keep the function's kwargs in the config; ours keep attributes.
        for attr in ("from_logits", "alpha", "gamma", "reduction"):
            if attr not in config and hasattr(loss, attr):
                config[attr] = getattr(loss, attr)
        return _canonical(type(loss).__name__), config
    if callable(loss):
        return _canonical(getattr(loss, "__name__", type(loss).__name__)), {}
    raise TypeError(f"loss must be a keras.losses.Loss, a function or a name, got {loss!r}")


def output_head(model: keras.Model) -> tuple[str | None, int | None]:
    """``(activation name, units)`` of a single-output model's last layer."""
    import keras

    if len(model.outputs) != 1:
        return None, None
    units = model.outputs[0].shape[-1]
    layer = model.layers[-1]
    if isinstance(layer, keras.layers.Softmax):
        return "softmax", units
    act = getattr(layer, "activation", None)
    if act is None:
        return "linear", units
    name = getattr(act, "__name__", str(act))
    return ("linear" if name in ("linear", "identity") else name), units


def _err(code, message, fix):
    return Finding(code, "error", message, fix)


def _warn(code, message, fix):
    return Finding(code, "warning", message, fix)


def check(model: keras.Model, loss, y, raise_on_error: bool = True) -> list[Finding]:
    """Check a model, its loss and its training targets for the classic mistakes.

    Args:
        model: a built single-output Keras model (multi-output models are checked for the
            loss and targets only).
        loss: the loss that will be passed to ``compile``.
        y: the training targets (numpy-convertible).
        raise_on_error: raise :class:`LossConfigurationError` listing every error finding.

    Returns:
        The findings, errors first.
    """
    from refs.losses import validation

    name, config = describe_loss(loss)
    activation, units = output_head(model)
    y = np.asarray(y)
    findings: list[Finding] = []
    from_logits = bool(config.get("from_logits", False))

    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        findings.append(_err("nan_targets", f"the targets contain {np.sum(~np.isfinite(y))} "
                             "NaN/inf values.", "drop or impute those rows before training."))
        y = np.where(np.isfinite(y), y, 0)

    if activation == "softmax" and units == 1:
        findings.append(_err(
            "softmax_single_unit",
            "the output layer is a softmax over ONE unit, so it always outputs 1.0 and the "
            "loss's gradient is zero: nothing is learned.",
            "use Dense(1, activation='sigmoid') with binary cross-entropy, or Dense(2, "
            "activation='softmax') with sparse categorical cross-entropy."))

    if name in _FOCAL:
        alpha, gamma = config.get("alpha"), config.get("gamma")
        problem = _problem(validation.check_alpha, alpha)
        if problem:
            findings.append(_err("focal_alpha_out_of_range", f"focal loss: {problem}.",
                                 "alpha must be in [0, 1]; 0.25 is the focal-loss paper's "
                                 "choice."))
        problem = _problem(lambda g: validation.check_non_negative("gamma", g), gamma)
        if problem:
            findings.append(_err("focal_gamma_negative", f"focal loss: {problem} (a negative "
                                 "gamma up-weights easy examples).",
                                 "use gamma >= 0 (2 is usual)."))

    if name in _HINGE:
        values = np.unique(y)
        if name != "categoricalhinge" and values.size and set(values.tolist()) <= {0, 1}:
            findings.append(_warn(
                "hinge_01_labels",
                "hinge-type loss with labels in {0, 1}: they are converted to {-1, 1} "
                "(as Keras does), which is easy to miss.",
                "pass labels in {-1, 1} explicitly (y = 2 * y - 1) and use a tanh or linear "
                "output."))
        if activation in _BOUNDED:
            findings.append(_err(
                "hinge_bounded_output",
                f"hinge-type loss on a {activation} output in [0, 1]: no prediction can have "
                "a negative sign, so half the margin is unreachable.",
                "use a tanh or linear output with labels in {-1, 1}."))

    if name in _MSLE and y.size and y.min() < 0:
        findings.append(_err(
            "msle_negative_targets",
            f"MSLE with negative targets (min {y.min():.3g}, {np.mean(y < 0):.0%} negative): "
            "log(1 + y) is undefined below -1 and the loss clips y at 0, so negative targets "
            "all look like 0.",
            "use MSE/MAE/Huber for standardized targets, or shift/scale targets to be >= 0."))

    if name in _PROBABILITY and activation is not None:
        if from_logits and activation in _BOUNDED:
            findings.append(_err(
                "logits_expected",
                f"the loss has from_logits=True but the output layer applies {activation}: "
                "probabilities would be treated as logits.",
                f"remove the {activation} (linear output) or set from_logits=False."))
        elif not from_logits and activation not in _BOUNDED:
            findings.append(_err(
                "probabilities_expected",
                f"the loss expects probabilities but the output layer is {activation} "
                "(unbounded): values outside [0, 1] are clipped and gradients vanish.",
                "set from_logits=True on the loss, or give the output layer a "
                "sigmoid/softmax activation."))

    if units is not None:
        findings += _target_findings(name, y, units)

    if str(config.get("reduction", "")) == "none":
        findings.append(_warn(
            "reduction_none",
            "the loss has reduction='none'; inside model.compile Keras then sums the "
            "per-sample losses, which scales the effective learning rate with the batch size.",
            "pass reduction='sum_over_batch_size' when compiling a model."))

    findings.sort(key=lambda f: f.severity != "error")
    for finding in findings:
        if finding.severity == "warning":
            print(" ".join(str(finding).splitlines()), file=sys.stderr)
    errors = [f for f in findings if f.severity == "error"]
    if raise_on_error and errors:
        raise LossConfigurationError("; ".join(str(f) for f in errors))
    return findings


def _problem(check, value) -> str | None:
    """The message of ``check(value)``'s error, or None when it passes (or value is None)."""
    if value is None:
        return None
    try:
        check(value)
    except (TypeError, ValueError) as err:
        return str(err)
    return None


def _target_findings(name: str, y: np.ndarray, units: int) -> list[Finding]:
    out = []
    if name in _SPARSE:
        is_onehot = (units > 1 and y.ndim >= 2 and y.shape[-1] == units
                     and np.all((y == 0) | (y == 1)) and np.all(y.sum(-1) == 1))
        if is_onehot:
            out.append(_err("sparse_onehot_targets",
                            f"one-hot targets of shape {y.shape} given to a sparse loss, which "
                            "expects integer class ids.",
                            "pass y.argmax(-1), or use CategoricalCrossentropy."))
        elif y.size and (y.min() < 0 or y.max() >= units or np.any(y != np.round(y))):
            out.append(_err("labels_out_of_range",
                            f"sparse labels must be integers in [0, {units}), got values in "
                            f"[{y.min():g}, {y.max():g}].",
                            f"relabel the classes as 0..{units - 1} or widen the output."))
    elif name in _CATEGORICAL and units > 1:
        if y.ndim == 1 or y.shape[-1] == 1:
            out.append(_err("categorical_integer_targets",
                            f"integer class ids of shape {y.shape} given to a categorical "
                            f"loss over {units} outputs.",
                            "one-hot encode them (keras.utils.to_categorical) or use "
                            "SparseCategoricalCrossentropy."))
        elif y.shape[-1] != units:
            out.append(_err("target_shape_mismatch",
                            f"targets have {y.shape[-1]} columns, the model {units} outputs.",
                            "make the output width equal to the number of classes."))
    elif name in _BINARY_PROB | (_FOCAL - {"categoricalfocalcrossentropy"}):
        if y.size and (y.min() < 0 or y.max() > 1):
            out.append(_err("labels_out_of_range",
                            f"binary targets must be in [0, 1], got [{y.min():g}, {y.max():g}].",
                            "map labels to {0, 1} (e.g. (y + 1) / 2 for {-1, 1})."))
        width = 1 if y.ndim == 1 else y.shape[-1]
        if width != units and not (y.ndim == 1 and units == 1):
            out.append(_err("target_shape_mismatch",
                            f"targets have {width} columns, the model {units} outputs.",
                            "give the model one sigmoid unit per binary target."))
    return out
