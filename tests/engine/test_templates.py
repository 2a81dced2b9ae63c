"""Every shipped template: a valid graph that fits its dataset and builds the Keras model it describes."""
from __future__ import annotations

import pytest

from builder.data import check_against_dataset, load_project_dataset
from builder.model import build_model
from builder.model import infer_shapes
from builder.project import list_templates, load_template

NAMES = [t.name for t in list_templates()]


def test_the_gallery_has_an_image_template_sized_for_a_phone():
    assert {"digits_cnn", "shapes_cnn"} <= set(NAMES)
    assert all(t.description for t in list_templates())


@pytest.mark.parametrize("name", NAMES)
def test_template_is_valid_fits_its_dataset_and_builds(name):
    project = load_template(name)
    report = infer_shapes(project.graph)
    assert report.valid, report.summary()
    data = load_project_dataset(project)
    assert check_against_dataset(project, data.describe(), report) == []
    model = build_model(project.graph, name=project.name)
    assert model.count_params() == report.total_params
    assert tuple(model.inputs[0].shape[1:]) == data.input_shape
    assert model.outputs[0].shape[-1] == data.num_classes


def test_shapes_cnn_is_a_mobile_style_cnn():
    project = load_template("shapes_cnn")
    types = [project.graph.nodes[n].type for n in project.graph.nodes]
    assert types.count("Conv2D") == 3 and types.count("BatchNormalization") == 3
    assert "GlobalAveragePooling2D" in types
    assert 80_000 < infer_shapes(project.graph).total_params < 150_000
