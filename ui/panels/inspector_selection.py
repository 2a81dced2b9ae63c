"""What a multi-selection has in common: its block types, and the parameters those types share.

A parameter is shared when every type has one of that name and kind (`activation` on Dense and
Conv2D, `padding` on Conv1D and Conv2D); choices and bounds are widened to cover all of them, and
each node still checks a value against its own type (`blocks.check_param`) before anything changes.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from builder import blocks
from builder.blocks import ParamSpec


def type_counts(block_types: list[str]) -> dict[str, int]:
    """How many nodes of each type, most first (ties in selection order)."""
    counts = Counter(block_types)
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def summary(block_types: list[str]) -> str:
    """"3 Dense, 2 Conv2D"."""
    return ", ".join(f"{n} {t}" for t, n in type_counts(block_types).items())


def _widest(values: list[float | None], pick) -> float | None:
    return None if any(v is None for v in values) else pick(values)


def _merge(specs: list[ParamSpec]) -> ParamSpec:
    """One editor's spec for a parameter several types share: every type's choices and the widest bounds."""
    first = specs[0]
    choices = None
    if first.choices is not None:
        choices = []
        for spec in specs:
            choices += [c for c in spec.choices or [] if c not in choices]
    return dataclasses.replace(
        first, choices=choices, required=any(s.required for s in specs), nullable=all(s.nullable for s in specs),
        minimum=_widest([s.minimum for s in specs], min), maximum=_widest([s.maximum for s in specs], max))


def shared_params(block_types: list[str]) -> tuple[list[ParamSpec], list[str]]:
    """The parameters every one of `block_types` has (same name and kind), in the first type's order, and
    which of them are primary for any of the types. Imports Keras for catalogue layers."""
    specs = [blocks.block_spec(t) for t in dict.fromkeys(block_types)]
    shared: list[ParamSpec] = []
    for param in specs[0].params:
        same = [_find(spec, param.name) for spec in specs]
        if all(p is not None and p.kind == param.kind for p in same):
            shared.append(_merge(same))
    names = {p.name for p in shared}
    primary = [name for spec in specs for name in spec.primary if name in names]
    return shared, list(dict.fromkeys(primary))


def _find(spec, name: str) -> ParamSpec | None:
    return next((p for p in spec.params if p.name == name), None)


def shown_value(node, name: str) -> Any:
    """What a node's parameter is: its own value, or its type's default where it does not set one."""
    if name in node.params:
        return node.params[name]
    spec = _find(blocks.block_spec(node.type), name)
    return spec.default if spec is not None else None
