"""refs.classic: the classic regression and classification losses, and the experiments
comparing them.

``refs.classic.check(model, loss, y)`` catches the classic loss mistakes before training (see
:mod:`refs.classic.check`); the losses themselves live in :mod:`refs.losses`
(``refs.classic.losses`` is their old path and re-exports them).
"""

from refs.classic.check import Finding, LossConfigurationError, check, check_batches

__all__ = ["Finding", "LossConfigurationError", "check", "check_batches"]
