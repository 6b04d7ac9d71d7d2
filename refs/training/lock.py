"""One writer per run directory: an advisory lock that a killed process cannot leave stuck.

The lock is ``fcntl.flock`` on ``<run_dir>/.lock``: the kernel releases it when the holding
process exits for any reason (SIGKILL included), so there is no stale lock file to clean up.
The file records the holder's PID and host for the error message of a second writer.

Example:
    >>> with RunLock("runs/gan/x"):
    ...     train()          # a second trainer on runs/gan/x now stops at once with RunInUseError
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from refs.errors import UsageError

LOCK_FILE = ".lock"


class RunInUseError(UsageError):
    """Another live process is writing into the run directory."""


def check_run_directory(path: str | os.PathLike) -> Path:
    """``path`` as a run directory we can write: created if missing; ``UsageError`` (one line)
    when it is a file, cannot be created or is not writable."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"run directory {path} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the run directory {path}: "
                         f"{exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"run directory {path} is not writable")
    return path


class RunLock:
    """An exclusive, non-blocking lock on a run directory (created if missing)."""

    def __init__(self, run_dir: str | os.PathLike):
        self.path = Path(run_dir) / LOCK_FILE
        self._fh = None

    def acquire(self) -> RunLock:
        """Take the lock (creating the directory); ``UsageError`` when the directory cannot be
        used, :class:`RunInUseError` when another live process holds it."""
        import fcntl

        check_run_directory(self.path.parent)
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise RunInUseError(f"run directory {self.path.parent} is in use by {holder}; "
                                "wait for it to finish or choose another run directory") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            import fcntl

            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    @property
    def held(self) -> bool:
        return self._fh is not None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
