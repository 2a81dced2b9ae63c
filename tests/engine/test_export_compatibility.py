"""TFLite compatibility per block: real conversions in a worker process, cached per configuration."""
from __future__ import annotations

import json
import time

import pytest

from builder import export as compat
from builder.export import CompatibilityChecker
from builder.export.compatibility import worker as conversion_worker
from builder.graph import Graph, Node
from builder.project import load_template


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("compat_cache")


@pytest.fixture(scope="module")
def digits_int8(cache_dir):
    checker = CompatibilityChecker(cache_dir / "tflite_compat.json")
    start = time.perf_counter()
    blocks = checker.check_project(load_template("digits_cnn"), "tflite-int8")
    return checker, blocks, time.perf_counter() - start


def test_digits_cnn_all_builtin_and_quantised(digits_int8):
    checker, blocks, _ = digits_int8
    by_id = {b.node_id: b for b in blocks}
    assert by_id["image"].status == "skipped"
    checked = [b for b in blocks if b.type != "Input"]
    assert len(checked) == 7
    assert all(b.status == "builtin" for b in checked), blocks
    assert all(b.quantized is True for b in checked), blocks
    assert "CONV_2D" in by_id["conv2d_1"].message and "FULLY_CONNECTED" in by_id["digit"].message
    assert checker.conversions == 7


def test_second_check_is_served_from_memory_and_disk(digits_int8, cache_dir):
    checker, first, _ = digits_int8
    start = time.perf_counter()
    again = checker.check_project(load_template("digits_cnn"), "tflite-int8")
    assert time.perf_counter() - start < 2.0
    assert checker.conversions == 7  # nothing converted again
    assert all(b.cached for b in again if b.type != "Input")
    assert [b.to_dict() for b in again] == [b.to_dict() for b in first]
    data = json.loads((cache_dir / "tflite_compat.json").read_text())
    assert data["version"] == compat.CACHE_VERSION and len(data["entries"]) == 7
    fresh = CompatibilityChecker(cache_dir / "tflite_compat.json")  # a new instance (another process) reads the file
    assert [b.status for b in fresh.check_project(load_template("digits_cnn"), "tflite-int8")] == \
        [b.status for b in first]
    assert fresh.conversions == 0


def test_cache_key_depends_on_configuration():
    a = compat.cache_key("tflite", "Dense", {"units": 4}, [([8], "float32")], [0], "2.21.0")
    assert a == compat.cache_key("tflite", "Dense", {"units": 4}, [((8,), "float32")], [0], "2.21.0")
    assert a != compat.cache_key("tflite", "Dense", {"units": 5}, [([8], "float32")], [0], "2.21.0")
    assert a != compat.cache_key("tflite", "Dense", {"units": 4}, [([9], "float32")], [0], "2.21.0")
    assert a != compat.cache_key("tflite-int8", "Dense", {"units": 4}, [([8], "float32")], [0], "2.21.0")
    assert a != compat.cache_key("tflite", "Dense", {"units": 4}, [([8], "float32")], [0], "2.22.0")


def test_lstm_converts_to_builtins_and_int8_crash_is_contained(cache_dir):
    """TF 2.21: the float LSTM becomes a builtin WHILE loop; full-int8 calibration of it segfaults the
    converter, which the worker process contains (the block is reported, the caller survives)."""
    checker = CompatibilityChecker(cache_dir / "lstm.json")
    lstm = Node("lstm", "LSTM", {"units": 16})
    start = time.perf_counter()
    result = checker.check_block(lstm, [(None, 20, 8)], "tflite")
    first = time.perf_counter() - start
    assert result.status == "builtin" and result.quantized is None
    int8 = checker.check_block(lstm, [(20, 8)], "tflite-int8")
    assert int8.status == "builtin" and int8.quantized is False
    assert "int8" in int8.message
    assert checker.conversions == 2
    start = time.perf_counter()
    again = checker.check_block(Node("other_id", "LSTM", {"units": 16}), [(20, 8)], "tflite")
    assert again.cached and again.status == "builtin" and again.node_id == "other_id"
    assert checker.conversions == 2 and time.perf_counter() - start < first / 5


def test_unsupported_when_both_conversions_fail(monkeypatch):
    """The 'cannot convert' path (run in-process): builtins fail, select TF ops fail too."""
    calls = []

    def failing(cf, ops, representative=None):
        calls.append(len(ops))
        raise RuntimeError("loc(x): error: 'tf.Imaginary' op is neither a custom op nor a flex op\nmore")

    monkeypatch.setattr(conversion_worker, "convert_to_tflite", failing)
    job = {"key": "k", "node": {"id": "block", "type": "Dense", "params": {"units": 2}},
           "inputs": [([4], "float32")], "ports": [0], "target": "tflite"}
    answer = conversion_worker.check_job(job, lambda msg: None)
    assert answer == {"status": "unsupported", "quantized": None,
                      "message": "'tf.Imaginary' op is neither a custom op nor a flex op"}
    assert calls == [1, 2]  # builtins, then builtins + select TF ops


def test_select_tf_ops_when_only_builtins_fail(monkeypatch):
    def builtins_fail(cf, ops, representative=None):
        if len(ops) == 1:
            raise RuntimeError("error: 'tf.Foo' op is neither a custom op nor a flex op")
        return b""

    monkeypatch.setattr(conversion_worker, "convert_to_tflite", builtins_fail)
    job = {"key": "k", "node": {"id": "block", "type": "Dense", "params": {"units": 2}},
           "inputs": [([4], "float32")], "ports": [0], "target": "tflite"}
    answer = conversion_worker.check_job(job, lambda msg: None)
    assert answer["status"] == "select_tf_ops" and "select-TF-ops" in answer["message"]


def test_unwired_blocks_are_skipped(cache_dir):
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, node_id="x")
    graph.add_node("Dense", {"units": 3}, node_id="d")
    graph.add_node("Dense", {"units": 3}, node_id="loose")
    graph.connect("x", "d")
    checker = CompatibilityChecker(cache_dir / "skip.json")
    monkey_calls = []
    checker.worker.convert = lambda jobs: monkey_calls.extend(jobs) or {
        j.key: {"status": "builtin", "quantized": None, "message": ""} for j in jobs}
    by_id = {b.node_id: b for b in checker.check_project(graph, "tflite")}
    assert by_id["loose"].status == "skipped" and by_id["loose"].message.startswith("fix the wiring first")
    assert by_id["d"].status == "builtin" and len(monkey_calls) == 1


def test_unknown_target_is_refused():
    from builder.errors import LayerboardError

    with pytest.raises(LayerboardError):
        CompatibilityChecker("/nonexistent/c.json").check_project(load_template("digits_cnn"), "coreml")


def test_cli_check_target_json(digits_int8, cache_dir, monkeypatch, capsys, tmp_path):
    from builder.cli import main
    from builder.project import save_project

    monkeypatch.setenv("LAYERBOARD_CACHE_DIR", str(cache_dir))
    path = tmp_path / "digits.json"
    save_project(load_template("digits_cnn"), path)
    code = main(["check", str(path), "--target", "tflite-int8", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["valid"] is True and data["total_params"] == 9930 and "nodes" in data
    assert data["target"] == "tflite-int8"
    blocks = {b["id"]: b for b in data["blocks"]}
    assert blocks["conv2d_1"] == {"id": "conv2d_1", "type": "Conv2D", "status": "builtin", "quantized": True,
                                  "message": blocks["conv2d_1"]["message"]}
    est = data["estimates"]
    assert est["params"] == 9930 and set(est["size_bytes"]) == {"float32", "float16", "int8"}
    assert est["flops_per_sample"] > 0 and est["activation_bytes_per_sample"] > 0
    assert main(["check", str(path), "--target", "tflite-int8"]) == 0
    text = capsys.readouterr().out
    assert "builtin, int8: yes" in text and "every block quantises" in text


def test_cli_exit_code_2_when_a_block_cannot_convert(monkeypatch, capsys, tmp_path):
    from builder.cli import main
    from builder.project import save_project

    def fake(project, target):
        return [compat.BlockCompatibility("digit", "Dense", "unsupported", None, "nope")]

    monkeypatch.setattr(compat, "check_project", fake)
    path = tmp_path / "digits.json"
    save_project(load_template("digits_cnn"), path)
    assert main(["check", str(path), "--target", "tflite"]) == 2
    out = capsys.readouterr().out
    assert "cannot convert" in out and "nope" in out


def test_cli_check_without_target_keeps_its_keys(capsys, tmp_path):
    from builder.cli import main
    from builder.project import save_project

    path = tmp_path / "digits.json"
    save_project(load_template("digits_cnn"), path)
    assert main(["check", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"valid", "dataset_problems", "nodes", "total_params", "errors"} <= set(data)
    assert "target" not in data and "blocks" not in data


def test_cancel_kills_the_worker_and_caches_nothing(tmp_path):
    import threading

    cache = tmp_path / "tflite_compat.json"
    checker = CompatibilityChecker(cache)
    outcome = {}

    def run():
        try:
            outcome["blocks"] = checker.check_project(load_template("digits_cnn"), "tflite-int8")
        except compat.CheckCancelled as exc:
            outcome["cancelled"] = str(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 30
    while checker.worker.process is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc = checker.worker.process
    assert proc is not None, "the conversion worker never started"
    start = time.monotonic()
    checker.cancel()
    thread.join(timeout=30)
    assert not thread.is_alive() and time.monotonic() - start < 10
    assert "cancelled" in outcome and "blocks" not in outcome
    assert proc.poll() is not None  # killed and reaped
    assert not cache.exists()
    with pytest.raises(compat.CheckCancelled):  # a cancelled checker stays cancelled
        checker.check_project(load_template("digits_cnn"), "tflite-int8")


def test_a_kept_worker_serves_later_checks_and_is_replaced_after_a_crash(tmp_path):
    """keep_worker (the editor's mode): one process with TensorFlow loaded answers check after check; the int8
    LSTM crash kills it, and the next check starts a new one."""
    checker = CompatibilityChecker(tmp_path / "kept.json", keep_worker=True)
    try:
        first = checker.check_block(Node("a", "Dense", {"units": 3}), [(4,)], "tflite")
        worker = checker.worker.process
        assert first.status == "builtin" and worker is not None and worker.poll() is None  # still alive
        second = checker.check_block(Node("b", "Dense", {"units": 5}), [(4,)], "tflite")
        assert second.status == "builtin" and not second.cached
        assert checker.worker.process is worker and checker.workers_started == 1 and checker.conversions == 2

        crashed = checker.check_block(Node("lstm", "LSTM", {"units": 8}), [(6, 4)], "tflite-int8")
        assert crashed.quantized is False and worker.poll() is not None  # the segfault took the worker
        third = checker.check_block(Node("c", "Dense", {"units": 7}), [(4,)], "tflite")
        assert third.status == "builtin" and checker.workers_started == 2
    finally:
        kept = checker.worker.process
        checker.close()
    assert checker.worker.process is None and (kept is None or kept.poll() is not None)


def test_a_one_off_checker_leaves_no_worker_behind(tmp_path):
    checker = CompatibilityChecker(tmp_path / "once.json")
    assert checker.check_block(Node("a", "Dense", {"units": 3}), [(4,)], "tflite").status == "builtin"
    assert checker.worker.process is None and checker.workers_started == 1


def test_block_keys_change_exactly_with_what_an_answer_depends_on(tmp_path):
    from builder.model import infer_shapes

    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, node_id="x")
    graph.add_node("Dense", {"units": 3}, node_id="d")
    graph.add_node("Dense", {"units": 2}, node_id="head")
    graph.add_node("Dense", {"units": 2}, node_id="loose")
    graph.connect("x", "d")
    graph.connect("d", "head")
    checker = CompatibilityChecker(tmp_path / "keys.json")
    before = checker.block_keys(graph, infer_shapes(graph), "tflite")
    assert before["x"] is None and before["loose"] is None and before["d"] and before["head"]
    graph.set_param("d", "units", 5)  # d's parameters and head's input shape change
    after = checker.block_keys(graph, infer_shapes(graph), "tflite")
    assert after["d"] != before["d"] and after["head"] != before["head"]
    graph.set_param("d", "units", 3)
    assert checker.block_keys(graph, infer_shapes(graph), "tflite") == before
    assert checker.block_keys(graph, infer_shapes(graph), "tflite-int8")["d"] != before["d"]
    # the keys are the cache's: a checked block's answer is stored under its key
    checker.worker.convert = lambda jobs: {j.key: {"status": "builtin", "quantized": None, "message": ""} for j in jobs}
    checker.check_project(graph, "tflite")
    assert {before["d"], before["head"]} <= set(json.loads((tmp_path / "keys.json").read_text())["entries"])
