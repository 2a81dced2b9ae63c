"""File ▸ Export Trained Model: the dialog (which run, which format), then the engine's export and verification off
the GUI thread, and a table of what was written and verified."""
from __future__ import annotations

import functools
import os
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from ui.controllers.window_controller import WindowController
from ui.document import Document
from ui.message_box import show_message
from ui.panels.export_dialog import PYTHON, ExportDialog, ModelChoice, resolved_path
from ui.panels.export_results import ExportResultsDialog, ScriptReport, row_for_failure, row_for_report
from ui.workers.background_task import BackgroundTask
from ui.workers.training_controller import TrainingController, snapshot


class ExportActions(WindowController):
    """Exports a trained model of the project — any run on disk (newest by default, also after a restart), the
    run trained in this window, or an imported project's own weights — or the project as a Python script;
    `finished(report)` or `failed(message)` follows each export, and `results` shows it as a row of a table."""

    finished = Signal(object)  # ExportReport (a ScriptReport for the Python script)
    failed = Signal(str)
    runningChanged = Signal(bool)  # the window disables its Export action while one runs

    def __init__(self, window: QWidget, training: TrainingController) -> None:
        super().__init__(window)
        self.training = training
        self.document: Document | None = None
        self.dialog: ExportDialog | None = None  # the open Export dialog, if any
        self._results: ExportResultsDialog | None = None
        self._pending: tuple[str, Path] | None = None  # the running export's format and target
        self._task = BackgroundTask(self)
        self._task.succeeded.connect(self._on_succeeded)
        self._task.failed.connect(self._on_failed)

    def set_document(self, document: Document) -> None:
        self.document = document

    @property
    def results(self) -> ExportResultsDialog:
        """The table of this session's exports (made on first use)."""
        if self._results is None:
            self._results = ExportResultsDialog(self.window)
        return self._results

    @Slot()
    def on_export(self) -> None:
        self.export()

    def export_run(self, run_dir: str | Path) -> bool:
        """Open the Export dialog with the model of the run in `run_dir` chosen (the runs list's Export)."""
        return self.export(run_dir=run_dir)

    def model_choices(self) -> list[ModelChoice]:
        """The project's trained models, newest first: the runs on disk that hold a model, the run trained in this
        window when it is elsewhere (a chosen run folder), and the project's own weights (an imported model)."""
        project = self.document.project if self.document is not None else None
        if project is None:
            return []
        choices = [_run_choice(run) for run in reversed(_runs_with_a_model(project))]
        result = self.training.last_result
        known = {resolved_path(c.run_dir) for c in choices}
        if result is not None and getattr(result, "model_path", None) and resolved_path(result.run_dir) not in known \
                and Path(result.model_path).is_file():
            choices.insert(0, ModelChoice(f"{Path(result.run_dir).name} · trained in this window",
                                          Path(result.model_path), Path(result.run_dir),
                                          f"trained in the run {result.run_dir} ({result.model_path})"))
        if project.weights:
            choices.append(ModelChoice(f"The project's own weights ({project.weights}; no training run)",
                                       weights=f"the project's own weights ({project.weights}; no training run)",
                                       own_weights=True))
        return choices

    def export(self, fmt: str | None = None, path: str | Path | None = None, options=None,
               overwrite: bool = False, run_dir: str | Path | None = None) -> bool:
        """Export a trained model: the run in `run_dir`, else the run trained in this window, else the project's
        newest run on disk, else a project whose weights are its own (an imported model); `fmt` "python" writes
        the project as a Keras script (no trained model needed). `options`: an ExportOptions (default float32).
        With no format or path, open the Export dialog (the run in `run_dir` chosen) and return whether it opened;
        the export starts when the dialog is accepted, after asking before replacing an existing file. An existing
        target is replaced only with `overwrite` (the engine refuses it otherwise)."""
        if self._task.running:
            self.status.emit("An export is already running.")
            return False
        if fmt is None or path is None:
            return self._open_dialog(run_dir)
        choice = None
        if fmt != PYTHON:
            choice = self._choice_for(run_dir)
            if choice is False:
                return False
        self._start(fmt, Path(path), options, overwrite, choice)
        return True

    def wait(self) -> None:
        """Block until a running export has ended (the window is closing)."""
        self._task.wait()

    # ---- the dialog ---------------------------------------------------------------------------------------------
    def _open_dialog(self, run_dir) -> bool:
        choices = self.model_choices()
        if not choices:
            show_message(self.window, QMessageBox.Icon.Information, "Nothing to export yet",
                         "Export writes a trained model of the project, and this project has no run with a model "
                         f"yet (none in {_runs_folder(self.document.project)}). Train the model first (Train, below).")
            return False
        if self.dialog is not None:
            self.dialog.close()
        project = self.document.project
        folder = choices[0].run_dir or project.folder()
        self.dialog = ExportDialog(folder, project.name, self.window, choices=choices, chosen=run_dir)
        self.dialog.finished.connect(self._on_dialog_finished)
        self.dialog.open()
        return True

    @Slot(int)
    def _on_dialog_finished(self, result: int) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is None:
            return
        dialog.deleteLater()
        if result == ExportDialog.DialogCode.Accepted:
            self._export_chosen(dialog)

    def _export_chosen(self, dialog: ExportDialog) -> None:
        fmt, path, options = dialog.fmt, dialog.path, dialog.options
        choice = None if fmt == PYTHON else dialog.model_choice
        from builder.export import existing_targets  # the file and the recipe's companions (a schedule)

        overwrite = False
        existing = [p for p in [Path(path)] if os.path.lexists(p)] if fmt == PYTHON else \
            existing_targets(self.document.project, path)
        if existing:
            what = "script" if fmt == PYTHON else "model"
            question = (f"{existing[0]} already exists. Replace it with the exported {what}?" if len(existing) == 1
                        else "These files already exist:\n" + "\n".join(str(p) for p in existing)
                        + f"\nReplace them with the exported {what} and what is written beside it?")
            answer = QMessageBox.question(
                self.window, "Replace the existing file?", question,
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return
            overwrite = True
        if self._task.running:
            self.status.emit("An export is already running.")
            return
        self._start(fmt, path, options, overwrite, choice)

    def _choice_for(self, run_dir) -> ModelChoice | None | bool:
        """The model to export without the dialog: the run asked for, else this window's run, else None (the
        engine's choice: the newest run on disk, or the project's own weights); False after saying there is none."""
        if run_dir is not None:
            from builder.training import run_model_file

            return ModelChoice(Path(run_dir).name, run_model_file(Path(run_dir)), Path(run_dir),
                               f"trained in the run {run_dir}")
        result = self.training.last_result
        if result is not None and getattr(result, "model_path", None):
            return ModelChoice(Path(result.run_dir).name, Path(result.model_path), Path(result.run_dir),
                               f"trained in the run {result.run_dir} ({result.model_path})")
        if not self.model_choices():
            show_message(self.window, QMessageBox.Icon.Information, "Nothing to export yet",
                         "Export writes a trained model of the project. Train the model first (Train, below).")
            return False
        return None

    # ---- the export -------------------------------------------------------------------------------------------
    def _start(self, fmt: str, path: Path, options, overwrite: bool, choice: ModelChoice | None) -> None:
        from builder.export import ExportOptions  # numpy: only once an export is asked for

        options = options or ExportOptions()
        job = functools.partial(_export, choice, fmt, path, snapshot(self.document.project), options, overwrite)
        self._pending = (fmt, path)
        self._task.start(job, "export")
        self.runningChanged.emit(True)
        self.status.emit(f"Exporting {fmt} to {path}…")

    @Slot(object)
    def _on_succeeded(self, written) -> None:
        report, companions = written
        self._pending = None
        self.runningChanged.emit(False)
        self.status.emit(f"Exported {report.path}" + ("" if report.format == PYTHON else " (verified)")
                         + "".join(f" and {path.name}" for path in companions.values()))
        self._show_row(row_for_report(report, companions.values()))
        self.finished.emit(report)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        fmt, path = self._pending or ("?", "")
        self._pending = None
        self.runningChanged.emit(False)
        self.status.emit(message)
        self._show_row(row_for_failure(fmt, path, message))
        self.failed.emit(message)

    def _show_row(self, row) -> None:
        results = self.results
        results.add_row(row)
        results.show()


def _runs_folder(project) -> str:
    try:
        return str(project.default_runs_dir())
    except Exception:  # a project whose runs folder cannot be named still says what to do
        return "its runs folder"


def _runs_with_a_model(project) -> list:
    """The project's runs on disk (oldest first) that hold a model file (builder.training.list_runs)."""
    from builder.errors import LayerboardError
    from builder.training import list_runs  # numpy: only when Export is asked for

    try:
        return [run for run in list_runs(project) if run.model_path is not None]
    except LayerboardError:
        return []  # an unreadable runs folder: the run of this window may still be exported


def _run_choice(run) -> ModelChoice:
    """A RunSummary as an entry of the Trained model list: when, how it ended, its last validation score, where."""
    when = run.started.strftime("%Y-%m-%d %H:%M:%S") if run.started else run.name
    if run.started and run.name != run.started.strftime("%Y%m%d-%H%M%S"):
        when += f" ({run.name})"  # two runs started in the same second, or a folder named by the user
    parts = [when, run.state, f"{run.epochs_run} epoch{'s' if run.epochs_run != 1 else ''}"]
    for key in ("val_accuracy", "val_loss", "accuracy", "loss"):
        if key in run.final_metrics:
            parts.append(f"{key} {run.final_metrics[key]:.4g}")
            break
    if run.device:
        parts.append(run.device)
    if run.model_path.name != "model.keras":
        parts.append(f"from {run.model_path.name}")
    return ModelChoice(" · ".join(parts), run.model_path, run.run_dir,
                       f"trained in the run {run.run_dir} ({run.model_path})")



def _export(choice: ModelChoice | None, fmt: str, out_path: Path, project, options, overwrite: bool = False):
    """Runs on the export thread: the engine's export, which imports TensorFlow and converts; returns (the report,
    the companion files written beside it). With no choice, the project's model is exported
    (builder.training.project_model: its newest run, or its own weights); a recipe's model exports its part (a
    diffusion's denoiser, with its noise schedule beside it); the Python format writes the project as a script."""
    if fmt == PYTHON:
        from builder.export import write_python

        written = write_python(project, out_path, overwrite=overwrite)
        return ScriptReport(written, written.stat().st_size), {}
    from builder.export import export_project_model
    from builder.training import as_project_model, project_model

    if choice is None:
        chosen = project_model(project)
    elif choice.own_weights:
        chosen = project_model(project, own_weights=True)
    else:
        chosen = as_project_model(choice.model_path)
        chosen.weights = choice.weights or chosen.weights
    written = export_project_model(project, chosen, fmt, out_path, options, overwrite=overwrite)
    return written.report, written.companions
