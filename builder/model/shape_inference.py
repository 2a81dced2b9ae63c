"""Shape inference: each node's output shape and parameter count, or a plain-language error.

Keras computes every shape (layers are called on symbolic `KerasTensor`s); this module only
walks the graph, caches per-node results so an edit re-infers just what changed, and turns
Keras's exceptions into messages that name the node, what it got, what it needs and the fix.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from builder import blocks
from builder.errors import LayerboardError, first_line
from builder.graph import Graph, Node, nodes_on_cycles, topological_order
from builder.model.composite_inference import infer_composite
from builder.model.explanations import explain
from builder.model.layers import apply_layer, make_input, make_layer
from builder.model.pretrained import imagenet_problem
from builder.model.shape_report import NodeResult, Shape, ShapeReport, format_shape
from builder.model.weightless import count_weights, keeps_state, shapes_only, too_big

def _wiring_problem(graph: Graph, node: Node, edges) -> str | None:
    """What is wrong with the wires into a node (count, port names), or None."""
    names = blocks.input_ports(node.type)
    needed = blocks.required_inputs(node.type)
    if names == [] and edges:
        return "is an input and cannot receive wires; remove the wire into it."
    if names == [] and not graph.outgoing(node.id):
        return "is not connected to anything: wire its output to a layer."
    if names is None and len(edges) < needed:
        return f"needs at least {needed} inputs; it has {len(edges)}. Wire more blocks into it."
    if names is None or not names:
        return None
    if not edges:
        return "has no input connected: drag a wire from another block's output to it."
    wired = {e.target_port for e in edges}
    extra = sorted(p for p in wired if p >= len(names))
    if extra:
        return (f"takes {len(names)} input(s) ({', '.join(names)}); it has a wire into port {extra[0]}. "
                "Remove the extra wires.")
    missing = [names[p] for p in range(needed) if p not in wired]
    if missing:
        return f"needs its '{missing[0]}' input wired ({', '.join(names[:needed])} are required)."
    return None


def _content_key(node: Node, inputs: list) -> str:
    """What a node's shapes and parameter count depend on: its type, parameters and inputs (not its id)."""
    return json.dumps([node.type, node.params, inputs], sort_keys=True, default=str)


SAME_RESULTS_KEPT = 100_000  # results of distinct (type, params, inputs) kept for nodes that repeat them


class ShapeInference:
    """Infers shapes for a graph, reusing per-node results whose type, params and inputs are unchanged."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = folder  # the project's folder: where a node's file parameters (a vocabulary) are read
        self._cache: dict[str, NodeResult] = {}
        # A valid result by content, for the next node with the same type, parameters and inputs (a repeated
        # block in a large model): Keras is asked once for all of them.
        self._same: dict[str, NodeResult] = {}
        self._share_checks: dict[str, str | None] = {}  # a shared call's problem (or None) by its content
        self.computed = 0  # nodes re-inferred in the last run, not reused from the run before (tests, benchmarks)
        self.sent_to_keras = 0  # of those, the ones Keras was asked about (the others repeat one of them)

    def run(self, graph: Graph) -> ShapeReport:
        self.computed = self.sent_to_keras = 0
        if len(self._same) > SAME_RESULTS_KEPT:
            self._same.clear()
        order, stuck = topological_order(graph)
        results: dict[str, NodeResult] = {}
        graph_errors: list[str] = []
        if graph.nodes and not graph.input_nodes():
            graph_errors.append("The graph has no Input block: add one (Core > Input) and wire it to the first layer.")
        new_cache: dict[str, NodeResult] = {}
        for node_id in order:
            node = graph.nodes[node_id]
            result, key = self._infer_node(graph, node, results)
            results[node_id] = result
            if key is not None:
                new_cache[key] = result
        cyclic = nodes_on_cycles(graph, stuck)
        for node_id in graph.nodes:
            if node_id in cyclic:
                results[node_id] = NodeResult(error=(
                    f"{graph.nodes[node_id].type} '{node_id}' is part of a cycle: data must flow one way. "
                    "Remove one of the wires that loop back."))
            elif node_id in stuck:
                results[node_id] = NodeResult(error="Waits for a cycle upstream to be removed.", blocked_by="cycle")
        for node_id, node in graph.nodes.items():
            if node.shares is not None and results[node_id].ok:
                results[node_id] = self._shared_result(graph, node, results)
        self._cache = new_cache
        return ShapeReport({n: results[n] for n in graph.nodes}, graph_errors)

    def _infer_node(self, graph: Graph, node: Node, done: dict[str, NodeResult]):
        who = f"{node.type} '{node.id}'"
        if not blocks.is_known(node.type):
            return NodeResult(error=f"'{node.id}' has the unknown block type '{node.type}'."), None
        edges = graph.incoming(node.id)
        problem = _wiring_problem(graph, node, edges)
        if problem:
            return NodeResult(error=f"{who} {problem}"), None
        for e in edges:
            upstream = done[e.source]
            if not upstream.ok:
                return NodeResult(error=f"Waits for '{e.source}', which has a problem.", blocked_by=e.source), None
        inputs = []
        for e in edges:
            up = done[e.source]
            if e.source_port >= len(up.output_shapes):
                return NodeResult(error=f"{who} is wired to output {e.source_port} of '{e.source}', which has no such output."), None
            inputs.append((up.output_shapes[e.source_port], up.dtype))
        ports = [e.target_port for e in edges]
        content = _content_key(node, [inputs, ports, str(self.folder)])
        key = f"{node.id}\0{content}"
        if key in self._cache:
            return self._cache[key], key
        self.computed += 1
        same = self._same.get(content)
        if same is not None:
            return replace(same), key
        self.sent_to_keras += 1
        result = self._compute(node, inputs, ports)
        if result.ok:  # an error names the node: never shared
            self._same[content] = result
        return result, key

    def _shared_result(self, graph: Graph, node: Node, results: dict[str, NodeResult]) -> NodeResult:
        """A node that calls its owner's layer again: its weights are the owner's (0 parameters of its own), and the
        layer, built by the owner's call, must take this node's inputs too (Keras is asked: a Dense built on 8
        features refuses 16)."""
        own = replace(results[node.id], params=0, non_trainable_params=0, shares=node.shares)
        owner = graph.nodes[node.shares]
        if not results[owner.id].ok:
            return own
        shapes = {}
        for who in (owner, node):
            edges = graph.incoming(who.id)
            shapes[who.id] = ([(results[e.source].output_shapes[e.source_port], results[e.source].dtype)
                               for e in edges], [e.target_port for e in edges])
        key = _content_key(owner, [shapes[owner.id], shapes[node.id], str(self.folder)])
        if key not in self._share_checks:
            if len(self._share_checks) > SAME_RESULTS_KEPT:
                self._share_checks.clear()
            self._share_checks[key] = self._shared_call_problem(owner, node, *shapes[owner.id], *shapes[node.id])
        problem = self._share_checks[key]
        return own if problem is None else NodeResult(error=problem, shares=node.shares)

    def _shared_call_problem(self, owner: Node, node: Node, owner_inputs, owner_ports, inputs, ports) -> str | None:
        import keras

        with shapes_only():
            try:
                layer = make_layer(owner, self.folder, pretrained_weights=False)
                apply_layer(owner, layer, [keras.KerasTensor(s, dtype=d) for s, d in owner_inputs], owner_ports)
            except Exception:  # the owner's own call is checked (and explained) on the owner
                return None
            try:
                apply_layer(node, layer, [keras.KerasTensor(s, dtype=d) for s, d in inputs], ports)
            except Exception as exc:
                got = ", ".join(format_shape(s) for s, _ in inputs)
                wanted = ", ".join(format_shape(s) for s, _ in owner_inputs)
                return (f"{node.type} '{node.id}' shares the layer of '{owner.id}', whose weights were made for its "
                        f"input {wanted}; it receives {got} ({first_line(exc)}). Give both the same input shape, or "
                        "stop sharing (a layer of its own).")
        return None

    def _compute(self, node: Node, inputs: list[tuple[Shape, str]], ports: list[int]) -> NodeResult:
        import keras

        who = f"{node.type} '{node.id}'"
        for name, value in node.params.items():
            try:
                blocks.check_param(node.type, name, value, node.params)
            except LayerboardError as exc:
                return NodeResult(error=f"{who}: {exc}")
        if node.type != "Input" and not blocks.is_catalogue_block(node.type):  # a composite block
            return infer_composite(node, inputs, ports, self.folder)
        if node.type == "Input":
            try:
                tensor = make_input(node)
            except Exception as exc:  # Keras rejects the arguments: say which
                return NodeResult(error=f"{who} has invalid parameters: {first_line(exc)}")
            return NodeResult([tuple(tensor.shape)], str(tensor.dtype), 0)
        problem = imagenet_problem(node)  # the node's parameters only: no weights file is read here
        if problem:
            return NodeResult(error=problem)
        # The layer is thrown away, so its weights (and a Dropout's seed) need shapes, not values: none is
        # allocated (a third of the time per node, and a layer too big to build is named instead of built).
        with shapes_only(defer=not keeps_state(node.params)):
            try:
                layer = make_layer(node, self.folder, pretrained_weights=False)
            except Exception as exc:  # Keras rejects the arguments: say which
                return NodeResult(error=f"{who} has invalid parameters: {first_line(exc)}")
            tensors = [keras.KerasTensor(shape, dtype=dtype) for shape, dtype in inputs]
            try:
                out = apply_layer(node, layer, tensors, ports)
            except Exception as exc:
                return NodeResult(error=explain(node, [s for s, _ in inputs], exc))
        oversized = too_big(who, [layer])
        if oversized:
            return NodeResult(error=oversized)
        outs: list[Any] = list(out) if isinstance(out, (list, tuple)) else [out]
        return NodeResult([tuple(t.shape) for t in outs], str(outs[0].dtype), int(layer.count_params()),
                          non_trainable_params=count_weights(layer.non_trainable_weights))


def infer_shapes(graph: Graph, folder: str | Path | None = None) -> ShapeReport:
    """One-off shape inference (no cache kept between calls); file parameters are read inside `folder`."""
    return ShapeInference(folder).run(graph)
