"""The library of composite blocks on disk: shipped ones in templates/blocks, the user's own folder, the loaded cache."""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from builder.blocks import catalogue
from builder.blocks.composites.definition import (
    NAME_PATTERN, PROJECT_CATEGORY, SHIPPED_CATEGORY, USER_CATEGORY, BlockDef, BlockError, parse_definition)
from builder.errors import LayerboardError, ProjectFileError
from builder import shipped
from builder.files import atomic_write_text

SHIPPED_DIR = shipped.SHIPPED_BLOCKS_DIR


# ---- where blocks live, and the cache of loaded definitions -----------------------------------
def user_dir() -> Path:
    """The user's blocks folder: $LAYERBOARD_BLOCKS_DIR, else ~/.config/layerboard/blocks."""
    env = os.environ.get("LAYERBOARD_BLOCKS_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "layerboard" / "blocks"


_cache: dict[tuple[str, str], tuple[dict[str, BlockDef], list[str]]] = {}
_pending: set[str] = set()  # names of block files being loaded (a block may use another block)
_registered: dict[str, BlockDef] = {}  # blocks that projects carry (an imported nested model), by name


def _load_all() -> tuple[dict[str, BlockDef], list[str]]:
    key = (str(SHIPPED_DIR), str(user_dir()))
    if key not in _cache:
        found: dict[str, BlockDef] = {}
        problems: list[str] = []
        _cache[key] = (found, problems)  # filled below; a lookup while loading sees what is loaded so far
        paths = [(path, category)
                 for folder, category in ((SHIPPED_DIR, SHIPPED_CATEGORY), (user_dir(), USER_CATEGORY))
                 if folder.is_dir() for path in sorted(folder.glob("*.json"))]
        _pending.update(p.stem for p, _ in paths)
        try:
            for path, category in paths:
                try:
                    defn = load_block(path, category, known=found)
                except LayerboardError as exc:
                    problems.append(str(exc))
                    continue
                found[defn.name] = defn
        finally:
            _pending.clear()
    return _cache[key]


def refresh() -> None:
    """Forget loaded definitions (after a block file was written or the folder changed)."""
    _cache.clear()


def definitions() -> dict[str, BlockDef]:
    return dict(_load_all()[0])


def load_problems() -> list[str]:
    """Block files that were skipped, each with its reason."""
    return list(_load_all()[1])


def get(name: str) -> BlockDef | None:
    """The library's block of that name, else a block a project carries (registered when it was read)."""
    return _load_all()[0].get(name) or _registered.get(name)


def register(defn: BlockDef) -> BlockDef:
    """Make a block that a project carries (its "blocks" section) known by name, for the rest of the session.

    A name is one definition: the library's blocks keep theirs, and a block registered before by another project
    must be the same (one registered from the same file is replaced); otherwise a BlockError says to rename it."""
    same = defn.to_dict()
    library = _load_all()[0].get(defn.name)
    if library is not None and library.to_dict() != same:
        raise BlockError(f"'{defn.name}' is also a block of the library ({library.path or library.category}) with "
                         "another definition; rename the project's block (its name and the nodes of that type).")
    known = _registered.get(defn.name)
    if known is not None and known.to_dict() != same and known.path is not None and known.path == defn.path:
        _registered[defn.name] = defn  # the same project file, edited (or read again after a refused load)
        return defn
    if known is not None and known.to_dict() != same:
        raise BlockError(f"'{defn.name}' is already defined differently by another project opened in this session; "
                         "rename the project's block (its name and the nodes of that type), or restart Layerboard.")
    _registered.setdefault(defn.name, defn)
    return _registered[defn.name]


def registered() -> dict[str, BlockDef]:
    """The blocks that projects carry, registered this session (not the library's)."""
    return dict(_registered)


def is_composite(block_type: str) -> bool:
    if catalogue.is_catalogue_block(block_type):
        return False
    return get(block_type) is not None or block_type in _pending


def definition(block_type: str) -> BlockDef:
    defn = get(block_type)
    if defn is None:
        raise BlockError(f"There is no composite block named '{block_type}'. "
                         f"Known blocks: {', '.join(definitions()) or 'none'}.")
    return defn


def palette() -> dict[str, list[str]]:
    """Block names by palette category ("Blocks", then "My blocks"), in name order."""
    groups: dict[str, list[str]] = {SHIPPED_CATEGORY: [], USER_CATEGORY: []}
    for name, defn in sorted(definitions().items()):
        groups[defn.category].append(name)
    return {c: names for c, names in groups.items() if names}


# ---- what the block-type queries ask --------------------------------------------------------------------
def catalogue_entry(block_type: str) -> dict[str, Any]:
    """The block as a catalogue entry, so catalogue.input_ports/output_ports/... work unchanged."""
    defn = definition(block_type)
    return {
        "category": defn.category,
        "inputs": {"ports": list(defn.inputs), "call": "single" if len(defn.inputs) == 1 else "list"},
        "outputs": [o.name for o in defn.outputs],
        "initial": {},
        "params": {},
        "primary": list(defn.params),
        "needs": "",
        "fix": "",
    }


def block_spec(block_type: str):
    """A catalogue.BlockSpec whose parameters are the block's exposed ones (no Keras import)."""
    defn = definition(block_type)
    params = [
        catalogue.ParamSpec(name=p.name, kind=p.kind, default=copy.deepcopy(p.default), choices=p.choices,
                           minimum=p.minimum, maximum=p.maximum,
                           help=p.help or f"Sets {', '.join(p.targets)} inside the block.")
        for p in defn.params.values()
    ]
    return catalogue.BlockSpec(type=block_type, category=defn.category, inputs=len(defn.inputs),
                              params=params, primary=list(defn.params))


# ---- reading and checking definitions -----------------------------------------------------------
def check_name(name: Any, *, allow_existing_user: bool = False) -> str:
    """A block name must be a CamelCase identifier that no catalogue or shipped block uses."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise BlockError(f"'{name}' is not a valid block name: use a CamelCase identifier that starts with a "
                         "capital letter and has only letters and digits, e.g. MyResidualBlock.")
    if catalogue.is_catalogue_block(name):
        raise BlockError(f"'{name}' is already a Keras layer in the catalogue; choose another name, e.g. My{name}.")
    existing = get(name)
    if existing is not None and (existing.category != USER_CATEGORY or not allow_existing_user):
        where = {SHIPPED_CATEGORY: "a shipped block", PROJECT_CATEGORY: "a block an open project carries"}.get(
            existing.category, f"your block in {existing.path}")
        raise BlockError(f"'{name}' is already {where}; choose another name.")
    return name


def load_block(path: str | Path, category: str = USER_CATEGORY, known: dict[str, BlockDef] | None = None) -> BlockDef:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectFileError(path, "", f"cannot be read ({exc}).") from None
    except json.JSONDecodeError as exc:
        raise ProjectFileError(path, f"line {exc.lineno}, column {exc.colno}", f"malformed JSON: {exc.msg}.") from None
    return definition_from_dict(data, path, category, known)




def definition_from_dict(data: Any, path: str | Path = "<block>", category: str = USER_CATEGORY,
                         known: dict[str, BlockDef] | None = None) -> BlockDef:
    """Validate a block definition; its inner nodes may be catalogue layers or composite blocks."""
    return parse_definition(data, path, category, known, is_known=_is_inner_type, known_types=_inner_types)


def _is_inner_type(block_type: str) -> bool:
    return catalogue.is_catalogue_block(block_type) or is_composite(block_type)


def _inner_types() -> list[str]:
    return catalogue.catalogue_types() + [t for t in definitions() if not catalogue.is_catalogue_block(t)]


def save_block(data: dict[str, Any], folder: str | Path | None = None, overwrite: bool = False) -> Path:
    """Write a block definition as `<folder>/<Name>.json` (atomically); default folder: user_dir()."""
    defn = definition_from_dict(data, f"<block {data.get('name')}>" if isinstance(data, dict) else "<block>")
    check_name(defn.name, allow_existing_user=True)
    folder = Path(folder) if folder is not None else user_dir()
    path = folder / f"{defn.name}.json"
    existing = get(defn.name)
    if not overwrite and (path.exists() or existing is not None):
        where = path if path.exists() else existing.path
        raise BlockError(f"A block named '{defn.name}' already exists ({where}); choose another name "
                         "or overwrite it.")
    atomic_write_text(path, json.dumps(defn.to_dict(), indent=2) + "\n")
    refresh()
    return path

