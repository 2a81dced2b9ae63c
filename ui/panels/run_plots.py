"""The training panel's live plots: loss and every metric (per batch and per epoch), the learning rate, live changes.

One pyqtgraph `GraphicsLayoutWidget` holds a plot per log key (loss first, then each metric as it first appears,
then the learning rate), their x axes linked and counted in epochs. Each plot draws
- per batch: the raw values as a light line and their moving average (EMA) as a solid one;
- per epoch: training (blue) and validation (orange) points;
- the previous run, faded, while the box "previous run" is ticked (a ghost overlay, so a new run wipes nothing);
- a dashed vertical line with a label at every live change (learning rate, patience) where it happened.

Every value is kept (`RunData`), but drawing is cheap whatever the length of the run: the per-batch curves
downsample to the plot's width ('peak' keeps spikes visible) and clip to the visible range, and the curves are
redrawn at most ten times a second by a timer, never on each signal. Hovering shows the nearest values.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ui import style, theme
from ui.panels.training_data import RunData, applied

# Line colours read on the light and the dark plot background alike.
TRAIN_COLOUR = style.TRAIN_COLOUR
VALIDATION_COLOUR = style.VALIDATION_COLOUR
RATE_COLOUR = "#845ef7"
GHOST_COLOUR = (150, 156, 168, 150)
USER_CHANGE_COLOUR = "#c2255c"
ENGINE_CHANGE_COLOUR = "#0b7285"
REDRAW_INTERVAL_MS = 120  # one plot is redrawn per tick, however fast the batches come (a redraw of all plots
# and its paint took ~20 ms on a 2-core CPU, one plot's a third of that: bench/gui_latency.py)
MAX_COLUMNS = 4
LOSS, RATE = "loss", "learning_rate"

# The drawn items of a metric's plot; "batch" ones are per batch, the others per epoch.
BATCH_ROLES = ("batch", "smoothed")
EPOCH_ROLES = ("train", "val")
GHOST_ROLES = ("ghost_smoothed", "ghost_train", "ghost_val")


def _style_plot(plot: pg.PlotItem, title: str) -> None:
    plot.setTitle(title, size="10pt")
    # no grid: its translucent lines were half the cost of painting a plot (bench/gui_latency.py), and the live
    # plots are painted several times a second
    plot.setLabel("bottom", "epoch")
    plot.setMouseEnabled(x=True, y=False)  # wheel/drag zoom and pan along the run; every plot follows
    plot.hideButtons()
    plot.setMenuEnabled(False)
    theme.style_plot(plot)


def _title(key: str) -> str:
    return {"loss": "Loss", "learning_rate": "Learning rate"}.get(key, key.replace("_", " ").capitalize())


def short_number(value: float) -> str:
    """A value for a label: 4 significant digits, scientific for very small or large numbers."""
    value = float(value)
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        mantissa, exponent = f"{value:.3e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"
    return f"{value:.4g}"


def change_label(change: dict) -> str:
    name = "lr" if change.get("name") == RATE else str(change.get("name", ""))
    value = change.get("value")
    shown = short_number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
    return f"{name} {shown}" + ("" if reason_word(change) == "user" else f" ({reason_word(change)})")


def reason_word(change: dict) -> str:
    """user, plateau (the engine's 'reduce_on_plateau (val_loss)'), or the reason as given."""
    reason = str(change.get("reason", "") or "user")
    return "plateau" if reason.startswith("reduce_on_plateau") else reason


class RateAxis(pg.AxisItem):
    """A log axis with ticks at 1, 2 and 5 of each decade (pyqtgraph's 1…9 crowd a low plot with labels)."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802, N803 (pyqtgraph's names)
        decades = range(int(np.floor(minVal)), int(np.ceil(maxVal)) + 1)
        major = [float(d) for d in decades if minVal <= d <= maxVal]
        minor = [d + np.log10(m) for d in decades for m in (2, 5) if minVal <= d + np.log10(m) <= maxVal]
        return [(1.0, major), (None, minor)]


class RunPlots(QWidget):
    """The plots of the current run (and, faded, the previous one); the panel feeds it, it draws."""

    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = RunData()
        self.previous: RunData | None = None
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.markers: dict[str, list[pg.InfiniteLine]] = {}
        self.cursors: dict[str, pg.InfiniteLine] = {}
        self._tick_step = 1
        self._epochs = 0
        self._drawn: dict[tuple[str, str], int] = {}  # how many points each curve was last given

        self.canvas = pg.GraphicsLayoutWidget(self)
        self.canvas.setBackground(QColor(style.PLOT_BACKGROUND))
        self.canvas.ci.setSpacing(4)
        self.readout = QLabel("Hover over a plot to read its values.", self)
        self.readout.setStyleSheet(style.text_style(style.PLOT_TICK_TEXT))
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.previous_box = QCheckBox("Previous run", self)
        self.previous_box.setChecked(True)
        self.previous_box.setToolTip("Show the previous run's curves, faded, under this run's")
        self.previous_box.toggled.connect(self._on_previous_toggled)

        self.header = QHBoxLayout()
        self.header.setContentsMargins(0, 0, 0, 0)
        self.header.addWidget(self.readout, 1)
        self.header.addWidget(self.previous_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self.header)
        layout.addWidget(self.canvas, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self._redraw_next)
        self._stale: set[str] = set()  # plots with batches not drawn yet
        self._last_drawn: str | None = None
        self._mouse = pg.SignalProxy(self.canvas.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)
        self.plot(LOSS)
        self.plot(RATE)
        style.on_theme_changed(self._on_theme_changed)

    # ---- plots ------------------------------------------------------------------------------
    def plot(self, key: str) -> pg.PlotItem:
        """The plot of log key `key` (made on first use): loss, a metric's name, or learning_rate."""
        if key in self.plots:
            return self.plots[key]
        plot = pg.PlotItem(axisItems={"left": RateAxis("left")} if key == RATE else None)
        _style_plot(plot, _title(key))
        if key == LOSS:  # one legend says what the colours mean in every plot
            # Bottom left: losses start high on the left, and the change markers' labels sit at the top.
            plot.addLegend(offset=(4, -4), labelTextColor=QColor(style.PLOT_TEXT), labelTextSize="8pt", verSpacing=-6,
                           brush=QColor(style.PLOT_LEGEND_FILL))
        plot.getAxis("bottom").setTickSpacing(major=self._tick_step, minor=self._tick_step)
        self.plots[key] = plot
        if key == RATE:
            plot.setLogMode(x=False, y=True)
            self._item(key, "ghost_rate", pen=pg.mkPen(GHOST_COLOUR, width=2))
            self._item(key, "rate", pen=pg.mkPen(RATE_COLOUR, width=2), symbol="o", symbolSize=5,
                       symbolBrush=RATE_COLOUR, symbolPen=RATE_COLOUR)
        else:
            ghost = pg.mkPen(GHOST_COLOUR, width=1.5)
            self._item(key, "ghost_smoothed", pen=ghost, batch=True)
            self._item(key, "ghost_train", pen=ghost, symbol="o", symbolSize=4, symbolBrush=GHOST_COLOUR,
                       symbolPen=None)
            self._item(key, "ghost_val", pen=pg.mkPen(GHOST_COLOUR, width=1.5, style=Qt.PenStyle.DashLine),
                       symbol="s", symbolSize=4, symbolBrush=GHOST_COLOUR, symbolPen=None)
            self._item(key, "batch", pen=pg.mkPen((47, 124, 246, 60), width=1), batch=True)
            self._item(key, "smoothed", pen=pg.mkPen(TRAIN_COLOUR, width=1.5), name="train, per batch (smoothed)",
                       batch=True)
            self._item(key, "train", pen=pg.mkPen(TRAIN_COLOUR, width=2), symbol="o", symbolSize=6,
                       symbolBrush=QColor(style.PLOT_BACKGROUND), symbolPen=pg.mkPen(TRAIN_COLOUR, width=2),
                       name="train, per epoch")
            self._item(key, "val", pen=pg.mkPen(VALIDATION_COLOUR, width=2), symbol="s", symbolSize=6,
                       symbolBrush=VALIDATION_COLOUR, symbolPen=VALIDATION_COLOUR, name="validation")
        cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(QColor(style.PLOT_CURSOR), width=1))
        cursor.setVisible(False)
        plot.addItem(cursor, ignoreBounds=True)
        self.cursors[key] = cursor
        if self.plots.get(LOSS) is not None and key != LOSS:
            plot.setXLink(self.plots[LOSS])
        else:
            self._apply_x_range(plot)
        self.markers[key] = []
        for change in self.data.changes:
            self._add_marker(key, change)
        self._set_ghost_visible(key, self.previous_box.isChecked())
        self._relayout()
        return plot

    def curve(self, key: str, role: str) -> pg.PlotDataItem:
        """A drawn item: role 'batch', 'smoothed', 'train', 'val' (or 'rate' for the learning rate), 'ghost_…'."""
        return self.curves[(key, role)]

    def _item(self, key: str, role: str, batch: bool = False, name: str | None = None, **look) -> pg.PlotDataItem:
        if batch:  # 'peak' keeps a bin's min and max: ~2 points a pixel column (pyqtgraph's default factor gives 10)
            look["autoDownsampleFactor"] = 1.0
        item = pg.PlotDataItem([], [], name=name if key == LOSS else None, **look)
        self.plots[key].addItem(item)
        if batch:  # after addItem, which gives the item the plot's own (off) downsampling
            item.setDownsampling(auto=True, method="peak")
            item.setClipToView(True)
        self.curves[(key, role)] = item
        return item

    def _on_theme_changed(self) -> None:
        """What the plots copied from the theme (the generic part, axes and titles, is `theme.apply_theme`'s)."""
        self.canvas.setBackground(QColor(style.PLOT_BACKGROUND))
        for (_key, role), item in self.curves.items():
            if role == "train":  # hollow points: filled with the background
                item.setSymbolBrush(QColor(style.PLOT_BACKGROUND))
        for cursor in self.cursors.values():
            cursor.setPen(pg.mkPen(QColor(style.PLOT_CURSOR), width=1))
        for markers in self.markers.values():
            for marker in markers:
                marker.label.fill = pg.mkBrush(QColor(style.PLOT_LEGEND_FILL))
                marker.label.update()

    def _relayout(self) -> None:
        """Loss first, the metrics in the order they came, the learning rate last; at most 4 a row."""
        order = [LOSS] + [k for k in self.plots if k not in (LOSS, RATE)] + ([RATE] if RATE in self.plots else [])
        layout = self.canvas.ci
        for plot in self.plots.values():
            if plot.scene() is not None:
                layout.removeItem(plot)
        for index, key in enumerate(order):
            layout.addItem(self.plots[key], row=index // MAX_COLUMNS, col=index % MAX_COLUMNS)

    def set_epochs(self, epochs: int) -> None:
        """The x range 0…epochs with a tick every 1, 2, 5, 10… epochs (at most about ten ticks)."""
        self._epochs = max(int(epochs), 0)
        self._tick_step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 10**9) if self._epochs / s <= 10)
        for plot in self.plots.values():
            plot.getAxis("bottom").setTickSpacing(major=self._tick_step, minor=self._tick_step)
        self._apply_x_range(self.plots[LOSS])

    def _apply_x_range(self, plot: pg.PlotItem) -> None:
        if self._epochs:
            plot.setXRange(0, max(self._epochs, 1), padding=0.02)
        else:
            plot.enableAutoRange(x=True)

    # ---- the run's data ----------------------------------------------------------------------
    def new_run(self, epochs: int = 0, steps: int = 0, batch_size: int = 0) -> None:
        """A run begins: the current curves become the previous run's (faded), the markers go."""
        if self.data.has_data:
            self.previous = self.data
        self.data = RunData(epochs, steps, batch_size)
        for key in self.plots:
            for marker in self.markers[key]:
                self.plots[key].removeItem(marker)
            self.markers[key] = []
        self._drawn.clear()
        if epochs:
            self.set_epochs(epochs)
        self.redraw()

    def set_shape(self, epochs: int, steps: int) -> None:
        """The run's length, known once training begins (after the model is built and the data loaded)."""
        self.data.epochs, self.data.steps = epochs, steps
        self.set_epochs(epochs)

    def add_batches(self, rows) -> None:
        self.data.add_batches(rows)
        self._schedule()

    def add_epoch(self, epoch: int, logs: dict) -> None:
        self.data.add_epoch(epoch, logs)
        if any(self._base(key) not in self.plots for key in logs if key != RATE):
            self.redraw()  # a metric seen first at an epoch's end (a val_ one): its plot is made, all drawn once
            return
        self._stale.add(RATE)  # every plot, the rate's too, one per tick
        self._schedule()

    def set_history(self, history: dict) -> None:
        self.data.set_history(history)
        self.redraw()

    def add_change(self, event: dict) -> dict:
        change = self.data.add_change(event)
        if applied(change):
            for key in self.plots:
                self._add_marker(key, change)
        self._stale.add(RATE)  # the rate's curve steps where the change happened
        self._schedule()
        return change

    def _add_marker(self, key: str, change: dict) -> None:
        if not applied(change):
            return
        colour = USER_CHANGE_COLOUR if reason_word(change) == "user" else ENGINE_CHANGE_COLOUR
        marker = pg.InfiniteLine(pos=change["position"], angle=90, movable=False,
                                 pen=pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine),
                                 label=change_label(change),
                                 labelOpts={"position": 0.92, "color": colour, "fill": QColor(style.PLOT_LEGEND_FILL),
                                            "anchors": [(0, 0), (0, 0)]})
        self.plots[key].addItem(marker, ignoreBounds=True)
        self.markers[key].append(marker)

    # ---- drawing --------------------------------------------------------------------------------
    def _schedule(self) -> None:
        """New batches: their plots are redrawn one plot per tick (a paint of one plot is a third of all of them,
        so no tick of the event loop holds the window for long), every plot within REDRAW_INTERVAL_MS x plots."""
        self._stale.update(k for k in self.plots if k != RATE)
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def _redraw_next(self) -> None:
        if any(self._base(key) not in self.plots for key in self.data.batch_keys()):
            self.redraw()  # a new metric: its plot is made, and everything drawn once
            return
        keys = list(self.plots)
        start = keys.index(self._last_drawn) + 1 if self._last_drawn in keys else 0
        order = [k for k in keys[start:] + keys[:start] if k in self._stale]  # in turn: none waits for long
        if not order:
            return
        key = self._last_drawn = order[0]
        self._stale.discard(key)
        self._draw(key)
        if self._stale:
            self._timer.start()

    @Slot()
    def redraw(self) -> None:
        """Give every curve its data (all of it: each curve downsamples and clips what it draws)."""
        self._timer.stop()
        self._stale.clear()
        data = self.data
        for key in list(data.batch_keys()) + [k for k in data.epoch_keys() if k != RATE]:
            self.plot(self._base(key))
        for key in self.plots:
            self._draw(key)
        self._draw_ghosts()

    @staticmethod
    def _base(key: str) -> str:
        return key[4:] if key.startswith("val_") else key

    def _draw(self, key: str) -> None:
        data = self.data
        if key == RATE:
            xs, ys = data.learning_rate_series()
            self._set(key, "rate", xs, ys)
            self.plots[key].setTitle(f"{_title(key)} (now {short_number(ys[-1])})" if len(ys) else _title(key))
            return
        self._set(key, "batch", *data.batch_series(key))
        self._set(key, "smoothed", *data.batch_series(key, smoothed=True))
        self._set(key, "train", *data.epoch_series(key))
        self._set(key, "val", *data.epoch_series(f"val_{key}"))

    def _draw_ghosts(self) -> None:
        previous = self.previous or RunData()
        for key in self.plots:
            if key == RATE:
                self._set(key, "ghost_rate", *previous.learning_rate_series())
                continue
            self._set(key, "ghost_smoothed", *previous.batch_series(key, smoothed=True))
            self._set(key, "ghost_train", *previous.epoch_series(key))
            self._set(key, "ghost_val", *previous.epoch_series(f"val_{key}"))

    def _set(self, key: str, role: str, xs: np.ndarray, ys: np.ndarray) -> None:
        if xs.base is not None and ys.base is not None:  # a per-batch column: skip it when nothing was added
            drawn = (len(xs), id(xs.base), id(ys.base))
            if self._drawn.get((key, role)) == drawn:
                return
            self._drawn[(key, role)] = drawn
        self.curves[(key, role)].setData(xs, ys)

    @Slot(bool)
    def _on_previous_toggled(self, shown: bool) -> None:
        for key in self.plots:
            self._set_ghost_visible(key, shown)

    def _set_ghost_visible(self, key: str, shown: bool) -> None:
        for role in (("ghost_rate",) if key == RATE else GHOST_ROLES):
            self.curves[(key, role)].setVisible(shown)

    # ---- hover -------------------------------------------------------------------------------
    def _on_mouse_moved(self, event) -> None:
        position: QPointF = event[0]
        for key, plot in self.plots.items():
            if plot.sceneBoundingRect().contains(position):
                x = plot.vb.mapSceneToView(position).x()
                for cursor in self.cursors.values():
                    cursor.setPos(x)
                    cursor.setVisible(True)
                self.readout.setText(self.readout_at(key, x))
                return
        for cursor in self.cursors.values():
            cursor.setVisible(False)

    def readout_at(self, key: str, x: float) -> str:
        """What hovering plot `key` at position `x` (in epochs) shows: the nearest batch's and epoch's values."""
        data = self.data
        parts: list[str] = []
        if key == RATE:
            xs, ys = data.learning_rate_series()
            if len(xs):
                i = _nearest(xs, x)
                parts.append(f"learning rate {short_number(ys[i])} at epoch {xs[i]:.2f}")
        else:
            xs, ys = data.batch_series(key)
            if len(xs):
                i = _nearest(xs, x)
                epochs, batches = data.batches.column("epoch"), data.batches.column("batch")
                smoothed = data.batch_series(key, smoothed=True)[1]
                parts.append(f"epoch {int(epochs[i]) + 1} batch {int(batches[i]) + 1}: {key} {short_number(ys[i])}"
                             + ("" if np.isnan(smoothed[i]) else f" (smoothed {short_number(smoothed[i])})"))
            xs, ys = data.epoch_series(key)
            if len(xs):
                i = _nearest(xs, x)
                text = f"epoch {int(xs[i])}: {key} {short_number(ys[i])}"
                val_x, val_y = data.epoch_series(f"val_{key}")
                j = np.flatnonzero(val_x == xs[i])
                if len(j):
                    text += f", val_{key} {short_number(val_y[j[0]])}"
                parts.append(text)
        if self.previous is not None and self.previous_box.isChecked():
            xs, ys = (self.previous.learning_rate_series() if key == RATE else self.previous.epoch_series(key))
            if len(xs):
                i = _nearest(xs, x)
                parts.append(f"previous run, epoch {xs[i]:.4g}: {short_number(ys[i])}")
        nearby = [c for c in data.changes if abs(c["position"] - x) <= 0.02 * max(self._epochs, 1)]
        parts += [f"change: {change_label(c)}" for c in nearby[-2:]]
        return " · ".join(parts) if parts else f"epoch {x:.2f}: no values yet"

    def save_png(self, path: str | Path) -> bool:
        """Every plot as one PNG image (what the panel shows); False if it could not be written."""
        return self.canvas.grab().save(str(path), "PNG")


def _nearest(xs: np.ndarray, x: float) -> int:
    """Index of the value of sorted `xs` nearest to x."""
    i = int(np.searchsorted(xs, x))
    if i <= 0:
        return 0
    if i >= len(xs):
        return len(xs) - 1
    return i if xs[i] - x < x - xs[i - 1] else i - 1
