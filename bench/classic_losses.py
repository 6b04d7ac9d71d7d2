"""Forward + backward time of refs.losses (the classic ones) vs keras.losses, side by side.

For every loss that ``keras.losses`` also has: a batch of 1,000,000 elements (100,000 x 10) for
the elementwise and binary losses, 65,536 x 10 for the multi-class ones; the gradient of the
reduced loss with respect to ``y_pred``; eager and under ``tf.function(jit_compile=True)``.
Repetitions alternate ours / Keras's so that drift in the machine's speed hits both alike; the
ratio is the median over repetitions of the paired ratio ours_i / keras_i (target <= 1.05), which
cancels the slow drift of a shared 2-core machine better than median(ours) / median(keras) (also
written to the JSON as ``ratio_of_medians``). On this machine single rows still vary by about
+-3% between runs at 101 repetitions; use 201 or more for numbers to publish.

    python bench/classic_losses.py [--repeats 15] [--only Huber,Hinge] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from refs import losses as ours  # noqa: E402

K = keras.losses
ROWS, COLS = 100_000, 10
CLS_ROWS, CLS = 65_536, 10


def _inputs(kind: str, rng: np.random.Generator):
    if kind == "regression":
        return rng.normal(size=(ROWS, COLS)), rng.normal(size=(ROWS, COLS))
    if kind == "msle":
        return rng.uniform(0, 5, (ROWS, COLS)), rng.uniform(0, 5, (ROWS, COLS))
    if kind == "prob":
        return rng.integers(0, 2, (ROWS, COLS)), rng.uniform(0.001, 0.999, (ROWS, COLS))
    if kind == "logit":
        return rng.integers(0, 2, (ROWS, COLS)), rng.normal(0, 3, (ROWS, COLS))
    if kind == "pm1":
        return 2 * rng.integers(0, 2, (ROWS, COLS)) - 1, rng.normal(size=(ROWS, COLS))
    if kind in ("onehot", "onehot_logit"):
        y = np.eye(CLS)[rng.integers(0, CLS, CLS_ROWS)]
        logits = rng.normal(0, 2, (CLS_ROWS, CLS))
        if kind == "onehot_logit":
            return y, logits
        p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        return y, p
    if kind in ("sparse", "sparse_logit"):
        logits = rng.normal(0, 2, (CLS_ROWS, CLS))
        y = rng.integers(0, CLS, CLS_ROWS)
        if kind == "sparse_logit":
            return y, logits
        return y, np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    raise ValueError(kind)


#: name -> (ours, keras's, input kind)
PAIRS = {
    "MeanSquaredError": (ours.MeanSquaredError(), K.MeanSquaredError(), "regression"),
    "MeanAbsoluteError": (ours.MeanAbsoluteError(), K.MeanAbsoluteError(), "regression"),
    "MeanSquaredLogarithmicError": (ours.MeanSquaredLogarithmicError(),
                                    K.MeanSquaredLogarithmicError(), "msle"),
    "Huber": (ours.Huber(delta=1.0), K.Huber(delta=1.0), "regression"),
    "LogCosh": (ours.LogCosh(), K.LogCosh(), "regression"),
    "BinaryCrossentropy": (ours.BinaryCrossentropy(), K.BinaryCrossentropy(), "prob"),
    "BinaryCrossentropy(logits)": (ours.BinaryCrossentropy(from_logits=True),
                                   K.BinaryCrossentropy(from_logits=True), "logit"),
    "BinaryFocalCrossentropy(logits)": (
        ours.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.25, gamma=2.0,
                                     from_logits=True),
        K.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.25, gamma=2.0,
                                  from_logits=True), "logit"),
    "Hinge": (ours.Hinge(), K.Hinge(), "pm1"),
    "SquaredHinge": (ours.SquaredHinge(), K.SquaredHinge(), "pm1"),
    "CategoricalCrossentropy": (ours.CategoricalCrossentropy(), K.CategoricalCrossentropy(),
                                "onehot"),
    "CategoricalCrossentropy(logits)": (ours.CategoricalCrossentropy(from_logits=True),
                                        K.CategoricalCrossentropy(from_logits=True),
                                        "onehot_logit"),
    "SparseCategoricalCrossentropy(logits)": (
        ours.SparseCategoricalCrossentropy(from_logits=True),
        K.SparseCategoricalCrossentropy(from_logits=True), "sparse_logit"),
    "CategoricalFocalCrossentropy": (ours.CategoricalFocalCrossentropy(),
                                     K.CategoricalFocalCrossentropy(), "onehot"),
    "KLDivergence": (ours.KLDivergence(), K.KLDivergence(), "onehot"),
    "CategoricalHinge": (ours.CategoricalHinge(), K.CategoricalHinge(), "onehot_logit"),
    "CosineSimilarity": (ours.CosineSimilarity(), K.CosineSimilarity(), "regression"),
}


def _step(loss):
    def step(y_true, y_pred):
        with tf.GradientTape() as tape:
            tape.watch(y_pred)
            value = loss(y_true, y_pred)
        return value, tape.gradient(value, y_pred)

    return step


def _time(fn, args) -> float:
    t0 = time.perf_counter()
    value, grad = fn(*args)
    _ = grad.numpy(), value.numpy()  # wait for the result
    return time.perf_counter() - t0


def bench_pair(name, repeats, mode):
    our_loss, keras_loss, kind = PAIRS[name]
    y_true, y_pred = _inputs(kind, np.random.default_rng(0))
    args = (tf.constant(y_true, tf.float32 if "sparse" not in kind else tf.int32),
            tf.constant(y_pred, tf.float32))
    fns = {"ours": _step(our_loss), "keras": _step(keras_loss)}
    if mode == "jit":
        fns = {k: tf.function(f, jit_compile=True) for k, f in fns.items()}
    for f in fns.values():  # warm-up (tracing, compilation)
        _time(f, args)
        _time(f, args)
    times = {"ours": [], "keras": []}
    for i in range(repeats):
        order = ("ours", "keras") if i % 2 == 0 else ("keras", "ours")
        for k in order:
            times[k].append(_time(fns[k], args))
    med = {k: statistics.median(v) for k, v in times.items()}
    paired = statistics.median(o / k for o, k in zip(times["ours"], times["keras"]))
    return {"loss": name, "mode": mode, "ours_ms": 1e3 * med["ours"],
            "keras_ms": 1e3 * med["keras"], "ratio": paired,
            "ratio_of_medians": med["ours"] / med["keras"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--only", default="", help="comma-separated loss names")
    parser.add_argument("--modes", default="eager,jit")
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument("--no-input-checks", action="store_true",
                        help="switch off refs' eager input checks (to measure what they cost)")
    args = parser.parse_args()
    if args.no_input_checks:
        from refs.losses.validation import set_input_checks

        set_input_checks(False)
    # Input validation is left as users get it (its defaults): see refs.losses.validation.
    names = [n for n in PAIRS if not args.only or n in args.only.split(",")]
    rows = []
    print(f"{'loss':40s} {'mode':6s} {'ours ms':>9s} {'keras ms':>9s} {'ratio':>6s}")
    for mode in args.modes.split(","):
        for name in names:
            r = bench_pair(name, args.repeats, mode)
            rows.append(r)
            print(f"{name:40s} {mode:6s} {r['ours_ms']:9.2f} {r['keras_ms']:9.2f} "
                  f"{r['ratio']:6.3f}", flush=True)
    meta = {"date": time.strftime("%Y-%m-%d"), "machine": platform.processor() or
            platform.machine(), "cpus": os.cpu_count(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "repeats": args.repeats,
            "input_checks": not args.no_input_checks}
    print(json.dumps(meta))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
