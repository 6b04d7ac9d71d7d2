"""How close to the CPU's peak the tutorial generator's dominant layer runs (a ceiling for
``bench/gan_throughput.py``).

In ``--arch tutorial`` at batch 256, the generator's first ``Conv2DTranspose`` (7x7x256 ->
7x7x128, 5x5, stride 1) holds about half of a training step's multiply-adds. This script times
that layer's forward + both backward passes (input and kernel gradients), with and without XLA,
and the same shape as a ``Conv2D`` (for comparison), and reports GFLOP/s against the peak of
``bench/gan_throughput.py`` (cores x 32 FP32 FLOP/cycle x clock). If the layer already runs near
the peak in the baseline's own loop, no training loop with the same networks can be much faster.

Run (under the shared lock)::

    flock /tmp/refs-heavy.lock python bench/gan_kernel_ceiling.py \
        --out bench/results/gan_kernel_ceiling.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

BATCH, SIZE, C_IN, C_OUT, K = 256, 7, 256, 128, 5


def layer_flops() -> float:
    """Forward + input gradient + kernel gradient: 3 x (2 x multiply-adds of the forward)."""
    return 3 * 2.0 * BATCH * SIZE * SIZE * K * K * C_IN * C_OUT


def time_layer(layer_cls, jit: bool, repeats: int, iters: int) -> list[float]:
    """Seconds per forward + backward of a fresh ``layer_cls`` layer, one value per repeat."""
    x = tf.random.normal((BATCH, SIZE, SIZE, C_IN), seed=0)
    layer = layer_cls(C_OUT, K, padding="same", use_bias=False)
    layer.build(x.shape)

    @tf.function(jit_compile=jit)
    def step(inputs):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            y = layer(inputs)
            loss = tf.reduce_sum(y * y)
        return tape.gradient(loss, [inputs, layer.kernel])

    step(x)[0].numpy()  # trace / compile
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(iters):
            out = step(x)
        out[0].numpy()
        times.append((time.perf_counter() - t0) / iters)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--ghz", type=float, default=2.45, help="clock used for the peak")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    peak = cores * 32 * args.ghz
    flops = layer_flops()
    results = {}
    for name, cls in (("Conv2DTranspose", keras.layers.Conv2DTranspose),
                      ("Conv2D", keras.layers.Conv2D)):
        for jit in (False, True):
            key = f"{name}, {'XLA' if jit else 'no XLA'}"
            secs = statistics.median(time_layer(cls, jit, args.repeats, args.iters))
            results[key] = {"seconds": secs, "gflops_per_s": flops / secs / 1e9,
                            "fraction_of_peak": flops / secs / 1e9 / peak}
            print(f"{key:28s} {secs:.3f} s  {flops / secs / 1e9:6.1f} GFLOP/s  "
                  f"{100 * flops / secs / 1e9 / peak:4.0f}% of peak", flush=True)
    doc = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cores": cores,
           "peak_gflops": peak, "flops": flops,
           "shape": {"batch": BATCH, "size": SIZE, "in": C_IN, "out": C_OUT, "kernel": K},
           "results": results, "tensorflow": tf.__version__, "keras": keras.__version__}
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
