"""Template discovery: the ready projects shipped in the top-level `templates/` folder (builder.shipped finds it)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from builder import shipped
from builder.errors import LayerboardError
from builder.project.record import Project
from builder.project.files import load_project

TEMPLATES_DIR = shipped.TEMPLATES_DIR


@dataclass
class TemplateInfo:
    name: str
    description: str
    path: Path


def list_templates(folder: Path = TEMPLATES_DIR) -> list[TemplateInfo]:
    found = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found.append(TemplateInfo(path.stem, data.get("description", ""), path))
    return found


def template_path(name_or_path: str, folder: Path = TEMPLATES_DIR) -> Path:
    """A template by name (`digits_cnn`) or by path (`templates/digits_cnn.json`)."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".json" and candidate.exists():
        return candidate
    path = folder / f"{Path(name_or_path).stem}.json"
    if not path.exists():
        names = ", ".join(t.name for t in list_templates(folder)) or "none"
        raise LayerboardError(f"No template named '{name_or_path}'. Available templates: {names}.")
    return path


def load_template(name_or_path: str) -> Project:
    project = load_project(template_path(name_or_path))
    project.path = None  # a template is a starting point, never saved over
    return project
