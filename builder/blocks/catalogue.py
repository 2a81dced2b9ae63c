"""The Keras catalogue: which Keras layers Layerboard offers as block types and what their parameters are.

Names, defaults and help text come from Keras itself (constructor signatures and docstrings);
`catalogue.json` holds only what Keras cannot say. Listing block types needs no Keras import, so the
GUI can draw its palette before TensorFlow is loaded; parameter specs import Keras on first use.
Every public layer class of the installed `keras.layers` is a block type (builder.blocks.keras_index reads
them without importing Keras); a class's other public names (`Convolution2D`) are aliases of its block type.
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

from builder.blocks.keras_index import exported_classes
from builder.blocks.random_state import random_state_kept
from builder.errors import LayerboardError, UnknownBlockError

_DATA_FILE = Path(__file__).with_name("catalogue.json")
# Constructor arguments that are not parameters of the block: Layerboard sets them itself (the node's id is the
# layer's name, its trainable switch the layer's).
_NOT_PARAMS = {"self", "name", "kwargs", "args", "trainable", "autocast"}
_NON_ACTIVATIONS = {"get", "serialize", "deserialize"}


@dataclass
class ParamSpec:
    """One constructor argument as the inspector edits it."""

    name: str
    kind: str  # int, float, bool, str, choice, tuple, shape, dtype, layer, layers, json (any JSON value)
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


def _module_category(module: str, categories: dict[str, str]) -> str:
    """The palette category of a Keras module: its longest listed prefix's, else "Other"."""
    best = max((prefix for prefix in categories if module == prefix or module.startswith(prefix + ".")),
               key=len, default=None)
    return categories[best] if best is not None else "Other"


@functools.lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    """catalogue.json with every layer class of the installed keras.layers as a block: the hand-written entry where
    there is one, else a generated one (category from its module, one input). A hand-written Keras entry whose
    class this Keras does not export (an older Keras) is left out."""
    data = json.loads(_DATA_FILE.read_text())
    written = data["blocks"]
    exported = {c.name: c for c in exported_classes()}
    not_blocks = data["not_blocks"]
    blocks: dict[str, Any] = {}
    for name, found in written.items():
        if name == "Input" or "class" in found or name in exported or not exported:
            blocks[name] = found
    aliases: dict[str, str] = {}
    for name, cls in exported.items():
        if name in not_blocks or cls.class_name in not_blocks:
            continue
        found = blocks.setdefault(name, {})
        found.setdefault("category", _module_category(cls.module, data["module_categories"]))
        found.setdefault("inputs", "many" if found["category"] == "Merging" else 1)
        for alias in cls.aliases:
            aliases.setdefault(alias, name)
    data["blocks"], data["aliases"] = blocks, aliases
    return data


def catalogue_types() -> list[str]:
    """Every block type in the catalogue (Keras layers and Input), in catalogue order (no Keras import)."""
    return list(_data()["blocks"])


def catalogue_palette() -> dict[str, list[str]]:
    """Catalogue block types grouped by palette category, in display order (no Keras import). Blocks that only
    live inside another block (an RNN's cell) are not in the palette."""
    groups: dict[str, list[str]] = {c: [] for c in _data()["categories"]}
    for name, entry in _data()["blocks"].items():
        if entry.get("palette", True):
            groups.setdefault(entry["category"], []).append(name)
    return groups


def canonical_type(block_type: str) -> str:
    """The block type that an alias names (`Convolution2D` -> `Conv2D`, `MaxPool2D` -> `MaxPooling2D`); any other
    name unchanged."""
    return _data()["aliases"].get(block_type, block_type)


def aliases() -> dict[str, str]:
    """Every other name keras.layers exports a block's class under -> the block type (no Keras import)."""
    return dict(_data()["aliases"])


def not_blocks() -> dict[str, str]:
    """What keras.layers exports that is not a block -> why (no Keras import)."""
    return dict(_data()["not_blocks"])


def not_block_reason(name: str) -> str | None:
    """Why a name that keras.layers exports is not a block (Lambda carries code...), or None."""
    return _data()["not_blocks"].get(name)


def is_catalogue_block(block_type: str) -> bool:
    """A Keras layer (or Input) from catalogue.json, as opposed to a composite block."""
    return block_type in _data()["blocks"]


def entry(block_type: str) -> dict[str, Any] | None:
    """The catalogue.json entry of a block type, or None when the catalogue does not hold it."""
    return _data()["blocks"].get(block_type)


# ---- parameter queries on an entry (a catalogue entry, or a composite block's entry of the same form) ----
def entry_nested_params(entry: dict[str, Any]) -> list[str]:
    """Parameters that hold another layer ({"class_name", "config"}) or a list of them."""
    return [name for name, p in entry.get("params", {}).items() if p.get("kind") in ("layer", "layers")]


def entry_file_params(entry: dict[str, Any]) -> list[str]:
    """Parameters that Keras reads as the path of a file when given a string (a lookup's `vocabulary`)."""
    return [name for name, p in entry.get("params", {}).items() if p.get("file")]


def is_layer_class(block_type: str) -> bool:
    """A catalogue block that is one Keras layer class (no Keras import): not Input, not a keras.applications
    model (a function that builds a whole model). Only these may sit inside another layer."""
    found = entry(block_type)
    return found is not None and block_type != "Input" and not found.get("class", "").startswith("keras.applications:")


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
    """The parameter kind a default suggests; "json" (any value Keras accepts) where it says nothing."""
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, (tuple, list)):
        return "tuple" if all(isinstance(v, int) and not isinstance(v, bool) for v in default) else "json"
    if isinstance(default, str):
        return "str"
    return "json"


def _spec_of(name: str, default: Any, required: bool, override: dict[str, Any], help_text: str) -> ParamSpec:
    if "default" in override:  # where Layerboard's reading differs: a backbone's `weights` left empty is none
        default = override["default"]
    required = bool(override.get("required", required))
    choices = override.get("choices")
    if choices == "keras.activations":
        choices = _activation_names()
    return ParamSpec(
        name=name,
        kind=override.get("kind") or _kind_of(default),
        default=list(default) if isinstance(default, tuple) else default,
        required=required,
        nullable=bool(override.get("nullable", default is None and not required)),
        choices=choices,
        minimum=override.get("min"),
        maximum=override.get("max"),
        help=override.get("help") or help_text,
    )


def _constructor_parameters(cls, block_type: str, entry: dict[str, Any]) -> dict[str, inspect.Parameter]:
    """Every argument the constructor takes, with the ones it passes on through **kwargs to its base classes
    (Conv2D's lora_rank from BaseConv, every layer's dtype and activity_regularizer from Layer); a base class's
    argument that the class sets itself (Conv2D's rank, or one it passes explicitly) is not the user's."""
    if block_type == "Input" or not inspect.isclass(cls):  # keras.Input, a keras.applications function
        return {n: p for n, p in inspect.signature(cls).parameters.items()
                if n not in _NOT_PARAMS and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    found: dict[str, inspect.Parameter] = {}
    inherited: set[str] = set()
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        signature = inspect.signature(klass.__init__)
        for name, p in signature.parameters.items():
            if name in _NOT_PARAMS or name in found or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            if klass is not cls:
                if p.default is inspect.Parameter.empty:
                    continue
                inherited.add(name)
            found[name] = p
        if not any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values()):
            break
    # an inherited argument the class already passes to its base raises "multiple values": not the user's to set
    initial = {k: v for k, v in entry.get("initial", {}).items() if not isinstance(v, (dict, list))}
    layer = None
    for _ in range(len(inherited) + 1):
        try:
            with random_state_kept():  # a layer made to be read must not shift a run's seeds
                layer = cls(**{**{n: found[n].default for n in inherited}, **initial})
        except TypeError as exc:
            clash = next((n for n in inherited if f"'{n}'" in str(exc)), None)
            if clash is None:
                break
            inherited.discard(clash)
            found.pop(clash)
            continue
        except Exception:  # the class refuses something else (a required nested layer left out): keep them all
            pass
        break
    # a setting the layer's config holds that its signature does not name (LayerNormalization's rms_scaling,
    # read from **kwargs): Keras takes it back, so it is a parameter, with the value a fresh layer has
    config = _safe_config(layer)
    for name, value in config.items():
        if name not in found and name not in _NOT_PARAMS and name not in ("dtype", "build_config"):
            found[name] = inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=value)
    return found


def _safe_config(layer) -> dict[str, Any]:
    try:
        return dict(layer.get_config()) if layer is not None else {}
    except Exception:  # a layer whose config needs it built first
        return {}


@functools.lru_cache(maxsize=None)
def block_spec(block_type: str) -> BlockSpec:
    """The full spec of a catalogue block type; reads Keras's signature and docstring (imports Keras)."""
    entry = _data()["blocks"][block_type]
    shared = _data()["shared_params"]
    cls = keras_class(block_type)
    helps = _docstring_args(cls)
    wanted = entry.get("keras_params")
    params: list[ParamSpec] = []
    for name, p in _constructor_parameters(cls, block_type, entry).items():
        if wanted is not None and name not in wanted:
            continue
        required = p.default is inspect.Parameter.empty
        override = {**shared.get(name, {}), **entry.get("params", {}).get(name, {})}
        params.append(_spec_of(name, None if required else p.default, required, override, helps.get(name, "")))
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
