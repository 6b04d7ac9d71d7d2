"""``python -m refs.classic.train --suite {regression,binary,multiclass,imbalanced,mnist9,all}``

Runs the reference experiments that compare the classic losses, for several seeds each, and
writes a run directory holding one sub-run per configuration and seed (TensorBoard scalars,
learning curves, HParams), ``results.json`` and ``results.md`` (reported vs measured table).
"""

from __future__ import annotations

import time
from pathlib import Path

from refs.classic.suites import SUITES
from refs.cli import import_tensorflow_quietly, make_parser, non_negative_int, run_cli
from refs.errors import UsageError


def build_parser():
    parser = make_parser(
        "python -m refs.classic.train",
        "Train the classic-loss reference experiments and compare them with the tutorial.",
        epochs=None, batch_size=None,
    )
    for action in parser._actions:  # each suite has its own budget unless overridden
        if action.dest == "epochs":
            action.help += " (default: the suite's own)"
    parser.add_argument("--suite", choices=(*SUITES, "all"), default="all",
                        help="which experiment to run")
    parser.add_argument("--seeds", type=non_negative_int, default=3,
                        help="number of seeds (seed, seed+1, ...) per configuration")
    parser.add_argument("--verbose", action="store_true", help="show a progress bar per fit")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.seeds < 1:
        raise UsageError("--seeds must be at least 1")
    import_tensorflow_quietly()
    from refs.classic.experiments import run_suite
    from refs.classic.report import render
    from refs.tracking import Run
    from refs.tracking.run import default_run_dir
    from refs.training.lock import RunLock
    from refs.utils import seed_everything

    seed_everything(args.seed, deterministic=args.deterministic)
    root = Path(args.run_dir) if args.run_dir else default_run_dir("classic",
                                                                  args.name or args.suite)
    suites = SUITES if args.suite == "all" else (args.suite,)
    seeds = list(range(args.seed, args.seed + args.seeds))
    start = time.time()
    with RunLock(root), Run("classic", run_dir=root,
                            config={**vars(args), "seeds": seeds}) as run:
        for suite in suites:
            print(f"== suite {suite}: seeds {seeds}")
            target = root / suite if len(suites) > 1 else root
            run_suite(suite, seeds, target, epochs=args.epochs, verbose=int(args.verbose),
                      mnist_path=args.data)
        table = render(root)
        (root / "results.md").write_text(table)
        run.log_text("results", table)
        run.log_scalars({"runtime_s": time.time() - start}, step=0, kind="final")
    print(table)
    print(f"run directory: {root}  ({time.time() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    run_cli(main)
