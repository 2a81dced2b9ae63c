"""A corpus of malformed and hostile inputs: project files, data files, command lines.

`build_cases(folder)` writes every case's files under `folder` and returns the cases; each names the command to
run, the exit codes it may end with and words its message must contain. tests/cli/test_hostile_inputs.py runs
them; `python tests/hostile_corpus.py` runs them all in fresh processes and prints the counts (cases tried,
clean errors, tracebacks, hangs, wrong successes).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "digits_cnn.json"
FAILS = (1, 2)  # an error (1) or an invalid project/argument (2)


@dataclass
class Case:
    name: str
    argv: list[str]  # arguments of `python main.py`, relative to the case's folder
    folder: Path
    exits: tuple[int, ...] = FAILS
    mentions: list[str] = field(default_factory=list)  # words the message must contain (case-insensitive)
    slow: bool = False  # runs TensorFlow training or export
    may_hang: bool = False  # reads a FIFO or a device: run in its own process, with a timeout

    def run(self, timeout: float = 120) -> "Outcome":
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LAYERBOARD_BLOCKS_DIR": str(self.folder / "no-blocks")}
        env.pop("LAYERBOARD_DEBUG", None)
        start = time.monotonic()
        try:
            done = subprocess.run([sys.executable, str(ROOT / "main.py"), *self.argv], cwd=self.folder, env=env,
                                  capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return Outcome(self, None, "", "", time.monotonic() - start)
        return Outcome(self, done.returncode, done.stdout, done.stderr, time.monotonic() - start)


@dataclass
class Outcome:
    case: Case
    code: int | None  # None: it hung
    stdout: str
    stderr: str
    seconds: float

    @property
    def verdict(self) -> str:
        """clean, traceback, hang, wrong success, wrong failure or unclear message."""
        if self.code is None:
            return "hang"
        text = self.stdout + self.stderr
        if "Traceback (most recent call last)" in text or "error: unexpected" in text:
            return "traceback"
        if self.code == 0 and 0 not in self.case.exits:
            return "wrong success"
        if self.code not in self.case.exits:
            return "wrong failure"
        missing = [w for w in self.case.mentions if w.lower() not in text.lower()]
        return "unclear message" if missing else "clean"


def base_project() -> dict[str, Any]:
    data = json.loads(TEMPLATE.read_text())
    data["training"]["epochs"] = 1
    return data


def _set(path: str, value: Any) -> Callable[[dict], None]:
    """A mutation that sets `a.b.c` (list indexes as numbers) to value."""
    def apply(data: dict) -> None:
        keys = [int(k) if k.isdigit() else k for k in path.split(".")]
        target = data
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value
    return apply


def _delete(path: str) -> Callable[[dict], None]:
    def apply(data: dict) -> None:
        keys = [int(k) if k.isdigit() else k for k in path.split(".")]
        target = data
        for k in keys[:-1]:
            target = target[k]
        del target[keys[-1]]
    return apply


# (name, mutation, words the message must name)
PROJECT_MUTATIONS: list[tuple[str, Callable[[dict], None], list[str]]] = [
    ("format-missing", _delete("format"), ["format"]),
    ("format-wrong", _set("format", "keras"), ["format"]),
    ("version-true", _set("version", True), ["version"]),
    ("version-2", _set("version", 2), ["version"]),
    ("version-string", _set("version", "1"), ["version"]),
    ("graph-null", _set("graph", None), ["graph"]),
    ("graph-list", _set("graph", []), ["graph"]),
    ("nodes-dict", _set("graph.nodes", {}), ["graph.nodes"]),
    ("edges-string", _set("graph.edges", "x"), ["graph.edges"]),
    ("node-null", _set("graph.nodes.1", None), ["graph.nodes[1]"]),
    ("node-id-missing", _delete("graph.nodes.2.id"), ["graph.nodes[2].id"]),
    ("node-id-number", _set("graph.nodes.2.id", 7), ["graph.nodes[2].id"]),
    ("node-id-duplicate", _set("graph.nodes.2.id", "rescaling"), ["rescaling"]),
    ("node-type-unknown", _set("graph.nodes.2.type", "Conv9D"), ["Conv9D"]),
    ("node-type-lambda", _set("graph.nodes.2.type", "Lambda"), ["Lambda"]),
    ("node-type-list", _set("graph.nodes.2.type", ["Dense"]), ["graph.nodes[2].type"]),
    ("params-list", _set("graph.nodes.2.params", [1, 2]), ["graph.nodes[2].params"]),
    ("position-string", _set("graph.nodes.2.position", "0,0"), ["graph.nodes[2].position"]),
    ("position-three", _set("graph.nodes.2.position", [0, 0, 0]), ["graph.nodes[2].position"]),
    ("trainable-string", _set("graph.nodes.2.trainable", "no"), ["trainable"]),
    ("output-number", _set("graph.nodes.2.output", 1), ["output"]),
    ("filters-string", _set("graph.nodes.2.params.filters", "16"), ["filters"]),
    ("filters-negative", _set("graph.nodes.2.params.filters", -3), ["filters"]),
    ("filters-float", _set("graph.nodes.2.params.filters", 2.5), ["filters"]),
    ("kernel-size-nested", _set("graph.nodes.2.params.kernel_size", [[[3]]]), ["kernel_size"]),
    ("activation-unknown", _set("graph.nodes.2.params.activation", "sparkle"), ["activation"]),
    ("padding-unknown", _set("graph.nodes.2.params.padding", "middle"), ["padding"]),
    ("unknown-param", _set("graph.nodes.2.params.flavour", 3), ["flavour"]),
    ("input-shape-negative", _set("graph.nodes.0.params.shape", [8, -8, 1]), ["shape"]),
    ("input-shape-string", _set("graph.nodes.0.params.shape", "8x8"), ["shape"]),
    ("dropout-rate-2", _set("graph.nodes.6.params.rate", 2.0), ["rate"]),
    ("edge-to-ghost", _set("graph.edges.0.target", "ghost"), ["ghost"]),
    ("edge-port-negative", _set("graph.edges.0.target_port", -1), ["target_port"]),
    ("edge-port-string", _set("graph.edges.0.source_port", "0"), ["source_port"]),
    ("edge-port-huge", _set("graph.edges.0.source_port", 10**9), ["output 1000000000"]),
    ("edge-self", _set("graph.edges.0.target", "image"), ["image"]),
    ("edge-cycle", lambda d: d["graph"]["edges"].append(
        {"source": "digit", "source_port": 0, "target": "rescaling", "target_port": 1}), ["cycle"]),
    ("dataset-unknown", _set("dataset.name", "nosuchset"), ["nosuchset"]),
    ("dataset-null", _set("dataset", None), ["dataset"]),
    ("dataset-unknown-field", _set("dataset.colour", "red"), ["colour"]),
    ("dataset-options-list", _set("dataset.options", []), ["options"]),
    ("validation-split-2", _set("dataset.validation_split", 2), ["validation_split"]),
    ("validation-split-string", _set("dataset.validation_split", "x"), ["validation_split"]),
    ("dataset-path-absolute", lambda d: d["dataset"].update(name="csv", path="/etc/passwd"), ["/etc/passwd"]),
    ("dataset-path-parent", lambda d: d["dataset"].update(name="csv", path="../../x.csv"), ["x.csv"]),
    ("dataset-path-missing", lambda d: d["dataset"].update(name="csv", path="nope.csv"), ["nope.csv"]),
    ("training-null", _set("training", None), ["training"]),
    ("training-unknown-field", _set("training.colour", 1), ["colour"]),
    ("seed-string", _set("training.seed", "x"), ["seed"]),
    ("seed-huge", _set("training.seed", 2**70), ["seed"]),
    ("epochs-string", _set("training.epochs", "ten"), ["epochs"]),
    ("epochs-zero", _set("training.epochs", 0), ["epochs"]),
    ("batch-size-negative", _set("training.batch_size", -32), ["batch_size"]),
    ("learning-rate-negative", _set("training.learning_rate", -1), ["learning_rate"]),
    ("learning-rate-string", _set("training.learning_rate", "fast"), ["learning_rate"]),
    ("label-smoothing-string", _set("training.label_smoothing", "x"), ["label_smoothing"]),
    ("early-stopping-yes", _set("training.early_stopping", "yes"), ["early_stopping"]),
    ("mixed-precision-string", _set("training.mixed_precision", "false"), ["mixed_precision"]),
    ("optimizer-unknown", _set("training.optimizer", "sgdx"), ["sgdx"]),
    ("optimizer-code", _set("training.optimizer", {"class_name": "os.system", "config": {}}), ["optimizer"]),
    ("loss-unknown", _set("training.loss", "wrongloss"), ["wrongloss"]),
    ("metrics-number", _set("training.metrics", 5), ["metrics"]),
    ("weights-absolute", _set("weights", "/etc/passwd"), ["weights"]),
    ("weights-parent", _set("weights", "../w.weights.h5"), ["weights"]),
    ("weights-number", _set("weights", 3), ["weights"]),
    ("name-slash", _set("name", "a/b"), ["name"]),
    ("name-nul", _set("name", "a\u0000b"), ["name"]),
    ("vocabulary-etc-passwd", _set("graph", {
        "nodes": [{"id": "words", "type": "Input", "params": {"shape": [1], "dtype": "string"}},
                  {"id": "lookup", "type": "StringLookup", "params": {"vocabulary": "/etc/passwd"}}],
        "edges": [{"source": "words", "target": "lookup"}]}), ["vocabulary"]),
    ("empty-graph", _set("graph", {"nodes": [], "edges": []}), ["empty"]),
]

# Settings only `check` and `train` refuse: the Python script export writes a placeholder loader for them.
DATA_ONLY = {"dataset-unknown", "dataset-path-missing"}

RAW_FILES: list[tuple[str, bytes, list[str]]] = [
    ("not-json", b"{ this is not json", ["JSON"]),
    ("empty-file", b"", ["JSON"]),
    ("json-null", b"null", ["object"]),
    ("json-list", b"[]", ["object"]),
    ("json-string", b'"layerboard"', ["object"]),
    ("binary", bytes(range(256)) * 4, []),
    ("deep-nesting", b"[" * 100_000 + b"]" * 100_000, []),
    ("utf16", json.dumps({"format": "layerboard-project"}).encode("utf-16"), []),
]


def build_cases(folder: Path) -> list[Case]:
    """Write every case's files under `folder` (one subfolder each) and return the cases."""
    cases: list[Case] = []
    for name, mutate, mentions in PROJECT_MUTATIONS:
        data = base_project()
        mutate(data)
        here = folder / name
        here.mkdir(parents=True, exist_ok=True)
        (here / "p.json").write_text(json.dumps(data))
        cases.append(Case(f"{name}/check", ["check", "p.json"], here, mentions=mentions))
        writes = name in DATA_ONLY  # a script may name data it does not have: it writes a placeholder loader
        cases.append(Case(f"{name}/export-python", ["export", "p.json", "--format", "python", "-o", "m.py"], here,
                          exits=(0,) if writes else FAILS, mentions=[] if writes else mentions))
    for name, raw, mentions in RAW_FILES:
        here = folder / name
        here.mkdir(parents=True, exist_ok=True)
        (here / "p.json").write_bytes(raw)
        cases.append(Case(f"{name}/check", ["check", "p.json"], here, mentions=["p.json", *mentions]))
    here = folder / "paths"
    here.mkdir(parents=True, exist_ok=True)
    (here / "p.json").write_text(json.dumps(base_project()))
    (here / "a-folder").mkdir(exist_ok=True)
    if hasattr(os, "mkfifo") and not (here / "fifo.json").exists():
        os.mkfifo(here / "fifo.json")
    cases += [
        Case("paths/check-missing", ["check", "missing.json"], here, mentions=["missing.json"]),
        Case("paths/check-folder", ["check", "a-folder"], here, mentions=["a-folder"]),
        Case("paths/check-fifo", ["check", "fifo.json"], here, mentions=["fifo.json"], may_hang=True),
        Case("paths/check-dev-zero", ["check", "/dev/zero"], here, mentions=["/dev/zero"], may_hang=True),
        Case("paths/check-nul", ["check", "p\u0001.json"], here, mentions=[]),
        Case("paths/python-to-folder", ["export", "p.json", "--format", "python", "-o", "a-folder"], here,
             mentions=["a-folder"]),
        Case("paths/python-under-proc", ["export", "p.json", "--format", "python", "-o", "/proc/m.py"], here,
             mentions=["/proc"]),
        Case("paths/new-to-dev-full", ["new", "digits_cnn", "-o", "/dev/full", "--force"], here,
             mentions=["/dev/full"], may_hang=True),
        Case("cli/unknown-command", ["fly"], here, exits=(2,), mentions=["fly"]),
        Case("cli/train-cpu-devices-negative", ["train", "p.json", "--cpu-devices", "-2"], here,
             mentions=["cpu-devices"], slow=True),
        Case("cli/export-samples-negative", ["export", "p.json", "--format", "keras", "-o", "m.keras", "--samples",
                                             "-5"], here, mentions=["samples"]),
        Case("cli/control-no-run", ["control", "no-such-run", "--learning-rate", "0.1"], here,
             mentions=["no-such-run"]),
        Case("cli/control-negative-lr", ["control", ".", "--learning-rate", "-5"], here, mentions=["learning"]),
        Case("cli/control-nan-lr", ["control", ".", "--learning-rate", "nan"], here, mentions=["learning"]),
        Case("cli/template-unknown", ["new", "no_such_template", "-o", "x.json"], here, mentions=["no_such_template"]),
        Case("cli/import-not-a-model", ["import", "p.json", "-o", "i.json"], here, mentions=["p.json"]),
    ]
    return cases


def main() -> int:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", help="where to write the cases (default: a temporary folder)")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    folder = Path(args.folder or tempfile.mkdtemp(prefix="layerboard-corpus-"))
    outcomes = [case.run(args.timeout) for case in build_cases(folder)]
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.verdict] = counts.get(outcome.verdict, 0) + 1
        if outcome.verdict != "clean":
            last = (outcome.stderr.strip().splitlines() or [""])[-1][:160]
            print(f"{outcome.verdict:15} {outcome.case.name:40} exit={outcome.code} {last}")
    print(f"\ncases tried: {len(outcomes)}")
    for verdict in ("clean", "unclear message", "traceback", "hang", "wrong success", "wrong failure"):
        print(f"{verdict}: {counts.get(verdict, 0)}")
    return 0 if counts.get("clean", 0) == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
