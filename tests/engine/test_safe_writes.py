"""Nothing the user made is lost by a write: builder.files refuses what is not a regular file, writes through
symbolic links, gives the umask's permissions, and cleans up only dead writers' leftovers."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.errors import LayerboardError
from builder.files import TargetError, atomic_path, atomic_write_text, clean_leftovers


def test_a_device_is_never_replaced():
    with pytest.raises(TargetError, match="/dev/null is a character device, not a regular file"):
        atomic_write_text("/dev/null", "x")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(TargetError, match="FIFO"):
        atomic_write_text(fifo, "x")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_folder_where_a_file_is_expected_is_refused(tmp_path):
    folder = tmp_path / "out.json"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep")
    with pytest.raises(TargetError, match="is a folder"):
        atomic_write_text(folder, "x")
    with pytest.raises(TargetError, match="is a folder"):
        with atomic_path(folder) as tmp:
            tmp.write_text("x")
    assert (folder / "mine.txt").read_text() == "keep"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no staging folder left
    assert issubclass(TargetError, LayerboardError)


def test_a_folder_replaces_a_folder_and_a_file_is_not_replaced_by_one(tmp_path):
    target = tmp_path / "saved"
    target.mkdir()
    (target / "old.pb").write_text("old")
    with atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "new.pb").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.pb"]
    file = tmp_path / "file"
    file.write_text("mine")
    with pytest.raises(TargetError, match="is a file; this writes a folder"):
        with atomic_path(file) as tmp:
            tmp.mkdir()
    assert file.read_text() == "mine"


def test_writing_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real" / "p.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "p.json"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    dangling = tmp_path / "d.json"
    dangling.symlink_to(tmp_path / "real" / "d-target.json")
    atomic_write_text(dangling, "made")
    assert dangling.is_symlink() and (tmp_path / "real" / "d-target.json").read_text() == "made"


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_new_files_get_the_umask_permissions(tmp_path, mask):
    old = os.umask(mask)
    try:
        atomic_write_text(tmp_path / "a.json", "x")
        with atomic_path(tmp_path / "saved") as tmp:
            tmp.mkdir()
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "a.json").st_mode) == 0o666 & ~mask
    assert stat.S_IMODE(os.stat(tmp_path / "saved").st_mode) == 0o777 & ~mask


def test_an_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "a.json"
    path.write_text("x")
    os.chmod(path, 0o640)
    atomic_write_text(path, "y")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640 and path.read_text() == "y"


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def test_leftovers_of_killed_writers_are_cleaned_up_by_the_next_write(tmp_path):
    staging = tmp_path / ".last.keras.ab12cd_3"  # today's staging folder, left by a kill
    staging.mkdir()
    (staging / "partial.keras").write_text("half")
    old_partial = tmp_path / ".last.partial.keras"  # earlier versions' temporaries
    old_partial.write_text("half")
    old_tmp = tmp_path / ".p.json.k3j4h5g6.tmp"
    old_tmp.write_text("half")
    young = tmp_path / ".best.keras.zz99zz99"  # could be a writer that has just started
    young.mkdir()
    mine = tmp_path / ".config"  # the user's own hidden files are never touched
    mine.write_text("keep")
    for path in (staging, old_partial, old_tmp, mine):
        _age(path, 3600)
    atomic_write_text(tmp_path / "checkpoint.json", "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".best.keras.zz99zz99", ".config", "checkpoint.json"]


def test_a_live_writers_staging_folder_is_left_alone(tmp_path):
    """A writer in another process holds its staging folder's lock: however old, it is not removed."""
    script = (
        "import sys, time\n"
        "from builder.files import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n"
        "    tmp.write_text('slow')\n"
        "    print('writing', flush=True)\n"
        "    sys.stdin.readline()\n"
    )
    target = tmp_path / "model.keras"
    child = subprocess.Popen([sys.executable, "-c", script, str(target)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert child.stdout.readline().strip() == "writing"
        staging = next(tmp_path.glob(".model.keras.*"))
        _age(staging, 3600)
        assert clean_leftovers(tmp_path) == [] and staging.exists()
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.wait(timeout=60) == 0
    finally:
        child.kill()
    assert target.read_text() == "slow" and not staging.exists()


def test_a_folder_caught_half_replaced_is_put_back(tmp_path):
    """A kill after the old folder moved aside and before the new one moved in: the old one comes back."""
    staging = tmp_path / ".saved.q1w2e3r4"
    (staging / "old").mkdir(parents=True)
    (staging / "old" / "saved_model.pb").write_text("the user's")
    _age(staging, 3600)
    clean_leftovers(tmp_path)
    assert (tmp_path / "saved" / "saved_model.pb").read_text() == "the user's" and not staging.exists()
