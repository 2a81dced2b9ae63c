"""The layer classes that the installed Keras exports from `keras.layers`, read without importing Keras.

Keras generates `keras/layers/__init__.py` as plain `from keras.src... import Name as Alias` lines; reading
that file (with `ast`, never executing it) lists every public layer class, the module it lives in and the
other names it is exported under (`Convolution2D` for `Conv2D`), before TensorFlow is loaded, so the
palette can be drawn at once. A newer Keras that exports a new layer adds a block type with no code here.
"""
from __future__ import annotations

import ast
import functools
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class KerasLayerClass:
    """One class exported by keras.layers: its block type (public name), module and other public names."""

    name: str
    module: str
    class_name: str
    aliases: list[str] = field(default_factory=list)


def _layers_init() -> Path | None:
    spec = importlib.util.find_spec("keras")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "layers" / "__init__.py"
    return path if path.is_file() else None


@functools.lru_cache(maxsize=1)
def exported_classes() -> list[KerasLayerClass]:
    """Every capitalised name keras.layers exports, one entry per class, in the file's order.

    The block type is the exported name equal to the class's own name where there is one (`Conv2D`),
    else the first exported name (`GroupQueryAttention` for the class GroupedQueryAttention); the
    other exported names, and the class's own name, are its aliases. Functions such as `Input` and
    `add` are listed too when capitalised; the catalogue data says which names are not layers.
    """
    path = _layers_init()
    if path is None:
        return []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: dict[tuple[str, str], list[str]] = {}
    for statement in tree.body:
        if not isinstance(statement, ast.ImportFrom) or statement.module is None:
            continue
        for alias in statement.names:
            public = alias.asname or alias.name
            if public[:1].isupper():
                found.setdefault((statement.module, alias.name), []).append(public)
    classes = []
    for (module, class_name), names in found.items():
        name = class_name if class_name in names else names[0]
        aliases = [n for n in dict.fromkeys([*names, class_name]) if n != name]
        classes.append(KerasLayerClass(name=name, module=module, class_name=class_name, aliases=aliases))
    return classes
