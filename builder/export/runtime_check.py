"""Run an exported model in its own runtime, in a fresh process that does not import Layerboard.

    python runtime_check.py FORMAT ARTIFACT INPUTS.npz OUTPUTS.npz

INPUTS.npz holds `input_<i>` arrays (the model's inputs in order) and `names` (their names); OUTPUTS.npz gets
`output_<i>` arrays (the model's outputs in order), `latency_ms` (median time of one sample, batch 1) and
`runtime` (what ran it). Runtimes: keras.saving.load_model (keras, h5), tf.saved_model.load and its
serving_default signature (savedmodel), the LiteRT interpreter (tflite; int8/uint8 inputs are quantised and
outputs dequantised with the file's own scales), onnxruntime (onnx).

This file is run as a script, so only its own folder is on sys.path: it cannot import `builder`, and it
checks that it did not, so a verification never leans on Layerboard's code.
"""
from __future__ import annotations

import json
import statistics
import sys
import time

import numpy as np

LATENCY_RUNS = 20


def _ordered(outputs, names: list[str] | None):
    if isinstance(outputs, dict):
        keys = names if names and all(n in outputs for n in names) else sorted(outputs)
        return [np.asarray(outputs[k]) for k in keys]
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(o) for o in outputs]
    return [np.asarray(outputs)]


def _latency(call, single) -> float:
    call(single)  # warm-up
    times = []
    for _ in range(LATENCY_RUNS):
        start = time.perf_counter()
        call(single)
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def run_keras(path: str, inputs: list, names: list[str], output_names):
    import keras

    model = keras.saving.load_model(path, compile=False, safe_mode=path.endswith(".keras"))

    def call(xs):
        return _ordered(model(xs if len(xs) > 1 else xs[0], training=False), output_names)

    outputs = [np.asarray(o) for o in call(inputs)]
    return outputs, _latency(call, [x[:1] for x in inputs]), "keras.saving.load_model"


def run_savedmodel(path: str, inputs: list, names: list[str], output_names):
    import tensorflow as tf

    serving = tf.saved_model.load(path).signatures["serving_default"]

    def call(xs):
        result = serving(**{n: tf.constant(x) for n, x in zip(names, xs)})
        return _ordered({k: v.numpy() for k, v in result.items()}, output_names)

    return call(inputs), _latency(call, [x[:1] for x in inputs]), "tf.saved_model (serving_default)"


def _quantise(x: np.ndarray, detail: dict) -> np.ndarray:
    dtype = detail["dtype"]
    if np.issubdtype(dtype, np.integer) and not np.issubdtype(x.dtype, np.integer):
        scale, zero = detail["quantization"]
        info = np.iinfo(dtype)
        return np.clip(np.round(x / scale + zero), info.min, info.max).astype(dtype)
    return x.astype(dtype)


def _dequantise(y: np.ndarray, detail: dict) -> np.ndarray:
    scale, zero = detail["quantization"]
    if np.issubdtype(y.dtype, np.integer) and scale:
        return (y.astype("float32") - zero) * scale
    return y


def run_tflite(path: str, inputs: list, names: list[str], output_names):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path)
    runner = interpreter.get_signature_runner()
    details = runner.get_input_details()
    out_details = runner.get_output_details()
    keys = [n for n in names if n in details] or list(details)

    def call(xs):
        result = runner(**{k: _quantise(x, details[k]) for k, x in zip(keys, xs)})
        return _ordered({k: _dequantise(np.asarray(v), out_details[k]) for k, v in result.items()}, output_names)

    try:
        outputs = call(inputs)
    except Exception:  # a file converted with batch size 1: run the samples one by one
        rows = [call([x[i:i + 1] for x in inputs]) for i in range(len(inputs[0]))]
        outputs = [np.concatenate([r[j] for r in rows]) for j in range(len(rows[0]))]
    return outputs, _latency(call, [x[:1] for x in inputs]), "LiteRT interpreter"


def run_onnx(path: str, inputs: list, names: list[str], output_names):
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = [i.name for i in session.get_inputs()]
    keys = [n for n in names if n in feeds] or feeds

    def call(xs):
        return [np.asarray(o) for o in session.run(None, dict(zip(keys, xs)))]

    return call(inputs), _latency(call, [x[:1] for x in inputs]), f"onnxruntime {onnxruntime.__version__}"


RUNNERS = {"keras": run_keras, "h5": run_keras, "savedmodel": run_savedmodel, "tflite": run_tflite,
           "onnx": run_onnx}


def main(argv: list[str]) -> int:
    fmt, artifact, inputs_file, outputs_file = argv
    with np.load(inputs_file, allow_pickle=False) as data:
        names = [str(n) for n in data["names"]]
        output_names = [str(n) for n in data["output_names"]] if "output_names" in data else None
        inputs = [data[f"input_{i}"] for i in range(len(names))]
    outputs, latency, runtime = RUNNERS[fmt](artifact, inputs, names, output_names)
    if "builder" in sys.modules:
        raise SystemExit("runtime_check imported Layerboard's builder package; the verification is not independent.")
    np.savez(outputs_file, latency_ms=np.float64(latency), runtime=np.array(runtime),
             **{f"output_{i}": np.asarray(o) for i, o in enumerate(outputs)})
    print(json.dumps({"runtime": runtime, "outputs": len(outputs)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
