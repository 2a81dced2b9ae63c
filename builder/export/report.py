"""The result of an export and its verification, as data, as a printable summary and as export_report.json."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPORT_FILE = "export_report.json"


@dataclass
class ExportReport:
    format: str
    path: Path
    size_bytes: int
    runtime: str  # what ran the written file, in a fresh process: "LiteRT interpreter", "onnxruntime 1.x", ...
    max_abs_diff: float
    samples: int
    samples_source: str = ""
    verified: bool = True
    quantization: str = "float32"
    tolerance: float | None = None  # the max abs difference allowed (float exports); None for quantised ones
    class_agreement: float | None = None  # share of samples whose predicted class is the Keras model's
    accuracy_keras: float | None = None  # on the verification samples' labels (the validation split)
    accuracy_export: float | None = None
    accuracy_drop: float | None = None  # percentage points
    max_accuracy_drop: float | None = None
    rmse_vs_keras: float | None = None  # regression models: the exported file's error against Keras's outputs
    latency_ms_per_sample: float | None = None  # median, batch 1, in the runtime above
    converter_options: list[str] = field(default_factory=list)
    labels_file: str | None = None
    worst_layers: list[dict] = field(default_factory=list)  # int8: layers that lose the most (when refused)
    weights: str = ""  # which weights were exported, in words (a run's model, the project's own weights, a file)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["path"] = str(self.path)
        return data

    def summary(self) -> str:
        status = "verified" if self.verified else "FAILED verification"
        text = (f"{self.format}{'' if self.quantization == 'float32' else ' ' + self.quantization}: {self.path} "
                f"({self.size_bytes / 1024:.1f} KiB) — {status} in {self.runtime} on {self.samples} "
                f"{self.samples_source} samples, max abs difference {self.max_abs_diff:.2e}")
        if self.class_agreement is not None:
            text += f", same class for {self.class_agreement:.1%}"
        if self.accuracy_export is not None and self.accuracy_keras is not None:
            text += f", accuracy {self.accuracy_keras:.1%} -> {self.accuracy_export:.1%}"
        if self.rmse_vs_keras is not None:
            text += f", RMSE vs Keras {self.rmse_vs_keras:.3g}"
        if self.latency_ms_per_sample is not None:
            text += f", {self.latency_ms_per_sample:.2f} ms per sample"
        if self.weights:
            text += f"; weights: {self.weights}"
        return text

    def write_json(self) -> Path:
        """export_report.json beside the exported file (or folder)."""
        from builder.files import atomic_write_text

        target = Path(self.path).parent / REPORT_FILE
        atomic_write_text(target, json.dumps(self.to_dict(), indent=2) + "\n")
        return target


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size
