"""refs.training.TrainingSession: lock, resume, fallback past a corrupt checkpoint, no record
logged twice after a crash, divergence warning, results.json."""

import json
import os
import signal
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import tensorboard_event_counts

from refs.errors import CheckpointError, UsageError
from refs.tracking import read_metrics
from refs.training import RunInUseError, RunLock, TrainingSession


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(1e-2), "mse")
    model.optimizer.build(model.trainable_variables)
    return model


def _groups(model):
    return {"model": model.variables, "optimizer": model.optimizer.variables}


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    return x, x.sum(1, keepdims=True)


def _train(run_dir, epochs, **session_kwargs):
    """A session over a tiny regression model: 4 steps an epoch, a record every 2 steps."""
    x, y = _data()
    with TrainingSession("test", {"width": 1}, run_dir=run_dir, resume_keys=("width",),
                         **session_kwargs) as session:
        model = _model()
        session.restore(lambda: _groups(model))
        model.fit(x, y, batch_size=8, epochs=epochs, initial_epoch=session.counter.epoch,
                  verbose=0, shuffle=False,
                  callbacks=session.callbacks(_groups, log_every=2))
        session.raise_if_failed()
        return session.finish({"extra": 1}), model


def test_a_second_writer_is_refused_and_a_killed_holder_leaves_no_stale_lock(tmp_path):
    with RunLock(tmp_path / "run"):
        with pytest.raises(RunInUseError, match=f"in use by pid {os.getpid()}"):
            RunLock(tmp_path / "run").acquire()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from refs.training.lock import RunLock; "
         f"lock = RunLock({str(tmp_path / 'run')!r}).acquire(); print('held', flush=True); "
         "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunInUseError):
            RunLock(tmp_path / "run").acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    with RunLock(tmp_path / "run") as lock:  # the kernel released the killed holder's lock
        assert lock.held


def test_run_directory_that_is_a_file_is_a_usage_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        TrainingSession("test", {}, run_dir=tmp_path / "file")
    with pytest.raises(UsageError, match="cannot create the run directory"):
        TrainingSession("test", {}, run_dir=tmp_path / "file" / "sub")


def test_resume_continues_the_clock_and_logs_each_record_once(tmp_path):
    run = tmp_path / "run"
    results, _ = _train(run, epochs=3)
    assert (results["epochs"], results["steps"], results["extra"]) == (3, 12, 1)
    # A crash after epoch 3 was logged but before its checkpoint: only epochs 1-2 are saved.
    (run / "checkpoints" / "ckpt-000003.npz").unlink()
    (run / "checkpoints" / "ckpt-000003.npz.tmp").write_bytes(b"partial")
    results, _ = _train(run, epochs=4)
    assert (results["epochs"], results["steps"]) == (4, 16)
    assert not (run / "checkpoints" / "ckpt-000003.npz.tmp").exists()
    records = read_metrics(run)
    keys = [(r["kind"], r["step"]) for r in records]
    assert len(keys) == len(set(keys)), "a record was logged twice"
    assert [r["epoch"] for r in records if r["kind"] == "epoch"] == [1, 2, 3, 4]
    assert [r["step"] for r in records if r["kind"] == "step"] == list(range(2, 17, 2))
    assert [r["epoch"] for r in records if r["kind"] == "step"] == [1, 1, 2, 2, 3, 3, 4, 4]
    counts = tensorboard_event_counts(run)
    assert counts and max(counts.values()) == 1, [k for k, n in counts.items() if n > 1]
    assert ("epoch/loss", 16) in counts and ("step/loss", 14) in counts
    assert json.loads((run / "results.json").read_text())["steps"] == 16


def test_a_corrupt_newest_checkpoint_falls_back_to_the_previous_one(tmp_path, capsys):
    run = tmp_path / "run"
    _, model = _train(run, epochs=2)
    first = run / "checkpoints" / "ckpt-000001.npz"
    newest = run / "checkpoints" / "ckpt-000002.npz"
    newest.write_bytes(newest.read_bytes()[:200])  # truncated
    with TrainingSession("test", {"width": 1}, run_dir=run) as session:
        restored = _model()
        meta = session.restore(lambda: _groups(restored))
    assert meta["epoch"] == 1 and session.restored_from == first
    err = capsys.readouterr().err
    assert f"warning: checkpoint {newest} is unreadable" in err and "previous" in err
    first.write_bytes(b"")
    with TrainingSession("test", {"width": 1}, run_dir=run) as session:
        with pytest.raises(CheckpointError, match="no checkpoint in .* reads back"):
            session.restore(lambda: _groups(_model()))


def test_other_settings_than_the_checkpoints_are_refused(tmp_path):
    _train(tmp_path / "run", epochs=1)
    with TrainingSession("test", {"width": 2}, run_dir=tmp_path / "run",
                         resume_keys=("width",)) as session:
        with pytest.raises(UsageError, match="width: checkpoint 1 vs now 2"):
            session.restore(lambda: _groups(_model()))


def test_a_run_killed_before_its_first_checkpoint_starts_over_cleanly(tmp_path):
    run = tmp_path / "run"
    _train(run, epochs=1)
    (run / "checkpoints" / "ckpt-000001.npz").unlink()
    results, _ = _train(run, epochs=1)
    assert results["steps"] == 4
    keys = [(r["kind"], r["step"]) for r in read_metrics(run)]
    assert len(keys) == len(set(keys))


def test_divergence_is_warned_once_in_the_log_and_tensorboard(tmp_path, capsys):
    x, y = _data()
    with TrainingSession("test", {}, run_dir=tmp_path / "run") as session:
        model = _model()
        model.compile(keras.optimizers.SGD(10.0), "mse")  # diverges within a few steps
        callbacks = session.callbacks(_groups, divergence_bounds={"loss": (None, 1e3)},
                                      divergence_patience=3)
        model.fit(x, y * 1e3, batch_size=8, epochs=3, verbose=0, callbacks=callbacks)
        results = session.finish()
    err = capsys.readouterr().err
    assert err.count("warning: loss has stayed above 1000") == 1
    assert len(results["warnings"]) == 1 and "diverging" in results["warnings"][0]
    assert any(tag == "warnings" for tag, _ in tensorboard_event_counts(tmp_path / "run"))


def test_a_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    from refs.errors import TrainingError

    x, y = _data()
    y[20:] = np.nan  # the third batch of every epoch
    with TrainingSession("test", {}, run_dir=tmp_path / "run") as session:
        model = _model()
        session.restore(lambda: _groups(model))
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False,
                  callbacks=session.callbacks(_groups))
        with pytest.raises(TrainingError, match="non-finite loss at step 3.*none"):
            session.raise_if_failed()
    assert not list((tmp_path / "run" / "checkpoints").glob("*.npz"))
