"""The reference experiments: which loss fits which problem.

Five suites, each a list of :class:`Config` (one loss on one problem):

- ``regression``: MSE, MSLE, MAE on ``make_regression`` (tutorial: "how to choose a loss function").
- ``binary``: BCE (sigmoid), hinge and squared hinge (tanh, labels in {-1, 1}) on ``make_circles``.
- ``multiclass``: categorical CE, sparse CE, KL divergence on ``make_blobs``.
- ``imbalanced``: BCE vs weighted BCE vs balanced BCE vs focal (alpha 0.25, gamma 2) vs the
  tutorial's focal with alpha = 4, on a synthetic fraud-like problem (0.172% positives).
- ``mnist9``: "is it a 9": 2-unit softmax + sparse CE vs 1-unit sigmoid + BCE, and the tutorial's
  1-unit softmax + BCE mistake.

:func:`run_suite` trains every configuration for several seeds, each seed a run through
:mod:`refs.tracking` (learning curves, HParams row), and returns the rows of ``results.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from refs.classic import datasets
from refs.classic.metrics import RoundedAccuracy, SignAccuracy, binary_scores
from refs.classic.models import mlp, positive_rate_logit, small_cnn
from refs.classic.suites import SUITES  # noqa: E402, F401 - re-exported


def _losses():
    from refs import losses

    return losses


def _sgd():
    return keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)


def _adam():
    return keras.optimizers.Adam(learning_rate=1e-3)


@dataclass
class Config:
    """One loss on one problem, trained the same way for every seed.

    Attributes:
        suite, name: where the row belongs and its label (``"mse"``, ``"hinge"``...).
        data: returns the :class:`refs.classic.datasets.Split` (shared by a suite's configs).
        model: builds the network from the split.
        loss: builds the loss object.
        optimizer: builds the optimizer.
        metrics: builds the compiled metrics.
        epochs, batch_size: training budget.
        reported: the tutorial's figure, ``{"metric": name, "train": v, "test": v}``.
        expected_findings: guardrail codes (see :mod:`refs.classic.check`) this configuration
            triggers on purpose, to reproduce a tutorial's mistake.
        scores: post-hoc scores from the model and split (confusion counts, recall...).
        note: what explains the gap between reported and measured numbers.
    """

    suite: str
    name: str
    data: Callable[[], datasets.Split]
    model: Callable[[datasets.Split], keras.Model]
    loss: Callable[[], Any]
    optimizer: Callable[[], keras.optimizers.Optimizer] = _sgd
    metrics: Callable[[], list] = list
    epochs: int = 100
    batch_size: int = 32
    reported: dict | None = None
    expected_findings: frozenset = frozenset()
    scores: Callable[[keras.Model, datasets.Split], dict] | None = None
    note: str = ""
    extra_hparams: dict = field(default_factory=dict)


def _binary_post_scores(threshold=0.5, positive_column=None):
    def scores(model, split):
        out = {}
        for part, x, y in (("train", split.x_train, split.y_train),
                           ("test", split.x_test, split.y_test)):
            p = model.predict(x, batch_size=8192, verbose=0)
            p = p[:, positive_column] if positive_column is not None else p.reshape(-1)
            for k, v in binary_scores(y, p, threshold).items():
                out[f"{part}/{k}"] = v
        return out

    return scores


def _regression(name, loss, reported, note, findings=frozenset()):
    return Config(
        suite="regression", name=name, data=datasets.regression,
        model=lambda _split: mlp(20, 25, 1, None, name=f"mlp_{name}"), loss=loss,
        metrics=lambda: [keras.metrics.MeanSquaredError(name="mse")],
        reported={"metric": "mse", **reported}, note=note, expected_findings=findings,
    )


def _circles_pm1():
    return datasets.circles(labels="pm1")


def _binary(name, loss, activation, data, metrics, reported, note):
    return Config(
        suite="binary", name=name, data=data, epochs=200,
        model=lambda _split: mlp(2, 50, 1, activation, name=f"mlp_{name}"), loss=loss,
        metrics=metrics, reported=reported, note=note,
    )


def _blobs_sparse():
    return datasets.blobs(one_hot=False)


def _multiclass(name, loss, data, metric, reported, note):
    return Config(
        suite="multiclass", name=name, data=data,
        model=lambda _split: mlp(2, 50, 3, "softmax", name=f"mlp_{name}"), loss=loss,
        metrics=lambda: [metric()], reported={"metric": "accuracy", **reported}, note=note,
    )


def _imbalanced(name, loss, note, findings=frozenset(), **hparams):
    return Config(
        suite="imbalanced", name=name, data=datasets.imbalanced,
        model=lambda s: mlp(30, 16, 1, "sigmoid", dropout=0.5, name=f"mlp_{name}",
                            output_bias=positive_rate_logit(s.y_train)),
        loss=loss, optimizer=_adam, epochs=5, batch_size=2048,
        metrics=lambda: [keras.metrics.Recall(name="recall"),
                         keras.metrics.Precision(name="precision"),
                         keras.metrics.AUC(curve="PR", name="pr_auc")],
        scores=_binary_post_scores(), note=note, expected_findings=findings,
        extra_hparams=hparams,
    )


def _mnist9(name, units, activation, loss, note, findings=frozenset()):
    return Config(
        suite="mnist9", name=name, data=datasets.mnist_is_nine,
        model=lambda _split: small_cnn(units, activation, name=f"cnn_{name}"), loss=loss,
        optimizer=_adam, epochs=1, batch_size=256,
        scores=_binary_post_scores(positive_column=1 if units == 2 else None), note=note,
        expected_findings=findings,
    )


def imbalance_weights(y: np.ndarray) -> tuple[float, float]:
    """``(pos_weight, beta)`` that balance positives and negatives: ``n_neg / n_pos`` and
    ``n_neg / n``."""
    n = y.size
    n_pos = float(np.sum(y > 0.5))
    if n_pos == 0:
        raise ValueError("y holds no positive example: class weights are undefined")
    return (n - n_pos) / n_pos, (n - n_pos) / n


def configs(suite: str) -> list[Config]:
    """The configurations of one suite (see the module docstring)."""
    L = _losses()  # noqa: N806 - reads like the keras.losses namespace
    if suite == "regression":
        return [
            _regression("mse", lambda: L.MeanSquaredError(), {"train": 0.000, "test": 0.001},
                        "MSE fits standardized targets almost exactly; matches the tutorial."),
            _regression(
                "msle", lambda: L.MeanSquaredLogarithmicError(), {"train": 0.165, "test": 0.184},
                "About half of the standardized targets are negative; MSLE computes "
                "log(max(y, eps) + 1), so every negative target and prediction looks like 0 to "
                "the loss and the network is never taught to predict them. The MSE is large "
                "for that reason, not because of the optimiser (the guardrail flags it).",
                findings=frozenset({"msle_negative_targets"})),
            _regression("mae", lambda: L.MeanAbsoluteError(), {"train": 0.002, "test": 0.002},
                        "MAE's constant-size gradient leaves a small residual error; matches."),
        ]
    if suite == "binary":
        return [
            _binary("bce", lambda: L.BinaryCrossentropy(), "sigmoid", datasets.circles,
                    lambda: [keras.metrics.BinaryAccuracy(name="accuracy")],
                    {"metric": "accuracy", "train": 0.836, "test": 0.852},
                    "Same problem and budget; differences are seed noise (the tutorial ran once)."),
            _binary("hinge", lambda: L.Hinge(), "tanh", _circles_pm1,
                    lambda: [SignAccuracy(), RoundedAccuracy(),
                             keras.metrics.BinaryAccuracy(name="accuracy")],
                    {"metric": "rounded_accuracy", "train": 0.792, "test": 0.740},
                    "The tutorial's 'accuracy' was Keras 2's round(tanh) == y, which counts "
                    "|f(x)| < 0.5 as wrong; sign_accuracy is the real accuracy. Keras 3's "
                    "'accuracy' thresholds at 0.5 against -1/1 labels and can never score a "
                    "negative as correct (meaningless, shown for reference)."),
            _binary("squared_hinge", lambda: L.SquaredHinge(), "tanh", _circles_pm1,
                    lambda: [SignAccuracy(), RoundedAccuracy(),
                             keras.metrics.BinaryAccuracy(name="accuracy")],
                    {"metric": "rounded_accuracy", "train": 0.682, "test": 0.646},
                    "As for hinge: the reported figure is the rounded (Keras 2) accuracy, "
                    "which squared hinge's smaller margins understate most."),
        ]
    if suite == "multiclass":
        return [
            _multiclass("cce", lambda: L.CategoricalCrossentropy(), datasets.blobs,
                        lambda: keras.metrics.CategoricalAccuracy(name="accuracy"),
                        {"train": 0.840, "test": 0.822},
                        "Overlapping blobs (std 2) cap accuracy near 0.83; seed noise."),
            _multiclass("sparse_cce", lambda: L.SparseCategoricalCrossentropy(), _blobs_sparse,
                        lambda: keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
                        {"train": 0.832, "test": 0.818},
                        "Same maths as CCE with integer labels; same result up to seed noise."),
            _multiclass("kld", lambda: L.KLDivergence(), datasets.blobs,
                        lambda: keras.metrics.CategoricalAccuracy(name="accuracy"),
                        {"train": 0.822, "test": 0.822},
                        "With one-hot targets KL(y || p) equals CCE minus 0 (the targets' "
                        "entropy is 0), so it trains like CCE."),
        ]
    if suite == "imbalanced":
        split = datasets.imbalanced()
        pos_weight, beta = imbalance_weights(split.y_train)
        return [
            _imbalanced("bce", lambda: L.BinaryCrossentropy(),
                        "Unweighted BCE ranks well (high PR-AUC) but, with 0.17% positives, few "
                        "scores cross 0.5: recall at that threshold is low. Every imbalanced "
                        "configuration starts from the prior (output bias log(p/(1-p)) = -6.4): "
                        "from a zero bias, Adam(1e-3) needs ~6,400 updates just to learn the "
                        "base rate, more than this budget, and BCE then learns nothing."),
            _imbalanced("weighted_bce", lambda: L.WeightedBinaryCrossentropy(pos_weight=pos_weight),
                        f"Positives weighted by n_neg/n_pos = {pos_weight:.0f}: recall up, "
                        "precision down.", pos_weight=round(pos_weight, 2)),
            _imbalanced("balanced_bce", lambda: L.BalancedBinaryCrossentropy(beta=beta),
                        f"Positives by beta = {beta:.5f}, negatives by 1 - beta: the same "
                        "balance as weighted BCE at a smaller loss scale.", beta=round(beta, 5)),
            _imbalanced("focal", lambda: L.SigmoidFocalCrossEntropy(
                alpha=0.25, gamma=2.0, reduction="sum_over_batch_size"),
                "alpha 0.25, gamma 2: easy negatives are down-weighted by (1 - p_t)^2.",
                alpha=0.25, gamma=2.0),
            _imbalanced("focal_alpha4", lambda: L.SigmoidFocalCrossEntropy(
                alpha=4.0, gamma=2.0, strict=False, reduction="sum_over_batch_size"),
                        "The tutorial's alpha = 4 gives negatives the weight 1 - alpha = -3: "
                        "the loss rewards misclassifying them, so the network predicts "
                        "'fraud' for everything (recall 1, precision = the positive rate) and "
                        "the loss goes negative. refs' focal loss refuses alpha = 4 unless "
                        "strict=False.",
                        findings=frozenset({"focal_alpha_out_of_range"}), alpha=4.0, gamma=2.0),
        ]
    if suite == "mnist9":
        return [
            _mnist9("softmax2_sparse_cce", 2, "softmax", lambda: L.SparseCategoricalCrossentropy(),
                    "Two softmax units, integer labels: the textbook setup."),
            _mnist9("sigmoid1_bce", 1, "sigmoid", lambda: L.BinaryCrossentropy(),
                    "One sigmoid unit with BCE: the same model, half the output layer."),
            _mnist9("softmax1_bce_mistake", 1, "softmax", lambda: L.BinaryCrossentropy(),
                    "The tutorial's mistake: softmax over ONE unit is always 1.0, so the "
                    "prediction never changes and nothing is learned (accuracy = share of 9s).",
                    findings=frozenset({"softmax_single_unit"})),
        ]
    raise ValueError(f"suite must be one of {SUITES} or 'all', got {suite!r}")


def _loss_label(loss) -> str:
    """``ClassName(arg=value, ...)`` with only the hyperparameters that differ from defaults."""
    import inspect

    cfg = loss.get_config() if hasattr(loss, "get_config") else {}
    defaults = {k: p.default for k, p in inspect.signature(type(loss)).parameters.items()}
    args = ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in cfg.items()
                     if k not in ("name", "reduction", "dtype") and defaults.get(k) != v)
    return f"{type(loss).__name__}({args})"


def as_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle_seed: int | None = None):
    """A cached, batched, prefetched ``tf.data`` pipeline over in-memory arrays.

    Keras's numpy path rebuilds its input pipeline every epoch; on these small problems that
    overhead is most of the run time (3-4x slower than a cached dataset).
    """
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y)).cache()
    if shuffle_seed is not None:
        ds = ds.shuffle(len(x), seed=shuffle_seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def run_config(cfg: Config, seed: int, run_dir: Path, split: datasets.Split,
               epochs: int | None = None, verbose: int = 0) -> dict[str, float]:
    """Train one configuration with one seed into ``run_dir``; return its final metrics."""
    from refs.classic.check import check
    from refs.tracking import Run, TrackingCallback, plot_learning_curves
    from refs.utils import seed_everything

    seed_everything(seed)
    model = cfg.model(split)
    loss = cfg.loss()
    findings = check(model, loss, split.y_train, raise_on_error=False)
    unexpected = [f for f in findings if f.severity == "error" and f.code not in
                  cfg.expected_findings]
    if unexpected:
        raise ValueError(f"{cfg.suite}/{cfg.name}: " + "; ".join(map(str, unexpected)))
    model.compile(optimizer=cfg.optimizer(), loss=loss, metrics=cfg.metrics())
    epochs = epochs or cfg.epochs
    hparams = {"suite": cfg.suite, "config": cfg.name, "loss": _loss_label(loss), "seed": seed,
               "epochs": epochs, "batch_size": cfg.batch_size, **cfg.extra_hparams}
    with Run("classic", run_dir=run_dir, config=hparams) as run:
        for f in findings:
            run.log_text("guardrails", str(f))
        model.fit(as_dataset(split.x_train, split.y_train, cfg.batch_size, shuffle_seed=seed),
                  validation_data=as_dataset(split.x_test, split.y_test, 8192),
                  epochs=epochs, verbose=verbose, shuffle=False,  # the dataset shuffles
                  callbacks=[TrackingCallback(run)])
        final: dict[str, float] = {}
        for part, x, y in (("train", split.x_train, split.y_train),
                           ("test", split.x_test, split.y_test)):
            values = model.evaluate(as_dataset(x, y, 8192), verbose=0, return_dict=True)
            final.update({f"{part}/{k}": float(v) for k, v in values.items()})
        if cfg.scores is not None:
            final.update({k: float(v) for k, v in cfg.scores(model, split).items()})
        run.log_hparams(hparams, final)
        png = plot_learning_curves(run.path, title=f"{cfg.suite}: {cfg.name} (seed {seed})")
        run.log_png("learning_curves", png)
    return final


def aggregate(per_seed: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean and (population) standard deviation of each metric over seeds."""
    keys = sorted(set().union(*per_seed))
    out = {}
    for k in keys:
        vals = np.array([m[k] for m in per_seed if k in m], np.float64)
        out[k] = {"mean": float(np.mean(vals)), "std": float(np.std(vals)), "n": int(vals.size)}
    return out


def _make_split(cfg: Config, mnist_path=None) -> datasets.Split:
    """The data of ``cfg``; the MNIST suite reads ``mnist_path`` (else the loader's default)."""
    if cfg.data is datasets.mnist_is_nine:
        return cfg.data(mnist_path)
    return cfg.data()


def run_suite(suite: str, seeds: list[int], root: Path, epochs: int | None = None,
              verbose: int = 0, progress: bool = True, mnist_path=None) -> dict[str, Any]:
    """Run every configuration of ``suite`` for every seed under ``root``; return the results
    document (also written to ``root/results.json``). ``mnist_path``: the MNIST file of the
    mnist9 suite (default: ``$REFS_MNIST``, else Keras's download)."""
    cfgs = configs(suite)
    start = time.time()
    splits = {cfgs[0].data: _make_split(cfgs[0], mnist_path)}
    bar = keras.utils.Progbar(len(cfgs) * len(seeds), unit_name="run") if progress else None
    rows = []
    for cfg in cfgs:
        if cfg.data not in splits:
            splits[cfg.data] = _make_split(cfg, mnist_path)
        per_seed = []
        for seed in seeds:
            t0 = time.time()
            per_seed.append(run_config(cfg, seed, root / f"{cfg.name}-seed{seed}",
                                       splits[cfg.data], epochs=epochs, verbose=verbose))
            if bar is not None:
                bar.add(1, values=[("seconds_per_run", time.time() - t0)])
        rows.append({
            "suite": suite, "config": cfg.name, "loss": _loss_label(cfg.loss()),
            "data": splits[cfg.data].description, "epochs": epochs or cfg.epochs,
            "batch_size": cfg.batch_size, "seeds": list(seeds),
            "metrics": aggregate(per_seed), "reported": cfg.reported, "note": cfg.note,
        })
    doc = {"suite": suite, "seeds": list(seeds), "runtime_s": round(time.time() - start, 1),
           "rows": rows}
    root.mkdir(parents=True, exist_ok=True)
    (root / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
    return doc
