"""The loss figures are drawn from the package's own functions; check each curve's maths."""

import numpy as np

from refs.classic import plot


def test_binary_curves_are_cross_entropy_and_focal():
    p = np.linspace(0.01, 0.99, 99)
    curves = plot.binary_curves(p)
    ce = -np.log(p + 1e-7)  # Keras 2's BCE adds eps inside the log
    np.testing.assert_allclose(curves["cross-entropy"], ce, rtol=1e-5)
    for gamma in (0.0, 0.5, 1.0, 2.0, 5.0):
        np.testing.assert_allclose(curves[f"focal, gamma={gamma:g}"], (1 - p) ** gamma * ce,
                                   rtol=1e-5, atol=1e-7)


def test_margin_curves_closed_form():
    m = np.linspace(-2, 2, 81)
    c = plot.margin_curves(m)
    np.testing.assert_allclose(c["hinge"], np.maximum(0, 1 - m), atol=1e-6)
    np.testing.assert_allclose(c["squared hinge"], np.maximum(0, 1 - m) ** 2, atol=1e-5)
    np.testing.assert_allclose(c["exponential"], np.exp(-m), rtol=1e-5)
    np.testing.assert_allclose(c["logistic (log2)"], np.log2(1 + np.exp(-m)), rtol=1e-5)
    np.testing.assert_array_equal(c["0-1"], (m <= 0).astype(float))


def test_regression_curves_closed_form():
    r = np.linspace(-3, 3, 61)
    c = plot.regression_curves(r)
    np.testing.assert_allclose(c["MSE"], r**2, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(c["MAE"], np.abs(r), atol=1e-6)
    for d in (0.5, 1.5):
        huber = np.where(np.abs(r) <= d, 0.5 * r**2, d * (np.abs(r) - 0.5 * d))
        np.testing.assert_allclose(c[f"Huber, delta={d:g}"], huber, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(c["log-cosh"], np.log(np.cosh(r)), rtol=1e-4, atol=1e-6)


def test_bernoulli_entropy_peaks_at_log2():
    p = np.linspace(0.05, 0.95, 19)
    h = plot.bernoulli_entropy(p)
    np.testing.assert_allclose(h, -p * np.log(p) - (1 - p) * np.log(1 - p), rtol=1e-5)
    assert np.argmax(plot.bernoulli_entropy(np.linspace(0, 1, 101))) == 50


def test_draw_all_and_cli_write_pngs_and_a_run(tmp_path):
    from refs.tracking import read_config

    assert plot.main(["--out", str(tmp_path / "figs"), "--run-dir", str(tmp_path / "run")]) == 0
    names = {"binary_losses", "margin_losses", "regression_losses", "bernoulli_entropy"}
    for name in names:
        assert (tmp_path / "figs" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    assert set(read_config(tmp_path / "run")["hparams"]["figures"]) == names
    assert list((tmp_path / "run").glob("events.out.tfevents.*"))


def test_plot_defaults_to_the_runs_own_figures_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may land in ./docs/figures of the working folder
    assert plot.main(["--run-dir", str(tmp_path / "run")]) == 0
    assert sorted(p.name for p in (tmp_path / "run" / "figures").glob("*.png")) == [
        "bernoulli_entropy.png", "binary_losses.png", "margin_losses.png",
        "regression_losses.png"]
    assert not (tmp_path / "docs").exists()
