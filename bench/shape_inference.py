"""Incremental shape inference on a 500-node graph: one edit's re-inference time against plain Keras.

Usage: python bench/shape_inference.py [--nodes N] [--repeats R]
Prints a table: the edit, how many nodes were sent to Keras again (`ShapeInference.computed`),
the median time of re-inferring after the edit, the target, and the ratio to building the
same model from scratch with plain Keras (measured in the same run).

The graph: Input (16, 16, 8) -> residual blocks [Conv2D -> Dense -> Add(skip)] with a
Conv2D "transition" between blocks and, every few blocks, a Concatenate of the block's two
branches squeezed back to 8 channels by a 1x1 Conv2D. Everything keeps the spatial size
(padding="same"), so an edit that changes it (a transition's padding, the Input's shape)
makes every node downstream recompute.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CHANNELS = 8


def layer_plan(total: int) -> list[tuple[str, str, dict, list[str]]]:
    """(id, block type, params, input ids) for a `total`-node graph, in data-flow order."""
    plan: list[tuple[str, str, dict, list[str]]] = [("input", "Input", {"shape": [16, 16, CHANNELS]}, [])]
    trunk, block = "input", 0
    while True:
        block += 1
        b = f"b{block}"
        concat = block % 5 == 0
        steps = [
            (f"{b}_t", "Conv2D", {"filters": CHANNELS, "kernel_size": [3, 3], "padding": "same", "activation": "relu"}, [trunk]),
            (f"{b}_c", "Conv2D", {"filters": CHANNELS, "kernel_size": [3, 3], "padding": "same", "activation": "relu"}, [f"{b}_t"]),
            (f"{b}_d", "Dense", {"units": CHANNELS, "activation": "relu"}, [f"{b}_c"]),
        ]
        if concat:
            steps += [
                (f"{b}_cat", "Concatenate", {}, [f"{b}_t", f"{b}_d"]),
                (f"{b}_sq", "Conv2D", {"filters": CHANNELS, "kernel_size": [1, 1]}, [f"{b}_cat"]),
            ]
        else:
            steps.append((f"{b}_add", "Add", {}, [f"{b}_t", f"{b}_d"]))
        if len(plan) + len(steps) + 2 > total:
            break
        plan += steps
        trunk = steps[-1][0]
    plan.append(("flatten", "Flatten", {}, [trunk]))
    while len(plan) < total:  # top up with a Dense head so the count is exact
        plan.append((f"head_{len(plan)}", "Dense", {"units": 10}, [plan[-1][0]]))
    return plan


def build_graph(plan):
    from builder.graph import Graph

    g = Graph()
    for i, (node_id, block_type, params, inputs) in enumerate(plan):
        g.add_node(block_type, params, (i * 10.0, 0.0), node_id)
        for port, src in enumerate(inputs):
            g.connect(src, node_id, 0, port)
    return g


def plain_keras(plan) -> float:
    """What a user would hand-write: the same layers through the functional API, from scratch."""
    import keras

    start = time.perf_counter()
    tensors = {}
    for node_id, block_type, params, inputs in plan:
        if block_type == "Input":
            tensors[node_id] = keras.Input(shape=tuple(params["shape"]), name=node_id)
            continue
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
        layer = getattr(keras.layers, block_type)(name=node_id, **kwargs)
        args = [tensors[s] for s in inputs]
        tensors[node_id] = layer(args if block_type in ("Add", "Concatenate") else args[0])
    keras.Model(tensors[plan[0][0]], tensors[plan[-1][0]])
    return time.perf_counter() - start


def timed(engine, graph, edit, undo=None, repeats=7):
    """Median seconds of edit + re-inference, and the nodes recomputed; `undo` runs untimed after each."""
    times, computed = [], set()
    for _ in range(repeats):
        start = time.perf_counter()
        edit()
        report = engine.run(graph)
        times.append(time.perf_counter() - start)
        computed.add(engine.computed)
        assert all(r.ok for r in report.nodes.values()), report.summary()
        if undo:
            undo()
            engine.run(graph)  # back to the steady state (untimed)
    return statistics.median(times), computed


def toggler(graph, node_id, name, a, b):
    """An edit that flips one parameter between two values, so every repeat is a real change."""
    def edit():
        value = graph.nodes[node_id].params.get(name)
        graph.set_param(node_id, name, b if value == a else a)
    return edit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    import keras  # noqa: F401  (import cost is not part of any measurement)

    from builder.model import ShapeInference

    plan = layer_plan(args.nodes)
    graph = build_graph(plan)
    transitions = [n for n, *_ in plan if n.endswith("_t")]
    near = {"end": transitions[-1], "90%": transitions[int(len(transitions) * 0.9)],
            "middle": transitions[len(transitions) // 2],
            "start": transitions[0]}

    plain_keras(plan)  # warm up Keras (layer classes, tracing caches)
    baseline = statistics.median(plain_keras(plan) for _ in range(3))

    engine = ShapeInference()
    start = time.perf_counter()
    report = engine.run(graph)
    first = time.perf_counter() - start
    assert report.valid, report.summary()
    first_computed = engine.computed

    r = args.repeats
    rows = [("first full inference (cold)", {first_computed}, first, None)]
    for label, key, target in (("(a) param near the end", "end", 0.1),
                               ("(a') param at 90% depth", "90%", 0.1),
                               ("(b) param in the middle", "middle", 0.1)):
        t, c = timed(engine, graph, toggler(graph, near[key], "padding", "same", "valid"), repeats=r)
        rows.append((f"{label} (shape changes)", c, t, target))
    t, c = timed(engine, graph, toggler(graph, near["middle"], "activation", "relu", "tanh"), repeats=r)
    rows.append(("(b') activation in the middle", c, t, 0.1))
    t, c = timed(engine, graph, toggler(graph, "input", "shape", [16, 16, CHANNELS], [12, 12, CHANNELS]), repeats=r)
    rows.append(("(c) Input shape (worst case)", c, t, None))
    t, c = timed(engine, graph, toggler(graph, near["start"], "padding", "same", "valid"), repeats=r)
    rows.append(("(c') param at the start", c, t, None))
    moved = iter(range(10**6))
    t, c = timed(engine, graph, lambda: graph.move_node(near["middle"], (next(moved), 5.0)), repeats=r)
    rows.append(("(d) move a node", c, t, 0.1))

    last = plan[-1][0]

    def add_and_connect():
        node = graph.add_node("Dense", {"units": 4}, (0.0, 0.0), "bench_extra")
        graph.connect(last, node.id)

    t, c = timed(engine, graph, add_and_connect, undo=lambda: graph.remove_node("bench_extra"), repeats=r)
    rows.append(("(e) add + connect at the end", c, t, 0.1))

    print(f"{len(graph.nodes)}-node graph, {len(graph.edges)} wires; median of {r} edits "
          f"(edit + re-inference); plain Keras = building the same model from scratch")
    print(f"{'edit':<38}{'recomputed':>11}{'ms':>10}{'target':>10}{'ok':>5}{'vs Keras':>10}")
    print(f"{'plain Keras functional build':<38}{len(plan):>11}{baseline * 1e3:>10.1f}{'':>10}{'':>5}{1.0:>10.2f}")
    for label, computed, seconds, target in rows:
        n = "/".join(str(x) for x in sorted(computed))
        tgt = f"< {target * 1e3:.0f} ms" if target else "-"
        ok = ("yes" if seconds < target else "NO") if target else ""
        print(f"{label:<38}{n:>11}{seconds * 1e3:>10.1f}{tgt:>10}{ok:>5}{seconds / baseline:>10.3f}")


if __name__ == "__main__":
    main()
