"""Composite blocks: a saved sub-graph with named inputs and outputs that sits in a graph as one node.

A block definition is a JSON file (`"format": "layerboard-block"`) holding a small graph in the
project-file layout. Its Input nodes stand for the block's inputs (their `shape` is only an
example, used to check the block on its own); `outputs` names which inner node ports leave the
block. A graph node whose `type` is a block name is an *unexpanded* composite:

* shape inference builds the inner layers on the node's input tensors, with layer names
  `<node id>_<inner id>`, so the block shows its output shape and parameter count;
* `expand(graph, node_id)` replaces the node by its inner nodes, with those same prefixed ids,
  rewired to the block's neighbours;
* `keras_build.build_model` expands every composite first, so the built Keras model is the same
  (layer names, configs, parameter count) whether a block was expanded in the graph or not.

Shipped blocks live in `templates/blocks/` (palette category "Blocks"); the user's own in
`$LAYERBOARD_BLOCKS_DIR`, default `~/.config/layerboard/blocks` ("My blocks"). A definition may
expose parameters (`"params"`) that set inner nodes' parameters, e.g. a ResidualBlock's `filters`
sets both of its Conv2D's `filters`. This module never imports Keras until a block is inferred.
"""
from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder import registry
from builder.errors import GraphError, LayerboardError, ProjectFileError
from builder.graph import Edge, Graph, Node, topological_order

FORMAT = "layerboard-block"
VERSION = 1
SHIPPED_CATEGORY = "Blocks"
USER_CATEGORY = "My blocks"
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "templates" / "blocks"
MAX_NESTING = 20  # a block inside a block inside ...: deeper than this is a loop (A holds B holds A)
_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_TARGET = re.compile(r"^(?P<node>[^.\[\]]+)\.(?P<param>\w+)(?:\[(?P<index>\d+)\])?$")
_PARAM_KINDS = {"int", "float", "bool", "str", "choice", "tuple"}


class BlockError(LayerboardError):
    """A block definition that cannot be used or saved; the message says what to change."""


@dataclass
class BlockOutput:
    name: str
    node: str
    port: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "node": self.node, "port": self.port}


@dataclass
class BlockParam:
    """A parameter of the block as a whole; its value is written into each target inner parameter."""

    name: str
    kind: str
    default: Any
    targets: list[str]
    help: str = ""
    choices: list[Any] | None = None
    minimum: float | None = None
    maximum: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "default": self.default, "targets": list(self.targets)}
        if self.help:
            data["help"] = self.help
        for key, value in (("choices", self.choices), ("min", self.minimum), ("max", self.maximum)):
            if value is not None:
                data[key] = value
        return data


@dataclass
class BlockDef:
    name: str
    description: str
    inputs: list[str]
    outputs: list[BlockOutput]
    graph_data: dict[str, Any]
    params: dict[str, BlockParam] = field(default_factory=dict)
    category: str = USER_CATEGORY
    path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "description": self.description,
            "inputs": list(self.inputs),
            "outputs": [o.to_dict() for o in self.outputs],
        }
        if self.params:
            data["params"] = {n: p.to_dict() for n, p in self.params.items()}
        data["graph"] = copy.deepcopy(self.graph_data)
        return data

    def graph(self, values: dict[str, Any] | None = None) -> Graph:
        """A fresh copy of the inner graph, with the block's parameter values written in."""
        graph = Graph.from_dict(self.graph_data)
        for name, param in self.params.items():
            value = (values or {}).get(name, param.default)
            if value is None:
                continue
            for target in param.targets:
                m = _TARGET.match(target)
                node = graph.nodes[m["node"]]
                if m["index"] is None:
                    node.params[m["param"]] = copy.deepcopy(value)
                else:
                    current = list(node.params.get(m["param"]) or [])
                    current[int(m["index"])] = copy.deepcopy(value)
                    node.params[m["param"]] = current
        return graph


# ---- where blocks live, and the cache of loaded definitions -----------------------------------
def user_dir() -> Path:
    """The user's blocks folder: $LAYERBOARD_BLOCKS_DIR, else ~/.config/layerboard/blocks."""
    env = os.environ.get("LAYERBOARD_BLOCKS_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "layerboard" / "blocks"


_cache: dict[tuple[str, str], tuple[dict[str, BlockDef], list[str]]] = {}
_pending: set[str] = set()  # names of block files being loaded (a block may use another block)


def _load_all() -> tuple[dict[str, BlockDef], list[str]]:
    key = (str(SHIPPED_DIR), str(user_dir()))
    if key not in _cache:
        found: dict[str, BlockDef] = {}
        problems: list[str] = []
        _cache[key] = (found, problems)  # filled below; a lookup while loading sees what is loaded so far
        paths = [(path, category)
                 for folder, category in ((SHIPPED_DIR, SHIPPED_CATEGORY), (user_dir(), USER_CATEGORY))
                 if folder.is_dir() for path in sorted(folder.glob("*.json"))]
        _pending.update(p.stem for p, _ in paths)
        try:
            for path, category in paths:
                try:
                    defn = load_block(path, category, known=found)
                except LayerboardError as exc:
                    problems.append(str(exc))
                    continue
                found[defn.name] = defn
        finally:
            _pending.clear()
    return _cache[key]


def refresh() -> None:
    """Forget loaded definitions (after a block file was written or the folder changed)."""
    _cache.clear()
    registry.block_spec.cache_clear()


def definitions() -> dict[str, BlockDef]:
    return dict(_load_all()[0])


def load_problems() -> list[str]:
    """Block files that were skipped, each with its reason."""
    return list(_load_all()[1])


def get(name: str) -> BlockDef | None:
    return _load_all()[0].get(name)


def is_composite(block_type: str) -> bool:
    if registry.is_catalogue_block(block_type):
        return False
    return get(block_type) is not None or block_type in _pending


def definition(block_type: str) -> BlockDef:
    defn = get(block_type)
    if defn is None:
        raise BlockError(f"There is no composite block named '{block_type}'. "
                         f"Known blocks: {', '.join(definitions()) or 'none'}.")
    return defn


def palette() -> dict[str, list[str]]:
    """Block names by palette category ("Blocks", then "My blocks"), in name order."""
    groups: dict[str, list[str]] = {SHIPPED_CATEGORY: [], USER_CATEGORY: []}
    for name, defn in sorted(definitions().items()):
        groups[defn.category].append(name)
    return {c: names for c, names in groups.items() if names}


# ---- what the registry asks --------------------------------------------------------------------
def registry_entry(block_type: str) -> dict[str, Any]:
    """The block as a catalogue entry, so registry.input_ports/output_ports/... work unchanged."""
    defn = definition(block_type)
    return {
        "category": defn.category,
        "inputs": {"ports": list(defn.inputs), "call": "single" if len(defn.inputs) == 1 else "list"},
        "outputs": [o.name for o in defn.outputs],
        "initial": {},
        "params": {},
        "primary": list(defn.params),
        "needs": "",
        "fix": "",
    }


def block_spec(block_type: str):
    """A registry.BlockSpec whose parameters are the block's exposed ones (no Keras import)."""
    defn = definition(block_type)
    params = [
        registry.ParamSpec(name=p.name, kind=p.kind, default=copy.deepcopy(p.default), choices=p.choices,
                           minimum=p.minimum, maximum=p.maximum,
                           help=p.help or f"Sets {', '.join(p.targets)} inside the block.")
        for p in defn.params.values()
    ]
    return registry.BlockSpec(type=block_type, category=defn.category, inputs=len(defn.inputs),
                              params=params, primary=list(defn.params))


# ---- reading and checking definitions -----------------------------------------------------------
def check_name(name: Any, *, allow_existing_user: bool = False) -> str:
    """A block name must be a CamelCase identifier that no catalogue or shipped block uses."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise BlockError(f"'{name}' is not a valid block name: use a CamelCase identifier that starts with a "
                         "capital letter and has only letters and digits, e.g. MyResidualBlock.")
    if registry.is_catalogue_block(name):
        raise BlockError(f"'{name}' is already a Keras layer in the catalogue; choose another name, e.g. My{name}.")
    existing = get(name)
    if existing is not None and (existing.category == SHIPPED_CATEGORY or not allow_existing_user):
        where = "a shipped block" if existing.category == SHIPPED_CATEGORY else f"your block in {existing.path}"
        raise BlockError(f"'{name}' is already {where}; choose another name.")
    return name


def load_block(path: str | Path, category: str = USER_CATEGORY, known: dict[str, BlockDef] | None = None) -> BlockDef:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectFileError(path, "", f"cannot be read ({exc}).") from None
    except json.JSONDecodeError as exc:
        raise ProjectFileError(path, f"line {exc.lineno}, column {exc.colno}", f"malformed JSON: {exc.msg}.") from None
    return definition_from_dict(data, path, category, known)


def definition_from_dict(data: Any, path: str | Path = "<block>", category: str = USER_CATEGORY,
                         known: dict[str, BlockDef] | None = None) -> BlockDef:
    """Validate a block definition; every problem is a ProjectFileError naming the field."""
    from builder.serialization import _graph

    def fail(place: str, problem: str):
        raise ProjectFileError(path, place, problem)

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        fail("format", f"not a Layerboard block (expected \"format\": \"{FORMAT}\").")
    if data.get("version") != VERSION:
        fail("version", f"unsupported version {json.dumps(data.get('version'))}; this Layerboard reads version {VERSION}.")
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        fail("name", f"{json.dumps(name)} is not a CamelCase identifier (e.g. MyResidualBlock).")
    if registry.is_catalogue_block(name):
        fail("name", f"'{name}' is a catalogue layer; a block needs its own name.")
    if known and name in known:
        fail("name", f"'{name}' is already defined by {known[name].path}.")
    description = data.get("description", "")
    if not isinstance(description, str):
        fail("description", "expected a string.")
    graph = _graph(path, data.get("graph"))
    for node in graph.nodes.values():
        if node.type == name:
            fail("graph", f"block '{name}' cannot contain itself.")
    inputs = data.get("inputs")
    input_nodes = graph.input_nodes()
    if not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs):
        fail("inputs", "expected a non-empty list of the ids of the graph's Input nodes.")
    if sorted(inputs) != sorted(input_nodes) or len(set(inputs)) != len(inputs):
        fail("inputs", f"must list each Input node of the graph once; the graph's Input nodes are {input_nodes}.")
    raw_outputs = data.get("outputs")
    if not isinstance(raw_outputs, list) or not raw_outputs:
        fail("outputs", "expected a non-empty list of {\"name\", \"node\", \"port\"}.")
    outputs = []
    for i, o in enumerate(raw_outputs):
        if isinstance(o, str):
            o = {"name": o, "node": o}
        if not isinstance(o, dict) or not isinstance(o.get("name"), str) or o.get("node") not in graph.nodes:
            fail(f"outputs[{i}]", "expected {\"name\": ..., \"node\": <an inner node id>, \"port\": 0}.")
        port = o.get("port", 0)
        if not isinstance(port, int) or isinstance(port, bool) or port < 0:
            fail(f"outputs[{i}].port", "expected a port number (0 for the first output).")
        outputs.append(BlockOutput(o["name"], o["node"], port))
    if len({o.name for o in outputs}) != len(outputs):
        fail("outputs", "output names must differ.")
    declared = {o.node for o in outputs}
    sources = {e.source for e in graph.edges}
    for node_id, node in graph.nodes.items():
        if node.type != "Input" and node_id not in sources and node_id not in declared:
            fail("outputs", f"inner node '{node_id}' leads nowhere: wire it on, or list it as an output.")
    _, stuck = topological_order(graph)
    if stuck:
        fail("graph", f"the block's graph has a cycle through {sorted(stuck)}.")
    params: dict[str, BlockParam] = {}
    raw_params = data.get("params", {})
    if not isinstance(raw_params, dict):
        fail("params", "expected an object of parameters.")
    for pname, p in raw_params.items():
        place = f"params.{pname}"
        if not isinstance(p, dict) or p.get("kind") not in _PARAM_KINDS:
            fail(place, f"expected {{\"kind\": one of {sorted(_PARAM_KINDS)}, \"default\", \"targets\"}}.")
        targets = p.get("targets")
        if not isinstance(targets, list) or not targets:
            fail(f"{place}.targets", "expected a list like [\"conv2d_1.filters\", \"reshape.target_shape[1]\"].")
        for t in targets:
            m = _TARGET.match(t) if isinstance(t, str) else None
            if m is None or m["node"] not in graph.nodes or graph.nodes[m["node"]].type == "Input":
                fail(f"{place}.targets", f"{json.dumps(t)} does not name a parameter of an inner layer "
                     "(write NODE.PARAM or NODE.PARAM[INDEX]).")
            if m["index"] is not None:
                current = graph.nodes[m["node"]].params.get(m["param"])
                if not isinstance(current, list) or int(m["index"]) >= len(current):
                    fail(f"{place}.targets", f"{t}: '{m['node']}' needs a list {m['param']} with that index.")
        params[pname] = BlockParam(pname, p["kind"], p.get("default"), list(targets), str(p.get("help", "")),
                                   p.get("choices"), p.get("min"), p.get("max"))
    return BlockDef(name, description, list(inputs), outputs, graph.to_dict(), params, category,
                    Path(path) if not str(path).startswith("<") else None)


# ---- expansion -------------------------------------------------------------------------------------
@dataclass
class Expansion:
    """What expanding one composite node does: the node and its wires go, the inner nodes and wires come."""

    node: Node
    old_edges: list[Edge]
    nodes: list[Node]
    edges: list[Edge]


def plan_expansion(graph: Graph, node_id: str) -> Expansion:
    """Compute (without changing the graph) how a composite node is replaced by its inner nodes."""
    node = graph.node(node_id)
    if not is_composite(node.type):
        raise GraphError(f"'{node_id}' is a {node.type}, not a composite block; only blocks can be expanded.")
    defn = definition(node.type)
    inner = defn.graph(node.params)
    incoming, outgoing = graph.incoming(node_id), graph.outgoing(node_id)
    feeds = {defn.inputs[e.target_port]: (e.source, e.source_port)
             for e in incoming if e.target_port < len(defn.inputs)}
    layers = [n for n in inner.nodes.values() if n.type != "Input"]
    x0 = min((n.position[0] for n in layers), default=0.0)
    y0 = min((n.position[1] for n in layers), default=0.0)

    def pid(inner_id: str) -> str:
        return f"{node_id}_{inner_id}"

    def resolve(inner_id: str, port: int) -> tuple[str, int]:
        if inner.nodes[inner_id].type == "Input":
            if inner_id not in feeds:
                raise GraphError(f"Wire the '{inner_id}' input of {node.type} '{node_id}' before expanding it.")
            return feeds[inner_id]
        return pid(inner_id), port

    new_nodes = []
    for n in layers:
        if pid(n.id) in graph.nodes:
            raise GraphError(f"Cannot expand '{node_id}': the graph already has a node '{pid(n.id)}'. Rename that node first.")
        new_nodes.append(Node(pid(n.id), n.type, copy.deepcopy(n.params),
                              (node.position[0] + n.position[0] - x0, node.position[1] + n.position[1] - y0),
                              trainable=n.trainable and node.trainable, output=n.output))
    new_edges = []
    for e in inner.edges:
        source, port = resolve(e.source, e.source_port)
        new_edges.append(Edge(source, pid(e.target), port, e.target_port))
    for e in outgoing:
        if e.source_port >= len(defn.outputs):
            raise GraphError(f"'{node_id}' has no output port {e.source_port}; {node.type} has {len(defn.outputs)}.")
        out = defn.outputs[e.source_port]
        source, port = resolve(out.node, out.port)
        new_edges.append(Edge(source, e.target, port, e.target_port))
    if node_id in graph.output_nodes():
        # The block was a model output: its output layers stay outputs even if they also feed inner layers.
        wired_out = {e.source for e in new_edges}
        by_id = {n.id: n for n in new_nodes}
        for out in defn.outputs:
            target = by_id.get(pid(out.node))
            if target is not None and target.id in wired_out:
                target.output = True
    return Expansion(copy.deepcopy(node), list(incoming) + list(outgoing), new_nodes, new_edges)


def apply_expansion(graph: Graph, plan: Expansion) -> None:
    graph.remove_node(plan.node.id)
    for n in plan.nodes:
        graph.add_node(n.type, copy.deepcopy(n.params), n.position, n.id, n.trainable, n.output)
    for e in plan.edges:
        graph.connect(e.source, e.target, e.source_port, e.target_port)


def undo_expansion(graph: Graph, plan: Expansion) -> None:
    for n in reversed(plan.nodes):
        graph.remove_node(n.id)
    node = plan.node
    graph.add_node(node.type, copy.deepcopy(node.params), node.position, node.id, node.trainable, node.output)
    for e in plan.old_edges:
        graph.connect(e.source, e.target, e.source_port, e.target_port)


def expand(graph: Graph, node_id: str) -> Expansion:
    """Replace a composite node by its inner nodes (ids `<node id>_<inner id>`), in place."""
    plan = plan_expansion(graph, node_id)
    apply_expansion(graph, plan)
    return plan


def has_composites(graph: Graph) -> bool:
    return any(is_composite(n.type) for n in graph.nodes.values())


def expand_all(graph: Graph) -> Graph:
    """A copy of the graph with every composite (and every block inside one) expanded."""
    result = Graph.from_dict(graph.to_dict())
    depth = {n: 0 for n in result.nodes}
    while True:
        pending = next((n for n, node in result.nodes.items() if is_composite(node.type)), None)
        if pending is None:
            return result
        if depth.get(pending, 0) >= MAX_NESTING:
            raise GraphError("Composite blocks nest too deeply: a block probably contains itself through another block.")
        plan = expand(result, pending)
        depth.update({n.id: depth.get(pending, 0) + 1 for n in plan.nodes})


# ---- shape inference of an unexpanded block --------------------------------------------------------
class _InnerFailure(Exception):
    def __init__(self, message: str):
        super().__init__(message)


def _call_block(block_type: str, prefix: str, values: dict[str, Any], inputs: list, ports: list[int],
                trainable: bool, layers: list, depth: int = 0) -> list:
    """Build a block's inner layers on input tensors; returns its output tensors (appends layers made)."""
    from builder.keras_build import apply_layer, make_layer, output_tensors
    from builder.shapes import _explain

    if depth > MAX_NESTING:
        raise _InnerFailure("blocks nest too deeply (a block probably contains itself through another block).")
    defn = definition(block_type)
    inner = defn.graph(values)
    tensors: dict[str, list] = {}
    for port, tensor in zip(ports, inputs):
        tensors[defn.inputs[port]] = [tensor]
    order, _ = topological_order(inner)
    for inner_id in order:
        node = inner.nodes[inner_id]
        if node.type == "Input":
            continue
        edges = inner.incoming(inner_id)
        args = [tensors[e.source][e.source_port] for e in edges]
        named = Node(f"{prefix}_{inner_id}", node.type, node.params, trainable=node.trainable and trainable)
        if is_composite(node.type):
            tensors[inner_id] = _call_block(node.type, named.id, node.params, args, [e.target_port for e in edges],
                                            named.trainable, layers, depth + 1)
            continue
        for name, value in node.params.items():
            try:
                registry.check_param(node.type, name, value)
            except LayerboardError as exc:
                raise _InnerFailure(f"inner {node.type} '{named.id}': {exc}") from None
        try:
            layer = make_layer(named)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise _InnerFailure(f"inner {node.type} '{named.id}' has invalid parameters: {first}") from None
        try:
            out = apply_layer(named, layer, args, [e.target_port for e in edges])
        except Exception as exc:
            raise _InnerFailure(_explain(named, [tuple(a.shape) for a in args], exc)) from None
        layers.append(layer)
        tensors[inner_id] = output_tensors(out)
    return [tensors[o.node][o.port] if o.node in tensors else None for o in defn.outputs]


def infer(node: Node, inputs: list[tuple[tuple, str]], ports: list[int]):
    """Shape inference for an unexpanded composite node: a shapes.NodeResult."""
    import keras

    from builder.shapes import NodeResult, format_shape

    who = f"{node.type} '{node.id}'"
    tensors = [keras.KerasTensor(shape, dtype=dtype) for shape, dtype in inputs]
    layers: list = []
    try:
        outs = _call_block(node.type, node.id, node.params, tensors, ports, node.trainable, layers)
    except _InnerFailure as exc:
        got = ", ".join(format_shape(s) for s, _ in inputs)
        return NodeResult(error=f"{who} (input {got}) fails inside: {exc} Expand the block to edit its layers.")
    if any(t is None for t in outs):
        return NodeResult(error=f"{who}: an output of the block passes its input straight through; "
                                "that is not supported unexpanded.")
    return NodeResult([tuple(t.shape) for t in outs], str(outs[0].dtype), sum(int(l.count_params()) for l in layers))


# ---- saving a selection as a block ---------------------------------------------------------------
def save_selection(graph: Graph, node_ids: list[str], name: str, description: str = "",
                   shapes: dict[tuple[str, int], tuple] | None = None) -> dict[str, Any]:
    """Turn selected nodes into a block definition (a dict ready for `save_block`).

    Wires entering the selection become the block's inputs (one per distinct source port, so a
    tensor that feeds two selected layers is one input); wires leaving it, and selected nodes with
    no outgoing wire or marked as outputs, become its outputs. `shapes` ((node, port) -> shape with
    the batch dimension) gives the example shapes of the inputs; by default shape inference finds them.
    """
    check_name(name, allow_existing_user=True)
    selected = list(dict.fromkeys(node_ids))
    if not selected:
        raise BlockError("Select the blocks to save first.")
    for node_id in selected:
        node = graph.node(node_id)
        if node.type == "Input":
            raise BlockError(f"'{node_id}' is an Input: a block's inputs are the wires that enter the selection. "
                             "Select only the layers after the Input.")
    chosen = set(selected)
    _check_contiguous(graph, chosen)
    order, _ = topological_order(graph)
    rank = {n: i for i, n in enumerate(order)}
    selected.sort(key=lambda n: rank.get(n, len(rank)))
    entering = [e for e in graph.edges if e.target in chosen and e.source not in chosen]
    entering.sort(key=lambda e: (rank.get(e.target, 0), e.target_port))
    sources = list(dict.fromkeys((e.source, e.source_port) for e in entering))
    if not sources:
        raise BlockError("Nothing enters the selection: a block needs at least one wire coming into it.")
    in_names = ["input"] if len(sources) == 1 else [f"input_{i + 1}" for i in range(len(sources))]
    in_names = [_free_id(n, chosen) for n in in_names]
    leaving = [(e.source, e.source_port) for e in graph.edges if e.source in chosen and e.target not in chosen]
    with_wires = {e.source for e in graph.edges}
    extra = [(n, 0) for n in selected if n not in with_wires or graph.nodes[n].output]
    exits = sorted(dict.fromkeys(leaving + extra), key=lambda s: (rank.get(s[0], 0), s[1]))
    out_names = ["output"] if len(exits) == 1 else [f"output_{i + 1}" for i in range(len(exits))]
    if shapes is None:
        shapes = _source_shapes(graph, sources)
    x0 = min(graph.nodes[n].position[0] for n in selected)
    y0 = min(graph.nodes[n].position[1] for n in selected)
    nodes = []
    for i, (source, port) in enumerate(sources):
        params = {}
        shape = shapes.get((source, port))
        if shape is not None:
            params["shape"] = list(shape[1:])
        nodes.append({"id": in_names[i], "type": "Input", "params": params,
                      "position": [float(i * 240), -90.0]})
    for node_id in selected:
        data = graph.nodes[node_id].to_dict()
        data.pop("output", None)
        data["position"] = [data["position"][0] - x0, data["position"][1] - y0]
        nodes.append(data)
    input_of = {s: in_names[i] for i, s in enumerate(sources)}
    edges = [e.to_dict() for e in graph.edges if e.source in chosen and e.target in chosen]
    for e in entering:
        edges.append(Edge(input_of[(e.source, e.source_port)], e.target, 0, e.target_port).to_dict())
    data = {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "description": description or f"Saved from {len(selected)} blocks: {', '.join(selected)}.",
        "inputs": in_names,
        "outputs": [{"name": out_names[i], "node": n, "port": p} for i, (n, p) in enumerate(exits)],
        "graph": {"nodes": nodes, "edges": edges},
    }
    definition_from_dict(data, f"<block {name}>")  # the same checks a saved file gets
    return data


def _free_id(name: str, taken: set[str]) -> str:
    candidate, i = name, 1
    while candidate in taken:
        candidate, i = f"{name}_in{i}", i + 1
    return candidate


def _check_contiguous(graph: Graph, chosen: set[str]) -> None:
    """No path may leave the selection and come back: the block would then feed itself."""
    stack = [e.target for e in graph.edges if e.source in chosen and e.target not in chosen]
    seen: set[str] = set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        for e in graph.outgoing(n):
            if e.target in chosen:
                raise BlockError(f"The selection has a gap: '{n}' takes a selected block's output and feeds another "
                                 f"selected block ('{e.target}'). Select '{n}' too, or fewer blocks.")
            stack.append(e.target)


def _source_shapes(graph: Graph, sources: list[tuple[str, int]]) -> dict[tuple[str, int], tuple]:
    """Example input shapes from shape inference; sources it cannot infer are left out."""
    try:
        from builder.shapes import infer_shapes

        report = infer_shapes(graph)
    except Exception:  # no Keras, or a graph it cannot check: the block is still saved, without examples
        return {}
    shapes = {}
    for source, port in sources:
        result = report.nodes.get(source)
        if result is not None and result.ok and port < len(result.output_shapes):
            shapes[(source, port)] = result.output_shapes[port]
    return shapes


def save_block(data: dict[str, Any], folder: str | Path | None = None, overwrite: bool = False) -> Path:
    """Write a block definition as `<folder>/<Name>.json` (atomically); default folder: user_dir()."""
    from builder.serialization import atomic_write_text

    defn = definition_from_dict(data, f"<block {data.get('name')}>" if isinstance(data, dict) else "<block>")
    check_name(defn.name, allow_existing_user=True)
    folder = Path(folder) if folder is not None else user_dir()
    path = folder / f"{defn.name}.json"
    existing = get(defn.name)
    if not overwrite and (path.exists() or existing is not None):
        where = path if path.exists() else existing.path
        raise BlockError(f"A block named '{defn.name}' already exists ({where}); choose another name "
                         "or overwrite it.")
    atomic_write_text(path, json.dumps(defn.to_dict(), indent=2) + "\n")
    refresh()
    return path


__all__ = [
    "BlockDef", "BlockError", "BlockOutput", "BlockParam", "Expansion", "apply_expansion", "block_spec",
    "check_name", "definition", "definition_from_dict", "definitions", "expand", "expand_all", "get",
    "has_composites", "infer", "is_composite", "load_block", "load_problems", "palette", "plan_expansion",
    "refresh", "save_block", "save_selection", "undo_expansion", "user_dir",
]
