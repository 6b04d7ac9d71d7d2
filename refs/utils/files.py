"""Writing output files a user named: one clear error instead of a traceback.

:func:`output_path` checks a path before any work is done (it is not a folder, its folder can be
created and written); :func:`write_text` writes atomically (a temporary file renamed into place).
Both raise :class:`refs.errors.DataError` with one line naming the path.
"""

from __future__ import annotations

import os
from pathlib import Path

from refs.errors import DataError


def output_path(path: str | os.PathLike, what: str = "output") -> Path:
    """``path`` as a ``Path`` after checking it can be written (its folder is created)."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{what} {path} is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the folder of {what} {path}: "
                        f"{exc.strerror or exc}") from None
    if not os.access(path.parent, os.W_OK | os.X_OK) or (path.exists()
                                                         and not os.access(path, os.W_OK)):
        raise DataError(f"{what} {path} is not writable")
    return path


def write_text(path: str | os.PathLike, text: str, what: str = "output") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`output_path` for the checks)."""
    path = output_path(path, what)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DataError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    return path
