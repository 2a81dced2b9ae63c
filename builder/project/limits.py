"""How large a project file may be: bytes, nodes, nesting depth, string lengths; each refused with its limit named.

A project drawn in the window is far below every limit (the largest shipped template has a few dozen nodes);
the limits stop a file that is broken or hostile before it costs minutes or all memory. Reading is linear in
the file's size: one pass for the JSON, one walk of what it holds.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from builder.errors import ProjectFileError

MAX_PROJECT_BYTES = 100 * 1024 * 1024  # 100 MiB: a 100,000-node project is about 20 MiB
MAX_NODES = 100_000
MAX_EDGES = 400_000
MAX_DEPTH = 64  # nesting of JSON arrays and objects (a project needs about 8)
MAX_STRING = 1_000_000  # characters in one string (a description, a name, a vocabulary entry)


def check_path(path: str | Path) -> None:
    """Refuse a path Python cannot open (a NUL byte in it), naming it."""
    if "\0" in str(path):
        raise ProjectFileError(repr(str(path)), "", "the path holds a NUL byte (\\0), which no file name may hold; "
                                                    "remove it.")


def check_size(path: Path, size: int) -> None:
    if size > MAX_PROJECT_BYTES:
        raise ProjectFileError(path, "", f"the file is {size:,} bytes; a project file may hold at most "
                                         f"{MAX_PROJECT_BYTES:,} bytes ({MAX_PROJECT_BYTES // 2**20} MiB). Is it a "
                                         "project file?")


def parse_json(path: Path, text: str) -> Any:
    """The JSON in `text`, or a ProjectFileError naming the line and column, or the nesting limit."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProjectFileError(path, f"line {exc.lineno}, column {exc.colno}", f"malformed JSON: {exc.msg}.") from None
    except RecursionError:
        raise ProjectFileError(path, "", f"the JSON nests arrays or objects too deeply to read; a project file "
                                         f"nests at most {MAX_DEPTH} levels.") from None


def check_limits(path: Path, data: Any) -> None:
    """Refuse data nested deeper than MAX_DEPTH, holding a string longer than MAX_STRING, or a graph of more than
    MAX_NODES nodes or MAX_EDGES edges; the message names the place and the limit."""
    graph = data.get("graph") if isinstance(data, dict) else None
    if isinstance(graph, dict):
        for key, limit in (("nodes", MAX_NODES), ("edges", MAX_EDGES)):
            items = graph.get(key)
            if isinstance(items, list) and len(items) > limit:
                raise ProjectFileError(path, f"graph.{key}", f"{len(items):,} {key}; a project holds at most "
                                                             f"{limit:,}. Split the model, or use composite blocks.")
    problem = _first_problem(data)
    if problem is not None:
        container, key, text = problem
        keys = _path_to(data, container) + ([] if key is None else [key])
        raise ProjectFileError(path, _place(keys), text)


def _first_problem(data: Any) -> tuple[Any, Any, str] | None:
    """(the container holding it, its key or None, what is wrong) for the first value nested too deep or string
    too long."""
    stack: list[tuple[Any, int]] = [(data, 0)] if isinstance(data, (dict, list)) else []
    while stack:  # iterative: a deep file cannot exhaust Python's stack here; types compared exactly for speed
        value, depth = stack.pop()
        if depth >= MAX_DEPTH:
            return value, None, (f"nested more than {MAX_DEPTH} levels deep; a project file nests at most "
                                 f"{MAX_DEPTH} levels.")
        if type(value) is dict:
            for key in value:
                if len(key) > MAX_STRING:
                    return value, None, f"a key of {len(key):,} characters; strings hold at most {MAX_STRING:,}."
            children = value.values()
        else:
            children = value
        for child in children:
            kind = type(child)
            if kind is str:
                if len(child) > MAX_STRING:
                    key = next(k for k, c in (value.items() if type(value) is dict else enumerate(value)) if c is child)
                    return value, key, f"a string of {len(child):,} characters; strings hold at most {MAX_STRING:,}."
            elif kind is dict or kind is list:
                stack.append((child, depth + 1))
    return None


def _path_to(data: Any, target: Any) -> list:
    """The keys from `data` down to the container `target` (found by identity; the walk stops at MAX_DEPTH)."""
    stack: list[tuple[Any, list]] = [(data, [])]
    while stack:
        value, keys = stack.pop()
        if value is target:
            return keys
        if len(keys) >= MAX_DEPTH:
            continue
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in items:
            if isinstance(child, (dict, list)):
                stack.append((child, keys + [key]))
    return []


def _place(keys: list) -> str:
    """`graph.nodes[3].params.units` from the keys down to a value."""
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    text = text or "(the whole file)"
    return text if len(text) <= 80 else text[:77] + "..."
