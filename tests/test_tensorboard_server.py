"""A run written by the tracking layer is served by a real TensorBoard server."""

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest

from refs.tracking import Run

STARTUP_TIMEOUT_S = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(base, path, data=None):
    headers = {"Content-Type": "application/json"} if data is not None else {}
    req = urllib.request.Request(base + path, data=data, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    runs = {}
    for name, delta in (("huber-a", 0.5), ("huber-b", 1.0)):
        with Run("classic", name=name, root=root, config={"delta": delta, "seed": 3}) as run:
            for step in range(4):
                run.log_scalars({"loss": delta + 1.0 / (step + 1)}, step=step)
            run.log_image_grid("samples", np.linspace(0, 1, 4 * 8 * 8).reshape(4, 8, 8), step=2)
            run.log_histogram("weights", np.arange(10.0), step=1)
            run.log_hparams({"delta": delta, "loss": "huber"}, {"final/mae": 0.1 * delta})
        runs[name] = run.path.relative_to(root).as_posix()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(root), "--host", "127.0.0.1",
         "--port", str(port), "--load_fast=false", "--reload_interval", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"tensorboard exited early: {proc.stderr.read().decode()[-2000:]}")
            try:
                listed = _get(base, "/data/runs")
                tags = _get(base, "/data/plugin/scalars/tags")
                if set(runs.values()) <= set(listed) and all(
                    "final/mae" in tags.get(r, {}) for r in runs.values()
                ):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"tensorboard did not serve the runs within {STARTUP_TIMEOUT_S}s")
            time.sleep(0.5)
        yield base, runs
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def test_runs_and_scalar_values_are_served(served):
    base, runs = served
    run = runs["huber-a"]
    q = urllib.parse.urlencode({"run": run, "tag": "loss"})
    points = _get(base, f"/data/plugin/scalars/scalars?{q}")
    assert [p[1] for p in points] == [0, 1, 2, 3]
    np.testing.assert_allclose([p[2] for p in points], [1.5, 1.0, 0.5 + 1 / 3, 0.75], rtol=1e-6)


def test_image_grid_is_served(served):
    base, runs = served
    tags = _get(base, "/data/plugin/images/tags")
    assert "samples" in tags[runs["huber-b"]]
    q = urllib.parse.urlencode({"run": runs["huber-b"], "tag": "samples", "sample": 0})
    entries = _get(base, f"/data/plugin/images/images?{q}")
    assert [e["step"] for e in entries] == [2]


def test_config_text_and_histogram_are_served(served):
    base, runs = served
    assert "config" in _get(base, "/data/plugin/text/tags")[runs["huber-a"]]
    assert "weights" in _get(base, "/data/plugin/histograms/tags")[runs["huber-a"]]


def test_hparams_dashboard_compares_the_runs(served):
    base, runs = served
    exp = _get(base, "/data/plugin/hparams/experiment", json.dumps({"experimentName": ""}).encode())
    infos = {h["name"]: h for h in exp["hparamInfos"]}
    assert infos["delta"]["domainInterval"] == {"minValue": 0.5, "maxValue": 1.0}
    assert infos["loss"]["domainDiscrete"] == ["huber"]
    assert "final/mae" in {m["name"]["tag"] for m in exp["metricInfos"]}
    body = {"experimentName": "", "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS"],
            "colParams": [], "startIndex": 0, "sliceSize": 10}
    groups = _get(base, "/data/plugin/hparams/session_groups", json.dumps(body).encode())
    by_delta = {}
    for group in groups["sessionGroups"]:
        final = {m["name"]["tag"]: m["value"] for m in group["metricValues"]}
        by_delta[group["hparams"]["delta"]] = final["final/mae"]
    assert by_delta == pytest.approx({0.5: 0.05, 1.0: 0.1})
