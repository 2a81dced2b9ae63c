"""Undoable paste, cut and rename (builder.project's clipboard and renaming); like commands.py, only Graph calls.

Each restores the exact graph on undo: a cut puts nodes and wires back at their places in the graph's order
(the order of Input and output nodes is the model's input and output order), a rename restores every
training setting that named the node.
"""
from __future__ import annotations

import copy

from PySide6.QtGui import QUndoCommand

from builder.graph import Edge, Graph, Node
from builder.project import (PastePlan, apply_paste, apply_renaming, plan_rename, remove_paste, undo_renaming,
                             weight_groups_after_removal)
from builder.training import recipe_node_settings


class PasteCommand(QUndoCommand):
    """Adds a planned paste (builder.project.paste_plan): the same ids and places on every redo."""

    def __init__(self, graph: Graph, plan: PastePlan, text: str | None = None) -> None:
        count = len(plan.nodes)
        super().__init__(text or f"Paste {count} block{'s' if count != 1 else ''}")
        self._graph = graph
        self.plan = plan

    @property
    def new_ids(self) -> list[str]:
        return self.plan.new_ids

    def redo(self) -> None:
        apply_paste(self._graph, self.plan)

    def undo(self) -> None:
        remove_paste(self._graph, self.plan)


class RemoveNodesCommand(QUndoCommand):
    """Removes nodes with their wires; undo puts each node and wire back at its index in the graph's order."""

    def __init__(self, graph: Graph, node_ids: list[str], text: str | None = None, project=None) -> None:
        self._graph = graph
        self._project = project  # with imported weights: a removed owner's weights go to the node that takes its layer
        self._groups: tuple[dict[str, str], dict[str, str]] | None = None
        chosen = set(node_ids)
        for node_id in chosen:
            graph.node(node_id)  # an unknown id says so now, not on redo
        self._ids = [n for n in graph.nodes if n in chosen]
        super().__init__(text or "Delete " + ", ".join(self._ids))
        self._nodes: list[tuple[int, Node]] = []
        self._edges: list[tuple[int, Edge]] = []
        self._shares: dict[str, str] = {}  # who shares whose layer before the delete (removing an owner regroups)

    def redo(self) -> None:
        chosen = set(self._ids)
        self._nodes = [(i, copy.deepcopy(node)) for i, (n, node) in enumerate(self._graph.nodes.items())
                       if n in chosen]
        self._shares = {n: node.shares for n, node in self._graph.nodes.items() if node.shares is not None}
        self._edges = [(i, e) for i, e in enumerate(self._graph.edges) if e.source in chosen or e.target in chosen]
        if self._project is not None and self._project.weights:
            before = dict(self._project.weight_groups)
            self._groups = (before, weight_groups_after_removal(self._graph, before, self._ids))
        for node_id in self._ids:
            self._graph.remove_node(node_id)
        if self._groups is not None:
            self._project.weight_groups = dict(self._groups[1])

    def undo(self) -> None:
        for i, node in self._nodes:  # ascending indexes: each lands where it was
            self._graph.add_node(node.type, copy.deepcopy(node.params), node.position, node.id, node.trainable,
                                 node.output, index=i)
        for i, e in self._edges:
            self._graph.connect(e.source, e.target, e.source_port, e.target_port, index=i)
        regrouped = [n for n, node in self._graph.nodes.items() if node.shares != self._shares.get(n)]
        for node_id in regrouped:  # first every changed node on its own, so no step makes a chain
            self._graph.set_shares(node_id, None)
        for node_id in regrouped:
            self._graph.set_shares(node_id, self._shares.get(node_id))
        if self._groups is not None:
            self._project.weight_groups = dict(self._groups[0])


class RenameNodeCommand(QUndoCommand):
    """Renames a node and every training setting that names it (builder.project.rename_node).

    Raises GraphError on construction, with the message to show, when the new id is taken or not a valid name.
    """

    def __init__(self, document, old_id: str, new_id: str) -> None:
        recipe_nodes = recipe_node_settings(document.project.training.recipe)  # a VAE's mean... follow the node
        self.renaming = plan_rename(document.project, old_id, new_id, recipe_nodes)
        super().__init__(f"Rename {old_id} to {new_id}")
        self._document = document

    def redo(self) -> None:
        apply_renaming(self._document.project, self.renaming)
        self._settings_changed()

    def undo(self) -> None:
        undo_renaming(self._document.project, self.renaming)
        self._settings_changed()

    def _settings_changed(self) -> None:
        if self.renaming.changes_settings:
            self._document.notify_project_changed("training")
