import json

import pytest

from builder.errors import ProjectFileError
from builder.project import load_project, project_to_dict, save_project


def test_save_load_round_trip(tmp_path, digits_project):
    path = save_project(digits_project, tmp_path / "p.json")
    loaded = load_project(path)
    assert project_to_dict(loaded) == project_to_dict(digits_project)
    assert json.loads(path.read_text())["format"] == "layerboard-project"
    assert json.loads(path.read_text())["version"] == 1
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_failed_save_keeps_the_previous_file(tmp_path, digits_project):
    path = save_project(digits_project, tmp_path / "p.json")
    before = path.read_text()
    digits_project.graph.nodes["digit"].params["units"] = object()  # not JSON
    with pytest.raises(TypeError):
        save_project(digits_project, path)
    assert path.read_text() == before
    assert list(tmp_path.iterdir()) == [path]


def _write(tmp_path, data):
    p = tmp_path / "bad.json"
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return p


def _valid():
    return {"format": "layerboard-project", "version": 1,
            "graph": {"nodes": [{"id": "x", "type": "Input", "params": {"shape": [2]}}], "edges": []}}


@pytest.mark.parametrize(
    "mutate, place, problem",
    [
        (lambda d: d.update(version=7), "version", "unsupported version 7"),
        (lambda d: d.update(format="something"), "format", "not a Layerboard project"),
        (lambda d: d["graph"]["nodes"][0].update(type="Conv9D"), "graph.nodes[0].type", "unknown block type 'Conv9D'"),
        (lambda d: d["graph"]["edges"].append({"source": "x", "target": "ghost"}), "graph.edges[0].target", "no node has the id 'ghost'"),
        (lambda d: d["graph"].update(nodes="oops"), "graph.nodes", "expected a list"),
        (lambda d: d.update(training={"epochz": 3}), "training.epochz", "unknown setting"),
        (lambda d: d["graph"]["nodes"][0].update(position=[1]), "graph.nodes[0].position", "expected [x, y]"),
        (lambda d: d["graph"]["nodes"][0].update(position=[float("nan"), 0]), "graph.nodes[0].position",
         "expected finite numbers"),
        (lambda d: d["graph"]["nodes"][0].update(position=[0, 1e308]), "graph.nodes[0].position",
         "expected finite numbers"),
        (lambda d: d["graph"]["nodes"][0].update(position=[True, 0]), "graph.nodes[0].position", "expected [x, y]"),
        (lambda d: d.update(weights="m.weights.h5", weight_groups={"ghost": "dense"}), "weight_groups",
         "not a node of the graph"),
    ],
)
def test_malformed_files_name_file_place_and_problem(tmp_path, mutate, place, problem):
    data = _valid()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    message = str(info.value)
    assert str(path) in message and place in message and problem in message


def test_bad_json_names_line_and_column(tmp_path):
    path = _write(tmp_path, '{"format": "layerboard-project",\n  "version": 1,,\n}')
    with pytest.raises(ProjectFileError, match=r"line 2, column 16: malformed JSON"):
        load_project(path)


def test_missing_file(tmp_path):
    with pytest.raises(ProjectFileError, match="file not found"):
        load_project(tmp_path / "nope.json")
