"""What shape inference reports: each node's output shapes, dtype and parameter count, or its error."""
from __future__ import annotations

from dataclasses import dataclass, field

Shape = tuple  # (None, 8, 8, 1): batch dimension first, None where unknown


@dataclass
class NodeResult:
    """What shape inference found for one node."""

    output_shapes: list[Shape] = field(default_factory=list)
    dtype: str = "float32"
    params: int = 0
    error: str | None = None
    non_trainable_params: int = 0  # weights the optimizer never changes (a BatchNormalization's moving statistics)
    blocked_by: str | None = None  # set when the error is only that an upstream node is invalid
    shares: str | None = None  # calls the layer of this node again: its weights (and `params`, 0) are counted there

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def shape(self) -> Shape | None:
        return self.output_shapes[0] if self.output_shapes else None


@dataclass
class ShapeReport:
    nodes: dict[str, NodeResult]
    graph_errors: list[str]

    @property
    def valid(self) -> bool:
        return not self.graph_errors and all(r.ok for r in self.nodes.values())

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.nodes.values() if r.ok)

    def trainable_params(self, graph) -> int:
        """Parameters the optimizer trains: a frozen node's count none, and no node's non-trainable weights."""
        return sum(r.params - r.non_trainable_params for n, r in self.nodes.items()
                   if r.ok and n in graph.nodes and graph.nodes[n].trainable)

    def first_problem(self) -> str | None:
        """The first node (in graph order) with a problem of its own, not one it only waits on; None if none."""
        return next((n for n, r in self.nodes.items() if r.error and not r.blocked_by), None)

    def problem_count(self) -> int:
        return len(self.graph_errors) + sum(1 for r in self.nodes.values() if r.error and not r.blocked_by)

    def node_errors(self) -> dict[str, str]:
        return {n: r.error for n, r in self.nodes.items() if r.error}

    def summary(self) -> str:
        own = [f"'{n}': {r.error}" for n, r in self.nodes.items() if r.error and not r.blocked_by]
        lines = self.graph_errors + own
        return "The graph is not valid: " + "; ".join(lines) if lines else "The graph is valid."


def format_shape(shape: Shape | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
