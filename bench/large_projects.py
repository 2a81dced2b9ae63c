"""Large projects: how long loading, checking and the Python code export take, by node count.

Usage: python bench/large_projects.py [--nodes 1000 10000] [--kinds repeated distinct]
Prints a table: nodes, kind, project file size, and the seconds `load_project`, `check` (the CLI command in this
process: shape inference, the cost estimate and the report) and `export --format python` took. Keras is imported
(and warmed up on a small project) before the clock starts.

The graphs are chains from an Input (16,): `repeated` cycles Dense(16, relu) / Dropout / LayerNormalization, as
a large model repeats its blocks; `distinct` gives every Dense its own width, so no two layers take the same
input and Keras is asked about every node.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def project_data(nodes: int, kind: str) -> dict:
    data = json.loads((ROOT / "templates" / "digits_cnn.json").read_text())
    graph_nodes = [{"id": "input", "type": "Input", "params": {"shape": [16]}, "position": [0, 0]}]
    edges = []
    previous = "input"
    for i in range(1, nodes - 1):
        step = i % 3
        if step == 0:
            units = 16 if kind == "repeated" else 8 + i % 997
            node = {"id": f"dense_{i}", "type": "Dense", "params": {"units": units, "activation": "relu"}}
        elif step == 1:
            node = {"id": f"dropout_{i}", "type": "Dropout", "params": {"rate": 0.1}}
        else:
            node = {"id": f"norm_{i}", "type": "LayerNormalization", "params": {}}
        node["position"] = [0, 90 * i]
        graph_nodes.append(node)
        edges.append({"source": previous, "source_port": 0, "target": node["id"], "target_port": 0})
        previous = node["id"]
    graph_nodes.append({"id": "digit", "type": "Dense", "params": {"units": 10, "activation": "softmax"},
                        "position": [0, 90 * nodes]})
    edges.append({"source": previous, "source_port": 0, "target": "digit", "target_port": 0})
    data["graph"] = {"nodes": graph_nodes, "edges": edges}
    data["name"] = f"large_{kind}_{nodes}"
    return data


def timed(fn) -> float:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--kinds", nargs="+", default=["repeated", "distinct"], choices=["repeated", "distinct"])
    args = parser.parse_args()

    from builder.cli import main as cli
    from builder.project import load_project

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        warm = folder / "warm.json"
        warm.write_text(json.dumps(project_data(10, "distinct")))
        timed(lambda: cli(["check", str(warm)]))  # imports Keras
        print(f"{'nodes':>7}  {'kind':<9} {'file':>9}  {'load s':>7}  {'check s':>8}  {'python export s':>15}")
        for nodes in args.nodes:
            for kind in args.kinds:
                path = folder / f"{kind}_{nodes}.json"
                path.write_text(json.dumps(project_data(nodes, kind)))
                load = timed(lambda: load_project(path))
                check = timed(lambda: cli(["check", str(path)]))
                export = timed(lambda: cli(["export", str(path), "--format", "python", "-o",
                                            str(folder / f"{kind}_{nodes}.py")]))
                size = path.stat().st_size / 2**20
                print(f"{nodes:>7}  {kind:<9} {size:>7.1f} MiB {load:>7.2f}  {check:>8.2f}  {export:>15.2f}",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
