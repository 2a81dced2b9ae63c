"""The result of an export and its verification, as data and as a printable summary."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class ExportReport:
    format: str
    path: Path
    size_bytes: int
    runtime: str  # what ran the written file: "keras", "tf.saved_model", "LiteRT"
    max_abs_diff: float
    samples: int
    samples_source: str = ""

    @property
    def verified(self) -> bool:
        from builder.export import TOLERANCE

        return self.max_abs_diff <= TOLERANCE

    def to_dict(self) -> dict:
        data = asdict(self)
        data["path"] = str(self.path)
        data["verified"] = self.verified
        return data

    def summary(self) -> str:
        status = "verified" if self.verified else "FAILED verification"
        return (f"{self.format}: {self.path} ({self.size_bytes / 1024:.1f} KiB) — {status} in {self.runtime} on "
                f"{self.samples} {self.samples_source} samples, max abs difference {self.max_abs_diff:.2e}")


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size
