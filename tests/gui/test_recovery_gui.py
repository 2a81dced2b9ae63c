"""Nothing lost: the window autosaves unsaved work to a recovery file, offers it back after a crash (also after the
app's process is killed), removes it once saved or discarded; File ▸ Open Recent lists and opens recent projects."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from builder.project import (list_recoveries, load_project, load_template, new_recovery_path, read_recovery,
                             recent_files, save_project, write_recovery)

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("recovery_child.py")


@pytest.fixture
def fast_autosave(monkeypatch):
    """Autosave every 0.2 s (set before the window is made)."""
    monkeypatch.setenv("LAYERBOARD_AUTOSAVE_S", "0.2")


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def left_by_a_crash(project) -> Path:
    """A recovery file of `project` as a process that has since died left it."""
    path = write_recovery(project, new_recovery_path(project.name))
    data = json.loads(path.read_text())
    data["recovery"].update(pid=dead_pid(), process_started=None)
    path.write_text(json.dumps(data))
    return path


def add_dense(window) -> str:
    window.edit_actions.add_node_at_view_centre("Dense")  # a palette double-click
    return window.scene.selected_node_ids()[0]


def offer_box(window) -> QMessageBox:
    box = window.recovery_actions.offer_restore()
    assert box is not None and box.isVisible() and "closed unexpectedly" in box.text()
    return box


def click(qtbot, box: QMessageBox, text: str) -> None:
    [button] = [b for b in box.buttons() if b.text() == text]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_an_edit_is_autosaved_and_saving_removes_the_recovery_file(fast_autosave, window, qtbot, tmp_path):
    actions = window.recovery_actions
    assert actions.timer.interval() == 200
    with qtbot.assertNotEmitted(actions.autosaved, wait=500):
        pass  # an unchanged project is not autosaved
    with qtbot.waitSignal(actions.autosaved, timeout=10_000) as written:
        node = add_dense(window)
    path = written.args[0]
    recovery, project = read_recovery(path)
    assert node in project.graph.nodes and recovery.pid == os.getpid() and recovery.original_path is None
    assert list_recoveries().found == []  # this window's own file is never offered while it runs
    with qtbot.assertNotEmitted(actions.autosaved, wait=500):
        pass  # nothing changed since: no rewrite

    with qtbot.waitSignal(actions.autosaved, timeout=10_000):
        window.document.set_settings("training", epochs=3)  # a settings change is work too
    assert read_recovery(path)[1].training.epochs == 3
    assert window.file_actions.save_as(tmp_path / "saved.json")
    assert not path.exists() and actions.recovery_path is None
    assert recent_files()[0] == tmp_path / "saved.json"


def test_autosave_runs_before_training_starts(window, qtbot, monkeypatch):
    actions = window.recovery_actions
    assert actions.timer.interval() == 60_000  # the default: a minute
    node = add_dense(window)
    seen = []
    # What the training process would be given: recorded instead of spawning a child that imports Keras.
    monkeypatch.setattr(window.training, "start", lambda project, epochs, **kw: seen.append(
        actions.recovery_path is not None and node in read_recovery(actions.recovery_path)[1].graph.nodes))
    window.training_panel.trainRequested.emit(1)  # what Train does (its button is enabled once Keras is loaded)
    assert seen == [True]


def test_discarding_on_close_removes_the_recovery_file(fast_autosave, qtbot):
    from ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    with qtbot.waitSignal(window.recovery_actions.autosaved, timeout=10_000) as written:
        add_dense(window)

    def answer_discard():
        box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
        click(qtbot, box, "Discard")

    QTimer.singleShot(100, answer_discard)
    assert window.close()  # the unsaved-changes question, answered Discard
    window.deleteLater()
    assert not written.args[0].exists()


def test_restore_after_a_crash_brings_back_the_unsaved_blocks(window, qtbot, tmp_path):
    saved = tmp_path / "digits.json"
    project = load_template("digits_cnn")
    save_project(project, saved)
    project.graph.add_node("Dense", {"units": 11}, node_id="after_last_save")
    recovery = left_by_a_crash(project)

    click(qtbot, offer_box(window), "Restore")
    document = window.document
    assert "after_last_save" in document.graph.nodes and document.graph.nodes["after_last_save"].params["units"] == 11
    assert document.dirty and window.isWindowModified() and document.path == saved
    assert "digits.json[*]" in window.windowTitle()
    assert recovery.exists() and read_recovery(recovery)[0].pid == os.getpid()  # kept, now this window's
    assert list_recoveries().found == []
    assert window.file_actions.save()  # Save writes the project's own file
    assert "after_last_save" in load_project(saved).graph.nodes and not recovery.exists()


def test_discard_and_later_in_the_offer(window, qtbot):
    first, second = left_by_a_crash(load_template("digits_cnn")), left_by_a_crash(load_template("shapes_cnn"))
    (first.parent / "broken.json").write_text("{\"format\": ")  # skipped with a note, the offer still comes
    box = offer_box(window)
    assert box.informativeText().count("•") == 2 and "broken.json" in box.detailedText()
    click(qtbot, box, "Later")
    assert first.exists() and second.exists()
    click(qtbot, offer_box(window), "Discard")
    assert not first.exists() and not second.exists()
    assert window.recovery_actions.offer_restore() is None


# A popup menu on the offscreen platform: the plugin says what it cannot do (never seen on a real display).
@pytest.mark.qt_log_ignore("This plugin does not support")
def test_open_recent_lists_opens_and_forgets(window, qtbot, tmp_path):
    paths = [tmp_path / f"p{i}.json" for i in range(3)]
    for path in paths:
        save_project(load_template("digits_cnn"), path)
        assert window.file_actions.open_file(path)
    menu = window.recent_files.menu
    assert menu in [a.menu() for a in window.menuBar().actions()[0].menu().actions() if a.menu()]
    menu.popup(QPoint(100, 100))
    qtbot.waitExposed(menu)
    entries = [a for a in menu.actions() if a.data()]
    assert [Path(a.data()) for a in entries] == paths[::-1]
    assert entries[0].text().startswith("&1 p2.json")
    qtbot.keyClick(menu, Qt.Key.Key_3)  # the third entry by its number: the oldest, p0.json
    qtbot.waitUntil(lambda: window.document.path == paths[0], timeout=10_000)
    assert recent_files()[0] == paths[0]

    paths[1].unlink()
    window.recent_files.fill()
    [gone] = [a for a in menu.actions() if a.data() == str(paths[1])]
    assert "(not found)" in gone.text()
    gone.trigger()
    assert paths[1] not in recent_files() and window.document.path == paths[0]
    assert any("no longer exists" in b.text() for b in window.findChildren(QMessageBox))
    [clear] = [a for a in menu.actions() if a.text() == "&Clear Recent"]
    clear.trigger()
    assert recent_files() == [] and [a.text() for a in menu.actions() if a.isEnabled() and not a.isSeparator()] == []


def test_unsaved_blocks_come_back_after_the_app_is_killed(tmp_path, user_data):
    """The app (as `python main.py PROJECT` starts it) adds blocks without saving and is killed with SIGKILL; the
    next start (as `python main.py`) offers the work back, and Restore brings the blocks."""
    saved = tmp_path / "digits.json"
    save_project(load_template("digits_cnn"), saved)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LAYERBOARD_DATA_DIR": str(user_data),
           "LAYERBOARD_AUTOSAVE_S": "1"}
    child = subprocess.Popen([sys.executable, str(CHILD), "edit", str(saved), "2"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = child.stdout.readline()  # blocks until the autosave wrote the edits (or the child died)
        assert line.startswith("edited "), line
        added = json.loads(line.split(" ", 1)[1])
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert child.returncode == -signal.SIGKILL and len(added) == 2
    assert not any(n in load_project(saved).graph.nodes for n in added)  # never saved
    assert recent_files() == [saved]  # opened from the command line: listed under File ▸ Open Recent
    [left] = list_recoveries().found
    assert left.pid == child.pid and left.original_path == saved

    started = time.monotonic()
    restored = subprocess.run([sys.executable, str(CHILD), "restore"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60)
    line = next((ln for ln in restored.stdout.splitlines() if ln.startswith("restored ")), restored.stdout)
    assert line.startswith("restored "), (line, restored.stderr[-2000:])
    state = json.loads(line.split(" ", 1)[1])
    assert set(added) <= set(state["nodes"]) and state["path"] == str(saved)
    assert state["dirty"] and state["modified"] and "digits.json" in state["title"]
    assert time.monotonic() - started < 30
