import subprocess
import sys

import pytest

from refs.cli import guarded, make_parser
from refs.errors import DataError, UsageError


def _parser():
    return make_parser("refs.test", "test parser", epochs=3, batch_size=8)


def test_common_flags_and_defaults():
    args = _parser().parse_args([])
    assert (args.epochs, args.batch_size, args.seed, args.data, args.run_dir) == (3, 8, 0, None,
                                                                                 None)
    args = _parser().parse_args(["--epochs", "5", "--data", "m.npz", "--run-dir", "x"])
    assert (args.epochs, args.data, args.run_dir) == (5, "m.npz", "x")


@pytest.mark.parametrize("argv, fragment", [
    (["--epochs", "0"], "expected a positive integer, got '0'"),
    (["--batch-size", "abc"], "expected a positive integer, got 'abc'"),
    (["--seed", "-3"], "expected a non-negative integer"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_arguments_exit_2_with_one_line(capsys, argv, fragment):
    with pytest.raises(SystemExit) as exc:
        _parser().parse_args(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1


def test_guarded_maps_errors_to_exit_codes(capsys):
    def data_fail(_argv):
        raise DataError("MNIST file not found: x.npz")

    def usage_fail(_argv):
        raise UsageError("--arch must be one of ...")

    assert guarded(lambda _argv: 0) == 0
    assert guarded(data_fail) == 1
    assert "error: MNIST file not found: x.npz" in capsys.readouterr().err
    assert guarded(usage_fail) == 2


def test_user_error_has_no_traceback_in_a_real_process(tmp_path):
    code = (
        "from refs.cli import run_cli\n"
        "from refs.data import load_mnist\n"
        f"run_cli(lambda argv: load_mnist({str(tmp_path / 'missing.npz')!r}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "MNIST file not found" in proc.stderr
