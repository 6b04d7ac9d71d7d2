"""refs.classic: the classic regression and classification losses, and the experiments
comparing them.

``refs.classic.check(model, loss, y)`` catches the classic loss mistakes before training (see
:mod:`refs.classic.check`); the losses are in :mod:`refs.classic.losses`.
"""

from refs.classic.check import Finding, LossConfigurationError, check

__all__ = ["Finding", "LossConfigurationError", "check"]
