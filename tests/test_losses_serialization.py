"""Saved models come back in a fresh process without custom_objects; the import stays light.

How registration works: each class is decorated with
``keras.saving.register_keras_serializable(package="refs")``, so the saved compile config names
it ``"refs>ClassName"``. A fresh process must have imported ``refs.losses`` (which
registers every class) before ``keras.models.load_model``; then no ``custom_objects`` are
needed. The subprocess below shows both halves: without the import the load fails, naming the
class; after it, the model loads with the same losses, hyperparameters and loss values.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
from test_losses_stability import CASES, N, multi_head_model

import refs.losses as L

LOADER = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import keras

    path, data = sys.argv[1], np.load(sys.argv[2])
    result = {}
    try:
        keras.models.load_model(path)
        result["without_import"] = "loaded"
    except Exception as err:  # expected: the classes are not registered yet
        result["without_import"] = f"{type(err).__name__}: {err}"[:300]

    import refs.losses  # registers every "refs>..." class
    model = keras.models.load_model(path)
    losses = model.loss if isinstance(model.loss, list) else [model.loss]
    result["classes"] = [type(loss).__name__ for loss in losses]
    result["configs"] = [loss.get_config() for loss in losses]
    targets = [data[f"y{i}"] for i in range(len(losses))]
    result["values"] = model.evaluate(data["x"], targets, verbose=0, return_dict=True)
    # A model compiled with a loss *function* gets ours back too (registered "refs>huber"),
    # not Keras's function of the same name.
    with_function = keras.models.load_model(sys.argv[3])
    result["function_is_ours"] = with_function.loss is refs.losses.huber
    print("RESULT" + json.dumps(result, default=float))
    """
)


def test_saved_model_loads_in_a_fresh_process_without_custom_objects(tmp_path):
    model, x, targets, losses = multi_head_model(CASES)
    model.compile(optimizer="sgd", loss=losses)
    model.fit(x, targets, epochs=1, batch_size=N, verbose=0)
    want = model.evaluate(x, targets, verbose=0, return_dict=True)
    path = tmp_path / "model.keras"
    model.save(path)
    data = tmp_path / "data.npz"
    np.savez(data, x=x, **{f"y{i}": t for i, t in enumerate(targets)})

    small = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    small.compile(optimizer="sgd", loss=L.huber)
    small.save(tmp_path / "function.keras")

    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run(
        [sys.executable, "-c", LOADER, str(path), str(data), str(tmp_path / "function.keras")],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(s for s in proc.stdout.splitlines() if s.startswith("RESULT"))
    got = json.loads(line[len("RESULT"):])

    assert got["without_import"] != "loaded"
    assert "refs>" in got["without_import"] or "Could not locate" in got["without_import"]
    assert got["classes"] == [type(loss).__name__ for loss in losses]
    assert got["configs"] == [json.loads(json.dumps(loss.get_config())) for loss in losses]
    assert set(got["values"]) == set(want)
    for key, value in want.items():
        np.testing.assert_allclose(got["values"][key], value, rtol=1e-5, err_msg=key)
    assert got["function_is_ours"] is True


def test_the_losses_import_and_run_with_plotting_and_data_libraries_blocked():
    """refs.losses needs none of matplotlib, scikit-learn, pycocotools.

    Keras 3.15 itself imports scikit-learn (keras.src.wrappers) and matplotlib when they are
    installed, so "not in sys.modules" cannot be asserted; instead the fresh process makes
    every import of them fail, and the package must still import and compute.
    """
    code = (
        "import sys\n"
        "for name in ('matplotlib', 'sklearn', 'pycocotools'):\n"
        "    sys.modules[name] = None  # any import of them now raises ImportError\n"
        "import refs.losses as L\n"
        "print('VALUE', float(L.Huber()([[0.0]], [[2.0]])))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "VALUE 1.5" in proc.stdout


#: the classes outside the stability CASES (other input kinds), one model each
OTHER_KINDS = {
    "TripletSemiHardLoss": dict(margin=0.5), "TripletHardLoss": dict(soft=True),
    "LiftedStructLoss": dict(margin=0.7), "NpairsLoss": {}, "NpairsMultilabelLoss": {},
    "ContrastiveLoss": dict(margin=2.0), "Circle": dict(gamma=64.0, margin=0.3),
    "CTC": {}, "IoULoss": dict(mode="quadratic", bounding_box_format="xywh"),
    "GIoULoss": dict(bounding_box_format="center_xywh"), "DIoULoss": {}, "CIoULoss": {},
}

OTHER_LOADER = textwrap.dedent(
    """
    import json, sys
    import keras
    import refs.losses  # noqa: F401
    out = {}
    for name in sys.argv[2:]:
        model = keras.models.load_model(f"{sys.argv[1]}/{name}.keras")
        out[name] = [type(model.loss).__name__, model.loss.get_config()]
    print("RESULT" + json.dumps(out))
    """
)


def test_metric_learning_box_and_ctc_losses_load_in_a_fresh_process(tmp_path):
    want = {}
    for name, kwargs in OTHER_KINDS.items():
        loss = getattr(L, name)(**kwargs)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
        model.compile(optimizer="sgd", loss=loss)
        model.save(tmp_path / f"{name}.keras")
        want[name] = [name, json.loads(json.dumps(loss.get_config()))]
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", OTHER_LOADER, str(tmp_path), *OTHER_KINDS],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(s for s in proc.stdout.splitlines() if s.startswith("RESULT"))
    assert json.loads(line[len("RESULT"):]) == want
