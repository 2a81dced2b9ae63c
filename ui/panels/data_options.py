"""The data panel's form for a dataset's options: a CSV's target and feature columns, an array file's x and y,
an image folder's size and colours, IMDB's vocabulary. It edits nothing itself: `optionsEdited` carries the
whole new `dataset.options`, which the panel sets through an undoable command."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QHBoxLayout, QListWidget, QListWidgetItem, QSpinBox, QWidget,
)

MISSING = ("error", "drop", "mean")
TASKS = ("auto", "classification", "regression")
COLOR_MODES = ("rgb", "grayscale", "rgba")


def _combo(parent: QWidget, items: list[tuple[str, Any]]) -> QComboBox:
    box = QComboBox(parent)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(8)
    for text, data in items:
        box.addItem(text, data)
    return box


def _select(box: QComboBox, data: Any) -> None:
    index = box.findData(data)
    box.setCurrentIndex(index if index >= 0 else 0)


class DatasetOptionsForm(QWidget):
    """One form per dataset kind, rebuilt by `show_for(ref, contents)`; empty for kinds without options."""

    optionsEdited = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._options: dict[str, Any] = {}
        self._kind = ""
        self._filling = False
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.target_box = self.features_list = self.missing_box = self.task_box = None
        self.x_box = self.y_box = self.height_box = self.width_box = self.color_box = None
        self.words_box = self.maxlen_box = None

    # ---- building ---------------------------------------------------------------------------------------------
    def show_for(self, ref, contents) -> None:
        """Fill the form from the project's DatasetRef and what its file holds (FileContents, or None unknown)."""
        self._filling = True
        try:
            self._options = dict(ref.options)
            if ref.name != self._kind or self._needs_rebuild(contents):
                self._rebuild(ref.name, contents)
            self._fill(contents)
        finally:
            self._filling = False

    def _needs_rebuild(self, contents) -> bool:
        if self._kind == "csv":
            columns = contents.columns if contents is not None else []
            return [self.target_box.itemData(i) for i in range(self.target_box.count())] != columns
        if self._kind in ("npz", "hdf5"):
            names = [a.name for a in contents.arrays] if contents is not None else []
            return [self.x_box.itemData(i) for i in range(self.x_box.count())] != names
        return False

    def _rebuild(self, kind: str, contents) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.target_box = self.features_list = self.missing_box = self.task_box = None
        self.x_box = self.y_box = self.height_box = self.width_box = self.color_box = None
        self.words_box = self.maxlen_box = None
        self._kind = kind
        if kind == "csv":
            columns = contents.columns if contents is not None else []
            self.target_box = _combo(self, [(c, c) for c in columns])
            self.target_box.setToolTip("The column the model predicts")
            self.target_box.currentIndexChanged.connect(self._on_target)
            self.features_list = QListWidget(self)
            self.features_list.setToolTip("The columns the model reads (text columns become one-hot columns)")
            self.features_list.setMaximumHeight(110)
            self.features_list.itemChanged.connect(self._on_features)
            self.missing_box = _combo(self, [("refuse", "error"), ("drop the row", "drop"),
                                             ("fill with the mean", "mean")])
            self.missing_box.setToolTip("What to do with empty, NA, nan or ? cells")
            self.missing_box.currentIndexChanged.connect(self._on_missing)
            self.form.addRow("Target", self.target_box)
            self.form.addRow("Features", self.features_list)
            self.form.addRow("Missing cells", self.missing_box)
        elif kind in ("npz", "hdf5"):
            arrays = contents.arrays if contents is not None else []
            items = [(f"{a.name}  {tuple(a.shape)}", a.name) for a in arrays]
            self.x_box = _combo(self, items)
            self.x_box.setToolTip("The array of input samples (one row per sample)")
            self.x_box.currentIndexChanged.connect(self._on_arrays)
            self.y_box = _combo(self, items)
            self.y_box.setToolTip("The array of targets: class ids, or values for regression")
            self.y_box.currentIndexChanged.connect(self._on_arrays)
            self.form.addRow("Inputs (x)", self.x_box)
            self.form.addRow("Targets (y)", self.y_box)
        elif kind == "image_folder":
            row = QHBoxLayout()
            self.height_box, self.width_box = QSpinBox(self), QSpinBox(self)
            for box, what in ((self.height_box, "height"), (self.width_box, "width")):
                box.setRange(4, 2048)
                box.setSuffix(" px")
                box.setToolTip(f"Every image is resized to this {what}")
                box.valueChanged.connect(self._on_image_size)
                row.addWidget(box)
            self.color_box = _combo(self, [(m, m) for m in COLOR_MODES])
            self.color_box.currentIndexChanged.connect(self._on_color)
            self.form.addRow("Size (h × w)", row)
            self.form.addRow("Colours", self.color_box)
        elif kind == "imdb":
            self.words_box, self.maxlen_box = QSpinBox(self), QSpinBox(self)
            self.words_box.setRange(100, 100_000)
            self.words_box.setToolTip("Keep the most frequent words (the vocabulary size)")
            self.maxlen_box.setRange(8, 5000)
            self.maxlen_box.setToolTip("Reviews are padded or cut to this many words")
            self.words_box.valueChanged.connect(self._on_imdb)
            self.maxlen_box.valueChanged.connect(self._on_imdb)
            self.form.addRow("Vocabulary", self.words_box)
            self.form.addRow("Words per review", self.maxlen_box)
        if kind in ("csv", "npz", "hdf5"):
            self.task_box = _combo(self, [(t, t) for t in TASKS])
            self.task_box.setToolTip("auto: integer targets with few values are classes, other numbers regression")
            self.task_box.currentIndexChanged.connect(self._on_task)
            self.form.addRow("Task", self.task_box)
        self.setVisible(self.form.rowCount() > 0)

    def _fill(self, contents) -> None:
        options = self._options
        if self._kind == "csv" and self.target_box.count():
            columns = [self.target_box.itemData(i) for i in range(self.target_box.count())]
            target = options.get("target", columns[-1])
            _select(self.target_box, target)
            features = options.get("features")
            self.features_list.clear()
            for column in columns:
                if column == target:
                    continue
                item = QListWidgetItem(column, self.features_list)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if features is None or column in features
                                   else Qt.CheckState.Unchecked)
        if self._kind == "csv":
            _select(self.missing_box, options.get("missing", "error"))
        if self._kind in ("npz", "hdf5"):
            _select(self.x_box, options.get("x", "x"))
            _select(self.y_box, options.get("y", "y"))
        if self._kind == "image_folder":
            size = options.get("image_size", [64, 64])
            size = [size, size] if isinstance(size, int) else list(size)
            self.height_box.setValue(int(size[0]))
            self.width_box.setValue(int(size[1]))
            _select(self.color_box, options.get("color_mode", "rgb"))
        if self._kind == "imdb":
            self.words_box.setValue(int(options.get("num_words", 10000)))
            self.maxlen_box.setValue(int(options.get("maxlen", 200)))
        if self.task_box is not None:
            _select(self.task_box, options.get("task", "auto"))

    # ---- edits --------------------------------------------------------------------------------------------------
    def _edit(self, **changes) -> None:
        if self._filling:
            return
        options = dict(self._options)
        for key, value in changes.items():
            if value is None:
                options.pop(key, None)
            else:
                options[key] = value
        if options != self._options:
            self._options = options
            self.optionsEdited.emit(options)

    @Slot(int)
    def _on_target(self, _index: int) -> None:
        target = self.target_box.currentData()
        features = self._options.get("features")
        if features is not None:  # the new target is no longer a feature; the old one is not made one
            features = [f for f in features if f != target]
        self._edit(target=target, features=features)

    @Slot(QListWidgetItem)
    def _on_features(self, _item: QListWidgetItem) -> None:
        items = [self.features_list.item(i) for i in range(self.features_list.count())]
        checked = [i.text() for i in items if i.checkState() == Qt.CheckState.Checked]
        self._edit(features=None if len(checked) == len(items) else checked)

    @Slot(int)
    def _on_missing(self, _index: int) -> None:
        value = self.missing_box.currentData()
        self._edit(missing=None if value == "error" else value)

    @Slot(int)
    def _on_task(self, _index: int) -> None:
        value = self.task_box.currentData()
        self._edit(task=None if value == "auto" else value)

    @Slot(int)
    def _on_arrays(self, _index: int) -> None:
        self._edit(x=self.x_box.currentData(), y=self.y_box.currentData())

    @Slot(int)
    def _on_image_size(self, _value: int) -> None:
        self._edit(image_size=[self.height_box.value(), self.width_box.value()])

    @Slot(int)
    def _on_color(self, _index: int) -> None:
        self._edit(color_mode=self.color_box.currentData())

    @Slot(int)
    def _on_imdb(self, _value: int) -> None:
        self._edit(num_words=self.words_box.value(), maxlen=self.maxlen_box.value())

    # ---- for tests and scripts ------------------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self._kind
