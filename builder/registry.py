"""The block catalogue: which Keras layers Layerboard offers and what their parameters are.

Names, defaults and help text come from Keras itself (constructor signatures and docstrings);
`catalogue.json` holds only what Keras cannot say. Listing blocks needs no Keras import, so the
GUI can draw its palette before TensorFlow is loaded; parameter specs import Keras on first use.
"""
from __future__ import annotations

import functools
import inspect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.errors import LayerboardError, UnknownBlockError

_DATA_FILE = Path(__file__).with_name("catalogue.json")
# Constructor arguments that are not parameters of the block: Layerboard sets them itself.
_NOT_PARAMS = {"self", "name", "dtype", "kwargs", "args", "trainable", "autocast"}
_NON_ACTIVATIONS = {"get", "serialize", "deserialize"}


@dataclass
class ParamSpec:
    """One constructor argument as the inspector edits it."""

    name: str
    kind: str  # int, float, bool, str, choice, tuple, shape
    default: Any = None
    required: bool = False
    nullable: bool = False
    choices: list[Any] | None = None
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""


@dataclass
class BlockSpec:
    """A catalogue entry: the Keras class, its ports and its parameters (primary ones first)."""

    type: str
    category: str
    inputs: int | None  # number of input ports; None means "any number" (merge layers)
    params: list[ParamSpec] = field(default_factory=list)
    primary: list[str] = field(default_factory=list)
    needs: str = ""
    fix: str = ""

    def param(self, name: str) -> ParamSpec:
        for p in self.params:
            if p.name == name:
                return p
        raise LayerboardError(f"{self.type} has no parameter '{name}'.")


@functools.lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return json.loads(_DATA_FILE.read_text())


def block_types() -> list[str]:
    """Every block type in the catalogue, then the composite blocks (no Keras import)."""
    return list(_data()["blocks"]) + [t for t in _composites().definitions() if t not in _data()["blocks"]]


def palette() -> dict[str, list[str]]:
    """Block types grouped by palette category, in display order (no Keras import)."""
    groups: dict[str, list[str]] = {c: [] for c in _data()["categories"]}
    for name, entry in _data()["blocks"].items():
        groups[entry["category"]].append(name)
    groups.update(_composites().palette())  # "Blocks" and "My blocks", after the catalogue
    return {c: names for c, names in groups.items() if names}


# ---- composite blocks (builder.composites) ------------------------------------------------------
# A type that is not in the catalogue may be a composite block (a saved sub-graph). `_entry`
# answers for it with a catalogue-like entry, so the port and parameter queries below work as is.
def _composites():
    from builder import composites

    return composites


def is_catalogue_block(block_type: str) -> bool:
    """A Keras layer (or Input) from catalogue.json, as opposed to a composite block."""
    return block_type in _data()["blocks"]


def class_path(block_type: str) -> str | None:
    """"module:Name" for a Keras layer that keras.layers does not export; None for the others."""
    return _entry(block_type).get("class")


def is_known(block_type: str) -> bool:
    return block_type in _data()["blocks"] or _composites().is_composite(block_type)


def _entry(block_type: str) -> dict[str, Any]:
    try:
        return _data()["blocks"][block_type]
    except KeyError:
        if _composites().is_composite(block_type):
            return _composites().registry_entry(block_type)
        known = ", ".join(block_types())
        raise UnknownBlockError(f"Unknown block type '{block_type}'. Known blocks: {known}.") from None


def input_count(block_type: str) -> int | None:
    """Number of input ports (no Keras import); None for merge layers that take any number."""
    n = _entry(block_type)["inputs"]
    if isinstance(n, dict):
        return len(n["ports"])
    return None if n == "many" else int(n)


def input_ports(block_type: str) -> list[str] | None:
    """Names of the input ports, in port order; None for merge layers that take any number.

    A layer called with one tensor has one port named "input"; a layer with named call
    arguments (MultiHeadAttention's query, value, key) has one port per argument.
    """
    n = _entry(block_type)["inputs"]
    if isinstance(n, dict):
        return list(n["ports"])
    if n == "many":
        return None
    return ["input"] if int(n) == 1 else [f"input_{i + 1}" for i in range(int(n))]


def required_inputs(block_type: str) -> int:
    """How many input ports must be wired (merge layers: at least 2)."""
    n = _entry(block_type)["inputs"]
    if isinstance(n, dict):
        return len(n["ports"]) - len(n.get("optional", []))
    return 2 if n == "many" else int(n)


def call_style(block_type: str) -> str:
    """How the layer is called: "single" (one tensor), "list" (a list of tensors) or "kwargs"."""
    n = _entry(block_type)["inputs"]
    if isinstance(n, dict):
        return n.get("call", "list")
    if n == "many":
        return "list"
    return "single" if int(n) <= 1 else "list"


def output_ports(block_type: str, count: int = 1) -> list[str]:
    """Names of a block's `count` output ports (count comes from shape inference)."""
    names = _entry(block_type).get("outputs", ["output"])
    if count <= len(names):
        return list(names[:max(count, 1)])
    return list(names) + [f"output_{i}" for i in range(len(names), count)]


def nested_layer_params(block_type: str) -> list[str]:
    """Parameters that hold another layer (a wrapper's inner layer), as {"class_name", "config"}."""
    return [name for name, p in _entry(block_type).get("params", {}).items() if p.get("kind") == "layer"]


def initial_params(block_type: str) -> dict[str, Any]:
    """Parameters a freshly dropped block starts with (no Keras import)."""
    return json.loads(json.dumps(_entry(block_type).get("initial", {})))


def keras_class(block_type: str):
    """The Keras class (or `keras.Input` for Input) that a block type names."""
    import keras

    entry = _entry(block_type)
    if block_type == "Input":
        return keras.Input
    if block_type not in _data()["blocks"]:  # a composite block is many layers, not one class
        raise UnknownBlockError(f"{block_type} is a composite block, not a Keras layer: expand it "
                                "(builder.composites.expand) to get its layers.")
    if "class" in entry:  # a Keras layer that keras.layers does not export, e.g. "keras.src.applications.convnext:LayerScale"
        import importlib

        module, _, name = entry["class"].partition(":")
        if not module.startswith("keras."):
            raise UnknownBlockError(f"{block_type}: only Keras classes can be blocks, not {entry['class']}.")
        return getattr(importlib.import_module(module), name)
    return getattr(keras.layers, block_type)


def _docstring_args(obj) -> dict[str, str]:
    """First sentence of each `name: text` entry in a Keras docstring's Args section."""
    doc = inspect.getdoc(obj) or ""
    match = re.search(r"^Args:\n(.*?)(?:\n\S|\Z)", doc, flags=re.S | re.M)
    if not match:
        return {}
    helps: dict[str, str] = {}
    current = None
    for line in match.group(1).splitlines():
        item = re.match(r"^ {4}(\w+): ?(.*)$", line)
        if item:
            current = item.group(1)
            helps[current] = item.group(2).strip()
        elif current and line.startswith("     "):
            helps[current] += " " + line.strip()
    for key, text in helps.items():
        sentence = re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
        helps[key] = sentence.replace("`", "")
    return helps


def _activation_names() -> list[str]:
    import keras

    return sorted(
        n for n in dir(keras.activations)
        if not n.startswith("_") and n not in _NON_ACTIVATIONS and callable(getattr(keras.activations, n))
    )


def _kind_of(default: Any) -> str:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, (tuple, list)):
        return "tuple"
    return "str"


@functools.lru_cache(maxsize=None)
def block_spec(block_type: str) -> BlockSpec:
    """The full catalogue entry; reads Keras's signature and docstring (imports Keras)."""
    if block_type not in _data()["blocks"] and _composites().is_composite(block_type):
        return _composites().block_spec(block_type)  # its exposed parameters; no Keras needed
    entry = _data()["blocks"].get(block_type) or _entry(block_type)
    shared = _data()["shared_params"]
    cls = keras_class(block_type)
    target = cls if block_type == "Input" else cls.__init__
    signature = inspect.signature(target)
    helps = _docstring_args(cls)
    wanted = entry.get("keras_params")
    params: list[ParamSpec] = []
    for name, p in signature.parameters.items():
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        if name in _NOT_PARAMS and name not in (wanted or ()):  # unless asked for: Input's dtype
            continue
        if wanted is not None and name not in wanted:
            continue
        required = p.default is inspect.Parameter.empty
        default = None if required else p.default
        override = {**shared.get(name, {}), **entry.get("params", {}).get(name, {})}
        required = bool(override.get("required", required))
        kind = override.get("kind") or _kind_of(default)
        choices = override.get("choices")
        if choices == "keras.activations":
            choices = _activation_names()
        params.append(
            ParamSpec(
                name=name,
                kind=kind,
                default=list(default) if isinstance(default, tuple) else default,
                required=required,
                nullable=bool(override.get("nullable", default is None and not required)),
                choices=choices,
                minimum=override.get("min"),
                maximum=override.get("max"),
                help=override.get("help") or helps.get(name, ""),
            )
        )
    primary = entry.get("primary", [])
    params.sort(key=lambda s: primary.index(s.name) if s.name in primary else len(primary))
    return BlockSpec(
        type=block_type,
        category=entry["category"],
        inputs=input_count(block_type),
        params=params,
        primary=list(primary),
        needs=entry.get("needs", ""),
        fix=entry.get("fix", ""),
    )


def check_param(block_type: str, name: str, value: Any) -> Any:
    """Validate one parameter value against its spec; returns it or raises with a clear reason."""
    spec = block_spec(block_type).param(name)
    label = f"{block_type}.{name}"
    if value is None:
        if spec.required:
            raise LayerboardError(f"{label} is required.")
        return None
    kind = spec.kind
    if kind == "layer":
        if not (isinstance(value, dict) and isinstance(value.get("class_name"), str) and isinstance(value.get("config", {}), dict)):
            raise LayerboardError(f"{label} must be a layer: {{\"class_name\": \"LSTM\", \"config\": {{\"units\": 32}}}}, not {value!r}.")
        if not is_known(value["class_name"]) or value["class_name"] == "Input":
            raise LayerboardError(f"{label}: '{value['class_name']}' is not a layer block Layerboard knows.")
        return value
    if kind == "bool" and not isinstance(value, bool):
        raise LayerboardError(f"{label} must be true or false, not {value!r}.")
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        raise LayerboardError(f"{label} must be a whole number, not {value!r}.")
    if kind == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise LayerboardError(f"{label} must be a number, not {value!r}.")
    if kind == "choice" and spec.choices is not None and value not in spec.choices:
        raise LayerboardError(f"{label} must be one of {', '.join(map(str, spec.choices))}; got {value!r}.")
    if kind == "tuple":
        items = value if isinstance(value, (list, tuple)) else [value]
        # One level of nesting is allowed: ZeroPadding2D/Cropping2D take ((top, bottom), (left, right)).
        items = [x for v in items for x in (v if isinstance(v, (list, tuple)) and v else [v])]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
            raise LayerboardError(f"{label} must be a whole number or a list of them, not {value!r}.")
        numbers = items
    elif kind == "shape":
        if not isinstance(value, (list, tuple)) or not all(v is None or (isinstance(v, int) and v > 0) for v in value):
            raise LayerboardError(f"{label} must be a list of positive whole numbers (or null), not {value!r}.")
        numbers = []
    elif kind in ("int", "float"):
        numbers = [value]
    else:
        numbers = []
    for v in numbers:
        if spec.minimum is not None and v < spec.minimum:
            raise LayerboardError(f"{label} must be at least {spec.minimum}; got {v}.")
        if spec.maximum is not None and v > spec.maximum:
            raise LayerboardError(f"{label} must be at most {spec.maximum}; got {v}.")
    return value
