"""Old path of :mod:`refs.losses.base` (kept for code written before the move); same objects."""

from refs.losses.base import (  # noqa: F401
    EPSILON,
    FLOAT16_EPSILON,
    REDUCTIONS,
    CrossentropyLoss,
    Loss,
    align,
    as_float_tensor,
    epsilon_for,
    epsilon_like,
    mean_over,
    prepare,
    register,
)
