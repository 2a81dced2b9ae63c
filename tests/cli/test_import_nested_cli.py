"""`import` of a model with a model inside: the command says which block the nested model became, and the project
it writes (which carries that block) checks, and exports as Python code that builds the same model."""
import json
import runpy

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402

from builder.cli import main  # noqa: E402

pytestmark = pytest.mark.catalogue  # make test-catalogue (CI): import of nested and shared models


def test_import_names_the_block_a_nested_model_became(tmp_path, capsys):
    head = keras.Sequential([layers.Dense(4, activation="relu", name="hidden"), layers.Dense(2, name="logits")],
                            name="head")
    x = keras.Input((5,), name="x")
    model = keras.Model(x, head(layers.Dense(6, name="stem")(x)))
    model.save(tmp_path / "m.keras")
    assert main(["import", str(tmp_path / "m.keras"), "-o", str(tmp_path / "p.json")]) == 0
    text = capsys.readouterr().out
    block = json.loads((tmp_path / "p.json").read_text())["graph"]["nodes"][-1]["type"]
    assert block.startswith("Head") and f"note: the nested model head became the block {block} 'head'" in text
    assert "verified:    outputs match" in text
    assert main(["check", str(tmp_path / "p.json")]) == 0
    capsys.readouterr()
    assert main(["export", str(tmp_path / "p.json"), "--format", "python", "-o", str(tmp_path / "model.py")]) == 0
    code = (tmp_path / "model.py").read_text()
    assert "head_hidden" in code and "head_logits" in code  # the block written out layer by layer
    built = runpy.run_path(str(tmp_path / "model.py"), run_name="layerboard_test")["build_model"]()
    assert built.count_params() == model.count_params()
    assert [w.shape for w in built.get_weights()] == [np.shape(w) for w in model.get_weights()]
