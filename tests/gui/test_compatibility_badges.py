"""TFLite badges on canvas blocks: real conversions in the engine's worker process, off the GUI thread."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF

from builder.export import BlockCompatibility
from builder.graph import Graph
from builder.project import Project

CHECK_TIMEOUT_MS = 60_000  # one worker process: TensorFlow's import, then ~0.5 s per block
DEBOUNCE_WAIT_MS = 600  # longer than the updater's 400 ms


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("LAYERBOARD_CACHE_DIR", str(folder))
    return folder


def small_document(window):
    """Input(4) -> Dense(3) (built-in ops) and Input -> CategoryEncoding (tf.DenseBincount: select TF ops only)."""
    from ui.document import Document

    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, node_id="x", position=(0, 0))
    graph.add_node("Dense", {"units": 3}, node_id="dense", position=(-150, 120))
    graph.add_node("CategoryEncoding", {"num_tokens": 8, "output_mode": "count"}, node_id="counts",
                   position=(150, 120))
    graph.connect("x", "dense")
    graph.connect("x", "counts")
    window.set_document(Document(Project(graph=graph, name="small"), window))
    return window.document


def choose_target(window, target):
    action = next(a for a in window.compat_actions.actions() if a.data() == target)
    action.trigger()


def badges(window) -> dict:
    return {node_id: item.badge_text for node_id, item in window.scene.node_items.items()}


def test_badges_show_each_blocks_tflite_status_and_follow_edits(ready_window, qtbot, cache_dir):
    from ui.document.commands import AddNodeCommand, ConnectCommand, MoveNodesCommand, SetParamCommand

    window = ready_window
    document = small_document(window)
    assert badges(window) == {"x": None, "dense": None, "counts": None}  # off by default: nothing checked
    assert not document.compatibility.busy

    choose_target(window, "tflite")
    # the check starts once the new document's shapes are known, and runs on its own thread; the GUI goes on
    qtbot.waitUntil(lambda: document.compatibility.busy, timeout=5_000)
    # An edit while the check runs: one more check follows, with the new block in it.
    command = AddNodeCommand(document.graph, "Dense", {"units": 3}, (-150, 240))
    document.push(command)
    document.push(ConnectCommand(document.graph, "x", command.node_id))
    qtbot.waitUntil(lambda: badges(window).get(command.node_id) == "TFLite", timeout=CHECK_TIMEOUT_MS)

    assert badges(window) == {"x": None, "dense": "TFLite", "counts": "Flex", command.node_id: "TFLite"}
    counts = window.scene.node_items["counts"]
    assert counts.compatibility.status == "select_tf_ops"
    assert "select-TF-ops" in counts.toolTip() and "DenseBincount" in counts.toolTip()
    assert "(None, 3)" in window.scene.node_items["dense"].toolTip()  # the shape line is still there
    assert "TFLite:" in window.statusBar().currentMessage() and "1 need select TF ops" in \
        window.statusBar().currentMessage()
    assert (cache_dir / "tflite_compat.json").exists()

    # An edited block's badge fades until its new answer comes; the others stay as they are.
    document.push(SetParamCommand(document.graph, "dense", "units", 6))
    document.shapes.run_now()
    assert window.scene.node_items["dense"].badge_stale and not window.scene.node_items["counts"].badge_stale
    qtbot.waitUntil(lambda: not window.scene.node_items["dense"].badge_stale, timeout=CHECK_TIMEOUT_MS)
    assert badges(window)["dense"] == "TFLite" and not document.compatibility.stale
    window.grab()  # paints faded and plain badges alike
    qtbot.waitUntil(lambda: not document.compatibility.busy, timeout=CHECK_TIMEOUT_MS)
    # Moving a block changes nothing a badge depends on: no check starts.
    document.push(MoveNodesCommand(document.graph, {"dense": ((-150, 120), (-300, 200))}))
    document.shapes.run_now()
    document.compatibility.run_now()
    assert not document.compatibility.busy

    choose_target(window, None)
    assert badges(window) == {"x": None, "dense": None, "counts": None, command.node_id: None}
    assert "TFLite" not in window.scene.node_items["dense"].toolTip()
    qtbot.waitUntil(lambda: not document.compatibility.busy, timeout=CHECK_TIMEOUT_MS)
    assert not _worker_pids()  # badges off: the kept conversion process (and its TensorFlow) is gone


def test_closing_during_a_check_kills_the_worker_and_caches_nothing(ready_window, qtbot, cache_dir):
    window = ready_window
    document = small_document(window)
    window.badge_actions.set_target("tflite-int8")
    qtbot.waitUntil(lambda: bool(_worker_pids()), timeout=10_000)
    pids = _worker_pids()
    worker = document.compatibility.checker.worker.process
    start = time.monotonic()
    document.compatibility.close()
    assert time.monotonic() - start < 5  # not the whole conversion
    assert pids and not _worker_pids()  # killed, and no other one started
    assert worker.returncode is not None  # reaped by close() (a zombie would have no cmdline to find it by)
    assert document.compatibility.checker.worker.process is None
    assert not (cache_dir / "tflite_compat.json").exists()  # no "crashed" answers were kept
    assert badges(window) == {"x": None, "dense": None, "counts": None}


def test_turning_badges_off_during_a_check_ends_the_worker_after_it(ready_window, qtbot, cache_dir):
    from ui.document.commands import AddNodeCommand

    window = ready_window
    document = small_document(window)
    window.badge_actions.set_target("tflite")
    qtbot.waitUntil(lambda: document.compatibility.busy, timeout=5_000)
    document.push(AddNodeCommand(document.graph, "Dense", {"units": 2}, (0, 400)))  # asks for one more check
    document.shapes.run_now()
    qtbot.wait(DEBOUNCE_WAIT_MS)
    window.badge_actions.set_target(None)
    qtbot.waitUntil(lambda: not document.compatibility.busy, timeout=CHECK_TIMEOUT_MS)
    qtbot.wait(DEBOUNCE_WAIT_MS)  # no further check starts
    assert not document.compatibility.busy and not _worker_pids()
    assert document.compatibility.checker.worker.process is None
    assert badges(window)["dense"] is None


@pytest.mark.parametrize("status, quantized, text", [
    ("builtin", None, "TFLite"),
    ("builtin", True, "int8"),
    ("builtin", False, "no int8"),
    ("select_tf_ops", None, "Flex"),
    ("select_tf_ops", True, "Flex"),
    ("unsupported", None, "✕ TFLite"),
    ("skipped", None, None),
])
def test_badge_text_and_tooltip_per_status(qtbot, status, quantized, text):
    from PySide6.QtWidgets import QGraphicsScene, QGraphicsView

    from ui.canvas.node_item import NodeItem

    item = NodeItem("conv", "Conv2D", (0, 0))
    item.set_compatibility(BlockCompatibility("conv", "Conv2D", status, quantized, "the converter's words"))
    assert item.badge_text == text
    assert ("the converter's words" in item.toolTip()) == (text is not None)
    scene = QGraphicsScene()
    scene.addItem(item)
    view = QGraphicsView(scene)
    qtbot.addWidget(view)
    view.grab()  # paints the item with its badge
    item.set_compatibility(None)
    assert item.badge_text is None and item.toolTip() == "Conv2D 'conv'"


def _worker_pids() -> list[int]:
    """This process's TFLite conversion workers (children running builder.export.compatibility.worker), from /proc."""
    me, found = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == me and b"builder.export.compatibility.worker" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found
