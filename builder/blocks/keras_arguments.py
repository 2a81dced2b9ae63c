"""A node's JSON parameters as a Keras constructor's arguments, and Keras as the judge of a value.

A value is valid when Keras builds the layer with it: where a parameter's kind says too little (an axis that
may be a list, a factor that may be a range, a dtype policy, an initializer config), Keras is asked, and its
error becomes the message. Only catalogue classes are ever instantiated, so a project file cannot name code.
"""
from __future__ import annotations

from typing import Any

from builder.errors import LayerboardError, first_line


def _is_layer_config(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("class_name"), str) and isinstance(value.get("config", {}), dict)


def nested_layer(value: Any, make) -> Any:
    """A wrapper's inner layer ({"class_name", "config"}), or a list of them (StackedRNNCells' cells, a
    Pipeline's layers), made into layers by `make(block_type, params)`; any other value unchanged."""
    if _is_layer_config(value):
        return make(value["class_name"], dict(value.get("config") or {}))
    if isinstance(value, list) and value and all(_is_layer_config(v) for v in value):
        return [make(v["class_name"], dict(v.get("config") or {})) for v in value]
    return value


def plain_argument(value: Any) -> Any:
    """A JSON value as Keras expects it: lists become tuples (kernel sizes, ranges); the rest unchanged."""
    return tuple(value) if isinstance(value, list) else value


def keras_argument(name: str, value: Any) -> Any:
    """A parameter's JSON value as the constructor takes it: a `quantization_config` config becomes Keras's
    quantization config object (only keras.quantizers' own classes; Keras's from_config, as its loader does),
    lists become tuples, the rest unchanged."""
    if name == "quantization_config" and isinstance(value, dict):
        import keras

        cls = getattr(keras.quantizers, str(value.get("class_name", "")), None)
        if isinstance(cls, type) and issubclass(cls, keras.quantizers.QuantizationConfig):
            return cls.from_config(dict(value.get("config") or {}))
    return plain_argument(value)


def keras_refusal(block_type: str, params: dict[str, Any]) -> str | None:
    """Keras's reason for not building `block_type` with `params` (its error's first line), or None if it builds."""
    import inspect

    from builder.blocks import catalogue

    def make(kind: str, values: dict[str, Any]):
        found = catalogue.entry(kind)
        if found is None or kind == "Input":
            raise LayerboardError(f"'{kind}' is not a layer block Layerboard knows.")
        nested = {n for n, p in found.get("params", {}).items() if p.get("kind") in ("layer", "layers")}
        kwargs = {k: nested_layer(v, make) if k in nested else keras_argument(k, v) for k, v in values.items()}
        return catalogue.keras_class(kind)(**kwargs)

    if not inspect.isclass(catalogue.keras_class(block_type)):
        return None  # a keras.applications function builds a whole model: its node is checked when it is built
    try:
        make(block_type, params)
    except Exception as exc:  # whatever Keras raises is its verdict
        return first_line(exc)
    return None
