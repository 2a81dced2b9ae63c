"""Reading the "shares" of a project file's nodes: which nodes call the same Keras layer (shared weights)."""
from __future__ import annotations

import json
from typing import Any

from builder import blocks
from builder.errors import ProjectFileError
from builder.graph import Graph


def read_shares(path, raw_graph: Any, graph: Graph) -> None:
    """Apply each node's "shares" (the id of the node whose layer it calls again) to `graph`, read from the same
    `raw_graph` data; a bad one is a ProjectFileError that names the node and the fix.

    A sharing node's "params", when given, must be its owner's: a shared layer has one set of arguments."""
    nodes = raw_graph.get("nodes", []) if isinstance(raw_graph, dict) else []
    for i, n in enumerate(nodes):
        owner = n.get("shares") if isinstance(n, dict) else None
        if owner is None:
            continue
        place = f"graph.nodes[{i}].shares"
        node_id = n["id"]
        if not isinstance(owner, str):
            raise ProjectFileError(path, place, f"expected the id of the node whose layer '{node_id}' calls again, "
                                                f"found {json.dumps(owner)}.")
        block_type = graph.nodes[node_id].type  # read_graph has turned an alias (Convolution2D) into its block
        if not blocks.is_catalogue_block(block_type):
            raise ProjectFileError(path, place, f"'{node_id}' is a composite block ({block_type}); only a Keras layer "
                                                "can be shared. Remove \"shares\".")
        problem = graph.share_problem(node_id, owner)
        if problem is not None:
            raise ProjectFileError(path, place, problem)
        params = n.get("params")
        owner_params = graph.nodes[owner].params
        if params and params != owner_params:
            differing = sorted(k for k in {*params, *owner_params} if params.get(k) != owner_params.get(k))
            raise ProjectFileError(path, f"graph.nodes[{i}].params",
                                   f"'{node_id}' shares the layer of '{owner}', so its parameters are those of "
                                   f"'{owner}'; {', '.join(differing)} differ. Remove its \"params\" or make them "
                                   f"equal to '{owner}''s.")
        graph.set_shares(node_id, owner)  # in file order, so a chain or a loop is refused at its second link


def weight_groups_after_removal(graph: Graph, weight_groups: dict[str, str], removed: list[str]) -> dict[str, str]:
    """The project's `weight_groups` once `removed` nodes are gone: a removed owner of a shared layer hands the
    layer to its first caller (Graph.remove_node), which then reads the weights stored for the owner; entries of
    removed nodes go (a project file may name only its nodes)."""
    gone = set(removed)
    groups = {node_id: group for node_id, group in weight_groups.items() if node_id not in gone}
    for node_id in removed:
        callers = [n for n, node in graph.nodes.items() if node.shares == node_id and n not in gone]
        if callers:
            groups[callers[0]] = weight_groups.get(node_id, node_id)
    return groups
