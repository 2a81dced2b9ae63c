"""Write an artifact beside its target under a temporary name, then move it into place."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged(target: Path, suffix: str = ""):
    """Yields a temporary path in the target's folder; on success it replaces the target, else it is removed."""
    target = Path(target)
    created = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    tmp = folder / f"artifact{suffix}"
    done = False
    try:
        yield tmp
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        os.replace(tmp, target)
        done = True
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if not done:  # a failed export leaves no trace, not even the folders made for it
            for path in created:  # innermost first
                try:
                    path.rmdir()
                except OSError:
                    break
