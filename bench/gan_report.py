"""Write the refs.gan sections of docs/benchmarks.md and docs/results.md from run directories.

Nothing is typed by hand: the tables come from each run's ``metrics.jsonl`` (``kind="eval"``
records: FID, classifier score, KID and the training time at each epoch end), its
``results.json`` and ``config.json``, and from ``bench/results/gan_throughput.json``. The
real-data floor (10,000 MNIST training images vs the test set) is computed here with the same
classifier and sample count.

Run::

    python bench/gan_report.py --default runs/gan/ttq-infogan-b64 \\
        --tutorial runs/gan/ttq-tutorial --minimax runs/gan/sat-minimax \\
        --non-saturating runs/gan/sat-ns --also "lean (previous default)=runs/gan/ttq-default" \\
        --throughput bench/results/gan_throughput.json \\
        --kernel-ceiling bench/results/gan_kernel_ceiling.json --date YYYY-MM-DD \\
        --bench-notes "..." --notes "..."
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from refs.tracking.docs import replace_marked_section

ROOT = Path(__file__).resolve().parents[1]
def load_run(run_dir: str | None):
    from refs.tracking import read_run

    return read_run(run_dir) if run_dir else None


def floor_metrics(data=None) -> dict:
    from refs.data import load_mnist
    from refs.gan.metrics import QualityEvaluator, real_data_floor

    (x_train, _), _ = load_mnist(data)
    return real_data_floor(QualityEvaluator.for_mnist(data), x_train, n=10000)


def describe(run, loss: bool = True) -> str:
    h = run["config"]["hparams"]
    return (f"`--arch {h['arch']}` width {h['width']}, batch {h['batch_size']}, "
            f"Adam(lr={h['lr']}, beta_1={h['beta_1']}), "
            + (f"loss {h['loss']}, " if loss else "")
            + f"XLA {'on' if h['jit'] else 'off'}")


def quality_table(runs: dict, floor: dict) -> str:
    lines = ["| run | epoch | training time (min) | FID | FID / floor | classifier score | KID |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, run in runs.items():
        for e in run["evals"]:
            lines.append(
                f"| {label} | {e['epoch']} | {e['train_time_s'] / 60:.1f} | {e['fid']:.3f} | "
                f"{e['fid'] / floor['fid']:.1f}x | {e['classifier_score']:.2f} | "
                f"{e['kid']:.4f} |")
    return "\n".join(lines)


def class_histogram(run, n: int = 10000, seed: int = 0) -> list[int]:
    from refs.gan.metrics import digit_histogram
    from refs.gan.sample import load_generator

    return digit_histogram(load_generator(run["path"]), n, seed)


def copy_last_grid(run, out: Path) -> Path | None:
    """The run's last per-epoch sample grid, copied to ``out`` (for the docs)."""
    import shutil

    grids = sorted((run["path"] / "figures").glob("samples_*.png"))
    if not grids:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(grids[-1], out)
    return out


def time_to_target(run, floor, factor=10.0):
    for e in run["evals"]:
        if e["fid"] <= factor * floor["fid"]:
            return e
    return None


def plot_fid_vs_time(runs: dict, floor: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for label, run in runs.items():
        ax.plot([e["train_time_s"] / 60 for e in run["evals"]], [e["fid"] for e in run["evals"]],
                "o-", label=label)
    ax.axhline(10 * floor["fid"], color="gray", ls="--", label="10x real-data floor")
    ax.axhline(floor["fid"], color="k", ls=":", label="real-data floor")
    ax.axvline(15, color="r", ls=":", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("training time (min, 2 CPU cores)")
    ax.set_ylabel("FID (classifier features, N=10,000)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100, bbox_inches="tight")
    plt.close(fig)


def plot_saturation(ns, mm, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for label, run in (("non-saturating", ns), ("minimax (saturating)", mm)):
        steps = [r for r in run["steps"] if "g_grad_norm" in r]
        axes[0].plot([r["step"] for r in steps], [r["g_grad_norm"] for r in steps], label=label)
        axes[1].plot([r["step"] for r in steps], [r["d_fake"] for r in steps], label=label)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("generator gradient norm")
    axes[1].set_ylabel("mean D(G(z))")
    for ax in axes:
        ax.set_xlabel("step")
        ax.legend()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100, bbox_inches="tight")
    plt.close(fig)


def _mean(values):
    return sum(values) / len(values) if values else float("nan")


def grad_norm_summary(run, first: int = 200) -> tuple[float, float]:
    steps = [r for r in run["steps"] if "g_grad_norm" in r]
    early = [r["g_grad_norm"] for r in steps[:first]]
    late = [r["g_grad_norm"] for r in steps[-first:]]
    return _mean(early), _mean(late)


def saturation_section(ns, mm) -> str:
    lines = ["| epoch | FID non-saturating | FID minimax (saturating) | "
             "mean D(G(z)) NS | mean D(G(z)) minimax | mean G grad norm NS | "
             "mean G grad norm minimax |", "|---:|---:|---:|---:|---:|---:|---:|"]
    ns_eval = {e["epoch"]: e for e in ns["evals"]}
    mm_eval = {e["epoch"]: e for e in mm["evals"]}
    ns_ep = {e["epoch"]: e for e in ns["epochs"]}
    mm_ep = {e["epoch"]: e for e in mm["epochs"]}
    def cell(table, epoch, key, fmt):
        return format(table[epoch][key], fmt) if epoch in table else "not run yet"

    for epoch in sorted(set(ns_eval) | set(mm_eval)):
        lines.append(
            f"| {epoch} | {cell(ns_eval, epoch, 'fid', '.3f')} | "
            f"{cell(mm_eval, epoch, 'fid', '.3f')} | {cell(ns_ep, epoch, 'd_fake', '.3f')} | "
            f"{cell(mm_ep, epoch, 'd_fake', '.3f')} | {cell(ns_ep, epoch, 'g_grad_norm', '.3g')} | "
            f"{cell(mm_ep, epoch, 'g_grad_norm', '.3g')} |")
    e_ns, _ = grad_norm_summary(ns)
    e_mm, _ = grad_norm_summary(mm)
    lines.append("")
    lines.append(f"Mean generator gradient norm over the first 200 logged steps (one in 10): "
                 f"non-saturating {e_ns:.3g}, minimax {e_mm:.3g} (ratio {e_ns / e_mm:.1f}x).")
    for label, run in (("non-saturating", ns), ("minimax", mm)):
        early = [r for r in run["steps"] if "g_grad_norm" in r and r["step"] <= 1000]
        if early:
            low = min(early, key=lambda r: r["g_grad_norm"])
            lines.append(f"- {label}: lowest logged generator gradient norm in the first 1,000 "
                         f"steps {low['g_grad_norm']:.3g} at step {low['step']}, where mean "
                         f"D(G(z)) = {low['d_fake']:.3f}.")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--default")
    p.add_argument("--tutorial")
    p.add_argument("--minimax", help="the saturation experiment's minimax arm")
    p.add_argument("--non-saturating", default=None,
                   help="its non-saturating arm (default: --default, when it ran as long)")
    p.add_argument("--also", action="append", default=[], metavar="LABEL=RUN_DIR",
                   help="more runs for the time-to-quality table (e.g. ema=runs/gan/ttq-ema)")
    p.add_argument("--throughput")
    p.add_argument("--kernel-ceiling", help="bench/results/gan_kernel_ceiling.json")
    p.add_argument("--date", required=True, help="date of the measurements")
    p.add_argument("--machine", default="2-core AMD EPYC VM (AVX2)")
    p.add_argument("--notes", default="", help="text for the results section")
    p.add_argument("--bench-notes", default="", help="text for the benchmarks section")
    p.add_argument("--docs", default=str(ROOT / "docs"), help="folder holding the two files")
    args = p.parse_args()
    floor = floor_metrics()
    default, tutorial, minimax = map(load_run, (args.default, args.tutorial, args.minimax))
    non_saturating = load_run(args.non_saturating) if args.non_saturating else default
    extra = {label: load_run(d) for label, d in (a.split("=", 1) for a in args.also)}

    bench = [f"Measured {args.date} on a {args.machine}. {args.bench_notes}".strip(), ""]
    if args.throughput:
        t = json.loads(Path(args.throughput).read_text())
        bench += ["### Throughput (`bench/gan_throughput.py`, batch 256)", "",
                  f"Median of {t['repeats']} runs of {t['steps']} steps each, after warm-up "
                  f"({t['date']}); peak = {t['peak_gflops']:.0f} GFLOP/s "
                  "(cores x 32 FP32 FLOP/cycle x clock).", "",
                  "| variant | images/s (median) | runs | GFLOP/s | % of peak |",
                  "|---|---:|---|---:|---:|"]
        for name, r in t["results"].items():
            bench.append(f"| {name} | {r['median_images_per_s']:.1f} | "
                         f"{', '.join(f'{v:.0f}' for v in r['images_per_s'])} | "
                         f"{r['gflops_per_s']:.1f} | "
                         f"{100 * r['gflops_per_s'] / t['peak_gflops']:.0f}% |")
        bench += ["", f"Speed-up of `GAN.fit` over the tutorial loop: "
                      f"{t['speedup_xla']:.2f}x with XLA, {t['speedup_no_xla']:.2f}x without.",
                  ""]
    if args.kernel_ceiling:
        k = json.loads(Path(args.kernel_ceiling).read_text())
        shape = k["shape"]
        bench += ["### Ceiling: the tutorial generator's dominant layer "
                  "(`bench/gan_kernel_ceiling.py`)", "",
                  f"Forward + input and kernel gradients of a {shape['kernel']}x{shape['kernel']} "
                  f"convolution on a batch of {shape['batch']} x {shape['size']}x{shape['size']}"
                  f" x {shape['in']} -> {shape['out']} channels ({k['flops'] / 1e9:.1f} GFLOP; "
                  f"{k['date']}; peak {k['peak_gflops']:.0f} GFLOP/s).", "",
                  "| layer | seconds (median) | GFLOP/s | % of peak |", "|---|---:|---:|---:|"]
        for name, r in k["results"].items():
            bench.append(f"| {name} | {r['seconds']:.3f} | {r['gflops_per_s']:.1f} | "
                         f"{100 * r['fraction_of_peak']:.0f}% |")
        bench.append("")
    runs = {k: v for k, v in (("default", default), ("tutorial", tutorial)) if v}
    runs.update(extra)
    if runs:
        bench += ["### Time to quality (FID vs training time, N = 10,000, vs the MNIST test set)",
                  "", f"Real-data floor (10,000 training images vs test): FID "
                  f"{floor['fid']:.3f}, classifier score {floor['classifier_score']:.2f}, KID "
                  f"{floor['kid']:.4f}. Target: FID <= {10 * floor['fid']:.3f} within 15 min.",
                  ""]
        for label, run in runs.items():
            hit = time_to_target(run, floor)
            when = (f"reached at epoch {hit['epoch']} after {hit['train_time_s'] / 60:.1f} min "
                    "of training") if hit else "not reached in this run"
            rss = run["results"].get("peak_rss_mb")
            counts = class_histogram(run)
            bench.append(f"- **{label}**: {describe(run)}; 10x floor {when}"
                         + (f"; peak RSS {rss:.0f} MB" if rss else "")
                         + f"; final samples per digit 0-9 (of 10,000): {counts}.")
        bench += ["", quality_table(runs, floor), "",
                  "![FID vs time](figures/gan_fid_vs_time.png)", ""]
        grid = Path(args.docs) / "figures" / "gan_default_samples.png"
        if default and copy_last_grid(default, grid):
            bench += ["Samples of the default run after its last epoch (fixed noise):", "",
                      "![default samples](figures/gan_default_samples.png)", ""]
        plot_fid_vs_time(runs, floor, Path(args.docs) / "figures" / "gan_fid_vs_time.png")
    replace_marked_section(Path(args.docs) / "benchmarks.md", "gan", "\n".join(bench))

    if non_saturating and minimax:
        ns = non_saturating
        results = [f"### Saturation of the minimax generator loss ({args.date})", "",
                   f"Same seed and settings ({describe(ns, loss=False)}), generator loss "
                   "`-log D(G(z))` (non-saturating) vs `log(1 - D(G(z)))` (minimax). FID on "
                   f"{ns['config']['hparams']['fid_samples']:,} samples vs the MNIST test "
                   f"set (floor at 10,000: {floor['fid']:.3f}). {args.notes}".strip(), "",
                   saturation_section(ns, minimax), "",
                   "![generator gradient norm](figures/gan_saturation.png)"]
        plot_saturation(ns, minimax, Path(args.docs) / "figures" / "gan_saturation.png")
        replace_marked_section(Path(args.docs) / "results.md", "gan", "\n".join(results))


if __name__ == "__main__":
    main()
