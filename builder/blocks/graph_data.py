"""Reading a graph from file data (a project's or a composite block's `graph`), with a precise error per field."""
from __future__ import annotations

import json
import math
from typing import Any, Callable

from builder.blocks.catalogue import canonical_type, not_block_reason
from builder.errors import GraphError, ProjectFileError
from builder.graph import Graph

MAX_COORDINATE = 1e7  # a block drawn beyond this is a broken or hostile file, not a drawing (a 1000-block model is ~1e5)

LAMBDA_REFUSED = ("Lambda layers are refused: they run arbitrary Python code stored in the file, so opening "
                  "them would execute code from whoever wrote it. Replace the Lambda with catalogue blocks "
                  "(e.g. Activation, Rescaling, Reshape, a merge block).")

def expect_type(path, place: str, value: Any, kind: type | tuple, what: str) -> Any:
    """`value` if it is of `kind`, else a ProjectFileError saying what was expected at `place`."""
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ProjectFileError(path, place, f"expected {what}, found {json.dumps(value)}.")
    return value


def read_graph(path, raw: Any, is_known: Callable[[str], bool], known_types: Callable[[], list[str]]) -> Graph:
    """The graph section of a project or block file, checked field by field (ProjectFileError names the field).

    `is_known` says which block types nodes may have, `known_types` lists them for the message. Lambda
    is refused by name before anything else: it would run code stored in the file.
    """
    expect_type(path, "graph", raw, dict, "an object with 'nodes' and 'edges'")
    nodes = expect_type(path, "graph.nodes", raw.get("nodes", []), list, "a list")
    edges = expect_type(path, "graph.edges", raw.get("edges", []), list, "a list")
    graph = Graph()
    for i, n in enumerate(nodes):
        place = f"graph.nodes[{i}]"
        expect_type(path, place, n, dict, "an object")
        node_id = expect_type(path, f"{place}.id", n.get("id"), str, "a node id string")
        block_type = expect_type(path, f"{place}.type", n.get("type"), str, "a block type string")
        if block_type == "Lambda":
            raise ProjectFileError(path, f"{place}.type", LAMBDA_REFUSED)
        block_type = canonical_type(block_type)  # a Keras alias (Convolution2D) names its class's block (Conv2D)
        if not is_known(block_type) and not_block_reason(block_type):
            raise ProjectFileError(path, f"{place}.type", f"{block_type} cannot be a block: {not_block_reason(block_type)}")
        if not is_known(block_type):
            raise ProjectFileError(path, f"{place}.type", f"unknown block type '{block_type}'. Known: {', '.join(known_types())}.")
        params = expect_type(path, f"{place}.params", n.get("params", {}), dict, "an object of parameters")
        position = n.get("position", [0, 0])
        if not (isinstance(position, list) and len(position) == 2
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in position)):
            raise ProjectFileError(path, f"{place}.position", f"expected [x, y], found {json.dumps(position)}.")
        if not all(math.isfinite(v) and abs(v) <= MAX_COORDINATE for v in position):
            raise ProjectFileError(path, f"{place}.position", f"expected finite numbers of at most {MAX_COORDINATE:g}, "
                                   f"found {json.dumps(position)}. Set it to [0, 0]; Auto-Layout places the block.")
        flags = {key: expect_type(path, f"{place}.{key}", n.get(key, default), bool, "true or false")
                 for key, default in (("trainable", True), ("output", False))}
        try:
            graph.add_node(block_type, params, position, node_id, **flags)
        except GraphError as exc:
            raise ProjectFileError(path, f"{place}.id", str(exc)) from None
    for i, e in enumerate(edges):
        place = f"graph.edges[{i}]"
        expect_type(path, place, e, dict, "an object")
        for key in ("source", "target"):
            node_id = expect_type(path, f"{place}.{key}", e.get(key), str, "a node id")
            if node_id not in graph.nodes:
                raise ProjectFileError(path, f"{place}.{key}", f"no node has the id '{node_id}'.")
        for key in ("source_port", "target_port"):
            port = expect_type(path, f"{place}.{key}", e.get(key, 0), int, "a port number")
            if port < 0:
                raise ProjectFileError(path, f"{place}.{key}", "port numbers start at 0.")
        try:
            graph.connect(e["source"], e["target"], e.get("source_port", 0), e.get("target_port", 0))
        except GraphError as exc:
            raise ProjectFileError(path, place, str(exc)) from None
    return graph
