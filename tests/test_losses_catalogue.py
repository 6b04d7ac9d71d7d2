"""docs/losses.md, the loss catalogue written by bench/losses_catalogue.py.

The generated text lists every exported loss class of refs.losses, its golden counts agree with a
direct count of tests/golden/*.json, every golden case is either mapped or listed as unmapped,
and the committed docs/losses.md is what the script writes today (so a stale catalogue fails
here with the command that fixes it).
"""

from __future__ import annotations

import importlib.util
import inspect
import json
from functools import cache
from pathlib import Path

import keras
import pytest

import refs.losses as L

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "losses_catalogue.py"
GOLDEN = ROOT / "tests" / "golden"
FIX = "docs/losses.md is out of date: run python bench/losses_catalogue.py (and commit it)"


@cache
def catalogue():
    spec = importlib.util.spec_from_file_location("losses_catalogue", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def text() -> str:
    return catalogue().render()


def exported_loss_classes() -> list[str]:
    """Computed here independently of the script: every exported keras Loss subclass."""
    names = []
    for name in L.__all__:
        obj = getattr(L, name)
        if (inspect.isclass(obj) and issubclass(obj, keras.losses.Loss)
                and name not in ("Loss", "DiscriminatorLoss", "GeneratorLoss")):
            names.append(name)
    return names


def row_of(name: str) -> list[str]:
    rows = [line for line in text().splitlines() if line.startswith(f"| `{name}` |")]
    assert len(rows) == 1, f"{name}: {len(rows)} rows in the catalogue"
    return [cell.strip() for cell in rows[0].strip("|").split(" | ")]


def direct_count(*loss_names: str) -> int:
    total = 0
    for path in GOLDEN.glob("*.json"):
        total += sum(c["loss"] in loss_names for c in json.loads(path.read_text())["cases"])
    return total


def test_every_exported_loss_class_has_one_row():
    names = exported_loss_classes()
    assert len(names) >= 40
    for name in names:
        row = row_of(name)
        assert len(row) == 7, row
        assert row[2], f"{name}: empty formula"


def test_abstract_bases_have_no_row():
    for name in ("Loss", "DiscriminatorLoss", "GeneratorLoss"):
        assert f"| `{name}` |" not in text()


def test_every_family_module_has_a_section_and_a_link():
    for name in exported_loss_classes():
        module = getattr(L, name).__module__
        family = module.rsplit(".", 1)[-1]
        assert f"\n## {family}\n" in text()
        assert f"[`{module}`](../refs/losses/{family}.py)" in text()


@pytest.mark.parametrize(
    ("cls", "golden_names"),
    [
        ("CIoULoss", ["keras_cv.losses.CIoULoss"]),
        ("TripletSemiHardLoss", ["tensorflow_addons.losses.TripletSemiHardLoss"]),
        ("Dice", ["segmentation_models_pytorch.losses.DiceLoss", "keras.losses.Dice"]),
        ("GIoULoss", ["tensorflow_addons.losses.GIoULoss", "keras_cv.losses.GIoULoss"]),
    ],
)
def test_golden_counts_equal_a_direct_count(cls, golden_names):
    if not hasattr(L, cls):
        pytest.skip(f"refs.losses has no {cls} (yet)")
    expected = direct_count(*golden_names)
    assert expected > 0
    counts, _ = catalogue().golden_counts(catalogue().loss_classes())
    assert sum(counts[cls].values()) == expected
    assert row_of(cls)[4].split(" ")[0] == str(expected)


def test_torch_cross_entropy_splits_as_the_golden_test_maps_it():
    counts, _ = catalogue().golden_counts(catalogue().loss_classes())
    ce = direct_count("torch.nn.CrossEntropyLoss")
    sparse = counts["SparseCategoricalCrossentropy"]["torch_losses.json"]
    categorical = counts["CategoricalCrossentropy"]["torch_losses.json"]
    assert sparse > 0 and categorical > 0 and sparse + categorical == ce


def test_no_golden_case_is_dropped_silently():
    """Every case is mapped to a class or counted in the "Unmapped" section."""
    _, mapping = catalogue().golden_counts(catalogue().loss_classes())
    primary = sum(n for (_, _, _, how), n in mapping.items() if how != "also")
    total = sum(len(json.loads(p.read_text())["cases"]) for p in GOLDEN.glob("*.json"))
    assert primary == total
    section = text().split("## Unmapped golden losses", 1)[1]
    for (_file, name, cls, _how), _n in mapping.items():
        if cls is None:
            assert f"`{name}`" in section
    assert "`torch.nn.HingeEmbeddingLoss`" in section


def test_speed_column_reads_the_classic_benchmark():
    doc = json.loads((ROOT / "bench" / "results" / "classic_losses.json").read_text())
    row = next(r for r in doc["rows"] if r["loss"] == "Huber" and r["mode"] == "eager")
    assert f"eager {row['ratio']:.2f}" in row_of("Huber")[5]
    assert row_of("Circle")[5] == "not measured yet"


def test_demo_column():
    assert "refs.classic (suites: regression)" in row_of("MeanSquaredError")[6]
    assert "refs.gan" in row_of("WassersteinCriticLoss")[6]
    assert "refs.detection" in row_of("SigmoidFocalCrossEntropy")[6]


def test_committed_catalogue_is_up_to_date(capsys):
    assert catalogue().DOC.exists(), FIX
    assert catalogue().main(["--check"]) == 0, FIX
    capsys.readouterr()
