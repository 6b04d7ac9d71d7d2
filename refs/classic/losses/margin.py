"""Old path of :mod:`refs.losses.margin` (kept for code written before the move); same objects."""

from refs.losses.margin import *  # noqa: F403
from refs.losses.margin import check_margin_labels, to_pm1_labels  # noqa: F401
