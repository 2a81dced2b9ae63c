"""Dataset summaries (class counts, target histogram, preview kind) and what a data file holds before loading."""
from __future__ import annotations

import h5py
import numpy as np
import pytest

from builder.data import (
    ArrayEntry, class_counts, file_contents, guess_array_options, load_dataset, preview_kind, summarize,
)
from builder.errors import DatasetError
from builder.project import DatasetRef


def test_digits_summary_counts_every_class_in_each_split():
    data = load_dataset(DatasetRef(name="digits", validation_split=0.2, test_split=0.1))
    summary = summarize(data, preview=6)
    assert set(summary.class_counts) == {"train", "validation", "test"}
    assert sum(summary.class_counts["train"]) == summary.info.train_size
    assert sum(summary.class_counts["validation"]) == summary.info.validation_size
    assert sum(summary.class_counts["test"]) == summary.info.test_size
    assert all(n > 0 for n in summary.class_counts["validation"])  # stratified
    assert summary.preview_kind == "image" and len(summary.preview.labels) == 6
    assert summary.target_shape == () and summary.histogram is None
    assert summary.to_dict()["class_counts"]["train"] == summary.class_counts["train"]


def test_regression_summary_has_a_histogram_of_the_targets():
    summary = summarize(load_dataset(DatasetRef(name="sine")), preview=3)
    assert summary.class_counts == {} and summary.preview_kind == "signal"
    edges, counts = summary.histogram
    assert len(edges) == len(counts) + 1 and sum(counts) == summary.info.train_size


@pytest.mark.parametrize("shape, dtype, kind", [
    ((8, 8, 1), "float32", "image"), ((32, 32, 3), "uint8", "image"), ((28, 28), "uint8", "image"),
    ((32, 1), "float32", "signal"), ((40,), "float32", "signal"), ((4,), "float32", "table"),
    ((20,), "int64", "table"), ((), "<U12", "text"), ((1,), "object", "text"),
])
def test_preview_kind(shape, dtype, kind):
    assert preview_kind(shape, dtype) == kind


def test_class_counts_include_empty_classes():
    assert class_counts(np.array([0, 2, 2]), 4) == [1, 0, 2, 0]


def test_npz_and_hdf5_arrays_are_listed_without_loading(tmp_path):
    np.savez(tmp_path / "a.npz", images=np.zeros((6, 4, 4, 1), "float32"), labels=np.arange(6))
    with h5py.File(tmp_path / "a.h5", "w") as f:
        f["group/inputs"] = np.zeros((5, 3), "float32")
        f["targets"] = np.array([0.5, 1.5, 2.5, 3.5, 4.5], "float32")  # regression: no stratified split
    arrays = file_contents(DatasetRef(name="npz", path="a.npz"), tmp_path).arrays
    assert arrays == [ArrayEntry("images", (6, 4, 4, 1), "float32"), ArrayEntry("labels", (6,), "int64")]
    assert guess_array_options(arrays) == {"x": "images", "y": "labels"}
    arrays = file_contents(DatasetRef(name="hdf5", path="a.h5"), tmp_path).arrays
    assert [(a.name, a.shape) for a in arrays] == [("group/inputs", (5, 3)), ("targets", (5,))]
    assert guess_array_options(arrays) == {"x": "group/inputs", "y": "targets"}
    # the guess loads: the file's arrays under the names it picked
    data = load_dataset(DatasetRef(name="hdf5", path="a.h5", options=guess_array_options(arrays),
                                   validation_split=0.4), tmp_path)
    assert data.input_shape == (3,)


def test_x_and_y_need_no_guess_and_a_csv_lists_its_columns(tmp_path):
    assert guess_array_options([ArrayEntry("x", (3, 2), "f"), ArrayEntry("y", (3,), "i")]) == {}
    (tmp_path / "t.csv").write_text("\ufeffa, b ,label\n1,2,x\n")
    assert file_contents(DatasetRef(name="csv", path="t.csv"), tmp_path).columns == ["a", "b", "label"]
    assert file_contents(DatasetRef(name="digits"), tmp_path).to_dict() == {"columns": [], "arrays": []}


def test_a_file_outside_the_folder_or_not_an_archive_is_refused(tmp_path):
    (tmp_path / "bad.npz").write_text("not a zip")
    with pytest.raises(DatasetError, match="not a readable NumPy .npz file"):
        file_contents(DatasetRef(name="npz", path="bad.npz"), tmp_path)
    with pytest.raises(DatasetError, match="outside the project's folder"):
        file_contents(DatasetRef(name="npz", path="../elsewhere.npz"), tmp_path)
