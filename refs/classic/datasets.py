"""The synthetic problems of the reference experiments (scikit-learn generators) and MNIST-9.

Every function is deterministic for its arguments and returns numpy arrays split into train and
test halves exactly as the "how to choose a loss function" tutorial does (first half train, second
half test), so measured numbers can be set beside the tutorial's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """Train and test arrays of one problem."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    description: str = ""


def _halves(x, y, n_train, description):
    return Split(x[:n_train], y[:n_train], x[n_train:], y[n_train:], description)


def regression(n_samples: int = 1000, n_train: int = 500) -> Split:
    """``make_regression(n_samples, n_features=20, noise=0.1, random_state=1)``, X and y
    standardized (zero mean, unit variance), as in the tutorial. Note: y is then about half
    negative, which matters for MSLE."""
    from sklearn.datasets import make_regression
    from sklearn.preprocessing import StandardScaler

    x, y = make_regression(n_samples=n_samples, n_features=20, noise=0.1, random_state=1)
    x = StandardScaler().fit_transform(x)
    y = StandardScaler().fit_transform(y.reshape(-1, 1))[:, 0]
    return _halves(x.astype("float32"), y.astype("float32"), n_train,
                   "make_regression(1000, 20 features, noise 0.1), standardized X and y")


def circles(n_samples: int = 1000, n_train: int = 500, labels: str = "01") -> Split:
    """``make_circles(n_samples, noise=0.1, random_state=1)``; ``labels="pm1"`` maps {0, 1} to
    {-1, 1} for the margin losses."""
    from sklearn.datasets import make_circles

    x, y = make_circles(n_samples=n_samples, noise=0.1, random_state=1)
    y = y.astype("float32")
    if labels == "pm1":
        y = 2.0 * y - 1.0
    elif labels != "01":
        raise ValueError(f"labels must be '01' or 'pm1', got {labels!r}")
    return _halves(x.astype("float32"), y, n_train,
                   "make_circles(1000, noise 0.1): two concentric circles")


def blobs(n_samples: int = 1000, n_train: int = 500, one_hot: bool = True) -> Split:
    """``make_blobs(n_samples, centers=3, n_features=2, cluster_std=2, random_state=2)``;
    one-hot targets, or integer targets for the sparse loss."""
    from sklearn.datasets import make_blobs

    x, y = make_blobs(n_samples=n_samples, centers=3, n_features=2, cluster_std=2,
                      random_state=2)
    y = np.eye(3, dtype="float32")[y] if one_hot else y.astype("int32")
    return _halves(x.astype("float32"), y, n_train,
                   "make_blobs(1000, 3 centers, 2 features, std 2)")


def imbalanced(
    n_samples: int = 284_807, positive_rate: float = 0.00172, test_fraction: float = 0.2,
    seed: int = 0,
) -> Split:
    """A synthetic stand-in for the credit-card fraud data: 284,807 rows, 30 features, 0.172%
    positives (492 of them), made with ``make_classification`` (not the real data set). One
    cluster per class and ``class_sep=2`` make it about as separable as the real one (a logistic
    regression reaches PR-AUC ~0.74 on the test split).

    The split is stratified so that both halves keep the positive rate; features are
    standardized with the train half's statistics.
    """
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = make_classification(
        n_samples=n_samples, n_features=30, n_informative=10, n_redundant=10,
        n_clusters_per_class=1, weights=[1.0 - positive_rate], flip_y=0.0, class_sep=2.0,
        random_state=seed,
    )
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=test_fraction, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(x_tr)
    return Split(
        scaler.transform(x_tr).astype("float32"), y_tr.astype("float32"),
        scaler.transform(x_te).astype("float32"), y_te.astype("float32"),
        f"make_classification({n_samples} rows, 30 features, {100 * positive_rate:.3f}% "
        "positives), synthetic stand-in for the credit-card fraud set",
    )


def mnist_is_nine(path=None, max_train: int | None = None) -> Split:
    """MNIST relabelled "is it a 9" (1 for a nine, else 0): images (N, 28, 28, 1) in [0, 1]."""
    from refs.data import load_mnist

    (x_tr, y_tr), (x_te, y_te) = load_mnist(path)
    if max_train:
        x_tr, y_tr = x_tr[:max_train], y_tr[:max_train]
    scale = np.float32(1.0 / 255.0)
    return Split(
        (x_tr[..., None] * scale).astype("float32"), (y_tr == 9).astype("float32"),
        (x_te[..., None] * scale).astype("float32"), (y_te == 9).astype("float32"),
        "MNIST, label 1 for the digit 9 (about 10% positives)",
    )
