"""refs.losses: every loss of refs (interim layout of the move; see the next commit)."""

from refs.losses import validation
from refs.losses.adversarial import *  # noqa: F403
from refs.losses.base import EPSILON, Loss  # noqa: F401
from refs.losses.categorical import *  # noqa: F403
from refs.losses.focal import *  # noqa: F403
from refs.losses.margin import *  # noqa: F403
from refs.losses.probabilistic import *  # noqa: F403
from refs.losses.regression import *  # noqa: F403
