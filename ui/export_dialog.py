"""The Export dialog: which format, and where to write it."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
    QWidget,
)

from builder.export import FORMATS

# What the dialog calls each of the engine's formats, and the name ending it suggests.
LABELS = {
    "keras": ("Keras model (.keras)", ".keras"),
    "h5": ("Keras legacy HDF5 (.h5)", ".h5"),
    "savedmodel": ("TensorFlow SavedModel (folder)", "_savedmodel"),
    "tflite": ("TensorFlow Lite / LiteRT (.tflite)", ".tflite"),
    "onnx": ("ONNX (.onnx)", ".onnx"),
}


# TFLite variants (engine quantization names) and what the dialog calls them.
VARIANTS = {"float32": "float32 (exact)", "float16": "float16 (half the size)",
            "dynamic": "dynamic-range int8 weights", "int8": "full int8 (calibrated; accuracy checked)"}


def _label(fmt: str) -> tuple[str, str]:
    return LABELS.get(fmt, (fmt, f".{fmt}"))


def default_export_path(run_dir: Path, name: str, fmt: str) -> Path:
    return run_dir / f"{name}{_label(fmt)[1]}"


class ExportDialog(QDialog):
    def __init__(self, run_dir: Path, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export trained model")
        self._run_dir = run_dir
        self._name = name
        self.format_box = QComboBox(self)
        for fmt in FORMATS:
            self.format_box.addItem(_label(fmt)[0], fmt)
        self.variant_box = QComboBox(self)
        for quantization, label in VARIANTS.items():
            self.variant_box.addItem(label, quantization)
        self.path_edit = QLineEdit(self)
        self.path_edit.setMinimumWidth(420)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        note = QLabel("The model of the last training run is exported, then loaded back in its own runtime in a "
                      "fresh process and compared with Keras on the validation split; a quantised file that loses "
                      "more than 1 point of accuracy is refused.", self)
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Format:", self.format_box)
        form.addRow("TFLite variant:", self.variant_box)
        form.addRow("Write to:", path_row)
        form.addRow(note)
        form.addRow(buttons)
        self.format_box.currentIndexChanged.connect(self._on_format_changed)
        self._on_format_changed()

    @property
    def fmt(self) -> str:
        return self.format_box.currentData()

    @property
    def quantization(self) -> str:
        return self.variant_box.currentData() if self.fmt == "tflite" else "float32"

    @property
    def path(self) -> Path:
        return Path(self.path_edit.text().strip())

    @Slot()
    def _on_format_changed(self) -> None:
        self.path_edit.setText(str(default_export_path(self._run_dir, self._name, self.fmt)))
        self.variant_box.setEnabled(self.fmt == "tflite")

    @Slot()
    def _browse(self) -> None:
        if self.fmt == "savedmodel":
            chosen = QFileDialog.getSaveFileName(self, "SavedModel folder", str(self.path))[0]
        else:
            suffix = _label(self.fmt)[1]
            chosen = QFileDialog.getSaveFileName(self, "Export to", str(self.path), f"*{suffix}")[0]
        if chosen:
            self.path_edit.setText(chosen)
