"""A composite block's definition: its inner graph, named inputs and outputs, exposed parameters; parsed and checked."""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from builder.blocks import catalogue
from builder.blocks.graph_data import read_graph
from builder.errors import LayerboardError, ProjectFileError
from builder.graph import Graph, topological_order

FORMAT = "layerboard-block"
VERSION = 1
SHIPPED_CATEGORY = "Blocks"
USER_CATEGORY = "My blocks"
PROJECT_CATEGORY = "Project blocks"  # carried in a project file's "blocks" section (an imported nested model)
MAX_NESTING = 20  # a block inside a block inside ...: deeper than this is a loop (A holds B holds A)
NAME_PATTERN = re.compile(r"^[A-Z][A-Za-z0-9]*$")
TARGET_PATTERN = re.compile(r"^(?P<node>[^.\[\]]+)\.(?P<param>\w+)(?:\[(?P<index>\d+)\])?$")
PARAM_KINDS = {"int", "float", "bool", "str", "choice", "tuple"}



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
                m = TARGET_PATTERN.match(target)
                node = graph.nodes[m["node"]]
                if m["index"] is None:
                    graph.set_param(node.id, m["param"], copy.deepcopy(value))
                else:
                    current = list(node.params.get(m["param"]) or [])
                    current[int(m["index"])] = copy.deepcopy(value)
                    graph.set_param(node.id, m["param"], current)
        return graph



def parse_definition(data: Any, path: str | Path, category: str, known: dict[str, BlockDef] | None,
                     is_known: Callable[[str], bool], known_types: Callable[[], list[str]]) -> BlockDef:
    """Validate a block definition; every problem is a ProjectFileError naming the field.

    `is_known` says which block types its inner nodes may have (catalogue layers and composite blocks).
    """

    def fail(place: str, problem: str):
        raise ProjectFileError(path, place, problem)

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        fail("format", f"not a Layerboard block (expected \"format\": \"{FORMAT}\").")
    if data.get("version") != VERSION:
        fail("version", f"unsupported version {json.dumps(data.get('version'))}; this Layerboard reads version {VERSION}.")
    name = data.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        fail("name", f"{json.dumps(name)} is not a CamelCase identifier (e.g. MyResidualBlock).")
    if catalogue.is_catalogue_block(name):
        fail("name", f"'{name}' is a catalogue layer; a block needs its own name.")
    if known and name in known:
        fail("name", f"'{name}' is already defined by {known[name].path}.")
    description = data.get("description", "")
    if not isinstance(description, str):
        fail("description", "expected a string.")
    graph = read_graph(path, data.get("graph"), is_known, known_types)
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
        if not isinstance(p, dict) or p.get("kind") not in PARAM_KINDS:
            fail(place, f"expected {{\"kind\": one of {sorted(PARAM_KINDS)}, \"default\", \"targets\"}}.")
        targets = p.get("targets")
        if not isinstance(targets, list) or not targets:
            fail(f"{place}.targets", "expected a list like [\"conv2d_1.filters\", \"reshape.target_shape[1]\"].")
        for t in targets:
            m = TARGET_PATTERN.match(t) if isinstance(t, str) else None
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
