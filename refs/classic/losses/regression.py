"""Old path of :mod:`refs.losses.regression` (kept for code written before the move).

Poisson now lives in :mod:`refs.losses.probabilistic`; it is re-exported here as before.
"""

from refs.losses.probabilistic import Poisson, poisson  # noqa: F401
from refs.losses.regression import *  # noqa: F403
