"""What --resume continues and with which settings (refs.training.resume, checkpoint lookup)."""

import dataclasses
import json

import numpy as np
import pytest

from refs.errors import UsageError
from refs.training.resume import (
    find_run,
    merge_saved_settings,
    settings_to_continue,
)
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


def test_latest_run_with_checkpoint_is_none_when_there_is_none(tmp_path):
    assert latest_run_with_checkpoint(tmp_path / "missing") is None


def test_find_run_says_when_there_is_nothing_to_resume(tmp_path, capsys):
    assert find_run("gan", resume=True, root=tmp_path) is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nothing to resume" in err and "starting a new run" in err
    assert find_run("gan", run_dir=tmp_path / "x", resume=True) == tmp_path / "x"
    assert "nothing to resume in" in capsys.readouterr().err
    assert find_run("gan", resume=False, root=tmp_path) is None
    assert capsys.readouterr().err == ""


@dataclasses.dataclass
class _Config:
    arch: str = "infogan"
    lr: float = 1e-3
    epochs: int = 4
    sizes: tuple = (1.0, 2.0)
    run_dir: str | None = None
    resume: bool = False


def test_merge_saved_settings_reuses_what_was_not_given():
    saved = {"arch": "lean", "lr": 0.5, "epochs": 9, "sizes": [3.0, 4.0], "unknown": 1}
    merged = merge_saved_settings(_Config(lr=0.1), saved, explicit={"lr"}, fixed=("arch",))
    assert merged == _Config(arch="lean", lr=0.1, epochs=9, sizes=(3.0, 4.0))


def test_merge_saved_settings_rejects_a_conflicting_fixed_setting():
    with pytest.raises(UsageError, match="arch: saved 'lean', given 'tutorial'"):
        merge_saved_settings(_Config(arch="tutorial"), {"arch": "lean"}, {"arch"}, ("arch",))
    # the same value given explicitly is fine
    merged = merge_saved_settings(_Config(arch="lean"), {"arch": "lean"}, {"arch"}, ("arch",))
    assert merged.arch == "lean"


def test_settings_to_continue_reads_the_run_and_spends_resume(tmp_path):
    run = tmp_path / "gan" / "20260101T000000Z"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"hparams": {"arch": "lean", "epochs": 7}}))
    CheckpointManager(run / "checkpoints").save(1, {"m": [_Var([1.0])]}, {})
    config = settings_to_continue("gan", _Config(run_dir=str(run), resume=True), set(), ("arch",))
    assert (config.arch, config.epochs, config.run_dir, config.resume) == ("lean", 7, str(run),
                                                                            False)
    fresh = _Config()
    assert settings_to_continue("gan", fresh, set(), ("arch",)) is fresh


def test_check_resumable_names_every_difference():
    check_resumable({"arch": "lean", "lr": 1.0}, {"arch": "lean", "lr": 2.0}, ["arch"], "r")
    with pytest.raises(UsageError) as err:
        check_resumable({"arch": "lean", "width": 64}, {"arch": "tutorial", "width": 32},
                        ["arch", "width"], "runs/x")
    msg = str(err.value)
    assert "runs/x" in msg and "arch: checkpoint 'lean' vs now 'tutorial'" in msg
    assert "width: checkpoint 64 vs now 32" in msg
