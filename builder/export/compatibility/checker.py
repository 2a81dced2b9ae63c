"""TFLite compatibility per block: does it convert to built-in ops, need select TF ops, or not convert?

Each block is converted *in isolation*: a tiny model `Input(s) -> block` (batch size 1, variables
frozen to constants) goes through `tf.lite.TFLiteConverter`, first with the built-in operators only,
then with `SELECT_TF_OPS` added. For the `tflite-int8` target the block is then converted with full
integer quantisation (`TFLITE_BUILTINS_INT8`, a small random representative dataset) and the
converted model is opened in the LiteRT interpreter to check that its operators run on int8 tensors.

Conversions run in a worker process (`python -m builder.export.compatibility`): the TFLite converter
can crash the whole process (a segmentation fault: e.g. the int8 calibration of an LSTM's WHILE
loop in TF 2.21), and the editor must survive that. A crash is reported for the block it hit.
This module itself never imports TensorFlow; the worker does.

Answers are cached per layer configuration (target, block type, params, input shapes and dtypes,
TensorFlow version), in memory and in a JSON file ($LAYERBOARD_CACHE_DIR/tflite_compat.json, default
~/.cache/layerboard/), written atomically, so the editor can ask on every edit.

Composite blocks are converted as a whole: the tiny model holds the block's expanded inner layers.
"""
from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable

from builder.errors import ExportError
from builder.files import atomic_write_text
from builder.model import random_inputs

TARGETS = ("tflite", "tflite-int8")
STATUSES = ("builtin", "select_tf_ops", "unsupported", "skipped")
CACHE_FILE = "tflite_compat.json"
CACHE_VERSION = 1
BLOCK_TIMEOUT_S = 120.0  # one block's conversions (float, then int8) must finish within this
_ROOT = Path(__file__).resolve().parent.parent.parent  # the folder holding the `builder` package


@dataclass
class BlockCompatibility:
    node_id: str
    type: str
    status: str  # one of STATUSES
    quantized: bool | None  # tflite-int8 only: whether the block's ops run in int8; None otherwise
    message: str
    cached: bool = False  # served from the cache (memory or disk), no conversion

    @property
    def convertible(self) -> bool:
        return self.status in ("builtin", "select_tf_ops")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.node_id, "type": self.type, "status": self.status,
                "quantized": self.quantized, "message": self.message}


@dataclass
class _Job:
    key: str
    node: dict[str, Any]  # Node.to_dict()
    inputs: list[tuple[list, str]]  # (shape without batch, dtype) per incoming wire
    ports: list[int]
    target: str


def default_cache_path() -> Path:
    folder = os.environ.get("LAYERBOARD_CACHE_DIR") or Path.home() / ".cache" / "layerboard"
    return Path(folder) / CACHE_FILE


def tf_version() -> str:
    """The installed TensorFlow's version, read without importing it."""
    from importlib import metadata

    for dist in ("tensorflow", "tensorflow-cpu", "tf-nightly"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return "none"


def cache_key(target: str, node_type: str, params: dict[str, Any], inputs: Iterable[tuple[Any, str]],
              ports: Iterable[int] = (), version: str | None = None) -> str:
    shapes = [[list(s), str(d)] for s, d in inputs]
    return json.dumps([target, node_type, params, shapes, list(ports), version or tf_version()],
                      sort_keys=True, default=str, separators=(",", ":"))


class CheckCancelled(ExportError):
    """`CompatibilityChecker.cancel()` ended a check before it finished; nothing of it was cached."""


class CompatibilityChecker:
    """Checks blocks, converting only configurations it has not seen; `conversions` counts blocks converted.

    `cancel()` (from any thread) kills the conversion worker and makes the check in progress, and every later
    one (even one the cache could answer), raise CheckCancelled without caching anything: for an editor
    window that closes mid-check.

    `keep_worker=True` keeps one worker process (with TensorFlow imported) alive between checks, so that a
    block not seen before costs its conversion (0.1-0.5 s) rather than a new process (~5 s): for the editor,
    which checks after every edit. `close()` ends it (it also ends with this process).
    """

    def __init__(self, cache_path: str | Path | None = None, python: str | None = None,
                 keep_worker: bool = False) -> None:
        self.cache_path = Path(cache_path) if cache_path else default_cache_path()
        self.python = python or sys.executable
        self._memory: dict[str, dict[str, Any]] | None = None
        self._lock = threading.Lock()
        self.conversions = 0
        self._tf_version = tf_version()
        self._cancelled = False
        self.keep_worker = keep_worker
        self._proc: subprocess.Popen | None = None  # the conversion worker while one runs (or is kept)
        self._errors = None  # its stderr (a temporary file)
        self.workers_started = 0

    # ---- cache ---------------------------------------------------------------------------------
    def _read_disk(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.cache_path.read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def _entries(self) -> dict[str, dict[str, Any]]:
        if self._memory is None:
            self._memory = self._read_disk()
        return self._memory

    def _store(self, new: dict[str, dict[str, Any]]) -> None:
        """Add answers to memory and to the file (merged with what another process wrote), atomically."""
        self._entries().update(new)
        merged = {**self._read_disk(), **self._entries()}
        self._memory = merged
        try:
            atomic_write_text(self.cache_path, json.dumps({"version": CACHE_VERSION, "entries": merged}))
        except OSError:
            pass  # a read-only home: the answers still live in memory

    def clear_memory(self) -> None:
        self._memory = None

    def cancel(self) -> None:
        self._cancelled = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()

    def close(self) -> None:
        """End a kept worker process (no check may be running)."""
        proc = self._proc
        if proc is None:
            return
        proc.kill()  # idle between batches: nothing is lost, and nobody waits for TensorFlow to tear down
        proc.wait()
        self._forget_worker()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    # ---- checks --------------------------------------------------------------------------------
    def check_block(self, node, input_shapes: list, target: str = "tflite",
                    input_dtypes: list[str] | None = None, ports: list[int] | None = None) -> BlockCompatibility:
        """One block. `input_shapes`: one shape per input, with or without the batch dimension (a leading None)."""
        return self._check([(node, _strip_batch(input_shapes), input_dtypes, ports)], target)[0]

    def check_project(self, project_or_graph, target: str = "tflite", report=None) -> list[BlockCompatibility]:
        """Every block of a project (or graph), in data-flow order; shape inference supplies the inputs.

        `report`: a ShapeReport already inferred for exactly this graph (the editor's), so that this call
        needs no Keras and may run on any thread; without it, shapes are inferred here."""
        from builder.graph import topological_order

        _check_target(target)
        graph = getattr(project_or_graph, "graph", project_or_graph)
        if report is None:
            from builder.model import infer_shapes

            report = infer_shapes(graph)
        order, stuck = topological_order(graph)
        results: dict[str, BlockCompatibility] = {}
        todo = []
        for node_id in order + sorted(stuck):
            node = graph.nodes[node_id]
            item = _block_item(graph, report, node_id)
            if item is None:
                why = ("an Input block: nothing to convert" if node.type == "Input"
                       else f"fix the wiring first: {report.nodes[node_id].error}")
                results[node_id] = BlockCompatibility(node_id, node.type, "skipped", None, why)
            else:
                todo.append(item)
        for answer in self._check(todo, target):
            results[answer.node_id] = answer
        return [results[n] for n in order + sorted(stuck) if n in results]

    def block_keys(self, graph, report, target: str) -> dict[str, str | None]:
        """Every block's cache key — what its answer depends on: target, type, parameters, input shapes and
        dtypes, TensorFlow version — or None for a block that is not checked (an Input, a wiring problem).
        Cheap (no Keras, no conversion): the editor compares keys to know which badges an edit made stale."""
        keys = {}
        for node_id in graph.nodes:
            item = _block_item(graph, report, node_id)
            keys[node_id] = None if item is None else self._key(target, item)[0]
        return keys

    def _key(self, target: str, item) -> tuple[str, list, list]:
        """(cache key, inputs as [shape, dtype] pairs, ports) of one (node, shapes, dtypes, ports) item."""
        node, shapes, dtypes, ports = item
        dtypes = list(dtypes or ["float32"] * len(shapes))
        ports = list(ports if ports is not None else range(len(shapes)))
        inputs = [(list(s), str(d)) for s, d in zip(shapes, dtypes)]
        return cache_key(target, node.type, node.params, inputs, ports, self._tf_version), inputs, ports

    def _check(self, items: list, target: str) -> list[BlockCompatibility]:
        _check_target(target)
        if self._cancelled:
            raise CheckCancelled("The TFLite check was cancelled.")
        answers: list[BlockCompatibility | None] = []
        jobs: dict[str, _Job] = {}
        keys = []
        for item in items:
            node = item[0]
            key, inputs, ports = self._key(target, item)
            keys.append(key)
            with self._lock:
                hit = self._entries().get(key)
            if hit is not None:
                answers.append(BlockCompatibility(node.id, node.type, hit["status"], hit["quantized"],
                                                  hit["message"], cached=True))
                continue
            answers.append(None)
            jobs.setdefault(key, _Job(key, {**node.to_dict(), "id": "block"}, inputs, ports, target))
        if jobs:
            fresh = self._convert(list(jobs.values()))
            if self._cancelled:
                raise CheckCancelled("The TFLite check was cancelled.")
            with self._lock:
                self._store(fresh)
        out = []
        for (node, *_), key, answer in zip(items, keys, answers):
            if answer is None:
                entry = fresh[key]
                answer = BlockCompatibility(node.id, node.type, entry["status"], entry["quantized"], entry["message"])
            out.append(answer)
        return out

    # ---- the worker process ------------------------------------------------------------------------
    def _convert(self, jobs: list[_Job]) -> dict[str, dict[str, Any]]:
        """Convert the jobs in worker processes (a new one after a crash); key -> answer."""
        done: dict[str, dict[str, Any]] = {}
        pending = list(jobs)
        while pending:
            if self._cancelled:
                raise CheckCancelled("The TFLite check was cancelled.")
            answers, crashed = self._run_worker(pending)
            done.update(answers)
            self.conversions += len(answers)
            pending = [j for j in pending if j.key not in done]
            if crashed is not None:
                job, partial, why = crashed
                done[job.key] = _crash_answer(job, partial, why)
                self.conversions += 1
                pending = [j for j in pending if j.key != job.key]
            elif pending:  # the worker ended without answering or crashing on a job: give up on the rest
                for job in pending:
                    done[job.key] = {"status": "unsupported", "quantized": False if job.target == "tflite-int8" else None,
                                     "message": "the conversion worker stopped before checking this block"}
                pending = []
        return done

    def _start_worker(self) -> subprocess.Popen:
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.pathsep.join(
            p for p in (str(_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        self._errors = tempfile.TemporaryFile()
        self._proc = subprocess.Popen([self.python, "-m", "builder.export.compatibility"], cwd=str(_ROOT), env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors)
        self.workers_started += 1
        return self._proc

    def _forget_worker(self) -> None:
        """Drop an ended worker: close its pipes and its stderr file."""
        if self._proc is not None:
            for pipe in (self._proc.stdin, self._proc.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass
        if self._errors is not None:
            self._errors.close()
        self._proc, self._errors = None, None

    def _run_worker(self, jobs: list[_Job]):
        """Send one batch of jobs (a JSON line) to the worker, read its answers until it says "done".

        Returns (answers, crashed): crashed is (job, partial answer, why) when the worker died on a job."""
        proc = self._proc if self._proc is not None and self._proc.poll() is None else None
        if proc is None:
            if self._proc is not None:
                self._forget_worker()
            proc = self._start_worker()
        if self._cancelled:  # cancel() came between the check in _convert and the start
            proc.kill()
        errors_from = os.fstat(self._errors.fileno()).st_size  # a kept worker's stderr holds earlier batches too
        try:
            proc.stdin.write(json.dumps([asdict(j) for j in jobs]).encode() + b"\n")
            proc.stdin.flush()
            if not self.keep_worker:
                proc.stdin.close()
        except (BrokenPipeError, ValueError):  # killed by cancel(), or died
            pass
        by_key = {j.key: j for j in jobs}
        answers: dict[str, dict[str, Any]] = {}
        current, partial = None, None
        finished = False  # the worker said "done" for this batch
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        started = heard = time.monotonic()
        buffer = b""
        try:
            while not finished:
                if not selector.select(timeout=1.0):
                    now = time.monotonic()
                    if current is not None and now - started > BLOCK_TIMEOUT_S:
                        proc.kill()
                        proc.wait()
                        self._forget_worker()
                        return answers, (by_key[current], partial, f"took over {BLOCK_TIMEOUT_S:.0f} s")
                    if current is None and now - heard > BLOCK_TIMEOUT_S:  # silent between jobs: a lost line
                        proc.kill()
                        proc.wait()
                        self._forget_worker()
                        return answers, None  # _convert reports the unanswered jobs
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                heard = time.monotonic()
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    try:
                        msg = json.loads(line)
                    except ValueError:
                        continue
                    if "start" in msg:
                        current, partial, started = msg["start"], None, time.monotonic()
                    elif "float" in msg:
                        partial = msg
                    elif "answer" in msg:
                        answers[msg["key"]] = msg["answer"]
                        current = None
                    elif "done" in msg:
                        finished = True
        finally:
            selector.close()
        if finished and self.keep_worker:
            return answers, None
        code = proc.wait()  # the worker ended: after its batch (not kept), or on a crash
        tail = []
        if self._errors is not None:
            self._errors.seek(errors_from)
            tail = [l for l in self._errors.read().decode(errors="replace").splitlines() if l.strip()]
        self._forget_worker()
        if current is not None and current not in answers:
            why = f"exit code {code}" if code >= 0 else f"signal {-code}"
            if code < 0 and -code == 11:
                why = "segmentation fault"
            return answers, (by_key[current], partial, why + (f"; {tail[-1][:200]}" if tail and code > 0 else ""))
        return answers, None


def _crash_answer(job: _Job, partial: dict[str, Any] | None, why: str) -> dict[str, Any]:
    if partial is not None and partial["float"] in ("builtin", "select_tf_ops"):
        # the float conversion worked; the int8 one crashed the converter
        return {"status": partial["float"], "quantized": False,
                "message": (partial.get("message") + "; " if partial.get("message") else "")
                + f"int8: the converter crashed during full-integer quantisation ({why})"}
    return {"status": "unsupported", "quantized": False if job.target == "tflite-int8" else None,
            "message": f"the TFLite converter crashed on this block ({why})"}


def _block_item(graph, report, node_id: str):
    """(node, input shapes without batch, input dtypes, ports) of a block to check; None for an Input or a
    block whose shapes could not be inferred."""
    node = graph.nodes[node_id]
    result = report.nodes.get(node_id)
    if node.type == "Input" or result is None or not result.ok:
        return None
    edges = graph.incoming(node_id)
    shapes = [report.nodes[e.source].output_shapes[e.source_port] for e in edges]
    dtypes = [report.nodes[e.source].dtype for e in edges]
    return node, _strip_batch(shapes), dtypes, [e.target_port for e in edges]


def _strip_batch(shapes: list) -> list[list]:
    """Shapes without the batch dimension: shape inference's shapes start with None."""
    out = []
    for s in shapes:
        s = list(s)
        out.append(s[1:] if s and s[0] is None else s)
    return out


def _check_target(target: str) -> None:
    if target not in TARGETS:
        from builder.errors import LayerboardError

        raise LayerboardError(f"Unknown target '{target}'. Choose one of: {', '.join(TARGETS)}.")


_default: CompatibilityChecker | None = None


def default_checker() -> CompatibilityChecker:
    """One checker per process (and per cache path: it follows $LAYERBOARD_CACHE_DIR)."""
    global _default
    if _default is None or _default.cache_path != default_cache_path():
        _default = CompatibilityChecker()
    return _default


def check_block(node, input_shapes: list, target: str = "tflite", input_dtypes: list[str] | None = None,
                ports: list[int] | None = None) -> BlockCompatibility:
    return default_checker().check_block(node, input_shapes, target, input_dtypes, ports)


def check_project(project_or_graph, target: str = "tflite") -> list[BlockCompatibility]:
    return default_checker().check_project(project_or_graph, target)


# =================================================================================================
# The worker: runs in its own process, imports TensorFlow, answers one JSON line per block.
# =================================================================================================
def _first_error(exc: Exception) -> str:
    lines = [l.strip() for l in str(exc).splitlines() if l.strip()]
    for line in lines:
        if "error:" in line:
            return line.split("error:", 1)[1].strip()[:300]
    return (lines[0] if lines else type(exc).__name__)[:300]


def _tiny_model(job: dict[str, Any]):
    """Input(s) -> the block, as a keras.Model (composites are expanded by build_model)."""
    from builder.graph import Graph
    from builder.model import build_model

    graph = Graph()
    for i, (shape, dtype) in enumerate(job["inputs"]):
        params: dict[str, Any] = {"shape": list(shape)}
        if dtype != "float32":
            params["dtype"] = dtype
        graph.add_node("Input", params, node_id=f"block_input_{i}")
    node = job["node"]
    graph.add_node(node["type"], node.get("params", {}), node_id=node["id"])
    for i, port in enumerate(job["ports"]):
        graph.connect(f"block_input_{i}", node["id"], 0, port)
    return build_model(graph, name="block")


def _concrete_function(model, inputs):
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    specs = [tf.TensorSpec([1] + list(shape), tf.as_dtype(dtype)) for shape, dtype in inputs]
    if len(specs) == 1:
        fn = tf.function(lambda x: model(x, training=False), input_signature=specs)
    else:
        fn = tf.function(lambda *xs: model(list(xs), training=False), input_signature=specs)
    # frozen: the weights become constants (else TFLite keeps resource variables it cannot quantise)
    return convert_variables_to_constants_v2(fn.get_concrete_function())


def _representative(inputs, count: int = 8):
    import numpy as np

    rng = np.random.default_rng(0)

    def data():
        for _ in range(count):
            yield random_inputs([(tuple(shape), dtype) for shape, dtype in inputs], 1, unknown_dim=4, normal=True,
                                rng=rng)
    return data


def _convert(cf, ops, representative=None) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions([cf])
    converter.target_spec.supported_ops = ops
    if representative is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
    return converter.convert()


def _float_ops(content: bytes) -> tuple[list[str], list[str]]:
    """(all operator names, those that read or write float tensors, QUANTIZE/DEQUANTIZE aside)."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(model_content=content,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter.allocate_tensors()
    dtypes = {t["index"]: np.dtype(t["dtype"]) for t in interpreter.get_tensor_details()}
    ops, floating = [], []
    for op in interpreter._get_ops_details():
        ops.append(op["op_name"])
        if op["op_name"] in ("QUANTIZE", "DEQUANTIZE"):
            continue
        tensors = [i for i in list(op["inputs"]) + list(op["outputs"]) if i >= 0 and i in dtypes]
        if any(dtypes[i].kind == "f" for i in tensors):
            floating.append(op["op_name"])
    return ops, floating


def _check_job(job: dict[str, Any], emit) -> dict[str, Any]:
    import tensorflow as tf

    int8 = job["target"] == "tflite-int8"
    try:
        model = _tiny_model(job)
        cf = _concrete_function(model, job["inputs"])
    except Exception as exc:
        return {"status": "unsupported", "quantized": False if int8 else None,
                "message": f"cannot be traced for conversion: {_first_error(exc)}"}
    builtins = [tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        _convert(cf, builtins)
        status, message = "builtin", ""
    except Exception as exc:
        first = _first_error(exc)
        try:
            _convert(cf, builtins + [tf.lite.OpsSet.SELECT_TF_OPS])
            status, message = "select_tf_ops", f"needs the select-TF-ops runtime ({first})"
        except Exception as exc2:
            return {"status": "unsupported", "quantized": False if int8 else None, "message": _first_error(exc2)}
    if not int8:
        return {"status": status, "quantized": None, "message": message}
    emit({"float": status, "message": message})
    try:
        content = _convert(cf, [tf.lite.OpsSet.TFLITE_BUILTINS_INT8], _representative(job["inputs"]))
    except Exception as exc:
        return {"status": status, "quantized": False,
                "message": (message + "; " if message else "") + f"int8: does not quantise ({_first_error(exc)})"}
    try:
        ops, floating = _float_ops(content)
    except Exception as exc:  # converted, but the interpreter cannot open it: trust the converter
        return {"status": status, "quantized": True,
                "message": (message + "; " if message else "") + f"int8 (not inspected: {_first_error(exc)})"}
    if floating:
        return {"status": status, "quantized": False,
                "message": (message + "; " if message else "") + f"int8: runs in float: {', '.join(sorted(set(floating)))}"}
    arithmetic = [o for o in ops if o not in ("QUANTIZE", "DEQUANTIZE")]
    note = "int8: " + (", ".join(sorted(set(arithmetic))) if arithmetic else "no operators (passes its input through)")
    return {"status": status, "quantized": True, "message": (message + "; " if message else "") + note}


def _worker_main() -> int:
    """Read batches of jobs, one JSON list per line, until the end of the input; answer each job as it is
    checked, then say "done" for the batch (the checker may keep this process for its next batch)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    source = sys.stdin
    # The answers get a private copy of stdout; file descriptor 1 itself then points at stderr, so that the
    # converter's chatter (Python's or native code's) never mixes with them.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def emit(msg: dict[str, Any]) -> None:
        out.write(json.dumps(msg) + "\n")
        out.flush()

    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.getLogger("absl").setLevel(logging.ERROR)
    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)
    while line := source.readline():
        if not line.strip():
            continue
        for job in json.loads(line):
            emit({"start": job["key"]})
            try:
                answer = _check_job(job, emit)
            except Exception as exc:
                answer = {"status": "unsupported", "quantized": False if job["target"] == "tflite-int8" else None,
                          "message": f"check failed: {_first_error(exc)}"}
            emit({"key": job["key"], "answer": answer})
        emit({"done": True})
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main())
