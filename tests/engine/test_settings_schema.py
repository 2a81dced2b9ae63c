"""The training settings' schema (builder.training.settings_schema): one entry per TrainingConfig field with the
config's own default, help text and allowed values; `setting_problems` answers with the engine's validation;
loss and metrics follow a dataset's output kind only while they are still some kind's defaults."""
from dataclasses import fields

import pytest

from builder.data import CLASSES, REGRESSION
from builder.project import SCHEDULE_SETTINGS as VALIDATED_SCHEDULES
from builder.project import DatasetRef, Project, TrainingConfig
from builder.project.validation import EARLY_STOPPING_SETTINGS as VALIDATED_EARLY_STOPPING
from builder.training import (GROUPS, OUTPUT_DEFAULTS, SCHEDULE_PARAMS, SETTINGS, STRATEGIES, dataset_output_kind,
                              known_output_kind, output_defaults, schema_dicts, setting, setting_problems,
                              unlisted_fields)
from builder.training.settings_schema import KINDS


def test_every_training_config_field_has_one_schema_entry():
    """Fails when a field is added to TrainingConfig without its schema entry (and so without a form field)."""
    assert unlisted_fields() == []
    names = [s.name for s in SETTINGS]
    assert sorted(names) == sorted(f.name for f in fields(TrainingConfig))
    assert len(names) == len(set(names))


def test_entries_have_a_group_a_kind_help_and_the_configs_default():
    config = TrainingConfig()
    for entry in SETTINGS:
        assert entry.group in GROUPS, entry
        assert entry.kind in KINDS, entry
        assert entry.label and len(entry.help) > 20, entry
        assert entry.default == getattr(config, entry.name)
        if entry.kind == "choice":
            assert entry.default in entry.choices, entry
    assert all(any(s.group == g for s in SETTINGS) for g in GROUPS)
    assert setting("strategy").choices == tuple(STRATEGIES)
    assert setting("jit_compile").choices == ("auto", True, False)
    with pytest.raises(KeyError, match="no training setting 'nope'"):
        setting("nope")


def test_the_issue_groups_hold_their_settings():
    groups = {s.name: s.group for s in SETTINGS}
    assert groups["epochs"] == groups["batch_size"] == "Basics"
    assert groups["optimizer"] == groups["schedule"] == groups["learning_rate"] == "Optimizer and schedule"
    assert groups["weight_decay"] == groups["label_smoothing"] == "Regularisation"
    assert groups["early_stopping"] == groups["monitor"] == "Callbacks"
    assert groups["augmentation"] == "Augmentation"
    assert groups["mixed_precision"] == groups["jit_compile"] == groups["steps_per_execution"] == "Performance"
    assert groups["prefetch_to_device"] == "Performance"
    assert groups["strategy"] == "Distribution"


def test_schedule_settings_are_the_engines():
    schedule = setting("schedule")
    assert schedule.choices == tuple(SCHEDULE_PARAMS)
    for name, params in SCHEDULE_PARAMS.items():
        subs = schedule.sub_settings(name)
        assert {s.name: s.default for s in subs} == params
        assert set(VALIDATED_SCHEDULES[name]) == set(params)
        assert all(s.help for s in subs)


def test_early_stopping_defaults_are_what_training_uses():
    from builder.training.keras_callbacks import early_stopping

    subs = setting("early_stopping").sub_settings()
    assert {s.name for s in subs} == set(VALIDATED_EARLY_STOPPING)
    defaults = {s.name: s.default for s in subs}
    callback = early_stopping(TrainingConfig(early_stopping=True))
    assert callback.patience == defaults["patience"] == 5
    assert callback.restore_best_weights is defaults["restore_best_weights"] is True
    assert callback.min_delta == defaults["min_delta"]
    assert callback.start_from_epoch == defaults["start_from_epoch"]
    assert callback.baseline is defaults["baseline"] is None
    assert callback.monitor == TrainingConfig().monitor


def test_defaults_pass_and_bad_values_get_the_engines_words():
    config = TrainingConfig()
    for entry in SETTINGS:
        assert setting_problems(config, entry.name, entry.default) == [], entry.name
    cases = [
        ("learning_rate", -1, "training.learning_rate: must be a finite number above 0; got -1"),
        ("learning_rate", "fast", 'got "fast"'),
        ("epochs", 0, "training.epochs: must be a whole number from 1 to 1,000,000; got 0"),
        ("batch_size", 2.5, "whole number"),
        ("schedule", {"name": "cosine", "alpha": 3}, "training.schedule.alpha: must be a finite number at least 0"),
        ("schedule", {"name": "step", "nope": 1}, "schedule 'step' has no such setting"),
        ("early_stopping", {"patience": -1}, "training.early_stopping.patience"),
        ("clipnorm", 0, "training.clipnorm: must be a finite number above 0 or null"),
        ("label_smoothing", 1, "below 1"),
        ("class_weight", {"a": 1}, "class index: weight"),
        ("jit_compile", "yes", 'one of true, false, "auto"'),
        ("strategy", "fast", '"multiworker"'),
        ("metrics", [], None),  # an empty list is allowed
    ]
    for name, value, words in cases:
        problems = setting_problems(config, name, value)
        if words is None:
            assert problems == [], (name, problems)
        else:
            assert len(problems) == 1 and words in problems[0], (name, problems)
    # another field's problem is not this one's
    bad = TrainingConfig(epochs=0)
    assert setting_problems(bad, "learning_rate", 0.1) == []
    assert setting_problems(bad, "loss", "mse") == []


def test_names_only_keras_knows_are_checked_when_asked():
    config = TrainingConfig()
    assert setting_problems(config, "loss", "nope") == []  # without Keras: any name
    assert "Unknown loss 'nope'" in setting_problems(config, "loss", "nope", names=True)[0]
    assert "Unknown optimizer 'adamx'" in setting_problems(config, "optimizer", "adamx", names=True)[0]
    assert "Unknown metric 'foo'" in setting_problems(config, "metrics", ["accuracy", "foo"], names=True)[0]
    problem = setting_problems(config, "augmentation", {"RandomFlop": {}}, names=True)
    assert problem[0].startswith("training.augmentation.RandomFlop: must be one of") and "RandomFlip" in problem[0]
    for name, value in [("loss", "huber"), ("loss", {"a": "mse", "b": "mae"}), ("optimizer", "SGD"),
                        ("optimizer", {"class_name": "SGD", "config": {"momentum": 0.9}}),
                        ("metrics", ["accuracy", "top_3_accuracy", "auc"]), ("augmentation", {"RandomFlip": {}})]:
        assert setting_problems(config, name, value, names=True) == [], (name, value)


def test_loss_and_metrics_follow_the_output_kind_only_while_they_are_defaults():
    classification = TrainingConfig()
    assert output_defaults(classification, REGRESSION) == {"loss": "mse", "metrics": ["mae"]}
    assert output_defaults(classification, CLASSES) == {}
    regression = TrainingConfig(loss="mean_squared_error", metrics=["mae"])
    assert output_defaults(regression, CLASSES) == OUTPUT_DEFAULTS[CLASSES]
    assert output_defaults(regression, REGRESSION) == {}
    for own in (TrainingConfig(loss="huber", metrics=["mae"]), TrainingConfig(metrics=["accuracy", "auc"]),
                TrainingConfig(loss={"a": "sparse_categorical_crossentropy"}),
                TrainingConfig(loss="reconstruction", metrics=[])):
        assert output_defaults(own, REGRESSION) == {} and output_defaults(own, CLASSES) == {}
    changes = output_defaults(classification, REGRESSION)
    changes["metrics"].append("x")  # a copy: the table stays as it was
    assert OUTPUT_DEFAULTS[REGRESSION]["metrics"] == ["mae"]


def test_output_kind_of_a_dataset(tmp_path):
    assert known_output_kind("digits") == CLASSES
    assert known_output_kind("sine") == REGRESSION
    assert known_output_kind("mnist") == CLASSES
    assert known_output_kind("csv") is None
    (tmp_path / "prices.csv").write_text("a,b,price\n" + "".join(f"{i},{i * 2},{i * 0.5 + 0.25}\n" for i in range(20)))
    project = Project(dataset=DatasetRef(name="csv", path="prices.csv"), path=tmp_path / "p.json")
    assert dataset_output_kind(project) == REGRESSION
    (tmp_path / "kinds.csv").write_text("a,b,kind\n" + "".join(f"{i},{i * 2},{i % 3}\n" for i in range(20)))
    project.dataset.path = "kinds.csv"
    assert dataset_output_kind(project) == CLASSES


def test_schema_as_plain_data():
    import json

    rows = json.loads(json.dumps(schema_dicts()))
    assert [r["name"] for r in rows] == [s.name for s in SETTINGS]
    by_name = {r["name"]: r for r in rows}
    assert by_name["learning_rate"]["default"] == 0.001 and by_name["learning_rate"]["group"] == "Optimizer and schedule"
    assert by_name["strategy"]["choices"] == list(STRATEGIES)
    assert "sparse_categorical_crossentropy" in by_name["loss"]["suggestions"] and by_name["loss"]["per_output"]
    assert by_name["schedule"]["schedules"]["cosine"] == [
        {"name": "warmup_epochs", "kind": "number", "default": 0, "help": by_name["schedule"]["schedules"]["cosine"][0]["help"]},
        {"name": "alpha", "kind": "number", "default": 0.0, "help": by_name["schedule"]["schedules"]["cosine"][1]["help"]}]
    assert [s["name"] for s in by_name["early_stopping"]["settings"]][:2] == ["patience", "restore_best_weights"]
