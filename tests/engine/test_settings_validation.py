"""One validation of a whole project (builder.project.validation): every field of the dataset and training
settings with a bad value is named with its rule and the value; good settings pass; the engine's entry points
(Trainer, export pipeline, Python code export) refuse an invalid project before doing anything."""
import json
import math
from dataclasses import fields

import pytest

from builder.errors import InvalidProjectError, TrainingError
from builder.export import export_model, python_source
from builder.project import (SCHEDULE_SETTINGS, DatasetRef, TrainingConfig, load_template, project_from_dict,
                             project_problems, project_to_dict, validate_project)
from builder.training import SCHEDULE_PARAMS, Trainer

NAN, INF = math.nan, math.inf

# (section, field, bad value, words the problem line holds). Every field of DatasetRef and TrainingConfig is here
# (test_every_setting_has_bad_values_in_the_corpus).
BAD = [
    ("dataset", "name", "", "non-empty string"),
    ("dataset", "name", 5, "non-empty string"),
    ("dataset", "validation_split", 1, "below 1"),
    ("dataset", "validation_split", 0, "above 0"),
    ("dataset", "validation_split", "0.2", "finite number"),
    ("dataset", "validation_split", NAN, "NaN"),
    ("dataset", "test_split", -0.1, "at least 0"),
    ("dataset", "test_split", 0.9, "validation_split + test_split"),
    ("dataset", "seed", "x", "whole number from 0 to 4,294,967,295"),
    ("dataset", "seed", 2**70, "1180591620717411303424"),
    ("dataset", "seed", -1, "whole number"),
    ("dataset", "seed", 4.0, "whole number"),
    ("dataset", "path", 3, "string"),
    ("dataset", "path", "a\x00b", "NUL"),
    ("dataset", "options", [], "object"),
    ("dataset", "options", "x", "object"),
    ("dataset", "use_named_split", "false", "true or false"),
    ("training", "optimizer", 3, "optimizer name"),
    ("training", "optimizer", {"class_name": 5}, "optimizer name"),
    ("training", "optimizer", {"class_name": "SGD", "config": []}, "optimizer name"),
    ("training", "optimizer", "", "non-empty"),
    ("training", "learning_rate", -1, "above 0"),
    ("training", "learning_rate", NAN, "NaN"),
    ("training", "learning_rate", INF, "Infinity"),
    ("training", "learning_rate", True, "finite number above 0"),
    ("training", "learning_rate", "fast", "finite number"),
    ("training", "schedule", [], "null"),
    ("training", "schedule", {"name": "bogus"}, "one of constant"),
    ("training", "schedule", {"name": ["step"]}, "one of constant"),
    ("training", "schedule", {"name": "step", "factor": -1}, "schedule.factor"),
    ("training", "schedule", {"name": "step", "every_epochs": 0}, "schedule.every_epochs"),
    ("training", "schedule", {"name": "cosine", "wait": 1}, "no such setting"),
    ("training", "schedule", {"name": "reduce_on_plateau", "patience": "5"}, "schedule.patience"),
    ("training", "weight_decay", -0.1, "at least 0"),
    ("training", "clipnorm", 0, "above 0"),
    ("training", "clipvalue", "1", "finite number"),
    ("training", "loss", 5, "non-empty string"),
    ("training", "loss", {"out": 5}, "loss.out"),
    ("training", "loss_weights", {"out": "x"}, "loss_weights.out"),
    ("training", "loss_weights", [1.0], "null or {output node: weight}"),
    ("training", "label_smoothing", "x", "finite number at least 0 and below 1"),
    ("training", "label_smoothing", 1, "below 1"),
    ("training", "metrics", "accuracy", "list of names"),
    ("training", "metrics", [1], "list of names"),
    ("training", "metrics", {"out": "accuracy"}, "metrics.out"),
    ("training", "epochs", "ten", "whole number from 1"),
    ("training", "epochs", 0, "whole number from 1"),
    ("training", "epochs", 2.5, "whole number"),
    ("training", "batch_size", 0, "whole number from 1"),
    ("training", "batch_size", True, "whole number"),
    ("training", "seed", "x", "whole number from 0"),
    ("training", "seed", 2**70, "whole number"),
    ("training", "class_weight", "equal", '"balanced"'),
    ("training", "class_weight", {"cat": 1.0}, '"balanced"'),
    ("training", "class_weight", {"0": -1.0}, "class_weight.0"),
    ("training", "monitor", "", "non-empty"),
    ("training", "early_stopping", "yes", "null, true, false"),
    ("training", "early_stopping", {"wait": 3}, "early_stopping has no setting 'wait'"),
    ("training", "early_stopping", {"patience": INF}, "early_stopping.patience"),
    ("training", "early_stopping", {"patience": -4}, "early_stopping.patience"),
    ("training", "early_stopping", {"restore_best_weights": "no"}, "true or false"),
    ("training", "augmentation", [], "RandomFlip"),
    ("training", "augmentation", {"RandomFlip": "horizontal"}, "RandomFlip"),
    ("training", "mixed_precision", "false", 'one of true, false, "auto"'),
    ("training", "mixed_precision", 0, 'one of true, false, "auto"'),
    ("training", "prefetch_to_device", "yes", 'one of true, false, "auto"'),
    ("training", "jit_compile", "yes", 'one of true, false, "auto"'),
    ("training", "jit_compile", 1, 'one of true, false, "auto"'),
    ("training", "steps_per_execution", 0, "whole number from 1"),
    ("training", "tensorboard", "true", "true or false"),
    ("training", "strategy", "cluster", '"auto", "none", "mirrored", "multiworker"'),
    ("training", "recipe", "vae",
     '{"name": "supervised" | "autoencoder" | "vae" | "gan" | "diffusion" | "distillation", its settings}'),
]


def project_data(changes=None):
    data = project_to_dict(load_template("digits_cnn"))
    for (section, key), value in (changes or {}).items():
        if section is None:
            data[key] = value
        else:
            data[section][key] = value
    return data


@pytest.mark.parametrize("section, key, value, words", BAD, ids=[f"{s}.{k}={v!r}"[:60] for s, k, v, _ in BAD])
def test_each_bad_setting_is_named_with_its_rule_and_value(section, key, value, words):
    project = project_from_dict(json.loads(json.dumps(project_data({(section, key): value}))), "p.json")
    problems = project_problems(project)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{section}.{key}") and words in problems[0], problems[0]
    if section == "training" and key not in ("schedule", "early_stopping", "loss", "loss_weights", "metrics",
                                             "class_weight", "augmentation"):
        assert problems[0].endswith("; got " + json.dumps(value)[:57] + ("..." if len(json.dumps(value)) > 60
                                                                          else ""))


def test_every_setting_has_bad_values_in_the_corpus():
    named = {(s, k) for s, k, _, _ in BAD}
    assert {("dataset", f.name) for f in fields(DatasetRef)} <= named
    assert {("training", f.name) for f in fields(TrainingConfig)} <= named


def test_every_problem_is_listed_at_once_and_names_are_checked():
    data = project_data({("training", "seed"): "x", ("training", "epochs"): "ten",
                           ("training", "mixed_precision"): "false", ("dataset", "options"): [],
                           ("training", "learning_rate"): -1, (None, "name"): "a/b{c}\x00"})
    data["graph"] = {"nodes": [], "edges": []}
    with pytest.raises(InvalidProjectError) as caught:
        validate_project(project_from_dict(json.loads(json.dumps(data)), "p.json"))
    places = [p.split(":")[0] for p in caught.value.problems]
    assert places == ["name", "graph", "dataset.options", "training.learning_rate", "training.epochs",
                      "training.seed", "training.mixed_precision"]
    assert "the graph is empty" in str(caught.value) and "'/', '{', '}'" in str(caught.value)
    assert str(caught.value).startswith('project "a/b{c}\\u0000" is not valid (7 problems)')
    assert "\x00" not in str(caught.value)


@pytest.mark.parametrize("name", ["digits", "my model (v2)", "résumé-net_1.0"])
def test_good_names_and_settings_pass(name):
    data = project_data({(None, "name"): name})
    data["training"].update({
        "optimizer": {"class_name": "SGD", "config": {"momentum": 0.9, "nesterov": True}},
        "learning_rate": 0.05, "schedule": {"name": "cosine", "warmup_epochs": 2}, "weight_decay": None,
        "clipnorm": 1.0, "clipvalue": None, "label_smoothing": 0.1, "metrics": ["accuracy", "top_5_accuracy"],
        "epochs": 30, "batch_size": 64, "seed": 2**32 - 1, "class_weight": "balanced", "monitor": "val_accuracy",
        "early_stopping": {"patience": 5, "restore_best_weights": True, "min_delta": 0, "baseline": None},
        "augmentation": {"RandomFlip": {"mode": "horizontal"}}, "mixed_precision": False, "jit_compile": "auto",
        "steps_per_execution": 4, "tensorboard": True, "strategy": "none"})
    data["dataset"].update({"validation_split": 0.25, "test_split": 0.1, "seed": 0, "options": {"a": 1}})
    assert project_problems(project_from_dict(data, "p.json")) == []
    for spec in ({"name": "step", "every_epochs": 2, "factor": 0.5}, {"name": "one_cycle", "max_learning_rate": 0.1},
                 {"name": "reduce_on_plateau", "patience": 0, "min_lr": 1e-6}, "exponential", None):
        data["training"]["schedule"] = spec
        assert project_problems(project_from_dict(data, "p.json")) == []
    for early in (True, False, None):
        data["training"]["early_stopping"] = early
        assert project_problems(project_from_dict(data, "p.json")) == []


def test_the_schedules_validation_knows_are_the_trainers():
    assert {k: set(v) for k, v in SCHEDULE_SETTINGS.items()} == {k: set(v) for k, v in SCHEDULE_PARAMS.items()}


def test_version_true_is_not_version_1():
    from builder.errors import ProjectFileError

    with pytest.raises(ProjectFileError, match="version: unsupported version true"):
        project_from_dict(project_data({(None, "version"): True}), "p.json")


def test_engine_entry_points_refuse_an_invalid_project(tmp_path):
    project = load_template("digits_cnn")
    project.training.mixed_precision = "false"  # a string is truthy: it used to train in mixed precision
    project.training.seed = "x"
    with pytest.raises(TrainingError, match=r"training.seed.*\n.*training.mixed_precision"):
        Trainer(project, run_dir=tmp_path / "run").run()
    assert not (tmp_path / "run").exists()  # refused before anything was written
    with pytest.raises(InvalidProjectError, match="training.mixed_precision"):
        python_source(project)
    with pytest.raises(InvalidProjectError, match="training.seed"):
        export_model(tmp_path / "missing.keras", "keras", tmp_path / "out.keras", project=project)
    assert not (tmp_path / "out.keras").exists()
    for epochs in ("3", 0, True):  # the window's or a script's override of the epoch count
        with pytest.raises(TrainingError, match="epochs must be a whole number of at least 1"):
            Trainer(load_template("digits_cnn"), run_dir=tmp_path / "run", epochs=epochs).run()


@pytest.mark.parametrize("rows, words", [
    (["1,2,0"], "The dataset has 1 sample: dataset.validation_split = 0.2 holds out 1 for validation and leaves 0"),
    (["1,2,0", "3,4,1", "5,6,2", "7,8,0", "9,1,1", "2,3,2"], "dataset.validation_split = 0.2 (2 of 6 samples)"),
])
def test_split_messages_quote_the_users_setting(tmp_path, rows, words):
    from builder.data import load_dataset
    from builder.errors import DatasetError

    (tmp_path / "d.csv").write_text("a,b,y\n" + "\n".join(rows) + "\n")
    ref = DatasetRef(name="csv", path="d.csv", validation_split=0.2, options={"target": "y", "task": "classification"})
    with pytest.raises(DatasetError) as caught:
        load_dataset(ref, tmp_path)
    assert words in str(caught.value) and "validation_split=1" not in str(caught.value)
