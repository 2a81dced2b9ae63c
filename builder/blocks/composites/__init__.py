"""Composite blocks: a saved sub-graph with named inputs and outputs that sits in a graph as one node.

A block definition is a JSON file (`"format": "layerboard-block"`) holding a small graph in the
project-file layout. Its Input nodes stand for the block's inputs (their `shape` is only an
example, used to check the block on its own); `outputs` names which inner node ports leave the
block. A graph node whose `type` is a block name is an *unexpanded* composite:

* shape inference (builder.model) builds the inner layers on the node's input tensors, with layer
  names `<node id>_<inner id>`, so the block shows its output shape and parameter count;
* `expand(graph, node_id)` replaces the node by its inner nodes, with those same prefixed ids,
  rewired to the block's neighbours;
* `builder.model.build_model` expands every composite first, so the built Keras model is the same
  (layer names, configs, parameter count) whether a block was expanded in the graph or not.

Shipped blocks live in `templates/blocks/` (palette category "Blocks"); the user's own in
`$LAYERBOARD_BLOCKS_DIR`, default `~/.config/layerboard/blocks` ("My blocks"); a project may carry
its own in its file's "blocks" section (an imported nested model), registered when the project is read. A definition may
expose parameters (`"params"`) that set inner nodes' parameters, e.g. a ResidualBlock's `filters`
sets both of its Conv2D's `filters`. Nothing here imports Keras.
"""
from builder.blocks.composites.definition import (FORMAT, PROJECT_CATEGORY, SHIPPED_CATEGORY, USER_CATEGORY, VERSION,
                                                  BlockDef, BlockError, BlockOutput, BlockParam, MAX_NESTING)
from builder.blocks.composites.expansion import (Expansion, apply_expansion, expand, expand_all, has_composites,
                                                 plan_expansion, undo_expansion)
from builder.blocks.composites.library import (SHIPPED_DIR, block_spec, catalogue_entry, check_name, definition,
                                               definition_from_dict, definitions, get, is_composite, load_block,
                                               load_problems, palette, refresh, register, registered, save_block,
                                               user_dir)
from builder.blocks.composites.project_blocks import project_blocks, read_project_blocks, register_definition
from builder.blocks.composites.selection import selection_definition

__all__ = [
    "BlockDef", "BlockError", "BlockOutput", "BlockParam", "Expansion", "FORMAT", "MAX_NESTING", "PROJECT_CATEGORY",
    "SHIPPED_CATEGORY",
    "SHIPPED_DIR", "USER_CATEGORY", "VERSION", "apply_expansion", "block_spec", "catalogue_entry", "check_name",
    "definition", "definition_from_dict", "definitions", "expand", "expand_all", "get", "has_composites",
    "is_composite", "load_block", "load_problems", "palette", "plan_expansion", "refresh", "save_block",
    "selection_definition", "undo_expansion", "user_dir",
    # blocks a project carries (its "blocks" section: an imported nested model), registered when it is read:
    "project_blocks", "read_project_blocks", "register", "register_definition", "registered",
]
