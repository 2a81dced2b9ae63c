"""A recipe's problems sorted by the node they name: what the canvas marks on each block, and the rest.

Recipes write a graph problem as "node '<id>': message" (registry.recipe_problems prefixes it with
"training.recipe: "); a spec problem names its key ("training.recipe.mean: ...") and no node.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from builder.training.recipes.registry import SUPERVISED, project_recipe, recipe_name, spec_problems

_PREFIX = "training.recipe: "
_NODE_LINE = re.compile(r"node '(?P<node>[^']+)': (?P<message>.*)", re.DOTALL)


@dataclass(frozen=True)
class NodeProblems:
    """Recipe problems split into those of one node ({node id: [message, ...]}) and those that name none."""

    nodes: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.nodes or self.general)


def node_problems(lines: Iterable[str]) -> NodeProblems:
    """Sort problem lines (recipe_problems' or graph_problems') by the node each names; a line that names no node
    stays whole in `general`."""
    nodes: dict[str, list[str]] = {}
    general: list[str] = []
    for line in lines:
        text = line[len(_PREFIX):] if line.startswith(_PREFIX) else line
        match = _NODE_LINE.fullmatch(text)
        if match is None:
            general.append(line)
        else:
            nodes.setdefault(match["node"], []).append(match["message"])
    return NodeProblems(nodes, general)


def recipe_node_problems(project, report) -> NodeProblems:
    """The project's recipe problems given a shape report of its graph already made (recipe_problems without
    inferring shapes again), sorted by node. Graph problems are looked for only when the spec is good and every
    node has a shape; a distillation's check reads its teacher's file (Keras)."""
    spec = project.training.recipe
    problems = spec_problems(spec, project.graph)
    if not problems and recipe_name(spec) != SUPERVISED and report is not None and report.valid:
        problems = [_PREFIX + line for line in project_recipe(project).graph_problems(project.graph, report)]
    return node_problems(problems)
