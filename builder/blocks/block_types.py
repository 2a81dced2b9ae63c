"""Block-type queries that answer alike for Keras catalogue layers and composite blocks (ports, specs, checks).

The canvas, shape inference, project files and the CLI ask here; a composite block answers with a
catalogue-like entry (builder.blocks.composites), so every query works the same for both kinds.
"""
from __future__ import annotations

import json
from typing import Any

from builder.blocks import catalogue, composites
from builder.blocks.catalogue import BlockSpec
from builder.blocks.keras_arguments import is_layer_config, keras_judges, keras_refusal
from builder.errors import LayerboardError, UnknownBlockError


def block_types() -> list[str]:
    """Every block type in the catalogue, then the composite blocks (no Keras import)."""
    return catalogue.catalogue_types() + [t for t in composites.definitions() if not catalogue.is_catalogue_block(t)]


def palette() -> dict[str, list[str]]:
    """Block types grouped by palette category, in display order (no Keras import)."""
    groups = catalogue.catalogue_palette()
    groups.update(composites.palette())  # "Blocks" and "My blocks", after the catalogue
    return {c: names for c, names in groups.items() if names}


def is_known(block_type: str) -> bool:
    return catalogue.is_catalogue_block(block_type) or composites.is_composite(block_type)


def is_catalogue_block(block_type: str) -> bool:
    """A Keras layer (or Input) from the catalogue, as opposed to a composite block."""
    return catalogue.is_catalogue_block(block_type)


def _entry(block_type: str) -> dict[str, Any]:
    found = catalogue.entry(block_type)
    if found is not None:
        return found
    if composites.is_composite(block_type):
        return composites.catalogue_entry(block_type)
    known = ", ".join(block_types())
    raise UnknownBlockError(f"Unknown block type '{block_type}'. Known blocks: {known}.")


def class_path(block_type: str) -> str | None:
    """"module:Name" for a Keras layer that keras.layers does not export; None for the others."""
    return _entry(block_type).get("class")


def input_count(block_type: str) -> int | None:
    """Number of input ports (no Keras import); None for merge layers that take any number."""
    return catalogue.entry_input_count(_entry(block_type))


def input_ports(block_type: str) -> list[str] | None:
    """Names of the input ports, in port order; None for merge layers that take any number.

    A layer called with one tensor has one port named "input"; a layer with named call
    arguments (MultiHeadAttention's query, value, key) has one port per argument.
    """
    return catalogue.entry_input_ports(_entry(block_type))


def required_inputs(block_type: str) -> int:
    """How many input ports must be wired (merge layers: at least 2)."""
    return catalogue.entry_required_inputs(_entry(block_type))


def call_style(block_type: str) -> str:
    """How the layer is called: "single" (one tensor), "list" (a list of tensors) or "kwargs"."""
    return catalogue.entry_call_style(_entry(block_type))


def output_ports(block_type: str, count: int = 1) -> list[str]:
    """Names of a block's `count` output ports (count comes from shape inference)."""
    names = _entry(block_type).get("outputs", ["output"])
    if count <= len(names):
        return list(names[:max(count, 1)])
    return list(names) + [f"output_{i}" for i in range(len(names), count)]


def nested_layer_params(block_type: str) -> list[str]:
    """Parameters that hold another layer (a wrapper's inner layer, an RNN's cell) as {"class_name", "config"},
    or a list of them (a Pipeline's layers)."""
    return catalogue.entry_nested_params(_entry(block_type))


def file_params(block_type: str) -> list[str]:
    """Parameters that Keras reads as the path of a file when given a string (a lookup's `vocabulary`)."""
    return catalogue.entry_file_params(_entry(block_type))


def initial_params(block_type: str) -> dict[str, Any]:
    """Parameters a freshly dropped block starts with (no Keras import)."""
    return json.loads(json.dumps(_entry(block_type).get("initial", {})))


def keras_class(block_type: str):
    """The Keras class (or `keras.Input` for Input) that a block type names."""
    _entry(block_type)  # an unknown type says so
    if not catalogue.is_catalogue_block(block_type):  # a composite block is many layers, not one class
        raise UnknownBlockError(f"{block_type} is a composite block, not a Keras layer: expand it "
                                "(builder.blocks.composites.expand) to get its layers.")
    return catalogue.keras_class(block_type)


def block_spec(block_type: str) -> BlockSpec:
    """The block type's ports and parameters: Keras's for a catalogue layer (imports Keras), the exposed ones
    for a composite block (no Keras)."""
    if catalogue.is_catalogue_block(block_type):
        return catalogue.block_spec(block_type)
    _entry(block_type)
    return composites.block_spec(block_type)


def _check_nested(label: str, value: Any, kind: str) -> Any:
    """An inner layer (or a list of them): each a catalogue layer class, each of its parameters checked in turn."""
    items = value if kind == "layers" and isinstance(value, list) else [value]
    if kind == "layers" and not (isinstance(value, list) and value):
        raise LayerboardError(f"{label} must be a list of layers: [{{\"class_name\": \"LSTMCell\", \"config\": "
                              f"{{\"units\": 32}}}}, ...], not {value!r}.")
    for item in items:
        if not is_layer_config(item):
            raise LayerboardError(f"{label} must be a layer: {{\"class_name\": \"LSTM\", \"config\": {{\"units\": 32}}}}, not {value!r}.")
        inner = item["class_name"]
        if not catalogue.is_layer_class(inner):
            raise LayerboardError(f"{label}: '{inner}' is not a layer block that can sit inside another (only a "
                                  "catalogue layer can; not Input or a keras.applications model).")
        config = item.get("config") or {}
        for name, inner_value in config.items():
            check_param(inner, name, inner_value, config)
    return value


def fits_kind(kind: str, value: Any) -> bool:
    """Whether `value` (not None) has the parameter kind's form: a bool, a whole number, a number, whole numbers
    (one level of nesting), a shape (whole numbers or null); any value for the kinds Keras judges."""
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "tuple":
        items = value if isinstance(value, (list, tuple)) else [value]
        # One level of nesting is allowed: ZeroPadding2D/Cropping2D take ((top, bottom), (left, right)).
        items = [x for v in items for x in (v if isinstance(v, (list, tuple)) and v else [v])]
        return all(isinstance(v, int) and not isinstance(v, bool) for v in items)
    if kind == "shape":
        return isinstance(value, (list, tuple)) and all(v is None or isinstance(v, int) and not isinstance(v, bool)
                                                        for v in value)
    if kind == "str":
        return isinstance(value, str)
    return True


_KIND_WORDS = {"bool": "true or false", "int": "a whole number", "float": "a number",
               "tuple": "a whole number or a list of them"}


def _typed_problem(spec, label: str, value: Any) -> str | None:
    """What is wrong with `value` for the parameter's kind and range, or None."""
    kind = spec.kind
    if kind == "choice" and spec.choices is not None and value not in spec.choices:
        return f"{label} must be one of {', '.join(map(str, spec.choices))}; got {value!r}."
    if kind == "shape" and not (fits_kind(kind, value) and all(v is None or v > 0 for v in value)):
        return f"{label} must be a list of positive whole numbers (or null), not {value!r}."
    if not fits_kind(kind, value):
        return f"{label} must be {_KIND_WORDS.get(kind, kind)}, not {value!r}."
    if kind == "tuple":
        items = value if isinstance(value, (list, tuple)) else [value]
        numbers = [x for v in items for x in (v if isinstance(v, (list, tuple)) and v else [v])]
    elif kind in ("int", "float"):
        numbers = [value]
    else:
        numbers = []
    for v in numbers:
        if spec.minimum is not None and v < spec.minimum:
            return f"{label} must be at least {spec.minimum}; got {v}."
        if spec.maximum is not None and v > spec.maximum:
            return f"{label} must be at most {spec.maximum}; got {v}."
    return None


def check_param(block_type: str, name: str, value: Any, params: dict[str, Any] | None = None) -> Any:
    """Validate one parameter value; returns it or raises with a clear reason.

    Keras is the judge: a value that the parameter's kind does not describe (an axis list where an int is usual,
    a [low, high] range, a dtype policy, an initializer config) is accepted when Keras builds the layer with it,
    and refused with Keras's own reason when it does not. `params` are the node's other parameters: Keras judges
    the value among them (an `idf_weights` only goes with `output_mode="tf_idf"`), else among the block's first
    values."""
    spec = block_spec(block_type).param(name)
    label = f"{block_type}.{name}"
    if value is None:
        if spec.required:
            raise LayerboardError(f"{label} is required.")
        return None
    if spec.kind in ("layer", "layers"):
        return _check_nested(label, value, spec.kind)
    # Keras judges what the kind leaves open: any json/dtype value, and a str parameter given a config
    # (an initializer as {"class_name": "RandomNormal", ...})
    keras_decides = spec.kind in ("json", "dtype") or (spec.kind == "str" and not isinstance(value, str))
    problem = None if keras_decides else _typed_problem(spec, label, value)
    if problem is None and not keras_decides:
        return value
    # a composite block's parameter, keras.Input's, a keras.applications model's: the kind is all there is
    if not catalogue.is_catalogue_block(block_type) or not keras_judges(block_type):
        if problem:
            raise LayerboardError(problem)
        return value
    first = initial_params(block_type)
    if params is not None:  # the node's parameters are what it holds; a required one it lacks takes its first value
        first = {k: v for k, v in first.items() if block_spec(block_type).param(k).required}
    refusal = keras_refusal(block_type, {**first, **(params or {}), name: value})
    if refusal is None:
        return value
    raise LayerboardError(f"{problem} Keras says: {refusal}" if problem else
                          f"{label}: Keras does not accept {value!r}: {refusal}")
