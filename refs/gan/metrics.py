"""Sample-quality metrics in the feature space of the package's MNIST classifier.

- FID (Frechet distance between Gaussians fitted to two feature sets)::

      FID = ||mu_1 - mu_2||^2 + tr(S_1 + S_2 - 2 (S_1^{1/2} S_2 S_1^{1/2})^{1/2})

  0 for identical statistics; it depends on the sample count (a biased estimator), so compare
  only at the same N.
- Classifier score (the Inception-score analogue): ``exp(E_x KL(p(y|x) || p(y)))``, between 1
  (one class, or uniform predictions) and 10 (confident and balanced over the ten digits).
- Improved precision and recall (Kynkäänniemi et al. 2019): each set's manifold is the union of
  balls around its points, of radius the distance to the point's k-th nearest neighbour in the
  same set; precision is the share of generated samples inside the real manifold (are they
  realistic?), recall the share of real samples inside the generated one (is all of MNIST
  covered?). Both in [0, 1]; identical sets give 1 and 1. FID can fall while recall falls (fewer,
  better digits): report them beside it.
- KID: the unbiased MMD^2 with the cubic polynomial kernel ``k(a, b) = (a.b / d + 1)^3``,
  averaged over random subsets, on features *standardised* with the reference set's mean and
  standard deviation (on raw ReLU features the kernel is dominated by a few large units and can
  rank noise above real digits).

Example:
    >>> evaluator = QualityEvaluator.for_mnist()          # reference: the MNIST test set
    >>> evaluator.evaluate(generated_images)              # uint8 or [-1, 1] floats
    {'fid': 1.9, 'classifier_score': 9.1, 'kid': 0.004, 'precision': 0.8, 'recall': 0.7}
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


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``||a_i - b_j||^2`` (m, n), clamped at 0 (the expanded form can round below 0)."""
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(d2, 0.0)


def knn_radii(features, k: int = 3, chunk: int = 2048) -> np.ndarray:
    """The distance of each point of ``features`` (N, d) to its ``k``-th nearest neighbour in
    the same set (the point itself not counted); computed in row chunks (memory ``chunk * N``)."""
    f = _check_features("features", features)
    if not isinstance(k, (int, np.integer)) or not 1 <= k < len(f):
        raise ValueError(f"k must be an integer in [1, N - 1] = [1, {len(f) - 1}], got {k!r}")
    radii = np.empty(len(f))
    for start in range(0, len(f), chunk):
        d2 = _squared_distances(f[start:start + chunk], f)
        # the point itself is the 0-th neighbour (distance 0); the k-th is at index k
        radii[start:start + chunk] = np.sqrt(np.partition(d2, k, axis=1)[:, k])
    return radii


def manifold_coverage(points, manifold, radii, chunk: int = 2048) -> float:
    """The share of ``points`` (M, d) inside the union of balls ``||x - m_j|| <= radii_j``
    around the ``manifold`` points (N, d)."""
    p, m = _check_features("points", points), _check_features("manifold", manifold)
    radii = np.asarray(radii, np.float64)
    if radii.shape != (len(m),):
        raise ValueError(f"radii must have shape ({len(m)},), got {radii.shape}")
    inside = 0
    for start in range(0, len(p), chunk):
        d2 = _squared_distances(p[start:start + chunk], m)
        inside += int(np.any(d2 <= radii[None, :] ** 2, axis=1).sum())
    return inside / len(p)


def precision_recall(real_features, fake_features, k: int = 3,
                     real_radii=None) -> dict[str, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) of ``fake_features`` against
    ``real_features``, with ``k``-NN manifolds (the paper's k = 3):

        precision = |{g : exists r, ||g - r|| <= NN_k(r, real)}| / |fake|
        recall    = |{r : exists g, ||r - g|| <= NN_k(g, fake)}| / |real|

    Compare values at the same sample counts (larger sets give larger balls' unions). Pass
    ``real_radii`` (:func:`knn_radii` of the real set) to reuse them across calls.
    """
    real = _check_features("real_features", real_features)
    fake = _check_features("fake_features", fake_features)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake features need the same dimension, got {real.shape[1]} "
                         f"and {fake.shape[1]}")
    if real_radii is None:
        real_radii = knn_radii(real, k)
    return {"precision": manifold_coverage(fake, real, real_radii),
            "recall": manifold_coverage(real, fake, knn_radii(fake, k))}


class QualityEvaluator:
    """FID, classifier score, KID, precision and recall of image sets against a fixed
    reference set (all in the classifier's feature space).

    Args:
        classifier: the feature classifier (:func:`refs.gan.classifier.get_classifier`).
        reference_images: uint8 (N, 28, 28) (the MNIST test set).
    """

    def __init__(self, classifier, reference_images, reference_labels=None):
        from refs.gan.classifier import classifier_outputs, feature_model

        self._model = feature_model(classifier)
        self._outputs = classifier_outputs
        self.reference_features, _ = classifier_outputs(self._model, reference_images)
        self.reference_stats = feature_statistics(self.reference_features)
        self._reference_std = standardise(self.reference_features, self.reference_features)
        self._reference_radii = None  # k-NN radii of the reference, computed on first use
        self.reference_labels = (None if reference_labels is None
                                 else np.asarray(reference_labels).astype(int))

    @classmethod
    def for_mnist(cls, data=None) -> QualityEvaluator:
        """Reference = the MNIST test set; the classifier is trained and cached if needed."""
        from refs.data import load_mnist
        from refs.gan.classifier import get_classifier

        _, (x_test, y_test) = load_mnist(data)
        return cls(get_classifier(data), x_test, y_test)

    def features(self, images):
        """``(features, probabilities)`` of images (uint8 or [-1, 1] floats)."""
        return self._outputs(self._model, images)

    def evaluate(self, images) -> dict[str, float]:
        """``{"fid", "classifier_score", "kid", "precision", "recall"}`` of ``images`` against
        the reference (precision and recall: :func:`precision_recall`, k = 3)."""
        feats, probs = self.features(images)
        fid = frechet_distance(*feature_statistics(feats), *self.reference_stats)
        kid, _ = kernel_inception_distance(standardise(feats, self.reference_features),
                                           self._reference_std)
        if self._reference_radii is None:
            self._reference_radii = knn_radii(self.reference_features)
        pr = precision_recall(self.reference_features, feats, real_radii=self._reference_radii)
        return {"fid": fid, "classifier_score": classifier_score(probs), "kid": kid, **pr}


    def evaluate_conditional(self, images, labels) -> dict[str, float]:
        """:meth:`evaluate` of all the images, plus, for images drawn for ``labels``:
        ``class_accuracy`` (the share the classifier recognises as the requested digit; about
        0.99 for real test digits), its minimum over the classes, and the per-class FID (each
        class's images against that class's reference images): mean and maximum over classes.
        :meth:`per_class` gives the values of every class."""
        scores = self.evaluate(images)
        table = self.per_class(images, labels)
        acc = [row["accuracy"] for row in table.values()]
        fids = [row["fid"] for row in table.values() if row["fid"] is not None] or [float("nan")]
        return {**scores, "class_accuracy": float(np.mean(acc)),
                "class_accuracy_min": float(np.min(acc)),
                "class_fid_mean": float(np.mean(fids)), "class_fid_max": float(np.max(fids))}

    def per_class(self, images, labels) -> dict[int, dict]:
        """Per requested class ``c``: ``{"n", "accuracy", "fid"}`` of the images drawn for ``c``
        (``fid`` against the reference images of class ``c``; None with fewer than 2 images)."""
        if self.reference_labels is None:
            raise ValueError("per-class scores need the reference labels (for_mnist has them)")
        labels = np.asarray(labels).astype(int)
        feats, probs = self.features(images)
        if labels.shape != (len(feats),):
            raise ValueError(f"labels must have shape ({len(feats)},), got {labels.shape}")
        table = {}
        for c in np.unique(labels):
            mine = labels == c
            ref = self.reference_features[self.reference_labels == c]
            fid = (fid_from_features(feats[mine], ref) if mine.sum() >= 2 and len(ref) >= 2
                   else None)
            table[int(c)] = {"n": int(mine.sum()),
                             "accuracy": float((probs[mine].argmax(1) == c).mean()),
                             "fid": fid}
        return table


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
    """How many of ``n`` samples of ``generator`` (noise drawn with ``seed``; every class in
    turn for a conditional generator) the feature classifier assigns to each digit: shows
    whether all ten digits are generated."""
    from refs.gan.classifier import classifier_outputs, get_classifier
    from refs.gan.gan import generate_images
    from refs.gan.sample import sample_labels

    noise = np.random.default_rng(seed).standard_normal(
        (n, int(generator.inputs[0].shape[-1]))).astype("float32")
    images = generate_images(generator, noise, labels=sample_labels(generator, n))
    _, probs = classifier_outputs(get_classifier(), images)
    return np.bincount(probs.argmax(1), minlength=10).tolist()
