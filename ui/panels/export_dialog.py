"""The Export dialog: which format, and where to write it."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
    QSpinBox, QWidget,
)

from builder.export import FORMATS, IO_TYPES, ExportOptions

# What the dialog calls each of the engine's formats, and the name ending it suggests.
LABELS = {
    "keras": ("Keras model (.keras)", ".keras"),
    "h5": ("Keras legacy HDF5 (.h5)", ".h5"),
    "savedmodel": ("TensorFlow SavedModel (folder)", "_savedmodel"),
    "tflite": ("TensorFlow Lite / LiteRT (.tflite)", ".tflite"),
    "onnx": ("ONNX (.onnx)", ".onnx"),
}

# The export asks before it replaces a file (ExportActions), so the file dialog does not ask as well.
_ASKED_LATER = QFileDialog.Option.DontConfirmOverwrite


# TFLite variants (engine quantization names) and what the dialog calls them.
VARIANTS = {"float32": "float32 (exact)", "float16": "float16 (half the size)",
            "dynamic": "dynamic-range int8 weights", "int8": "full int8 (calibrated; accuracy checked)"}


# Full-int8 files' input/output types and what the dialog calls them.
IO_LABELS = {"float32": "float32 (quantise inside the model)", "int8": "int8 (micro-controllers)",
             "uint8": "uint8 (Edge TPU, older delegates)"}


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
        defaults = ExportOptions()
        self.io_type_box = QComboBox(self)
        for io_type in IO_TYPES:
            self.io_type_box.addItem(IO_LABELS.get(io_type, io_type), io_type)
        self.io_type_box.setCurrentIndex(self.io_type_box.findData(defaults.io_type))
        self.io_type_box.setToolTip("The type of the file's inputs and outputs. int8/uint8 inputs must be quantised "
                                    "by the caller with the input tensor's scale and zero point.")
        self.samples_spin = QSpinBox(self)
        self.samples_spin.setRange(1, 100_000)
        self.samples_spin.setValue(defaults.representative_samples)
        self.samples_spin.setSuffix(" training samples")
        self.samples_spin.setToolTip("How many samples of the training split calibrate the int8 value ranges.")
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
        self._form = form
        form.addRow("Format:", self.format_box)
        form.addRow("TFLite variant:", self.variant_box)
        form.addRow("Input/output type:", self.io_type_box)
        form.addRow("Calibration:", self.samples_spin)
        form.addRow("Write to:", path_row)
        form.addRow(note)
        form.addRow(buttons)
        self.format_box.currentIndexChanged.connect(self._on_format_changed)
        self.variant_box.currentIndexChanged.connect(self._update_int8_rows)
        self._on_format_changed()

    @property
    def fmt(self) -> str:
        return self.format_box.currentData()

    @property
    def quantization(self) -> str:
        return self.variant_box.currentData() if self.fmt == "tflite" else "float32"

    @property
    def full_int8(self) -> bool:
        return self.quantization == "int8"

    @property
    def options(self) -> ExportOptions:
        """The engine's options for what is chosen; the int8-only ones keep their defaults otherwise."""
        options = ExportOptions(quantization=self.quantization)
        if self.full_int8:
            options.io_type = self.io_type_box.currentData()
            options.representative_samples = self.samples_spin.value()
        return options

    @property
    def path(self) -> Path:
        return Path(self.path_edit.text().strip())

    @Slot()
    def _on_format_changed(self) -> None:
        self.path_edit.setText(str(default_export_path(self._run_dir, self._name, self.fmt)))
        self.variant_box.setEnabled(self.fmt == "tflite")
        self._update_int8_rows()

    @Slot()
    def _update_int8_rows(self) -> None:
        """The input/output type and calibration size mean something only for full-int8 TFLite files."""
        for widget in (self.io_type_box, self.samples_spin):
            self._form.setRowVisible(widget, self.full_int8)
            widget.setEnabled(self.full_int8)
        self.adjustSize()

    @Slot()
    def _browse(self) -> None:
        if self.fmt == "savedmodel":
            chosen = QFileDialog.getSaveFileName(self, "SavedModel folder", str(self.path), "",
                                                 options=_ASKED_LATER)[0]
        else:
            suffix = _label(self.fmt)[1]
            chosen = QFileDialog.getSaveFileName(self, "Export to", str(self.path), f"*{suffix}",
                                                 options=_ASKED_LATER)[0]
        if chosen:
            self.path_edit.setText(chosen)
