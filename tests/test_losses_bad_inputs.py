"""Bad library calls fail clearly or compute: a representative subset of the robustness bench.

``bench/robustness_library.py`` replays ~2,500 wrong calls against every loss of refs.losses
and DetectionLoss (NaN / inf / strings / None / ragged inputs, wrong shapes and ranks, scalars,
empty axes, out-of-range labels, mixed dtypes, bad hyperparameters, axis, reduction, name,
dtype and sample_weight) and classifies each outcome; this test runs a spread of them (every
kind of bad call, over every family of loss) and requires 0 defects: each one is either a
ValueError / TypeError raised by refs that names the bad argument, or a finite value equal to
the reference (e.g. an infinite logit on the side of its label).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

import refs.losses as L

BENCH = Path(__file__).resolve().parents[1] / "bench" / "robustness_library.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("robustness_library", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


R = _load_bench()
CASES = R.representative_cases()


def test_the_subset_spans_every_family_and_both_good_outcomes():
    families = {case.target.split("(")[-1] for case in CASES}
    assert {"regression)", "binary_logit)", "cat_logit)", "sparse_logit)", "margin)",
            "boxes)", "gan_pair)", "gan_one)"} <= families
    assert 40 <= len(CASES) <= 120
    expects = {case.expect if isinstance(case.expect, str) else "value" for case in CASES}
    assert expects == {"error", "value", "finite"}


def test_the_bench_covers_every_public_loss_of_refs_losses():
    covered = {name for spec in R.SPECS for name in (spec.fn, spec.cls) if name}
    bases = {"Loss", "DiscriminatorLoss", "GeneratorLoss"}
    public = {name for name in L.__all__
              if callable(getattr(L, name)) and name not in bases | {"get_loss_pair"}}
    assert public - covered == set()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.target}-{c.kind}" for c in CASES])
def test_bad_call_is_a_clear_error_or_a_correct_finite_value(case):
    outcome, detail = R.classify(case)
    assert outcome in ("error", "value"), detail
