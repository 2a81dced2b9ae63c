"""The one atomic write: a file (or folder) appears whole at its path or not at all."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def atomic_path(target: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces the target, else it is removed.

    Whatever the caller writes there (a text file, an HDF5 file, a .keras archive, a SavedModel folder)
    is renamed into place in one step, so a crash or a kill never leaves half a file. A failure also
    removes the folders made for the target, so a failed save leaves no trace.
    """
    target = Path(target)
    created = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    tmp = folder / f"partial{suffix}"
    done = False
    try:
        yield tmp
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)  # a folder cannot be replaced in one step: the old one goes first
        elif tmp.is_dir() and target.exists():
            target.unlink()
        os.replace(tmp, target)
        done = True
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if not done:
            for path in created:  # innermost first
                try:
                    path.rmdir()
                except OSError:
                    break


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write text (UTF-8) atomically, synced to disk before the rename."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
