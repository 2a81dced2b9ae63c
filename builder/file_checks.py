"""Checks made before reading a user's file: it is a regular file (a FIFO or a device would block or never end),
and an HDF5 file holds nothing that reads outside it (external links, external raw storage, virtual datasets).

Every path that reads a user's file goes through `require_regular_file` (or `require_regular_tree` for a
folder), and every HDF5 file is opened with `open_hdf5`. h5py is imported only when an HDF5 file is opened.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from builder.errors import LayerboardError
from builder.files import file_kind

HDF5_FIX = ("Layerboard reads only what is inside the project's folder, so HDF5 objects whose data lives in "
            "another file are refused. Copy the data into this file (in h5py: f[name] = other_file[name][()]) "
            "and use that file")


def require_regular_file(path: str | Path, what: str, error: type[LayerboardError] = LayerboardError) -> Path:
    """`path` (symbolic links followed) if it is a regular file; else `error` naming `what` and the path.

    Checked without opening the file, so a FIFO or a device is refused at once instead of blocking or
    reading for ever.
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise error(f"The {what} '{path}' does not exist; check the path.") from None
    except (OSError, ValueError) as exc:
        raise error(f"The {what} '{path}' cannot be read ({exc}).") from None
    if not stat.S_ISREG(mode):
        raise error(f"The {what} '{path}' is {file_kind(mode)}, not a regular file; Layerboard reads only ordinary "
                    "files. Give the path of a file that holds the data.")
    return path


def require_regular_tree(folder: str | Path, what: str, inside: str | Path | None = None,
                         error: type[LayerboardError] = LayerboardError) -> Path:
    """`folder` if every entry under it is a folder or a regular file (links followed), and, when `inside` is
    given, every symbolic link under it resolves inside that folder; else `error` naming the first entry that is
    not. A folder reached twice (a link back up the tree) is walked once. Costs one directory listing per
    folder, plus a stat for links and for entries that are neither files nor folders."""
    folder = Path(folder)
    base = Path(inside).resolve() if inside is not None else None
    seen: set[Path] = set()
    todo = [(folder, folder.resolve())]
    while todo:
        shown, real = todo.pop()
        if real in seen:
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(real), key=lambda e: e.name)
        except OSError as exc:
            raise error(f"The {what} '{shown}' cannot be listed ({exc}).") from None
        for entry in entries:
            name = shown / entry.name
            target = Path(entry.path)
            if entry.is_symlink():
                target = target.resolve()
                if base is not None and target != base and base not in target.parents:
                    raise error(f"'{name}' in the {what} links to '{target}', outside the project's folder "
                                f"{base}; copy the file into the folder instead of linking to it.")
            if entry.is_dir():
                todo.append((name, target))
            elif not entry.is_file():
                require_regular_file(name, f"file in the {what}", error)  # names what it is (a FIFO, a device)
    return folder


def _refuse(path: Path, what: str, name: str, problem: str, error: type[LayerboardError]):
    raise error(f"The {what} '{path}': '{name}' {problem}. {HDF5_FIX}.")


def check_hdf5_objects(handle, path: str | Path, what: str, error: type[LayerboardError] = LayerboardError) -> None:
    """Refuse external links, datasets with external raw storage and virtual datasets anywhere in an open
    HDF5 file (`handle`, an h5py.File), naming the first such object."""
    import h5py

    path = Path(str(path))
    seen: set = set()

    def walk(group, prefix: str) -> None:
        for name in group:
            full = f"{prefix}/{name}"
            link = group.get(name, getlink=True)
            _check_link(link, path, what, full, error)
            if isinstance(link, h5py.SoftLink):
                continue  # it names an object of this file, which the walk reaches by its own name
            item = group.get(name)
            if isinstance(item, h5py.Dataset):
                _check_dataset(item, path, what, full, error)
            elif isinstance(item, h5py.Group):
                key = item.id.__hash__()
                if key in seen:
                    continue
                seen.add(key)
                walk(item, full)

    walk(handle, "")


def _check_link(link, path: Path, what: str, name: str, error) -> None:
    import h5py

    if isinstance(link, h5py.ExternalLink):
        _refuse(path, what, name, f"is an external link to '{link.filename}:{link.path}'", error)


def _check_dataset(item, path: Path, what: str, name: str, error) -> None:
    if item.is_virtual:
        sources = sorted({s.file_name for s in item.virtual_sources()})
        _refuse(path, what, name, f"is a virtual dataset (its data comes from {', '.join(sources)})", error)
    if item.external:
        files = sorted({str(entry[0]) for entry in item.external})
        _refuse(path, what, name, f"stores its data in external file(s) {', '.join(files)}", error)


def check_hdf5_object(handle, key: str, path: str | Path, what: str,
                      error: type[LayerboardError] = LayerboardError) -> None:
    """Check one object of an open HDF5 file (`key`, e.g. "/train/images") the way `check_hdf5_objects` checks
    them all: every link on its way (soft links followed) and, for a dataset, where its data lives. For reading
    one dataset again and again (a lazily read dataset) at the cost of one lookup, not a walk of the file."""
    import h5py

    path = Path(str(path))
    todo, steps = [key], 0
    while todo:
        parts, done = [p for p in todo.pop().split("/") if p], ""
        group = handle
        for part in parts:
            steps += 1
            if steps > 1000:  # soft links that loop
                raise error(f"The {what} '{path}': '{key}' goes through soft links that loop; refer to the data "
                            "by its own name.")
            done = f"{done}/{part}"
            link = group.get(part, getlink=True)
            if link is None:
                return  # missing: the caller says so
            _check_link(link, path, what, done, error)
            if isinstance(link, h5py.SoftLink):
                todo.append(link.path if link.path.startswith("/") else f"{done.rsplit('/', 1)[0]}/{link.path}")
                break
            item = group.get(part)
            if isinstance(item, h5py.Dataset):
                _check_dataset(item, path, what, done, error)
            if not isinstance(item, h5py.Group):
                break
            group = item


def open_hdf5(path: str | Path, what: str, error: type[LayerboardError] = LayerboardError, only: str | None = None):
    """Open a user's HDF5 file for reading (an h5py.File, to use in `with`), refused unless it is a regular
    file whose data is all inside it (see `check_hdf5_objects`); with `only`, just that object is checked
    (`check_hdf5_object`), for a caller that reads nothing else."""
    import h5py

    path = require_regular_file(path, what, error)
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise error(f"The {what} '{path}' cannot be read as HDF5 ({exc}).") from None
    try:
        if only is None:
            check_hdf5_objects(handle, path, what, error)
        else:
            check_hdf5_object(handle, only, path, what, error)
    except BaseException:
        handle.close()
        raise
    return handle
