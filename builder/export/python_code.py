"""Project -> a readable, standalone Keras script (`export --format python`).

The script needs only `keras` and `numpy` (plus scikit-learn for the built-in digits data). Its
`build_model()` builds exactly what `builder.model.build_model` builds: the same layers with
the same arguments, names, wiring, frozen flags and input/output order; `main()` compiles and
trains it with the project's training settings. Every value is written as a Python literal
(never pasted text), so any parameter, id or project name gives a valid program.
"""
from __future__ import annotations

import inspect
import keyword
import math
import os
import re
import textwrap
from pathlib import Path
from typing import Any

from builder import blocks
from builder.errors import ExportError, GraphError
from builder.graph import Graph, Node, topological_order
from builder.model import model_outputs, node_files
from builder.project import Project
from builder.training import validate_settings
from builder.files import atomic_write_text, check_replaceable

# Names the generated build_model() uses itself; a node id never shadows them.
_RESERVED = {"keras", "layers", "np", "build_model", "main", "load_data", "split_data"}
_INDENT = "    "


# ---- Python literals --------------------------------------------------------------------------
def _string(text: str) -> str:
    """A string literal, double-quoted where that needs no escapes (repr otherwise)."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text:
        return '"' + literal[1:-1] + '"'
    return literal


def literal(value: Any, top: bool = False) -> str:
    """Python source for a JSON-style value; `top` turns a list into the tuple Keras receives."""
    if isinstance(value, str):
        return _string(value)
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else '-float("inf")'
        return repr(value)
    if isinstance(value, (list, tuple)):
        items = [literal(v) for v in value]
        if top or isinstance(value, tuple):
            return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"
        return "[" + ", ".join(items) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    raise GraphError(f"Cannot write the value {value!r} ({type(value).__name__}) into a Python script.")


def _comment(text: str) -> str:
    """Text that is safe inside a `#` comment (one line, printable characters only)."""
    if text.isprintable():  # the usual case, checked in C
        return text.strip()
    parts = text.splitlines()  # line breaks are not printable: a line at a time is checked in C
    return " ".join(part if part.isprintable() else "".join(ch if ch.isprintable() else " " for ch in part)
                    for part in parts).strip()


def _wrapped(text: str, width: int) -> list[str]:
    """Words in lines of at most `width` characters, a longer word cut in pieces; one pass over the text
    (textwrap cuts a long word by copying its rest again and again: a 50 MB word took minutes)."""
    lines: list[str] = []
    current: list[str] = []
    length = 0
    for word in text.split():
        for start in range(0, len(word), width):
            piece = word[start:start + width]
            if current and length + 1 + len(piece) > width:
                lines.append(" ".join(current))
                current, length = [], 0
            length += len(piece) + (1 if current else 0)
            current.append(piece)
    if current:
        lines.append(" ".join(current))
    return lines


# ---- names ---------------------------------------------------------------------------------------
class _Names:
    """Hands out unique, valid Python identifiers."""

    def __init__(self, reserved: set[str]) -> None:
        self.used = set(reserved)

    @staticmethod
    def clean(text: str) -> str:
        name = re.sub(r"[^0-9A-Za-z_]", "_", text)
        if not name or name[0].isdigit():
            name = "n_" + name
        if keyword.iskeyword(name) or keyword.issoftkeyword(name):
            name += "_"
        return name

    def take(self, text: str) -> str:
        base = self.clean(text)
        name, i = base, 1
        while name in self.used:
            i += 1
            name = f"{base}_{i}"
        self.used.add(name)
        return name


# ---- layer constructors ----------------------------------------------------------------------
class _Classes:
    """How the script refers to each block's class: `layers.X`, or a name imported from its module."""

    def __init__(self) -> None:
        self.imports: dict[str, tuple[str, str]] = {}  # local name -> (module, class name)

    def ref(self, block_type: str) -> str:
        path = blocks.class_path(block_type)
        if path is None:
            return f"layers.{block_type}"
        module, _, name = path.partition(":")
        local, i = name, 1
        while local in self.imports and self.imports[local] != (module, name):
            i += 1
            local = f"{name}_{i}"
        self.imports[local] = (module, name)
        return local


def _signature(block_type: str) -> list[inspect.Parameter]:
    cls = blocks.keras_class(block_type)
    target = cls if block_type == "Input" or not isinstance(cls, type) else cls.__init__  # a backbone: a function
    return [p for p in inspect.signature(target).parameters.values() if p.name != "self"]


def _layerboard_defaults(block_type: str) -> dict[str, Any]:
    """The parameters whose default in Layerboard's catalogue is not Keras's own (MobileNetV2's `weights`: none)."""
    by_name = {p.name: p for p in _signature(block_type)}
    return {spec.name: spec.default for spec in blocks.block_spec(block_type).params
            if spec.name in by_name and by_name[spec.name].default is not inspect.Parameter.empty
            and not _is_default(spec.default, by_name[spec.name])
            and spec.default != (list(by_name[spec.name].default) if isinstance(by_name[spec.name].default, tuple)
                                 else by_name[spec.name].default)}


def _is_default(value: Any, param: inspect.Parameter | None) -> bool:
    """The stored value is what Keras would use anyway (compared strictly, so 1 != 1.0 != True)."""
    if param is None or param.default is inspect.Parameter.empty:
        return False
    value = tuple(value) if isinstance(value, list) else value
    return type(value) is type(param.default) and repr(value) == repr(param.default)


def _constructor(block_type: str, params: dict[str, Any], classes: _Classes, extra: list[str] = ()) -> str:
    """`layers.Conv2D(32, kernel_size=(3, 3), ...)`: only arguments that differ from Keras's defaults.

    Mirrors builder.model's keras_kwargs: top-level lists become tuples, a wrapper's inner layer (or a list of
    them) is written inline as its own constructor.
    """
    signature = _signature(block_type)
    by_name = {p.name: p for p in signature}
    nested = set(blocks.nested_layer_params(block_type))
    args: list[str] = []
    for key, value in params.items():
        if key in nested and isinstance(value, dict):
            blocks.check_param(block_type, key, value)
            code = _constructor(value["class_name"], dict(value.get("config", {})), classes)
        elif key in nested and isinstance(value, list) and value:  # a Pipeline's layers, StackedRNNCells' cells
            blocks.check_param(block_type, key, value)
            code = "[" + ", ".join(_constructor(v["class_name"], dict(v.get("config", {})), classes) for v in value) + "]"
        elif _is_default(value, by_name.get(key)):
            continue
        elif key == "quantization_config" and isinstance(value, dict) and blocks.quantization_config_class(value):
            # Keras's own reading of the config (Dense.from_config does the same)
            name = blocks.quantization_config_class(value).__name__
            code = f"keras.quantizers.{name}.from_config({literal(value.get('config') or {})})"
        else:
            code = literal(value, top=True)
        first = signature[0] if signature else None
        positional = (first is not None and first.name == key and first.default is inspect.Parameter.empty
                      and first.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD)
        if not key.isidentifier() or keyword.iskeyword(key):
            raise GraphError(f"{block_type} has a parameter named {key!r}, which is not a valid argument name.")
        if positional:
            args.insert(0, code)
        else:
            args.append(f"{key}={code}")
    return f"{classes.ref(block_type)}({', '.join([*args, *extra])})"


# ---- the script --------------------------------------------------------------------------------
def _port_counts(graph: Graph, folder: Path) -> dict[str, int]:
    from builder.model import infer_shapes

    report = infer_shapes(graph, folder)
    if not report.valid:
        raise GraphError(report.summary(), report.node_errors())
    return {n: max(1, len(r.output_shapes)) for n, r in report.nodes.items()}


def _call(node: Node, graph: Graph, tensors: dict[tuple[str, int], str]) -> str:
    """The call's arguments, as keras_build.apply_layer passes them."""
    edges = graph.incoming(node.id)
    inputs = [tensors[(e.source, e.source_port)] for e in edges]
    style = blocks.call_style(node.type)
    if style == "kwargs":
        names = blocks.input_ports(node.type) or []
        return ", ".join(f"{names[e.target_port]}={t}" for e, t in zip(edges, inputs))
    if style == "list":
        return "[" + ", ".join(inputs) + "]"
    return ", ".join(inputs)


def _build_model_lines(project: Project, classes: _Classes) -> list[str]:
    from builder.blocks import composites

    graph = project.graph
    folder = project.folder()  # where file parameters (a vocabulary file) are read
    counts = _port_counts(graph, folder)  # checks the graph as drawn, so errors name the user's nodes
    if composites.has_composites(graph):  # composite blocks are written out layer by layer, as build_model does
        graph = composites.expand_all(graph)
        counts = _port_counts(graph, folder)
    order, _ = topological_order(graph)
    names = _Names(_RESERVED)
    var: dict[str, str] = {}
    # Ids that already are good names keep them; the others get a cleaned-up, unique variant.
    for node_id in sorted(graph.nodes, key=lambda n: _Names.clean(n) != n):
        var[node_id] = names.take(node_id)
    tensors: dict[tuple[str, int], str] = {}
    layer_vars: dict[str, str] = {}  # layer variables by the node that owns the layer (frozen or shared ones)
    lines: list[str] = []
    for node_id in order:
        node = graph.nodes[node_id]
        name = var[node_id]
        if node.type == "Input":
            args = [f"shape={literal(node.params.get('shape'), top=True)}"]
            if node.params.get("dtype") is not None:
                args.append(f"dtype={literal(node.params['dtype'])}")
            lines.append(f"{name} = keras.Input({', '.join(args)}, name={literal(node_id)})")
            tensors[(node_id, 0)] = name
            continue
        count = counts.get(node_id, 1)
        port_names = blocks.output_ports(node.type, count)
        targets = [name] + [names.take(f"{name}_{port_names[p]}") for p in range(1, count)]
        for p, target in enumerate(targets):
            tensors[(node_id, p)] = target
        # Where Layerboard's default differs from Keras's (a backbone's `weights` left empty means none, not a
        # download), the script says so; a file parameter becomes the checked absolute path.
        owner = graph.nodes[node.shares] if node.shares else node  # nodes that share a layer call one variable
        params = {**_layerboard_defaults(owner.type), **owner.params, **node_files(owner, folder)}
        constructor = _constructor(owner.type, params, classes, [f"name={literal(owner.id)}"])
        call = _call(node, graph, tensors)
        shared = owner is not node or len(graph.sharing_group(node_id)) > 1
        if node.trainable and not shared:
            lines.append(f"{', '.join(targets)} = {constructor}({call})")
            continue
        if owner.id not in layer_vars:
            layer = layer_vars[owner.id] = names.take(f"{var[owner.id]}_layer")
            lines.append(f"{layer} = {constructor}" + ("  # one layer, called by " + ", ".join(
                graph.sharing_group(owner.id)) if shared else ""))
            if not owner.trainable:
                lines.append(f"{layer}.trainable = False  # frozen: its weights are not trained")
        lines.append(f"{', '.join(targets)} = {layer_vars[owner.id]}({call})")
    inputs = [var[n] for n in graph.input_nodes()]
    outputs = [tensors[(n, p)] for n, p, _ in model_outputs(graph, counts)]

    def one_or_list(items: list[str]) -> str:
        return items[0] if len(items) == 1 else "[" + ", ".join(items) + "]"

    lines.append(f"return keras.Model(inputs={one_or_list(inputs)}, outputs={one_or_list(outputs)}, "
                 f"name={literal(project.name)})")
    return lines


def _optimizer(config) -> list[str]:
    """The optimizer line: the Keras class with the project's arguments (weight decay and clipping included)."""
    import keras

    spec = config.optimizer
    name, params = (spec["class_name"], dict(spec.get("config") or {})) if isinstance(spec, dict) else (spec, {})
    params.pop("learning_rate", None)
    params.update({k: getattr(config, k) for k in ("weight_decay", "clipnorm", "clipvalue")
                   if getattr(config, k) is not None})
    try:
        cls = type(keras.optimizers.get(name))
    except Exception:
        cls = None
    arguments = "".join(f", {k}={literal(v)}" for k, v in params.items())
    if cls is not None and getattr(keras.optimizers, cls.__name__, None) is cls:
        return [f"optimizer = keras.optimizers.{cls.__name__}(learning_rate=LEARNING_RATE{arguments})"]
    return [f"optimizer = keras.optimizers.get({literal(name)})",
            "optimizer.learning_rate = LEARNING_RATE"]


def _loss(loss):
    """Keras has no "reconstruction" loss: it is mean squared error against the input."""
    return "mean_squared_error" if loss == "reconstruction" else loss


def _digits_shape(project: Project) -> tuple[int, ...] | None:
    """The shape digits samples get: the Input's shape when it holds 64 values, else Layerboard's (8, 8, 1)."""
    inputs = project.graph.input_nodes()
    if len(inputs) != 1:
        return None
    shape = project.graph.nodes[inputs[0]].params.get("shape")
    if isinstance(shape, list) and shape and all(isinstance(d, int) for d in shape) and math.prod(shape) == 64:
        return tuple(shape)
    return (8, 8, 1)


def _data_lines(project: Project) -> list[str]:
    shape = _digits_shape(project) if project.dataset.name == "digits" else None
    if shape is not None:
        return [
            "def load_data():",
            '    """scikit-learn\'s 8x8 digits, prepared as Layerboard prepares them: float32 pixels 0..16, int labels."""',
            "    from sklearn.datasets import load_digits",
            "",
            "    digits = load_digits()",
            f"    x = digits.images.astype(\"float32\").reshape({literal((-1, *shape))})",
            "    y = digits.target.astype(\"int64\")",
            "    return x, y",
            "",
            "",
            "def split_data(x, y):",
            '    """Layerboard\'s split: stratified, seeded, VALIDATION_SPLIT of the samples held out."""',
            "    from sklearn.model_selection import train_test_split",
            "",
            "    x_train, x_val, y_train, y_val = train_test_split(",
            "        x, y, test_size=VALIDATION_SPLIT, random_state=DATA_SEED, stratify=y)",
            "    return (x_train, y_train), (x_val, y_val)",
        ]
    inputs = project.graph.input_nodes()
    shapes = ", ".join(f"{n!s} {literal(project.graph.nodes[n].params.get('shape'), top=True)}" for n in inputs)
    why = (f"Layerboard's dataset {project.dataset.name!r} is not built in"
           if project.dataset.name != "digits" else "the digits data does not fit this model's inputs")
    message = (f"load_data() is a placeholder ({why}): edit it to return (x, y) as NumPy arrays - "
               f"x with one row per sample ({'a list in input order: ' if len(inputs) > 1 else ''}"
               f"{_comment(shapes)}), y the matching targets for the loss {project.training.loss!r}.")
    return [
        "def load_data():",
        '    """Return (x, y): the samples and their targets. Replace this with your own loading code."""',
        "    raise NotImplementedError(",
        *[f"        {literal(chunk)}" for chunk in textwrap.wrap(message, 88, drop_whitespace=False)],
        "    )",
        "",
        "",
        "def split_data(x, y):",
        '    """Shuffle with DATA_SEED and hold out VALIDATION_SPLIT of the samples for validation."""',
        "    count = len(x[0]) if isinstance(x, (list, tuple)) else len(x)",
        "    order = np.random.default_rng(DATA_SEED).permutation(count)",
        "    cut = count - int(round(count * VALIDATION_SPLIT))",
        "",
        "    def take(a, rows):",
        "        return [v[rows] for v in a] if isinstance(a, (list, tuple)) else a[rows]",
        "",
        "    return (take(x, order[:cut]), take(y, order[:cut])), (take(x, order[cut:]), take(y, order[cut:]))",
    ]


def _file_name(project: Project) -> str:
    stem = re.sub(r"[^0-9A-Za-z_.-]", "_", project.name).strip("._") or "model"
    return f"{stem}.keras"


def python_source(project: Project) -> str:
    """The project as a standalone Keras program (see the module docstring)."""
    validate_settings(project, data=False)  # a setting train would refuse or misread is never written into a script
    classes = _Classes()
    body = _build_model_lines(project, classes)  # first: it fills in the imports
    training = project.training
    data = _data_lines(project)
    header = [
        f"# {_comment(project.name) or 'model'}: a Keras model generated by Layerboard.",
    ]
    header += [f"# {line}" for line in _wrapped(_comment(project.description), 96)]
    header += [
        "#",
        f"# Run this file to build, train and save the model ({_comment(_file_name(project))}).",
        "# Import this file and call build_model() to get the untrained model without training.",
        "# Needs keras 3 (any backend) and numpy"
        + (", and scikit-learn for the digits data." if "sklearn" in "\n".join(data) else "."),
    ]
    imports = ["import keras", "import numpy as np", "from keras import layers"]
    for local, (module, name) in sorted(classes.imports.items()):
        imports.append(f"from {module} import {name}" + (f" as {local}" if local != name else ""))
    settings = [
        f"EPOCHS = {literal(training.epochs)}",
        f"BATCH_SIZE = {literal(training.batch_size)}",
        f"LEARNING_RATE = {literal(float(training.learning_rate))}",
        f"SEED = {literal(training.seed)}",
        f"VALIDATION_SPLIT = {literal(float(project.dataset.validation_split))}",
        f"DATA_SEED = {literal(project.dataset.seed)}",
        f"MODEL_FILE = {literal(_file_name(project))}",
    ]
    build = ["def build_model():",
             f'{_INDENT}"""The untrained model, as Layerboard builds it (functional API, one line per layer)."""',
             *[_INDENT + line for line in body]]
    main = [
        "def main():",
        f'{_INDENT}"""Build, compile and train the model with the project\'s settings, then save it."""',
        f"{_INDENT}keras.utils.set_random_seed(SEED)",
        f"{_INDENT}model = build_model()",
        *[_INDENT + line for line in _optimizer(training)],
        f"{_INDENT}model.compile(optimizer=optimizer, loss={literal(_loss(training.loss))}, "
        f"metrics={literal(training.metrics if isinstance(training.metrics, dict) else list(training.metrics))})",
        f"{_INDENT}model.summary()",
        f"{_INDENT}(x_train, y_train), (x_val, y_val) = split_data(*load_data())",
        f"{_INDENT}history = model.fit(",
        f"{_INDENT}{_INDENT}x_train, y_train, validation_data=(x_val, y_val),",
        f"{_INDENT}{_INDENT}epochs=EPOCHS, batch_size=BATCH_SIZE, shuffle=True)",
        f"{_INDENT}model.save(MODEL_FILE)",
        f'{_INDENT}print(f"Saved the trained model to {{MODEL_FILE}}")',
        f"{_INDENT}return history",
    ]
    sections = [header + [""] + imports, settings, build, data, main,
                ['if __name__ == "__main__":', f"{_INDENT}main()"]]
    text = "\n".join("\n".join(section) for section in [sections[0], [""], sections[1]]) + "\n"
    for section in sections[2:]:
        text += "\n\n" + "\n".join(section) + "\n"
    compile(text, f"<{project.name}.py>", "exec")  # a bug here must never reach the user's disk
    return text


def write_python(project: Project, path: str | Path, overwrite: bool = False) -> Path:
    """Write `python_source(project)` to `path` atomically; returns the path. An existing file is replaced only
    with `overwrite` (the CLI's --force), and never anything that is not a regular file."""
    path = Path(path)
    check_replaceable(path)
    if os.path.lexists(path) and not overwrite:
        raise ExportError(f"{path} already exists; choose another name, or pass --force to replace it.")
    atomic_write_text(path, python_source(project))
    return path
