"""Exceptions that carry a message meant for a person, not a traceback."""


class RefsError(Exception):
    """Base class of errors the command-line tools report as one clear line (no traceback)."""


class DataError(RefsError):
    """A dataset is missing, unreadable or has the wrong content; the message says what to do."""


class UsageError(RefsError):
    """A command-line argument or option combination is invalid (exit code 2)."""


class TrainingError(RefsError):
    """Training stopped for a reason the user must act on (e.g. a NaN loss)."""


class CheckpointError(TrainingError):
    """A checkpoint file is empty, truncated, corrupt or incomplete."""
