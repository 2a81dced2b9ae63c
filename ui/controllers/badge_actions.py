"""View ▸ TFLite compatibility: which target the nodes' badges answer for, and status lines about the checks."""
from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QWidget

from ui.controllers.window_controller import WindowController
from ui.document import Document
from ui.workers.compatibility_updater import TARGETS
from ui.workers.engine_loader import EngineLoader


class BadgeActions(WindowController):
    """Keeps the chosen target across documents; `targetChanged` lets the window tick the matching menu entry."""

    targetChanged = Signal(object)  # "tflite", "tflite-int8" or None (badges off)
    def __init__(self, window: QWidget, engine: EngineLoader) -> None:
        super().__init__(window)
        self.engine = engine
        # Off by default, so no conversion process starts unless the user asks.
        self.target: str | None = None
        self.document: Document | None = None

    def set_document(self, document: Document) -> None:
        """Badge the new document's nodes for the chosen target."""
        self.document = document
        document.compatibility.busyChanged.connect(self._on_busy)
        document.compatibility.resultsChanged.connect(self._on_results)
        document.compatibility.checkFailed.connect(self.status)
        document.compatibility.set_target(self.target)

    def set_target(self, target: str | None) -> None:
        """Badge every node for "tflite" or "tflite-int8"; None turns the badges off."""
        self.target = target
        self.targetChanged.emit(target)
        self.document.compatibility.set_target(target)
        if target is not None and not self.engine.is_ready:
            self.status.emit("TFLite badges appear once Keras has loaded.")

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        if busy and self.target is not None and not self.document.compatibility.results:
            self.status.emit(f"Checking blocks for {TARGETS[self.target]}… "
                             "(a block not seen before takes a few seconds)")

    @Slot(object)
    def _on_results(self, results: dict) -> None:
        if results and self.target is not None:
            self.status.emit(summary(self.target, results))


def summary(target: str, results: dict) -> str:
    """One status-bar line: how many checked nodes are built-in (int8), need Flex, or cannot convert."""
    answers = [a for a in results.values() if a.status != "skipped"]
    if target == "tflite-int8":
        good = sum(1 for a in answers if a.status == "builtin" and a.quantized)
        parts = [f"{good} of {len(answers)} blocks built-in and int8"]
        if (floating := sum(1 for a in answers if a.status == "builtin" and not a.quantized)):
            parts.append(f"{floating} not int8")
    else:
        parts = [f"{sum(1 for a in answers if a.status == 'builtin')} of {len(answers)} blocks built-in"]
    if (flex := sum(1 for a in answers if a.status == "select_tf_ops")):
        parts.append(f"{flex} need select TF ops (Flex)")
    if (bad := sum(1 for a in answers if a.status == "unsupported")):
        parts.append(f"{bad} cannot convert")
    return f"{TARGETS[target]}: " + ", ".join(parts) + "."
