"""Nothing lost: the open project autosaved to a recovery file every minute and before training, and after a crash
the offer to restore what the last session left unsaved.

The recovery file (builder.project.recovery) holds the project as it is, saved or not, and lives while the
document has changes its own file lacks: it is written when the document changed since the last autosave, and
removed when the document is saved (it turns clean), when its changes are discarded (another project opened or
the window closed with Discard) and at a normal close.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from builder.errors import LayerboardError
from builder.project import (RecoveryFile, RecoveryScan, list_recoveries, new_recovery_path, remove_recovery,
                             restore_project, write_recovery)
from ui.controllers.file_actions import FileActions
from ui.controllers.window_controller import WindowController
from ui.document import Document
from ui.message_box import show_message

log = logging.getLogger(__name__)

AUTOSAVE_VARIABLE = "LAYERBOARD_AUTOSAVE_S"  # seconds between autosaves (tests set 1 or less)
DEFAULT_AUTOSAVE_S = 60.0
PROMPT = "Layerboard closed unexpectedly. Restore unsaved work?"


def autosave_interval_ms() -> int:
    """The autosave interval: $LAYERBOARD_AUTOSAVE_S seconds when set to a number above zero, else a minute."""
    try:
        seconds = float(os.environ.get(AUTOSAVE_VARIABLE, DEFAULT_AUTOSAVE_S))
    except ValueError:
        seconds = DEFAULT_AUTOSAVE_S
    if not 0 < seconds < 86_400:
        seconds = DEFAULT_AUTOSAVE_S
    return max(50, round(seconds * 1000))


class RecoveryActions(WindowController):
    """Autosaves the window's document and restores recovery files; `autosaved` carries each file written."""

    autosaved = Signal(object)  # Path: the recovery file just written
    restored = Signal(object)  # the RecoveryFile whose project the window now shows

    def __init__(self, window: QWidget, file_actions: FileActions) -> None:
        super().__init__(window)
        self.file_actions = file_actions
        self.document: Document | None = None
        self.recovery_path: Path | None = None  # the current document's recovery file, once written
        self._changed = False  # the document changed since its last autosave
        self._adopted: dict[int, Path] = {}  # id(restored Document) -> the recovery file it came from
        self.timer = QTimer(self)
        self.timer.setInterval(autosave_interval_ms())
        self.timer.timeout.connect(self.autosave_now)
        self.timer.start()
        file_actions.documentSet.connect(self._on_document_set)
        # Before training starts (these connections come before the training actions' own, so they run first).
        training_panel = getattr(window, "training_panel", None)
        if training_panel is not None:
            training_panel.trainRequested.connect(self._before_training)
        runs_panel = getattr(window, "runs_panel", None)
        if runs_panel is not None:
            runs_panel.resumeRequested.connect(self._before_training)

    # ---- following the document -------------------------------------------------------------------------
    @Slot(object)
    def _on_document_set(self, document: Document) -> None:
        if document is self.document:
            return
        self.discard_recovery()  # the previous document was saved, or its changes discarded, or it had none
        self.document = document
        self.recovery_path = self._adopted.pop(id(document), None)
        self._changed = document.dirty
        document.undo_stack.indexChanged.connect(self._on_edited)
        document.dirtyChanged.connect(self._on_dirty_changed)
        if self.recovery_path is not None:
            self.autosave_now()  # a restored project: its recovery file is ours now (this process as its writer)

    @Slot(int)
    def _on_edited(self, _index: int) -> None:
        if self.sender() is self.document.undo_stack:
            self._changed = True

    @Slot(bool)
    def _on_dirty_changed(self, dirty: bool) -> None:
        if self.sender() is self.document and not dirty:
            self.discard_recovery()  # saved (or undone back to what the file holds): nothing to recover

    # ---- autosave ---------------------------------------------------------------------------------------
    @Slot()
    def autosave_now(self) -> Path | None:
        """Write the document to its recovery file if it has changes its file lacks and changed since the last
        autosave; returns the file written, else None. A failed write is a status note, never an interruption."""
        document = self.document
        if document is None or not document.dirty or not self._changed:
            return None
        path = self.recovery_path or new_recovery_path(document.project.name)
        try:
            write_recovery(document.project, path)
        except (LayerboardError, OSError) as exc:
            log.warning("autosave to %s failed: %s", path, exc)
            self.status.emit(f"Autosave failed: {exc}")
            return None
        self.recovery_path, self._changed = path, False
        self.autosaved.emit(path)
        return path

    @Slot()
    def _before_training(self, *_args) -> None:
        self.autosave_now()

    def discard_recovery(self) -> None:
        """Remove the current document's recovery file (saved, or its changes discarded: a normal close)."""
        if self.recovery_path is not None:
            try:
                remove_recovery(self.recovery_path)
            except OSError as exc:
                log.warning("recovery file %s not removed: %s", self.recovery_path, exc)
        self.recovery_path = None
        self._changed = self.document.dirty if self.document is not None else False

    # ---- restoring after a crash ------------------------------------------------------------------------------
    def pending(self) -> RecoveryScan:
        """The recovery files a crash left (their writer is gone), newest first, and notes on those skipped."""
        return list_recoveries()

    def offer_restore(self) -> QMessageBox | None:
        """At start-up: if a crash left recovery files, ask (window-modal, not blocking) whether to restore the
        newest; Restore, Discard (removes them) or Later (kept for the next start). Returns the box, if any."""
        scan = self.pending()
        for note in scan.skipped:
            log.warning("recovery: %s", note)
        if not scan.found:
            if scan.skipped:
                self.status.emit(f"{len(scan.skipped)} recovery file(s) could not be read and were skipped.")
            return None
        box = QMessageBox(QMessageBox.Icon.Warning, "Restore unsaved work", PROMPT, QMessageBox.StandardButton.NoButton,
                          self.window)
        lines = [f"• {r.describe()}" for r in scan.found]
        more = ("\n\nRestore opens the newest; the others stay for the next start (or `python main.py recover`)."
                if len(scan.found) > 1 else "")
        box.setInformativeText("\n".join(lines) + more)
        if scan.skipped:
            box.setDetailedText("Skipped:\n" + "\n".join(scan.skipped))
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(restore)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        found = list(scan.found)

        def answered(button) -> None:
            if button is restore:
                self.restore(found[0])
            elif button is discard:
                self.discard(found)
            else:
                self.status.emit("The unsaved work is kept; it is offered again at the next start.")

        box.buttonClicked.connect(answered)
        box.open()
        return box

    def restore(self, recovery: RecoveryFile | Path) -> bool:
        """Open the project of a recovery file as an unsaved document (its own path kept where saving there is
        safe); its recovery file is removed once it is saved or its changes discarded."""
        path = recovery.path if isinstance(recovery, RecoveryFile) else Path(recovery)
        if not self.file_actions.maybe_save():
            return False
        try:
            restored = restore_project(path)
        except LayerboardError as exc:
            show_message(self.window, QMessageBox.Icon.Warning, "Cannot restore", str(exc))
            return False
        document = Document(restored.project, self.window)
        document.undo_stack.resetClean()  # unsaved: the title shows the mark, closing asks
        self._adopted[id(document)] = path
        self.file_actions.documentOpened.emit(document)
        self.restored.emit(restored.recovery)
        where = f"; Save writes {restored.project.path}" if restored.project.path else "; Save asks where to write it"
        self.status.emit(" ".join([f"Restored {restored.recovery.project_name}{where}.", *restored.notes]))
        return True

    def discard(self, recoveries: list[RecoveryFile]) -> None:
        """Remove recovery files the user chose not to restore."""
        for recovery in recoveries:
            remove_recovery(recovery.path)
        self.status.emit(f"Discarded {len(recoveries)} recovery file{'s' if len(recoveries) != 1 else ''}.")
