"""A JSON metadata document (inputs, outputs, labels, producer) stored inside a .tflite flatbuffer.

The document goes into the model's `metadata` list under the name "layerboard" (a MetadataT entry pointing at a
BufferT holding the UTF-8 JSON). TFLite runtimes ignore metadata entries they do not know, so the file still loads
and runs in the LiteRT interpreter.

Neither writing nor reading imports TensorFlow: both use the `flatbuffers` package and the generated TFLite schema
that `ai_edge_litert` ships (`ai_edge_litert.schema_py_generated`); when that package is missing, TensorFlow's
copy (`tensorflow.lite.python.schema_py_generated`) is used instead.
"""
from __future__ import annotations

import json
from pathlib import Path

from builder.errors import ExportError
from builder.model import output_names as model_output_names

METADATA_NAME = "layerboard"
_FILE_IDENTIFIER = b"TFL3"


def _schema():
    try:
        from ai_edge_litert import schema_py_generated as schema_fb
    except ImportError:
        try:
            from tensorflow.lite.python import schema_py_generated as schema_fb
        except ImportError:
            raise ExportError("Reading TFLite metadata needs ai-edge-litert (or TensorFlow): "
                              "pip install ai-edge-litert.") from None
    return schema_fb


def _as_bytes(content_or_path) -> bytes:
    if isinstance(content_or_path, (bytes, bytearray, memoryview)):
        return bytes(content_or_path)
    path = Path(content_or_path)
    if not path.is_file():
        raise ExportError(f"TFLite file {path} not found.")
    return path.read_bytes()


def _check(content: bytes) -> None:
    if len(content) < 8 or content[4:8] != _FILE_IDENTIFIER:
        raise ExportError("This is not a TFLite flatbuffer (no TFL3 identifier).")


def add_metadata(content: bytes, metadata: dict) -> bytes:
    """Return `content` with `metadata` (JSON-serialisable) stored under "layerboard", replacing an earlier one."""
    import flatbuffers
    import numpy as np

    _check(content)
    schema_fb = _schema()
    data = json.dumps(metadata, ensure_ascii=False, sort_keys=False).encode("utf-8")
    model = schema_fb.ModelT.InitFromObj(schema_fb.Model.GetRootAs(content, 0))
    model.buffers = model.buffers or []
    model.metadata = model.metadata or []
    buffer = schema_fb.BufferT()
    buffer.data = np.frombuffer(data, dtype=np.uint8)
    for entry in model.metadata:
        name = entry.name.decode() if isinstance(entry.name, bytes) else entry.name
        if name == METADATA_NAME:
            model.buffers[entry.buffer] = buffer
            break
    else:
        entry = schema_fb.MetadataT()
        entry.name = METADATA_NAME
        entry.buffer = len(model.buffers)
        model.buffers.append(buffer)
        model.metadata.append(entry)
    builder = flatbuffers.Builder(len(content) + len(data) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=_FILE_IDENTIFIER)
    return bytes(builder.Output())


def read_metadata(content_or_path) -> dict | None:
    """The "layerboard" JSON document of a .tflite file (bytes or path), or None when it has none."""
    content = _as_bytes(content_or_path)
    _check(content)
    schema_fb = _schema()
    model = schema_fb.Model.GetRootAs(content, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if entry.Name() != METADATA_NAME.encode():
            continue
        buffer = model.Buffers(entry.Buffer())
        if buffer.Offset() > 1:  # data stored after the flatbuffer (models over 2 GB)
            raw = content[buffer.Offset():buffer.Offset() + buffer.Size()]
        else:
            raw = buffer.DataAsNumpy().tobytes() if buffer.DataLength() else b""
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ExportError(f"The '{METADATA_NAME}' metadata of this TFLite file is not valid JSON: {exc}") from None
    return None


def _shape(tensor) -> list[int]:
    return [-1 if d is None else int(d) for d in tensor.shape]


def _dtype(tensor) -> str:
    dtype = tensor.dtype
    return dtype if isinstance(dtype, str) else getattr(dtype, "name", str(dtype))


def metadata_for(model, class_names: list[str] | None = None) -> dict:
    """The metadata document for a Keras model: input/output names, shapes (-1 = any size), dtypes, labels."""
    inputs = [{"name": t.name.split(":")[0], "shape": _shape(t), "dtype": _dtype(t)} for t in model.inputs]
    outputs = [{"name": name, "shape": _shape(t), "dtype": _dtype(t)}
               for name, t in zip(model_output_names(model), model.outputs)]
    return {
        "producer": "Layerboard",
        "model_name": model.name,
        "inputs": inputs,
        "outputs": outputs,
        "labels": [str(c) for c in class_names] if class_names else [],
    }
