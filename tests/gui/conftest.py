"""GUI test fixtures: offscreen Qt, a main window with Keras loaded, and a check that no QThread outlives a test."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest
from PySide6.QtCore import QEvent, QThread
from PySide6.QtWidgets import QApplication, QMessageBox

ENGINE_TIMEOUT_MS = 90_000  # the first `import keras` of the session: ~7 s here, more on a busy CI box

# The offscreen platform plugin says "This plugin does not support propagateSizeHints()" (or raise(), or
# grabbing the keyboard: a floating dock, a popup menu) when a window asks for those; it is the plugin
# describing itself, not a fault of ours, and it never appears on a real display.
OFFSCREEN_NOTE = "This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOTE))


@pytest.fixture(autouse=True)
def app_settings_folder(tmp_path):
    """Every GUI test remembers its preferences (theme, dock layout, recent files) in its own folder, never the
    user's real ~/.config/Layerboard; yields that folder."""
    from PySide6.QtCore import QSettings

    folder = tmp_path / "settings"
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture(autouse=True)
def no_thread_left(monkeypatch):
    """Fail a test that leaves a QThread running (napari keeps the same guard); yields started threads' names."""
    started: list[QThread] = []
    names: list[str] = []
    original = QThread.start

    def recording_start(self, *args, **kwargs):
        started.append(self)
        names.append(self.objectName())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", recording_start)
    yield names
    running = []
    for thread in started:
        try:
            if thread.isRunning():
                running.append(thread.objectName() or repr(thread))
        except RuntimeError:  # the C++ object is gone: deleted after it finished
            pass
    assert not running, f"QThreads still running after the test: {running}"


@pytest.fixture(autouse=True)
def no_process_left():
    """Fail a test that leaves a child process running (the training child ends with its window)."""
    import multiprocessing

    yield
    left = [p for p in multiprocessing.active_children() if p.is_alive()]
    for process in left:
        process.kill()
    assert not left, f"child processes still running after the test: {[p.name for p in left]}"


def close_window(window) -> None:
    """Close without the unsaved-changes question; closing ends the window's threads. The window is then deleted
    at once: left to the garbage collector, its plots were torn down during a later test, where Qt still asked a
    half-deleted pyqtgraph label for its size hint."""
    for box in window.findChildren(QMessageBox):
        box.close()
    window.document.undo_stack.setClean()
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def window(qtbot):
    """The main window as the app opens it (digits_cnn template), shown, before Keras is loaded."""
    from ui.main_window import MainWindow

    win = MainWindow()
    # Not qtbot.addWidget: it closes widgets before fixtures end, and an edited document would
    # then ask whether to save. close_window answers that and ends the window's threads.
    win.show()
    qtbot.waitExposed(win)
    yield win
    close_window(win)


@pytest.fixture
def ready_window(window, qtbot):
    """The main window once the engine has loaded and the first shapes are drawn. Runs go where the engine puts
    them: beside a saved project, or for an unsaved one in the per-user data folder (a temporary folder in tests)."""
    with qtbot.waitSignal(window.document.shapes.reportChanged, timeout=ENGINE_TIMEOUT_MS):
        window.start_engine()
    return window

