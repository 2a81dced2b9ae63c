"""Re-checks a document's nodes for TFLite after edits (off the GUI thread) and publishes the answers."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from builder.export import CompatibilityChecker
from builder.graph import Graph
from ui.workers.background_task import BackgroundTask
from ui.workers.shape_updater import ShapeUpdater

TARGETS = {"tflite": "TFLite", "tflite-int8": "TFLite int8"}  # engine target -> what the menu calls it
DEBOUNCE_MS = 400


class CompatibilityUpdater(QObject):
    """One document's TFLite badges: `set_target("tflite" | "tflite-int8" | None)`; `resultsChanged` follows.

    It follows the document's ShapeUpdater: 400 ms after a new shape report (edits come in bursts), the
    engine's CompatibilityChecker runs on a worker thread with a copy of the graph and that report, so
    the worker needs no Keras (the checker converts each node configuration it has not seen in a worker
    process, ~5 s; cached ones are instant). A report that came during a check asks for one more check when it ends.
    Nothing runs before the first report (the engine is not loaded yet) nor while the target is None,
    so the app starts no conversion process unless the user asks.
    """

    resultsChanged = Signal(object)  # {node_id: BlockCompatibility}; {} when off
    staleChanged = Signal(object)  # set of node ids whose badge answers an older version of the node
    checkFailed = Signal(str)
    busyChanged = Signal(bool)

    def __init__(self, graph: Graph, shapes: ShapeUpdater, parent: QObject | None = None,
                 folder: Callable[[], Path] | None = None) -> None:
        super().__init__(parent)
        self._graph = graph
        self._folder = folder  # the project's folder now: where a file parameter (a vocabulary) is read
        self._shapes = shapes
        self.target: str | None = None
        self.results: dict = {}
        self.stale: set[str] = set()
        self._checked: dict[str, str | None] = {}  # node id -> the engine's key of the node the results describe
        self._asked: dict[str, str | None] = {}  # the same for the check running now
        self._closed = False
        self._again = False  # an edit (or a new target) came while a check ran
        self._checker: CompatibilityChecker | None = None  # made when the first check starts
        self._task = BackgroundTask(self)
        self._task.succeeded.connect(self._on_checked)
        self._task.failed.connect(self._on_failed)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_now)
        shapes.reportChanged.connect(self._on_report)

    @property
    def busy(self) -> bool:
        return self._task.running

    @property
    def checker(self) -> CompatibilityChecker | None:
        """The engine's checker (and its kept conversion worker), made when the first check starts."""
        return self._checker

    def set_target(self, target: str | None) -> None:
        if target is not None and target not in TARGETS:
            raise ValueError(f"Unknown TFLite target '{target}'; choose one of {', '.join(TARGETS)}.")
        if target == self.target:
            return
        self.target = target
        self.results = {}
        self.resultsChanged.emit(self.results)  # the old target's badges go at once
        self._update_stale()
        if target is None:
            self._again = False  # an edit made during a running check asked for one more: not any longer
            self._end_worker()
        self.run_now()

    def close(self) -> None:
        """Stop following the graph and end a running check (its worker process is killed, nothing cached)."""
        if self._closed:
            return
        self._timer.stop()
        self._shapes.reportChanged.disconnect(self._on_report)
        self._again = False
        self._closed = True
        if self._checker is None:
            return
        if self._task.running:
            self._checker.cancel()  # kills its conversion worker; the check raises CheckCancelled
            self._task.wait()
        self._checker.close()  # the thread has ended: reap the (killed or idle) worker

    def _end_worker(self) -> None:
        """Free the kept conversion process (and its TensorFlow) once no check runs."""
        if self._checker is not None and not self._task.running:
            self._checker.close()

    @Slot(object)
    def _on_report(self, _report) -> None:
        if self.target is not None and not self._closed:
            self._update_stale()
            self._timer.start()

    def _update_stale(self) -> None:
        """Dim the badges of nodes changed since their answer (their cache key: type, parameters, inputs)."""
        report = self._shapes.report
        if report is None or self._shapes.pending or self._checker is None:
            return
        stale = set()
        if self.results:
            now = self._checker.block_keys(self._graph, report, self.target)
            stale = {n for n in self.results if now.get(n) != self._checked.get(n)}
        if stale != self.stale:
            self.stale = stale
            self.staleChanged.emit(stale)

    @Slot()
    def run_now(self) -> None:
        """Check at once (or once the running check ends); the timer calls this, tests may too."""
        self._timer.stop()
        report = self._shapes.report
        # No report yet (Keras not loaded), or one that no longer describes the graph: the next report calls again.
        if self.target is None or self._closed or report is None or self._shapes.pending:
            return
        if self._task.running:
            self._again = True
            return
        self._again = False
        if self._checker is None:
            self._checker = CompatibilityChecker(keep_worker=True)  # TensorFlow stays loaded between checks
        keys = self._checker.block_keys(self._graph, report, self.target)
        if self.results and keys == self._checked:
            return  # nothing a badge depends on changed (a node was moved, say): no check
        graph = Graph.from_dict(self._graph.to_dict())  # the worker must never read a graph being edited
        self._asked = keys
        folder = self._folder() if self._folder is not None else None
        self._task.start(functools.partial(_check, self._checker, graph, report, self.target, folder),
                         "tflite-compatibility")
        self.busyChanged.emit(True)

    @Slot(object)
    def _on_checked(self, answer) -> None:
        target, answers = answer
        if target == self.target and not self._closed:
            self._checked = self._asked
            self.results = {a.node_id: a for a in answers}
            self.resultsChanged.emit(self.results)
            self._update_stale()
        self._finish()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self.target is not None and not self._closed:
            self.checkFailed.emit(f"TFLite check failed: {message}")
        self._finish()

    def _finish(self) -> None:
        self.busyChanged.emit(False)
        if self.target is None:  # turned off during the check
            self._end_worker()
        elif self._again and not self._closed:
            self.run_now()


def _check(checker, graph: Graph, report, target: str, folder: Path | None):
    """Runs on the worker thread (no Keras: the shapes come from the GUI thread's report)."""
    return target, checker.check_project(graph, target, report=report, folder=folder)
