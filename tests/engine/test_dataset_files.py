"""User data files (CSV, npz, HDF5, image and text folders): real files written here, loaded and split."""
from __future__ import annotations

import numpy as np
import pytest

from builder.data import LazyArray, load_dataset, load_raw
from builder.errors import DatasetError
from builder.project import DatasetRef


def load(tmp_path, name, path, **options):
    return load_dataset(DatasetRef(name=name, path=path, options=options, validation_split=0.25, seed=0), tmp_path)


# --- CSV -------------------------------------------------------------------------------------------------------

CSV = """size,colour,weight,label
1.0,red,10,cat
2.0,blue,,dog
3.5,red,12,cat
4.0,green,NA,dog
5.0,blue,15,cat
6.0,red,16,dog
7.0,green,17,cat
8.0,blue,?,dog
9.0,red,19,dog
10.0,green,20,dog
"""


@pytest.fixture
def csv_file(tmp_path):
    (tmp_path / "pets.csv").write_text(CSV)
    return "pets.csv"


def test_csv_reports_missing_cells(tmp_path, csv_file):
    with pytest.raises(DatasetError, match=r"3 missing cells .*'weight' \(3\).*missing"):
        load(tmp_path, "csv", csv_file)


def test_csv_drop_one_hot_and_class_names(tmp_path, csv_file):
    data = load(tmp_path, "csv", csv_file, missing="drop")
    assert data.class_names == ["cat", "dog"] and data.output == "classes"
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert data.input_shape == (5,)  # size, colour=blue/green/red, weight
    assert len(data.x_train) + len(data.x_val) == 7
    assert "colour=red" in data.description and "weight" in data.description
    rows = np.concatenate([data.x_train, data.x_val])
    assert set(rows[:, 1:4].sum(axis=1)) == {1.0}  # exactly one colour per row


def test_csv_mean_fill_and_regression(tmp_path, csv_file):
    options = dict(target="weight", features=["size", "colour", "label"], missing="mean")
    raw = load_raw(DatasetRef(name="csv", path=csv_file, options=options), tmp_path)
    assert raw.output == "classes"  # few distinct integers: classes unless told otherwise
    data = load(tmp_path, "csv", csv_file, task="regression", **options)
    assert data.output == "regression" and data.y_train.dtype == np.float32 and data.class_names == []
    assert len(data.x_train) + len(data.x_val) == 7 and "3 rows without a target dropped" in data.description


def test_csv_mean_fills_numbers_with_the_column_mean(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,y\n1,x,0\n,,1\n3,y,0\n5,x,1\n")
    data = load_dataset(DatasetRef(name="csv", path="d.csv", options={"missing": "mean"}, validation_split=0.5,
                                   seed=0), tmp_path)
    rows = np.concatenate([data.x_train, data.x_val])
    assert sorted(rows[:, 0]) == [1.0, 3.0, 3.0, 5.0]
    assert "b=missing" in data.description
    assert data.class_names == ["0", "1"]  # few integers: classes


def test_csv_integer_categorical_and_task(tmp_path):
    lines = ["code,value,target"] + [f"{i % 3},{i * 0.5},{i * 1.5}" for i in range(30)]
    (tmp_path / "r.csv").write_text("\n".join(lines))
    data = load(tmp_path, "csv", "r.csv", categorical=["code"])
    assert data.output == "regression" and data.input_shape == (4,)
    data = load(tmp_path, "csv", "r.csv", target="code", task="classification")
    assert data.class_names == ["0", "1", "2"] and data.input_shape == (2,)


def test_csv_errors_name_the_fix(tmp_path, csv_file):
    with pytest.raises(DatasetError, match=r"unknown column\(s\) 'price'.*size, colour, weight, label"):
        load(tmp_path, "csv", csv_file, target="price")
    with pytest.raises(DatasetError, match=r"No CSV file at '.*nothere\.csv'"):
        load(tmp_path, "csv", "nothere.csv")
    with pytest.raises(DatasetError, match="outside the project's folder"):
        load(tmp_path, "csv", "../elsewhere.csv")
    with pytest.raises(DatasetError, match="needs dataset.path"):
        load(tmp_path, "csv", None)
    with pytest.raises(DatasetError, match="regression' needs numbers"):
        load(tmp_path, "csv", csv_file, task="regression", missing="drop")
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3\n")
    with pytest.raises(DatasetError, match="Row 3 of 'ragged.csv' has 1 cells but the header has 2"):
        load(tmp_path, "csv", "ragged.csv")


# --- npz -------------------------------------------------------------------------------------------------------

def test_npz_with_its_own_test_part(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.normal(size=(40, 3, 2)), y=np.arange(40) % 4,
             x_test=rng.normal(size=(8, 3, 2)), y_test=np.arange(8) % 4)
    data = load(tmp_path, "npz", "d.npz", class_names=["a", "b", "c", "d"])
    assert data.input_shape == (3, 2) and data.x_train.dtype == np.float32
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (30, 10, 8)
    assert data.class_names == ["a", "b", "c", "d"] and data.y_test.dtype == np.int64


def test_npz_keys_and_regression(tmp_path):
    np.savez(tmp_path / "r.npz", inputs=np.ones((20, 5), "float32"), targets=np.linspace(0, 1, 20))
    data = load(tmp_path, "npz", "r.npz", x="inputs", y="targets")
    assert data.output == "regression" and data.y_train.dtype == np.float32 and not data.has_test
    with pytest.raises(DatasetError, match="no array 'x'. It holds: inputs, targets"):
        load(tmp_path, "npz", "r.npz")


# --- HDF5 ------------------------------------------------------------------------------------------------------

def test_hdf5_is_lazy_and_reads_the_right_rows(tmp_path):
    import h5py

    images = np.arange(600 * 4 * 4, dtype="float32").reshape(600, 4, 4)
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f.create_dataset("/train/images", data=images, chunks=(50, 4, 4))
        f.create_dataset("/train/labels", data=np.arange(600) % 3)
        f.create_dataset("/test/images", data=images[:30])
        f.create_dataset("/test/labels", data=np.arange(30) % 3)
        f.attrs["class_names"] = ["red", "green", "blue"]
    data = load(tmp_path, "hdf5", "d.h5", x="/train/images", y="/train/labels", x_test="/test/images",
                y_test="/test/labels")
    assert isinstance(data.x_train, LazyArray) and isinstance(data.x_test, LazyArray)
    assert isinstance(data.y_train, np.ndarray) and data.y_train.dtype == np.int64
    assert data.class_names == ["red", "green", "blue"]
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (450, 150, 30)
    rows = data.x_val.rows
    np.testing.assert_array_equal(np.asarray(data.x_val), images[rows])
    np.testing.assert_array_equal(data.y_val, np.arange(600)[rows] % 3)
    with pytest.raises(DatasetError, match="no dataset 'x'.*/train/images"):
        load(tmp_path, "hdf5", "d.h5")


# --- image and text folders ------------------------------------------------------------------------------------

def test_image_folder(tmp_path):
    import keras

    for c, cls in enumerate(["cats", "dogs"]):
        (tmp_path / "img" / cls).mkdir(parents=True)
        for i in range(4):
            keras.utils.save_img(tmp_path / "img" / cls / f"{i}.png",
                                 np.full((10, 12, 3), 40 * c + i, "uint8"), scale=False)
    data = load(tmp_path, "image_folder", "img", image_size=[8, 8])
    assert data.class_names == ["cats", "dogs"] and data.input_shape == (8, 8, 3)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert (len(data.x_train), len(data.x_val)) == (6, 2)
    assert 0 <= data.x_train.min() and data.x_train.max() <= 255 and "Rescaling" in data.description
    grey = load(tmp_path, "image_folder", "img", image_size=8, color_mode="grayscale")
    assert grey.input_shape == (8, 8, 1)


def test_image_folder_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no sub-folders.*one sub-folder per class"):
        load(tmp_path, "image_folder", "empty")
    (tmp_path / "empty" / "a").mkdir()
    with pytest.raises(DatasetError, match="Cannot read images"):
        load(tmp_path, "image_folder", "empty")


def test_text_folder(tmp_path):
    for cls in ("ham", "spam"):
        (tmp_path / "txt" / cls).mkdir(parents=True)
        for i in range(3):
            (tmp_path / "txt" / cls / f"{i}.txt").write_text(f"{cls} message {i} ✓")
    data = load_dataset(DatasetRef(name="text_folder", path="txt", validation_split=1 / 3, seed=0), tmp_path)
    assert data.class_names == ["ham", "spam"] and (len(data.x_train), len(data.x_val)) == (4, 2)
    assert data.y_train.dtype == np.int64 and isinstance(data.x_train[0], str)
    for text, label in zip(data.x_train, data.y_train):
        assert text.startswith(data.class_names[label]) and text.endswith("✓")
