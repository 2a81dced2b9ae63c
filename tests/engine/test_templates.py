"""Every shipped template: a valid graph that fits its dataset and builds the Keras model it describes, with the
gallery's fields filled in; and the gallery covers every classic architecture issue 17 names."""
from __future__ import annotations

import json

import pytest

from builder.data import check_against_dataset, load_project_dataset
from builder.model import build_model
from builder.model import infer_shapes
from builder.project import TASKS, TEMPLATES_DIR, list_templates, load_template, read_numbers

TEMPLATES = list_templates()
NAMES = [t.name for t in TEMPLATES]

# The seed architectures of the gallery, each with the template that teaches it.
SEED_ARCHITECTURES = {
    "tabular MLP with Normalization": "wine_mlp",
    "digits CNN": "digits_cnn",
    "digits CNN with augmentation": "digits_cnn_augmented",
    "MNIST-1D as an MLP": "mnist1d_mlp",
    "MNIST-1D as a 1-D CNN": "mnist1d_cnn",
    "MNIST-1D as a GRU": "mnist1d_gru",
    "ResNet-style CNN": "shapes_resnet",
    "MobileNetV2-style CNN": "shapes_mobilenetv2",
    "U-Net segmentation": "shapes_unet",
    "stacked bidirectional LSTM": "sequences_lstm",
    "LSTM forecaster": "sine_lstm_forecaster",
    "Transformer text classifier": "text_transformer",
    "tiny Vision Transformer": "digits_vit",
    "dense autoencoder": "digits_dense_autoencoder",
    "convolutional autoencoder": "digits_conv_autoencoder",
    "multi-input / multi-output": "digits_two_heads",
    "transfer learning": "shapes_transfer_mobilenetv2",
}


def test_the_gallery_holds_every_seed_architecture_and_at_least_20_templates():
    missing = {what: name for what, name in SEED_ARCHITECTURES.items() if name not in NAMES}
    assert not missing, f"no template for: {missing}"
    assert len(TEMPLATES) >= 20, NAMES


@pytest.mark.parametrize("info", TEMPLATES, ids=NAMES)
def test_template_says_what_it_teaches(info):
    assert info.task in TASKS, f"{info.name}: gallery.task {info.task!r} is not one of {TASKS}"
    assert info.title and info.architecture and info.dataset
    assert info.teaches.endswith(".") and len(info.teaches) < 200, info.teaches
    assert len(info.description) > 100, f"{info.name}: the description should say why its blocks are there"


@pytest.mark.parametrize("name", NAMES)
def test_template_is_valid_fits_its_dataset_and_builds(name):
    project = load_template(name)
    report = infer_shapes(project.graph)
    assert report.valid, report.summary()
    data = load_project_dataset(project)
    assert check_against_dataset(project, data.describe(), report) == []
    model = build_model(project.graph, name=project.name)
    assert model.count_params() == report.total_params
    # The gallery's numbers are this template's: a template changed since bench/templates.py measured it fails here
    # (run `python bench/templates.py --templates NAME` again).
    measured = read_numbers().get(name, {})
    assert measured.get("parameters") == report.total_params, f"{name}: numbers.json is stale or missing"
    assert isinstance(measured.get("value"), float) and measured.get("epochs") == project.training.epochs


def test_the_measured_numbers_belong_to_shipped_templates():
    """bench/templates.py writes templates/gallery/numbers.json; a renamed template must not leave stale rows."""
    raw = json.loads((TEMPLATES_DIR / "gallery" / "numbers.json").read_text())
    assert isinstance(raw["templates"], dict)
    assert set(read_numbers()) == set(NAMES)


def test_shapes_cnn_is_a_mobile_style_cnn():
    project = load_template("shapes_cnn")
    types = [project.graph.nodes[n].type for n in project.graph.nodes]
    assert types.count("Conv2D") == 3 and types.count("BatchNormalization") == 3
    assert "GlobalAveragePooling2D" in types
    assert 80_000 < infer_shapes(project.graph).total_params < 150_000


def test_saving_a_template_keeps_its_gallery_section_and_a_new_project_has_none(tmp_path):
    """`layout` or `rename` of a template file keeps its card text; `new` makes the user's own project."""
    from builder.cli import main
    from builder.project import load_project, save_project, template_path

    copy = tmp_path / "shapes_cnn.json"
    copy.write_text(template_path("shapes_cnn").read_text())
    assert main(["layout", str(copy)]) == 0
    assert json.loads(copy.read_text())["gallery"] == json.loads(template_path("shapes_cnn").read_text())["gallery"]
    assert load_project(copy).gallery["task"] == "image"
    made = tmp_path / "mine.json"
    assert main(["new", "shapes_cnn", "-o", str(made)]) == 0
    assert "gallery" not in json.loads(made.read_text())
    bad = json.loads(copy.read_text())
    bad["gallery"] = ["not", "an", "object"]
    copy.write_text(json.dumps(bad))
    from builder.errors import ProjectFileError

    with pytest.raises(ProjectFileError, match="gallery"):
        load_project(copy)
    save_project(load_template("shapes_cnn"), made)
    assert "gallery" not in json.loads(made.read_text())


@pytest.mark.parametrize("content", ["not json", "[]", '{"templates": []}', '{"templates": {"digits_cnn": 3}}'])
def test_a_broken_numbers_file_leaves_the_cards_unmeasured(tmp_path, content):
    from builder.project import template_path

    (tmp_path / "digits_cnn.json").write_text(template_path("digits_cnn").read_text())
    (tmp_path / "gallery").mkdir()
    (tmp_path / "gallery" / "numbers.json").write_text(content)
    (info,) = list_templates(tmp_path)
    assert info.name == "digits_cnn" and info.numbers == {}
    assert all(info.to_dict()[key] is None for key in ("parameters", "value", "train_seconds"))


def test_the_distillation_template_student_is_at_most_a_quarter_of_its_teacher():
    """Issue 18: distillation of a CNN into a model at most a quarter of its size (counted from both graphs)."""
    from builder.model import infer_shapes

    student = load_template("digits_distillation")
    teacher = load_template(student.training.recipe["teacher"].removeprefix("template:"))
    assert infer_shapes(student.graph).total_params <= infer_shapes(teacher.graph).total_params / 4
