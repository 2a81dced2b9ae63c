import inspect

import keras
import pytest

from builder import blocks
from builder.errors import LayerboardError

SKELETON = ["Input", "Dense", "Conv2D", "MaxPooling2D", "Flatten", "Dropout", "Activation",
            "BatchNormalization", "Rescaling"]


def test_catalogue_has_the_skeleton_blocks_grouped_in_the_palette():
    listed = [t for names in blocks.palette().values() for t in names]
    assert set(SKELETON) <= set(listed)
    cells = {"SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"}  # only inside an RNN block's cell
    assert sorted(listed) == sorted(t for t in blocks.block_types() if t not in cells)


@pytest.mark.parametrize("block_type", [t for t in SKELETON if t != "Input"])
def test_defaults_and_help_come_from_keras(block_type):
    spec = blocks.block_spec(block_type)
    cls = getattr(keras.layers, block_type)
    # an argument is the class's own, or one it passes on through **kwargs to a base class (Layer's dtype)
    signatures = [inspect.signature(k.__init__).parameters for k in cls.__mro__ if "__init__" in vars(k)]
    for p in spec.params:
        declared = next((s[p.name] for s in signatures if p.name in s), None)
        if declared is None:  # a setting only the layer's config holds: the value a fresh layer has
            assert cls(**blocks.initial_params(block_type)).get_config()[p.name] == p.default, p.name
            continue
        default = declared.default
        if default is inspect.Parameter.empty:
            assert p.required
        else:
            assert p.default == (list(default) if isinstance(default, tuple) else default), p.name
    assert {"dtype", "activity_regularizer"} <= {p.name for p in spec.params}
    assert all(p.kind in {"int", "float", "bool", "str", "choice", "tuple", "shape", "json", "dtype"} for p in spec.params)
    assert any(p.help for p in spec.params) or not spec.params


def test_param_details():
    conv = blocks.block_spec("Conv2D")
    assert [p.name for p in conv.params][:3] == ["filters", "kernel_size", "strides"]
    assert conv.param("padding").choices == ["valid", "same"]
    assert "relu" in conv.param("activation").choices
    assert conv.param("filters").help.startswith("int, the dimension of the output space")
    rate = blocks.block_spec("Dropout").param("rate")
    assert (rate.minimum, rate.maximum, rate.required) == (0.0, 1.0, True)


@pytest.mark.parametrize("block_type, name, value, error", [
    ("Dense", "units", 0, "at least 1"),
    ("Dense", "units", "ten", "whole number"),
    ("Dropout", "rate", 1.5, "at most 1.0"),
    ("Conv2D", "padding", "full", "must be one of valid, same"),
    ("Conv2D", "kernel_size", [3, "x"], "whole number"),
    ("Input", "shape", [8, -1], "positive whole numbers"),
])
def test_check_param_refuses_bad_values(block_type, name, value, error):
    with pytest.raises(LayerboardError, match=error):
        blocks.check_param(block_type, name, value)


def test_unknown_block():
    with pytest.raises(LayerboardError, match="Unknown block type 'Conv9D'"):
        blocks.block_spec("Conv9D")
