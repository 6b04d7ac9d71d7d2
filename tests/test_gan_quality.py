"""The feature classifier and the quality metrics on real MNIST (slow: the classifier trains
once, about 3 minutes on 2 CPU cores, then comes from the cache)."""

import numpy as np
import pytest

from refs.data import load_mnist
from refs.gan import classifier
from refs.gan.config import TrainConfig
from refs.gan.metrics import QualityEvaluator, real_data_floor
from refs.gan.trainer import train
from refs.tracking import read_metrics


@pytest.fixture(scope="module")
def evaluator(mnist_path):
    return QualityEvaluator.for_mnist(mnist_path)


@pytest.mark.slow
def test_classifier_is_cached_and_accurate(mnist_path, evaluator):
    (x_train, y_train), (x_test, y_test) = load_mnist(mnist_path)
    path = classifier.cached_path(classifier.data_fingerprint(x_train, y_train))
    assert path.is_file()
    info = classifier.classifier_info(path)
    assert info["test_accuracy"] >= 0.99
    _, probs = evaluator.features(x_test)
    assert (probs.argmax(1) == y_test).mean() >= 0.99


@pytest.mark.slow
def test_real_data_floor_is_far_below_noise_and_blanks(mnist_path, evaluator):
    (x_train, _), _ = load_mnist(mnist_path)
    floor = real_data_floor(evaluator, x_train, n=5000)
    rng = np.random.default_rng(0)
    noise = rng.uniform(-1, 1, (5000, 28, 28)).astype("float32")
    blank = np.full((5000, 28, 28), -1.0, "float32")
    for bad in (noise, blank):
        scores = evaluator.evaluate(bad)
        assert scores["fid"] > 50 * floor["fid"]
        assert scores["kid"] > 50 * abs(floor["kid"])
    assert floor["classifier_score"] > 9.0
    # real digits lie on the real manifold and cover it; noise and blanks do neither
    assert floor["precision"] > 0.6 and floor["recall"] > 0.6
    for bad in (noise, blank):
        scores = evaluator.evaluate(bad)
        assert scores["precision"] < 0.05
    assert evaluator.evaluate(blank)["classifier_score"] < 1.5
    # One digit class only: a low classifier score even though every image is real.
    ones = x_train[load_mnist(mnist_path)[0][1] == 1][:2000]
    assert evaluator.evaluate(ones)["classifier_score"] < 1.5


@pytest.mark.slow
@pytest.mark.usefixtures("evaluator")  # trains and caches the feature classifier first
def test_trainer_logs_fid_each_epoch(tmp_path, mnist_path):
    run_dir = tmp_path / "run"
    train(TrainConfig(width=4, latent_dim=8, batch_size=32, steps_per_epoch=3, epochs=2,
                      fid_samples=500, verbose=0, jit=False, run_dir=str(run_dir),
                      data=str(mnist_path)))
    evals = read_metrics(run_dir, kind="eval")
    assert [e["epoch"] for e in evals] == [1, 2]
    assert all(e["fid"] > 0 and 1.0 <= e["classifier_score"] <= 10.0 and "kid" in e
               and 0.0 <= e["precision"] <= 1.0 and 0.0 <= e["recall"] <= 1.0
               and e["train_time_s"] > 0 for e in evals)
