"""Template discovery: the ready projects shipped in the top-level `templates/` folder (builder.shipped finds it).

A template is an ordinary project file with one more section, `gallery`, which the project loader checks and keeps
(`Project.gallery`, so `layout` or `rename` of a template keeps it) and `load_template` drops (a project made from a
template is the user's own):

    "gallery": {"title": "Wine MLP", "teaches": "one sentence", "task": "tabular", "architecture": "MLP"}

`task` is one of TASKS (the gallery's filter). The numbers a gallery card shows (parameters, accuracy or error,
training time, TFLite sizes) are never typed into a template: `bench/templates.py` measures them and writes
`templates/gallery/numbers.json` (NUMBERS_FILE), which `TemplateInfo.numbers` reads.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder import shipped
from builder.errors import LayerboardError
from builder.project.record import Project
from builder.project.files import load_project

TEMPLATES_DIR = shipped.TEMPLATES_DIR
NUMBERS_FILE = "gallery/numbers.json"  # written by bench/templates.py, in a folder beside the templates
TASKS = ("image", "sequence", "text", "tabular", "segmentation", "reconstruction", "generative")


@dataclass
class TemplateInfo:
    """What the gallery and `templates --json` say about one template."""

    name: str
    description: str
    path: Path
    title: str = ""
    teaches: str = ""  # what it teaches, in one sentence
    task: str = ""  # one of TASKS
    architecture: str = ""
    dataset: str = ""
    numbers: dict[str, Any] = field(default_factory=dict)  # measured by bench/templates.py; empty until then

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "teaches": self.teaches, "task": self.task,
                "architecture": self.architecture, "dataset": self.dataset, "description": self.description,
                "path": str(self.path), **{key: self.numbers.get(key) for key in NUMBER_KEYS}}


# The measured fields (bench/templates.py writes them; `templates --json` always lists every key, None if unmeasured).
NUMBER_KEYS = ("parameters", "epochs", "train_seconds", "metric", "value", "tflite_float32_bytes",
               "tflite_int8_bytes", "int8_value", "int8_drop", "measured_on", "note")
NOT_MEASURED = "not measured yet"
# Errors read better in capitals ("MAE 0.08"); scores as Keras names them ("accuracy 0.97").
METRIC_NAMES = {"mae": "MAE", "mse": "MSE", "rmse": "RMSE", "mape": "MAPE", "auc": "AUC", "iou": "IoU",
                "binary_iou": "IoU", "mean_absolute_error": "MAE", "mean_squared_error": "MSE",
                "root_mean_squared_error": "RMSE"}


# ---- the measured numbers in words (the gallery's cards and `templates` share them) ----
def metric_text(numbers: dict[str, Any]) -> str:
    """`accuracy 0.971`, `MAE 0.0812`, with the bench's note when it has one; "" when there is no metric."""
    value, name = numbers.get("value"), str(numbers.get("metric") or "")
    if not isinstance(value, (int, float)) or not name:
        return ""
    name = name.removeprefix("val_")
    note = numbers.get("note")
    return f"{METRIC_NAMES.get(name.lower(), name)} {value:.3g}" + (f" ({note})" if isinstance(note, str) and note
                                                                     else "")


def seconds_text(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds // 60:.0f} min {seconds % 60:.0f} s"


def training_text(numbers: dict[str, Any]) -> str:
    """`trains 10 epochs in 41 s on a 2-core CPU` (the machine's details and the date stay in `measured_on`); ""
    when not measured."""
    seconds = numbers.get("train_seconds")
    if not isinstance(seconds, (int, float)):
        return ""
    epochs = numbers.get("epochs")
    where = numbers.get("measured_on")
    return ("trains" + (f" {epochs} epoch{'s' if epochs != 1 else ''}" if isinstance(epochs, int) else "")
            + f" in {seconds_text(seconds)}" + (f" on {where.split(' (')[0].split(',')[0]}" if isinstance(where, str)
                                                 and where else ""))


def parameters_text(parameters: Any) -> str:
    return f"{parameters:,} parameters" if isinstance(parameters, int) and not isinstance(parameters, bool) else ""


def read_numbers(folder: Path = TEMPLATES_DIR) -> dict[str, dict[str, Any]]:
    """The bench's numbers per template name; {} when the file is missing or unreadable (a card then says so)."""
    try:
        data = json.loads((folder / NUMBERS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    templates = data.get("templates") if isinstance(data, dict) else None
    return {k: v for k, v in templates.items() if isinstance(v, dict)} if isinstance(templates, dict) else {}


def list_templates(folder: Path = TEMPLATES_DIR) -> list[TemplateInfo]:
    numbers = read_numbers(folder)
    found = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        gallery = data.get("gallery") if isinstance(data.get("gallery"), dict) else {}
        dataset = data.get("dataset") if isinstance(data.get("dataset"), dict) else {}
        found.append(TemplateInfo(
            name=path.stem, description=str(data.get("description", "")), path=path,
            title=str(gallery.get("title") or path.stem.replace("_", " ")), teaches=str(gallery.get("teaches", "")),
            task=str(gallery.get("task", "")), architecture=str(gallery.get("architecture", "")),
            dataset=str(dataset.get("name", "")), numbers=dict(numbers.get(path.stem, {}))))
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
    project.gallery = {}  # and the project made from it is the user's own, not a gallery card
    return project
