"""The canvas scene: node and wire items that follow the graph's events, what shape inference reports on them
(shapes, errors, the shape each wire carries when wire labels are on), the upstream of a highlighted node, and the
training recipe: its roles as labelled groups behind their nodes (ui/canvas/role_groups.py) and, on each node that
does not fit the recipe, the recipe's reason as the node's error (the check runs off the GUI thread:
ui/workers/shape_updater.py's RecipeChecker).

Items are created, moved, re-keyed (a rename) and removed only in `_on_graph_event`. The user's edits on the canvas (drops,
wiring, drags, delete) are `CanvasInteractions` (ui/canvas/interactions.py): they push undo commands on the
document, and the graph events those commands cause redraw the canvas.
"""
from __future__ import annotations

import dataclasses

from PySide6.QtCore import QPointF, Qt, Slot
from PySide6.QtWidgets import QGraphicsScene

from builder.graph import Edge, EdgeAdded, EdgeRemoved, FlagChanged, NodeAdded, NodeMoved, NodeRemoved, NodeRenamed
from builder.training import recipes
from ui.canvas.edge_item import EdgeItem
from ui.canvas.interactions import CanvasInteractions
from ui.canvas.node_item import CHAIN, ORIGIN, UPSTREAM, NodeItem, selected_node_ids, sharing_colour
from ui.canvas.role_groups import RoleGroups
from ui.document import Document
from ui.workers.shape_updater import RecipeChecker

_STRUCTURE_EVENTS = (NodeAdded, NodeRemoved, NodeRenamed, EdgeAdded, EdgeRemoved)  # may change who plays a role


class CanvasScene(QGraphicsScene):
    """Draws one document's graph; `interactions` turns the user's mouse edits on it into undo commands."""

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[Edge, EdgeItem] = {}
        self.wire_labels = False  # each wire shows the shape it carries (View option)
        self.highlighted: str | None = None  # the node whose upstream is outlined (highlight_upstream)
        self._traced: list = []  # the items outlined for it
        self.recipe_problems = recipes.NodeProblems()  # the latest recipe check's answer, by node
        graph = document.graph
        for node in graph.nodes.values():
            self._add_node_item(node)
        for edge in graph.edges:
            self._add_edge_item(edge)
        self._show_sharing(n for n, node in graph.nodes.items() if node.shares is not None)
        self._unsubscribe = graph.events.subscribe(self._on_graph_event)
        self.role_groups = RoleGroups(self, lambda: document.project, self)
        self.role_groups.refresh()
        self.recipe_check = RecipeChecker(document.shapes, lambda: document.project, self)
        self.recipe_check.problemsChanged.connect(self.apply_recipe_problems)
        document.titleChanged.connect(self.recipe_check.run_now)  # saved elsewhere: a relative teacher path moved
        document.projectChanged.connect(self._on_project_changed)
        document.shapes.reportChanged.connect(self.apply_report)
        self.apply_report(document.shapes.report)
        document.compatibility.resultsChanged.connect(self.apply_compatibility)
        document.compatibility.staleChanged.connect(self.apply_stale_badges)
        self.apply_compatibility(document.compatibility.results)
        self.interactions = CanvasInteractions(self, document, self.node_items)
        self.selectionChanged.connect(self._on_selection_changed)

    def close(self) -> None:
        """Stop following the graph (the document is being replaced)."""
        self._unsubscribe()
        self.recipe_check.close()
        self.role_groups.clear()
        self.document.titleChanged.disconnect(self.recipe_check.run_now)
        self.document.projectChanged.disconnect(self._on_project_changed)
        self.document.shapes.reportChanged.disconnect(self.apply_report)
        self.document.compatibility.resultsChanged.disconnect(self.apply_compatibility)
        self.document.compatibility.staleChanged.disconnect(self.apply_stale_badges)

    # ---- the graph -> items ------------------------------------------------------------------
    def _on_graph_event(self, event) -> None:
        if isinstance(event, _STRUCTURE_EVENTS):
            self.role_groups.schedule()
        if isinstance(event, NodeAdded):
            item = self._add_node_item(event.node)
            report = self.document.shapes.report
            if report is not None and event.node.id in report.nodes:
                item.set_result(self._shown_result(event.node.id, report))
            item.set_compatibility(self.document.compatibility.results.get(event.node.id))
        elif isinstance(event, NodeRemoved):
            if event.node.id == self.highlighted:
                self.highlight_upstream(None)
            item = self.node_items.pop(event.node.id)
            self.removeItem(item)
        elif isinstance(event, NodeRenamed):
            self._rename(event)
        elif isinstance(event, NodeMoved):
            self.node_items[event.node.id].setPos(QPointF(*event.node.position))
            self.role_groups.follow_nodes()
        elif isinstance(event, EdgeAdded):
            self._add_edge_item(event.edge)
            if self.wire_labels:
                self._label_port(event.edge.source, event.edge.source_port)
        elif isinstance(event, EdgeRemoved):
            item = self.edge_items.pop(event.edge)
            if item in self._traced:
                self._traced.remove(item)
            item.detach()
            self.removeItem(item)
            self._update_merge_ports(event.edge.target)
            if self.wire_labels and event.edge.source in self.node_items:
                self._label_port(event.edge.source, event.edge.source_port)  # its next wire takes the label
        elif isinstance(event, FlagChanged):
            self.node_items[event.node.id].set_flags(event.node.trainable, event.node.output)
        if isinstance(event, (NodeAdded, NodeRemoved, NodeRenamed)) or getattr(event, "name", None) == "shares":
            self._follow_sharing(event.node)
        # ParamChanged changes nothing drawn until shape inference reports (see apply_report).

    def _rename(self, event: NodeRenamed) -> None:
        """Re-key the node's item and its wires' items under the new id (same items, so selection stays)."""
        old, new = event.old_id, event.node.id
        items = [(new if key == old else key, item) for key, item in self.node_items.items()]
        self.node_items.clear()  # the same dict the interactions hold: changed in place, order kept
        self.node_items.update(items)
        self.node_items[new].set_node_id(new)
        for old_edge, new_edge in event.edges:
            item = self.edge_items.pop(old_edge)
            item.set_edge(new_edge)
            self.edge_items[new_edge] = item
        if self.highlighted == old:
            self.highlighted = new

    def _follow_sharing(self, node) -> None:
        """After an edit that may change who shares a layer: re-mark the nodes of every shared layer it touches."""
        shown = [n for n, item in self.node_items.items() if item.share_group]
        if node.id in self.document.graph.nodes and (node.shares is not None or shown):
            shown += self.document.graph.sharing_group(node.id)
        if shown:
            self._show_sharing(shown)

    def _show_sharing(self, node_ids) -> None:
        """Mark each node of a shared layer (the owner and the nodes that call it again) on its item."""
        graph = self.document.graph
        owners = list(dict.fromkeys(node.shares for node in graph.nodes.values() if node.shares is not None))
        for node_id in dict.fromkeys(node_ids):
            item = self.node_items.get(node_id)
            if item is None or node_id not in graph.nodes:
                continue
            group = graph.sharing_group(node_id)
            colour = sharing_colour(owners.index(group[0])) if group[0] in owners else None
            for member in group:
                if member in self.node_items:
                    self.node_items[member].set_sharing(graph.nodes[member].shares, group, colour)
            if len(group) == 1:
                item.set_sharing(None, [])

    def _add_node_item(self, node) -> NodeItem:
        item = NodeItem(node.id, node.type, node.position)
        item.set_flags(node.trainable, node.output)
        self.node_items[node.id] = item
        self.addItem(item)
        return item

    def _add_edge_item(self, edge: Edge) -> EdgeItem:
        self._update_merge_ports(edge.target)
        item = EdgeItem(edge, self.node_items[edge.source], self.node_items[edge.target])
        self.edge_items[edge] = item
        self.addItem(item)
        return item

    def _update_merge_ports(self, node_id: str) -> None:
        """A merge node (Add, Concatenate…) shows one input port more than it has wires (a gap left by a removed wire is the free one)."""
        item = self.node_items.get(node_id)
        if item is None or not item.is_merge:
            return
        ports = [e.target_port for e in self.document.graph.incoming(node_id)]
        item.set_input_port_count(max(len(ports) + 1, max(ports, default=-1) + 1))

    def mouseMoveEvent(self, event) -> None:
        super().mouseMoveEvent(event)
        if event.buttons() & Qt.MouseButton.LeftButton and self.role_groups.items:
            self.role_groups.follow_nodes()  # nodes being dragged: their groups follow (the graph hears at release)

    @Slot(str)
    def _on_project_changed(self, section: str) -> None:
        if section == "training":  # the recipe may have changed: its roles and its check
            self.role_groups.schedule()
            self.recipe_check.run_now()

    def _shown_result(self, node_id: str, report):
        """A node's result from the report; a node that infers but does not fit the recipe shows the recipe's
        reason as its error (in red on the node, whole in its tooltip), like a wiring error."""
        result = report.nodes.get(node_id) if report is not None else None
        messages = self.recipe_problems.nodes.get(node_id)
        if result is None or not result.ok or not messages:
            return result
        name = recipes.recipe_name(self.document.project.training.recipe)
        error = "\n".join(f"{name} recipe: {m}" for m in messages)
        return dataclasses.replace(result, error=error, blocked_by=None)

    @Slot(object)
    def apply_recipe_problems(self, problems) -> None:
        """Show a recipe check's answer (builder.training.recipes.NodeProblems) on the nodes it names."""
        self.recipe_problems = problems
        report = self.document.shapes.report
        if report is None:
            return
        for node_id, item in self.node_items.items():
            item.set_result(self._shown_result(node_id, report))
        self._on_selection_changed()

    @Slot(object)
    def apply_report(self, report) -> None:
        """Show each node's shape, parameter count or error from a ShapeReport (None: not yet)."""
        for node_id, item in self.node_items.items():
            item.set_result(self._shown_result(node_id, report))
        if report is not None:  # Keras is loaded; whether a file exists is all this asks
            from builder.model import weights_files

            notes = {w.node_id: w.notice() for w in weights_files(self.document.graph) if not w.found()}
            for node_id, item in self.node_items.items():
                item.set_notes([notes[node_id]] if node_id in notes else [])
        if self.wire_labels:
            self._label_wires()
        if self.highlighted is not None:
            self.highlight_upstream(self.highlighted)
        else:
            self._on_selection_changed()  # a selected node may have just turned red

    # ---- wire labels and the upstream highlight ------------------------------------------------
    def set_wire_labels(self, on: bool) -> None:
        """Show (or hide) on each wire the shape it carries: its source's output shape from the shape report."""
        self.wire_labels = bool(on)
        if self.wire_labels:
            self._label_wires()
        else:
            for item in self.edge_items.values():
                item.set_label(None)

    def _label_wires(self) -> None:
        """One label per output port, on its first wire just below the port: a block feeding three others says its
        shape once, and wires running up the gaps between columns carry no labels that collide there."""
        for source, port in dict.fromkeys((edge.source, edge.source_port) for edge in self.edge_items):
            self._label_port(source, port)

    def _label_port(self, source: str, port: int) -> None:
        """Label the first wire out of one output port, and only that one."""
        wires = [e for e in self.document.graph.outgoing(source) if e.source_port == port and e in self.edge_items]
        for i, edge in enumerate(wires):
            self.edge_items[edge].set_label(self._carried_shape(edge) if i == 0 else None)

    def _carried_shape(self, edge: Edge) -> str | None:
        """The shape text a wire carries; None (no label) while its source has no shape."""
        from builder.model import format_shape  # the engine's model package, imported once the report needs it

        report = self.document.shapes.report
        result = report.nodes.get(edge.source) if report is not None else None
        if result is None or not result.ok or edge.source_port >= len(result.output_shapes):
            return None
        return format_shape(result.output_shapes[edge.source_port])

    def highlight_upstream(self, node_id: str | None) -> None:
        """Outline the nodes and wires that feed `node_id` (None: clear). When the node is red because of a shape,
        the chain that carried the offending shape is drawn in the error colour, back to where it last changed."""
        from builder.model import trace_shape

        for item in self._traced:
            item.set_trace(None)
        self._traced = []
        self.highlighted = node_id if node_id in self.node_items else None
        if self.highlighted is None:
            return
        trace = trace_shape(self.document.graph, self.document.shapes.report, node_id)
        for upstream in trace.nodes:
            level = ORIGIN if upstream in trace.origins else CHAIN if upstream in trace.chain_nodes else UPSTREAM
            self._trace(self.node_items.get(upstream), level)
        for edge in trace.edges:
            self._trace(self.edge_items.get(edge), CHAIN if edge in trace.chain_edges else UPSTREAM)

    def _trace(self, item, level: str) -> None:
        if item is not None:
            item.set_trace(level)
            self._traced.append(item)

    @Slot()
    def _on_selection_changed(self) -> None:
        """Selecting one block that is red for its own reason highlights where its input came from."""
        selected = selected_node_ids(self)
        wanted = selected[0] if len(selected) == 1 and self.node_items[selected[0]].own_error else None
        if wanted != self.highlighted:
            self.highlight_upstream(wanted)

    @Slot(object)
    def apply_compatibility(self, results: dict) -> None:
        """Show each node's TFLite badge ({node_id: BlockCompatibility}; empty: badges off or not checked yet)."""
        for node_id, item in self.node_items.items():
            item.set_compatibility(results.get(node_id))

    @Slot(object)
    def apply_stale_badges(self, stale: set) -> None:
        """Dim the badges of nodes edited since their answer, until the new answer comes."""
        for node_id, item in self.node_items.items():
            item.set_badge_stale(node_id in stale)

    @Slot(object)
    def apply_dataset_problems(self, problems: dict) -> None:
        """Mark the blocks that do not fit the dataset ({node id: [message, ...]}; others are unmarked)."""
        for node_id, item in self.node_items.items():
            item.set_dataset_problems(problems.get(node_id, []))

    def selected_node_ids(self) -> list[str]:
        return selected_node_ids(self)

    # ---- edits: one-line delegates to the interactions, for scripts and tests that drive the scene ---
    def add_block(self, block_type: str, centre: QPointF) -> str:
        """Add a node of `block_type` centred on a scene point; returns its id and selects it."""
        return self.interactions.add_node(block_type, centre)

    def connect_ports(self, source: str, target: str, source_port: int = 0, target_port: int = 0) -> bool:
        return self.interactions.connect_ports(source, target, source_port, target_port)

    def delete_selection(self) -> None:
        self.interactions.delete_selection()
