"""The device panel: the engine's doctor report (what training runs on, and why not the GPU, with the fix)."""
from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QApplication, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget,
)

from ui.workers.background_task import BackgroundTask

WAITING = "The device report appears once Keras has loaded."
CHECKING = "Checking the devices…"


def headline(report) -> str:
    """What training will run on, in a few words: "GPU — NVIDIA H200 (GPU:0)", "2 GPUs — …", or "CPU"."""
    gpus = [d for d in report.devices if d.get("kind") == "GPU"]
    if not gpus:
        return "CPU"
    names = ", ".join((f"{d['model']} ({_short(d['name'])})" if d.get("model") else _short(d["name"])) for d in gpus)
    return f"GPU — {names}" if len(gpus) == 1 else f"{len(gpus)} GPUs — {names}"


def _short(name: str) -> str:
    return str(name).replace("/physical_device:", "")


def report_html(report) -> str:
    """The findings (each with its fix), then the versions and devices, as the panel's rich text."""
    parts: list[str] = []
    if report.reasons:
        title = ("Why training does not use a GPU" if not report.gpu_available else "Findings")
        parts.append(f"<h3>{title}</h3>")
        for reason in report.reasons:
            parts.append(f"<p><b>⚠ {html.escape(reason.problem)}</b><br>"
                         f"Fix: <code>{html.escape(reason.fix)}</code></p>")
    elif report.gpu_available:
        parts.append("<p>✔ TensorFlow sees the GPU; training and evaluation run on it.</p>")
    else:
        parts.append("<p>No GPU was found and no cause is known; training runs on the CPU.</p>")
    rows = [("Python", report.python), ("Keras", report.keras or "not installed"),
            ("TensorFlow", report.tensorflow or "not installed"), ("Backend", report.backend or "unknown"),
            ("Platform", report.platform), ("Built with CUDA", "yes" if report.built_with_cuda else "no")]
    devices = ", ".join(f"{d.get('kind')} {_short(d.get('name'))}" + (f" ({d['model']})" if d.get("model") else "")
                        for d in report.devices) or "(none)"
    rows.append(("Devices", devices))
    parts.append("<h3>This machine</h3><table cellspacing='2'>")
    parts += [f"<tr><td><b>{html.escape(k)}</b>&nbsp;&nbsp;</td><td>{html.escape(str(v))}</td></tr>" for k, v in rows]
    parts.append("</table>")
    return "\n".join(parts)


def report_text(report) -> str:
    """The report as `python main.py doctor` prints it (what Copy report puts on the clipboard)."""
    return "\n".join(report.summary()) + "\n"


def _diagnose():
    """Runs on the worker thread: the engine's doctor (imports TensorFlow, already loaded by then)."""
    from builder.training import diagnose

    return diagnose()


class DevicePanel(QWidget):
    """What training will use (big), each finding of the engine's doctor with its fix, versions and devices;
    Refresh runs the doctor again (off the GUI thread), Copy report puts the doctor's text on the clipboard."""

    message = Signal(str)  # a line for the status bar
    reportChanged = Signal(object)  # builder.training doctor Report, once each check ends

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = None
        self.report = None
        self._engine_ready = False
        self._task = BackgroundTask(self)
        self._task.succeeded.connect(self._on_report)
        self._task.failed.connect(self._on_failed)
        self._watched: QObject | None = None
        self._say_result = False  # a line in the status bar after Refresh (not after the check at start-up)

        caption = QLabel("Training will run on", self)
        self.device_label = QLabel("…", self)
        font = self.device_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.device_label.setFont(font)
        self.device_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.device_label.setWordWrap(True)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setToolTip("Run the device check again (after installing a driver or package, "
                                       "restart Layerboard: TensorFlow looks for GPUs once per process)")
        self.refresh_button.setEnabled(False)
        self.refresh_button.clicked.connect(self._on_refresh_clicked)
        self.copy_button = QPushButton("Copy report", self)
        self.copy_button.setToolTip("Copy the report as `python main.py doctor` prints it")
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy_report)
        top = QHBoxLayout()
        heading = QVBoxLayout()
        heading.addWidget(caption)
        heading.addWidget(self.device_label)
        self.why_label = QLabel("", self)  # the first reason there is no GPU, in one line
        self.why_label.setWordWrap(True)
        self.why_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        heading.addWidget(self.why_label)
        top.addLayout(heading, 1)
        top.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
        self.details = QTextBrowser(self)  # read-only, selectable, scrolls
        self.details.setOpenLinks(False)
        self.details.setPlainText(WAITING)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details, 1)

    def set_document(self, document) -> None:
        self.document = document  # the device does not depend on the project

    def set_engine_ready(self) -> None:
        self._engine_ready = True
        self.refresh()

    @property
    def checking(self) -> bool:
        return self._task.running

    @Slot()
    def refresh(self) -> None:
        """Run the engine's doctor on a worker thread; the report replaces the panel's text when it ends."""
        if not self._engine_ready or self._task.running:
            return
        self._watch_window()
        self.refresh_button.setEnabled(False)
        self.details.setPlainText(CHECKING if self.report is None else self.details.toPlainText())
        self._task.start(_diagnose, "device-doctor")

    @Slot()
    def _on_refresh_clicked(self) -> None:
        self._say_result = True
        self.refresh()

    @Slot()
    def copy_report(self) -> None:
        if self.report is not None:
            QApplication.clipboard().setText(report_text(self.report))
            self.message.emit("Device report copied.")

    def shutdown(self) -> None:
        """Wait for a running check (the window is closing)."""
        self._task.wait()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._watched and event.type() == QEvent.Type.Close:
            self.shutdown()  # a check lasts milliseconds; its thread must not outlive the window
        return False

    def _watch_window(self) -> None:
        window = self.window()
        if window is not self and window is not self._watched:
            if self._watched is not None:
                self._watched.removeEventFilter(self)
            window.installEventFilter(self)
            self._watched = window

    @Slot(object)
    def _on_report(self, report) -> None:
        self.report = report
        self.device_label.setText(headline(report))
        no_gpu = report.reasons and not report.gpu_available
        self.why_label.setText(f"No GPU: {report.reasons[0].problem} Fix below." if no_gpu else "")
        self.details.setHtml(report_html(report))
        self.refresh_button.setEnabled(True)
        self.copy_button.setEnabled(True)
        if report.gpu_available:
            self._say(f"Training will run on {headline(report)}.")
        else:
            self._say("Training will run on the CPU" + (f": {report.reasons[0].problem}" if report.reasons else "."))
        self.reportChanged.emit(report)

    def _say(self, line: str) -> None:
        if self._say_result:
            self.message.emit(line)
        self._say_result = False

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.device_label.setText("unknown")
        self.details.setPlainText(f"The device check failed: {message}\n\nRun `python main.py doctor` in a "
                                  "terminal for the same report.")
        self.refresh_button.setEnabled(True)
        self._say_result = True
        self._say(f"The device check failed: {message}")
