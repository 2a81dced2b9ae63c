"""File ▸ New from Template (and the start of the app): the template gallery, a grid of cards to start a project from.

Each card shows a picture of the template's graph (drawn by the canvas, ui/canvas/graph_thumbnail.py), its title,
what it teaches, its task, dataset and architecture, and the numbers `bench/templates.py` measured (parameters, the
metric it reaches, training time) from `builder.project.list_templates`; a template not measured yet says so (its
parameter count is then counted by the engine once Keras has loaded, `set_engine_ready`). A row of task buttons and a
search field narrow the cards. Double-click, Enter or Open emit `templateChosen(path)`; "Empty project" emits
`emptyProjectChosen`; "Show at start" is remembered in the app's settings (ui/app_settings.py).

The cards are one QListView in icon mode over a model, painted by a delegate: arrow keys move between cards,
screen readers read each card's text (AccessibleTextRole). Opening the dialog draws no picture: the pictures are
drawn one per event-loop turn afterwards, visible cards first, and kept per template file and modification time for
the next opening.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import (QAbstractListModel, QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, QSize,
                            QSortFilterProxyModel, Qt, QTimer, Signal, Slot)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPixmap, QTextLayout
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QCheckBox, QDialog, QHBoxLayout, QLabel, QLineEdit,
                               QListView, QPushButton, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QVBoxLayout,
                               QWidget)

from builder.errors import LayerboardError
from builder.project import (NOT_MEASURED, TASKS, TEMPLATES_DIR, TemplateInfo, list_templates, load_project,
                             metric_text, parameters_text, training_text)
from ui import style
from ui.app_settings import gallery_at_start, set_gallery_at_start
from ui.canvas.graph_thumbnail import graph_picture
from ui.panels.model_summary import readable

log = logging.getLogger(__name__)

CARD = QSize(272, 304)  # one card, picture and text
PICTURE = QSize(256, 150)
PADDING = 8
ALL_TASKS = "all"
INFO_ROLE = Qt.ItemDataRole.UserRole  # the card's TemplateInfo

# Pictures already drawn: (file, its mtime, size, dark theme, pixel ratio) -> picture. Kept for the app's life, so
# the gallery opens with its pictures the second time; a template edited on disk gets a new picture.
_pictures: dict[tuple, QPixmap] = {}


# ---- what a card says ----------------------------------------------------------------------------------------------
def task_label(task: str) -> str:
    return "All" if task == ALL_TASKS else task.capitalize()


def gallery_order(info: TemplateInfo) -> tuple:
    """Cards go by task (in TASKS' order: images first), then by title."""
    return (TASKS.index(info.task) if info.task in TASKS else len(TASKS), info.title.lower(), info.name)


def int8_text(numbers: dict) -> str:
    """What the full-int8 TFLite model reaches and its size, for the tooltip."""
    parts = []
    for key, label in (("tflite_float32_bytes", "TFLite float32"), ("tflite_int8_bytes", "TFLite int8")):
        if isinstance(numbers.get(key), int):
            parts.append(f"{label} {readable(numbers[key], 'B')}")
    value, drop = numbers.get("int8_value"), numbers.get("int8_drop")
    if isinstance(value, (int, float)):
        parts.append(f"int8 reaches {value:.3g}" + (f" (drop {drop:.3g})" if isinstance(drop, (int, float)) else ""))
    return " · ".join(parts)


# ---- the cards -----------------------------------------------------------------------------------------------------
class TemplateCards(QAbstractListModel):
    """One row per template. Pictures (DecorationRole) and, once Keras is loaded, the parameter counts the bench has
    not measured are made one per event-loop turn; `picturesDone` says when every picture is there."""

    picturesDone = Signal()

    def __init__(self, templates: list[TemplateInfo], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.templates = templates
        self._counted: dict[int, int] = {}  # row -> parameters the engine counted (no measured number)
        self._pictures: dict[int, QPixmap] = {}
        self._picture_queue: list[int] = []
        self._count_queue: list[int] = []
        self._timer = QTimer(self, singleShot=True, interval=0, timeout=self._work)
        self._announced = False  # picturesDone was emitted
        for row, info in enumerate(templates):
            cached = _pictures.get(self._picture_key(info))
            if cached is not None:
                self._pictures[row] = cached
            else:
                self._picture_queue.append(row)
        self._timer.start()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.templates)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        info = self.templates[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return info.title
        if role == Qt.ItemDataRole.DecorationRole:
            return self._pictures.get(index.row())
        if role == INFO_ROLE:
            return info
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n\n".join(p for p in (info.description, int8_text(info.numbers)) if p)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return ". ".join(p for p in (info.title, info.teaches, self.facts(index.row()), *self.numbers(index.row()))
                             if p)
        return None

    # ---- what a card says ----
    def facts(self, row: int) -> str:
        """`Image · digits · CNN`."""
        info = self.templates[row]
        return " · ".join(p for p in (task_label(info.task) if info.task else "", info.dataset, info.architecture) if p)

    def parameters(self, row: int) -> int | None:
        measured = self.templates[row].numbers.get("parameters")
        return measured if isinstance(measured, int) else self._counted.get(row)

    def numbers(self, row: int) -> list[str]:
        """The card's lines of numbers: parameters and metric, then training time; or that it is not measured."""
        numbers = self.templates[row].numbers
        first = " · ".join(p for p in (parameters_text(self.parameters(row)), metric_text(numbers)) if p)
        second = training_text(numbers) or (NOT_MEASURED.capitalize() if not metric_text(numbers) else "")
        return [line for line in (first, second) if line]

    # ---- work after the dialog is up ----
    def set_engine_ready(self) -> None:
        """Keras is loaded: count the parameters of templates the bench has not measured."""
        self._count_queue = [row for row, info in enumerate(self.templates)
                             if not isinstance(info.numbers.get("parameters"), int) and row not in self._counted]
        self._timer.start()

    def prefer(self, rows: list[int]) -> None:
        """Draw these rows' pictures next (the cards in sight)."""
        wanted = [r for r in rows if r in self._picture_queue]
        self._picture_queue = wanted + [r for r in self._picture_queue if r not in wanted]

    @property
    def busy(self) -> bool:
        """Pictures or parameter counts are still to be made."""
        return bool(self._picture_queue or self._count_queue)

    def picture(self, row: int) -> QPixmap | None:
        return self._pictures.get(row)

    @staticmethod
    def _picture_key(info: TemplateInfo) -> tuple:
        try:
            modified = info.path.stat().st_mtime_ns
        except OSError:
            modified = None
        return (str(info.path), modified, PICTURE.width(), PICTURE.height(), style.is_dark(),
                style.device_pixel_ratio())

    @Slot()
    def _work(self) -> None:
        if self._picture_queue:
            self._draw_picture(self._picture_queue.pop(0))
        elif self._count_queue:
            self._count_parameters(self._count_queue.pop(0))
        if self._picture_queue or self._count_queue:
            self._timer.start()
        if not self._picture_queue and not self._announced:
            self._announced = True
            self.picturesDone.emit()

    def _draw_picture(self, row: int) -> None:
        info = self.templates[row]
        try:
            picture = graph_picture(load_project(info.path), PICTURE.width(), PICTURE.height())
        except (LayerboardError, OSError, ValueError) as exc:  # a broken template file: its card goes without
            log.warning("gallery: no picture of %s: %s", info.path, exc)
            picture = QPixmap()
        _pictures[self._picture_key(info)] = picture
        self._pictures[row] = picture
        index = self.index(row)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def _count_parameters(self, row: int) -> None:
        from builder.model import infer_shapes  # Keras is loaded (set_engine_ready); shapes only, no FLOPs

        try:
            self._counted[row] = infer_shapes(load_project(self.templates[row].path).graph).total_params
        except (LayerboardError, OSError, ValueError) as exc:
            log.warning("gallery: cannot count the parameters of %s: %s", self.templates[row].path, exc)
            return
        index = self.index(row)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.AccessibleTextRole])


class TemplateFilter(QSortFilterProxyModel):
    """The cards of one task (or all) whose text holds every word searched for."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.task = ALL_TASKS
        self.words: list[str] = []

    def set_task(self, task: str) -> None:
        self._change(lambda: setattr(self, "task", task))

    def set_search(self, text: str) -> None:
        self._change(lambda: setattr(self, "words", text.lower().split()))

    def _change(self, apply) -> None:
        """Change what is filtered: Qt 6.10's begin/endFilterChange, else (6.7-6.9) invalidateRowsFilter."""
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            apply()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            apply()
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        info: TemplateInfo = self.sourceModel().templates[source_row]
        if self.task != ALL_TASKS and info.task != self.task:
            return False
        text = " ".join((info.name, info.title, info.teaches, info.description, info.architecture, info.dataset,
                         info.task)).lower()
        return all(word in text for word in self.words)


def wrapped(text: str, font: QFont, width: int, max_lines: int) -> list[str]:
    """`text` broken into at most `max_lines` lines of `width` pixels, the last one elided if text is left over."""
    metrics = QFontMetrics(font)
    layout = QTextLayout(text, font)
    layout.beginLayout()
    lines: list[str] = []
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        start = line.textStart()
        if len(lines) == max_lines - 1:
            lines.append(metrics.elidedText(text[start:], Qt.TextElideMode.ElideRight, width))
            break
        lines.append(text[start:start + line.textLength()].rstrip())
    layout.endLayout()
    return lines


class CardDelegate(QStyledItemDelegate):
    """Paints a card: picture, title, what it teaches, task · dataset · architecture, numbers."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return CARD

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        source = index.model().mapToSource(index) if isinstance(index.model(), QSortFilterProxyModel) else index
        cards: TemplateCards = source.model()
        row = source.row()
        info: TemplateInfo = cards.templates[row]
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        rect = option.rect.adjusted(2, 2, -2, -2)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        border = palette.color(QPalette.ColorRole.Highlight) if selected else palette.color(QPalette.ColorRole.Mid)
        painter.setPen(border)
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(rect, 6, 6)
        if selected:
            highlight = QColor(border)
            highlight.setAlpha(60)
            painter.setBrush(highlight)
            painter.drawRoundedRect(rect, 6, 6)
            painter.setPen(border)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 5, 5)

        x, width = rect.left() + PADDING, rect.width() - 2 * PADDING
        picture_rect = QRect(x, rect.top() + PADDING, width, PICTURE.height())
        picture = cards.picture(row)
        if picture is not None and not picture.isNull():
            painter.drawPixmap(picture_rect.topLeft(), picture)
        else:
            painter.fillRect(picture_rect, style.CANVAS_BACKGROUND)
            painter.setPen(style.MUTED_TEXT)
            painter.drawText(picture_rect, Qt.AlignmentFlag.AlignCenter, "drawing…")
        y = picture_rect.bottom() + PADDING

        text_colour = palette.color(QPalette.ColorRole.Text)
        muted = style.MUTED_TEXT
        title_font = style.title_font()
        painter.setFont(title_font)
        painter.setPen(text_colour)
        metrics = QFontMetrics(title_font)
        painter.drawText(QRect(x, y, width, metrics.height()), Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(info.title, Qt.TextElideMode.ElideRight, width))
        y += metrics.height() + 2

        font = painter.font()
        font.setBold(False)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        for line in wrapped(info.teaches, font, width, 3):
            painter.drawText(QRect(x, y, width, metrics.height()), Qt.AlignmentFlag.AlignLeft, line)
            y += metrics.height()
        y = max(y, rect.bottom() - PADDING - 3 * QFontMetrics(style.small_font()).height() - 4)

        small = style.small_font()
        painter.setFont(small)
        metrics = QFontMetrics(small)
        painter.setPen(muted)
        painter.drawText(QRect(x, y, width, metrics.height()), Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(cards.facts(row), Qt.TextElideMode.ElideRight, width))
        y += metrics.height() + 4
        lines = cards.numbers(row)
        painter.setPen(muted if lines and lines[-1] == NOT_MEASURED.capitalize() and len(lines) == 1 else text_colour)
        for line in lines:
            painter.drawText(QRect(x, y, width, metrics.height()), Qt.AlignmentFlag.AlignLeft,
                             metrics.elidedText(line, Qt.TextElideMode.ElideRight, width))
            y += metrics.height()
        if option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(3, 3, -3, -3), 4, 4)
        painter.restore()


# ---- the dialog ----------------------------------------------------------------------------------------------------
class TemplateGallery(QDialog):
    """The gallery of the templates in `folder` (the shipped ones by default). `open()` it: window-modal, it does not
    block; `templateChosen(Path)` or `emptyProjectChosen()` says what the user chose."""

    templateChosen = Signal(object)  # the chosen template file (Path)
    emptyProjectChosen = Signal()

    def __init__(self, parent: QWidget | None = None, folder: Path = TEMPLATES_DIR) -> None:
        super().__init__(parent)
        started = time.perf_counter()
        self.setWindowTitle("New from Template")
        self.setObjectName("TemplateGallery")
        self._chosen = False
        self.cards = TemplateCards(sorted(list_templates(folder), key=gallery_order), self)
        self.filter = TemplateFilter(self)
        self.filter.setSourceModel(self.cards)

        self.search = QLineEdit(self, placeholderText="Search templates: title, what it teaches, architecture, dataset…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search templates")
        self.search.textChanged.connect(self._on_search)
        self.search.installEventFilter(self)
        self.count_label = QLabel(self)

        self.task_buttons: dict[str, QPushButton] = {}
        self._task_group = QButtonGroup(self)
        tasks_row = QHBoxLayout()
        tasks_row.setSpacing(4)
        for task in (ALL_TASKS, *TASKS):
            count = len(self.cards.templates) if task == ALL_TASKS else \
                sum(1 for t in self.cards.templates if t.task == task)
            button = QPushButton(f"{task_label(task)} ({count})", self, checkable=True, autoDefault=False)
            button.setEnabled(count > 0)
            button.setToolTip(f"Show only the {task} templates" if task != ALL_TASKS else "Show every template")
            button.setProperty("task", task)
            self._task_group.addButton(button)
            self.task_buttons[task] = button
            tasks_row.addWidget(button)
        tasks_row.addStretch(1)
        self.task_buttons[ALL_TASKS].setChecked(True)
        self._task_group.buttonToggled.connect(self._on_task_toggled)

        self.view = QListView(self)
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setSpacing(6)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setItemDelegate(CardDelegate(self.view))
        self.view.setModel(self.filter)
        self.view.setAccessibleName("Templates")
        self.view.activated.connect(self._on_activated)
        self.view.selectionModel().currentChanged.connect(self._on_current_changed)

        self.description = QLabel(self, wordWrap=True)
        self.description.setTextFormat(Qt.TextFormat.PlainText)
        self.description.setMinimumHeight(QFontMetrics(self.font()).height() * 3)
        self.description.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        self.show_at_start = QCheckBox("Show at start", self, checked=gallery_at_start())
        self.show_at_start.setToolTip("Show this gallery whenever Layerboard starts without a project to open")
        self.show_at_start.toggled.connect(set_gallery_at_start)
        self.empty_button = QPushButton("Empty project", self, autoDefault=False, clicked=self._on_empty)
        self.cancel_button = QPushButton("Cancel", self, autoDefault=False, clicked=self.reject)
        self.open_button = QPushButton("Open", self, default=True, clicked=self.open_current)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        bottom = QHBoxLayout()
        bottom.addWidget(self.show_at_start)
        bottom.addStretch(1)
        for button in (self.empty_button, self.cancel_button, self.open_button):
            bottom.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(tasks_row)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.description)
        layout.addLayout(bottom)

        columns = 4
        self.resize(columns * (CARD.width() + 2 * self.view.spacing()) + 60, 2 * CARD.height() + 240)
        self._after_filter()
        self.view.setFocus()
        self.opening_seconds = time.perf_counter() - started
        log.info("gallery of %d templates made in %.3f s", len(self.cards.templates), self.opening_seconds)

    # ---- what is chosen ----
    def current_template(self) -> TemplateInfo | None:
        index = self.view.currentIndex()
        return index.data(INFO_ROLE) if index.isValid() else None

    def visible_templates(self) -> list[TemplateInfo]:
        """The cards shown now, in order."""
        return [self.filter.index(r, 0).data(INFO_ROLE) for r in range(self.filter.rowCount())]

    def card_rect(self, name: str) -> QRect:
        """Where the card of template `name` is in the view's viewport, scrolled into sight (empty when it is
        filtered out)."""
        for row in range(self.filter.rowCount()):
            index = self.filter.index(row, 0)
            if index.data(INFO_ROLE).name == name:
                self.view.scrollTo(index)
                return self.view.visualRect(index)
        return QRect()

    @Slot()
    def open_current(self) -> None:
        info = self.current_template()
        if info is None or self._chosen:  # chosen already: a second Enter or click while it closes adds nothing
            return
        self._chosen = True
        self.accept()
        self.templateChosen.emit(info.path)

    @Slot()
    def set_engine_ready(self) -> None:
        self.cards.set_engine_ready()

    # ---- reactions ----
    @Slot(QModelIndex)
    def _on_activated(self, index: QModelIndex) -> None:
        self.view.setCurrentIndex(index)
        self.open_current()

    @Slot()
    def _on_empty(self) -> None:
        self._chosen = True
        self.accept()
        self.emptyProjectChosen.emit()

    @Slot(str)
    def _on_search(self, text: str) -> None:
        self.filter.set_search(text)
        self._after_filter()

    @Slot(object, bool)
    def _on_task_toggled(self, button, checked: bool) -> None:
        if checked:
            self.filter.set_task(button.property("task"))
            self._after_filter()

    def _after_filter(self) -> None:
        shown, total = self.filter.rowCount(), len(self.cards.templates)
        self.count_label.setText(f"{shown} of {total} templates" if shown != total else f"{total} templates")
        if shown and not self.view.currentIndex().isValid():
            self.view.setCurrentIndex(self.filter.index(0, 0))
        self.open_button.setEnabled(shown > 0)
        self._show_description()
        self.cards.prefer([self.filter.mapToSource(self.filter.index(r, 0)).row() for r in range(shown)])

    @Slot(QModelIndex, QModelIndex)
    def _on_current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_description()

    def _show_description(self) -> None:
        info = self.current_template()
        self.description.setText(info.description if info is not None else
                                 "No template matches: clear the search or choose another task.")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress and \
                event.key() in (Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            self.view.setFocus()  # from the search field down into the cards
            return True
        return super().eventFilter(watched, event)
