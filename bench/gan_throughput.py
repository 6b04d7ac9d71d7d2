"""Training throughput of refs.gan (``--arch tutorial``, batch 256) vs a tutorial-style baseline.

Both in one process, on the same data:

- **baseline**: written the way the TensorFlow DCGAN tutorial trains: the tutorial's networks
  (``refs.gan.models.build_*("tutorial")``), two ``Adam(1e-4)``, ``BinaryCrossentropy(
  from_logits=True)``, a ``@tf.function`` train step with two gradient tapes, and
  ``from_tensor_slices(x).shuffle(60000).batch(256)``;
- **ours**: ``GAN.fit`` on the same networks and optimisers, with the refs tf.data stream
  (stateless shuffle, prefetch) and the step compiled with XLA (and, for reference, without).

Each variant is warmed up (tracing/compiling), then timed over ``--steps`` steps, ``--repeats``
times, the variants interleaved; the median images/s is reported, with the achieved GFLOP/s
from an analytic count of the convolution and dense multiply-adds (training step ~ 3x forward
for G, D on real + fake, and the generator's extra backward pass through D) against the peak.

Run (under the shared lock)::

    flock /tmp/refs-heavy.lock python bench/gan_throughput.py --arch infogan --arch lean \
        --out bench/results/gan_throughput.json

``--arch NAME`` (repeatable) also times refs.gan's own networks with and without XLA (to choose
the default ``jit``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from refs.data import load_mnist  # noqa: E402
from refs.gan.data import gan_dataset  # noqa: E402
from refs.gan.gan import GAN  # noqa: E402
from refs.gan.models import build_discriminator, build_generator  # noqa: E402
from refs.losses.adversarial import get_loss_pair  # noqa: E402

BATCH = 256


def forward_macs(model) -> int:
    """Multiply-adds of one forward pass for one example (Dense, Conv2D, Conv2DTranspose)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            total += int(np.prod(layer.kernel.shape))
        elif isinstance(layer, keras.layers.Conv2DTranspose):
            h, w = layer.input.shape[1:3]
            total += h * w * int(np.prod(layer.kernel.shape))
        elif isinstance(layer, keras.layers.Conv2D):
            h, w = layer.output.shape[1:3]
            total += h * w * int(np.prod(layer.kernel.shape))
    return total


def train_flops_per_image(g, d) -> float:
    """~ 3x forward of G; D forward on real + fake with its backward (3x each); plus the
    generator loss's backward through D on the fakes (2x D forward)."""
    return 2.0 * (3 * forward_macs(g) + 3 * 2 * forward_macs(d) + 2 * forward_macs(d))


def baseline_runner(x):
    """The tutorial's training loop, as a function running ``steps`` steps."""
    generator, discriminator = build_generator("tutorial"), build_discriminator("tutorial")
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    g_opt, d_opt = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)
    images = (x.astype("float32")[..., None] - 127.5) / 127.5
    dataset = tf.data.Dataset.from_tensor_slices(images).shuffle(60000).batch(BATCH)

    @tf.function
    def train_step(batch):
        noise = tf.random.normal([BATCH, 100])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated = generator(noise, training=True)
            real_output = discriminator(batch, training=True)
            fake_output = discriminator(generated, training=True)
            gen_loss = bce(tf.ones_like(fake_output), fake_output)
            disc_loss = (bce(tf.ones_like(real_output), real_output)
                         + bce(tf.zeros_like(fake_output), fake_output))
        g_grads = gen_tape.gradient(gen_loss, generator.trainable_variables)
        d_grads = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
        g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))
        d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables))

    iterator = iter(dataset.repeat())

    def run(steps):
        for _ in range(steps):
            train_step(next(iterator))
        g_opt.iterations.numpy()  # wait for the last step

    return run, generator, discriminator


def ours_runner(x, jit: bool, arch: str = "tutorial"):
    generator, discriminator = build_generator(arch), build_discriminator(arch)
    gan = GAN(generator, discriminator, seed=0)
    d_loss, g_loss = get_loss_pair("non-saturating")
    gan.compile(keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4), d_loss, g_loss,
                jit_compile=jit)
    dataset = gan_dataset(x, BATCH, seed=0)

    def run(steps):
        gan.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)

    return run, generator, discriminator


def time_steps(run, steps: int) -> float:
    """Images per second of ``steps`` training steps."""
    t0 = time.perf_counter()
    run(steps)
    return steps * BATCH / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peak-gflops", type=float, default=None,
                        help="machine peak (default: cores x 32 FLOP/cycle x --ghz)")
    parser.add_argument("--ghz", type=float, default=2.45, help="clock used for the peak")
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--arch", action="append", default=[], choices=("infogan", "lean"),
                        help="also time these refs.gan networks (repeatable)")
    args = parser.parse_args()
    (x, _), _ = load_mnist(args.data)
    cores = os.cpu_count() or 1
    peak = args.peak_gflops or cores * 32 * args.ghz  # AVX2: 2 FMA units x 8 fp32 lanes x 2
    results = {}
    variants = [("baseline (tutorial loop)", lambda: baseline_runner(x)),
                ("refs.gan fit, XLA", lambda: ours_runner(x, True)),
                ("refs.gan fit, no XLA", lambda: ours_runner(x, False))]
    for arch in args.arch:
        variants += [(f"refs.gan {arch}, XLA", lambda a=arch: ours_runner(x, True, a)),
                     (f"refs.gan {arch}, no XLA", lambda a=arch: ours_runner(x, False, a))]
    # Build and warm every variant first, then interleave the timed repeats (round robin), so
    # that load from other processes on a shared machine hits every variant alike.
    runners = {}
    for name, factory in variants:
        keras.utils.set_random_seed(0)
        run, g, d = factory()
        run(3)  # trace / compile / fill the pipeline
        runners[name] = (run, train_flops_per_image(g, d))
    rates = {name: [] for name in runners}
    for _ in range(args.repeats):
        for name, (run, _) in runners.items():
            rates[name].append(time_steps(run, args.steps))
    for name, (_, flops) in runners.items():
        med = statistics.median(rates[name])
        results[name] = {"images_per_s": rates[name], "median_images_per_s": med,
                         "gflops_per_s": med * flops / 1e9, "flops_per_image": flops}
        print(f"{name:28s} median {med:7.1f} img/s  ({med * flops / 1e9:5.1f} GFLOP/s)  "
              f"runs {[round(r, 1) for r in rates[name]]}", flush=True)
    base = results["baseline (tutorial loop)"]["median_images_per_s"]
    doc = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.processor() or platform.machine()}, {cores} cores",
        "batch_size": BATCH, "steps": args.steps, "repeats": args.repeats,
        "peak_gflops": peak, "results": results,
        "speedup_xla": results["refs.gan fit, XLA"]["median_images_per_s"] / base,
        "speedup_no_xla": results["refs.gan fit, no XLA"]["median_images_per_s"] / base,
        "tensorflow": tf.__version__, "keras": keras.__version__,
    }
    print(f"speedup vs baseline: XLA {doc['speedup_xla']:.2f}x, "
          f"no XLA {doc['speedup_no_xla']:.2f}x; peak {peak:.0f} GFLOP/s")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
