"""``python -m refs.classic.plot``: the losses drawn as curves, from the package's own functions.

Four figures, each computed by calling :mod:`refs.losses` on a grid of inputs (so the
pictures double as a visual check of the implementations):

- ``binary_losses.png``: cross-entropy and focal loss (gamma 0, 0.5, 1, 2, 5) against the
  probability of the true class p_t, as in the focal-loss paper's first figure;
- ``margin_losses.png``: 0-1, hinge, squared hinge, logistic and exponential losses against the
  margin y*f(x);
- ``regression_losses.png``: MSE, MAE, Huber (delta 0.5 and 1.5) and log-cosh against the
  residual y_pred - y_true;
- ``bernoulli_entropy.png``: H(p) = -p log p - (1-p) log(1-p), computed as the cross-entropy
  of a Bernoulli(p) target with itself.

The PNGs go to ``--out`` (default: the TensorBoard run's ``figures/`` folder; the repository's
pictures are regenerated with ``--out docs/figures``) and into the TensorBoard run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from refs.cli import ArgumentParser, import_tensorflow_quietly, run_cli
from refs.errors import DataError


def _np(x):
    import keras

    return np.asarray(keras.ops.convert_to_numpy(x), np.float64)


def binary_curves(p: np.ndarray) -> dict[str, np.ndarray]:
    """Loss of the true class vs its probability ``p`` (label 1, prediction ``p``)."""
    from refs import losses

    y = np.ones((p.size, 1))
    x = p.reshape(-1, 1)
    curves = {"cross-entropy": _np(losses.binary_crossentropy(y, x))}
    for gamma in (0.0, 0.5, 1.0, 2.0, 5.0):
        # alpha = 0 switches the alpha factor off (tensorflow-addons semantics), as in the paper's
        # figure, which shows the unweighted focal term -(1 - p_t)^gamma log(p_t).
        curves[f"focal, gamma={gamma:g}"] = _np(
            losses.sigmoid_focal_crossentropy(y, x, alpha=0.0, gamma=gamma))
    return curves


def margin_curves(m: np.ndarray) -> dict[str, np.ndarray]:
    """Margin losses vs ``m = y * f(x)`` (label +1, score ``m``)."""
    from refs import losses

    y = np.ones((m.size, 1))
    f = m.reshape(-1, 1)
    return {
        "0-1": (m <= 0).astype(np.float64),
        "hinge": _np(losses.hinge(y, f)),
        "squared hinge": _np(losses.squared_hinge(y, f)),
        "logistic (log2)": _np(losses.logistic_loss(y, f)) / np.log(2),
        "exponential": _np(losses.exponential_loss(y, f)),
    }


def regression_curves(r: np.ndarray) -> dict[str, np.ndarray]:
    """Regression losses vs the residual ``r = y_pred - y_true`` (y_true = 0)."""
    from refs import losses

    y = np.zeros((r.size, 1))
    x = r.reshape(-1, 1)
    return {
        "MSE": _np(losses.mean_squared_error(y, x)),
        "MAE": _np(losses.mean_absolute_error(y, x)),
        "Huber, delta=0.5": _np(losses.huber(y, x, delta=0.5)),
        "Huber, delta=1.5": _np(losses.huber(y, x, delta=1.5)),
        "log-cosh": _np(losses.log_cosh(y, x)),
    }


def bernoulli_entropy(p: np.ndarray) -> np.ndarray:
    """H(p) in nats, as the cross-entropy of a Bernoulli(p) target with itself."""
    from refs import losses

    x = p.reshape(-1, 1)
    return _np(losses.binary_crossentropy(x, x))


def draw_all(out_dir: str | Path) -> dict[str, Path]:
    """Draw the four figures into ``out_dir``; return name -> PNG path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}

    def draw(name, x, curves, styles=None, reference=None, **axes):
        """One figure: a line per curve (``styles``: label -> plot kwargs), saved as PNG."""
        fig, ax = plt.subplots(figsize=(6, 4.2))
        for label, values in curves.items():
            ax.plot(x, values, label=label, **(styles or {}).get(label, {}))
        if reference is not None:
            ax.axhline(reference[0], ls="--", c="gray", label=reference[1])
        ax.set(**axes)
        ax.legend()
        ax.grid(alpha=0.3)
        path = out_dir / f"{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=90)
        plt.close(fig)
        paths[name] = path

    p = np.linspace(0.001, 1.0, 500)
    draw("binary_losses", p, binary_curves(p),
         styles={"cross-entropy": {"ls": "--", "c": "k", "zorder": 3}},
         xlabel="probability of the true class $p_t$", ylabel="loss", ylim=(0, 5),
         title="Cross-entropy and focal loss")
    m = np.linspace(-2.0, 2.5, 451)
    draw("margin_losses", m, margin_curves(m), styles={"0-1": {"drawstyle": "steps-post"}},
         xlabel="margin $y \\cdot f(x)$", ylabel="loss", ylim=(0, 5),
         title="Margin losses (labels in {-1, 1})")
    r = np.linspace(-3.0, 3.0, 601)
    draw("regression_losses", r, regression_curves(r), xlabel="residual $\\hat y - y$",
         ylabel="loss", ylim=(0, 4), title="Regression losses")
    q = np.linspace(0.0, 1.0, 501)
    draw("bernoulli_entropy", q, {"H(p) (nats)": bernoulli_entropy(q)},
         reference=(np.log(2), "log 2 (p = 0.5)"), xlabel="p", ylabel="entropy",
         title="Entropy of a Bernoulli(p) variable")
    return paths


def main(argv=None) -> int:
    parser = ArgumentParser(prog="python -m refs.classic.plot",
                            description="Draw the classic losses as PNG figures and into "
                                        "a TensorBoard run.")
    parser.add_argument("--out", default=None,
                        help="directory for the PNG files (default: the run's figures/; "
                             "docs/figures regenerates the README's pictures)")
    parser.add_argument("--run-dir", default=None,
                        help="TensorBoard run directory (default runs/classic/<time>-figures)")
    args = parser.parse_args(argv)
    if args.out is not None and Path(args.out).exists() and not Path(args.out).is_dir():
        raise DataError(f"--out {args.out} is a file; give a folder for the PNG files")
    import_tensorflow_quietly()
    from refs.tracking import Run

    with Run("classic", name="figures", run_dir=args.run_dir) as run:
        out = Path(args.out) if args.out is not None else run.figure_dir
        try:
            paths = draw_all(out)
        except OSError as exc:
            raise DataError(f"cannot write the figures into {out}: {exc.strerror or exc}") \
                from None
        run.log_config({"figures": sorted(paths), "out": str(out)})
        for name, path in paths.items():
            run.log_png(f"figures/{name}", path)
            print(f"wrote {path}")
        print(f"TensorBoard run: {run.path}")
    return 0


if __name__ == "__main__":
    run_cli(main)
