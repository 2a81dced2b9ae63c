"""Every shipped template trains and ships: two short epochs on a small subset of its own dataset with a finite loss
that falls from the first to the second (one epoch is too noisy a judge: a template's learning-rate warm-up takes
its whole first epoch), then a TFLite float32 export verified in the LiteRT interpreter (a fresh process).

These run with `make test-templates` (marker `templates`; `.ci/run` runs them after `make test`): about ten seconds
a template. `make test` itself checks that every template loads, is valid, fits its dataset and builds
(tests/engine/test_templates.py). Full training of every template is `bench/templates.py`.
"""
from __future__ import annotations

import math
from dataclasses import replace

import pytest

from builder.data import length, load_project_dataset, take
from builder.export import export_model
from builder.model import weights_files
from builder.project import list_templates, load_template
from builder.training import Trainer, TrainingCallbacks, as_project_model

pytestmark = pytest.mark.templates

NAMES = [t.name for t in list_templates()]
STEPS = 8  # batches in each short epoch


class BatchLosses(TrainingCallbacks):
    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        self.losses.append(float(logs["loss"]))


def small_subset(dataset, samples: int, validation: int):
    return replace(dataset, x_train=take(dataset.x_train, range(samples)), y_train=take(dataset.y_train, range(samples)),
                   x_val=take(dataset.x_val, range(validation)), y_val=take(dataset.y_val, range(validation)))


@pytest.mark.parametrize("name", NAMES)
def test_template_trains_two_short_epochs_and_exports_to_tflite(name, tmp_path):
    project = load_template(name)
    project.training.tensorboard = False
    dataset = load_project_dataset(project)
    samples = min(STEPS * project.training.batch_size, length(dataset.x_train))
    dataset = small_subset(dataset, samples, min(64, length(dataset.x_val)))
    losses = BatchLosses()
    result = Trainer(project, tmp_path / "run", losses, epochs=2, dataset=dataset).run()
    assert len(losses.losses) == 2 * math.ceil(samples / project.training.batch_size)
    assert all(math.isfinite(v) for v in losses.losses), losses.losses
    missing = [w for w in weights_files(project.graph) if not w.found()]
    if missing and not any(w.trainable for w in missing):
        # A frozen backbone without its ImageNet file (offline) is random: its features vanish and the head has
        # nothing to learn from, as the template's description and the notice say. Training still runs.
        assert "random weights" in missing[0].notice() and missing[0].fetch_command in missing[0].notice()
    elif (project.training.recipe or {}).get("name") == "gan":
        # A GAN's two losses pull against each other and need not fall (tests/engine/test_gan.py checks that the
        # samples move toward the data); both must be finite every epoch.
        assert all(math.isfinite(v) for key in ("d_loss", "g_loss") for v in result.history[key]), result.history
    else:
        first, second = result.history["loss"]
        assert second < first, f"{name}: the training loss did not fall: {first} then {second}"
    if (project.training.recipe or {}).get("name", "supervised") == "supervised":
        report = export_model(result.model_path, "tflite", tmp_path / f"{name}.tflite", project=project, samples=32)
    else:  # a recipe ships its generating part (a VAE's decoder), verified on N(0, 1) inputs as `export` does
        part, _ = as_project_model(result.model_path).part(project)
        report = export_model(part, "tflite", tmp_path / f"{name}.tflite", samples=32)
    assert report.verified and report.size_bytes > 0, report.summary()
