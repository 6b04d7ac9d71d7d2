"""Write the robustness section of docs/benchmarks.md from the replay results.

    python bench/robustness_report.py

Reads ``bench/results/robustness_cli.json`` (``bench/robustness_cli.py``: bad command lines)
and ``bench/results/robustness_library.json`` (``bench/robustness_library.py``: bad library
calls) and replaces the ``robustness`` section of docs/benchmarks.md. Nothing is typed by hand.
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from refs.tracking.docs import replace_marked_section  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def cli_section(doc: dict) -> str:
    by_command: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for row in doc["rows"]:
        by_command[row["case"].split(" ", 1)[0]][row["outcome"]] += 1
    m = doc.get("machine", {})
    lines = [f"### Bad command lines (`bench/robustness_cli.py`, {doc['date']})", "",
             f"{doc['cases']} command lines, each a real process: {doc['seconds']:.0f} s on "
             f"{m.get('cpu', 'an unnamed CPU')}, {m.get('cpu_count', '?')} cores. An outcome is "
             "ok when the command exits with the expected code (2 for a bad argument, 1 for a "
             "failure the user can act on) and says why in one line, with no traceback.", "",
             "| command | cases | ok | traceback | silent (exit 0) | other exit code | noisy |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for command, c in sorted(by_command.items()):
        lines.append(f"| `python -m refs.{command}` | {sum(c.values())} | {c['ok']} | "
                     f"{c['traceback']} | {c['silent']} | {c['exit']} | {c['noisy']} |")
    return "\n".join(lines)


def library_section(doc: dict) -> str:
    groups: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for case in doc["cases"]:
        groups[case["group"]][case["outcome"]] += 1
    lines = ["### Bad library calls (`bench/robustness_library.py`)", "",
             f"{doc['calls']} calls to every loss of `refs.losses` and to `DetectionLoss` "
             f"(Keras {doc['keras']}, {doc['backend']} backend): each must raise a "
             "`ValueError`/`TypeError` that names the argument, or return the right finite "
             "value. Defects: NaN or infinite results, other exception types, messages naming "
             f"no argument. Defects now: **{doc['defects']}**.", "",
             "| group | calls | clear error | finite value | defect |", "|---|---:|---:|---:|---:|"]
    for group, c in sorted(groups.items()):
        defects = sum(v for k, v in c.items() if k not in ("error", "value"))
        lines.append(f"| {group} | {sum(c.values())} | {c['error']} | {c['value']} | "
                     f"{defects} |")
    return "\n".join(lines)


def main() -> None:
    parts = []
    cli = RESULTS / "robustness_cli.json"
    lib = RESULTS / "robustness_library.json"
    if cli.exists():
        parts.append(cli_section(json.loads(cli.read_text())))
    if lib.exists():
        parts.append(library_section(json.loads(lib.read_text())))
    if not parts:
        raise SystemExit("no results yet: run bench/robustness_cli.py and "
                         "bench/robustness_library.py first")
    replace_marked_section(ROOT / "docs" / "benchmarks.md", "robustness", "\n\n".join(parts),
                           heading="Robustness: bad input and bad command lines")
    print("docs/benchmarks.md: robustness section written")


if __name__ == "__main__":
    main()
