"""A project reads only what is inside its folder: node file parameters (a lookup's vocabulary), HDF5 objects that
read other files, and non-regular files (FIFOs, devices) on every path that reads a user's file."""
import json
import os
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

from builder.errors import DatasetError, GraphError, LayerboardError, ProjectFileError  # noqa: E402
from builder.file_checks import open_hdf5, require_regular_file  # noqa: E402
from builder.graph import Graph  # noqa: E402
from builder.project import DatasetRef, load_project  # noqa: E402

WORDS = ["cat", "dog", "fish"]


def finishes(call, seconds=60.0):
    """Run `call` in a thread; return what it raised (or None). A call still blocked after `seconds` fails
    the test instead of hanging it."""
    outcome = {}

    def target():
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome["exc"] = exc
        outcome["done"] = True

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome.get("done"), f"{call} still blocked after {seconds} s"
    return outcome.get("exc")


def lookup_project(folder: Path, vocabulary) -> Path:
    """A project: a string Input into a StringLookup (multi-hot, so its width is the vocabulary's size + 1)."""
    data = {
        "format": "layerboard-project", "version": 1, "name": "words",
        "graph": {
            "nodes": [
                {"id": "text", "type": "Input", "params": {"shape": [1], "dtype": "string"}},
                {"id": "lookup", "type": "StringLookup",
                 "params": {"vocabulary": vocabulary, "output_mode": "multi_hot"}},
                {"id": "out", "type": "Dense", "params": {"units": 2, "activation": "softmax"}, "output": True},
            ],
            "edges": [{"source": "text", "target": "lookup"}, {"source": "lookup", "target": "out"}],
        },
    }
    path = folder / "words.json"
    path.write_text(json.dumps(data))
    return path


# --- 1. node file parameters ------------------------------------------------------------------------------

def test_vocabulary_file_inside_the_folder_is_read_from_any_cwd(tmp_path, monkeypatch):
    from builder.export import python_source
    from builder.model import build_model, infer_shapes

    folder = tmp_path / "project"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "vocab.txt").write_text("\n".join(WORDS) + "\n")
    path = lookup_project(folder, "data/vocab.txt")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "data").mkdir()
    (elsewhere / "data" / "vocab.txt").write_text("wrong\nfile\n")  # the cwd's file must not be the one read
    monkeypatch.chdir(elsewhere)
    project = load_project(path)
    report = infer_shapes(project.graph, project.folder())
    assert report.valid, report.summary()
    assert report.nodes["lookup"].shape == (None, len(WORDS) + 1)
    model = build_model(project.graph, folder=project.folder())
    assert model.get_layer("lookup").get_vocabulary() == ["[UNK]"] + WORDS
    source = python_source(project)  # the script reads the same, checked file
    assert f'vocabulary="{(folder / "data" / "vocab.txt").resolve()}"' in source


@pytest.mark.parametrize("vocabulary, problem", [
    ("/etc/passwd", "absolute path '/etc/passwd'"),
    ("../x.txt", "outside the project's folder"),
    ("link.txt", "outside the project's folder"),  # a symbolic link to /etc/passwd
])
def test_vocabulary_outside_the_folder_is_refused_at_load(tmp_path, vocabulary, problem):
    folder = tmp_path / "project"
    folder.mkdir()
    (tmp_path / "x.txt").write_text("secret\n")
    (folder / "link.txt").symlink_to("/etc/passwd")
    path = lookup_project(folder, vocabulary)
    with pytest.raises(ProjectFileError, match="graph.nodes\\[1\\].params.vocabulary \\(node 'lookup'\\)") as info:
        load_project(path)
    assert problem in str(info.value)


@pytest.mark.parametrize("vocabulary", ["/etc/passwd", "../x.txt", "link.txt"])
def test_shape_inference_and_build_refuse_a_vocabulary_outside_the_folder(tmp_path, vocabulary):
    """A graph changed after loading (the window's inspector) meets the same check where Keras is called."""
    from builder.model import build_model, infer_shapes

    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "vocab.txt").write_text("\n".join(WORDS))
    (tmp_path / "x.txt").write_text("secret\n")
    (folder / "link.txt").symlink_to("/etc/passwd")
    project = load_project(lookup_project(folder, "vocab.txt"))
    project.graph.set_param("lookup", "vocabulary", vocabulary)
    error = infer_shapes(project.graph, project.folder()).nodes["lookup"].error
    assert "Node 'lookup' (StringLookup), parameter vocabulary" in error
    assert "outside the project's folder" in error or "absolute path" in error
    with pytest.raises(GraphError, match="lookup"):
        build_model(project.graph, folder=project.folder())


def test_the_tflite_check_reads_a_vocabulary_file_from_the_project_folder(tmp_path, monkeypatch):
    """check --target converts each node in a worker process: the worker reads the file where the project is."""
    from builder.export import CompatibilityChecker

    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "vocab.txt").write_text("\n".join(WORDS) + "\n")
    project = load_project(lookup_project(folder, "vocab.txt"))
    monkeypatch.chdir(tmp_path)
    checker = CompatibilityChecker(cache_path=tmp_path / "cache.json")
    answers = {a.node_id: a for a in checker.check_project(project, "tflite")}
    assert answers["lookup"].status in ("builtin", "select_tf_ops"), answers["lookup"].message
    assert "folder" not in (answers["lookup"].message or "")


def test_a_graph_without_a_folder_reads_no_file(tmp_path):
    from builder.model import infer_shapes

    (tmp_path / "vocab.txt").write_text("\n".join(WORDS))
    graph = Graph()
    graph.add_node("Input", {"shape": [1], "dtype": "string"}, node_id="text")
    graph.add_node("StringLookup", {"vocabulary": str(tmp_path / "vocab.txt")}, node_id="lookup")
    graph.connect("text", "lookup")
    error = infer_shapes(graph).nodes["lookup"].error
    assert "names a file, and a file is read only inside a project's folder" in error
    graph.set_param("lookup", "vocabulary", WORDS)  # a list is no file: fine without a folder
    assert infer_shapes(graph).valid


def test_check_and_export_refuse_a_vocabulary_outside_the_folder(tmp_path, capsys):
    from builder.cli import main

    folder = tmp_path / "project"
    folder.mkdir()
    path = lookup_project(folder, "/etc/passwd")
    for command in (["check", str(path)], ["export", str(path), "--format", "python", "-o", str(tmp_path / "m.py")]):
        code = main(command)
        err = capsys.readouterr().err
        assert code != 0 and "vocabulary" in err and "/etc/passwd" in err and "root:" not in err
    assert not (tmp_path / "m.py").exists()


# --- 2. HDF5 objects that read other files ---------------------------------------------------------------

def _external_link(path: Path, outside: Path, name: str = "/dense/0") -> str:
    with h5py.File(outside, "w") as f:
        f["secret"] = np.arange(4.0)
    with h5py.File(path, "a") as f:
        f[name] = h5py.ExternalLink(str(outside), "/secret")
    return name


def _external_storage(path: Path, outside: Path, name: str = "/dense/0") -> str:
    np.arange(4, dtype="<f8").tofile(outside)
    with h5py.File(path, "a") as f:
        f.create_dataset(name, shape=(4,), dtype="<f8", external=[(str(outside), 0, 32)])
    return name


def _virtual(path: Path, outside: Path, name: str = "/dense/0") -> str:
    with h5py.File(outside, "w") as f:
        f["secret"] = np.arange(4.0)
    layout = h5py.VirtualLayout(shape=(4,), dtype="f8")
    layout[:] = h5py.VirtualSource(str(outside), "secret", shape=(4,))
    with h5py.File(path, "a") as f:
        f.create_virtual_dataset(name, layout)
    return name


HOSTILE = {"an external link": _external_link, "external storage": _external_storage, "a virtual dataset": _virtual}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_open_hdf5_refuses_objects_that_read_other_files(tmp_path, kind):
    path = tmp_path / "file.h5"
    with h5py.File(path, "w") as f:
        f["fine"] = np.zeros(3)
    name = HOSTILE[kind](path, tmp_path / "outside.bin")
    with pytest.raises(LayerboardError, match=f"'{name}'") as info:
        open_hdf5(path, "test file")
    assert "outside.bin" in str(info.value) and "Copy the data into this file" in str(info.value)


def test_open_hdf5_accepts_plain_files_with_soft_links_and_shared_groups(tmp_path):
    path = tmp_path / "ok.h5"
    with h5py.File(path, "w") as f:
        f["a/b"] = np.ones(2)
        f["alias"] = h5py.SoftLink("/a/b")
        f["same"] = f["a"]  # a second hard link to one group
    with open_hdf5(path, "test file") as handle:
        assert handle["alias"][()].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_weights_file_with_outside_data_is_refused(tmp_path, kind):
    import keras

    from builder.model import load_node_weights, save_node_weights

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, name="dense")])
    path = tmp_path / "p.weights.h5"
    save_node_weights(model, path)
    with h5py.File(path, "a") as f:
        del f["dense/0"]
    name = HOSTILE[kind](path, tmp_path / "outside.bin")
    with pytest.raises(LayerboardError, match=f"weights file .*'{name}'.*remove the \"weights\" entry"):
        load_node_weights(model, path)


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hdf5_dataset_with_outside_data_is_refused(tmp_path, kind):
    from builder.data import LazyArray, load_raw

    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.zeros((4, 4), "float32")
        f["y"] = np.array([0, 1, 0, 1])
    lazy = LazyArray(path, "x")  # described before the file was changed
    assert lazy.read([0]).shape == (1, 4)
    HOSTILE[kind](path, tmp_path / "outside.bin")  # an object the dataset does not use: the whole file is checked
    with pytest.raises(DatasetError, match="'/dense/0'"):
        load_raw(DatasetRef(name="hdf5", path="data.h5"), tmp_path)
    with h5py.File(path, "a") as f:
        del f["x"]
    HOSTILE[kind](path, tmp_path / "outside2.bin", "/x")  # x itself swapped after it was described
    with pytest.raises(DatasetError, match="'/x'"):
        lazy.read([0])
    with pytest.raises(DatasetError, match="'/x'"):
        LazyArray(path, "x")


def test_one_object_check_follows_soft_links(tmp_path):
    path = tmp_path / "file.h5"
    with h5py.File(path, "w") as f:
        f["data/x"] = np.zeros(3)
        f["alias"] = h5py.SoftLink("/data/x")
        f["via"] = h5py.SoftLink("/ext/secret")
        f["loop"] = h5py.SoftLink("/loop")
    _external_link(path, tmp_path / "outside.h5", "/ext")
    with open_hdf5(path, "test file", only="alias") as handle:
        assert handle["alias"].shape == (3,)
    with pytest.raises(LayerboardError, match="'/ext' is an external link"):
        open_hdf5(path, "test file", only="via/")
    with pytest.raises(LayerboardError, match="soft links that loop"):
        open_hdf5(path, "test file", only="loop")


def _keras_model():
    import keras

    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="dense")])


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_h5_model_file_with_outside_data_is_refused_by_import(tmp_path, kind):
    from builder.importer import import_model

    path = tmp_path / "model.h5"
    _keras_model().save(path)
    HOSTILE[kind](path, tmp_path / "outside.bin")
    with pytest.raises(LayerboardError, match="'/dense/0'"):
        import_model(path, tmp_path / "p.json")
    assert not (tmp_path / "p.json").exists()


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_weights_inside_a_keras_archive_with_an_external_link_are_refused(tmp_path, compression):
    from builder.model import UnreadableModelError, load_model_safely

    path = tmp_path / "model.keras"
    _keras_model().save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    inner = tmp_path / "inner.h5"
    inner.write_bytes(members["model.weights.h5"])
    _external_link(inner, tmp_path / "outside.h5")
    members["model.weights.h5"] = inner.read_bytes()
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(UnreadableModelError, match="model.weights.h5.*'/dense/0' is an external link"):
        load_model_safely(path)


def test_a_plain_keras_archive_still_loads(tmp_path):
    from builder.model import load_model_safely

    path = tmp_path / "model.keras"
    _keras_model().save(path)
    assert load_model_safely(path).count_params() == 10


# --- 3. FIFOs and devices --------------------------------------------------------------------------------

def test_require_regular_file_names_the_kind(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(LayerboardError, match="FIFO"):
        require_regular_file(tmp_path / "pipe", "test file")
    with pytest.raises(LayerboardError, match="character device"):
        require_regular_file("/dev/zero", "test file")
    with pytest.raises(LayerboardError, match="folder"):
        require_regular_file(tmp_path, "test file")
    (tmp_path / "ok").write_text("x")
    assert require_regular_file(tmp_path / "ok", "test file") == tmp_path / "ok"


def test_fifo_and_device_paths_are_refused_at_once(tmp_path):
    from builder.data import load_raw
    from builder.importer import import_model
    from builder.model import load_node_weights
    from builder.training.prediction import load_input

    os.mkfifo(tmp_path / "pipe.json")
    os.mkfifo(tmp_path / "pipe.csv")
    os.mkfifo(tmp_path / "pipe.h5")
    os.mkfifo(tmp_path / "pipe.npy")
    os.mkfifo(tmp_path / "model.keras")
    (tmp_path / "images" / "cats").mkdir(parents=True)
    os.mkfifo(tmp_path / "images" / "cats" / "one.png")
    (tmp_path / "vocab").mkdir()
    os.mkfifo(tmp_path / "vocab" / "words.txt")
    cases = {
        "project FIFO": lambda: load_project(tmp_path / "pipe.json"),
        "project device": lambda: load_project("/dev/zero"),
        "CSV dataset": lambda: load_raw(DatasetRef(name="csv", path="pipe.csv"), tmp_path),
        "HDF5 dataset": lambda: load_raw(DatasetRef(name="hdf5", path="pipe.h5"), tmp_path),
        "image in a folder dataset": lambda: load_raw(DatasetRef(name="image_folder", path="images"), tmp_path),
        "weights": lambda: load_node_weights(None, tmp_path / "pipe.h5"),
        "model to import": lambda: import_model(tmp_path / "model.keras", tmp_path / "p.json"),
        "model device": lambda: import_model("/dev/zero", tmp_path / "p.json"),
        "predict input": lambda: load_input(tmp_path / "pipe.npy", (4,)),
    }
    for what, call in cases.items():
        exc = finishes(call)
        assert isinstance(exc, LayerboardError) and "not a regular file" in str(exc), (what, exc)
    from builder.model import infer_shapes

    project = load_project(lookup_project(tmp_path / "vocab", "words.txt"))
    error = {}
    assert finishes(lambda: error.update(e=infer_shapes(project.graph, project.folder()).nodes["lookup"].error)) is None
    assert "FIFO" in error["e"] and "vocabulary" in error["e"]


def test_link_out_of_a_folder_dataset_is_refused(tmp_path):
    from builder.data import load_raw

    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "a.txt").write_text("secret")
    (tmp_path / "project" / "texts" / "pos").mkdir(parents=True)
    (tmp_path / "project" / "texts" / "pos" / "a.txt").symlink_to(tmp_path / "outside" / "a.txt")
    with pytest.raises(DatasetError, match="outside the project's folder"):
        load_raw(DatasetRef(name="text_folder", path="texts"), tmp_path / "project")


# --- 4. what the importer refused ------------------------------------------------------------------------

def _vocabulary_file_model(tmp_path: Path) -> Path:
    """A .keras file whose StringLookup names /etc/passwd as its vocabulary (its only problem)."""
    import keras

    inputs = keras.Input((1,), dtype="string")
    model = keras.Model(inputs, keras.layers.StringLookup(vocabulary=WORDS, name="words")(inputs))
    path = tmp_path / "vocab.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "StringLookup":
            layer["config"]["vocabulary"] = "/etc/passwd"
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_import_of_a_model_naming_a_vocabulary_file_says_so(tmp_path):
    from builder.importer import import_model

    path = _vocabulary_file_model(tmp_path)
    with pytest.raises(LayerboardError) as info:
        import_model(path, tmp_path / "p.json")
    message = str(info.value)
    assert "StringLookup 'words' reads its vocabulary from '/etc/passwd'" in message
    assert "Lambda" not in message and "as a list" in message


def test_safe_load_says_what_keras_refused(tmp_path):
    from builder.model import UnreadableModelError, load_model_safely

    with pytest.raises(UnreadableModelError) as info:
        load_model_safely(_vocabulary_file_model(tmp_path))
    assert not info.value.refused_code
    assert info.value.refused == "a vocabulary file outside the model file ('/etc/passwd')"


@pytest.mark.parametrize("path, problem", [("/etc/passwd", "absolute path '/etc/passwd'"),
                                           ("../data.csv", "outside the project's folder")])
def test_project_validation_refuses_a_dataset_path_outside_the_folder(tmp_path, path, problem):
    """`check` and every export validate the project before any data is read."""
    from builder.project import load_template, project_problems

    project = load_template("digits_cnn")
    project.path = tmp_path / "p.json"
    project.dataset.name, project.dataset.path = "csv", path
    found = [p for p in project_problems(project) if p.startswith("dataset.path:")]
    assert len(found) == 1 and problem in found[0]
    project.dataset.path = "data.csv"  # inside: fine (whether it exists is the loader's business)
    assert not [p for p in project_problems(project) if p.startswith("dataset.path:")]


def test_a_link_back_up_a_folder_dataset_is_walked_once(tmp_path):
    from builder.file_checks import require_regular_tree

    (tmp_path / "texts" / "pos").mkdir(parents=True)
    (tmp_path / "texts" / "pos" / "a.txt").write_text("fine")
    (tmp_path / "texts" / "pos" / "again").symlink_to(tmp_path / "texts")  # a loop, inside the folder
    assert finishes(lambda: require_regular_tree(tmp_path / "texts", "text folder", inside=tmp_path)) is None
    (tmp_path / "texts" / "pos" / "gone.txt").symlink_to(tmp_path / "missing.txt")
    with pytest.raises(LayerboardError, match="gone.txt' does not exist"):
        require_regular_tree(tmp_path / "texts", "text folder", inside=tmp_path)
