"""Layered layout libraries compared on Layerboard graphs: time, wire crossings, wire length, overlapping nodes.

Usage: python bench/layout_candidates.py [--nodes 1000] [--models MobileNetV2 EfficientNetB0 ResNet50] [--no-models]

Graphs: `chain` (bench/large_projects.py's 1000-node chain), `residual` (a generated 1000-node graph of
residual blocks with two-way and three-way branches, see `residual_graph`), `tangled` (a random 1000-node DAG
whose wires reach up to 40 nodes back: the one where crossings differ) and keras.applications models
built with weights=None and imported with builder.importer. Candidates, each asked for a top-to-bottom
drawing of 220x60 boxes, 40 px apart in a row and 50 px between rows:
  layerboard  builder.graph.layered_positions, what the app uses: grandalf, then rows on a 10 px grid and
              pushed apart where grandalf left two boxes too close
  grandalf    grandalf.layouts.SugiyamaLayout (pure Python), one layout per connected component
  igraph      igraph.Graph.layout_sugiyama (C core), x scaled to the column width
  dot         graphviz `dot -Tplain` in a child process (the Debian package `graphviz`), when installed
Measured on each drawing: seconds (median of --repeat runs), crossings of the wires drawn straight from an
output's bottom-centre to an input's top-centre, total wire length in px, and node boxes that overlap.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402

from builder.graph import NODE_HEIGHT, NODE_WIDTH, Graph, layered_positions  # noqa: E402

Positions = dict[str, tuple[float, float]]
COLUMN_GAP, ROW_GAP = 40.0, 50.0


def chain_graph(nodes: int) -> Graph:
    """bench/large_projects.py's generated chain as a Graph."""
    from large_projects import project_data
    return Graph.from_dict(project_data(nodes, "repeated")["graph"])


def residual_graph(nodes: int) -> Graph:
    """About `nodes` nodes from an Input (16,): residual blocks (Dense, LayerNormalization, Dense, Add with the
    block's input), every third block a three-way split joined by Concatenate and a Dense back to 16 units.
    Every node infers a shape, so the graph can be built and edited like a real model."""
    graph = Graph()
    x = graph.add_node("Input", {"shape": [16]}).id

    def dense(source: str, units: int = 16) -> str:
        node = graph.add_node("Dense", {"units": units, "activation": "relu"}).id
        graph.connect(source, node)
        return node

    block = 0
    while len(graph.nodes) < nodes - 6:
        block += 1
        if block % 3:
            h = dense(x)
            norm = graph.add_node("LayerNormalization", {}).id
            graph.connect(h, norm)
            h = dense(norm)
            add = graph.add_node("Add", {}).id
            graph.connect(x, add, target_port=0)
            graph.connect(h, add, target_port=1)
            x = add
        else:
            branches = [dense(x, 8), dense(dense(x, 8), 8), dense(dense(dense(x, 8), 8), 8)]
            join = graph.add_node("Concatenate", {}).id
            for port, branch in enumerate(branches):
                graph.connect(branch, join, target_port=port)
            x = dense(join)
    out = graph.add_node("Dense", {"units": 10, "activation": "softmax"}).id
    graph.connect(x, out)
    graph.set_flag(out, "output", True)
    return graph


def tangled_graph(nodes: int, seed: int = 0) -> Graph:
    """A random DAG for layout only (not a valid model): each node after the first few takes one or two
    inputs from the 40 nodes before it, so wires cross unless the layout orders each row well."""
    import random
    rng = random.Random(seed)
    graph = Graph()
    ids = [graph.add_node("Input", {"shape": [16]}).id for _ in range(4)]
    while len(ids) < nodes:
        sources = rng.sample(ids[-40:], k=min(len(ids[-40:]), rng.choice((1, 1, 2))))
        node = graph.add_node("Add" if len(sources) > 1 else "Dense", {}).id
        for port, source in enumerate(sources):
            graph.connect(source, node, target_port=port)
        ids.append(node)
    return graph


def imported_graph(name: str) -> Graph:
    """keras.applications.<name>(weights=None) imported as a Layerboard graph."""
    import keras

    from builder.importer import project_from_model
    model = getattr(keras.applications, name)(weights=None)
    return project_from_model(model, name).project.graph


def _wires(graph: Graph) -> list[tuple[str, str]]:
    return list(dict.fromkeys((e.source, e.target) for e in graph.edges))


def grandalf_positions(graph: Graph) -> Positions:
    from grandalf.graphs import Edge as GEdge, Graph as GGraph, Vertex
    from grandalf.layouts import SugiyamaLayout

    class Box:
        w, h, xy = NODE_WIDTH, NODE_HEIGHT, (0.0, 0.0)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * len(graph.nodes) + 1000))  # its graph walks recurse
    vertices = {n: Vertex(n) for n in graph.nodes}
    for v in vertices.values():
        v.view = Box()
    drawing = GGraph(list(vertices.values()), [GEdge(vertices[s], vertices[t]) for s, t in _wires(graph)])
    out: Positions = {}
    left = 0.0
    for component in drawing.C:
        layout = SugiyamaLayout(component)
        layout.xspace, layout.yspace = COLUMN_GAP, ROW_GAP
        layout.init_all()
        layout.draw(3)
        xs = [v.view.xy[0] for v in component.sV]
        shift = left - min(xs) + NODE_WIDTH / 2
        for v in component.sV:
            out[v.data] = (v.view.xy[0] + shift - NODE_WIDTH / 2, v.view.xy[1] - NODE_HEIGHT / 2)
        left += max(xs) - min(xs) + NODE_WIDTH + COLUMN_GAP
    return out


def igraph_positions(graph: Graph) -> Positions:
    import igraph

    ids = list(graph.nodes)
    index = {n: i for i, n in enumerate(ids)}
    drawing = igraph.Graph(n=len(ids), edges=[(index[s], index[t]) for s, t in _wires(graph)], directed=True)
    coords = drawing.layout_sugiyama(hgap=1, vgap=1).coords[:len(ids)]
    return {n: (x * (NODE_WIDTH + COLUMN_GAP), y * (NODE_HEIGHT + ROW_GAP)) for n, (x, y) in zip(ids, coords)}


def dot_positions(graph: Graph) -> Positions:
    lines = ["digraph g {", "graph [rankdir=TB, nodesep=%.3f, ranksep=%.3f];" % (COLUMN_GAP / 72, ROW_GAP / 72),
             "node [shape=box, fixedsize=true, width=%.3f, height=%.3f];" % (NODE_WIDTH / 72, NODE_HEIGHT / 72)]
    lines += [f'"{n}";' for n in graph.nodes] + [f'"{s}" -> "{t}";' for s, t in _wires(graph)] + ["}"]
    plain = subprocess.run(["dot", "-Tplain"], input="\n".join(lines), capture_output=True, text=True,
                           check=True).stdout
    out: Positions = {}
    for line in plain.splitlines():
        part = line.split()
        if part and part[0] == "node":
            out[part[1].strip('"')] = (float(part[2]) * 72 - NODE_WIDTH / 2, -float(part[3]) * 72 - NODE_HEIGHT / 2)
    return out


CANDIDATES = {"layerboard": layered_positions, "grandalf": grandalf_positions, "igraph": igraph_positions,
              "dot": dot_positions}


def crossings(graph: Graph, positions: Positions) -> int:
    """Pairs of straight wires (output bottom-centre -> input top-centre) that cross, not counting shared ends."""
    wires = _wires(graph)
    if len(wires) < 2:
        return 0
    a = np.array([(positions[s][0] + NODE_WIDTH / 2, positions[s][1] + NODE_HEIGHT) for s, _ in wires])
    b = np.array([(positions[t][0] + NODE_WIDTH / 2, positions[t][1]) for _, t in wires])
    ends = [(s, t) for s, t in wires]
    total = 0
    for i in range(len(wires) - 1):
        p, q = a[i], b[i]
        c, d = a[i + 1:], b[i + 1:]

        def side(o, u, v):
            return np.sign((u[..., 0] - o[..., 0]) * (v[..., 1] - o[..., 1])
                           - (u[..., 1] - o[..., 1]) * (v[..., 0] - o[..., 0]))
        hit = (side(p, q, c) * side(p, q, d) < 0) & (side(c, d, p) * side(c, d, q) < 0)
        shared = np.array([bool({ends[i][0], ends[i][1]} & {s, t}) for s, t in ends[i + 1:]])
        total += int(np.count_nonzero(hit & ~shared))
    return total


def wire_length(graph: Graph, positions: Positions) -> float:
    return sum(((positions[t][0] - positions[s][0]) ** 2 + (positions[t][1] - positions[s][1] - NODE_HEIGHT) ** 2)
               ** 0.5 for s, t in _wires(graph))


def overlaps(positions: Positions) -> int:
    """Pairs of 220x60 node boxes that overlap (a sweep over x)."""
    boxes = sorted(positions.values())
    count = 0
    for i, (x, y) in enumerate(boxes):
        for u, v in boxes[i + 1:]:
            if u - x >= NODE_WIDTH:
                break
            if abs(v - y) < NODE_HEIGHT:
                count += 1
    return count


def measure(graph: Graph, layout, repeat: int) -> tuple[float, Positions]:
    times, positions = [], {}
    for _ in range(repeat):
        start = time.perf_counter()
        positions = layout(graph)
        times.append(time.perf_counter() - start)
    return statistics.median(times), positions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--models", nargs="*", default=["MobileNetV2", "EfficientNetB0", "ResNet50", "DenseNet121"])
    parser.add_argument("--candidates", nargs="*", default=list(CANDIDATES))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    candidates = [c for c in args.candidates if c != "dot" or shutil.which("dot")]
    graphs = {f"chain {args.nodes}": lambda: chain_graph(args.nodes),
              f"residual {args.nodes}": lambda: residual_graph(args.nodes),
              f"tangled {args.nodes}": lambda: tangled_graph(args.nodes)}
    graphs.update({name: (lambda name=name: imported_graph(name)) for name in args.models})
    print(f"{'graph':<16} {'nodes':>5} {'wires':>5}  {'library':<10} {'seconds':>8} {'crossings':>9} "
          f"{'wire length px':>14} {'overlaps':>8}  {'width x height px':>17}")
    for label, make in graphs.items():
        graph = make()
        for name in candidates:
            seconds, positions = measure(graph, CANDIDATES[name], args.repeat)
            xs = [x for x, _ in positions.values()]
            ys = [y for _, y in positions.values()]
            size = f"{max(xs) - min(xs) + NODE_WIDTH:.0f} x {max(ys) - min(ys) + NODE_HEIGHT:.0f}"
            print(f"{label:<16} {len(graph.nodes):>5} {len(graph.edges):>5}  {name:<10} {seconds:>8.3f} "
                  f"{crossings(graph, positions):>9} {wire_length(graph, positions):>14.0f} "
                  f"{overlaps(positions):>8}  {size:>17}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
