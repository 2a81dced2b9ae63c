"""Layerboard's engine against a plain hand-written `model.fit` script: samples per second and their ratio.

Each workload (a small MLP, a CNN, an LSTM) trains the same model on the same generated NumPy data with the same
settings (optimizer, learning rate, batch size, epochs, seed, jit_compile, steps_per_execution) twice or three
times in one process:

* plain       - `keras.Sequential`, `model.compile`, `model.fit(x, y, validation_data=..., verbose=0)`;
* layerboard  - `builder.training.Trainer` with a TrainingCallbacks subclass that records every batch's logs,
                as a user runs it: per-epoch checkpoints (last.keras, best.keras, checkpoint.json), history.csv,
                control.csv / control.json polling and TensorBoard logs on;
* lb-no-tb    - the same with `training.tensorboard` off.

What is timed: the end of one epoch to the end of the next (training, validation, every callback, and for
Layerboard the checkpoint saves of the epoch before), for epochs 2..N, so model build, data conversion and the
first epoch's tracing are left out on both sides. Samples/s = training samples / fastest epoch time (as timeit
keeps the fastest run: other processes only slow an epoch down). Every variant runs --repeats times, in
alternating order, and the best samples/s is kept. Samples per CPU-second (process CPU time) is shown beside it:
it moves less when other processes share the machine.

Usage:
    python bench/training_overhead.py                    # full run (mlp, cnn, lstm; a few minutes on 2 cores)
    python bench/training_overhead.py --quick            # small sizes: a smoke check
    python bench/training_overhead.py --workloads mlp,cnn --epochs 5 --repeats 3
    python bench/training_overhead.py --steps-per-execution 8 --jit-compile true   # same settings both sides
    python bench/training_overhead.py --markdown table.md

The final lines say PASS/FAIL per workload: Layerboard (TensorBoard on) must reach >= 0.97 of plain Keras.

Per template, with Layerboard's automatic choices against a plain `model.fit` with Keras's defaults (target >= 1.15),
FLOP/s against a matmul and whole-process wall times (bench/auto_settings.py does the work):
    python bench/training_overhead.py --templates                       # the default templates
    python bench/training_overhead.py --templates digits_cnn,shapes_cnn --epochs 6 --repeats 3 --process
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/auto_settings.py

import numpy as np  # noqa: E402

THRESHOLD = 0.97
NUM_CLASSES = 10
VARIANTS = ("plain", "layerboard", "lb-no-tb")


# --- workloads -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    input_shape: tuple[int, ...]
    train: int  # training samples (full run)
    quick_train: int  # training samples with --quick
    layers: list[tuple[str, dict]]  # (Keras layer class, constructor arguments), after the Input
    plain_model: Callable  # the hand-written Keras model: (input_shape) -> keras.Model


def _plain_mlp(shape):
    import keras

    return keras.Sequential([
        keras.Input(shape),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(NUM_CLASSES, activation="softmax"),
    ])


def _plain_cnn(shape):
    import keras

    return keras.Sequential([
        keras.Input(shape),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(NUM_CLASSES, activation="softmax"),
    ])


def _plain_lstm(shape):
    import keras

    return keras.Sequential([
        keras.Input(shape),
        keras.layers.LSTM(64),
        keras.layers.Dense(NUM_CLASSES, activation="softmax"),
    ])


WORKLOADS = {
    "mlp": Workload("mlp", "MLP 784-256-10", (784,), 48_000, 6_000, [
        ("Dense", {"units": 256, "activation": "relu"}),
        ("Dense", {"units": NUM_CLASSES, "activation": "softmax"}),
    ], _plain_mlp),
    "cnn": Workload("cnn", "CNN 28x28x1 conv16-pool-conv32-pool-dense", (28, 28, 1), 24_000, 2_000, [
        ("Conv2D", {"filters": 16, "kernel_size": [3, 3], "activation": "relu"}),
        ("MaxPooling2D", {"pool_size": [2, 2]}),
        ("Conv2D", {"filters": 32, "kernel_size": [3, 3], "activation": "relu"}),
        ("MaxPooling2D", {"pool_size": [2, 2]}),
        ("Flatten", {}),
        ("Dense", {"units": NUM_CLASSES, "activation": "softmax"}),
    ], _plain_cnn),
    "lstm": Workload("lstm", "LSTM(64) on 30x16 sequences", (30, 16), 20_000, 2_000, [
        ("LSTM", {"units": 64}),
        ("Dense", {"units": NUM_CLASSES, "activation": "softmax"}),
    ], _plain_lstm),
}


def make_data(workload: Workload, n_train: int, seed: int = 0):
    """Generated float32 inputs and learnable integer labels (argmax of a fixed random projection)."""
    rng = np.random.default_rng(seed)
    n_val = max(n_train // 10, 1)
    x = rng.standard_normal((n_train + n_val, *workload.input_shape), dtype=np.float32)
    projection = rng.standard_normal((int(np.prod(workload.input_shape)), NUM_CLASSES)).astype(np.float32)
    y = np.argmax(x.reshape(len(x), -1) @ projection, axis=1).astype(np.int64)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


# --- settings shared by both sides -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    epochs: int
    batch_size: int
    learning_rate: float = 1e-3
    seed: int = 42
    jit_compile: bool | str = "auto"
    steps_per_execution: int = 1


# --- the two sides ---------------------------------------------------------------------------------------------

def run_plain(workload: Workload, data, settings: Settings) -> list[tuple[float, float]]:
    """A hand-written script: Sequential model, compile, fit on the arrays. Returns the epoch-end times."""
    import keras

    x_train, y_train, x_val, y_val = data
    ends: list[tuple[float, float]] = []

    class EpochTimer(keras.callbacks.Callback):
        async_safe = True  # epoch hooks only: leaves Keras's batch dispatch as it is without callbacks

        def on_epoch_end(self, epoch, logs=None):
            ends.append((time.perf_counter(), time.process_time()))

    keras.utils.set_random_seed(settings.seed)
    model = workload.plain_model(workload.input_shape)
    model.compile(optimizer=keras.optimizers.Adam(settings.learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=settings.jit_compile,
                  steps_per_execution=settings.steps_per_execution)
    model.fit(x_train, y_train, validation_data=(x_val, y_val), batch_size=settings.batch_size,
              epochs=settings.epochs, verbose=0, callbacks=[EpochTimer()])
    return ends


def layerboard_project(workload: Workload, settings: Settings, tensorboard: bool):
    from builder.graph import Graph
    from builder.project import Project, TrainingConfig

    graph = Graph()
    graph.add_node("Input", {"shape": list(workload.input_shape)}, node_id="input")
    previous = "input"
    for i, (layer, params) in enumerate(workload.layers, 1):
        node_id = f"{layer.lower()}_{i}"
        graph.add_node(layer, dict(params), node_id=node_id)
        graph.connect(previous, node_id)
        previous = node_id
    training = TrainingConfig(optimizer="adam", learning_rate=settings.learning_rate,
                              loss="sparse_categorical_crossentropy", metrics=["accuracy"], epochs=settings.epochs,
                              batch_size=settings.batch_size, seed=settings.seed, jit_compile=settings.jit_compile,
                              steps_per_execution=settings.steps_per_execution, tensorboard=tensorboard)
    return Project(graph=graph, training=training, name=f"bench_{workload.name}")


def run_layerboard(workload: Workload, data, settings: Settings,
                   tensorboard: bool = True) -> list[tuple[float, float]]:
    """Trainer with everything a user has on; the TrainingCallbacks keep every batch's logs, as the GUI does."""
    from builder.data import Dataset
    from builder.training import Trainer, TrainingCallbacks

    x_train, y_train, x_val, y_val = data
    ends: list[tuple[float, float]] = []

    class Recorder(TrainingCallbacks):
        def __init__(self) -> None:
            self.batches: list[tuple[int, int, dict[str, float]]] = []
            self.epochs: list[dict[str, float]] = []

        def on_batch_end(self, epoch, batch, logs):
            self.batches.append((epoch, batch, logs))

        def on_epoch_end(self, epoch, logs):
            ends.append((time.perf_counter(), time.process_time()))
            self.epochs.append(logs)

    dataset = Dataset(name=f"bench_{workload.name}", x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val,
                      class_names=[str(i) for i in range(NUM_CLASSES)],
                      x_test=x_val[:0], y_test=y_val[:0])
    project = layerboard_project(workload, settings, tensorboard)
    recorder = Recorder()
    with tempfile.TemporaryDirectory(prefix="lb-bench-") as run_dir:
        trainer = Trainer(project, run_dir=run_dir, callbacks=recorder, epochs=settings.epochs, dataset=dataset)
        trainer.run()
        expected = {"last.keras", "best.keras", "checkpoint.json", "history.csv", "model.keras", "run.json"}
        missing = expected - {p.name for p in Path(run_dir).iterdir()}
        if missing or (tensorboard and not (Path(run_dir) / "logs").is_dir()):
            raise SystemExit(f"Layerboard's run wrote no {sorted(missing) or 'logs/'}: the bench is not measuring "
                             "what a user runs.")
        _check_same_model(workload, trainer.model)
    if not recorder.batches:
        raise SystemExit("The TrainingCallbacks saw no batch: the bench is not measuring per-batch reporting.")
    return ends


def _check_same_model(workload: Workload, model) -> None:
    plain = workload.plain_model(workload.input_shape)
    if plain.count_params() != model.count_params():
        raise SystemExit(f"{workload.name}: Layerboard's model has {model.count_params()} parameters, the plain one "
                         f"{plain.count_params()}: they are not the same model.")


# --- measuring -------------------------------------------------------------------------------------------------

def samples_per_second(ends: list[tuple[float, float]], n_train: int) -> tuple[float, float, list[float]]:
    """(n_train / fastest wall-clock epoch, n_train / least process CPU time of an epoch, the epoch times) over
    epochs 2..N, an epoch being the end of one epoch to the end of the next. The fastest epoch, as timeit takes the
    fastest run: other processes on the machine only ever make an epoch slower."""
    wall = [b[0] - a[0] for a, b in zip(ends, ends[1:])]
    cpu = [b[1] - a[1] for a, b in zip(ends, ends[1:])]
    if not wall:
        raise SystemExit("Need at least 2 epochs to time one after the first (--epochs >= 2).")
    return n_train / min(wall), n_train / min(cpu), wall


def measure(workload: Workload, settings: Settings, n_train: int, repeats: int, variants: tuple[str, ...],
            verbose: bool) -> dict[str, tuple[float, float]]:
    """{variant: (best wall-clock samples/s, best samples per CPU-second)} over the repeats."""
    import keras

    data = make_data(workload, n_train)
    runners = {
        "plain": lambda: run_plain(workload, data, settings),
        "layerboard": lambda: run_layerboard(workload, data, settings, tensorboard=True),
        "lb-no-tb": lambda: run_layerboard(workload, data, settings, tensorboard=False),
    }
    best: dict[str, tuple[float, float]] = {}
    for r in range(repeats):
        order = variants if r % 2 == 0 else tuple(reversed(variants))  # alternate to cancel drift (heat, caches)
        for variant in order:
            keras.backend.clear_session()
            rate, cpu_rate, epochs = samples_per_second(runners[variant](), n_train)
            wall0, cpu0 = best.get(variant, (0.0, 0.0))
            best[variant] = (max(wall0, rate), max(cpu0, cpu_rate))
            if verbose:
                times = " ".join(f"{t:.2f}" for t in epochs)
                print(f"  {workload.name:<5} repeat {r + 1} {variant:<11} {rate:>9.0f} samples/s "
                      f"{cpu_rate:>9.0f} samples/CPU-s  (epoch s: {times})", flush=True)
    return best


def table(results: dict[str, dict[str, tuple[float, float]]], variants: tuple[str, ...]) -> list[str]:
    """Markdown: wall-clock samples/s and their ratio (the verdict), plus the ratio in samples per CPU-second,
    which is less moved by other processes on a shared machine."""
    tb_off = "lb-no-tb" in variants
    header = "| workload | plain samples/s | Layerboard samples/s | ratio | ratio (CPU time) |"
    if tb_off:
        header += " Layerboard TensorBoard off samples/s | ratio TB off | ratio TB off (CPU time) |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for name, best in results.items():
        (plain, plain_cpu), (lb, lb_cpu) = best["plain"], best["layerboard"]
        row = f"| {name} | {plain:,.0f} | {lb:,.0f} | {lb / plain:.3f} | {lb_cpu / plain_cpu:.3f} |"
        if tb_off:
            off, off_cpu = best["lb-no-tb"]
            row += f" {off:,.0f} | {off / plain:.3f} | {off_cpu / plain_cpu:.3f} |"
        lines.append(row)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small datasets, 3 epochs, 1 repeat: a smoke check")
    parser.add_argument("--workloads", default="mlp,cnn,lstm", help="comma-separated: " + ",".join(WORKLOADS))
    parser.add_argument("--epochs", type=int, default=None, help="epochs per run (>= 2; default 7, --quick 3)")
    parser.add_argument("--repeats", type=int, default=None, help="runs per variant, best kept (default 3, quick 1)")
    parser.add_argument("--batch-size", type=int, default=32, help="default 32 (TrainingConfig's default)")
    parser.add_argument("--samples", type=int, default=None, help="training samples for every workload")
    parser.add_argument("--steps-per-execution", type=int, default=1)
    parser.add_argument("--jit-compile", default="auto", choices=("auto", "true", "false"))
    parser.add_argument("--no-tensorboard-row", action="store_true", help="skip the TensorBoard-off variant")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table to this file")
    parser.add_argument("-q", "--quiet", action="store_true", help="no per-run lines")
    parser.add_argument("--templates", nargs="?", const="", default=None,
                        help="per template, automatic choices vs Keras's defaults (bench/auto_settings.py); a "
                             "comma-separated list, or none for its default templates")
    parser.add_argument("--process", action="store_true", help="with --templates: also whole-process wall times")
    args = parser.parse_args(argv)
    if args.templates is not None:
        import auto_settings

        forwarded = [*(["--templates", args.templates] if args.templates else []),
                     *(["--epochs", str(args.epochs)] if args.epochs else []),
                     *(["--repeats", str(args.repeats)] if args.repeats else []), *(["--process"] if args.process else [])]
        return auto_settings.main(forwarded)

    names = [n.strip() for n in args.workloads.split(",") if n.strip()]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {unknown[0]!r}; workloads: {', '.join(WORKLOADS)}")
    epochs = args.epochs if args.epochs is not None else (3 if args.quick else 7)
    if epochs < 2:
        parser.error("--epochs must be at least 2 (the first epoch, with tracing, is not timed)")
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 3)
    jit = {"auto": "auto", "true": True, "false": False}[args.jit_compile]
    settings = Settings(epochs=epochs, batch_size=args.batch_size, jit_compile=jit,
                        steps_per_execution=args.steps_per_execution)
    variants = VARIANTS[:2] if args.no_tensorboard_row else VARIANTS

    import keras

    print(f"Keras {keras.__version__} ({keras.backend.backend()}), {os.cpu_count()} CPUs; {epochs} epochs, "
          f"batch {settings.batch_size}, adam lr {settings.learning_rate}, jit_compile={settings.jit_compile}, "
          f"steps_per_execution={settings.steps_per_execution}; fastest epoch of 2..{epochs}, best of {repeats}",
          flush=True)
    results: dict[str, dict[str, float]] = {}
    for name in names:
        workload = WORKLOADS[name]
        n_train = args.samples or (workload.quick_train if args.quick else workload.train)
        print(f"{name}: {workload.description}, {n_train} training + {max(n_train // 10, 1)} validation samples",
              flush=True)
        results[name] = measure(workload, settings, n_train, repeats, variants, verbose=not args.quiet)

    lines = table(results, variants)
    print()
    print("\n".join(lines))
    print()
    failed = False
    for name, best in results.items():
        ratio = best["layerboard"][0] / best["plain"][0]
        verdict = "PASS" if ratio >= THRESHOLD else "FAIL"
        failed |= verdict == "FAIL"
        print(f"{verdict} {name}: ratio {ratio:.3f} (>= {THRESHOLD} required)")
    if args.markdown:
        args.markdown.write_text("\n".join(lines) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
