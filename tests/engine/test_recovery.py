"""Recovery files and the recent files list, in the engine: written whole, listed only when their writer is gone,
read back with the checks of a project file, broken ones skipped with a note; the recent list's order and limit."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.cli.output_paths import check_outputs
from builder.cli.recover_command import RECOVER
from builder.errors import LayerboardError, ProjectFileError
from builder.project import (MAX_RECENT, add_recent_file, clear_recent_files, list_recoveries, load_project,
                             load_template, new_recovery_path, pid_alive, read_recovery, recent_files, recovery_dir,
                             remove_recent_file, remove_recovery, restore_project, save_project, write_recovery)


def dead_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def as_written_by(path: Path, pid: int, started=None, **meta) -> Path:
    """The recovery file at `path` as if process `pid` had written it."""
    data = json.loads(path.read_text())
    data["recovery"].update(pid=pid, process_started=started, **meta)
    path.write_text(json.dumps(data))
    return path


def test_recovery_round_trip_keeps_the_project_and_its_own_path(tmp_path, user_data):
    project = load_template("digits_cnn")
    save_project(project, tmp_path / "digits.json")
    project.graph.add_node("Dense", {"units": 7}, node_id="added_after_save")
    path = write_recovery(project, new_recovery_path(project.name))
    assert path.parent == recovery_dir() == user_data / "recovery"
    assert project.path == tmp_path / "digits.json"  # writing a recovery file does not move the project
    as_written_by(path, dead_pid())

    [found] = list_recoveries().found
    assert found.path == path and found.original_path == tmp_path / "digits.json"
    assert found.node_count == len(project.graph.nodes) and found.project_name == project.name
    assert "digits.json" in found.describe() and f"{found.node_count} blocks" in found.describe()
    restored = restore_project(path)
    assert restored.project.path == tmp_path / "digits.json" and not restored.notes
    assert restored.project.graph.nodes["added_after_save"].params["units"] == 7
    assert restored.project.graph.to_dict() == project.graph.to_dict()
    assert remove_recovery(path) and not path.exists() and list_recoveries().found == []


def test_a_live_writer_hides_its_file_and_a_reused_pid_does_not(user_data):
    project = load_template("digits_cnn")
    path = write_recovery(project, new_recovery_path(project.name))
    assert list_recoveries().found == []  # this process wrote it: an open window's autosave
    assert [r.path for r in list_recoveries(include_live=True).found] == [path]
    assert pid_alive(os.getpid()) and not pid_alive(dead_pid()) and not pid_alive(0) and not pid_alive(-3)
    if sys.platform.startswith("linux"):
        as_written_by(path, os.getpid(), started=1)  # our pid, but a process that started at another time
        assert [r.path for r in list_recoveries().found] == [path]


def test_a_killed_child_that_was_not_reaped_counts_as_gone():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert pid_alive(child.pid)
        child.kill()
        deadline = time.monotonic() + 5
        while pid_alive(child.pid) and time.monotonic() < deadline:
            time.sleep(0.01)  # a zombie until reaped, which is not alive
        assert not pid_alive(child.pid)
    finally:
        child.wait()


def test_a_kill_in_the_middle_of_a_write_keeps_the_previous_file_whole(user_data):
    project = load_template("digits_cnn")
    path = write_recovery(project, new_recovery_path(project.name))
    before = path.read_text()
    script = ("import sys; from builder.project import load_template, write_recovery; "
              "p = load_template('digits_cnn'); p.graph.add_node('Dense', {'units': 3}, node_id='never_written'); "
              "write_recovery(p, sys.argv[1])")
    env = {**os.environ, "LAYERBOARD_KILL_AT": f"before-rename {path.name}"}  # builder.files.kill_point
    child = subprocess.run([sys.executable, "-c", script, str(path)], env=env, cwd=Path(__file__).parents[2])
    assert child.returncode == -9  # killed with the new content staged beside the file
    assert path.read_text() == before
    assert [r.path for r in list_recoveries(include_live=True).found] == [path] and not list_recoveries().skipped


def test_broken_and_hostile_files_are_skipped_with_a_note(tmp_path, user_data):
    project = load_template("digits_cnn")
    good = as_written_by(write_recovery(project, new_recovery_path("good")), dead_pid())
    folder = recovery_dir()
    text = good.read_text()
    (folder / "truncated.json").write_text(text[: len(text) // 2])  # a kill mid-write without the atomic write
    (folder / "not_a_recovery.json").write_text(json.dumps(json.loads(text) | {"recovery": None}))
    (folder / "bad_pid.json").write_text(json.dumps(json.loads(text) | {"recovery": {"pid": "1", "saved_at": 1}}))
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    outside = tmp_path / "outside.json"
    outside.write_text(text)
    (folder / "link.json").symlink_to(outside)  # a link leading out of the folder is never followed
    (folder / ".good.json.abcd1234").mkdir()  # an atomic write's staging folder left by a kill: not listed
    (folder / "notes.txt").write_text("not a recovery file")

    scan = list_recoveries()
    assert [r.path for r in scan.found] == [good]
    skipped = "\n".join(scan.skipped)
    for name in ("truncated.json", "not_a_recovery.json", "bad_pid.json", "deep.json", "binary.json", "link.json"):
        assert name in skipped, name
    assert "malformed JSON" in skipped and "recovery.pid" in skipped
    assert not remove_recovery(outside) and outside.exists()  # only files in the recovery folder are removed
    with pytest.raises(ProjectFileError):
        read_recovery(folder / "truncated.json")


def test_an_original_path_that_is_not_safe_to_write_comes_back_unsaved(tmp_path, user_data):
    project = load_template("digits_cnn")
    saved = tmp_path / "digits.json"
    save_project(project, saved)
    path = write_recovery(project, new_recovery_path(project.name))
    for original, words in ((str(tmp_path / ".bashrc"), "not the absolute path of a .json"),
                            ("relative.json", "not the absolute path"),
                            (str(tmp_path / "gone" / "p.json"), "folder no longer exists")):
        as_written_by(path, dead_pid(), original_path=original)
        restored = restore_project(path)
        assert restored.project.path is None and words in restored.notes[0], original
    as_written_by(path, dead_pid(), original_path=str(saved), saved_at=1_000_000.0)  # the file is newer
    restored = restore_project(path)
    assert restored.project.path is None and "changed after this autosave" in restored.notes[0]


def test_recent_files_most_recent_first_once_each_at_most_ten(tmp_path, user_data):
    assert recent_files() == []
    paths = [tmp_path / f"p{i}.json" for i in range(MAX_RECENT + 3)]
    for p in paths:
        add_recent_file(p)
    assert recent_files() == list(reversed(paths))[:MAX_RECENT]
    add_recent_file(tmp_path / "sub" / ".." / "p5.json")  # the same file by another spelling moves to the top
    assert recent_files()[0] == paths[5] and recent_files().count(paths[5]) == 1
    assert len(recent_files()) == MAX_RECENT
    remove_recent_file(paths[5])
    assert paths[5] not in recent_files() and len(recent_files()) == MAX_RECENT - 1
    clear_recent_files()
    assert recent_files() == []


def test_a_broken_recent_list_reads_as_empty(user_data):
    user_data.mkdir(parents=True)
    for text in ("{not json", json.dumps({"a": 1}), json.dumps(["relative.json", 3, None, "/a\u0000b.json"])):
        (user_data / "recent_projects.json").write_text(text)
        assert recent_files() == []
    (user_data / "recent_projects.json").write_text(json.dumps(["/x/a.json", "/x/a.json", "/x/b.json"]))
    assert recent_files() == [Path("/x/a.json"), Path("/x/b.json")]
    add_recent_file("/x/c.json")
    assert recent_files()[0] == Path("/x/c.json")


def run_recover(*argv: str) -> int:
    """`python main.py recover ARGV…` through the command's own parser and handler (as dispatch runs it)."""
    parser = argparse.ArgumentParser()
    RECOVER.add_arguments(parser)
    args = parser.parse_args(list(argv))
    check_outputs(args)
    return RECOVER.run(args)


def test_recover_command_lists_and_writes_out_a_recovery_file(tmp_path, user_data, capsys):
    assert run_recover() == 0 and "no recovery files" in capsys.readouterr().out
    project = load_template("digits_cnn")
    save_project(project, tmp_path / "digits.json")
    project.graph.add_node("Dense", {"units": 5}, node_id="unsaved_dense")
    path = as_written_by(write_recovery(project, new_recovery_path(project.name)), dead_pid())
    (recovery_dir() / "broken.json").write_text("{")

    assert run_recover() == 0
    out = capsys.readouterr().out
    assert path.name in out and str(tmp_path / "digits.json") in out and f"{len(project.graph.nodes)} blocks" in out
    assert "broken.json" in out and "skipped" in out
    assert run_recover("--json") == 0
    [listed] = json.loads(capsys.readouterr().out)["recoveries"]
    assert listed["file"] == str(path) and listed["nodes"] == len(project.graph.nodes) and not listed["open"]

    written = tmp_path / "recovered.json"
    assert run_recover(path.name, "-o", str(written)) == 0  # by its name in the recovery folder
    assert "unsaved_dense" in load_project(written).graph.nodes
    assert "unsaved_dense" not in load_project(tmp_path / "digits.json").graph.nodes
    with pytest.raises(LayerboardError, match="already exists"):
        run_recover(str(path), "-o", str(written))
    with pytest.raises(LayerboardError, match="malformed JSON"):
        run_recover("broken.json", "-o", str(tmp_path / "x.json"))
    assert path.exists()  # writing out keeps the recovery file
