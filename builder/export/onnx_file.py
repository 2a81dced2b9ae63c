"""ONNX export through tf2onnx on a frozen tf.function of the model, and an onnxruntime runner.

Keras's own `model.export(format="onnx")` (TF backend) also calls tf2onnx, but it names the graph
outputs `output_0`, `output_1`...; here the tf.function returns a dict keyed by the Keras output
names and takes TensorSpecs named after the Keras inputs, so the ONNX graph's inputs and outputs
carry the model's own names (a user feeds `{"image": x}` to onnxruntime). The graph outputs are
then put back in the model's output order (tf2onnx sorts dict keys).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from builder.errors import ExportError, first_line
from builder.files import atomic_path
from builder.model import output_names as model_output_names

OPSET = 17  # onnxruntime >= 1.14 runs it; tf2onnx 1.17's own default is 15
INSTALL_HINT = "pip install tf2onnx onnxruntime"


def _require(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ExportError(f"ONNX export needs {module.split('.')[0]}, which is not installed: {INSTALL_HINT}.") from None


def _patch_tf2onnx_for_numpy2() -> None:
    """tf2onnx 1.17 still uses numpy 1 names (np.object...); Keras ships the patch it applies itself."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # numpy 2.4 warns on `hasattr(np, "object")`
        try:
            from keras.src.export.tf2onnx_lib import patch_tf2onnx
        except ImportError:  # a future Keras without it: tf2onnx presumably supports numpy 2 by then
            if not hasattr(np, "object"):
                np.object = object
            return
        patch_tf2onnx()


def write_onnx(model, path: Path, input_names: list[str], output_names: list[str], opset: int = OPSET) -> None:
    """Convert `model` to an ONNX file at exactly `path`, its graph inputs/outputs named as given.

    `input_names` follow `model.inputs` order and `output_names` follow `model.outputs` order.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise ExportError(f"Cannot write {path}: the folder {path.parent} does not exist.")
    input_names, output_names = list(input_names), list(output_names)
    if len(input_names) != len(model.inputs) or len(output_names) != len(model.outputs):
        raise ExportError(f"ONNX export got {len(input_names)} input and {len(output_names)} output names; "
                          f"the model has {len(model.inputs)} inputs and {len(model.outputs)} outputs.")
    if len(set(output_names)) != len(output_names) or len(set(input_names)) != len(input_names):
        raise ExportError("ONNX export needs distinct input names and distinct output names.")
    tf = _require("tensorflow")
    _require("onnx")
    tf2onnx = _require("tf2onnx")
    _patch_tf2onnx_for_numpy2()
    import onnx

    signature = [tf.TensorSpec(t.shape, t.dtype, name=name) for t, name in zip(model.inputs, input_names)]

    @tf.function(input_signature=signature, autograph=False)
    def serve(*args):
        outputs = model(list(args) if len(args) > 1 else args[0], training=False)
        if isinstance(outputs, dict):
            outputs = [outputs[k] for k in model_output_names(model)]
        elif not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        return {name: tf.identity(o) for name, o in zip(output_names, outputs)}

    try:
        proto = _convert(tf, tf2onnx, serve.get_concrete_function(), input_names, output_names, opset)
    except ExportError:
        raise
    except Exception as exc:
        raise ExportError(f"ONNX conversion failed: {first_line(exc)}") from None
    _check_graph(proto, input_names, output_names)
    by_name = {o.name: o for o in proto.graph.output}
    ordered = [by_name[name] for name in output_names]
    del proto.graph.output[:]
    proto.graph.output.extend(ordered)
    try:
        with atomic_path(path, ".onnx") as tmp:
            onnx.save_model(proto, str(tmp))
    except (OSError, ValueError) as exc:
        raise ExportError(f"Cannot write {path}: {first_line(exc)}") from None


def _convert(tf, tf2onnx, concrete, input_names: list[str], output_names: list[str], opset: int):
    """Freeze the function (variables *and* captured constant tensors, e.g. Normalization's mean) and convert.

    tf2onnx's `from_function` (and Keras's `model.export(format="onnx")`, which calls it) passes every
    captured tensor on as an extra graph input; here only the signature's placeholders are inputs.
    """
    from tf2onnx import tf_loader

    tf_inputs = [t.name for t in concrete.inputs[:len(input_names)]]  # signature placeholders come first
    tf_outputs = [t.name for t in concrete.outputs]
    rename = dict(zip(tf_inputs, input_names))
    rename.update(zip(tf_outputs, tf.nest.flatten({name: name for name in output_names})))  # tf.nest's dict order
    with tf.device("/cpu:0"):
        graph_def = tf_loader.from_function(concrete, tf_inputs, tf_outputs)  # freezes and runs grappler
    proto, _ = tf2onnx.convert.from_graph_def(graph_def, name="layerboard", input_names=tf_inputs,
                                              output_names=tf_outputs, opset=opset, tensors_to_rename=rename)
    return proto


def _check_graph(proto, input_names: list[str], output_names: list[str]) -> None:
    graph_inputs = [i.name for i in proto.graph.input]
    graph_outputs = sorted(o.name for o in proto.graph.output)
    if graph_inputs != input_names or graph_outputs != sorted(output_names):
        raise ExportError(f"ONNX conversion failed: the graph came out with inputs {graph_inputs} and outputs "
                          f"{graph_outputs}, expected {input_names} and {output_names} (a lookup table such as "
                          f"StringLookup/IntegerLookup/TextVectorization cannot be converted by tf2onnx).")
    # An op tf2onnx cannot map is left in the graph under its TensorFlow name (tf2onnx logs it and goes
    # on): a node whose op is not in the ONNX schema of its domain, which onnxruntime would refuse to load.
    import onnx.defs

    unknown = [n for n in proto.graph.node
               if n.domain not in ("com.microsoft",) and not onnx.defs.has(n.op_type, n.domain or "")]
    if unknown:
        ops = sorted({n.op_type for n in unknown})
        where = unknown[0].name.rsplit("/", 1)[0]
        raise ExportError(f"ONNX conversion failed: TensorFlow op{'s' if len(ops) > 1 else ''} {', '.join(ops)} "
                          f"(in {where}) ha{'ve' if len(ops) > 1 else 's'} no ONNX equivalent in tf2onnx.")


def run_onnx(path: Path, inputs: list[np.ndarray], input_names: list[str]) -> list[np.ndarray]:
    """Run an ONNX file in onnxruntime (CPU); one array per graph output, in the model's output order."""
    ort = _require("onnxruntime")
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"ONNX file {path} not found.")
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ExportError(f"onnxruntime cannot load {path}: {first_line(exc)}") from None
    feeds = {name: np.asarray(x) for name, x in zip(input_names, inputs)}
    expected = {i.name for i in session.get_inputs()}
    if set(feeds) != expected:
        raise ExportError(f"{path} takes inputs {sorted(expected)}; got {sorted(feeds)}.")
    return [np.asarray(o) for o in session.run(None, feeds)]
