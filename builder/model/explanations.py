"""Keras's shape exceptions as sentences a user can act on: the node, what it got, what it needs, the fix."""
from __future__ import annotations

import re

from builder import blocks
from builder.graph import Node
from builder.model.shape_report import Shape, format_shape
from builder.errors import first_line


def explain(node: Node, inputs: list[Shape], exc: Exception) -> str:
    """Turn a Keras exception into a sentence a user can act on."""
    spec = blocks.block_spec(node.type)
    got = ", ".join(format_shape(s) for s in inputs) or "nothing"
    first = first_line(exc)
    who = f"{node.type} '{node.id}'"
    if re.search(r"expected (min_|max_)?ndim=\d+, found ndim=\d+", first) and spec.needs:
        return f"{who} needs {spec.needs}; it received {got}. {spec.fix}".strip()
    expected = re.search(r"expected shape=(\(.*?\)), found shape=", first)
    if expected:  # a nested model (a MobileNetV2 backbone) built for one input shape, called on another
        return f"{who} is built for input {expected.group(1)}; it received {got}. {spec.fix}".strip()
    if re.search(r"negative|would be (zero|0)|must be > ?0|smaller than", first, flags=re.I):
        return (f"{who}: the input {got} is smaller than its window. "
                "Use padding='same', a smaller kernel_size/pool_size, or remove a pooling step before it.")
    if spec.needs and len(inputs) > 1:
        return f"{who} needs {spec.needs}; it received {got}. {spec.fix}".strip()
    return f"{who} cannot take input {got}: {first}"
