"""tests/golden is complete: the committed golden files hold the expected cases, and match the
shared copy (../shared/golden) when there is one beside the repository.

The tests read golden values from tests/golden only, so a fresh clone needs nothing else. The
shared folder is where new golden files appear first: when it exists, every file in it must be
in tests/golden byte for byte, so that a new or regenerated file is noticed and copied.
"""

from __future__ import annotations

import json

import pytest
from conftest import GOLDEN, ROOT

SHARED_GOLDEN = ROOT.parent / "shared" / "golden"  # where new golden files appear first

#: Cases per golden file (as the golden README lists them).
EXPECTED_CASES = {
    "gan_minimax.json": 36,
    "keras2_losses.json": 384,
    "keras3_losses.json": 333,
    "kerascv_losses.json": 459,
    "smp_losses.json": 330,
    "tfa_focal.json": 540,
    "tfa_giou.json": 36,
    "tfa_losses.json": 342,
    "torch_losses.json": 495,
}


@pytest.mark.parametrize("name", sorted(EXPECTED_CASES))
def test_golden_file_holds_the_expected_number_of_cases(name):
    path = GOLDEN / name
    if not path.is_file():
        pytest.skip(f"golden file missing: {path}")
    cases = json.loads(path.read_text())["cases"]
    assert len(cases) == EXPECTED_CASES[name], f"{name}: {len(cases)} cases"
    ids = [c["id"] for c in cases]
    assert len(set(ids)) == len(ids), f"{name}: duplicate case ids"


def test_every_json_file_of_tests_golden_has_an_expected_count():
    """A golden file added to tests/golden also gets its count in EXPECTED_CASES."""
    uncounted = sorted(p.name for p in GOLDEN.glob("*.json") if p.name not in EXPECTED_CASES)
    assert not uncounted, f"add the case counts of {uncounted} to EXPECTED_CASES"


def test_shared_golden_files_are_all_in_tests_golden_byte_for_byte():
    if not SHARED_GOLDEN.is_dir():
        pytest.skip(f"no shared golden folder beside the repository ({SHARED_GOLDEN})")
    shared = sorted(p for p in SHARED_GOLDEN.iterdir() if p.is_file())
    assert shared, f"{SHARED_GOLDEN} is empty"
    problems = []
    for source in shared:
        copy = GOLDEN / source.name
        if not copy.is_file():
            problems.append(f"{source.name} is new in {SHARED_GOLDEN}: copy it to {GOLDEN}")
        elif copy.read_bytes() != source.read_bytes():
            problems.append(f"{source.name} differs from {source}: copy it to {GOLDEN}")
    assert not problems, "\n".join(problems)
