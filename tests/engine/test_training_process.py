"""Training in a child process (builder.training.TrainingProcess): events, commands, a kill from outside."""
from __future__ import annotations

import os
import signal
import time

import pytest

from builder.training import TrainingProcess, training_job, training_result_from_dict, training_result_from_disk

TIMEOUT_S = 180


def events_until(process: TrainingProcess, kinds: set[str], timeout: float = TIMEOUT_S) -> list[tuple]:
    """Every event up to and including the first one whose kind is in `kinds`."""
    seen: list[tuple] = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for message in process.messages(limit=1):
            seen.append(message)
            if message[0] in kinds:
                return seen
        time.sleep(0.01)
    raise AssertionError(f"no {kinds} within {timeout} s; saw {[m[0] for m in seen]}")


def of_kind(events: list[tuple], kind: str) -> list[tuple]:
    return [e for e in events if e[0] == kind]


def collect(process: TrainingProcess, done, timeout: float = TIMEOUT_S) -> list[tuple]:
    """Events until `done(events so far)` is true."""
    seen: list[tuple] = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        seen += process.messages()
        if done(seen):
            return seen
        time.sleep(0.01)
    raise AssertionError(f"not done within {timeout} s; saw {[m[0] for m in seen]}")


@pytest.fixture
def process():
    child = TrainingProcess()
    yield child
    child.end()
    assert not child.alive


def test_a_run_reports_every_batch_and_its_result_and_the_child_serves_the_next(process, digits_project, tmp_path):
    events = events_until(process, {"ready"})
    assert events[-1][1]  # the device it trains on, e.g. "CPU"
    assert process.send("train", training_job(digits_project, tmp_path / "a", epochs=2))
    events = events_until(process, {"finished", "failed"})
    kinds = [e[0] for e in events]
    assert kinds[0] == "run_dir" and kinds[-1] == "finished", kinds
    began = next(e for e in events if e[0] == "began")
    epochs, steps = began[1], began[2]
    batches = [b for e in events if e[0] == "batches" for b in e[1]]
    assert [(b[0], b[1]) for b in batches] == [(epoch, batch) for epoch in range(epochs) for batch in range(steps)]
    assert [e[1] for e in events if e[0] == "epoch"] == [0, 1]
    result = training_result_from_dict(events[-1][1])
    assert result.epochs_run == 2 and result.model_path.is_file() and not result.stopped

    # The same child trains the next job (Keras stays loaded); a bad job fails with the engine's words.
    bad = training_job(digits_project, tmp_path / "b", epochs=0)
    process.send("train", bad)
    events = events_until(process, {"finished", "failed"})
    assert events[-1][0] == "failed" and "epochs must be a whole number" in events[-1][1]
    assert process.alive


def test_live_changes_pause_and_stop_reach_the_run(process, digits_project, tmp_path):
    digits_project.training.early_stopping = {"patience": 3}
    process.send("train", training_job(digits_project, tmp_path / "run", epochs=50))
    events_until(process, {"batches"})
    process.send("learning_rate", 0.0005)
    process.send("learning_rate", -1.0)  # the Trainer refuses it outright
    process.send("patience", 7)
    seen = collect(process, lambda events: len(of_kind(events, "setting")) >= 2 and of_kind(events, "refused"))
    assert "learning rate must be" in of_kind(seen, "refused")[0][1]
    changes = [e[1] for e in of_kind(seen, "setting")]
    assert {(c["name"], c["value"], c["reason"]) for c in changes} == {("learning_rate", 0.0005, "user"),
                                                                        ("patience", 7, "user")}
    assert all(c["step"] >= 1 for c in changes)

    process.send("pause")
    time.sleep(0.5)
    process.messages()  # what was already on its way
    time.sleep(1.0)
    assert not [m for m in process.messages() if m[0] in ("batches", "epoch")]  # held
    process.send("resume")
    events_until(process, {"batches"})
    process.send("stop")
    events = events_until(process, {"finished", "failed"})
    result = training_result_from_dict(events[-1][1])
    assert result.stopped and result.epochs_run < 50 and result.model_path.is_file()


def test_a_child_killed_from_outside_is_reported_and_its_last_checkpoint_kept(process, digits_project, tmp_path):
    run_dir = tmp_path / "run"
    process.send("train", training_job(digits_project, run_dir, epochs=500))
    events_until(process, {"epoch"})  # one epoch committed: last.keras exists
    time.sleep(0.3)
    os.kill(process.process.pid, signal.SIGKILL)
    events = events_until(process, {"gone"})
    assert events[-1] == ("gone", -signal.SIGKILL)
    assert not process.send("pause")  # its pipe is closed: sending says so instead of raising
    result = training_result_from_disk(run_dir)
    assert result is not None and result.model_path.name in ("last.keras", "best.keras") and result.epochs_run >= 1


def test_a_cut_short_run_is_evaluated_and_exported_from_its_last_checkpoint(digits_project, tmp_path):
    """A run ended from outside has no model.keras: its model is its best (else last) checkpoint."""
    from builder.training import project_model

    run_dir = tmp_path / "cut"
    run_dir.mkdir()
    assert project_model(digits_project, run_dir).path == run_dir / "model.keras"  # none: the caller says so
    (run_dir / "last.keras").write_bytes(b"")
    assert project_model(digits_project, run_dir).path == run_dir / "last.keras"
    (run_dir / "best.keras").write_bytes(b"")
    assert project_model(digits_project, run_dir).path == run_dir / "best.keras"
    (run_dir / "model.keras").write_bytes(b"")
    assert project_model(digits_project, run_dir).path == run_dir / "model.keras"
