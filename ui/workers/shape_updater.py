"""Re-runs shape inference after graph edits, once per burst of events, when Keras is loaded; then checks the
graph against the project's training recipe off the GUI thread (`RecipeChecker`)."""
from __future__ import annotations

import copy
import dataclasses
import functools
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from builder.graph import Graph
from ui.workers.background_task import BackgroundTask


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


class RecipeChecker(QObject):
    """Checks that a document's graph fits its training recipe (builder.training.recipes: a VAE's latent sizes
    agree, ...) after each shape report and each change of the recipe, and publishes the problems by node.

    The check runs on a worker thread with copies of the graph, the recipe and the report: a distillation's check
    reads its teacher's .keras file. Nothing runs before the first report (Keras is loaded by then) nor for a
    supervised project, whose problems are none. A change during a check asks for one more when it ends; a call
    with the same report, recipe, project folder and recipe files as the last check (another training setting
    changed) checks nothing: a Save As elsewhere (a relative teacher path resolves in the new folder) or a teacher
    file written since checks again.
    """

    problemsChanged = Signal(object)  # builder.training.recipes.NodeProblems

    def __init__(self, shapes: ShapeUpdater, project: Callable[[], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        from builder.training import recipes

        self._shapes = shapes
        self._project = project  # the document's project now (a file opened replaces it)
        self.problems = recipes.NodeProblems()
        self._closed = False
        self._again = False
        self._checked: tuple = ()  # what the latest check started from (see _check_key)
        self._task = BackgroundTask(self)
        self._task.succeeded.connect(self._on_checked)
        self._task.failed.connect(self._on_failed)
        shapes.reportChanged.connect(self.run_now)

    @property
    def busy(self) -> bool:
        return self._task.running

    def close(self) -> None:
        """Stop following the reports and wait for a running check."""
        if self._closed:
            return
        self._closed = True
        self._again = False
        self._shapes.reportChanged.disconnect(self.run_now)
        self._task.wait()

    @Slot(object)
    def run_now(self, _report=None) -> None:
        """Check the graph against the recipe now (or when the running check ends). Called on each shape report;
        call it when the recipe changes too."""
        from builder.training import recipes

        report = self._shapes.report
        if self._closed or report is None or self._shapes.pending:
            return  # no shapes yet (Keras not loaded) or they describe an older graph: the next report calls again
        if self._task.running:
            self._again = True
            return
        self._again = False
        project = self._project()
        key = _check_key(report, project)
        if self._checked and key[0] is self._checked[0] and key[1:] == self._checked[1:]:
            return
        self._checked = key
        if recipes.recipe_name(project.training.recipe) == recipes.SUPERVISED:
            self._publish(recipes.NodeProblems())
            return
        snapshot = _recipe_snapshot(project)
        self._task.start(functools.partial(recipes.recipe_node_problems, snapshot, report), "recipe-check")

    @Slot(object)
    def _on_checked(self, problems) -> None:
        if not self._closed:
            self._publish(problems)
        self._finish()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        from builder.training import recipes

        if not self._closed:
            self._publish(recipes.NodeProblems(general=[f"training.recipe: the check failed: {message}"]))
        self._finish()

    def _finish(self) -> None:
        if self._again and not self._closed:
            self.run_now()

    def _publish(self, problems) -> None:
        if problems != self.problems:
            self.problems = problems
            self.problemsChanged.emit(problems)


def _check_key(report, project) -> tuple:
    """What a recipe check depends on: the shape report, the recipe, the project's folder and the files the
    recipe's text values name there that exist now, with their modification times (a distillation's teacher
    .keras, or the model.keras of the run folder it names)."""
    recipe = project.training.recipe
    folder = project.folder()
    files = []
    for value in (recipe.values() if isinstance(recipe, dict) else ()):
        if not isinstance(value, str) or not value:
            continue
        try:
            path = folder / value
            path = path / "model.keras" if path.is_dir() else path
            files.append((str(path), path.stat().st_mtime_ns))
        except (OSError, ValueError):
            continue  # not there (yet), or no path at all: the check says so
    return report, copy.deepcopy(recipe), str(folder), tuple(sorted(files))


def _recipe_snapshot(project):
    """What the worker reads: a copy of the graph and the recipe (the GUI thread goes on editing the originals)."""
    from builder.project import Project

    training = dataclasses.replace(project.training, recipe=copy.deepcopy(project.training.recipe))
    return Project(graph=Graph.from_dict(project.graph.to_dict()), dataset=project.dataset, name=project.name,
                   training=training, path=project.path)
