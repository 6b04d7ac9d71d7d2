"""Old path of :mod:`refs.losses.focal` (kept for code written before the move); same objects."""

from refs.losses.focal import *  # noqa: F403
from refs.losses.focal import FocalLoss, modulating_factor  # noqa: F401
