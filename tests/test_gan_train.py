"""The GAN trainer end to end on a tiny MNIST subset: artifacts, resume, NaN guard, sample CLI."""

import json

import numpy as np
import pytest

from refs.errors import TrainingError, UsageError
from refs.gan import sample as sample_cli
from refs.gan import train as train_cli
from refs.gan.config import TrainConfig
from refs.gan.trainer import train
from refs.tracking import read_metrics
from refs.utils.checkpoint import CheckpointManager

TINY = dict(width=4, latent_dim=8, batch_size=32, steps_per_epoch=3, fid_samples=0, verbose=0,
            log_every=1, jit=False)


def test_train_writes_the_run_and_continues(tmp_path, tiny_mnist):
    run_dir = tmp_path / "run"
    results = train(TrainConfig(epochs=2, run_dir=str(run_dir), data=str(tiny_mnist), **TINY))
    assert results["steps"] == 6 and results["epochs"] == 2
    for name in ("config.json", "metrics.jsonl", "generator.keras", "samples.gif",
                 "results.json", "figures/samples_000001.png", "figures/samples_000002.png",
                 "checkpoints/ckpt-000002.npz"):
        assert (run_dir / name).is_file(), name
    assert list(run_dir.glob("events.out.tfevents.*"))
    steps = read_metrics(run_dir, kind="step")
    assert [r["step"] for r in steps] == [1, 2, 3, 4, 5, 6]
    assert {"d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm"} <= set(steps[0])
    assert [r["epoch"] for r in read_metrics(run_dir, kind="epoch")] == [1, 2]
    _, meta = CheckpointManager.read(run_dir / "checkpoints" / "ckpt-000002.npz")
    assert meta["epoch"] == 2 and meta["step"] == 6 and meta["config"]["width"] == 4

    # Rerunning into the same directory continues from the checkpoint.
    results = train(TrainConfig(epochs=3, run_dir=str(run_dir), data=str(tiny_mnist), **TINY))
    assert results["steps"] == 9
    assert [r["step"] for r in read_metrics(run_dir, kind="step")][-3:] == [7, 8, 9]
    assert json.loads((run_dir / "results.json").read_text())["steps"] == 9

    with pytest.raises(UsageError, match="width: checkpoint 4 vs now 8"):
        train(TrainConfig(epochs=4, run_dir=str(run_dir), data=str(tiny_mnist),
                          **{**TINY, "width": 8}))


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, tiny_mnist):
    run_dir = tmp_path / "run"
    train(TrainConfig(epochs=1, run_dir=str(run_dir), data=str(tiny_mnist), **TINY))
    good = run_dir / "checkpoints" / "ckpt-000001.npz"
    before = good.read_bytes()
    with pytest.raises(TrainingError, match=r"non-finite loss at step \d+ .*ckpt-000001"):
        # An absurd learning rate blows the weights up within a step or two.
        train(TrainConfig(epochs=3, lr=1e30, run_dir=str(run_dir), data=str(tiny_mnist),
                          **{**TINY, "steps_per_epoch": 8}))
    assert good.read_bytes() == before
    assert [p.name for p in CheckpointManager(run_dir / "checkpoints").checkpoints()] == [
        "ckpt-000001.npz"]


def test_sample_cli_writes_uint8_images_and_a_grid(tmp_path, tiny_mnist):
    run_dir = tmp_path / "run"
    train(TrainConfig(epochs=1, run_dir=str(run_dir), data=str(tiny_mnist), **TINY))
    out, grid = tmp_path / "s.npz", tmp_path / "g.png"
    code = sample_cli.main([str(run_dir), "--n", "12", "--out", str(out), "--grid", str(grid)])
    assert code == 0 and grid.is_file()
    with np.load(out) as d:
        images = d["images"]
    assert images.shape == (12, 28, 28) and images.dtype == np.uint8
    assert images.std() > 0
    again = sample_cli.sample_images(sample_cli.load_generator(run_dir), 12, seed=0)
    np.testing.assert_array_equal(images, again)   # same seed, same images


def test_sample_cli_errors(tmp_path, capsys):
    from refs.cli import guarded

    out = str(tmp_path / "x.npz")
    assert guarded(sample_cli.main, [str(tmp_path), "--n", "2", "--out", out]) == 1
    assert "no generator.keras in" in capsys.readouterr().err
    (tmp_path / "generator.keras").write_bytes(b"PK\x03\x04 garbage")
    assert guarded(sample_cli.main, [str(tmp_path), "--n", "2", "--out", out]) == 1
    err = capsys.readouterr().err
    assert "is not a readable Keras model" in err and err.count("\n") == 1
    assert guarded(sample_cli.main, [str(tmp_path), "--out", str(tmp_path / "f" / "x.npz")]) == 1
    assert guarded(sample_cli.main, [str(tmp_path), "--out", str(tmp_path)]) == 2  # not .npz
    assert guarded(sample_cli.main, [str(tmp_path), "--n", "2", "--out", "x.png"]) == 2
    with pytest.raises(SystemExit) as exc:
        sample_cli.main([str(tmp_path), "--n", "0", "--out", "x.npz"])
    assert exc.value.code == 2


@pytest.mark.parametrize("argv", [["--loss", "wasserstein"], ["--width", "0"],
                                  ["--arch", "big"], ["--lr", "-1"],
                                  ["--strategy", "tpu"], ["--label-smoothing", "2"],
                                  ["--ema", "1"], ["--ema", "0"], ["--ema", "-0.5"]])
def test_train_cli_rejects_bad_flags(argv):
    with pytest.raises(SystemExit) as exc:
        train_cli.build_parser().parse_args(argv)
    assert exc.value.code == 2


def test_train_cli_rejects_bad_combinations():
    with pytest.raises(UsageError, match="--width"):
        train_cli.main(["--arch", "tutorial", "--width", "32"])
    with pytest.raises(UsageError, match="--label-smoothing"):
        train_cli.main(["--loss", "hinge", "--label-smoothing", "0.1"])


def test_ema_run_saves_the_averaged_generator_and_resumes(tmp_path, tiny_mnist):
    import keras

    run_dir = tmp_path / "run"
    config = dict(run_dir=str(run_dir), data=str(tiny_mnist), ema=0.9, **TINY)
    train(TrainConfig(epochs=1, **config))
    saved = keras.saving.load_model(run_dir / "generator.keras", compile=False)
    ckpt, meta = CheckpointManager.read(run_dir / "checkpoints" / "ckpt-000001.npz")
    assert meta["config"]["ema"] == 0.9
    # generator.keras holds the weight average, which the checkpoint carries as optimizer state:
    # every trainable weight of the saved generator is one of the g_optimizer arrays.
    optimizer_arrays = ckpt["g_optimizer"]
    for w in saved.trainable_weights:
        assert any(a.shape == w.shape and np.array_equal(a, w.numpy())
                   for a in optimizer_arrays), w.path
    raw = ckpt["model"]  # the generator's own (trained) weights differ from their average
    kernel = saved.trainable_weights[0].numpy()
    assert not any(a.shape == kernel.shape and np.array_equal(a, kernel) for a in raw)
    results = train(TrainConfig(epochs=2, **config))
    assert results["steps"] == 6
    with pytest.raises(UsageError, match="ema: checkpoint 0.9 vs now 0.99"):
        train(TrainConfig(epochs=3, **{**config, "ema": 0.99}))
