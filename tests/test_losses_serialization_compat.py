"""What the package saved before the losses moved (tests/fixtures/*_v0.*) still loads.

The fixtures were written by the code of a01259c (see tests/fixtures/make_v0_fixtures.py): two
compiled ``.keras`` models and the serialized config of every registered loss class and
function, with sample inputs and the outputs of that day. A fresh process that imports only
``refs.losses`` (no ``custom_objects``, no ``refs.classic`` / ``refs.gan``) must load each
model with its refs loss of the same class and config and the same predictions, and
deserialize every config to the class of the same name, giving the stored outputs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MODELS = json.loads((FIXTURES / "models_v0.json").read_text())
CONFIGS = json.loads((FIXTURES / "losses_config_v0.json").read_text())
MODEL_FILES = [k for k in MODELS if k.endswith(".keras")]

LOADER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import keras
    import numpy as np

    import refs.losses  # the only refs import: it registers every loss

    fixtures = Path(sys.argv[1])
    models = json.loads((fixtures / "models_v0.json").read_text())
    configs = json.loads((fixtures / "losses_config_v0.json").read_text())
    out = {"models": {}, "classes": [], "functions": []}

    for file, info in models.items():
        if not file.endswith(".keras"):
            continue
        model = keras.models.load_model(fixtures / file)
        loss = model.loss
        x, y = np.asarray(info["x"], "float32"), np.asarray(info["y"], "float32")
        out["models"][file] = {
            "loss": keras.saving.serialize_keras_object(loss),
            "loss_type": f"{type(loss).__module__}.{type(loss).__name__}",
            "loss_is_refs_function": any(loss is getattr(refs.losses, n) for n in
                                         refs.losses.__all__),
            "predictions": model.predict(x, verbose=0).tolist(),
            "evaluate": model.evaluate(x, y, verbose=0, return_dict=True),
        }

    inputs = configs["inputs"]
    for case in configs["classes"]:
        obj = keras.saving.deserialize_keras_object(case["serialized"])
        kwargs = {}
        if case["sample_weight"] is not None:
            kwargs["sample_weight"] = np.asarray(case["sample_weight"])
        value = obj(*(inputs[a] for a in case["args"]), **kwargs)
        out["classes"].append({
            "type": f"{type(obj).__module__}.{type(obj).__name__}",
            "config": obj.get_config(),
            "is_refs_class": getattr(refs.losses, type(obj).__name__, None) is type(obj),
            "value": np.asarray(keras.ops.convert_to_numpy(value), "float64").tolist(),
        })
    for case in configs["functions"]:
        fn = keras.saving.deserialize_keras_object(case["serialized"])
        value = fn(*(inputs[a] for a in case["args"]), **case["kwargs"])
        out["functions"].append({
            "name": fn.__name__,
            "is_refs_function": getattr(refs.losses, fn.__name__, None) is fn,
            "value": np.asarray(keras.ops.convert_to_numpy(value), "float64").tolist(),
        })
    out["refs_modules"] = sorted(m for m in sys.modules if m.startswith("refs"))
    print("RESULT" + json.dumps(out, default=float))
    """
)


@pytest.fixture(scope="module")
def loaded():
    """Everything the fresh process loaded and computed (one process for all the tests)."""
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", LOADER, str(FIXTURES)], capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(s for s in proc.stdout.splitlines() if s.startswith("RESULT"))
    return json.loads(line[len("RESULT"):])


def test_the_fresh_process_imported_refs_losses_only(loaded):
    """Loading needs neither refs.classic nor refs.gan: the registered names are in refs.losses."""
    others = [m for m in loaded["refs_modules"]
              if m != "refs" and not m.startswith("refs.losses")]
    assert others == []


@pytest.mark.parametrize("file", MODEL_FILES)
def test_saved_model_loads_with_its_refs_loss_and_same_predictions(loaded, file):
    want, got = MODELS[file], loaded["models"][file]
    saved_loss = want["loss"]
    assert got["loss"]["registered_name"] == saved_loss["registered_name"]
    assert got["loss"]["class_name"] == saved_loss["class_name"]
    assert got["loss"]["config"] == saved_loss["config"]
    if saved_loss["class_name"] == "function":
        assert got["loss_is_refs_function"], got["loss"]
    else:
        assert got["loss_type"] == f"refs.losses.focal.{saved_loss['class_name']}"
    np.testing.assert_allclose(got["predictions"], want["predictions"], rtol=1e-6, atol=1e-7)
    assert set(got["evaluate"]) == set(want["evaluate"])
    for key, value in want["evaluate"].items():
        np.testing.assert_allclose(got["evaluate"][key], value, rtol=1e-6, err_msg=key)


def test_the_model_fixtures_are_the_ones_described():
    assert MODELS["model_refs_losses_v0.keras"]["loss"]["registered_name"] == (
        "refs>SigmoidFocalCrossEntropy")
    assert MODELS["model_refs_fn_loss_v0.keras"]["loss"]["config"] == "refs>huber"


def test_every_registered_class_and_function_was_frozen():
    frozen = {c["serialized"]["registered_name"] for c in CONFIGS["classes"]}
    frozen |= {f["serialized"]["config"] for f in CONFIGS["functions"]}
    assert frozen == set(CONFIGS["registered"])
    assert len(CONFIGS["classes"]) == 32 and len(CONFIGS["functions"]) == 23


@pytest.mark.parametrize("index", range(len(CONFIGS["classes"])),
                         ids=[c["class_name"] for c in CONFIGS["classes"]])
def test_every_v0_class_config_deserializes_to_the_same_class_and_output(loaded, index):
    case, got = CONFIGS["classes"][index], loaded["classes"][index]
    assert got["type"].rsplit(".", 1)[-1] == case["class_name"]
    assert got["type"].startswith("refs.losses.") and got["is_refs_class"], got["type"]
    assert got["config"] == case["serialized"]["config"]
    np.testing.assert_allclose(got["value"], case["expected"], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("index", range(len(CONFIGS["functions"])),
                         ids=[f["name"] for f in CONFIGS["functions"]])
def test_every_v0_function_deserializes_to_the_refs_function_and_output(loaded, index):
    case, got = CONFIGS["functions"][index], loaded["functions"][index]
    assert got["name"] == case["name"] and got["is_refs_function"]
    np.testing.assert_allclose(got["value"], case["expected"], rtol=1e-6, atol=1e-7)
