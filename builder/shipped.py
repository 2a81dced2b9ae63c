"""Where the files shipped with Layerboard live: `templates/` in a source checkout, `builder/shipped/` once installed.

The wheel carries the top-level `templates/` folder (project templates and the shipped composite blocks)
as `builder/shipped/` (see setup.py), so an installed Layerboard finds them outside the source tree.
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
INSTALLED_DIR = _PACKAGE / "shipped"
SOURCE_DIR = _PACKAGE.parent / "templates"


def shipped_dir() -> Path:
    """The folder of shipped templates (and `blocks/` inside it): the installed copy if there is one."""
    return INSTALLED_DIR if INSTALLED_DIR.is_dir() else SOURCE_DIR


TEMPLATES_DIR = shipped_dir()
SHIPPED_BLOCKS_DIR = TEMPLATES_DIR / "blocks"
