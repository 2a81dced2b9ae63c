"""The graph's change events (one dataclass per kind of change) and a tiny subscribe/emit helper, no Qt."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from builder.graph.elements import Edge, Node

Listener = Callable[[Any], None]


class EventEmitter:
    """Calls every subscribed listener with each emitted event, in subscription order."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns a function that removes it again."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def emit(self, event: Any) -> None:
        for listener in list(self._listeners):
            listener(event)


# Events: one dataclass per kind of change. Listeners receive the instance.
@dataclass(frozen=True)
class NodeAdded:
    node: Node


@dataclass(frozen=True)
class NodeRemoved:
    node: Node


@dataclass(frozen=True)
class NodeMoved:
    node: Node


@dataclass(frozen=True)
class ParamChanged:
    node: Node
    name: str


@dataclass(frozen=True)
class FlagChanged:
    """`trainable` or `output` of a node changed."""

    node: Node
    name: str


@dataclass(frozen=True)
class EdgeAdded:
    edge: Edge


@dataclass(frozen=True)
class EdgeRemoved:
    edge: Edge


@dataclass(frozen=True)
class NodeRenamed:
    """A node's id changed from `old_id` to `node.id`; one event for the whole rename (no EdgeRemoved/EdgeAdded,
    NodeRemoved or NodeAdded are emitted).

    `node` is the same Node object as before, its `id` changed. Edges are frozen, so every wire to or from the
    node was replaced by a new Edge carrying the new id: when this event arrives, `graph.edges` holds those new
    Edge objects at the same positions (the same order, the same ports) as the old ones. `edges` pairs each old
    Edge with its replacement, in `graph.edges` order, so a view keyed by Edge can re-key its items.
    """

    node: Node
    old_id: str
    edges: tuple[tuple[Edge, Edge], ...] = ()
