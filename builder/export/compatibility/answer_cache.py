"""The TFLite checker's answers, kept in memory and in one JSON file that every process shares, keyed by what
an answer depends on.

The file is $LAYERBOARD_CACHE_DIR/tflite_compat.json (default ~/.cache/layerboard/), written atomically and
merged with what another process wrote since it was read.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Iterable

from builder.files import atomic_write_text

CACHE_FILE = "tflite_compat.json"
CACHE_VERSION = 1


def default_cache_path() -> Path:
    folder = os.environ.get("LAYERBOARD_CACHE_DIR") or Path.home() / ".cache" / "layerboard"
    return Path(folder) / CACHE_FILE


def tf_version() -> str:
    """The installed TensorFlow's version, read without importing it."""
    from importlib import metadata

    for dist in ("tensorflow", "tensorflow-cpu", "tf-nightly"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return "none"


def cache_key(target: str, node_type: str, params: dict[str, Any], inputs: Iterable[tuple[Any, str]],
              ports: Iterable[int] = (), version: str | None = None) -> str:
    """What a block's answer depends on: target, block type, parameters, input shapes and dtypes, ports and
    TensorFlow version, as one string."""
    shapes = [[list(s), str(d)] for s, d in inputs]
    return json.dumps([target, node_type, params, shapes, list(ports), version or tf_version()],
                      sort_keys=True, default=str, separators=(",", ":"))


class AnswerCache:
    """Answers by cache key, read from the file on first use; safe to use from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._memory: dict[str, dict[str, Any]] | None = None
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._entries().get(key)

    def store(self, new: dict[str, dict[str, Any]]) -> None:
        """Add answers to memory and to the file (merged with what another process wrote), atomically."""
        with self._lock:
            self._entries().update(new)
            merged = {**self._read_disk(), **self._entries()}
            self._memory = merged
            try:
                atomic_write_text(self.path, json.dumps({"version": CACHE_VERSION, "entries": merged}))
            except OSError:
                pass  # a read-only home: the answers still live in memory

    def clear_memory(self) -> None:
        self._memory = None

    def _read_disk(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def _entries(self) -> dict[str, dict[str, Any]]:
        if self._memory is None:
            self._memory = self._read_disk()
        return self._memory
