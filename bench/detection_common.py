"""Shared bits of the detection benchmarks: machine description and JSON result files."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "docs" / "data"


def machine() -> dict:
    """What the numbers were measured on (CPU count and load matter on a shared machine)."""
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"cpu_count": os.cpu_count(), "platform": platform.platform(),
            "processor": platform.processor(), "loadavg_at_end": load,
            "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def write_json(name: str, doc: dict) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / name
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def read_json(name: str) -> dict | None:
    path = DATA / name
    return json.loads(path.read_text()) if path.exists() else None
