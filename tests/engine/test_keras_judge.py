"""Keras as the judge of parameter values, and its limits: what the kind leaves open is accepted when Keras builds
the layer with it (a list axis, a range, a policy, an initializer config), refused with Keras's reason otherwise;
Keras is never handed a file path to judge, an inner layer is only ever a catalogue layer class, and a block
Keras cannot judge (Input, a keras.applications model) keeps its kind's rules."""
from __future__ import annotations

import json

import pytest

from builder import blocks
from builder.cli import main
from builder.errors import LayerboardError


@pytest.mark.parametrize("block_type, name, value", [
    ("LayerNormalization", "axis", [-3, -2, -1]),
    ("UnitNormalization", "axis", [1, 2]),
    ("RandomContrast", "factor", [0, 0.75]),
    ("LayerNormalization", "rms_scaling", True),  # in the config only, not the signature
    ("Dense", "dtype", "mixed_float16"),
    ("Conv2D", "lora_rank", 2),  # passed on to the base class through **kwargs
    ("Dense", "kernel_initializer", {"class_name": "RandomNormal", "config": {"stddev": 0.1, "seed": 1}}),
])
def test_what_keras_builds_is_accepted(block_type, name, value):
    assert blocks.check_param(block_type, name, value) == value


@pytest.mark.parametrize("block_type, name, value, says", [
    ("LayerNormalization", "axis", "x", "Keras does not accept 'x': Expected an int or a list/tuple of ints"),
    ("Dense", "dtype", "nonsense", "Keras does not accept 'nonsense'"),
    ("Dense", "dtype", {"class_name": "TFSMLayer", "config": {}}, "is not a dtype or a dtype policy"),
    ("Dense", "kernel_initializer", 3.5, "Could not interpret initializer identifier"),
    ("Dense", "units", 0, "must be at least 1; got 0. Keras says:"),
    ("Input", "shape", "garbage", "positive whole numbers"),  # Keras cannot judge Input: its kind's rule holds
    ("MobileNetV2", "weights", "/abs/secret.weights.h5", "must be one of"),
    ("TimeDistributed", "layer", {"class_name": "MobileNetV2", "config": {}}, "is not a layer block that can sit inside"),
    ("TimeDistributed", "layer", {"class_name": "Input", "config": {}}, "is not a layer block that can sit inside"),
    ("TimeDistributed", "layer", {"class_name": "Dense", "config": {"units": -3}}, "Dense.units must be at least 1"),
])
def test_what_keras_or_the_kind_refuses_is_refused_with_the_reason(block_type, name, value, says):
    with pytest.raises(LayerboardError) as info:
        blocks.check_param(block_type, name, value)
    assert says in str(info.value)


def test_values_are_judged_among_the_nodes_other_parameters():
    params = {"max_tokens": 20, "output_mode": "multi_hot"}  # no output_sequence_length: it goes with "int" only
    assert blocks.check_param("TextVectorization", "vocabulary", ["cat", "dog"], params) == ["cat", "dog"]


def test_keras_never_reads_a_file_to_judge_a_value(tmp_path, capsys):
    secret = tmp_path / "outside" / "vocab.txt"
    secret.parent.mkdir()
    secret.write_text("topsecret\ntopsecret\n")  # a repeated token: Keras would name it if it read the file
    assert blocks.check_param("StringLookup", "salt", 5, {"vocabulary": str(secret)}) == 5
    project = tmp_path / "p" / "p.json"
    project.parent.mkdir()
    project.write_text(json.dumps({
        "format": "layerboard-project", "version": 1, "graph": {"nodes": [
            {"id": "words", "type": "Input", "params": {"shape": [1], "dtype": "string"}},
            {"id": "td", "type": "TimeDistributed", "params": {"dtype": "float32", "layer": {
                "class_name": "StringLookup", "config": {"vocabulary": str(secret)}}}}],
            "edges": [{"source": "words", "target": "td"}]}}))
    assert main(["check", str(project), "--json"]) == 2
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    errors = " ".join(n["error"] or "" for n in report["nodes"])
    assert "only reference files inside their own folder" in errors and "topsecret" not in errors


def test_reading_and_judging_layers_leaves_the_random_state_alone():
    """A Dropout or a random augmentation draws its seed from Python's random when made: the layers made to read a
    block's parameters or to judge a value must not shift the seeds of the model a run builds next."""
    import random

    import numpy as np

    from builder.blocks import catalogue

    random.seed(7)
    np.random.seed(7)
    state, numpy_state = random.getstate(), np.random.get_state()[1].copy()
    catalogue.block_spec.cache_clear()
    blocks.block_spec("GaussianDropout")  # made once to read its config
    blocks.check_param("RandomContrast", "factor", [0, 0.5])  # made to be judged
    assert random.getstate() == state and np.array_equal(np.random.get_state()[1], numpy_state)
