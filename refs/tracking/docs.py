"""Write generated tables into the marked sections of the docs (``docs/results.md``...).

A section is the text between ``<!-- KEY:start -->`` and ``<!-- KEY:end -->``; each area owns its
key (``classic``, ``gan``, ``detection``) and replaces only its own section, so tables are
regenerated from run data instead of typed by hand.
"""

from __future__ import annotations

import os
import re
from pathlib import Path


def markers(key: str) -> tuple[str, str]:
    """The start and end markers of section ``key``."""
    return f"<!-- {key}:start -->", f"<!-- {key}:end -->"


def replace_marked_section(path: str | os.PathLike, key: str, body: str,
                           heading: str | None = None) -> None:
    """Replace the body of section ``key`` in the markdown file ``path``.

    If the file or the markers are missing, the section is appended under ``## heading``
    (default ``key``). Text outside the markers is never touched.
    """
    path = Path(path)
    start, end = markers(key)
    text = path.read_text() if path.exists() else ""
    section = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = f"{text.rstrip()}\n\n## {heading or key}\n\n{section}\n".lstrip()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
