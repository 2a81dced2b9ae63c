"""Keras layer configs as node params, and whether the params rebuild the layer exactly (a round-trip check)."""
from __future__ import annotations

from typing import Any

from builder import blocks
from builder.graph import Node, snake_case
from builder.model import make_layer

_DROPPED_KEYS = {"name", "trainable", "dtype"}
_SHORT_OBJECT_MODULES = {"keras.initializers", "keras.regularizers", "keras.constraints"}


def _plain(value: Any) -> Any:
    """A config value as JSON data: tuples become lists, numpy values plain numbers, Keras objects short."""
    import numpy as np

    if isinstance(value, dict):
        if "class_name" in value and "config" in value and ("module" in value or "registered_name" in value):
            return _short_object(value)
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _short_object(obj: dict) -> Any:
    """A serialised initializer/regularizer/constraint: its name when it has default settings,
    else {"class_name", "config"} (no module or registered_name)."""
    import keras

    module = obj.get("module") or ""
    class_name, config = obj["class_name"], _plain(obj.get("config") or {})
    if module in _SHORT_OBJECT_MODULES:
        getter = {"keras.initializers": keras.initializers.get, "keras.regularizers": keras.regularizers.get,
                  "keras.constraints": keras.constraints.get}[module]
        name = snake_case(class_name)
        try:
            candidate = getter(name)
            if type(candidate).__name__ == class_name and _plain(candidate.get_config()) == config:
                return name
        except Exception:  # no short name for this class: keep the full form
            pass
    if class_name == "DTypePolicy" and isinstance(config, dict):
        return config.get("name")
    return {"class_name": class_name, "config": config}


def _dtype_name(value: Any) -> str | None:
    if isinstance(value, dict):
        value = (value.get("config") or {}).get("name")
    return value if isinstance(value, str) else None


def config_params(block_type: str, config: dict) -> dict[str, Any]:
    """A layer config as node params: without name/trainable, dtype only when not float32,
    a wrapper's inner layer as {"class_name", "config"}, and only parameters the block offers."""
    nested = set(blocks.nested_layer_params(block_type))
    offered = {p.name for p in blocks.block_spec(block_type).params}
    params: dict[str, Any] = {}
    for key, value in config.items():
        if key == "dtype":
            dtype = _dtype_name(value)
            if dtype and dtype != "float32":
                params["dtype"] = dtype
            continue
        if key in _DROPPED_KEYS or key not in offered:
            continue  # anything this drops that matters is caught by the round-trip check
        if key in nested and isinstance(value, (dict, list)):
            params[key] = _nested_params(value)
            continue
        value = _plain(value)
        kind = blocks.block_spec(block_type).param(key).kind
        if kind in ("int", "float") and isinstance(value, list) and len(value) == 1:
            value = value[0]  # LayerNormalization keeps axis=-1 as [-1]; the round-trip check confirms
        params[key] = value
    return params


def _nested_params(value: Any) -> Any:
    """A wrapper's inner layer config (or a list of them: a Pipeline's layers, StackedRNNCells' cells) as
    {"class_name", "config"} node params, translated the same way all the way down."""
    if isinstance(value, list):
        return [_nested_params(v) for v in value]
    if not (isinstance(value, dict) and "class_name" in value):
        return _plain(value)
    inner = blocks.canonical_type(value["class_name"])
    inner_config = value.get("config") or {}
    if blocks.is_known(inner) and inner != "Input":
        return {"class_name": inner, "config": config_params(inner, inner_config)}
    return {"class_name": inner, "config": _plain({k: v for k, v in inner_config.items() if k not in _DROPPED_KEYS})}


def comparable_config(block_type: str, config: dict) -> Any:
    """A config for comparing a layer with its rebuilt twin: plain data, no names (inner layers' neither)."""
    return _without_names(_plain({k: v for k, v in config.items() if k != "name"}))


def _without_names(value: Any) -> Any:
    if isinstance(value, list):
        return [_without_names(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "class_name" in value and isinstance(value.get("config"), dict):
        config = {k: _without_names(v) for k, v in value["config"].items() if k != "name"}
        return {"class_name": value["class_name"], "config": config}
    return {k: _without_names(v) for k, v in value.items()}


def config_differences(block_type: str, layer, params: dict[str, Any]) -> list[str]:
    """Settings of `layer` that the node params do not reproduce (empty when the round trip is exact)."""
    twin = make_layer(Node(id=f"{layer.name}_twin", type=block_type, params=params, trainable=layer.trainable))
    want = comparable_config(block_type, layer.get_config())
    differences = _differences(want, comparable_config(block_type, twin.get_config()))
    build_config = layer.get_build_config() if differences and layer.built else None
    if build_config:  # some configs change when built (LayerNormalization's axis -1 becomes [3])
        twin.build_from_config(build_config)
        differences = _differences(want, comparable_config(block_type, twin.get_config()))
    return differences


def _differences(want: dict, got: dict) -> list[str]:
    return sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
