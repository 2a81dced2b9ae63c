"""The parts of a graph: a node (a block type and its constructor arguments) and an edge between numbered ports."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Node:
    """One node of the graph: `type` is its block type (a Keras class name or a composite block), `params` its constructor arguments."""

    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)
    trainable: bool = True  # False freezes the layer's weights (transfer learning)
    output: bool = False  # marked as a model output even though other nodes read it
    shares: str | None = None  # the id of the node whose Keras layer this node calls again (shared weights)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "type": self.type,
            "params": copy.deepcopy(self.params),
            "position": [float(self.position[0]), float(self.position[1])],
        }
        if not self.trainable:
            data["trainable"] = False
        if self.output:
            data["output"] = True
        if self.shares is not None:
            data["shares"] = self.shares
        return data


def call_id(owner: str, taken) -> str:
    """`encoder_call2`, `encoder_call3`…: the first free id for another call of `owner`'s layer (import and the
    canvas name the calls of a shared layer alike)."""
    n = 2
    while f"{owner}_call{n}" in taken:
        n += 1
    return f"{owner}_call{n}"


@dataclass(frozen=True)
class Edge:
    """A wire from output port `source_port` of `source` to input port `target_port` of `target`."""

    source: str
    target: str
    source_port: int = 0
    target_port: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "source_port": self.source_port,
            "target": self.target,
            "target_port": self.target_port,
        }
