"""Old path of the multi-class losses, now in :mod:`refs.losses.probabilistic` (cross-entropies,
KL divergence) and :mod:`refs.losses.similarity` (cosine)."""

from refs.losses.probabilistic import (  # noqa: F401
    CategoricalCrossentropy,
    KLDivergence,
    SparseCategoricalCrossentropy,
    categorical_crossentropy,
    kl_divergence,
    sparse_categorical_crossentropy,
)
from refs.losses.similarity import (  # noqa: F401
    CosineDistance,
    CosineSimilarity,
    cosine_distance,
    cosine_similarity,
)
