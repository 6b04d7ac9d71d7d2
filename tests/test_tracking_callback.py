import keras
import numpy as np
import pytest

from refs.tracking import Run, TrackingCallback, plot_learning_curves, read_metrics
from refs.tracking.curves import history_from_run


def _fit(run, epochs=3, **cb_kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x.sum(1, keepdims=True) > 0).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, validation_split=0.25, epochs=epochs, batch_size=16, verbose=0,
                     callbacks=[TrackingCallback(run, **cb_kwargs)])


def test_callback_logs_every_epoch_with_validation(tmp_path):
    with Run("classic", run_dir=tmp_path / "r") as run:
        history = _fit(run, every_n_steps=2, histograms=True)
    epochs = read_metrics(tmp_path / "r", kind="epoch")
    assert [r["epoch"] for r in epochs] == [1, 2, 3]
    for rec, loss, val in zip(epochs, history.history["loss"], history.history["val_loss"]):
        assert rec["loss"] == pytest.approx(loss, rel=1e-6)
        assert rec["val_loss"] == pytest.approx(val, rel=1e-6)
        assert "accuracy" in rec and "val_accuracy" in rec
    steps = read_metrics(tmp_path / "r", kind="step")
    assert len(steps) == 3 * 3 // 2  # 3 batches per epoch, every 2nd step
    assert history_from_run(tmp_path / "r")["loss"] == [r["loss"] for r in epochs]


def test_learning_curves_png_from_run_and_from_history(tmp_path):
    import matplotlib.image as mpimg

    with Run("classic", run_dir=tmp_path / "r") as run:
        history = _fit(run)
    png = plot_learning_curves(tmp_path / "r")
    assert png == tmp_path / "r" / "figures" / "learning_curves.png"
    img = mpimg.imread(png)
    assert img.shape[1] > img.shape[0]  # two panels side by side: loss, accuracy
    png2 = plot_learning_curves(history, tmp_path / "h.png", title="bce")
    assert png2.exists()


def test_learning_curves_without_epochs_is_an_error(tmp_path):
    with Run("classic", run_dir=tmp_path / "r") as run:
        run.log_scalars({"x": 1}, step=1)
    with pytest.raises(ValueError, match="no epoch metrics"):
        plot_learning_curves(tmp_path / "r")
