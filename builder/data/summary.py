"""What a loaded dataset looks like at a glance: sizes, class counts per split, the targets' spread, a preview.

The window's data panel draws a DatasetSummary (a bar chart of the class counts, a grid of samples); the
summary says how a sample is best shown (`preview_kind`), so the view only draws.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from builder.data.lazy_array import length
from builder.data.records import CLASSES, Dataset, DatasetInfo, Preview, first_array

SPLITS = ("train", "validation", "test")
IMAGE = "image"  # (height, width) or (height, width, 1|3|4) numbers
SIGNAL = "signal"  # (steps,) of many values or (steps, channels) numbers: plotted as lines
TABLE = "table"  # a row of a few numbers
TEXT = "text"  # strings
MIN_IMAGE_SIDE = 5
MIN_SIGNAL_STEPS = 16  # a 1-D sample this long is a signal, shorter ones are a table row
HISTOGRAM_BINS = 20


def preview_kind(input_shape: tuple[int, ...], dtype: Any) -> str:
    """How a sample of this shape and dtype is best shown: "image", "signal", "table" or "text"."""
    kind = np.dtype(dtype).kind if str(dtype) not in ("string", "str") else "U"
    if kind in "OUS":
        return TEXT
    shape = tuple(input_shape)
    if len(shape) == 3 and shape[2] in (1, 3, 4) and min(shape[:2]) >= MIN_IMAGE_SIDE:
        return IMAGE
    if len(shape) == 2 and min(shape) >= MIN_IMAGE_SIDE and shape[1] > 4:
        return IMAGE
    if len(shape) == 2 or (len(shape) == 1 and shape[0] >= MIN_SIGNAL_STEPS and kind == "f"):
        return SIGNAL
    return TABLE


def class_counts(y, num_classes: int) -> list[int]:
    """How many samples of each class `y` (class ids) holds."""
    values = np.asarray(y).reshape(-1).astype("int64")
    values = values[(values >= 0) & (values < num_classes)]
    return [int(n) for n in np.bincount(values, minlength=num_classes)[:num_classes]]


@dataclass(frozen=True)
class DatasetSummary:
    """A dataset described for the eye: its DatasetInfo, class counts per split (classification) or a histogram
    of the training targets (regression), the per-sample target shape, and the first training samples."""

    info: DatasetInfo
    class_counts: dict[str, list[int]]  # split -> count per class; empty for regression
    histogram: tuple[list[float], list[int]] | None  # regression: (bin edges, counts) of the training targets
    target_shape: tuple[int, ...]  # per sample: () for one class id or value
    preview: Preview
    preview_kind: str

    def to_dict(self) -> dict:
        return {**self.info.to_dict(), "class_counts": self.class_counts,
                "histogram": {"edges": self.histogram[0], "counts": self.histogram[1]} if self.histogram else None,
                "target_shape": list(self.target_shape), "preview_kind": self.preview_kind}


def summarize(dataset: Dataset, preview: int = 12) -> DatasetSummary:
    """Count and preview a loaded, split dataset (reads only the first `preview` training samples of a lazy file);
    for a multi-output set the counts are the first target's (info.targets describes every target)."""
    info = dataset.describe()
    counts: dict[str, list[int]] = {}
    histogram = None
    if dataset.output == CLASSES:
        for name in SPLITS:
            x, y = dataset.subset(name)
            if length(x):
                counts[name] = class_counts(first_array(y), info.num_classes)
    else:
        values = np.asarray(first_array(dataset.y_train), dtype="float64").reshape(-1)
        values = values[np.isfinite(values)]
        if values.size:
            found, edges = np.histogram(values, bins=HISTOGRAM_BINS)
            histogram = ([float(e) for e in edges], [int(n) for n in found])
    target_shape = tuple(info.target_shape)
    return DatasetSummary(info, counts, histogram, target_shape, dataset.preview(preview),
                          preview_kind(info.input_shape, info.dtype))
