"""Bad data files (issue 14): corrupt images and undecodable texts are named, and skipped on request; a CSV that is
not text says so; stray text in a numeric CSV column is reported as missing cells instead of one-hot columns."""
from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from builder.cli import main
from builder.data import load_dataset, load_raw
from builder.errors import DatasetError
from builder.project import DatasetRef


def png(value: int, size=(10, 12), channels: int = 3) -> bytes:
    import tensorflow as tf

    return tf.io.encode_png(np.full((*size, channels), value, "uint8")).numpy()


def jpeg(value: int) -> bytes:
    import tensorflow as tf

    return tf.io.encode_jpeg(np.full((16, 16, 3), value, "uint8")).numpy()


BAD_IMAGES = {  # file -> bytes, and the words its problem must hold
    "cats/random.png": (bytes(range(256)) * 2, "not a PNG, JPEG, GIF or BMP image: it starts with bytes 00 01"),
    "cats/empty.png": (b"", "empty file, 0 bytes"),
    "dogs/notes.png": (b"shopping list: milk\n", "holds text, not an image: 'shopping list: milk'"),
    "dogs/deep/truncated.png": (None, "corrupt or truncated PNG data"),
    "dogs/cut.jpg": (None, "corrupt or truncated JPEG data"),
}


def image_folder(root, bad=True, per_class=4):
    """img/cats and img/dogs with `per_class` good images each (and the BAD_IMAGES files when `bad`)."""
    for c, name in enumerate(("cats", "dogs")):
        (root / "img" / name / "deep").mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            (root / "img" / name / f"{i}.png").write_bytes(png(100 * c + i))
    if bad:
        for file, (data, _) in BAD_IMAGES.items():
            if file.endswith("truncated.png"):
                data = png(7, size=(40, 40))[:60]
            elif file.endswith(".jpg"):
                data = jpeg(9)[:100]
            (root / "img" / file).write_bytes(data)
    return "img"


def ref(path, name="image_folder", **options):
    return DatasetRef(name=name, path=path, options=options, validation_split=0.25, seed=0)


# --- image folders ---------------------------------------------------------------------------------------------

def test_bad_images_are_named_with_their_problem_and_the_option(tmp_path):
    image_folder(tmp_path)
    with pytest.raises(DatasetError) as caught:
        load_dataset(ref("img", image_size=[8, 8]), tmp_path)
    message = str(caught.value)
    assert message.startswith(f"5 files in '{tmp_path / 'img'}' cannot be read as images: ")
    for file, (_, problem) in BAD_IMAGES.items():
        assert f"{file} ({problem}" in message, file
    assert "set dataset.options.skip_bad_files to true" in message
    assert "\n" not in message and "Op:" not in message and "function_node" not in message


def test_skipped_images_are_left_out_and_reported(tmp_path, caplog):
    image_folder(tmp_path)
    with caplog.at_level(logging.WARNING):
        data = load_dataset(ref("img", image_size=[8, 8], skip_bad_files=True), tmp_path)
    assert len(data.x_train) + len(data.x_val) == 8 and data.class_names == ["cats", "dogs"]
    everything = np.concatenate([data.x_train, data.x_val])
    assert sorted(set(everything[:, 0, 0, 0].tolist())) == [0, 1, 2, 3, 100, 101, 102, 103]  # the good ones only
    skipped = data.describe().to_dict()["skipped_files"]
    assert [s["file"] for s in skipped] == ["cats/empty.png", "cats/random.png", "dogs/cut.jpg", "dogs/notes.png",
                                            "dogs/deep/truncated.png"]  # Keras's order: class, folder, name
    assert all(BAD_IMAGES[s["file"]][1] in s["problem"] for s in skipped)
    assert "Skipped 5 unreadable files (dataset.options.skip_bad_files): cats/empty.png" in data.description
    assert "skipped 5 unreadable files" in caplog.text and "dogs/cut.jpg" in caplog.text


def test_good_folders_load_as_keras_loads_them(tmp_path):
    import keras

    image_folder(tmp_path, bad=False, per_class=3)
    (tmp_path / "img" / "dogs" / "deep" / "x.gif").write_bytes((tmp_path / "img" / "dogs" / "0.png").read_bytes())
    raw = load_raw(ref("img", image_size=[5, 7]), tmp_path)
    ds = keras.utils.image_dataset_from_directory(str(tmp_path / "img"), image_size=(5, 7), batch_size=None,
                                                  shuffle=False, verbose=False)
    xs, ys = zip(*ds.as_numpy_iterator())
    np.testing.assert_allclose(raw.x, np.stack(xs), rtol=0, atol=1e-4)
    np.testing.assert_array_equal(raw.y, np.array(ys))
    assert raw.skipped == [] and "Skipped" not in raw.description


def test_skip_option_must_be_a_boolean_and_something_must_remain(tmp_path):
    image_folder(tmp_path)
    with pytest.raises(DatasetError, match=r"options.skip_bad_files must be true or false; got 'yes'"):
        load_dataset(ref("img", skip_bad_files="yes"), tmp_path)
    (tmp_path / "only_bad" / "a").mkdir(parents=True)
    (tmp_path / "only_bad" / "a" / "x.png").write_bytes(b"")
    with pytest.raises(DatasetError, match=r"None of the 1 file in .* can be read as images: a/x.png \(empty"):
        load_raw(ref("only_bad", skip_bad_files=True), tmp_path)
    with pytest.raises(DatasetError, match=r"color_mode must be 'rgb', 'rgba' or 'grayscale'; got 'cmyk'"):
        load_raw(ref("img", color_mode="cmyk"), tmp_path)


# --- text folders ----------------------------------------------------------------------------------------------

def test_undecodable_texts_are_named_and_skipped(tmp_path):
    for cls in ("ham", "spam"):
        (tmp_path / "txt" / cls).mkdir(parents=True)
        for i in range(4):
            (tmp_path / "txt" / cls / f"{i}.txt").write_text(f"{cls} message {i} ✓")
    (tmp_path / "txt" / "ham" / "latin1.txt").write_bytes("café crème".encode("latin-1"))
    (tmp_path / "txt" / "spam" / "binary.txt").write_bytes(b"\x01\x02\x00\x00abc")
    (tmp_path / "txt" / "spam" / "utf16.txt").write_text("hello", encoding="utf-16")
    (tmp_path / "txt" / "spam" / "empty.txt").write_bytes(b"")  # empty text is text
    with pytest.raises(DatasetError) as caught:
        load_dataset(ref("txt", "text_folder"), tmp_path)
    message = str(caught.value)
    assert "3 files in" in message and "cannot be read as texts" in message
    assert "ham/latin1.txt (byte 0xe9 at offset 3 (line 1) is not UTF-8 text)" in message
    assert "spam/binary.txt (it holds NUL bytes (the first at offset 2)" in message
    assert "spam/utf16.txt (it is UTF-16 text" in message and "skip_bad_files" in message
    data = load_dataset(ref("txt", "text_folder", skip_bad_files=True), tmp_path)
    texts = sorted(np.concatenate([data.x_train, data.x_val]).tolist())
    assert len(texts) == 9 and "" in texts and all("\ufffd" not in t for t in texts)
    assert [s.file for s in data.skipped] == ["ham/latin1.txt", "spam/binary.txt", "spam/utf16.txt"]


# --- CSV that is not text --------------------------------------------------------------------------------------

@pytest.mark.parametrize("content, problem", [
    (b"a,b\n1,2\n3,\xff4\n", r"byte 0xff at offset 10 \(line 3\) is not UTF-8 text"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "it is a PNG file, not text"),
    (b"PK\x03\x04\x14\x00\x06\x00", r"it is a zip or Excel \.xlsx file, not text"),
    ("a,b\n1,2\n".encode("utf-16"), "it is UTF-16 text"),
    (b"a,b\n1,\x002\n", r"it holds NUL bytes \(the first at offset 6\)"),
])
def test_a_csv_that_is_not_text_says_so(tmp_path, content, problem):
    (tmp_path / "data.csv").write_bytes(content)
    with pytest.raises(DatasetError, match=rf"The CSV file '.*data\.csv' cannot be read as text: {problem}.*"
                                           r"Save it as CSV text in UTF-8"):
        load_raw(DatasetRef(name="csv", path="data.csv"), tmp_path)


def test_a_utf8_csv_with_a_byte_order_mark_still_loads(tmp_path):
    (tmp_path / "d.csv").write_bytes("\ufeffa,b\n1,0\n2,1\n3,0\n4,1\n".encode())
    assert load_raw(DatasetRef(name="csv", path="d.csv"), tmp_path).x.shape == (4, 1)


# --- stray text in a numeric CSV column ------------------------------------------------------------------------

def stray_csv(tmp_path, strays=(5, 17, 103), rows=200):
    rng = np.random.default_rng(0)
    lines = ["x,z,y"] + [f"{rng.normal():.4f},{rng.normal():.4f},{i % 2}" for i in range(rows)]
    for line in strays:  # 1-based file lines; line 1 is the header
        lines[line - 1] = "abc," + lines[line - 1].split(",", 1)[1]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    return "d.csv"


def test_stray_text_in_a_numeric_column_is_reported_as_missing(tmp_path):
    stray_csv(tmp_path)
    with pytest.raises(DatasetError) as caught:
        load_raw(DatasetRef(name="csv", path="d.csv"), tmp_path)
    message = str(caught.value)
    assert "3 missing cells" in message and "'x' (3)" in message
    assert ("Column 'x' is numeric but 3 of its 200 cells are not numbers (row 5 'abc', row 17 'abc', "
            "row 103 'abc'); they count as missing") in message
    assert "dataset.options.missing to 'drop'" in message


def test_stray_cells_follow_the_missing_policy(tmp_path):
    stray_csv(tmp_path)
    dropped = load_raw(DatasetRef(name="csv", path="d.csv", options={"missing": "drop"}), tmp_path)
    assert dropped.x.shape == (197, 2) and dropped.x.dtype == np.float32  # not 195 one-hot columns
    assert "row 17 'abc'" in dropped.description and "rows dropped" in dropped.description
    filled = load_raw(DatasetRef(name="csv", path="d.csv", options={"missing": "mean"}), tmp_path)
    assert filled.x.shape == (200, 2)
    present = np.delete(filled.x[:, 0], [3, 15, 101])  # data rows of file lines 5, 17, 103
    np.testing.assert_allclose(filled.x[[3, 15, 101], 0], present.mean(), rtol=1e-5)
    one_hot = load_raw(DatasetRef(name="csv", path="d.csv", options={"categorical": ["x"]}), tmp_path)
    assert one_hot.x.shape[1] > 150  # asked for: categories stay categories


def test_the_numeric_rule_is_ninety_percent_of_the_present_cells(tmp_path):
    header = "a,y\n"
    (tmp_path / "nine.csv").write_text(header + "".join(f"{v},{i % 2}\n" for i, v in
                                                        enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "x"])))
    raw = load_raw(DatasetRef(name="csv", path="nine.csv", options={"missing": "drop"}), tmp_path)
    assert raw.x.shape == (9, 1) and "row 11 'x'" in raw.description
    (tmp_path / "eight.csv").write_text(header + "".join(f"{v},{i % 2}\n" for i, v in
                                                         enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "x", "y"])))
    raw = load_raw(DatasetRef(name="csv", path="eight.csv"), tmp_path)
    assert raw.x.shape == (10, 10) and "a=x" in raw.description  # 80 %: a text column, one-hot as before


def test_a_mostly_numeric_target_drops_its_stray_rows(tmp_path):
    lines = ["x,y"] + [f"{i},{i * 0.5}" for i in range(40)] + ["40,unknown"]
    (tmp_path / "r.csv").write_text("\n".join(lines))
    raw = load_raw(DatasetRef(name="csv", path="r.csv", options={"missing": "mean", "task": "regression"}),
                   tmp_path)
    assert raw.output == "regression" and len(raw.y) == 40 and "row 42 'unknown'" in raw.description


# --- through the commands: describe and a real training --------------------------------------------------------

def image_project(tmp_path, capsys, **options):
    image_folder(tmp_path)
    path = tmp_path / "p.json"
    assert main(["new", "digits_cnn", "-o", str(path)]) == 0
    data = json.loads(path.read_text())
    data["dataset"] = {"name": "image_folder", "path": "img", "validation_split": 0.25, "seed": 0,
                       "options": {"image_size": [8, 8], "color_mode": "grayscale", **options}}
    data["training"].update(epochs=1, batch_size=4)
    for node in data["graph"]["nodes"]:
        if node.get("params", {}).get("units") == 10:
            node["params"]["units"] = 2
    path.write_text(json.dumps(data))
    capsys.readouterr()
    return path


def test_describe_and_train_skip_bad_images_and_report_them(tmp_path, capsys, caplog):
    path = image_project(tmp_path, capsys, skip_bad_files=True)
    assert main(["datasets", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["train_size"] + info["validation_size"] == 8
    assert {s["file"] for s in info["skipped_files"]} == set(BAD_IMAGES)
    run = tmp_path / "run"
    with caplog.at_level(logging.WARNING):
        assert main(["train", str(path), "--run-dir", str(run)]) == 0
    assert "epoch 1/1" in capsys.readouterr().out
    assert "skipped 5 unreadable files" in caplog.text and "dogs/notes.png" in caplog.text
    record = json.loads((run / "run.json").read_text())
    assert {s["file"] for s in record["dataset"]["skipped_files"]} == set(BAD_IMAGES)
    assert record["dataset"]["train_size"] + record["dataset"]["validation_size"] == 8


def test_train_without_the_option_names_the_files_and_the_option(tmp_path, capsys):
    path = image_project(tmp_path, capsys)
    assert main(["train", str(path), "--run-dir", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: 5 files in") and "cats/empty.png (empty file, 0 bytes)" in err
    assert "skip_bad_files" in err and "Traceback" not in err
