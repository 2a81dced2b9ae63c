"""Layerboard's automatic choices against the script its user would have written, per template.

For each template (an MLP, the CNNs, an LSTM, a Transformer): the same Keras model (builder.model.build_model of
the template's graph), the same data (the template's dataset as Layerboard splits it, NumPy arrays), the same
optimizer, loss, metrics, batch size and epochs, trained

* plain       - by a hand-written script: `model.compile(optimizer, loss, metrics)` with Keras's defaults
                (`jit_compile="auto"`, `steps_per_execution=1`) and `model.fit(x, y, validation_data=...)`;
* layerboard  - by `builder.training.Trainer` as `python main.py train` runs it (checkpoints, history.csv, run.json,
                live control, TensorBoard as the template says), with the settings the template leaves on "auto"
                chosen by the probe (builder.training.performance), measured once before the timed runs so the
                cache answers (the probe's own seconds are in the table).

Timed, both sides alike: the whole fit (samples x epochs / the start of training to the end of the last epoch,
the first epoch's tracing and XLA compiling included, as the user waits for them; the probe weighs them too) and
the steady state (the fastest epoch after the first); each side runs --repeats times in alternating order; the
ratio is the median over repeats of layerboard/plain. Target: >= 1.15 on every template, never below 1.0. Each
template trains its own epochs (as `python main.py train TEMPLATE` does) unless --epochs says otherwise.

Also printed, per template: the achieved training FLOP/s (the engine's FLOP estimate x 3 x samples/s) as a
fraction of a float32 matmul measured in the same run, and with --process the whole-process wall time of
`python main.py train TEMPLATE --epochs E` against the plain script run as its own process (ratio <= 1.0 asked),
--repeats times each in alternating order, the median ratio.

Usage:
    python bench/auto_settings.py                                  # the default templates, their epochs, 3 repeats
    python bench/auto_settings.py --templates digits_cnn --epochs 4 --repeats 2
    python bench/auto_settings.py --process --process-epochs 15    # also the whole-process wall times
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["LAYERBOARD_PERFORMANCE_PROBE"] = "on"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEMPLATES = ("spirals_mlp", "mnist1d_mlp", "digits_cnn", "shapes_cnn", "mnist1d_cnn", "sequences_lstm",
             "text_transformer")
TARGET, FLOOR = 1.15, 1.0


def _data(project):
    from builder.data import load_project_dataset

    return load_project_dataset(project)


def run_plain(project, dataset, epochs: int) -> list[float]:
    """The hand-written script: the same model, compiled with Keras's defaults, fit on the arrays."""
    import keras

    from builder.model import build_model
    from builder.training import make_optimizer

    config = project.training
    ends: list[float] = []

    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            ends.append(time.perf_counter())

        def on_epoch_end(self, epoch, logs=None):
            ends.append(time.perf_counter())

    keras.utils.set_random_seed(config.seed)
    model = build_model(project.graph, name=project.name, folder=project.folder())
    model.compile(optimizer=make_optimizer(config), loss=config.loss, metrics=config.metrics)
    model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
              batch_size=config.batch_size, epochs=epochs, verbose=0, callbacks=[EpochTimer()])
    return ends


def run_layerboard(project, dataset, epochs: int) -> tuple[list[float], dict]:
    from builder.training import Trainer, TrainingCallbacks

    ends: list[float] = []

    class Recorder(TrainingCallbacks):
        def on_train_begin(self, epochs, steps_per_epoch):
            ends.append(time.perf_counter())

        def on_epoch_end(self, epoch, logs):
            ends.append(time.perf_counter())

    with tempfile.TemporaryDirectory(prefix="lb-auto-") as run_dir:
        trainer = Trainer(project, run_dir=run_dir, callbacks=Recorder(), epochs=epochs, dataset=dataset)
        trainer.run()
        return ends, trainer.performance.to_dict()


def fastest_rate(ends: list[float], samples: int) -> float:
    """Steady state: samples / the fastest epoch after the first (ends[0] is the start of training)."""
    epochs = [b - a for a, b in zip(ends[1:], ends[2:])]
    return samples / min(epochs)


def whole_rate(ends: list[float], samples: int) -> float:
    """The whole fit: samples x epochs / the time from the start of training to the end of the last epoch (the
    first epoch's tracing and compiling included, as the user waits for them)."""
    return samples * (len(ends) - 1) / (ends[-1] - ends[0])


def matmul_flops() -> float:
    """FLOP/s of a float32 2048x2048 matmul on this machine (best of a few)."""
    import tensorflow as tf

    a = tf.random.normal((2048, 2048))
    b = tf.random.normal((2048, 2048))
    (a @ b).numpy()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        (a @ b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * 2048 ** 3 / best


def process_times(name: str, epochs: int, folder: Path, plain_first: bool = False) -> tuple[float, float]:
    """(Layerboard `main.py train` wall s, the plain script's wall s), each its own fresh process."""
    from builder.data import load_project_dataset
    from builder.export import python_source
    from builder.project import load_template
    from builder.training import choose_performance, device_summary

    project = load_template(name)
    dataset = load_project_dataset(project)
    choose_performance(project, device_summary(), epochs * len(dataset.y_train))  # measured before: cache warm
    data = folder / f"{name}.npz"
    import numpy as np

    np.savez(data, x_train=dataset.x_train, y_train=dataset.y_train, x_val=dataset.x_val, y_val=dataset.y_val)
    (folder / f"{name}_model.py").write_text(python_source(project))
    config = project.training
    script = folder / f"{name}_plain.py"
    script.write_text(
        "import sys, numpy as np\n"
        f"sys.path.insert(0, {str(folder)!r})\n"
        f"from {name}_model import build_model\n"
        "import keras\n"
        f"keras.utils.set_random_seed({config.seed})\n"
        f"d = np.load({str(data)!r})\n"
        "model = build_model()\n"
        f"model.compile(optimizer=keras.optimizers.get({json.dumps(config.optimizer)}), loss={json.dumps(config.loss)}, "
        f"metrics={json.dumps(config.metrics)})\n"
        f"model.optimizer.learning_rate = {config.learning_rate}\n"
        f"model.fit(d['x_train'], d['y_train'], validation_data=(d['x_val'], d['y_val']), "
        f"batch_size={config.batch_size}, epochs={epochs}, verbose=0)\n"
        f"model.save({str(folder / (name + '_plain.keras'))!r})\n")
    env = {**os.environ, "LAYERBOARD_PERFORMANCE_PROBE": "on"}

    def wall(command: list[str], cwd: Path) -> float:
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
        return time.perf_counter() - start

    commands = {
        "layerboard": ([sys.executable, str(ROOT / "main.py"), "train", f"templates/{name}.json", "--epochs",
                        str(epochs), "--run-dir", str(folder / f"{name}_run"), "--force"], ROOT),
        "plain": ([sys.executable, str(script)], folder)}
    times = {side: wall(*commands[side]) for side in (("plain", "layerboard") if plain_first else
                                                      ("layerboard", "plain"))}
    return times["layerboard"], times["plain"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--templates", default=",".join(TEMPLATES))
    parser.add_argument("--epochs", type=int, default=None, help="epochs per timed run (>= 2; default: the template's)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--process", action="store_true", help="also time whole processes")
    parser.add_argument("--process-epochs", type=int, default=15)
    args = parser.parse_args(argv)

    import keras

    from builder.model import estimate, infer_shapes
    from builder.project import load_template
    from builder.training import choose_performance
    from builder.training import device_summary

    device = device_summary()
    peak = matmul_flops()
    shown_epochs = args.epochs or "each template's"
    print(f"Keras {keras.__version__}, {os.cpu_count()} CPUs ({device}); {shown_epochs} epochs; whole fit = samples x "
          f"epochs / start of training to the last epoch's end, steady = fastest epoch after the first; median "
          f"ratio of {args.repeats} repeats; float32 matmul {peak / 1e9:.1f} GFLOP/s", flush=True)
    rows, verdicts, process_verdicts = [], [], []
    for name in [t.strip() for t in args.templates.split(",") if t.strip()]:
        project = load_template(name)
        dataset = _data(project)
        samples = len(dataset.y_train)
        epochs = args.epochs or project.training.epochs
        start = time.perf_counter()
        # the probe (or the cache) for a run of this length, once before the timed runs (the Trainer asks the same)
        choice = choose_performance(project, device, epochs * samples)
        probe_s = time.perf_counter() - start
        runs: dict[str, list[tuple[float, float]]] = {"plain": [], "layerboard": []}  # (whole, steady) per repeat
        for r in range(args.repeats):
            for side in (("plain", "layerboard") if r % 2 == 0 else ("layerboard", "plain")):
                keras.backend.clear_session()
                if side == "plain":
                    ends = run_plain(project, dataset, epochs)
                else:
                    ends, used = run_layerboard(project, dataset, epochs)
                runs[side].append((whole_rate(ends, samples), fastest_rate(ends, samples)))
            (pw, ps), (lw, ls) = runs["plain"][-1], runs["layerboard"][-1]
            print(f"  {name} repeat {r + 1}: whole fit plain {pw:,.0f}  layerboard {lw:,.0f} samples/s  ratio "
                  f"{lw / pw:.3f}; steady plain {ps:,.0f}  layerboard {ls:,.0f}  ratio {ls / ps:.3f}", flush=True)
        median = {(side, i): statistics.median(run[i] for run in runs[side]) for side in runs for i in (0, 1)}
        ratio = statistics.median(lb[0] / pl[0] for lb, pl in zip(runs["layerboard"], runs["plain"]))
        steady = statistics.median(lb[1] / pl[1] for lb, pl in zip(runs["layerboard"], runs["plain"]))
        report = infer_shapes(project.graph)
        flops = estimate(project.graph, report).flops_per_sample
        achieved = 3 * flops * median[("layerboard", 1)]
        rows.append(f"| {name} | {epochs} | {median[('plain', 0)]:,.0f} | {median[('layerboard', 0)]:,.0f} | {ratio:.2f} | "
                    f"{steady:.2f} | jit_compile={used['jit_compile']}, steps_per_execution="
                    f"{used['steps_per_execution']} ({used['source']}) | {choice.probe_s or probe_s:.1f} | "
                    f"{achieved / peak:.3f} |")
        verdicts.append((name, ratio))
    print()
    print("| template | epochs | plain samples/s (whole fit) | Layerboard samples/s | ratio (median) | "
          "steady-state ratio | chosen | probe s | FLOP/s of matmul (steady) |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if args.process:
        print()
        print(f"| template | `main.py train --epochs {args.process_epochs}` s | plain script process s | ratio "
              f"(median of {args.repeats}) |")
        print("|---|---|---|---|")
        with tempfile.TemporaryDirectory(prefix="lb-process-") as folder:
            for name, _ in verdicts:
                times = [process_times(name, args.process_epochs, Path(folder), plain_first=r % 2 == 1)
                         for r in range(args.repeats)]
                ratio = statistics.median(lb / plain for lb, plain in times)
                print(f"| {name} | {statistics.median(t[0] for t in times):.1f} | "
                      f"{statistics.median(t[1] for t in times):.1f} | {ratio:.2f} |", flush=True)
                process_verdicts.append((name, ratio))
    print()
    failed = False
    for name, ratio in verdicts:
        verdict = "PASS" if ratio >= TARGET else ("BELOW TARGET" if ratio >= FLOOR else "FAIL")
        failed |= ratio < TARGET
        print(f"{verdict} {name}: {ratio:.2f} (target >= {TARGET}, never below {FLOOR})")
    for name, ratio in process_verdicts:
        failed |= ratio > 1.0
        print(f"{'PASS' if ratio <= 1.0 else 'FAIL'} {name} process: {ratio:.2f} (target <= 1.0)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
