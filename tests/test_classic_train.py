"""The classic experiments: CLI contract, results.json, report rendering, and a real short run."""

import json

import numpy as np
import pytest

from refs.classic import experiments
from refs.classic.report import render, suite_table
from refs.classic.train import main
from refs.tracking import read_metrics


def test_every_suite_defines_configs_with_the_tutorial_figures():
    names = {s: [c.name for c in experiments.configs(s)] for s in
             ("regression", "binary", "multiclass")}
    assert names == {"regression": ["mse", "msle", "mae"],
                     "binary": ["bce", "hinge", "squared_hinge"],
                     "multiclass": ["cce", "sparse_cce", "kld"]}
    reported = {c.name: c.reported for s in names for c in experiments.configs(s)}
    assert reported["msle"] == {"metric": "mse", "train": 0.165, "test": 0.184}
    assert reported["hinge"]["metric"] == "rounded_accuracy"
    with pytest.raises(ValueError, match="suite must be one of"):
        experiments.configs("nope")


@pytest.mark.parametrize("argv, fragment", [
    (["--suite", "bogus"], "invalid choice"),
    (["--seeds", "0"], "--seeds must be at least 1"),
    (["--batch-size", "8"], "unrecognized arguments: --batch-size 8"),
])
def test_bad_arguments_exit_2(capsys, argv, fragment):
    from refs.cli import guarded

    try:
        code = guarded(main, argv)
    except SystemExit as exc:  # argparse's own errors exit directly
        code = exc.code
    assert code == 2
    assert fragment in capsys.readouterr().err


def test_report_renders_reported_vs_measured():
    doc = {"suite": "regression", "seeds": [0, 1], "runtime_s": 3.0, "rows": [{
        "config": "msle", "loss": "MeanSquaredLogarithmicError()",
        "metrics": {"train/mse": {"mean": 0.1371, "std": 0.047, "n": 2},
                    "test/mse": {"mean": 0.167, "std": 0.054, "n": 2}},
        "reported": {"metric": "mse", "train": 0.165, "test": 0.184}, "note": "negatives"}]}
    table = suite_table(doc)
    assert "| msle | `MeanSquaredLogarithmicError()` | mse | 0.165 / 0.184 | 0.137 ± 0.047 | " \
           "0.167 ± 0.054 |" in table
    assert "- **msle**: negatives" in table


@pytest.mark.slow
@pytest.mark.ci
def test_short_regression_suite_writes_results_runs_and_curves(tmp_path):
    run_dir = tmp_path / "reg"
    assert main(["--suite", "regression", "--seeds", "2", "--epochs", "3",
                 "--run-dir", str(run_dir)]) == 0
    doc = json.loads((run_dir / "results.json").read_text())
    assert [r["config"] for r in doc["rows"]] == ["mse", "msle", "mae"]
    for row in doc["rows"]:
        assert row["metrics"]["test/mse"]["n"] == 2
        assert np.isfinite(row["metrics"]["test/mse"]["mean"])
    # each seed is a run with 3 epoch records, an HParams row and learning curves
    for name in ("mse-seed0", "mae-seed1"):
        assert len(read_metrics(run_dir / name, kind="epoch")) == 3
        assert read_metrics(run_dir / name, kind="final")[0]["test/mse"] > 0
        assert (run_dir / name / "figures" / "learning_curves.png").exists()
    assert "| mse |" in render(run_dir) == (run_dir / "results.md").read_text()


@pytest.mark.slow
def test_single_unit_softmax_learns_nothing(mnist_path, tmp_path):
    """The tutorial's mistake, reproduced: the output is always 1.0, whatever the training."""
    from refs.classic import datasets
    from refs.classic.experiments import configs, run_config

    cfg = next(c for c in configs("mnist9") if c.name == "softmax1_bce_mistake")
    split = datasets.mnist_is_nine(mnist_path, max_train=2000)
    final = run_config(cfg, 0, tmp_path / "run", split, epochs=1)
    share_of_nines = float(np.mean(split.y_test))
    assert final["test/recall"] == 1.0
    assert final["test/accuracy"] == pytest.approx(share_of_nines)
