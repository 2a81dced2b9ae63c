"""Generated data sets kept on disk, so that a process does not draw them again.

A generated set (the shapes images, MNIST-1D) is a pure function of its parameters, its fixed seed and the code
that draws it; drawing the shapes takes ~2 s in every `train`, `evaluate` or export process. Its arrays are kept
in the per-user data folder (`cache/datasets/NAME-KEY.npz`), the key a hash of the name, the parameters, the seed,
the drawing code's text and numpy's version, so any change draws afresh. The file is written atomically; a file
that cannot be read (cut short, tampered with) is drawn again and replaced, and a folder that cannot be written
only means no cache. Arrays are read without pickle.
"""
from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

from builder.errors import LayerboardError
from builder.files import atomic_path
from builder.project import user_data_dir

log = logging.getLogger(__name__)
CACHE_FOLDER = ("cache", "datasets")


def cache_dir() -> Path:
    """Where generated sets are kept: `<user data folder>/cache/datasets`."""
    return user_data_dir().joinpath(*CACHE_FOLDER)


def cache_path(name: str, parameters: dict[str, Any], code: str) -> Path:
    """The file a generated set with these parameters, drawn by this code, is kept in."""
    key = json.dumps({"name": name, "parameters": parameters, "code": hashlib.sha256(code.encode()).hexdigest(),
                      "numpy": np.__version__}, sort_keys=True, default=str)
    return cache_dir() / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"


def cached_arrays(name: str, parameters: dict[str, Any], code: str,
                  make: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays `make()` draws, read from the cache when they were drawn before with the same parameters and
    code, else drawn and kept there."""
    path = cache_path(name, parameters, code)
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {key: stored[key] for key in stored.files}
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:  # cut short or not an archive
        log.info("drawing %s again: its cached copy %s cannot be read (%s)", name, path, exc)
    arrays = make()
    try:
        with atomic_path(path, suffix=".npz") as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, **arrays)
    except (OSError, LayerboardError) as exc:  # a read-only or full disk: the set is drawn each time, as before
        log.info("could not keep %s in %s (%s)", name, path, exc)
    return arrays
