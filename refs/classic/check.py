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
triplet_unnormalised_embeddings warning triplet (``"L2"`` / ``"squared-L2"``) or lifted
                                        structure loss on an output that is not L2-normalised
                                        (margins are tuned for unit vectors); an **error** for
                                        ``Circle``, whose ``1 - a.b`` is a cosine distance only
                                        for unit vectors
one_example_per_class_batches   error   triplet / lifted / circle loss whose batches never
                                        hold two examples of one class: no positive pair, so
                                        the loss is 0 or only pushes every pair apart
                                        (``batch_size=`` or :func:`check_batches`)
overlap_loss_on_logits          error   Dice / Tversky / Jaccard / focal Tversky / MCC on an
                                        unbounded output without ``from_logits=True``
lovasz_on_probabilities         error   Lovász (always takes logits) on a sigmoid/softmax
                                        output
ignore_class_is_a_real_class    error   ``ignore_class`` equal to a real class id (in
                                        [0, units), or 0 / 1 for binary targets): every
                                        target of that class is ignored
=============================== ======= ====================================================

Metric-learning notes. The embedding check reads the model's last layer: a
``keras.layers.UnitNormalization`` (over the last axis) passes, any other layer is probed on
random inputs and passes when its output rows have unit L2 norm (a ``Lambda`` of
``l2_normalize`` / ``keras.ops.normalize`` does); ``distance_metric="angular"`` normalises
itself and a callable metric is not judged. ``ContrastiveLoss`` and ``NpairsLoss`` receive
pair distances / a similarity matrix computed by the model, not embeddings, so neither check
applies to them (N-pairs batches hold one pair per class by design). The batch check looks at
the targets: with ``check(..., batch_size=b)`` at the consecutive batches of ``y`` (as
``fit(shuffle=False)`` or a pre-batched pipeline forms them), without it at ``y`` as a whole
(every label distinct); :func:`check_batches` reads the first batches of any iterable (a
``tf.data.Dataset``, a generator, a list of label arrays).

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
# Segmentation overlap losses on probabilities (from_logits where the loss has it; MCC has not).
_OVERLAP = {"dice", "tversky", "jaccard", "focaltversky", "mcc"}
_NO_FROM_LOGITS = {"mcc"}
_LOGITS_ONLY = {"lovasz"}  # refs's Lovász (smp's) always takes logits
# Metric-learning losses on (labels, embeddings): distances between rows of the batch. Class
# names and function names share the canonical form (triplet_semihard_loss ->
# tripletsemihardloss); Keras's Circle / circle too.
_TRIPLET = {"tripletsemihardloss", "triplethardloss"}
_EMBEDDING = _TRIPLET | {"liftedstructloss", "circle"}
_NORMALISED_METRICS = {"angular"}  # distance metrics that L2-normalise the rows themselves
# One scalar per batch (tfa forces reduction="none"): the reduction does not matter.
_BATCH_SCALAR = _TRIPLET | {"liftedstructloss", "npairsloss", "npairsmultilabelloss"}


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


def check(model: keras.Model, loss, y, raise_on_error: bool = True,
          batch_size: int | None = None) -> list[Finding]:
    """Check a model, its loss and its training targets for the classic mistakes.

    Args:
        model: a built single-output Keras model (multi-output models are checked for the
            loss and targets only).
        loss: the loss that will be passed to ``compile``.
        y: the training targets (numpy-convertible).
        raise_on_error: raise :class:`LossConfigurationError` listing every error finding.
        batch_size: for the metric-learning losses, the batch size ``fit`` will use: the
            first consecutive batches of ``y`` are checked for a positive pair
            (``one_example_per_class_batches``). None checks ``y`` as a whole (every label
            distinct). For batches formed another way, use :func:`check_batches`.

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

    findings += _range_findings(name, loss, activation, from_logits)

    ignore = config.get("ignore_class")
    if units is not None:
        findings += _ignore_class_findings(name, config, y, units)
        findings += _target_findings(name, y, units, ignore)

    if name in _EMBEDDING:
        findings += _embedding_findings(model, loss, name, config)
        findings += _batch_findings(loss, y, batch_size)

    if str(config.get("reduction", "")) == "none" and name not in _BATCH_SCALAR:
        findings.append(_warn(
            "reduction_none",
            "the loss has reduction='none'; inside model.compile Keras then sums the "
            "per-sample losses, which scales the effective learning rate with the batch size.",
            "pass reduction='sum_over_batch_size' when compiling a model."))

    return _report(findings, raise_on_error)


def check_batches(loss, batches, raise_on_error: bool = True,
                  max_batches: int = 10) -> list[Finding]:
    """Check that the batches a metric-learning loss will see hold positive pairs.

    The triplet, lifted-structure and circle losses compare the samples of one batch: a batch
    without two examples of one class has no positive pair, and then the loss is 0 (semi-hard
    triplet, lifted, circle) or only pushes every pair apart (hard triplet) -- the embeddings
    learn nothing. Reports ``one_example_per_class_batches`` (an error) when none of the first
    ``max_batches`` batches holds a positive pair.

    Args:
        loss: the loss (object, function or name). Other losses give no finding.
        batches: an iterable of label batches (arrays / lists / tensors of shape ``(B,)`` or
            ``(B, 1)``), or of ``(x, y)`` / ``(x, y, sample_weight)`` tuples such as a
            ``tf.data.Dataset`` or a ``keras.utils.PyDataset`` yields. Only the first
            ``max_batches`` are read (a generator is advanced that far).
        raise_on_error: raise :class:`LossConfigurationError` on the finding.
        max_batches: how many batches to read.

    Example:
        >>> check_batches(TripletSemiHardLoss(), [[0, 1, 2, 3], [4, 5, 6, 7]])
        Traceback (most recent call last):
        LossConfigurationError: [error] one_example_per_class_batches: TripletSemiHardLoss ...
        >>> check_batches(TripletSemiHardLoss(), dataset.batch(64))   # (x, y) batches
        []
    """
    import itertools

    name, _ = describe_loss(loss)
    if name not in _EMBEDDING:
        return []
    labels = []
    for item in itertools.islice(iter(batches), int(max_batches)):
        if isinstance(item, tuple) and len(item) in (2, 3) and (
                isinstance(item[0], dict) or np.ndim(item[0]) > 0):
            item = item[1]  # (x, y) or (x, y, sample_weight)
        arr = np.asarray(item)
        labels.append(arr.reshape(len(arr), -1) if arr.ndim > 1 else arr.reshape(-1))
    what = f"the first {len(labels)} batches" if len(labels) > 1 else "the batch"
    return _report(_positive_pair_findings(loss, labels, what), raise_on_error)


def _range_findings(name, loss, activation, from_logits) -> list[Finding]:
    """The output-range checks of the probability, overlap and Lovász losses."""
    if name in _PROBABILITY:
        return _output_range_findings(activation, from_logits)
    if name in _OVERLAP:
        if name in _NO_FROM_LOGITS:
            fix = (f"give the output layer a sigmoid/softmax activation ({name.upper()} takes "
                   "probabilities and has no from_logits).")
        else:
            fix = ("set from_logits=True on the loss (Dice / Tversky: with mode='binary', "
                   "'multiclass' or 'multilabel'), or give the output layer a sigmoid/softmax "
                   "activation.")
        return _output_range_findings(
            activation, from_logits, label=f"the overlap loss {_type_name(loss)}",
            probabilities_code="overlap_loss_on_logits",
            consequence="the soft TP / FP / FN counts are meaningless outside [0, 1] (the "
            "loss is unbounded below: the model lowers it by growing its outputs)",
            probabilities_fix=fix)
    if name in _LOGITS_ONLY:
        return _output_range_findings(
            activation, True, label=_type_name(loss),
            logits_reason="always takes logits (it applies the sigmoid / softmax inside its "
            "hinge itself and has no from_logits)",
            logits_code="lovasz_on_probabilities",
            logits_fix=f"remove the {activation} (a linear output): Lovasz takes logits.")
    return []


def _report(findings: list[Finding], raise_on_error: bool) -> list[Finding]:
    """Errors first; print the warnings; raise on errors when asked."""
    findings.sort(key=lambda f: f.severity != "error")
    for finding in findings:
        if finding.severity == "warning":
            print(" ".join(str(finding).splitlines()), file=sys.stderr)
    errors = [f for f in findings if f.severity == "error"]
    if raise_on_error and errors:
        raise LossConfigurationError("; ".join(str(f) for f in errors))
    return findings


def _type_name(loss) -> str:
    """How a loss is named in messages: its class or function name, or the name given."""
    if isinstance(loss, str):
        return loss
    return getattr(loss, "__name__", None) or type(loss).__name__


def _output_range_findings(activation, from_logits, *, label="the loss",
                           logits_reason="has from_logits=True",
                           logits_code="logits_expected",
                           probabilities_code="probabilities_expected",
                           consequence="values outside [0, 1] are clipped and gradients vanish",
                           logits_fix=None, probabilities_fix=None) -> list[Finding]:
    """An output layer whose range contradicts what the loss expects (logits or probabilities).

    Shared by the probability losses (``logits_expected`` / ``probabilities_expected``), the
    overlap losses (``overlap_loss_on_logits``) and Lovász (``lovasz_on_probabilities``);
    ``label`` starts the message, the codes and fixes can be replaced.
    """
    if activation is None:
        return []
    if from_logits and activation in _BOUNDED:
        return [_err(
            logits_code,
            f"{label} {logits_reason} but the output layer applies {activation}: "
            "probabilities would be treated as logits.",
            logits_fix or f"remove the {activation} (linear output) or set from_logits=False.")]
    if not from_logits and activation not in _BOUNDED:
        return [_err(
            probabilities_code,
            f"{label} expects probabilities but the output layer is {activation} "
            f"(unbounded): {consequence}.",
            probabilities_fix or "set from_logits=True on the loss, or give the output layer "
            "a sigmoid/softmax activation.")]
    return []


def _problem(check, value) -> str | None:
    """The message of ``check(value)``'s error, or None when it passes (or value is None)."""
    if value is None:
        return None
    try:
        check(value)
    except (TypeError, ValueError) as err:
        return str(err)
    return None


def _target_findings(name: str, y: np.ndarray, units: int, ignore=None) -> list[Finding]:
    out = []
    if name in _SPARSE:
        is_onehot = (units > 1 and y.ndim >= 2 and y.shape[-1] == units
                     and np.all((y == 0) | (y == 1)) and np.all(y.sum(-1) == 1))
        if is_onehot:
            out.append(_err("sparse_onehot_targets",
                            f"one-hot targets of shape {y.shape} given to a sparse loss, which "
                            "expects integer class ids.",
                            "pass y.argmax(-1), or use CategoricalCrossentropy."))
        else:
            # ignore_class entries (e.g. 255 for void pixels) are exempt from the range.
            if isinstance(ignore, (int, np.integer)) and not isinstance(ignore, bool):
                y = y[y != ignore]
            if y.size and (y.min() < 0 or y.max() >= units or np.any(y != np.round(y))):
                out.append(_err("labels_out_of_range",
                                f"sparse labels must be integers in [0, {units}), got values "
                                f"in [{y.min():g}, {y.max():g}].",
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


# --------------------------------------------------------------------------- ignore_class


def _ignore_class_findings(name: str, config: dict, y: np.ndarray, units: int) -> list[Finding]:
    """``ignore_class`` equal to a real class id of the output (or 0 / 1 for binary targets)."""
    ignore = config.get("ignore_class")
    if not isinstance(ignore, (int, np.integer)) or isinstance(ignore, (bool, np.bool_)):
        return []
    ignore = int(ignore)
    binary = (units == 1 or config.get("mode") in ("binary", "multilabel")
              or name == "softbinarycrossentropy")
    real = (0, 1) if binary else tuple(range(units))
    if ignore not in real:
        return []
    share = ""
    if y.size and y.dtype.kind in "iufb":
        share = f" ({np.mean(y == ignore):.0%} of the targets given are {ignore})"
    if binary:
        what = (f"binary targets are 0 or 1, so ignore_class={ignore} masks every "
                f"{'background' if ignore == 0 else 'foreground'} target{share}")
    else:
        what = (f"the output has {units} units (classes 0..{units - 1}), so ignore_class="
                f"{ignore} masks every target of class {ignore}{share} and that class is "
                "never learned")
    return [_err(
        "ignore_class_is_a_real_class",
        f"ignore_class={ignore} is a real class: {what}.",
        "give the pixels / entries to ignore a label outside the classes (e.g. 255 or -1) and "
        "pass that as ignore_class, or ignore_class=None.")]


# --------------------------------------------------------------------------- metric learning

_MAX_BATCHES = 10  # batches of y read by check(..., batch_size=...)


def _unit_norm_output(model) -> bool | None:
    """Whether the model's output rows have unit L2 norm; None when it cannot be told.

    A ``UnitNormalization`` over the last axis passes as such; any other last layer is run on
    random inputs (its weights unchanged) and passes when its output rows have norm 1.
    """
    import keras

    if len(model.outputs) != 1 or not model.layers:
        return None
    layer = model.layers[-1]
    if isinstance(layer, keras.layers.UnitNormalization):
        rank = len(model.outputs[0].shape)
        axes = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
        return any(int(a) % rank == rank - 1 for a in axes)
    try:
        shape = [3 if d is None else int(d) for d in layer.input.shape]
        x = np.random.default_rng(0).normal(size=shape).astype("float32")
        out = np.asarray(keras.ops.convert_to_numpy(layer(x)), dtype="float64")
    except Exception:  # noqa: BLE001 - a layer that cannot be probed alone: undecided
        return None
    if out.ndim < 1 or out.size == 0 or out.shape[-1] < 2:
        return False if out.size else None
    norms = np.linalg.norm(out.reshape(-1, out.shape[-1]), axis=-1)
    return bool(np.allclose(norms, 1.0, rtol=0.0, atol=1e-2))


def _embedding_findings(model, loss, name: str, config: dict) -> list[Finding]:
    metric = config.get("distance_metric", "L2") if name in _TRIPLET else None
    if name in _TRIPLET and (not isinstance(metric, str) or metric in _NORMALISED_METRICS):
        return []  # angular normalises itself; a callable metric is the user's own
    if _unit_norm_output(model) is not False:
        return []
    layer = model.layers[-1]
    act = getattr(layer, "activation", None)
    act = getattr(act, "__name__", None)
    desc = type(layer).__name__ + (f"(activation={act!r})" if act else "")
    label = _type_name(loss)
    if name == "circle":
        return [_err(
            "triplet_unnormalised_embeddings",
            f"{label} on embeddings that are not L2-normalised (the output layer is {desc}): "
            "the loss's distance 1 - a.b is a cosine distance only for unit vectors, and its "
            "margin and gamma are set for similarities in [-1, 1].",
            "end the model with keras.layers.UnitNormalization().")]
    if name == "liftedstructloss":
        why = ("its margin (default 1.0) is compared with L2 distances, which for unnormalised "
               "embeddings the model can inflate at will")
        fix = ("end the model with keras.layers.UnitNormalization(), or retune margin to the "
               "embeddings' scale.")
    else:
        why = (f"with distance_metric={metric!r} the margin (default 1.0) is meant for "
               "distances between unit vectors (in [0, 2]); unnormalised embeddings satisfy "
               "any margin by growing, or never reach it")
        fix = ("end the model with keras.layers.UnitNormalization(), or use "
               "distance_metric='angular'.")
    return [_warn(
        "triplet_unnormalised_embeddings",
        f"{label} on embeddings that are not L2-normalised (the output layer is {desc}): "
        f"{why}.", fix)]


def _batch_findings(loss, y: np.ndarray, batch_size) -> list[Finding]:
    """``one_example_per_class_batches`` from the targets (cut into batches when given)."""
    if not y.size:
        return []
    labels = y.reshape(len(y), -1) if y.ndim > 1 else y.reshape(-1)
    if batch_size is None:
        return _positive_pair_findings(loss, [labels], "the targets y")
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    batch_size = int(batch_size)
    batches = [labels[i:i + batch_size] for i in range(0, len(labels), batch_size)]
    return _positive_pair_findings(loss, batches[:_MAX_BATCHES],
                                   f"the batches of batch_size={batch_size} cut from y in order")


def _positive_pair_findings(loss, batches: list[np.ndarray], what: str) -> list[Finding]:
    """``one_example_per_class_batches`` when no batch holds two examples of one class."""
    batches = [b for b in batches if len(b)]
    if not batches:
        return []
    for labels in batches:
        if len(np.unique(labels, axis=0)) < len(labels):
            return []
    sizes = sorted({len(b) for b in batches})
    size_text = ", ".join(str(n) for n in sizes)
    return [_err(
        "one_example_per_class_batches",
        f"{_type_name(loss)} compares the samples of a batch, but {what} (size {size_text}) "
        "never hold two examples of one class: there is no positive pair, so the loss is 0 "
        "or only pushes every pair apart, and the embeddings learn nothing.",
        "build batches of P classes x K >= 2 examples each (e.g. sort y by class and batch "
        "it, or a class-balanced sampler), or use a batch_size large enough for repeats.")]
