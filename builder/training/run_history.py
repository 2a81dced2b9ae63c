"""The runs of a project, read back from disk: what each trained, how it ended, its curves, whether it resumes.

Every folder under `project.default_runs_dir()` that holds a run file (`run.json`, `history.csv`, a checkpoint,
`model.keras`, `error.log`) is a run. A finished run has `run.json` (builder/training/run_record.py); a run that
was killed has only its checkpoint and `history.csv`; one that failed before its first epoch only `error.log`.
A file that is broken or hostile (garbage JSON, a FIFO, a huge file, wrong types) never stops the listing: the
run is listed with its problems named, and what could be read. `adopt_runs` takes a project's runs along when
it is first saved (or saved under another name).
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from builder.errors import LayerboardError
from builder.file_checks import require_regular_file
from builder.project import DatasetRef, Project, TrainingConfig, field_names
from builder.training.checkpoints import BEST, LAST, RUN_FILES, STATE
from builder.training.project_model import MODEL_FILE
from builder.training.run_record import RUN_RECORD
from builder.training.trainer import ERROR_LOG

HISTORY = "history.csv"
RECORD_MAX_BYTES = 1024 * 1024  # run.json and checkpoint.json: a few kB each
HISTORY_MAX_BYTES = 64 * 1024 * 1024  # history.csv: ~100 bytes an epoch, so a million epochs
MAX_RUNS = 10_000  # folders looked at in one runs folder

FINISHED, STOPPED, INTERRUPTED, FAILED = "finished", "stopped", "interrupted", "failed"
_FOLDER_TIME = re.compile(r"^(\d{8}-\d{6})(?:-\d+)?$")  # new_run_dir's YYYYmmdd-HHMMSS[-N]
_RUN_MARKERS = (*RUN_FILES, ERROR_LOG)


@dataclass
class RunSummary:
    """One run as the runs list shows it."""

    run_dir: Path
    started: datetime | None = None  # from the folder's name (YYYYmmdd-HHMMSS), else its oldest file's time
    state: str = INTERRUPTED  # finished, stopped (by the user or early stopping's request), interrupted, failed
    epochs_run: int = 0
    final_metrics: dict[str, float] = field(default_factory=dict)
    duration_s: float | None = None  # run.json's (a resumed run: the time since it was resumed)
    device: str | None = None  # "CPU", "GPU:0 (NVIDIA H100)", ...
    performance: dict[str, Any] | None = None  # run.json's: the jit_compile and steps_per_execution used, and why
    differences: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # "training.learning_rate": (run, project)
    model_path: Path | None = None  # model.keras, else best.keras, else last.keras
    resumable: bool = False  # it has a checkpoint (last.keras) to continue from
    problems: list[str] = field(default_factory=list)  # files that could not be read, and why

    @property
    def name(self) -> str:
        return self.run_dir.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.run_dir),
            "started": self.started.isoformat(timespec="seconds") if self.started else None,
            "state": self.state,
            "epochs_run": self.epochs_run,
            "final_metrics": {k: _json_number(v) for k, v in self.final_metrics.items()},
            "duration_s": self.duration_s,
            "device": self.device,
            "performance": self.performance,
            "differences": {k: {"run": run, "project": now} for k, (run, now) in self.differences.items()},
            "model": str(self.model_path) if self.model_path else None,
            "resumable": self.resumable,
            "problems": list(self.problems),
        }


def performance_text(performance: dict[str, Any] | None) -> str:
    """A run's performance choice in one line: "jit_compile=False, steps_per_execution=1 (probe: measured …)"."""
    if not performance:
        return ""
    source = {"probe": "measured at its start", "cache": "measured before on this device",
              "setting": "the project's", "default": "Keras's defaults"}.get(str(performance.get("source")), "")
    reason = str(performance.get("reason") or "")[:300]
    extras = "".join(f", {name}=True" for name in ("mixed_precision", "prefetch_to_device") if performance.get(name) is True)
    return (f"jit_compile={performance.get('jit_compile')}, steps_per_execution="
            f"{performance.get('steps_per_execution')}{extras} ({source}{': ' + reason if reason else ''})")


def list_runs(project: Project, runs_dir: str | Path | None = None) -> list[RunSummary]:
    """Every run under `runs_dir` (default: the project's runs folder), oldest first. Never raises for what is in
    the folder: an unreadable run is listed with its `problems`; a missing folder is no runs."""
    folder = Path(runs_dir) if runs_dir is not None else project.default_runs_dir()
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)[:MAX_RUNS]
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise LayerboardError(f"The runs folder '{folder}' cannot be listed ({exc.strerror or exc}).") from None
    runs = []
    for entry in entries:
        try:
            if entry.is_symlink() or not entry.is_dir():
                continue  # a link could lead anywhere: runs are folders Layerboard made
            path = Path(entry.path)
            if any(os.path.lexists(path / name) for name in _RUN_MARKERS):
                runs.append(read_run(path, project))
        except OSError:
            continue
    runs.sort(key=lambda r: (r.started or datetime.min, r.name))
    return runs


def read_run(run_dir: str | Path, project: Project | None = None) -> RunSummary:
    """One run folder as a RunSummary; `project` (its current settings) gives the differences."""
    run = RunSummary(run_dir=Path(run_dir))
    record = _read_json(run, RUN_RECORD)
    rows = _read_history(run)
    state = _read_json(run, STATE) if os.path.lexists(run.run_dir / STATE) else None
    run.started = _started(run.run_dir)
    run.model_path = next((run.run_dir / n for n in (MODEL_FILE, BEST, LAST) if _is_file(run.run_dir / n)), None)
    run.resumable = _is_file(run.run_dir / LAST)
    if record is not None:
        _take_record(run, record, project)
    else:
        if isinstance(state, dict) and _whole(state.get("epoch")):
            run.epochs_run = state["epoch"]
        elif rows:
            run.epochs_run = len(rows)
        if rows:
            run.final_metrics = {k: v for k, v in rows[-1].items() if k != "epoch"}
        run.state = FAILED if _is_file(run.run_dir / ERROR_LOG) and not run.resumable else INTERRUPTED
    return run


def history(run: RunSummary | str | Path) -> dict[str, list[float]]:
    """A run's history.csv as columns: {"epoch": [1, 2, ...], "loss": [...], "val_loss": [...], ...}. Epochs count
    from 1 (the file, as Keras writes it, counts from 0); a cell that is not a number is NaN. Empty when the run
    has no readable history."""
    summary = run if isinstance(run, RunSummary) else RunSummary(run_dir=Path(run))
    rows = _read_history(summary)
    names = list(dict.fromkeys(key for row in rows for key in row))
    return {name: [row.get(name, math.nan) for row in rows] for name in names}


def adopt_runs(project: Project, old_runs_dir: str | Path, move: bool = True,
               into: str | Path | None = None) -> list[Path]:
    """Take the runs in `old_runs_dir` to the project's runs folder now (after the project was saved to a new
    path), or to `into`: moved (a project saved for the first time: its runs leave the per-user data folder), or copied when
    `move` is False (Save As: the old project file keeps its runs; model files are hard-linked when the disk
    allows, as Layerboard only ever replaces them, never writes into them). A run whose name is taken in the new
    folder gets the next free name. Returns the runs' new folders."""
    old, new = Path(old_runs_dir), Path(into) if into is not None else project.default_runs_dir()
    if not old.is_dir() or _same(old, new):
        return []
    adopted = []
    for run in list_runs(project, old):
        target, n = new / run.name, 1
        while os.path.lexists(target):
            n += 1
            target = new / f"{run.name}-{n}"
        new.mkdir(parents=True, exist_ok=True)
        try:
            if move:
                shutil.move(str(run.run_dir), str(target))
            else:
                shutil.copytree(run.run_dir, target, symlinks=True, copy_function=_link_or_copy)
        except OSError as exc:
            raise LayerboardError(f"The run {run.run_dir} could not be {'moved' if move else 'copied'} to {target} "
                                  f"({exc.strerror or exc}); it is still in {old}. Copy it there yourself, or "
                                  f"export it with: python main.py export PROJECT --run {run.run_dir}") from None
        adopted.append(target)
    if move:
        try:
            old.rmdir()  # only when nothing else is left in it
        except OSError:
            pass
    return adopted


# ---- reading -------------------------------------------------------------------------------------------------
def _read_text(run: RunSummary, name: str, limit: int) -> str | None:
    """The file's text, or None with a problem noted (missing files are no problem)."""
    path = run.run_dir / name
    if not os.path.lexists(path):
        return None
    try:
        require_regular_file(path, f"{name} of the run")
        size = path.stat().st_size
        if size > limit:
            run.problems.append(f"{name} is {size:,} bytes; a run's {name} is at most {limit:,} bytes, so it was "
                                "not read.")
            return None
        with open(path, "rb") as handle:
            return handle.read(limit + 1).decode("utf-8")
    except LayerboardError as exc:
        run.problems.append(str(exc))
    except UnicodeDecodeError:
        run.problems.append(f"{name} is not UTF-8 text, so it was not read.")
    except OSError as exc:
        run.problems.append(f"{name} cannot be read ({exc.strerror or exc}).")
    return None


def _read_json(run: RunSummary, name: str) -> dict | None:
    text = _read_text(run, name, RECORD_MAX_BYTES)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        run.problems.append(f"{name} is not valid JSON ({exc}).")
        return None
    except RecursionError:
        run.problems.append(f"{name} nests too deeply to read.")
        return None
    if not isinstance(data, dict):
        run.problems.append(f"{name} holds {type(data).__name__}, not a JSON object.")
        return None
    return data


def _read_history(run: RunSummary) -> list[dict[str, float]]:
    """history.csv's rows as numbers (epoch from 1); rows without an epoch are left out."""
    text = _read_text(run, HISTORY, HISTORY_MAX_BYTES)
    if not text:
        return []
    try:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, [])
        if "epoch" not in header:
            run.problems.append(f"{HISTORY} has no 'epoch' column (its first line is not Keras' CSVLogger header).")
            return []
        rows = []
        for cells in reader:
            row = {name: _number(cell) for name, cell in zip(header, cells) if name}
            epoch = row.get("epoch", math.nan)
            if not math.isfinite(epoch):
                continue
            row["epoch"] = int(epoch) + 1
            rows.append(row)
    except csv.Error as exc:
        run.problems.append(f"{HISTORY} is not a readable CSV file ({exc}).")
        return []
    return rows


def _take_record(run: RunSummary, record: dict, project: Project | None) -> None:
    """What run.json says, each field checked: a field of the wrong type is a problem and left out."""
    def take(key: str, check, what: str):
        value = record.get(key)
        if value is None:
            return None
        if check(value):
            return value
        run.problems.append(f"run.json's {key} is {_shown(value)}, not {what}; it was left out.")
        return None

    epochs = take("epochs_run", _whole, "a whole number of epochs")
    run.epochs_run = epochs if epochs is not None else 0
    stopped = take("stopped", lambda v: isinstance(v, bool), "true or false")
    run.state = STOPPED if stopped else FINISHED
    metrics = take("final_metrics", lambda v: isinstance(v, dict), "an object of metric values")
    if metrics:
        for key, value in metrics.items():
            if _is_number(value):
                run.final_metrics[str(key)] = float(value)
            else:
                run.problems.append(f"run.json's final_metrics.{key} is {_shown(value)}, not a number; it was left "
                                    "out.")
    duration = take("duration_s", lambda v: _is_number(v) and v >= 0, "a number of seconds")
    run.duration_s = float(duration) if duration is not None else None
    device = take("device", lambda v: isinstance(v, str), "a device name")
    run.device = device[:200] if device is not None else None
    performance = take("performance", lambda v: isinstance(v, dict) and isinstance(v.get("reason", ""), str),
                       "an object (jit_compile, steps_per_execution, source, reason)")
    if performance:
        run.performance = {k: performance.get(k) for k in ("jit_compile", "steps_per_execution", "source", "reason",
                                                            "measured", "probe_s")}
    if project is not None:
        for section, cls, now in (("dataset", DatasetRef, project.dataset.to_dict()),
                                  ("training", TrainingConfig, project.training.to_dict())):
            settings = take(section, lambda v: isinstance(v, dict), "an object of settings")
            if settings:
                run.differences.update(_differences(section, settings, now, field_names(cls)))


def _differences(section: str, recorded: dict, now: dict, names: set[str]) -> dict[str, tuple[Any, Any]]:
    """Settings the run recorded that differ from the project's now ("training.learning_rate": (run, project));
    settings the run did not record (an older Layerboard) are not compared."""
    found = {}
    for name in sorted(names):
        if name not in recorded:
            continue
        current = json.loads(json.dumps(now.get(name)))  # tuples as lists, as the record holds them
        if recorded[name] != current:
            found[f"{section}.{name}"] = (recorded[name], current)
    return found


def _started(run_dir: Path) -> datetime | None:
    match = _FOLDER_TIME.match(run_dir.name)
    if match:
        try:
            return datetime.strptime(match.group(1), "%Y%m%d-%H%M%S")
        except ValueError:
            pass
    times = []
    for name in _RUN_MARKERS:
        try:
            times.append(os.lstat(run_dir / name).st_mtime)
        except OSError:
            continue
    return datetime.fromtimestamp(min(times)) if times else None


# ---- small helpers -------------------------------------------------------------------------------------------
def _is_file(path: Path) -> bool:
    try:
        return path.is_file() and not path.is_symlink()
    except OSError:
        return False


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(cell: str) -> float:
    try:
        return float(cell)
    except ValueError:
        return math.nan


def _json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _shown(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b


def _link_or_copy(source: str, target: str) -> None:
    """Hard-link a model file (Layerboard replaces .keras files by renaming, never writes into them), copy the
    rest (history.csv is appended to when a run resumes)."""
    if source.endswith(".keras"):
        try:
            os.link(source, target)
            return
        except OSError:
            pass
    shutil.copy2(source, target)
