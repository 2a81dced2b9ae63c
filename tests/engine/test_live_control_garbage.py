"""No control.json stops a run: garbage and out-of-range requests are refused, recorded in control.csv with their
reason, and the run goes on (a real training on iris, one payload per batch)."""
import csv
import json
import os

import pytest

from builder.errors import TrainingError
from builder.graph import Graph
from builder.project import DatasetRef, Project, TrainingConfig
from builder.training import Trainer, TrainingCallbacks, write_control_request

# (what the payload is, how to write it, a word the refusal's reason holds). A payload is bytes written to
# control.json, or "folder"/"fifo" for a control.json that is not a regular file.
PAYLOADS = [
    ("a list", b"[1, 2]", "JSON object"),
    ("null", b"null", "JSON object"),
    ("a string", b'"fast"', "JSON object"),
    ("a number", b"5", "JSON object"),
    ("a folder", "folder", "folder"),
    ("a FIFO", "fifo", "not a regular file"),
    ("request_id abc", b'{"request_id": "abc", "learning_rate": 0.001}', "request_id"),
    ("request_id float", b'{"request_id": 1e30, "learning_rate": 0.001}', "request_id"),
    ("request_id true", b'{"request_id": true, "learning_rate": 0.001}', "request_id"),
    ("learning_rate fast", b'{"learning_rate": "fast"}', "finite number"),
    ("nested value", b'{"learning_rate": {"value": {"deeper": [0.1]}}}', "finite number"),
    ("list value", b'{"learning_rate": [0.1]}', "finite number"),
    ("learning_rate true", b'{"learning_rate": true}', "finite number"),
    ("learning_rate -5", b'{"learning_rate": -5}', "above 0"),
    ("learning_rate 0", b'{"learning_rate": 0}', "above 0"),
    ("learning_rate 1e6", b'{"learning_rate": 1e6}', "at most 10"),
    ("learning_rate NaN", b'{"learning_rate": NaN}', "finite number"),
    ("learning_rate Infinity", b'{"learning_rate": Infinity}', "finite number"),
    ("learning_rate 1e400", b'{"learning_rate": 1e400}', "finite number"),
    ("learning_rate 10**400", b'{"learning_rate": 1' + b"0" * 400 + b"}", "at most 10"),
    ("patience Infinity", b'{"patience": Infinity}', "whole number"),
    ("patience -4", b'{"patience": -4}', "whole number"),
    ("patience 2.5", b'{"patience": 2.5}', "whole number"),
    ("good with bad", b'{"learning_rate": 0.5, "patience": -4}', "whole number"),
    ("unknown setting", b'{"momentum": 0.9}', "unknown setting"),
    ("empty object", b"{}", "no setting"),
    ("empty file", b"", "not valid JSON"),
    ("broken JSON", b'{"learning_rate": ', "not valid JSON"),
    ("not UTF-8", b"\xff\xfe\x00garbage", "UTF-8"),
    ("deep nesting", b"[" * 50_000, "not valid JSON"),
    ("oversized", b'{"learning_rate": 0.001, "pad": "' + b"x" * 100_000 + b'"}', "bytes"),
]


POLL_S = 0.05


def iris_project(**training) -> Project:
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, node_id="input")
    graph.add_node("Dense", {"units": 8, "activation": "relu"}, node_id="hidden")
    graph.add_node("Dense", {"units": 3, "activation": "softmax"}, node_id="out")
    graph.connect("input", "hidden")
    graph.connect("hidden", "out")
    settings = {"epochs": 2, "batch_size": 4, "learning_rate": 0.01, "tensorboard": False, **training}
    return Project(graph=graph, dataset=DatasetRef(name="iris"), training=TrainingConfig(**settings), name="mlp")


def put(control, payload) -> None:
    """Replace control.json by `payload` (removing a folder or FIFO left by the previous one)."""
    if control.is_dir():
        control.rmdir()
    elif control.exists() or control.is_symlink():
        control.unlink()
    if payload == "folder":
        control.mkdir()
    elif payload == "fifo":
        os.mkfifo(control)
    else:
        tmp = control.with_name("control.json.tmp")
        tmp.write_bytes(payload)
        os.replace(tmp, control)


@pytest.mark.slow
def test_garbage_requests_are_refused_recorded_and_the_run_goes_on(tmp_path):
    control = tmp_path / "control.json"
    batches = {}  # payload index -> (epoch, batch) it was written in
    rates = []  # (epoch, batch, learning rate) after each batch's live changes

    class Attack(TrainingCallbacks):
        count = 0

        def on_batch_end(self, epoch, batch, logs):
            rates.append((epoch, batch, float(trainer.model.optimizer.learning_rate.numpy())))
            i = self.count
            self.count += 1
            if i < len(PAYLOADS):
                put(control, PAYLOADS[i][1])
                batches[i] = (epoch, batch)
            elif i == len(PAYLOADS):  # a good request, through the command's writer (it drops the garbage)
                write_control_request(tmp_path, learning_rate=0.002)
            else:
                return
            # RunControl reads control.json at most every control_poll_s, right after this callback
            import time

            time.sleep(POLL_S * 1.2)

    trainer = Trainer(iris_project(), run_dir=tmp_path, callbacks=Attack())
    trainer.control_poll_s = POLL_S  # read at every batch, not twice a second: the attack takes 2 s, not 18
    result = trainer.run()
    assert result.epochs_run == 2 and not result.stopped  # the run finished

    rows = list(csv.DictReader((tmp_path / "control.csv").open(encoding="utf-8")))
    for i, (what, _, word) in enumerate(PAYLOADS):
        epoch, batch = batches[i]
        mine = [r for r in rows if r["epoch"] == str(epoch + 1) and r["batch"] == str(batch)]
        assert mine, f"{what}: no row in control.csv"
        assert all(r["reason"].startswith("refused: ") for r in mine), (what, mine)
        assert any(word in r["reason"] for r in mine), (what, mine)
    refused = [r for r in rows if r["reason"].startswith("refused")]
    assert len(refused) >= len(PAYLOADS)
    applied = [r for r in rows if r["reason"] == "user"]
    assert [(r["setting"], float(r["value"])) for r in applied] == [("learning_rate", 0.002)]
    # nothing a refused request said reached the optimizer: 0.01 until the good request, 0.002 after
    changed = next(k for k, (_, _, lr) in enumerate(rates) if lr != pytest.approx(0.01))
    assert changed == len(PAYLOADS) + 1
    assert all(lr == pytest.approx(0.002) for _, _, lr in rates[changed:])
    assert result.history["learning_rate"][-1] == pytest.approx(0.002)


@pytest.mark.slow
def test_bad_values_from_the_engine_are_refused_and_patience_without_early_stopping_is_said(tmp_path):
    class Ask(TrainingCallbacks):
        def on_batch_end(self, epoch, batch, logs):
            if epoch == 0 and batch == 0:
                for bad in (-5, 0, 1e6, float("nan"), float("inf"), "fast", True):
                    with pytest.raises(TrainingError, match="learning rate must be"):
                        trainer.set_learning_rate(bad)
                for bad in (float("inf"), -4, 2.5, True):
                    with pytest.raises(TrainingError, match="Patience must be"):
                        trainer.set_patience(bad)
                trainer.live.request("learning_rate", float("nan"))  # a caller that skips the checks
                trainer.set_patience(3)

    trainer = Trainer(iris_project(epochs=1), run_dir=tmp_path, callbacks=Ask())
    result = trainer.run()
    assert result.history["learning_rate"] == pytest.approx([0.01])
    rows = {r["setting"]: r for r in csv.DictReader((tmp_path / "control.csv").open())}
    assert rows["learning_rate"]["reason"].startswith("refused: must be a finite number above 0")
    assert rows["learning_rate"]["value"] == "NaN"
    assert rows["patience"]["reason"].startswith("ignored: this run has no early stopping")


def test_write_control_request_refuses_out_of_range_and_drops_garbage(tmp_path):
    for name, bad in (("learning_rate", -5), ("learning_rate", 0), ("learning_rate", 1e6),
                      ("learning_rate", float("nan")), ("learning_rate", float("inf")), ("patience", -4),
                      ("patience", float("inf"))):
        with pytest.raises(TrainingError, match=f"--{name.replace('_', '-')} must be"):
            write_control_request(tmp_path, **{name: bad})
    assert not (tmp_path / "control.json").exists()
    (tmp_path / "control.json").write_text("[1, 2")  # garbage left in the folder
    write_control_request(tmp_path, patience=3)
    request = json.loads((tmp_path / "control.json").read_text())
    assert request["patience"] == 3 and set(request) == {"patience", "request_id"}
    write_control_request(tmp_path, learning_rate=0.5)  # an earlier valid setting is kept
    assert json.loads((tmp_path / "control.json").read_text())["patience"] == 3
    (tmp_path / "control.json").unlink()
    (tmp_path / "control.json").mkdir()
    with pytest.raises(TrainingError, match="not a regular file"):
        write_control_request(tmp_path, patience=3)


def test_a_request_left_from_an_earlier_run_is_ignored_without_a_word(tmp_path):
    import time

    from builder.training import read_control_request

    path = tmp_path / "control.json"
    path.write_text('{"learning_rate": 0.5, "request_id": 1}')
    later = time.time_ns() + 5_000_000_000  # a run that started after the file was written
    old = read_control_request(path, later)
    assert old.stale and not old.settings and not old.refusals
    path.write_text('{"learning_rate": 0.5, "request_id": %d}' % time.time_ns())
    fresh = read_control_request(path, time.time_ns() - 1_000_000)
    assert fresh.settings == {"learning_rate": 0.5} and not fresh.refusals and not fresh.stale
    path.write_text('{"learning_rate": "fast"}')
    bad = read_control_request(path)
    assert bad.refusals == [("learning_rate", '"fast"', 'refused: must be a finite number above 0 and at most 10; '
                                                        'got "fast"')] and not bad.settings
