"""The Keras catalogue: which Keras layers Layerboard offers as block types and what their parameters are.

Names, defaults and help text come from Keras itself (constructor signatures and docstrings);
`catalogue.json` holds only what Keras cannot say. Listing block types needs no Keras import, so the
GUI can draw its palette before TensorFlow is loaded; parameter specs import Keras on first use.
Composite blocks are not here (builder.blocks.composites); builder.blocks.block_types answers for both.
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


def catalogue_types() -> list[str]:
    """Every block type in the catalogue (Keras layers and Input), in catalogue order (no Keras import)."""
    return list(_data()["blocks"])


def catalogue_palette() -> dict[str, list[str]]:
    """Catalogue block types grouped by palette category, in display order (no Keras import)."""
    groups: dict[str, list[str]] = {c: [] for c in _data()["categories"]}
    for name, entry in _data()["blocks"].items():
        groups[entry["category"]].append(name)
    return groups


def is_catalogue_block(block_type: str) -> bool:
    """A Keras layer (or Input) from catalogue.json, as opposed to a composite block."""
    return block_type in _data()["blocks"]


def entry(block_type: str) -> dict[str, Any] | None:
    """The catalogue.json entry of a block type, or None when the catalogue does not hold it."""
    return _data()["blocks"].get(block_type)


# ---- port queries on an entry (a catalogue entry, or a composite block's entry of the same form) ----
def entry_input_count(entry: dict[str, Any]) -> int | None:
    n = entry["inputs"]
    if isinstance(n, dict):
        return len(n["ports"])
    return None if n == "many" else int(n)


def entry_input_ports(entry: dict[str, Any]) -> list[str] | None:
    n = entry["inputs"]
    if isinstance(n, dict):
        return list(n["ports"])
    if n == "many":
        return None
    return ["input"] if int(n) == 1 else [f"input_{i + 1}" for i in range(int(n))]


def entry_required_inputs(entry: dict[str, Any]) -> int:
    n = entry["inputs"]
    if isinstance(n, dict):
        return len(n["ports"]) - len(n.get("optional", []))
    return 2 if n == "many" else int(n)


def entry_call_style(entry: dict[str, Any]) -> str:
    n = entry["inputs"]
    if isinstance(n, dict):
        return n.get("call", "list")
    if n == "many":
        return "list"
    return "single" if int(n) <= 1 else "list"


def keras_class(block_type: str):
    """The Keras class of a catalogue block type, or the function that makes it: `keras.Input` for Input, a
    keras.applications function (MobileNetV2) that returns a Model, used as one layer of the user's model."""
    import keras

    if block_type == "Input":
        return keras.Input
    found = entry(block_type)
    if found is None:
        raise UnknownBlockError(f"{block_type} is not a Keras layer in the catalogue.")
    # a Keras layer that keras.layers does not export ("keras.src.applications.convnext:LayerScale") or a
    # keras.applications backbone ("keras.applications:MobileNetV2")
    if "class" in found:
        import importlib

        module, _, name = found["class"].partition(":")
        if not module.startswith("keras."):
            raise UnknownBlockError(f"{block_type}: only Keras classes can be blocks, not {found['class']}.")
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
    """The full spec of a catalogue block type; reads Keras's signature and docstring (imports Keras)."""
    entry = _data()["blocks"][block_type]
    shared = _data()["shared_params"]
    cls = keras_class(block_type)
    # keras.Input and a keras.applications backbone (MobileNetV2) are functions: their own signature
    target = cls if block_type == "Input" or not inspect.isclass(cls) else cls.__init__
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
        if "default" in override:  # where Layerboard's reading differs: a backbone's `weights` left empty is none
            default = override["default"]
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
        inputs=entry_input_count(entry),
        params=params,
        primary=list(primary),
        needs=entry.get("needs", ""),
        fix=entry.get("fix", ""),
    )
