"""The window's background work words a fault like the CLI: a system fault plainly, a bug as one line naming the
file its traceback was written to; nothing on the terminal unless LAYERBOARD_DEBUG=1."""
from __future__ import annotations

from ui.workers.background_task import BackgroundTask


def _fail(exc):
    def call():
        raise exc
    return call


def test_a_bug_in_a_background_task_names_its_traceback_file(qtbot, tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("LAYERBOARD_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("LAYERBOARD_DEBUG", raising=False)
    task = BackgroundTask()
    with qtbot.waitSignal(task.failed, timeout=10_000) as failed:
        task.start(_fail(TypeError("bad operand")))
    message = failed.args[0]
    logs = list((tmp_path / "logs").glob("error-*.log"))
    assert "a bug in Layerboard: TypeError: bad operand" in message and len(logs) == 1 and str(logs[0]) in message
    assert "Traceback (most recent call last)" in logs[0].read_text()
    with qtbot.waitSignal(task.failed, timeout=10_000) as failed:
        task.start(_fail(FileNotFoundError(2, "No such file or directory", "/nowhere/x.json")))
    assert failed.args[0].startswith("'/nowhere/x.json' does not exist")
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
