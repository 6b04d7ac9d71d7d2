import zipfile

import numpy as np
import pytest

from refs.data import mnist as mnist_mod
from refs.data.mnist import MNIST_ENV_VAR, load_mnist, resolve_mnist_path
from refs.errors import DataError


def _write_fake(path, n_train=12, n_test=5, **overrides):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test).astype(np.uint8),
    }
    arrays.update(overrides)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return arrays


def test_explicit_path_is_read_exactly(tmp_path, monkeypatch):
    monkeypatch.delenv(MNIST_ENV_VAR, raising=False)
    arrays = _write_fake(tmp_path / "m.npz")
    (xtr, ytr), (xte, yte) = load_mnist(tmp_path / "m.npz")
    np.testing.assert_array_equal(xtr, arrays["x_train"])
    np.testing.assert_array_equal(yte, arrays["y_test"])
    assert xtr.dtype == np.uint8 and ytr.shape == (12,) and xte.shape == (5, 28, 28)


def test_env_var_is_used_when_no_path(tmp_path, monkeypatch):
    arrays = _write_fake(tmp_path / "env.npz", n_train=7)
    monkeypatch.setenv(MNIST_ENV_VAR, str(tmp_path / "env.npz"))
    (xtr, _), _ = load_mnist()
    np.testing.assert_array_equal(xtr, arrays["x_train"])


def test_explicit_path_wins_over_env_var(tmp_path, monkeypatch):
    _write_fake(tmp_path / "env.npz", n_train=7)
    _write_fake(tmp_path / "arg.npz", n_train=9)
    monkeypatch.setenv(MNIST_ENV_VAR, str(tmp_path / "env.npz"))
    (xtr, _), _ = load_mnist(tmp_path / "arg.npz")
    assert xtr.shape[0] == 9
    assert resolve_mnist_path(tmp_path / "arg.npz") == tmp_path / "arg.npz"


def test_without_path_or_env_keras_download_is_used(monkeypatch):
    monkeypatch.delenv(MNIST_ENV_VAR, raising=False)
    calls = []
    x = np.zeros((3, 28, 28), np.uint8)
    y = np.array([1, 2, 3], np.uint8)

    def fake_load_data():
        calls.append(1)
        return (x, y), (x[:2], y[:2])

    import keras

    monkeypatch.setattr(keras.datasets.mnist, "load_data", fake_load_data)
    (xtr, ytr), (xte, _) = load_mnist()
    assert calls == [1] and xtr.shape == (3, 28, 28) and xte.shape == (2, 28, 28)


def test_failed_download_says_what_to_do(monkeypatch):
    monkeypatch.delenv(MNIST_ENV_VAR, raising=False)
    import keras

    def offline():
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DataError) as err:
        load_mnist()
    msg = str(err.value)
    assert "could not download MNIST" in msg and MNIST_ENV_VAR in msg and "--data" in msg


def test_missing_file_names_file_and_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv(MNIST_ENV_VAR, str(tmp_path / "nope.npz"))
    with pytest.raises(DataError) as err:
        load_mnist()
    msg = str(err.value)
    assert "not found" in msg and "nope.npz" in msg and f"${MNIST_ENV_VAR}" in msg


def test_corrupt_file_is_reported(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not a zip archive" * 10)
    with pytest.raises(DataError, match="corrupt"):
        load_mnist(bad)


def test_truncated_archive_is_reported(tmp_path):
    _write_fake(tmp_path / "m.npz")
    data = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="corrupt"):
        load_mnist(tmp_path / "cut.npz")


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(DataError, match="directory"):
        load_mnist(tmp_path)


def test_missing_key_lists_expected_keys(tmp_path):
    _write_fake(tmp_path / "m.npz", y_test=None)
    with pytest.raises(DataError) as err:
        load_mnist(tmp_path / "m.npz")
    assert "y_test" in str(err.value) and "x_train (N, 28, 28)" in str(err.value)


@pytest.mark.parametrize(
    "override, fragment",
    [
        ({"x_train": np.zeros((4, 32, 32), np.uint8)}, "x_train has shape (4, 32, 32)"),
        ({"y_train": np.zeros((3,), np.uint8)}, "y_train has shape (3,) for 12 images"),
        ({"x_test": np.zeros((5, 28, 28), np.float32)}, "x_test has dtype float32"),
        ({"y_test": np.full((5,), 11, np.int64)}, "labels 0..9"),
    ],
)
def test_wrong_content_is_reported(tmp_path, override, fragment):
    _write_fake(tmp_path / "m.npz", **override)
    with pytest.raises(DataError) as err:
        load_mnist(tmp_path / "m.npz")
    assert fragment in str(err.value)


def test_bad_zip_member_is_reported(tmp_path):
    path = tmp_path / "z.npz"
    with zipfile.ZipFile(path, "w") as zf:
        for key in ("x_train", "y_train", "x_test", "y_test"):
            zf.writestr(f"{key}.npy", b"garbage")
    with pytest.raises(DataError, match="corrupt"):
        load_mnist(path)


def test_real_mnist_file(mnist_path):
    (xtr, ytr), (xte, yte) = load_mnist(mnist_path)
    assert xtr.shape == (60000, 28, 28) and xte.shape == (10000, 28, 28)
    assert np.bincount(yte, minlength=10).tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009
    ]
    assert mnist_mod.EXPECTED_KEYS == ("x_train", "y_train", "x_test", "y_test")
