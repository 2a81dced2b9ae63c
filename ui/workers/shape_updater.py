"""Re-runs shape inference after graph edits, once per burst of events, when Keras is loaded."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from builder.graph import Graph


class ShapeUpdater(QObject):
    """Owns a document's ShapeInference (it caches per node) and publishes each new report.

    Edits emit several graph events in a row (a delete emits one per wire, then one for the
    node); a zero-timeout single-shot timer folds them into one inference run when the GUI
    thread is next idle. Nothing runs before `set_engine_ready`, so nothing imports Keras.
    """

    reportChanged = Signal(object)  # builder.model.ShapeReport

    def __init__(self, graph: Graph, parent: QObject | None = None, folder: Callable[[], Path] | None = None) -> None:
        super().__init__(parent)
        self._graph = graph
        self._folder = folder  # the project's folder now (it moves on Save As): where file parameters are read
        self._inference = None  # a ShapeInference once the engine is ready
        self.report = None  # the latest ShapeReport, None until the engine is ready
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.run_now)
        self._unsubscribe = graph.events.subscribe(self._on_graph_event)

    @property
    def engine_ready(self) -> bool:
        return self._inference is not None

    def set_engine_ready(self) -> None:
        from builder.model import ShapeInference  # imports Keras: only once the loader has

        if self._inference is None:
            self._inference = ShapeInference()
            self._timer.start()

    @property
    def pending(self) -> bool:
        """An edit came after the latest report: `report` does not describe the graph until the next one."""
        return self._timer.isActive()

    def close(self) -> None:
        self._timer.stop()
        self._unsubscribe()

    def _on_graph_event(self, _event) -> None:
        if self._inference is not None:
            self._timer.start()

    @Slot()
    def run_now(self) -> None:
        """Infer shapes at once (the timer calls this; tests may too)."""
        self._timer.stop()
        if self._inference is None:
            return
        self._inference.folder = self._folder() if self._folder is not None else None
        self.report = self._inference.run(self._graph)
        self.reportChanged.emit(self.report)
