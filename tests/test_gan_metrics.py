"""FID, classifier score and KID on small synthetic features (closed forms), and the cache dir."""

import numpy as np
import pytest

from refs.gan import classifier
from refs.gan.metrics import (
    classifier_score,
    feature_statistics,
    fid_from_features,
    frechet_distance,
    kernel_inception_distance,
    polynomial_mmd2,
    standardise,
)

RNG = np.random.default_rng(0)


def test_fid_of_a_set_against_itself_is_zero():
    f = RNG.normal(size=(500, 16))
    assert fid_from_features(f, f) == pytest.approx(0.0, abs=1e-8)


def test_fid_closed_form_for_diagonal_gaussians():
    """FID(N(m1, diag(a)), N(m2, diag(b))) = ||m1 - m2||^2 + sum (sqrt(a) - sqrt(b))^2."""
    m1, m2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    expected = np.sum((m1 - m2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(m1, np.diag(a), m2, np.diag(b)) == pytest.approx(expected, rel=1e-10)


def test_fid_closed_form_for_rotated_covariances():
    """Commuting covariances S and S^2 (same eigenvectors): tr(S + S^2 - 2 S^{3/2})."""
    q, _ = np.linalg.qr(RNG.normal(size=(5, 5)))
    lam = np.array([0.5, 1.0, 2.0, 3.0, 4.0])
    s1, s2 = q @ np.diag(lam) @ q.T, q @ np.diag(lam ** 2) @ q.T
    expected = np.sum(lam + lam ** 2 - 2 * lam ** 1.5)
    assert frechet_distance(np.zeros(5), s1, np.zeros(5), s2) == pytest.approx(expected, rel=1e-9)


def test_fid_from_samples_approaches_the_population_value():
    a = RNG.normal(0.0, 1.0, size=(20000, 4))
    b = RNG.normal(0.5, 2.0, size=(20000, 4))
    expected = 4 * 0.25 + 4 * (1.0 - 2.0) ** 2
    assert fid_from_features(a, b) == pytest.approx(expected, rel=0.05)


def test_fid_is_symmetric_and_handles_singular_covariance():
    a = np.c_[RNG.normal(size=(300, 3)), np.zeros(300)]   # a constant dimension
    b = RNG.normal(size=(300, 4))
    assert np.isfinite(fid_from_features(a, b))
    assert fid_from_features(a, b) == pytest.approx(fid_from_features(b, a), rel=1e-6)


def test_feature_statistics_and_bad_input():
    mu, cov = feature_statistics(np.array([[0.0, 0.0], [2.0, 4.0]]))
    np.testing.assert_allclose(mu, [1.0, 2.0])
    np.testing.assert_allclose(cov, [[2.0, 4.0], [4.0, 8.0]])
    with pytest.raises(ValueError, match=r"shape \(N, d\)"):
        fid_from_features(np.zeros(10), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="NaN"):
        fid_from_features(np.full((3, 2), np.nan), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="covariances"):
        frechet_distance(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2))


def test_classifier_score_extremes():
    onehot = np.eye(10)[np.arange(1000) % 10]
    assert classifier_score(onehot) == pytest.approx(10.0, rel=1e-6)   # confident, balanced
    assert classifier_score(np.eye(10)[np.zeros(100, int)]) == pytest.approx(1.0)  # one class
    assert classifier_score(np.full((50, 10), 0.1)) == pytest.approx(1.0)  # undecided
    half = np.eye(10)[np.arange(1000) % 5]
    assert classifier_score(half) == pytest.approx(5.0, rel=1e-6)
    with pytest.raises(ValueError, match="summing to 1"):
        classifier_score(np.ones((4, 10)))


def test_polynomial_mmd2_closed_form():
    """One-dimensional, two points each: the unbiased estimator written out by hand."""
    x, y = np.array([[1.0], [2.0]]), np.array([[0.0], [3.0]])

    def k(a, b):
        return (a * b + 1.0) ** 3

    expected = (2 * k(1, 2)) / 2 + (2 * k(0, 3)) / 2 - 2 * np.mean(
        [k(1, 0), k(1, 3), k(2, 0), k(2, 3)])
    assert polynomial_mmd2(x, y) == pytest.approx(expected)


def test_kid_is_near_zero_for_the_same_distribution_and_positive_otherwise():
    a, b = RNG.normal(size=(2000, 8)), RNG.normal(size=(2000, 8))
    c = RNG.normal(1.0, 1.0, size=(2000, 8))
    same, _ = kernel_inception_distance(a, b, subsets=5, subset_size=500)
    diff, _ = kernel_inception_distance(a, c, subsets=5, subset_size=500)
    assert abs(same) < 0.05 and diff > 10 * abs(same) and diff > 0.1


def test_standardise_uses_the_reference_statistics():
    ref = RNG.normal(3.0, 2.0, size=(1000, 3))
    z = standardise(ref, ref)
    np.testing.assert_allclose(z.mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(0), 1.0, atol=1e-12)
    const = np.c_[ref, np.ones(1000)]
    assert np.all(np.isfinite(standardise(const, const)))


def test_cache_dir_honours_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("REFS_CACHE_DIR", str(tmp_path / "c"))
    assert classifier.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("REFS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert classifier.cache_dir() == tmp_path / "xdg" / "refs"


def test_classifier_input_scaling():
    x = np.array([[[0, 255]]], np.uint8).repeat(28, 1).repeat(14, 2)
    scaled = classifier._to_input(x)
    assert scaled.shape == (1, 28, 28, 1) and scaled.min() == -1.0 and scaled.max() == 1.0
    with pytest.raises(ValueError, match="28, 28"):
        classifier._to_input(np.zeros((2, 32, 32)))


def test_standardise_floors_the_scale_of_near_constant_dimensions():
    """A unit (almost) never active in the reference must not blow up when samples use it."""
    ref = np.c_[RNG.normal(0, 1, size=(1000, 3)), np.r_[np.zeros(999), 1e-6]]
    gen = np.c_[RNG.normal(0, 1, size=(1000, 3)), RNG.uniform(0, 1, 1000)]
    z = standardise(gen, ref)
    assert np.abs(z).max() < 100
    kid, _ = kernel_inception_distance(z, standardise(ref, ref), subsets=3, subset_size=500)
    raw = standardise(gen, ref, min_scale=0.0)   # divided by ~3e-8
    kid_raw, _ = kernel_inception_distance(raw, standardise(ref, ref, min_scale=0.0),
                                           subsets=3, subset_size=500)
    assert 0 < kid < 1e4 and kid_raw > 1e10


_TRAIN_TWICE = """
import sys
import numpy as np
from refs.data import load_mnist
from refs.gan import classifier
from refs.utils import seed_everything

seed_everything(classifier.SEED, deterministic=True)   # what `python -m refs.gan.classifier` does
(x, y), (xt, yt) = load_mnist(sys.argv[1])
model, acc = classifier.train_classifier(x, y, xt, yt, epochs=2, verbose=0)
np.savez(sys.argv[2], acc=acc, *[np.asarray(w) for w in model.get_weights()])
"""


def test_classifier_training_is_deterministic_across_processes(tiny_mnist, tmp_path):
    """The FID feature classifier is trained the way `refs.gan.classifier` trains it (op
    determinism, fixed seed) in two fresh processes: every weight must be bit-identical, so
    FIDs computed on two machines with the same MNIST file use the same feature space."""
    import subprocess
    import sys

    import numpy as np

    outs = [tmp_path / f"run{i}.npz" for i in range(2)]
    for out in outs:
        subprocess.run([sys.executable, "-c", _TRAIN_TWICE, str(tiny_mnist), str(out)],
                       check=True, capture_output=True, timeout=300)
    with np.load(outs[0]) as a, np.load(outs[1]) as b:
        assert sorted(a.files) == sorted(b.files) and len(a.files) == 9  # 8 weights + acc
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
        trained = np.abs(a["arr_0"]).sum()
    # It did train: the first kernel moved away from a fresh initialisation of the same seed.
    from refs.gan.classifier import build_classifier
    from refs.utils import seed_everything

    seed_everything(1234)
    fresh = np.abs(build_classifier().get_weights()[0]).sum()
    assert trained != fresh


def test_precision_and_recall_of_a_set_against_itself_are_one():
    from refs.gan.metrics import precision_recall

    f = RNG.normal(size=(400, 8))
    assert precision_recall(f, f) == {"precision": 1.0, "recall": 1.0}


def test_precision_and_recall_of_disjoint_clusters_are_zero():
    from refs.gan.metrics import precision_recall

    real = RNG.normal(size=(300, 8))
    fake = RNG.normal(size=(200, 8)) + 100.0
    assert precision_recall(real, fake) == {"precision": 0.0, "recall": 0.0}


def test_mode_dropping_lowers_recall_and_keeps_precision():
    """Fakes from one of two real clusters: all realistic (precision ~1), half of the real
    data uncovered (recall ~0.5)."""
    from refs.gan.metrics import precision_recall

    real = np.concatenate([RNG.normal(size=(500, 4)), RNG.normal(size=(500, 4)) + 50.0])
    fake = RNG.normal(size=(500, 4))
    pr = precision_recall(real, fake)
    assert pr["precision"] > 0.95
    assert 0.45 < pr["recall"] < 0.55


def test_knn_radii_are_the_kth_neighbour_distances():
    from refs.gan.metrics import knn_radii, manifold_coverage

    points = np.array([[0.0], [1.0], [3.0], [7.0]])
    # neighbours of 0: 1, 3, 7 -> k=1: 1, k=2: 3; of 7: 3 -> 4, 1 -> 6
    np.testing.assert_allclose(knn_radii(points, k=1), [1.0, 1.0, 2.0, 4.0])
    np.testing.assert_allclose(knn_radii(points, k=2, chunk=3), [3.0, 2.0, 3.0, 6.0])
    # a point at 5 lies in the k=1 ball of 7 (radius 4) only; one at 12 in none
    assert manifold_coverage(np.array([[5.0], [12.0]]), points, knn_radii(points, 1)) == 0.5
    with pytest.raises(ValueError, match="k must be"):
        knn_radii(points, k=4)
