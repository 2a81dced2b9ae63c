import csv
import json

import pytest

from builder.errors import TrainingError
from builder.training import Trainer, TrainingCallbacks


class Recorder(TrainingCallbacks):
    def __init__(self):
        self.events = []
        self.batches = 0

    def on_train_begin(self, epochs, steps_per_epoch):
        self.events.append(("begin", epochs, steps_per_epoch))

    def on_batch_end(self, epoch, batch, logs):
        self.batches += 1

    def on_epoch_end(self, epoch, logs):
        self.events.append(("epoch", epoch, logs))

    def on_finished(self, result):
        self.events.append(("finished", result))

    def on_failed(self, message):
        self.events.append(("failed", message))


def test_short_run_learns_and_writes_its_files(trained_digits):
    project, result = trained_digits
    losses = result.history["loss"]
    assert len(losses) == 3 and losses[-1] < losses[0] * 0.6
    assert result.final_metrics["val_accuracy"] > 0.8
    assert result.model_path.exists() and result.model_path.name == "model.keras"
    rows = list(csv.DictReader((result.run_dir / "history.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2] and "val_loss" in rows[0]
    record = json.loads((result.run_dir / "run.json").read_text())
    assert record["epochs_run"] == 3 and record["final_metrics"]["loss"] == pytest.approx(losses[-1])


def test_callbacks_report_batches_epochs_and_finish(digits_project, tmp_path):
    recorder = Recorder()
    Trainer(digits_project, run_dir=tmp_path, callbacks=recorder, epochs=1).run()
    begin, epoch, finished = recorder.events
    assert begin[0] == "begin" and begin[1] == 1 and begin[2] == 45  # 1437 training samples / 32
    assert recorder.batches == 45
    assert epoch[0] == "epoch" and {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(epoch[2])
    assert finished[0] == "finished" and not finished[1].stopped


def test_stop_mid_epoch_keeps_a_usable_model(digits_project, tmp_path):
    import keras

    class StopAfterThreeBatches(Recorder):
        def on_batch_end(self, epoch, batch, logs):
            super().on_batch_end(epoch, batch, logs)
            if self.batches == 3:
                trainer.stop()

    recorder = StopAfterThreeBatches()
    trainer = Trainer(digits_project, run_dir=tmp_path, callbacks=recorder, epochs=5)
    result = trainer.run()
    assert recorder.batches == 3 and result.stopped and result.epochs_run == 1
    model = keras.saving.load_model(result.model_path)
    assert model.predict(keras.ops.zeros((1, 8, 8, 1)), verbose=0).shape == (1, 10)


def test_nan_loss_fails_with_likely_causes(digits_project, tmp_path):
    digits_project.graph.set_param("rescaling", "scale", 1e38)
    digits_project.training.learning_rate = 1e9
    recorder = Recorder()
    with pytest.raises(TrainingError, match="The loss became nan"):
        Trainer(digits_project, run_dir=tmp_path, callbacks=recorder, epochs=2).run()
    assert recorder.events[-1][0] == "failed" and "learning rate" in recorder.events[-1][1]
    assert not (tmp_path / "model.keras").exists()


def test_mismatched_output_is_a_clear_failure(digits_project, tmp_path):
    digits_project.graph.set_param("digit", "units", 3)
    with pytest.raises(TrainingError) as info:
        Trainer(digits_project, run_dir=tmp_path, epochs=1).run()
    assert "has 3 units but 'digits' has 10 classes: set units to 10" in str(info.value)
