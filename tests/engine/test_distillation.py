"""The distillation recipe (issue 18): a small MLP student learns from a CNN teacher's softened outputs and the
digits' labels; its settings and graph are checked by key and by node, it resumes exactly, and the student ships
(TFLite full int8, verified on the project's validation data)."""
from __future__ import annotations

import math
import shutil

import numpy as np
import pytest

from builder.export import ExportOptions, export_model
from builder.graph import Graph
from builder.project import DatasetRef, Project, TrainingConfig
from builder.training import Trainer, settings_problems
from builder.training.recipes import model_part, register_keras_objects
from builder.training.trained_model import load_model
from recipe_projects import small

DISTILLATION = {"name": "distillation", "teacher": "teacher.keras", "temperature": 4.0, "alpha": 0.1}


def chain(graph: Graph, nodes) -> Graph:
    for type_, params, node_id in nodes:
        graph.add_node(type_, params, node_id=node_id)
    for (_, _, source), (_, _, target) in zip(nodes, nodes[1:]):
        graph.connect(source, target)
    return graph


def classifier(hidden, image=(8, 8, 1), classes=10) -> Graph:
    return chain(Graph(), [("Input", {"shape": list(image)}, "image"), ("Rescaling", {"scale": 1 / 16}, "rescaling"),
                           *hidden, ("Dense", {"units": classes, "activation": "softmax"}, "digit")])


def student_project(folder, image=(8, 8, 1), classes=10, **recipe) -> Project:
    graph = classifier([("Flatten", {}, "flatten"), ("Dense", {"units": 32, "activation": "relu"}, "dense")],
                       image, classes)
    training = TrainingConfig(epochs=4, learning_rate=0.01, tensorboard=False, recipe={**DISTILLATION, **recipe})
    return Project(graph=graph, dataset=DatasetRef(name="digits"), name="student", training=training,
                   path=folder / "student.json")


def recipe_lines(project: Project) -> list[str]:
    return [line for line in settings_problems(project, data=False) if line.startswith("training.recipe")]


@pytest.fixture(scope="module")
def teacher_folder(tmp_path_factory):
    """A folder holding teacher.keras (a small CNN trained 2 epochs on 256 digits) and its run folder."""
    folder = tmp_path_factory.mktemp("distillation")
    graph = classifier([("Conv2D", {"filters": 8, "kernel_size": 3, "activation": "relu"}, "conv"),
                        ("Flatten", {}, "flatten")])
    teacher = Project(graph=graph, dataset=DatasetRef(name="digits"), name="teacher",
                      training=TrainingConfig(epochs=3, learning_rate=0.01, tensorboard=False))
    result = Trainer(teacher, run_dir=folder / "teacher_run", dataset=small(teacher)).run()
    assert result.history["val_accuracy"][-1] > 0.5, result.history
    shutil.copy(result.model_path, folder / "teacher.keras")
    return folder


@pytest.fixture(scope="module")
def trained_student(teacher_folder):
    project = student_project(teacher_folder)
    result = Trainer(project, run_dir=teacher_folder / "student_run", dataset=small(project)).run()
    return project, result


def test_the_student_trains_on_labels_and_the_teacher_with_finite_falling_losses(trained_student):
    _, result = trained_student
    history = result.history
    for key in ("loss", "student_loss", "distillation_loss", "accuracy", "val_loss", "val_student_loss",
                "val_distillation_loss", "val_accuracy"):
        assert len(history[key]) == 4 and all(math.isfinite(v) for v in history[key]), key
    assert history["loss"][-1] < history["loss"][0]
    assert history["distillation_loss"][0] > 0
    # loss = alpha · student_loss + (1 - alpha) · distillation_loss (the epoch means mix the same way)
    assert history["val_loss"][-1] == pytest.approx(0.1 * history["val_student_loss"][-1]
                                                    + 0.9 * history["val_distillation_loss"][-1], rel=1e-4)
    assert history["val_accuracy"][-1] > 0.3, history  # chance is 0.1


def test_a_resumed_distillation_is_exactly_the_uninterrupted_one(trained_student, tmp_path):
    project, uninterrupted = trained_student
    data = small(project)
    run = project.folder() / "resumed_run"
    Trainer(project, run_dir=run, epochs=2, dataset=data).run()
    teacher = project.folder() / "teacher.keras"
    shutil.copy(teacher, project.folder() / "kept.keras")
    changed = load_model(teacher)  # the teacher's file changes: the checkpoint holds the teacher it started with
    changed.set_weights([w * 0.5 for w in changed.get_weights()])
    teacher.unlink()
    changed.save(teacher)
    try:
        resumed = Trainer(project, run_dir=run, epochs=4, dataset=data, resume=True).run()
    finally:
        shutil.move(project.folder() / "kept.keras", teacher)
    assert resumed.history["loss"] == uninterrupted.history["loss"][2:]
    assert resumed.history["distillation_loss"] == uninterrupted.history["distillation_loss"][2:]
    register_keras_objects()
    one, other = load_model(uninterrupted.model_path), load_model(resumed.model_path)
    assert type(one).__name__ == "DistillationModel"
    assert all(np.array_equal(a, b) for a, b in zip(one.get_weights(), other.get_weights()))


def test_the_student_ships_and_exports_to_full_int8_tflite_verified_on_the_validation_data(trained_student,
                                                                                            tmp_path):
    project, result = trained_student
    register_keras_objects()
    student, part = model_part(project, load_model(result.model_path))
    assert part == "student" and student.outputs[0].shape[1:] == (10,)
    report = export_model(student, "tflite", tmp_path / "student.tflite", project=project,
                          options=ExportOptions(quantization="int8", max_accuracy_drop=10))
    summary = report.to_dict()
    assert (tmp_path / "student.tflite").stat().st_size > 0
    # verified against the validation labels (not N(0, 1) noise), full int8, calibrated on the training samples
    assert summary["verified"] and summary["samples_source"] == "'digits' validation", summary
    assert "TFLITE_BUILTINS_INT8" in summary["converter_options"] and summary["accuracy_export"] > 0.3, summary


def test_a_run_folder_is_a_teacher_and_a_missing_one_is_named_with_the_fix(teacher_folder):
    assert recipe_lines(student_project(teacher_folder, teacher="teacher_run")) == []
    lines = recipe_lines(student_project(teacher_folder, teacher="nowhere.keras"))
    assert len(lines) == 1 and lines[0].startswith("training.recipe: teacher: ") and "nowhere.keras not found; " \
        "train the teacher first" in lines[0], lines
    (teacher_folder / "broken.keras").write_text("not a model")
    lines = recipe_lines(student_project(teacher_folder, teacher="broken.keras"))
    assert len(lines) == 1 and "broken.keras" in lines[0] and "cannot load" in lines[0], lines
    lines = recipe_lines(student_project(teacher_folder, teacher="../elsewhere.keras"))
    assert len(lines) == 1 and "outside the project's folder" in lines[0], lines


def test_a_student_that_does_not_fit_the_teacher_gets_one_message_per_node(teacher_folder):
    assert recipe_lines(student_project(teacher_folder, classes=4)) == [
        "training.recipe: node 'digit': the student gives (4,) but the teacher gives 10 class probabilities; "
        "give it 10 units (softmax)"]
    assert recipe_lines(student_project(teacher_folder, image=(64,))) == [
        "training.recipe: node 'image': the student's Input has shape (64,) but the teacher takes (8, 8, 1); both "
        "must read the dataset's samples"]


@pytest.mark.parametrize("recipe, words", [
    ({"teacher": None}, "training.recipe.teacher: the distillation recipe needs it: the trained teacher"),
    ({"teacher": 3}, "training.recipe.teacher: must be a path (a string); got 3"),
    ({"temperature": 0}, "training.recipe.temperature: must be a finite number above 0; got 0"),
    ({"alpha": 1.5}, "training.recipe.alpha: must be a number from 0 to 1; got 1.5"),
    ({"beta": 1}, "training.recipe.beta: not a setting of the distillation recipe (its settings: teacher, "
                  "temperature, alpha)"),
])
def test_a_bad_distillation_setting_is_named_by_its_key(tmp_path, recipe, words):
    lines = recipe_lines(student_project(tmp_path, **recipe))
    assert len(lines) == 1 and words in lines[0], lines


def test_evaluate_and_predict_judge_the_student(trained_student, tmp_path):
    """A distillation's student is a classifier on the project's data: evaluate and predict judge it."""
    import numpy as np

    from builder.training import evaluate, predict_files

    project, result = trained_student
    data = small(project)
    evaluation = evaluate(project, result.model_path, dataset=data)
    assert len(evaluation.class_names) == 10 and np.asarray(evaluation.confusion_matrix).sum() == evaluation.samples
    assert evaluation.metrics["accuracy"] == pytest.approx(result.final_metrics["val_accuracy"], abs=1e-6)
    np.save(tmp_path / "one.npy", np.asarray(data.x_val[:1]))
    (row,) = predict_files(project, result.model_path, [tmp_path / "one.npy"], dataset=data)
    assert len(row["probabilities"]) == 10


def test_the_run_reports_the_student_beside_its_teacher(trained_student):
    """run.json's recipe_report: both models' validation accuracy on the same samples and their sizes."""
    import json

    _, result = trained_student
    report = json.loads((result.run_dir / "run.json").read_text())["recipe_report"]
    teacher, student = report["teacher"], report["student"]
    assert teacher["parameters"] > student["parameters"] > 0
    assert report["size_ratio"] == pytest.approx(student["parameters"] / teacher["parameters"], abs=1e-4)
    assert student["val_accuracy"] == pytest.approx(result.history["val_accuracy"][-1], abs=1e-3)
    assert 0.5 < teacher["val_accuracy"] <= 1.0


def test_a_template_teacher_is_checked_from_its_graph_and_trained_first_once(tmp_path):
    """"template:digits_cnn" needs no file: the template's graph gives the shapes to check (no Keras, no training),
    an unknown template is named, and the recipe asks the Trainer to train the template once (its model is kept
    under a name holding the template's hash)."""
    from builder.training.recipes import project_recipe

    project = student_project(tmp_path, teacher="template:digits_cnn")
    assert recipe_lines(project) == []
    assert recipe_lines(student_project(tmp_path, classes=8, teacher="template:digits_cnn")) == [
        "training.recipe: node 'digit': the student gives (8,) but the teacher gives 10 class probabilities; give it "
        "10 units (softmax)"]
    assert recipe_lines(student_project(tmp_path, teacher="template:nope"))[0].startswith(
        "training.recipe.teacher: no template named 'nope' (templates: ")
    (needed,) = project_recipe(project).prerequisites()
    assert needed.project.name == "digits_cnn" and needed.model_path.name.startswith("digits_cnn-")
    assert not needed.model_path.exists()
    needed.model_path.parent.mkdir(parents=True)
    needed.model_path.write_bytes(b"kept")  # once kept, nothing more to train
    assert project_recipe(project).prerequisites() == []


def test_a_distillation_run_teaches_the_next_student_and_a_student_must_end_in_softmax(trained_student, tmp_path):
    """Distillations chain: a distillation run's model.keras teaches through its student. A student whose output
    is not a softmax is named on its output node (its log-probabilities would be NaN)."""
    project, result = trained_student
    folder = result.run_dir.parent
    chained = student_project(folder, teacher=result.run_dir.name)
    assert recipe_lines(chained) == []
    from builder.training.recipes import project_recipe

    teacher = project_recipe(chained).load_teacher(folder)
    assert teacher.name == "student" and teacher.count_params() == result_student_params(project)
    plain = student_project(folder, teacher=result.run_dir.name)
    plain.graph.nodes["digit"].params["activation"] = "linear"
    assert recipe_lines(plain) == ["training.recipe: node 'digit': the student must end in softmax (class "
                                   "probabilities, compared with the teacher's); give it activation softmax"]


def result_student_params(project) -> int:
    from builder.model import infer_shapes

    return int(infer_shapes(project.graph).total_params)


def test_stop_while_a_template_teacher_trains_keeps_no_teacher(tmp_path):
    """Stop reaches the teacher's training: the run ends after a batch of it, says so, and keeps no half-trained
    teacher (the next run trains it again)."""
    from builder.errors import TrainingError
    from builder.training.recipes import project_recipe

    project = student_project(tmp_path, teacher="template:digits_cnn")
    trainer = Trainer(project, run_dir=tmp_path / "run")
    trainer.stop()
    with pytest.raises(TrainingError, match="Stopped while training the teacher template 'digits_cnn' first"):
        trainer.run()
    (needed,) = project_recipe(project).prerequisites()  # still to train
    assert not needed.model_path.exists() and not list(needed.model_path.parent.glob(".training-*"))
