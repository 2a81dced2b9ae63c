"""The data panel: choose the dataset and its split, see its sizes, classes and samples, fix mismatches.

Every choice is an undoable change of the project's `dataset` section (`document.set_settings`), so undo, redo,
save and reopen all go through the project. The dataset is loaded and summarised off the GUI thread
(BackgroundTask) once Keras is ready; the checks against the model (builder.data.suggest_fixes) run on the GUI
thread from the shape report, and each mismatch's Fix pushes its block and loss changes as one undo step.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QFrame, QGroupBox, QHBoxLayout, QLabel,
    QPushButton, QScrollArea, QSizePolicy, QSpinBox, QVBoxLayout, QWidget,
)

from builder.project import DatasetRef
from ui import style
from ui.document.commands import SetParamCommand
from ui.panels.data_options import DatasetOptionsForm
from ui.panels.data_views import ClassChart, PreviewGrid
from ui.workers.background_task import BackgroundTask

RELOAD_DELAY_MS = 300  # typing a split or seed reloads once, after the typing stops
PREVIEW_SAMPLES = 12

# What a file kind is called in the list, what the file dialog asks for, and its filter (None: a folder).
FILE_CHOICES = {
    "csv": ("CSV file…", "CSV file", "CSV files (*.csv *.tsv *.txt);;All files (*)"),
    "npz": ("NumPy .npz file…", ".npz file", "NumPy archives (*.npz);;All files (*)"),
    "hdf5": ("HDF5 file…", "HDF5 file", "HDF5 files (*.h5 *.hdf5 *.he5);;All files (*)"),
    "image_folder": ("Image folder…", "image folder (one sub-folder per class)", None),
    "text_folder": ("Text folder…", "text folder (one sub-folder per class)", None),
}


@dataclass
class _Loaded:
    """What one background load found: the summary or the engine's message, and the file's columns/arrays."""

    ref: DatasetRef
    folder: Path
    summary: Any = None
    error: str | None = None
    contents: Any = None


def _load(ref: DatasetRef, folder: Path) -> _Loaded:
    """Runs on the worker thread: what the file holds (even when loading fails), then the loaded summary."""
    from builder.data import file_contents, load_dataset, summarize
    from builder.errors import LayerboardError

    found = _Loaded(ref, folder)
    try:
        found.contents = file_contents(ref, folder)
    except LayerboardError:
        pass  # the load below says what is wrong with the file
    try:
        found.summary = summarize(load_dataset(ref, folder), PREVIEW_SAMPLES)
    except LayerboardError as exc:
        found.error = str(exc)
    return found


def _section(title: str, parent: QWidget) -> tuple[QGroupBox, QVBoxLayout]:
    box = QGroupBox(title, parent)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(8, 6, 8, 8)
    layout.setSpacing(6)
    return box, layout


def _wrapping_label(parent: QWidget, text: str = "", style: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # wraps at the dock's width
    if style:
        label.setStyleSheet(style)
    return label


class DataPanel(QWidget):
    """The project's dataset: source, file, options and split (undoable), its summary, and the model checks."""

    message = Signal(str)  # a line for the status bar
    mismatchesChanged = Signal(object)  # {node id: [message, ...]}: the dataset problems of each block, for the canvas
    summaryChanged = Signal(object)  # the loaded DatasetSummary, or None while none fits the project's settings

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = None
        self.summary = None  # the DatasetSummary of the project's current dataset settings, once loaded
        self.contents = None  # FileContents of the project's data file, once read
        self.fixes: list = []  # the DatasetFix of each mismatch, as shown
        self._fix_buttons: list[QPushButton] = []
        self.mismatches: dict[str, list[str]] = {}  # node id -> its dataset problems (mismatchesChanged's last)
        self.load_error: str | None = None
        self._engine_ready = False
        self._filling = False
        self._loaded_key: tuple | None = None
        self._task = BackgroundTask(self)
        self._task.succeeded.connect(self._on_loaded)
        self._task.failed.connect(self._on_load_failed)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self._start_load)
        self._build()
        self._show_ref()

    # ---- layout -----------------------------------------------------------------------------------------------
    def _build(self) -> None:
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget(scroll)
        body.setMinimumWidth(250)
        column = QVBoxLayout(body)
        column.setContentsMargins(6, 6, 6, 6)
        column.setSpacing(8)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.scroll_area = scroll

        source, layout = _section("Dataset", body)
        self.dataset_box = QComboBox(source)
        self.dataset_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.dataset_box.setMinimumContentsLength(12)
        self._fill_dataset_box()
        self.dataset_box.activated.connect(self._on_dataset_chosen)
        self.description = _wrapping_label(source, style=style.text_style(style.MUTED_TEXT))
        file_row = QHBoxLayout()
        self.path_label = _wrapping_label(source)
        self.browse_button = QPushButton("Browse…", source)
        self.browse_button.setToolTip("Choose the file or folder inside the project's folder")
        self.browse_button.clicked.connect(self._on_browse)
        file_row.addWidget(self.path_label, 1)
        file_row.addWidget(self.browse_button)
        self.options_form = DatasetOptionsForm(source)
        self.options_form.optionsEdited.connect(self._on_options_edited)
        layout.addWidget(self.dataset_box)
        layout.addWidget(self.description)
        layout.addLayout(file_row)
        layout.addWidget(self.options_form)
        column.addWidget(source)

        split = QGroupBox("Split", body)
        form = QFormLayout(split)
        form.setContentsMargins(8, 6, 8, 8)
        self.validation_box = QDoubleSpinBox(split)
        self.validation_box.setRange(0.01, 0.9)
        self.validation_box.setSingleStep(0.05)
        self.validation_box.setToolTip("The share of all samples held out to validate after each epoch")
        self.test_box = QDoubleSpinBox(split)
        self.test_box.setRange(0.0, 0.9)
        self.test_box.setSingleStep(0.05)
        self.test_box.setToolTip("The share of all samples held out for evaluation (0: none); a dataset with its "
                                 "own test split uses that instead, unless unticked below")
        self.seed_box = QSpinBox(split)
        self.seed_box.setRange(0, 2**31 - 1)
        self.seed_box.setToolTip("The same seed splits the same way every time")
        self.named_split_box = QCheckBox("Use the dataset's own test split", split)
        self.named_split_box.setToolTip("MNIST's 10,000 test images, mnist1d's 1,000, an npz file's x_test/y_test")
        for box in (self.validation_box, self.test_box):
            box.setDecimals(2)
            box.valueChanged.connect(self._on_split_edited)
        self.seed_box.valueChanged.connect(self._on_split_edited)
        self.named_split_box.toggled.connect(self._on_split_edited)
        form.addRow("Validation", self.validation_box)
        form.addRow("Test", self.test_box)
        form.addRow("Seed", self.seed_box)
        form.addRow(self.named_split_box)
        column.addWidget(split)

        summary, layout = _section("Summary", body)
        self.status_label = _wrapping_label(summary)
        self.sizes_label = _wrapping_label(summary)
        self.class_chart = ClassChart(summary)
        self.class_chart.hide()
        layout.addWidget(self.status_label)
        layout.addWidget(self.sizes_label)
        layout.addWidget(self.class_chart)
        column.addWidget(summary)

        checks, layout = _section("Model against the data", body)
        self.checks_label = _wrapping_label(checks)
        self.fix_rows = QVBoxLayout()
        self.fix_rows.setSpacing(6)
        self.fix_all_button = QPushButton("Fix all", checks)
        self.fix_all_button.setToolTip("Apply every proposed change as one undo step")
        self.fix_all_button.clicked.connect(self._on_fix_all)
        self.fix_all_button.hide()
        layout.addWidget(self.checks_label)
        layout.addLayout(self.fix_rows)
        layout.addWidget(self.fix_all_button, 0, Qt.AlignmentFlag.AlignRight)
        column.addWidget(checks)

        samples, layout = _section("Samples", body)
        self.preview_grid = PreviewGrid(samples)
        layout.addWidget(self.preview_grid)
        column.addWidget(samples)
        column.addStretch(1)

    def _fill_dataset_box(self) -> None:
        """Built-in and generated sets, online sets, then the file kinds; data = the name. Whether an online set
        is downloaded is added once Keras is loaded (Keras says where its cache is)."""
        from builder.data import FILE_KINDS, ONLINE_SETS, SOURCES, all_dataset_names

        box = self.dataset_box
        for name, source in SOURCES.items():
            box.addItem(name if source.available else f"{name} (needs pip install {source.requires})", name)
            box.setItemData(box.count() - 1, source.description, Qt.ItemDataRole.ToolTipRole)
        box.insertSeparator(box.count())
        for name, spec in ONLINE_SETS.items():
            box.addItem(f"{name} (online, {spec.size})", name)
            box.setItemData(box.count() - 1, spec.description or f"{name} (keras.datasets)",
                            Qt.ItemDataRole.ToolTipRole)
        box.insertSeparator(box.count())
        for name in FILE_KINDS:
            text = FILE_CHOICES.get(name, (f"{name}…",))[0]
            box.addItem(text, name)
        for name in all_dataset_names():  # a source added to the engine later still shows
            if box.findData(name) < 0:
                box.addItem(name, name)

    def _mark_downloaded_sets(self) -> None:
        from builder.data import ONLINE_SETS, cache_paths

        for name, spec in ONLINE_SETS.items():
            cached = all(path.exists() for path in cache_paths(name))
            self.dataset_box.setItemText(self.dataset_box.findData(name),
                                         f"{name} ({'downloaded' if cached else 'online, ' + spec.size})")

    # ---- the window's calls -------------------------------------------------------------------------------------
    def set_document(self, document) -> None:
        self.document = document
        document.projectChanged.connect(self._on_project_changed)
        document.shapes.reportChanged.connect(self._on_report)
        self.summary, self.contents, self.load_error, self._loaded_key = None, None, None, None
        self._show_ref()
        self._show_summary()
        self._update_checks()
        if self._engine_ready:
            self._start_load()

    def set_engine_ready(self) -> None:
        self._engine_ready = True
        self._mark_downloaded_sets()
        self._show_ref()
        if self.document is not None:
            self._start_load()

    def wait(self) -> None:
        """Block until a load in progress has ended (the window is closing)."""
        self._reload_timer.stop()
        self._task.wait()

    @property
    def loading(self) -> bool:
        """A load is running or waiting to start."""
        return self._task.running or self._reload_timer.isActive()

    @property
    def load_running(self) -> bool:
        """A load is running on its thread now."""
        return self._task.running

    # ---- choosing -------------------------------------------------------------------------------------------------
    def choose_dataset(self, name: str) -> None:
        """Use a built-in, generated or online set (undoable); a file kind asks for its file (see open_file)."""
        if name in FILE_CHOICES:
            self.open_file(name)
            return
        ref = self._ref()
        if ref is None or (ref.name == name and not ref.path and not ref.options):
            return
        self.document.set_settings("dataset", text=f"Use dataset {name}", name=name, path=None, options={})

    def open_file(self, kind: str, path: str | Path | None = None) -> bool:
        """Use the user's file or folder of `kind` (asked for when `path` is None); False when none was set.

        The path is stored relative to the project's folder, and only a file inside it is taken (the engine reads
        nothing outside a project's folder): for one elsewhere the panel says to copy it beside the project."""
        if self.document is None:
            return False
        if self.document.path is None:
            return self._refuse("Save the project first (File ▸ Save As…): a data file is stored relative to the "
                                "project's folder, so the project needs one. Save it in the folder that holds the "
                                "data, or copy the data beside it.")
        _, what, file_filter = FILE_CHOICES[kind]
        folder = self.document.project.folder().resolve()
        if path is None:
            if file_filter is None:
                path = QFileDialog.getExistingDirectory(self, f"Choose the {what}", str(folder))
            else:
                path = QFileDialog.getOpenFileName(self, f"Choose the {what}", str(folder), file_filter)[0]
            if not path:
                self._show_ref()  # the list goes back to the project's dataset
                return False
        chosen = Path(path).resolve()
        try:
            relative = chosen.relative_to(folder).as_posix()
        except ValueError:
            return self._refuse(f"'{chosen}' is outside the project's folder {folder}; a project reads only files "
                                f"inside its own folder. Copy the {what} into {folder} (beside "
                                f"{self.document.path.name}) and choose it there.")
        if (file_filter is None and not chosen.is_dir()) or (file_filter is not None and not chosen.is_file()):
            kind_of_path = "folder" if file_filter is None else "file"
            return self._refuse(f"'{chosen}' is not a {kind_of_path}; choose the {what}.")
        options = self._first_options(kind, relative, folder)
        self.document.set_settings("dataset", text=f"Use {what} {relative}", name=kind, path=relative,
                                   options=options)
        return True

    def _first_options(self, kind: str, relative: str, folder: Path) -> dict:
        """Options for a newly chosen file: x and y picked for an array file whose arrays are not called so."""
        if kind not in ("npz", "hdf5"):
            return {}
        from builder.data import file_contents, guess_array_options
        from builder.errors import LayerboardError

        try:
            return guess_array_options(file_contents(DatasetRef(name=kind, path=relative), folder).arrays)
        except LayerboardError:
            return {}  # the load says what is wrong with the file

    def _say(self, text: str, style: str = "") -> None:
        """The summary's first line: loading, the loaded file's description, or what went wrong."""
        self.status_label.setText(text)
        self.status_label.setStyleSheet(style)
        self.status_label.setVisible(bool(text))

    def _refuse(self, text: str) -> bool:
        self._show_ref()
        self._say(text, style.text_style(style.ERROR))
        self.message.emit(text)
        return False

    def set_options(self, options: dict) -> None:
        """Replace `dataset.options` (undoable, one step per edit: the unchanged name goes along so that a
        target chosen and then a feature unticked do not fold into one step, as a split's keystrokes do)."""
        self.document.set_settings("dataset", text="Change dataset options", name=self._ref().name,
                                   options=copy.deepcopy(options))

    def set_split(self, **changes) -> None:
        """Change validation_split, test_split, seed or use_named_split (undoable)."""
        ref = self._ref()
        changes = {k: v for k, v in changes.items() if getattr(ref, k) != v}
        if changes:
            self.document.set_settings("dataset", **changes)

    @Slot(int)
    def _on_dataset_chosen(self, index: int) -> None:
        name = self.dataset_box.itemData(index)
        if name is not None:
            self.choose_dataset(name)

    @Slot()
    def _on_browse(self) -> None:
        ref = self._ref()
        if ref is not None and ref.name in FILE_CHOICES:
            self.open_file(ref.name)

    @Slot(dict)
    def _on_options_edited(self, options: dict) -> None:
        self.set_options(options)

    @Slot()
    def _on_split_edited(self) -> None:
        if self._filling or self.document is None:
            return
        self.set_split(validation_split=round(self.validation_box.value(), 4),
                       test_split=round(self.test_box.value(), 4), seed=self.seed_box.value(),
                       use_named_split=self.named_split_box.isChecked())

    # ---- following the project ---------------------------------------------------------------------------------
    def _ref(self) -> DatasetRef | None:
        return self.document.project.dataset if self.document is not None else None

    @Slot(str)
    def _on_project_changed(self, section: str) -> None:
        if section == "dataset":
            self._show_ref()
            if self._engine_ready:
                self._say("Loading…", style.text_style(style.MUTED_TEXT))
                self._reload_timer.start()
        elif section == "training":
            self._update_checks()

    def _show_ref(self) -> None:
        """The settings widgets from the project's DatasetRef (signals held: showing is not editing)."""
        ref = self._ref()
        self._filling = True
        try:
            enabled = ref is not None
            for widget in (self.dataset_box, self.validation_box, self.test_box, self.seed_box, self.named_split_box):
                widget.setEnabled(enabled)
            if ref is None:
                return
            index = self.dataset_box.findData(ref.name)
            if index < 0:  # a name the engine does not know: shown as it is, the load names the problem
                self.dataset_box.addItem(ref.name, ref.name)
                index = self.dataset_box.count() - 1
            self.dataset_box.setCurrentIndex(index)
            is_file = ref.name in FILE_CHOICES
            self.path_label.setVisible(is_file)
            self.browse_button.setVisible(is_file)
            self.path_label.setText(f"<b>{ref.path}</b>" if ref.path else "<i>no file chosen</i>")
            self.description.setText(self._description(ref.name))
            self.validation_box.setValue(ref.validation_split)
            self.test_box.setValue(ref.test_split)
            self.seed_box.setValue(ref.seed)
            self.named_split_box.setChecked(ref.use_named_split)
            self.options_form.show_for(ref, self.contents if self._contents_fit(ref) else None)
        finally:
            self._filling = False

    def _description(self, name: str) -> str:
        from builder.data import ONLINE_SETS, SOURCES, cache_paths

        if name in SOURCES:
            return SOURCES[name].description
        if name in ONLINE_SETS:
            spec = ONLINE_SETS[name]
            if not self._engine_ready:  # where Keras caches downloads is asked of Keras
                return spec.description or f"{name} (keras.datasets)"
            cached = all(path.exists() for path in cache_paths(name))
            where = "downloaded" if cached else (f"downloads {spec.size} from the internet on first use into "
                                                 f"{cache_paths(name)[0].parent}")
            return f"{spec.description or name + ' (keras.datasets)'} {where[0].upper()}{where[1:]}."
        if name in FILE_CHOICES:
            return f"Your own {FILE_CHOICES[name][1]}, inside the project's folder."
        return ""

    def _contents_fit(self, ref: DatasetRef) -> bool:
        return self.contents is not None and self._loaded_key is not None and self._loaded_key[:2] == (ref.name,
                                                                                                        ref.path)

    # ---- loading ------------------------------------------------------------------------------------------------
    @staticmethod
    def _key(ref: DatasetRef) -> tuple:
        return (ref.name, ref.path, repr(sorted(ref.options.items())), ref.validation_split, ref.test_split,
                ref.seed, ref.use_named_split)

    @Slot()
    def _start_load(self) -> None:
        ref = self._ref()
        if ref is None or not self._engine_ready:
            return
        if self._task.running:  # started again when this one ends
            return
        if ref.name in FILE_CHOICES and not ref.path:
            self.summary, self.load_error = None, None
            self._say(f"Choose the {FILE_CHOICES[ref.name][1]} (Browse…).", style.text_style(style.MUTED_TEXT))
            self._show_summary()
            return
        self._say("Loading…", style.text_style(style.MUTED_TEXT))
        snapshot, folder = copy.deepcopy(ref), self.document.project.folder()
        self._task.start(lambda: _load(snapshot, folder), name="dataset-load")

    @Slot(object)
    def _on_loaded(self, found: _Loaded) -> None:
        ref = self._ref()
        if ref is None or self._key(found.ref) != self._key(ref) or found.folder != self.document.project.folder():
            self._start_load()  # the settings changed meanwhile (or another project opened): load them
            return
        self._loaded_key = self._key(ref)
        self.contents, self.summary, self.load_error = found.contents, found.summary, found.error
        self._show_ref()  # the options form lists the file's columns or arrays now
        self._show_summary()
        self._update_checks()
        self.summaryChanged.emit(self.summary)
        if found.error:
            self.message.emit(f"Dataset: {found.error}")

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self.summary, self.load_error = None, message
        self._loaded_key = None
        self._show_summary()
        self._update_checks()
        self.message.emit(f"Dataset: {message}")

    def _show_summary(self) -> None:
        summary = self.summary
        if summary is None:
            self.sizes_label.setText("")
            self.class_chart.clear_chart()
            self.class_chart.hide()
            self.preview_grid.clear_preview()
            if self.load_error:
                self._say(self.load_error, style.text_style(style.ERROR))
            elif not self._engine_ready:
                self._say("The dataset loads once Keras has loaded.", style.text_style(style.MUTED_TEXT))
            return
        info = summary.info
        said = self.description.text()  # a built-in set's description is said above already
        self._say("" if info.description == said else info.description)
        shape = "(" + ", ".join(str(d) for d in info.input_shape) + ("," if len(info.input_shape) == 1 else "") + ")"
        kind = f"{info.num_classes} classes" if info.output == "classes" else "regression"
        target = f", targets {tuple(summary.target_shape)}" if summary.target_shape else ""
        lines = [f"<b>{info.train_size:,}</b> train · <b>{info.validation_size:,}</b> validation · "
                 f"<b>{info.test_size:,}</b> test",
                 f"input <b>{shape}</b> {info.dtype} · {kind}{target}"]
        if info.skipped_files:
            lines.append(f"{len(info.skipped_files)} unreadable file(s) left out")
        self.sizes_label.setText("<br>".join(lines))
        if summary.class_counts:
            self.class_chart.show_classes(info.class_names, summary.class_counts)
            self.class_chart.show()
        elif summary.histogram:
            self.class_chart.show_histogram(*summary.histogram)
            self.class_chart.show()
        else:
            self.class_chart.clear_chart()
            self.class_chart.hide()
        self.preview_grid.show_preview(summary.preview, summary.preview_kind)

    # ---- checks and fixes ---------------------------------------------------------------------------------------
    @Slot(object)
    def _on_report(self, _report) -> None:
        self._update_checks()

    def _update_checks(self) -> None:
        """The model against the loaded dataset, from the latest shape report (Keras is loaded by then)."""
        self._clear_fix_rows()
        report = self.document.shapes.report if self.document is not None else None
        if self.summary is None or report is None:
            self.fixes = []
            self.checks_label.setText("Checked once the dataset has loaded." if self.load_error is None else
                                      "Not checked: the dataset did not load.")
            self.checks_label.setStyleSheet(style.text_style(style.MUTED_TEXT))
            self.fix_all_button.hide()
            self._set_mismatches({})
            return
        from builder.data import suggest_fixes

        self.fixes = suggest_fixes(self.document.project, self.summary.info, report, self.summary.target_shape)
        if not self.fixes:
            fits = "The model fits the dataset." if report.valid else \
                "No dataset problem found in the blocks shape inference could check."
            self.checks_label.setText(f"✓ {fits}" if report.valid else fits)
            self.checks_label.setStyleSheet(style.text_style(style.SUCCESS if report.valid else style.MUTED_TEXT))
        else:
            count = len(self.fixes)
            self.checks_label.setText(f"{count} problem{'s' if count != 1 else ''} before training:")
            self.checks_label.setStyleSheet(style.text_style(style.ERROR))
        for fix in self.fixes:
            row = self._fix_row(fix)
            self.fix_rows.addWidget(row)
            row.show()  # at once: a layout shows a new child only when the event loop next runs
        self.fix_all_button.setVisible(sum(f.fixable for f in self.fixes) > 1)
        problems: dict[str, list[str]] = {}
        for fix in self.fixes:
            if fix.mismatch.node_id:
                problems.setdefault(fix.mismatch.node_id, []).append(fix.mismatch.message)
        self._set_mismatches(problems)

    def _set_mismatches(self, problems: dict[str, list[str]]) -> None:
        if problems != self.mismatches:
            self.mismatches = problems
            self.mismatchesChanged.emit(dict(problems))

    def _fix_row(self, fix) -> QWidget:
        row = QFrame(self.checks_label.parentWidget())
        row.setObjectName("mismatchRow")
        row.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(row)
        layout.setContentsMargins(6, 4, 6, 4)
        text = _wrapping_label(row, fix.mismatch.message)
        layout.addWidget(text)
        if fix.fixable:
            button = QPushButton("Fix", row)
            button.setObjectName("fixButton")
            button.setToolTip(fix.describe()[0].upper() + fix.describe()[1:] + " (one undo step)")
            button.clicked.connect(lambda _checked=False, f=fix: self.apply_fix(f))
            self._fix_buttons.append(button)
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignRight)
        else:
            hint = _wrapping_label(row, "No automatic fix: change the blocks as the message says.",
                                   style.text_style(style.MUTED_TEXT))
            layout.addWidget(hint)
        return row

    def _clear_fix_rows(self) -> None:
        self._fix_buttons = []
        while self.fix_rows.count():
            widget = self.fix_rows.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()

    def fix_buttons(self) -> list[QPushButton]:
        """The Fix button of each fixable mismatch, in the order shown."""
        return list(self._fix_buttons)

    def apply_fix(self, fix) -> None:
        """Make the fix's block and loss changes as one undo step."""
        if fix is None or not fix.fixable or self.document is None:
            return
        document = self.document
        stack = document.undo_stack
        stack.beginMacro(f"Fix: {fix.describe()}")
        try:
            for change in fix.params:
                if change.node_id in document.graph.nodes:
                    document.push(SetParamCommand(document.graph, change.node_id, change.param, change.value))
            if fix.training:
                document.set_settings("training", text="Change training loss", **fix.training)
        finally:
            stack.endMacro()
        self.message.emit(f"Fixed: {fix.describe()}.")

    @Slot()
    def _on_fix_all(self) -> None:
        from builder.data import combine_fixes

        self.apply_fix(combine_fixes(self.fixes))
