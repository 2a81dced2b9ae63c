"""The Export dialog: which trained model, which format, and where to write it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
    QSpinBox, QWidget,
)

from builder.export import FORMATS, IO_TYPES, ExportOptions

PYTHON = "python"  # the project as a standalone Keras script (builder.export.write_python), not a model file
DIALOG_FORMATS = (*FORMATS, PYTHON)

# What the dialog calls each of the engine's formats, and the name ending it suggests.
LABELS = {
    "keras": ("Keras model (.keras)", ".keras"),
    "h5": ("Keras legacy HDF5 (.h5)", ".h5"),
    "savedmodel": ("TensorFlow SavedModel (folder)", "_savedmodel"),
    "tflite": ("TensorFlow Lite / LiteRT (.tflite)", ".tflite"),
    "onnx": ("ONNX (.onnx)", ".onnx"),
    PYTHON: ("Python script: the model as Keras code (.py)", ".py"),
}


@dataclass(frozen=True)
class ModelChoice:
    """One entry of the Trained model list: a run's model file, or the project's own weights (run_dir None)."""

    label: str
    model_path: Path | None = None  # the run's model.keras (best.keras / last.keras for a run that did not end)
    run_dir: Path | None = None
    weights: str = ""  # which weights, in words, for the report
    own_weights: bool = False  # the project's graph with its own weights file (an imported model)

    @property
    def folder(self) -> Path | None:
        return self.run_dir

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


def _index_of(choices, chosen) -> int:
    """The position of the choice whose run folder or model file is `chosen` (0 when none is)."""
    if chosen is None:
        return 0
    chosen = resolved_path(chosen)
    for index, choice in enumerate(choices):
        if chosen in (resolved_path(choice.run_dir), resolved_path(choice.model_path)):
            return index
    return 0


def resolved_path(path) -> Path | None:
    """`path` resolved (to compare two names of one file), as given when it cannot be; None stays None."""
    if path is None:
        return None
    try:
        return Path(path).resolve()
    except OSError:
        return Path(path)


class ExportDialog(QDialog):
    """`folder`: where files go by default (a chosen run's folder takes its place); `choices`: the trained models
    to pick from, newest first (`chosen`: the model_path or run_dir to select)."""

    def __init__(self, folder: Path, name: str, parent: QWidget | None = None,
                 choices: list[ModelChoice] | tuple = (), chosen: str | Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export trained model")
        self._run_dir = Path(folder)
        self._name = name
        self.model_box = QComboBox(self)
        self.model_box.setMinimumWidth(420)
        for choice in choices:
            self.model_box.addItem(choice.label, choice)
            self.model_box.setItemData(self.model_box.count() - 1, choice.weights, Qt.ItemDataRole.ToolTipRole)
        if not choices:
            self.model_box.addItem("(no trained model yet: train first; the Python script needs none)", None)
        self.model_box.setCurrentIndex(_index_of(choices, chosen))
        self.format_box = QComboBox(self)
        for fmt in DIALOG_FORMATS:
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
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.export_button.setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        self._form = form
        form.addRow("Trained model:", self.model_box)
        form.addRow("Format:", self.format_box)
        form.addRow("TFLite variant:", self.variant_box)
        form.addRow("Input/output type:", self.io_type_box)
        form.addRow("Calibration:", self.samples_spin)
        form.addRow("Write to:", path_row)
        form.addRow(self.note)
        form.addRow(buttons)
        self.format_box.currentIndexChanged.connect(self._on_format_changed)
        self.model_box.currentIndexChanged.connect(self._on_format_changed)
        self.variant_box.currentIndexChanged.connect(self._update_int8_rows)
        self._on_format_changed()

    @property
    def fmt(self) -> str:
        return self.format_box.currentData()

    @property
    def model_choice(self) -> ModelChoice | None:
        """The trained model chosen (None: there is none; the Python script does not use one)."""
        return self.model_box.currentData()

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
        script = self.fmt == PYTHON
        choice = self.model_choice
        folder = choice.folder if choice is not None and choice.folder is not None and not script else self._run_dir
        self.path_edit.setText(str(default_export_path(folder, self._name, self.fmt)))
        self.variant_box.setEnabled(self.fmt == "tflite")
        self.model_box.setEnabled(not script and self.model_box.count() > 1)
        self.export_button.setEnabled(script or choice is not None)
        if script:
            self.note.setText("The Python script is the project's graph and training settings as Keras code "
                              "(build_model() and a training main()); it holds no trained weights, so it is the "
                              "same whichever model is chosen above. It is checked to compile before it is written.")
        elif choice is None:
            self.note.setText("Nothing is trained yet: train the model first (Train, in the Training panel). Only "
                              "the Python script can be written without training.")
        else:
            self.note.setText("The chosen model is exported, then loaded back in its own runtime in a fresh "
                              "process and compared with Keras on the validation split; a quantised file that "
                              "loses more than 1 point of accuracy is refused. The result is shown as a table.")
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
