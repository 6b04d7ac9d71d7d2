"""Old path of the binary cross-entropies, now in :mod:`refs.losses.probabilistic`."""

from refs.losses.probabilistic import (  # noqa: F401
    BalancedBinaryCrossentropy,
    BinaryCrossentropy,
    WeightedBinaryCrossentropy,
    balanced_binary_crossentropy,
    binary_crossentropy,
    check_binary_inputs,
    clipped_log_probabilities,
    elementwise_bce,
    log_likelihood,
    weighted_binary_crossentropy,
)
