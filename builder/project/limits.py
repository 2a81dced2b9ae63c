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
    stack: list[tuple[Any, int, tuple]] = [(data, 0, ())]
    while stack:  # iterative: a deep file cannot exhaust Python's stack here
        value, depth, where = stack.pop()
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                raise ProjectFileError(path, _place(where), f"a string of {len(value):,} characters; strings hold at "
                                                            f"most {MAX_STRING:,}.")
            continue
        if isinstance(value, dict):
            children = value.items()
        elif isinstance(value, list):
            children = enumerate(value)
        else:
            continue
        if depth >= MAX_DEPTH:
            raise ProjectFileError(path, _place(where), f"nested more than {MAX_DEPTH} levels deep; a project file "
                                                        f"nests at most {MAX_DEPTH} levels.")
        for key, child in children:
            if isinstance(key, str) and len(key) > MAX_STRING:
                raise ProjectFileError(path, _place(where), f"a key of {len(key):,} characters; strings hold at "
                                                            f"most {MAX_STRING:,}.")
            if isinstance(child, (dict, list, str)):
                stack.append((child, depth + 1, (where, key)))


def _place(where: tuple) -> str:
    """`graph.nodes[3].params.units` from the nested (parent, key) pairs of the walk."""
    keys = []
    while where:
        where, key = where
        keys.append(key)
    text = ""
    for key in reversed(keys):
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    text = text or "(the whole file)"
    return text if len(text) <= 80 else text[:77] + "..."
