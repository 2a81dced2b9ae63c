"""Renaming a node in a project: the graph's node and wires, and every training setting that names it.

A node's id is also the name of its model output (`<id>`, and `<id>_<port name>` for its other output
ports), so the per-output `loss`, `loss_weights` and `metrics` are keyed by it, and `monitor` (and
`early_stopping.monitor`) may name it in Keras's log names: `val_<id>_loss`, `<id>_accuracy`.
`plan_rename` works out what changes without changing anything; `apply_renaming` and `undo_renaming`
make the change and take it back exactly (the settings are restored from the values held in the plan).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from collections.abc import Collection
from typing import Any

from builder import blocks
from builder.errors import GraphError, LayerboardError
from builder.graph import Graph
from builder.project.record import Project

_KEYED_SETTINGS = ("loss", "loss_weights", "metrics")  # {output name: value} when given per output
_MAX_PORTS = 64  # output port names considered for `<id>_<port name>` keys (Keras layers have a few)


@dataclass(frozen=True)
class Renaming:
    """A rename of node `old_id` to `new_id`, with the training settings it changes: field -> (before, after)."""

    old_id: str
    new_id: str
    training: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    weight_groups: tuple[dict[str, str], dict[str, str]] | None = None  # (before, after) when it has stored weights

    @property
    def changes_settings(self) -> bool:
        return bool(self.training)


def plan_rename(project: Project, old_id: str, new_id: str, recipe_nodes: Collection[str] = ()) -> Renaming:
    """What renaming `old_id` to `new_id` changes; raises GraphError (naming the problem and the fix) when the
    new id is taken or not a valid name, and changes nothing. `recipe_nodes`: the keys of the training recipe that
    hold node ids (builder.training.recipe_node_settings: a VAE's mean, a GAN's generator_output...), which follow
    the node; its other keys (a schedule's name, a teacher's path) never change."""
    graph = project.graph
    problem = graph.rename_problem(old_id, new_id)
    if problem is not None:
        raise GraphError(problem)
    if new_id == old_id:
        return Renaming(old_id, new_id)
    names = _output_names(graph, old_id, new_id)
    others = set(graph.nodes) - {old_id}
    config = project.training
    changed: dict[str, tuple[Any, Any]] = {}
    for name in _KEYED_SETTINGS:
        value = getattr(config, name)
        if isinstance(value, dict):
            renamed = {names.get(key, key) if key not in others else key: entry for key, entry in value.items()}
            if list(renamed) != list(value):
                changed[name] = (copy.deepcopy(value), renamed)
    monitor = _renamed_monitor(config.monitor, names, others)
    if monitor != config.monitor:
        changed["monitor"] = (config.monitor, monitor)
    early = config.early_stopping
    if isinstance(early, dict) and isinstance(early.get("monitor"), str):
        watched = _renamed_monitor(early["monitor"], names, others)
        if watched != early["monitor"]:
            changed["early_stopping"] = (copy.deepcopy(early), {**copy.deepcopy(early), "monitor": watched})
    recipe = config.recipe
    if isinstance(recipe, dict):  # a recipe's node settings (a VAE's mean, a GAN's generator_output, ...)
        renamed = {key: new_id if key in recipe_nodes and value == old_id else value for key, value in recipe.items()}
        if renamed != recipe:
            changed["recipe"] = (copy.deepcopy(recipe), renamed)
    return Renaming(old_id, new_id, changed, _renamed_groups(project, old_id, new_id))


def _renamed_groups(project: Project, old_id: str, new_id: str):
    """The node's weights stay in the weights file under the name they were stored with: the project records
    which group the renamed node reads (renamed back to that name, no entry is needed)."""
    if not project.weights:
        return None
    before = dict(project.weight_groups)
    after = {k: v for k, v in before.items() if k != old_id}
    stored = before.get(old_id, old_id)
    if stored != new_id:
        after[new_id] = stored
    return (before, after) if after != before else None


def apply_renaming(project: Project, renaming: Renaming) -> None:
    """Rename the node in the graph (one NodeRenamed event) and set the settings the plan changes."""
    project.graph.rename_node(renaming.old_id, renaming.new_id)
    _set_settings(project, renaming, after=True)


def undo_renaming(project: Project, renaming: Renaming) -> None:
    """Take an applied renaming back: the node's old id, and each changed setting exactly as it was."""
    project.graph.rename_node(renaming.new_id, renaming.old_id)
    _set_settings(project, renaming, after=False)


def _set_settings(project: Project, renaming: Renaming, after: bool) -> None:
    """The settings a renaming changes, as they are after it (or, undoing it, as they were before)."""
    side = 1 if after else 0
    for name, values in renaming.training.items():
        setattr(project.training, name, copy.deepcopy(values[side]))
    if renaming.weight_groups is not None:
        project.weight_groups = dict(renaming.weight_groups[side])


def rename_node(project: Project, old_id: str, new_id: str, recipe_nodes: Collection[str] = ()) -> Renaming:
    """Rename a node and everything in the project that refers to it; returns the Renaming (for an undo)."""
    renaming = plan_rename(project, old_id, new_id, recipe_nodes)
    apply_renaming(project, renaming)
    return renaming


def _output_names(graph: Graph, old_id: str, new_id: str) -> dict[str, str]:
    """The node's model output names under its old id -> under the new one (port 0 is the id itself)."""
    names = {old_id: new_id}
    try:
        ports = blocks.output_ports(graph.nodes[old_id].type, _MAX_PORTS)
    except LayerboardError:  # an unknown block type: only its plain id can be named
        return names
    for port in ports[1:]:
        names[f"{old_id}_{port}"] = f"{new_id}_{port}"
    return names


def _renamed_monitor(monitor: Any, names: dict[str, str], others: set[str]) -> Any:
    """`val_<output>_<metric>` / `<output>_<metric>` with the renamed node's output name replaced; unchanged
    when it names no output of the node, or when another node's id matches it better (`dense_1_loss` is
    node dense_1's loss, not a metric `1_loss` of node dense)."""
    if not isinstance(monitor, str):
        return monitor
    prefix = "val_" if monitor.startswith("val_") else ""
    rest = monitor[len(prefix):]
    own = max((name for name in names if rest.startswith(name + "_")), key=len, default=None)
    if own is None or any(rest.startswith(other + "_") and len(other) > len(own) for other in others):
        return monitor
    return prefix + names[own] + rest[len(own):]
