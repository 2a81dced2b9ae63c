"""Graph algorithms: data-flow order and the nodes that sit on cycles."""
from __future__ import annotations

from collections import deque


def topological_order(graph) -> tuple[list[str], set[str]]:
    """Nodes in data-flow order (Kahn's algorithm) and the set of nodes that a cycle holds up."""
    indegree = {n: 0 for n in graph.nodes}
    for e in graph.edges:
        indegree[e.target] += 1
    ready = deque(n for n, d in indegree.items() if d == 0)
    order: list[str] = []
    while ready:
        n = ready.popleft()
        order.append(n)
        for e in graph.outgoing(n):
            indegree[e.target] -= 1
            if indegree[e.target] == 0:
                ready.append(e.target)
    return order, set(graph.nodes) - set(order)


def nodes_on_cycles(graph, candidates: set[str]) -> set[str]:
    """Of the candidates, those that can reach themselves (on a cycle, not just behind one)."""
    on_cycle = set()
    for start in candidates:
        stack, seen = [e.target for e in graph.outgoing(start)], set()
        while stack:
            n = stack.pop()
            if n == start:
                on_cycle.add(start)
                break
            if n in seen or n not in candidates:
                continue
            seen.add(n)
            stack.extend(e.target for e in graph.outgoing(n))
    return on_cycle
