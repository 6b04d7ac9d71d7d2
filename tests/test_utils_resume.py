import numpy as np
import pytest

from refs.errors import UsageError
from refs.utils.checkpoint import CheckpointManager, check_resumable, latest_run_with_checkpoint


class _Var:
    def __init__(self, value):
        self.value = np.asarray(value, np.float32)

    def numpy(self):
        return self.value

    def assign(self, value):
        self.value = np.asarray(value, np.float32)


def test_latest_run_with_checkpoint_skips_runs_without_one(tmp_path):
    for name in ("20260101T000000Z-a", "20260102T000000Z-b", "20260103T000000Z-c"):
        (tmp_path / name).mkdir()
    for name in ("20260101T000000Z-a", "20260102T000000Z-b"):
        CheckpointManager(tmp_path / name / "checkpoints").save(1, {"m": [_Var([1.0])]}, {})
    assert latest_run_with_checkpoint(tmp_path).name == "20260102T000000Z-b"


def test_latest_run_with_checkpoint_explains_when_none(tmp_path):
    with pytest.raises(UsageError, match="no run with a checkpoint under .*pass --run-dir"):
        latest_run_with_checkpoint(tmp_path / "missing")


def test_check_resumable_names_every_difference():
    check_resumable({"arch": "lean", "lr": 1.0}, {"arch": "lean", "lr": 2.0}, ["arch"], "r")
    with pytest.raises(UsageError) as err:
        check_resumable({"arch": "lean", "width": 64}, {"arch": "tutorial", "width": 32},
                        ["arch", "width"], "runs/x")
    msg = str(err.value)
    assert "runs/x" in msg and "arch: checkpoint 'lean' vs now 'tutorial'" in msg
    assert "width: checkpoint 64 vs now 32" in msg
