"""The conversion worker: runs in its own process, imports TensorFlow, converts one block per job and answers.

    python -m builder.export.compatibility.worker

Each block is converted *in isolation*: a tiny model `Input(s) -> block` (batch size 1, variables frozen to
constants) goes through `tf.lite.TFLiteConverter`, first with the built-in operators only, then with
`SELECT_TF_OPS` added. For the `tflite-int8` target the block is then converted with full integer
quantisation (`TFLITE_BUILTINS_INT8`, a small random representative dataset) and the converted model is
opened in the LiteRT interpreter to check that its operators run on int8 tensors.

It reads batches of jobs and answers them as builder.export.compatibility.worker_client describes.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any

from builder.model import random_inputs


def _first_error(exc: Exception) -> str:
    lines = [l.strip() for l in str(exc).splitlines() if l.strip()]
    for line in lines:
        if "error:" in line:
            return line.split("error:", 1)[1].strip()[:300]
    return (lines[0] if lines else type(exc).__name__)[:300]


def _tiny_model(job: dict[str, Any]):
    """Input(s) -> the block, as a keras.Model (composites are expanded by build_model)."""
    from builder.graph import Graph
    from builder.model import build_model

    graph = Graph()
    for i, (shape, dtype) in enumerate(job["inputs"]):
        params: dict[str, Any] = {"shape": list(shape)}
        if dtype != "float32":
            params["dtype"] = dtype
        graph.add_node("Input", params, node_id=f"block_input_{i}")
    node = job["node"]
    graph.add_node(node["type"], node.get("params", {}), node_id=node["id"])
    for i, port in enumerate(job["ports"]):
        graph.connect(f"block_input_{i}", node["id"], 0, port)
    return build_model(graph, name="block", folder=job.get("folder"))


def _concrete_function(model, inputs):
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    specs = [tf.TensorSpec([1] + list(shape), tf.as_dtype(dtype)) for shape, dtype in inputs]
    if len(specs) == 1:
        fn = tf.function(lambda x: model(x, training=False), input_signature=specs)
    else:
        fn = tf.function(lambda *xs: model(list(xs), training=False), input_signature=specs)
    # frozen: the weights become constants (else TFLite keeps resource variables it cannot quantise)
    return convert_variables_to_constants_v2(fn.get_concrete_function())


def _representative(inputs, count: int = 8):
    import numpy as np

    rng = np.random.default_rng(0)

    def data():
        for _ in range(count):
            yield random_inputs([(tuple(shape), dtype) for shape, dtype in inputs], 1, unknown_dim=4, normal=True,
                                rng=rng)
    return data


def convert_to_tflite(cf, ops, representative=None) -> bytes:
    """Convert a concrete function with the given operator sets (and int8 calibration data, if any)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions([cf])
    converter.target_spec.supported_ops = ops
    if representative is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
    return converter.convert()


def _float_ops(content: bytes) -> tuple[list[str], list[str]]:
    """(all operator names, those that read or write float tensors, QUANTIZE/DEQUANTIZE aside)."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(model_content=content,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter.allocate_tensors()
    dtypes = {t["index"]: np.dtype(t["dtype"]) for t in interpreter.get_tensor_details()}
    ops, floating = [], []
    for op in interpreter._get_ops_details():
        ops.append(op["op_name"])
        if op["op_name"] in ("QUANTIZE", "DEQUANTIZE"):
            continue
        tensors = [i for i in list(op["inputs"]) + list(op["outputs"]) if i >= 0 and i in dtypes]
        if any(dtypes[i].kind == "f" for i in tensors):
            floating.append(op["op_name"])
    return ops, floating


def check_job(job: dict[str, Any], emit) -> dict[str, Any]:
    """One block's answer ({"status", "quantized", "message"}); `emit` gets the float result of an int8 job
    before its int8 conversion, so that a crash there still reports it."""
    import tensorflow as tf

    int8 = job["target"] == "tflite-int8"
    try:
        model = _tiny_model(job)
        cf = _concrete_function(model, job["inputs"])
    except Exception as exc:
        return {"status": "unsupported", "quantized": False if int8 else None,
                "message": f"cannot be traced for conversion: {_first_error(exc)}"}
    builtins = [tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        convert_to_tflite(cf, builtins)
        status, message = "builtin", ""
    except Exception as exc:
        first = _first_error(exc)
        try:
            convert_to_tflite(cf, builtins + [tf.lite.OpsSet.SELECT_TF_OPS])
            status, message = "select_tf_ops", f"needs the select-TF-ops runtime ({first})"
        except Exception as exc2:
            return {"status": "unsupported", "quantized": False if int8 else None, "message": _first_error(exc2)}
    if not int8:
        return {"status": status, "quantized": None, "message": message}
    emit({"float": status, "message": message})
    try:
        content = convert_to_tflite(cf, [tf.lite.OpsSet.TFLITE_BUILTINS_INT8], _representative(job["inputs"]))
    except Exception as exc:
        return {"status": status, "quantized": False,
                "message": (message + "; " if message else "") + f"int8: does not quantise ({_first_error(exc)})"}
    try:
        ops, floating = _float_ops(content)
    except Exception as exc:  # converted, but the interpreter cannot open it: trust the converter
        return {"status": status, "quantized": True,
                "message": (message + "; " if message else "") + f"int8 (not inspected: {_first_error(exc)})"}
    if floating:
        return {"status": status, "quantized": False,
                "message": (message + "; " if message else "") + f"int8: runs in float: {', '.join(sorted(set(floating)))}"}
    arithmetic = [o for o in ops if o not in ("QUANTIZE", "DEQUANTIZE")]
    note = "int8: " + (", ".join(sorted(set(arithmetic))) if arithmetic else "no operators (passes its input through)")
    return {"status": status, "quantized": True, "message": (message + "; " if message else "") + note}


def main() -> int:
    """Read batches of jobs, one JSON list per line, until the end of the input; answer each job as it is
    checked, then say "done" for the batch (the checker may keep this process for its next batch)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    source = sys.stdin
    # The answers get a private copy of stdout; file descriptor 1 itself then points at stderr, so that the
    # converter's chatter (Python's or native code's) never mixes with them.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def emit(msg: dict[str, Any]) -> None:
        out.write(json.dumps(msg) + "\n")
        out.flush()

    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.getLogger("absl").setLevel(logging.ERROR)
    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)
    while line := source.readline():
        if not line.strip():
            continue
        for job in json.loads(line):
            emit({"start": job["key"]})
            try:
                answer = check_job(job, emit)
            except Exception as exc:
                answer = {"status": "unsupported", "quantized": False if job["target"] == "tflite-int8" else None,
                          "message": f"check failed: {_first_error(exc)}"}
            emit({"key": job["key"], "answer": answer})
        emit({"done": True})
    return 0


if __name__ == "__main__":
    sys.exit(main())
