"""TFLite compatibility per block: does it convert to built-in ops, need select TF ops, or not convert?

Each block is converted *in isolation* (a tiny model `Input(s) -> block`), in a worker process that the
converter may crash without taking the editor with it (builder.export.compatibility.worker). For the
`tflite-int8` target the block is also converted with full integer quantisation and checked to run on
int8 tensors. This module itself never imports TensorFlow; the worker does.

Answers are cached per layer configuration (target, block type, params, input shapes and dtypes,
TensorFlow version), in memory and on disk (builder.export.compatibility.answer_cache), so the editor can
ask on every edit.

Composite blocks are converted as a whole: the tiny model holds the block's expanded inner layers.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import ExportError, LayerboardError
from builder.export.compatibility.answer_cache import AnswerCache, cache_key, default_cache_path, tf_version
from builder.export.compatibility.worker_client import ConversionJob, ConversionWorker

TARGETS = ("tflite", "tflite-int8")
STATUSES = ("builtin", "select_tf_ops", "unsupported", "skipped")


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
        self.cache = AnswerCache(Path(cache_path) if cache_path else default_cache_path())
        self.worker = ConversionWorker(python or sys.executable, keep_worker)  # the conversion worker process
        self._tf_version = tf_version()

    @property
    def cache_path(self) -> Path:
        return self.cache.path

    @property
    def conversions(self) -> int:
        """Blocks converted (not served from the cache) by this checker."""
        return self.worker.conversions

    @property
    def workers_started(self) -> int:
        return self.worker.started

    @property
    def cancelled(self) -> bool:
        return self.worker.cancelled

    def clear_memory(self) -> None:
        self.cache.clear_memory()

    def cancel(self) -> None:
        self.worker.cancel()

    def close(self) -> None:
        """End a kept worker process (no check may be running)."""
        self.worker.close()

    # ---- checks --------------------------------------------------------------------------------
    def check_block(self, node, input_shapes: list, target: str = "tflite",
                    input_dtypes: list[str] | None = None, ports: list[int] | None = None) -> BlockCompatibility:
        """One block. `input_shapes`: one shape per input, with or without the batch dimension (a leading None)."""
        return self._check([(node, _strip_batch(input_shapes), input_dtypes, ports)], target)[0]

    def check_project(self, project_or_graph, target: str = "tflite", report=None,
                      folder=None) -> list[BlockCompatibility]:
        """Every block of a project (or graph), in data-flow order; shape inference supplies the inputs.

        `report`: a ShapeReport already inferred for exactly this graph (the editor's), so that this call
        needs no Keras and may run on any thread; without it, shapes are inferred here. `folder`: where file
        parameters (a vocabulary file) are read, by default the project's folder."""
        from builder.graph import topological_order

        _check_target(target)
        graph = getattr(project_or_graph, "graph", project_or_graph)
        if folder is None and hasattr(project_or_graph, "folder"):
            folder = project_or_graph.folder()  # where file parameters are read
        if report is None:
            from builder.model import infer_shapes

            report = infer_shapes(graph, folder)
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
        for answer in self._check(todo, target, folder):
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

    def _check(self, items: list, target: str, folder=None) -> list[BlockCompatibility]:
        _check_target(target)
        if self.cancelled:
            raise CheckCancelled("The TFLite check was cancelled.")
        answers: list[BlockCompatibility | None] = []
        jobs: dict[str, ConversionJob] = {}
        keys = []
        for item in items:
            node = item[0]
            key, inputs, ports = self._key(target, item)
            keys.append(key)
            hit = self.cache.get(key)
            if hit is not None:
                answers.append(BlockCompatibility(node.id, node.type, hit["status"], hit["quantized"],
                                                  hit["message"], cached=True))
                continue
            answers.append(None)
            jobs.setdefault(key, ConversionJob(key, {**node.to_dict(), "id": "block"}, inputs, ports, target,
                                               None if folder is None else str(folder)))
        if jobs:
            fresh = self.worker.convert(list(jobs.values()))
            if self.cancelled:
                raise CheckCancelled("The TFLite check was cancelled.")
            self.cache.store(fresh)
        out = []
        for (node, *_), key, answer in zip(items, keys, answers):
            if answer is None:
                entry = fresh[key]
                answer = BlockCompatibility(node.id, node.type, entry["status"], entry["quantized"], entry["message"])
            out.append(answer)
        return out


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
