"""A node's JSON parameters as a Keras constructor's arguments, and Keras as the judge of a value.

A value is valid when Keras builds the layer with it: where a parameter's kind says too little (an axis that
may be a list, a factor that may be a range, a dtype policy, an initializer config), Keras is asked, and its
error becomes the message. Only catalogue layer classes are ever instantiated (never a keras.applications model
inside another layer), and Keras is never handed a file path to judge, so a project file cannot name code or
make Layerboard read a file.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

from builder.blocks import catalogue
from builder.blocks.random_state import random_state_kept
from builder.errors import LayerboardError, first_line

MakeLayer = Callable[[str, dict[str, Any]], Any]


def is_layer_config(value: Any) -> bool:
    """A wrapper's inner layer as a project file holds it: {"class_name": "LSTM", "config": {...}}."""
    return isinstance(value, dict) and isinstance(value.get("class_name"), str) and isinstance(value.get("config", {}), dict)


def nested_layer(value: Any, make: MakeLayer) -> Any:
    """A wrapper's inner layer ({"class_name", "config"}), or a list of them (StackedRNNCells' cells, a
    Pipeline's layers), made into layers by `make(block_type, params)`; any other value unchanged."""
    if is_layer_config(value):
        return make(value["class_name"], dict(value.get("config") or {}))
    if isinstance(value, list) and value and all(is_layer_config(v) for v in value):
        return [make(v["class_name"], dict(v.get("config") or {})) for v in value]
    return value


def keras_argument(name: str, value: Any) -> Any:
    """A parameter's JSON value as the constructor takes it: a `quantization_config` config becomes Keras's
    quantization config object (only keras.quantizers' own classes; Keras's from_config, as its loader does),
    lists become tuples, the rest unchanged."""
    if name == "quantization_config" and isinstance(value, dict):
        cls = quantization_config_class(value)
        if cls is not None:
            return cls.from_config(dict(value.get("config") or {}))
    return tuple(value) if isinstance(value, list) else value


def quantization_config_class(value: dict[str, Any]):
    """The keras.quantizers config class a `quantization_config` names, or None when it names no such class."""
    import keras

    cls = getattr(keras.quantizers, str(value.get("class_name", "")), None)
    return cls if isinstance(cls, type) and issubclass(cls, keras.quantizers.QuantizationConfig) else None


def constructor_arguments(block_type: str, params: dict[str, Any], make: MakeLayer,
                          files: dict[str, Any]) -> dict[str, Any]:
    """`params` of a catalogue layer as its constructor's keyword arguments: inner layers made by `make`, the file
    parameters replaced by `files` (a checked path; a parameter missing there is left out), the rest as
    `keras_argument` gives them. The one translation that building and judging share."""
    found = catalogue.entry(block_type) or {}
    nested, file_params = catalogue.entry_nested_params(found), catalogue.entry_file_params(found)
    kwargs = {}
    for key, value in params.items():
        if key in file_params and isinstance(value, str):
            if key in files:
                kwargs[key] = files[key]
        elif key in nested:
            kwargs[key] = nested_layer(value, make)
        else:
            kwargs[key] = keras_argument(key, value)
    return kwargs


def keras_judges(block_type: str) -> bool:
    """Whether Keras can judge the block's values by building it: a layer class, not keras.Input or a
    keras.applications function (which builds a whole model)."""
    return block_type != "Input" and inspect.isclass(catalogue.keras_class(block_type))


def keras_refusal(block_type: str, params: dict[str, Any]) -> str | None:
    """Keras's reason for not building `block_type` with `params` (its error's first line), or None if it builds.

    A file parameter given as a path is left out (Keras would read the file), and an inner layer must be a
    catalogue layer class."""
    import keras

    def make(kind: str, values: dict[str, Any]):
        if not catalogue.is_layer_class(kind):
            raise LayerboardError(f"'{kind}' is not a layer block that can sit inside another.")
        if "dtype" in values and values["dtype"] is not None:
            policy = keras.dtype_policies.get(values["dtype"])
            if not isinstance(policy, keras.dtype_policies.DTypePolicy):
                raise LayerboardError(f"dtype {values['dtype']!r} is not a dtype or a dtype policy.")
        return catalogue.keras_class(kind)(**constructor_arguments(kind, values, make, files={}))

    try:
        with random_state_kept():
            make(block_type, params)
    except Exception as exc:  # whatever Keras raises is its verdict
        return first_line(exc)
    return None
