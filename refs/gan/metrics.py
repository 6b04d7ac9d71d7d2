"""Sample-quality metrics in the feature space of the package's MNIST classifier.

- FID (Frechet distance between Gaussians fitted to two feature sets)::

      FID = ||mu_1 - mu_2||^2 + tr(S_1 + S_2 - 2 (S_1^{1/2} S_2 S_1^{1/2})^{1/2})

  0 for identical statistics; it depends on the sample count (a biased estimator), so compare
  only at the same N.
- Classifier score (the Inception-score analogue): ``exp(E_x KL(p(y|x) || p(y)))``, between 1
  (one class, or uniform predictions) and 10 (confident and balanced over the ten digits).
- KID: the unbiased MMD^2 with the cubic polynomial kernel ``k(a, b) = (a.b / d + 1)^3``,
  averaged over random subsets, on features *standardised* with the reference set's mean and
  standard deviation (on raw ReLU features the kernel is dominated by a few large units and can
  rank noise above real digits).

Example:
    >>> evaluator = QualityEvaluator.for_mnist()          # reference: the MNIST test set
    >>> evaluator.evaluate(generated_images)              # uint8 or [-1, 1] floats
    {'fid': 1.9, 'classifier_score': 9.1, 'kid': 0.004}
"""

from __future__ import annotations

import numpy as np


def _check_features(name: str, features) -> np.ndarray:
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"{name} must have shape (N, d) with N >= 2, got {f.shape}")
    if not np.all(np.isfinite(f)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return f


def _sqrtm_psd(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    w, v = np.linalg.eigh((matrix + matrix.T) / 2)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Frechet distance between ``N(mu1, sigma1)`` and ``N(mu2, sigma2)`` (formula above).

    ``tr((S_1 S_2)^{1/2})`` is computed as the sum of the square roots of the eigenvalues of the
    symmetric PSD matrix ``S_1^{1/2} S_2 S_1^{1/2}`` (which has the same eigenvalues), so it is
    real and stable even for singular covariances.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(f"expected means (d,) and covariances (d, d); got {mu1.shape}, "
                         f"{s1.shape}, {mu2.shape}, {s2.shape}")
    root1 = _sqrtm_psd(s1)
    middle = root1 @ s2 @ root1
    eig = np.linalg.eigvalsh((middle + middle.T) / 2)
    tr_cross = np.sum(np.sqrt(np.clip(eig, 0.0, None)))
    value = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2.0 * tr_cross
    return float(max(value, 0.0))


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and covariance (d, d) (unbiased, ``N - 1``) of features (N, d)."""
    f = _check_features("features", features)
    return f.mean(axis=0), np.cov(f, rowvar=False)


def fid_from_features(features_a, features_b) -> float:
    """FID between two feature sets (N_a, d) and (N_b, d)."""
    return frechet_distance(*feature_statistics(features_a), *feature_statistics(features_b))


def classifier_score(probabilities, eps: float = 1e-12) -> float:
    """``exp(mean_x KL(p(y|x) || p(y)))`` with ``p(y)`` the mean prediction; (N, classes) in."""
    p = np.asarray(probabilities, np.float64)
    if p.ndim != 2 or p.shape[0] < 1:
        raise ValueError(f"probabilities must have shape (N, classes), got {p.shape}")
    if np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError("probabilities must be non-negative rows summing to 1 (softmax output)")
    marginal = p.mean(axis=0, keepdims=True)
    kl = np.sum(p * (np.log(p + eps) - np.log(marginal + eps)), axis=1)
    return float(np.exp(kl.mean()))


def standardise(features, reference, min_scale: float = 0.1) -> np.ndarray:
    """``(features - mean(reference)) / s`` per dimension, ``s = max(std(reference), floor)``.

    The floor is ``min_scale`` times the median reference std (over dimensions with std > 0):
    a unit that is (almost) never active on real digits but fires on generated images would
    otherwise be divided by ~0 and swamp the kernel (KID values of 1e12).
    """
    f, r = _check_features("features", features), _check_features("reference", reference)
    std = r.std(axis=0)
    positive = std[std > 0]
    floor = min_scale * float(np.median(positive)) if positive.size else 1.0
    return (f - r.mean(axis=0)) / np.maximum(std, floor)


def polynomial_mmd2(x, y) -> float:
    """Unbiased MMD^2 between samples x (m, d) and y (n, d) with ``k = (a.b / d + 1)^3``."""
    x, y = _check_features("x", x), _check_features("y", y)
    m, n, d = len(x), len(y), x.shape[1]
    kxx = (x @ x.T / d + 1.0) ** 3
    kyy = (y @ y.T / d + 1.0) ** 3
    kxy = (x @ y.T / d + 1.0) ** 3
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
                 + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2.0 * kxy.mean())


def kernel_inception_distance(features_a, features_b, subsets: int = 10,
                              subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """KID: mean and standard deviation of :func:`polynomial_mmd2` over random subsets.

    Pass standardised features (:func:`standardise`). ``subset_size`` is capped at the smaller
    set's size.
    """
    a, b = _check_features("features_a", features_a), _check_features("features_b", features_b)
    size = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    values = [polynomial_mmd2(a[rng.choice(len(a), size, replace=False)],
                              b[rng.choice(len(b), size, replace=False)])
              for _ in range(subsets)]
    return float(np.mean(values)), float(np.std(values))


class QualityEvaluator:
    """FID, classifier score and KID of image sets against a fixed reference set.

    Args:
        classifier: the feature classifier (:func:`refs.gan.classifier.get_classifier`).
        reference_images: uint8 (N, 28, 28) (the MNIST test set).
    """

    def __init__(self, classifier, reference_images):
        from refs.gan.classifier import classifier_outputs, feature_model

        self._model = feature_model(classifier)
        self._outputs = classifier_outputs
        self.reference_features, _ = classifier_outputs(self._model, reference_images)
        self.reference_stats = feature_statistics(self.reference_features)
        self._reference_std = standardise(self.reference_features, self.reference_features)

    @classmethod
    def for_mnist(cls, data=None) -> QualityEvaluator:
        """Reference = the MNIST test set; the classifier is trained and cached if needed."""
        from refs.data import load_mnist
        from refs.gan.classifier import get_classifier

        _, (x_test, _) = load_mnist(data)
        return cls(get_classifier(data), x_test)

    def features(self, images):
        """``(features, probabilities)`` of images (uint8 or [-1, 1] floats)."""
        return self._outputs(self._model, images)

    def evaluate(self, images) -> dict[str, float]:
        """``{"fid", "classifier_score", "kid"}`` of ``images`` against the reference."""
        feats, probs = self.features(images)
        fid = frechet_distance(*feature_statistics(feats), *self.reference_stats)
        kid, _ = kernel_inception_distance(standardise(feats, self.reference_features),
                                           self._reference_std)
        return {"fid": fid, "classifier_score": classifier_score(probs), "kid": kid}


def real_data_floor(evaluator: QualityEvaluator, train_images, n: int = 10000,
                    seed: int = 0) -> dict[str, float]:
    """The metrics of ``n`` real training images (drawn with ``seed``) against the reference
    set: the best a generator can hope for at this sample count."""
    train_images = np.asarray(train_images)
    if not 2 <= n <= len(train_images):
        raise ValueError(f"n must be in [2, {len(train_images)}], got {n}")
    idx = np.random.default_rng(seed).choice(len(train_images), n, replace=False)
    return evaluator.evaluate(train_images[np.sort(idx)])


def digit_histogram(generator, n: int = 10000, seed: int = 0) -> list[int]:
    """How many of ``n`` samples of ``generator`` (noise drawn with ``seed``) the feature
    classifier assigns to each digit: shows whether all ten digits are generated."""
    import numpy as np

    from refs.gan.classifier import classifier_outputs, get_classifier
    from refs.gan.gan import generate_images

    noise = np.random.default_rng(seed).standard_normal(
        (n, int(generator.inputs[0].shape[-1]))).astype("float32")
    _, probs = classifier_outputs(get_classifier(), generate_images(generator, noise))
    return np.bincount(probs.argmax(1), minlength=10).tolist()
