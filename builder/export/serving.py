"""A SavedModel with one `serving_default` signature named after the graph: inputs after the Input blocks,
outputs (a dict) after the output blocks. SavedModel export and TFLite conversion both start from it."""
from __future__ import annotations

import functools
from builder.model import output_names as model_output_names


def input_specs(model, batch: int | None = None) -> list:
    import tensorflow as tf

    return [tf.TensorSpec((batch,) + tuple(t.shape[1:]), t.dtype, name=t.name.split(":")[0]) for t in model.inputs]


def write_serving_savedmodel(model, directory: str, batch: int | None = None) -> None:
    """Write `model` as a SavedModel whose serving_default takes the named inputs and returns the named outputs."""
    import keras

    specs = input_specs(model, batch)
    names = model_output_names(model)
    call = functools.partial(model.__call__, training=False)
    single = len(specs) == 1

    def serve(*args):
        out = call(args[0] if single else list(args))
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        return dict(zip(names, outs))

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", serve, input_signature=specs)
    archive.write_out(directory, verbose=False)
