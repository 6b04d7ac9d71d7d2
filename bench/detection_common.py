"""Shared bits of the benchmarks: machine description (with the CPU) and JSON result files."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "docs" / "data"


def cpu() -> str:
    """The CPU as /proc/cpuinfo names it, with its family/model and widest vector ISA, e.g.
    ``AMD EPYC (family 25, model 1), AVX2``."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    fields = {}
    for line in info.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = set(fields.get("flags", "").split())
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    if "avx512_bf16" in flags:
        isa += " (with BF16)"
    return (f"{fields.get('model name', 'unknown')} (family {fields.get('cpu family', '?')}, "
            f"model {fields.get('model', '?')}), {isa}")


def machine() -> dict:
    """What the numbers were measured on (CPU count and load matter on a shared machine)."""
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"cpu": cpu(), "cpu_count": os.cpu_count(), "platform": platform.platform(),
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
