"""The small MNIST classifier whose features the GAN metrics use (FID, KID, classifier score).

The package trains it itself: deterministically (TensorFlow op determinism, fixed seed, fixed
epochs) in a child process, so the caller's process is not switched to deterministic ops. The
result is cached as ``<cache>/mnist_classifier_v1_<data hash>.keras`` with a JSON sidecar that
records its test accuracy (>= 99% or it is rejected). ``<cache>`` is ``$REFS_CACHE_DIR``, else
``$XDG_CACHE_HOME/refs``, else ``~/.cache/refs``; it is never in git.

Network (input in [-1, 1], the generator's range): Conv 32 3x3 ReLU -> MaxPool -> Conv 64 3x3
ReLU -> MaxPool -> Flatten -> Dense 128 ReLU (``features``) -> Dropout 0.3 -> Dense 10 (logits);
5 epochs, Adam with cosine decay from 1e-3.

Example:
    >>> clf = get_classifier("/work/shared/data/mnist.npz")   # trains once (about 2 min), cached
    >>> features, probs = classifier_outputs(clf, images)      # (N, 128), (N, 10)
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from refs.errors import TrainingError

VERSION = "v1"
EPOCHS = 5
SEED = 1234
MIN_TEST_ACCURACY = 0.99
FEATURE_LAYER = "features"


def cache_dir() -> Path:
    """``$REFS_CACHE_DIR``, else ``$XDG_CACHE_HOME/refs``, else ``~/.cache/refs``."""
    if os.environ.get("REFS_CACHE_DIR"):
        return Path(os.environ["REFS_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "refs"


def data_fingerprint(x_train: np.ndarray, y_train: np.ndarray) -> str:
    """A short hash of the training data (a different file gives a different cache entry)."""
    h = hashlib.sha1()
    h.update(np.ascontiguousarray(x_train).tobytes())
    h.update(np.ascontiguousarray(y_train).tobytes())
    return h.hexdigest()[:12]


def build_classifier():
    """The feature classifier (see the module docstring); outputs logits."""
    import keras
    from keras import layers

    x = inp = keras.Input((28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu", name=FEATURE_LAYER)(x)
    x = layers.Dropout(0.3)(x)
    return keras.Model(inp, layers.Dense(10, name="logits")(x), name="mnist_classifier")


def _to_input(images: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] or float [-1, 1], (N, 28, 28[, 1]) -> float32 (N, 28, 28, 1) in [-1, 1]."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[1:] != (28, 28, 1):
        raise ValueError(f"images must have shape (N, 28, 28) or (N, 28, 28, 1), "
                         f"got {images.shape}")
    if images.dtype == np.uint8:
        return (images.astype(np.float32) - 127.5) / 127.5
    return images.astype(np.float32)


def train_classifier(x_train, y_train, x_test, y_test, epochs: int = EPOCHS, seed: int = SEED,
                     verbose: int = 1):
    """Train :func:`build_classifier` (Adam, cosine decay from 1e-3, batch 128); returns
    ``(model, test_acc)``.

    Deterministic when the process has op determinism on (``seed_everything(seed, True)``).
    """
    import keras

    from refs.utils import seed_everything

    seed_everything(seed)
    model = build_classifier()
    steps = epochs * -(-len(x_train) // 128)
    model.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, steps)),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(_to_input(x_train), y_train, batch_size=128, epochs=epochs, shuffle=True,
              verbose=verbose)
    _, acc = model.evaluate(_to_input(x_test), y_test, batch_size=1000, verbose=0)
    return model, float(acc)


def cached_path(fingerprint: str) -> Path:
    return cache_dir() / f"mnist_classifier_{VERSION}_{fingerprint}.keras"


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def get_classifier(data: str | os.PathLike | None = None):
    """The cached classifier for this MNIST file, trained first (in a child process) if absent.

    Raises :class:`refs.errors.TrainingError` if training did not reach 99% test accuracy.
    """
    import keras

    from refs.data import load_mnist

    (x_train, y_train), _ = load_mnist(data)
    path = cached_path(data_fingerprint(x_train, y_train))
    with _locked(path):
        if not path.exists():
            print(f"training the MNIST feature classifier (once; cached at {path})",
                  file=sys.stderr)
            cmd = [sys.executable, "-m", "refs.gan.classifier", "--out", str(path)]
            if data is not None:
                cmd += ["--data", str(data)]
            proc = subprocess.run(cmd)
            if proc.returncode != 0 or not path.exists():
                raise TrainingError(f"training the feature classifier failed ({' '.join(cmd)})")
    return keras.saving.load_model(path, compile=False)


def classifier_info(model_path: Path) -> dict:
    """The sidecar JSON of a cached classifier (test accuracy, seed, epochs, data hash)."""
    return json.loads(model_path.with_suffix(".json").read_text())


def feature_model(classifier):
    """A model returning ``(features, probabilities)`` for images in [-1, 1]."""
    import keras

    features = classifier.get_layer(FEATURE_LAYER).output
    probs = keras.layers.Softmax()(classifier.output)
    return keras.Model(classifier.input, [features, probs])


def classifier_outputs(classifier_or_features, images, batch_size: int = 1000):
    """``(features (N, 128), class probabilities (N, 10))`` as float64 numpy arrays."""
    model = classifier_or_features
    if len(model.outputs) == 1:
        model = feature_model(model)
    x = _to_input(images)
    feats, probs = [], []
    for i in range(0, len(x), batch_size):
        f, p = model(x[i:i + batch_size], training=False)
        feats.append(np.asarray(f, np.float64))
        probs.append(np.asarray(p, np.float64))
    return np.concatenate(feats), np.concatenate(probs)


def _main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Train and cache the MNIST feature classifier.")
    parser.add_argument("--out", required=True)
    parser.add_argument("--data", default=None)
    args = parser.parse_args(argv)
    from refs.data import load_mnist
    from refs.utils import seed_everything

    seed_everything(SEED, deterministic=True)
    (x_train, y_train), (x_test, y_test) = load_mnist(args.data)
    model, acc = train_classifier(x_train, y_train, x_test, y_test)
    if acc < MIN_TEST_ACCURACY:
        print(f"error: classifier test accuracy {acc:.4f} < {MIN_TEST_ACCURACY}", file=sys.stderr)
        return 1
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".tmp.keras")
    model.save(tmp)
    out.with_suffix(".json").write_text(json.dumps({
        "test_accuracy": acc, "seed": SEED, "epochs": EPOCHS, "version": VERSION,
        "data_fingerprint": data_fingerprint(x_train, y_train)}, indent=2) + "\n")
    os.replace(tmp, out)
    print(f"classifier test accuracy {acc:.4f}; saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
