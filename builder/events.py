"""A tiny subscribe/emit helper so the engine can announce changes without knowing Qt."""
from __future__ import annotations

from typing import Any, Callable

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
