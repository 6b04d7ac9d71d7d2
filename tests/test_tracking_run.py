import json

import numpy as np
import pytest

from refs.tracking import Run, image_grid, read_config, read_metrics
from refs.tracking.images import to_uint8
from refs.tracking.run import default_run_dir


def test_default_run_dir_layout(tmp_path):
    path = default_run_dir("gan", "my run!", root=tmp_path)
    assert path.parent == tmp_path / "gan"
    stamp, name = path.name.split("-", 1)
    assert len(stamp) == 16 and stamp.endswith("Z") and stamp[8] == "T"
    assert name == "my-run"


def test_config_json_records_hparams_versions_and_git(tmp_path):
    with Run("classic", run_dir=tmp_path / "r", config={"lr": 1e-3, "seed": 7, "shape": (2, 3)}):
        pass
    cfg = read_config(tmp_path / "r")
    assert cfg["area"] == "classic"
    assert cfg["hparams"] == {"lr": 1e-3, "seed": 7, "shape": [2, 3]}
    for pkg in ("python", "tensorflow", "keras", "numpy", "refs"):
        assert cfg["versions"][pkg]
    assert "git" in cfg and "command" in cfg


def test_metrics_jsonl_one_object_per_log_call(tmp_path):
    with Run("gan", run_dir=tmp_path / "r") as run:
        run.log_scalars({"d_loss": np.float32(0.5), "g_loss": 1.25}, step=10)
        run.log_scalars({"fid": 3.0}, step=1, kind="epoch", epoch=1)
    lines = (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["kind"] == "step" and first["step"] == 10
    assert first["d_loss"] == 0.5 and first["g_loss"] == 1.25
    assert read_metrics(tmp_path / "r", kind="epoch")[0]["fid"] == 3.0


def test_continued_run_appends_and_keeps_first_config(tmp_path):
    with Run("gan", run_dir=tmp_path / "r", config={"lr": 1}) as run:
        assert not run.resumed
        run.log_scalars({"x": 1}, step=5)
    with Run("gan", run_dir=tmp_path / "r", config={"lr": 2}) as run:
        assert run.resumed
        run.log_scalars({"x": 2}, step=6)
    assert read_config(tmp_path / "r")["hparams"] == {"lr": 1}
    assert [r["x"] for r in read_metrics(tmp_path / "r")] == [1.0, 2.0]


def test_truncated_last_metrics_line_is_skipped(tmp_path):
    with Run("gan", run_dir=tmp_path / "r") as run:
        run.log_scalars({"x": 1}, step=1)
    with open(tmp_path / "r" / "metrics.jsonl", "a") as f:
        f.write('{"kind": "step", "ste')
    assert len(read_metrics(tmp_path / "r")) == 1


def test_disabled_run_writes_nothing(tmp_path):
    run = Run("gan", run_dir=tmp_path / "r", config={"a": 1}, enabled=False)
    run.log_scalars({"x": 1}, step=1)
    run.log_image_grid("g", np.zeros((4, 5, 5)), step=1)
    run.log_hparams({"a": 1}, {"m": 1.0})
    run.close()
    assert not (tmp_path / "r").exists()


def test_image_grid_places_tiles():
    images = np.stack([np.full((3, 4), v, np.uint8) for v in (10, 20, 30, 40, 50)])
    grid = image_grid(images, ncols=3, pad=1, pad_value=0)
    assert grid.shape == (2 * 3 + 3, 3 * 4 + 4, 1)
    assert grid[1, 1, 0] == 10 and grid[1, 6, 0] == 20 and grid[5, 1, 0] == 40
    assert grid[5, 11, 0] == 0  # the empty sixth tile stays padding
    assert grid[0, :, 0].max() == 0


def test_to_uint8_maps_tanh_and_unit_ranges():
    np.testing.assert_array_equal(to_uint8(np.array([-1.0, 0.0, 1.0])), [0, 128, 255])
    np.testing.assert_array_equal(to_uint8(np.array([0.0, 0.5, 1.0])), [0, 128, 255])
    with pytest.raises(ValueError, match="NaN"):
        to_uint8(np.array([np.nan]))


def test_image_grid_png_and_figure_are_written(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with Run("gan", run_dir=tmp_path / "r") as run:
        png = run.log_image_grid("samples", np.random.rand(6, 28, 28), step=3)
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 0])
        fig_png = run.log_figure("curve", fig)
    assert png.name == "samples_000003.png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig_png.read_bytes()[:4] == b"\x89PNG"


def test_pr_curve_rejects_mismatched_shapes(tmp_path):
    with Run("detection", run_dir=tmp_path / "r") as run, pytest.raises(ValueError, match="match"):
        run.log_pr_curve("pr", np.array([0, 1]), np.array([0.5]), step=0)


def test_replace_marked_section_touches_only_its_own_section(tmp_path):
    from refs.tracking.docs import replace_marked_section

    doc = tmp_path / "results.md"
    doc.write_text("# R\n\n<!-- a:start -->\nold a\n<!-- a:end -->\n\n<!-- b:start -->\nb\n"
                   "<!-- b:end -->\n")
    replace_marked_section(doc, "a", "new a\n| t |")
    replace_marked_section(doc, "c", "c body", heading="Area C")
    text = doc.read_text()
    assert "<!-- a:start -->\nnew a\n| t |\n<!-- a:end -->" in text and "old a" not in text
    assert "<!-- b:start -->\nb\n<!-- b:end -->" in text
    assert text.endswith("## Area C\n\n<!-- c:start -->\nc body\n<!-- c:end -->\n")
    replace_marked_section(doc, "c", "c again")
    assert doc.read_text().count("c:start") == 1 and "c again" in doc.read_text()
