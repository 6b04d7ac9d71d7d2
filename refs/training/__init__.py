"""refs.training: the layer both trainers (and the classic experiments) stand on.

- :mod:`~refs.training.session` - :class:`TrainingSession`: run directory, lock, resume,
  checkpoints, standard callbacks, ``results.json`` and the HParams row.
- :mod:`~refs.training.resume` - what ``--resume`` continues and with which settings.
- :mod:`~refs.training.callbacks` - the shared Keras callbacks (step/time counter, time budget,
  non-finite stop, divergence warning, epoch checkpoint).
- :mod:`~refs.training.lock` - one writer per run directory.

Importing ``refs.training`` is light; Keras is imported with the first name that needs it.
"""

import importlib

_HOMES = {
    "DivergenceWarning": "callbacks", "EpochCheckpoint": "callbacks",
    "NonFiniteGuard": "callbacks", "StepCounter": "callbacks", "TimeBudget": "callbacks",
    "RunInUseError": "lock", "RunLock": "lock",
    "TrainingSession": "session",
    "find_run": "resume", "merge_saved_settings": "resume", "saved_hparams": "resume",
    "settings_to_continue": "resume",
}

__all__ = sorted(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(f"refs.training.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'refs.training' has no attribute {name!r}")
