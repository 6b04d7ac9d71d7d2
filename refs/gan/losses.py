"""Old path of :mod:`refs.losses.adversarial`, the GAN losses (kept for code written before
the move): the same functions, classes, ``LOSS_NAMES`` and ``get_loss_pair``.

The classes keep their registered names (``"refs.gan>DiscriminatorMinimaxLoss"``...), so saved
models load whichever path was imported.
"""

from refs.losses.adversarial import *  # noqa: F403
from refs.losses.adversarial import __all__  # noqa: F401
