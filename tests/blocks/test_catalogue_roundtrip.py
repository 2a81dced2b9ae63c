"""Every Keras layer of the catalogue survives import: built by Keras with its defaults and with every argument
changed (tests/blocks/catalogue_cases.py), saved as .keras, imported by Layerboard's importer, written as a project,
loaded and rebuilt with the imported weights, it has the same config, parameter count and outputs, and its project
file saves again to the same text."""
from __future__ import annotations

import copy
import inspect
import json

import numpy as np
import pytest

from catalogue_cases import CASES, KERAS_CANNOT, REFUSED, UNCHANGED, Case

keras = pytest.importorskip("keras")

from builder import blocks  # noqa: E402
from builder.importer import import_model  # noqa: E402
from builder.model import apply_project_weights, build_model  # noqa: E402
from builder.project import load_project, save_project  # noqa: E402

pytestmark = pytest.mark.catalogue

NESTED = ("layer", "backward_layer", "cell", "cells", "layers")
WORDS = np.array(["a", "b", "c", "d", "e", "a b", "c d a"])


def keras_layer_classes() -> dict[str, type]:
    """Keras class name -> class, for every public layer of keras.layers (aliases folded)."""
    found = {}
    for name in dir(keras.layers):
        cls = getattr(keras.layers, name)
        if isinstance(cls, type) and issubclass(cls, keras.layers.Layer):
            found[cls.__name__] = cls
    return found


def layer_class(name: str) -> type:
    classes = keras_layer_classes()
    return classes[name] if name in classes else blocks.keras_class(name)


def catalogue_layers() -> list[str]:
    """Block types that are one Keras layer (not Input, not a keras.applications backbone or its parts)."""
    return [t for t in blocks.block_types()
            if blocks.is_catalogue_block(t) and t != "Input" and blocks.block_spec(t).category != "Applications"]


def layer_from_data(name: str, config: dict, layer_name: str | None = None):
    """A Keras layer from plain JSON data as a project file holds it (inner layers as {"class_name", "config"})."""
    kwargs = {}
    for key, value in copy.deepcopy(config).items():
        if key in NESTED and isinstance(value, dict):
            value = layer_from_data(value["class_name"], value["config"])
        elif key in NESTED and isinstance(value, list):
            value = [layer_from_data(v["class_name"], v["config"]) for v in value]
        elif key == "quantization_config" and isinstance(value, dict):
            value = keras.saving.deserialize_keras_object(value)
        kwargs[key] = value
    if layer_name:
        kwargs["name"] = layer_name
    return layer_class(name)(**kwargs)


def make_layer(name: str, case: Case, config: dict, layer_name: str = "layer"):
    """The Keras layer the case describes (a cell inside RNN)."""
    if case.inside:
        return keras.layers.RNN(cell=layer_from_data(name, config), name=layer_name)
    return layer_from_data(name, config, layer_name)


def source_model(name: str, case: Case, config: dict, shapes: tuple, dtype: str = "float32"):
    batch = case.batch_size if config.get("stateful") else None
    inputs = [keras.Input(shape, batch_size=batch, dtype=dtype, name=f"in_{i}") for i, shape in enumerate(shapes)]
    layer = make_layer(name, case, config)
    if case.call == "list":
        outputs = layer(inputs)
    elif case.call == "kwargs":
        outputs = layer(**dict(zip(case.keys, inputs)))
    else:
        outputs = layer(inputs[0])
    return keras.Model(inputs if len(inputs) > 1 else inputs[0], outputs, name="source")


def randomize(model, seed=0):
    """Perturb every float weight, so that agreement comes from the imported weights, not from initialisation."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        if "float" not in str(variable.dtype):
            continue  # seed generators' states, lookup tables
        w = np.asarray(variable)
        value = w * (1 + 0.2 * rng.standard_normal(w.shape)) + 0.02 * rng.standard_normal(w.shape)
        if "variance" in variable.path or "moving_stddev" in variable.path:
            value = np.abs(value) + 0.5
        variable.assign(value.astype(variable.dtype))
    return model


def random_inputs(case: Case, shapes: tuple, dtype: str = "float32", batch: int = 2, seed: int = 1) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        full = (case.batch_size or batch,) + tuple(shape)
        if dtype == "string":
            out.append(rng.choice(WORDS, size=full).astype(object))
        elif dtype.startswith("int"):
            out.append(rng.integers(int(case.low), int(case.high), size=full).astype(dtype))
        else:
            out.append(rng.uniform(case.low, case.high, size=full).astype("float32"))
    return out


def dense_outputs(model, x) -> list[np.ndarray]:
    import tensorflow as tf

    out = []
    for t in keras.tree.flatten(model(x[0] if len(x) == 1 else x, training=False)):
        if isinstance(t, tf.SparseTensor):
            t = tf.sparse.to_dense(t)
        elif isinstance(t, tf.RaggedTensor):
            t = t.to_tensor()
        out.append(np.asarray(t))
    return out


def plain_config(layer) -> dict:
    """The layer's whole config as JSON data, without any (inner) layer's name: Keras's own words, so that nothing the
    importer leaves out or adds hides behind a lenient comparison."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "name"}
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        return value

    return json.loads(json.dumps(strip(layer.get_config()), sort_keys=True, default=repr))


def params_of(cls: type) -> list[str]:
    skip = {"self", "name", "kwargs", "trainable", "autocast"}
    return [p.name for p in inspect.signature(cls.__init__).parameters.values()
            if p.name not in skip and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]


def test_every_keras_layer_class_has_a_case():
    missing = sorted(set(keras_layer_classes()) - REFUSED - set(CASES))
    assert not missing, f"no case for {missing}"


def test_every_catalogue_layer_has_a_case_and_every_case_names_a_block_type():
    types = catalogue_layers()
    cases = {blocks.canonical_type(name) for name in CASES}  # the class GroupedQueryAttention: GroupQueryAttention
    without, unknown = sorted(set(types) - cases), sorted(cases - set(types))
    assert not without, f"catalogue blocks without a case: {without}"
    assert not unknown, f"cases that name no block type: {unknown}"


def test_the_changed_configurations_change_every_argument():
    """`changed` and `also` differ from Keras's default in every constructor argument (or UNCHANGED says why)."""
    problems = []
    for name, case in CASES.items():
        cls = layer_class(name)
        defaults = {p.name: p.default for p in inspect.signature(cls.__init__).parameters.values()}
        configs = [config for key, (config, *_) in case.variants().items() if key != "defaults"]
        for arg in params_of(cls):
            if (name, arg) in UNCHANGED:
                continue
            if not any(arg in c and c[arg] != defaults[arg] for c in configs):
                problems.append(f"{name}.{arg}")
    assert not problems, f"not changed by any configuration: {problems}"


VARIANTS = [pytest.param(name, variant, id=f"{name}-{variant}",
                         marks=[pytest.mark.xfail(reason=KERAS_CANNOT[name], strict=True)] if name in KERAS_CANNOT else [])
            for name, case in CASES.items() for variant in case.variants()]


@pytest.mark.parametrize("name, variant", VARIANTS)
def test_import_rebuilds_the_layer_exactly(name, variant, tmp_path):
    case = CASES[name]
    config, shapes, dtype = case.variants()[variant]
    keras.utils.set_random_seed(0)
    model = randomize(source_model(name, case, config, shapes, dtype))
    x = random_inputs(case, shapes, dtype)
    want = dense_outputs(model, x)  # Keras itself runs this configuration

    model.save(tmp_path / "source.keras")
    project_path = tmp_path / "imported.json"
    import_model(tmp_path / "source.keras", project_path, verify=False)
    text = project_path.read_text(encoding="utf-8")
    project = load_project(project_path)
    save_project(project, project_path)
    assert project_path.read_text(encoding="utf-8") == text, "the project file changed on a second save"

    rebuilt = build_model(project.graph, name=project.name, folder=project.folder())
    report = apply_project_weights(rebuilt, project)
    assert report is None or not (report.skipped or report.unused), report.summary()
    source_layer, twin = model.get_layer("layer"), rebuilt.get_layer("layer")
    assert type(twin) is type(source_layer)
    assert plain_config(twin) == plain_config(source_layer)
    assert twin.dtype_policy.name == source_layer.dtype_policy.name
    assert rebuilt.count_params() == model.count_params()
    got = dense_outputs(rebuilt, x)
    assert [w.shape for w in want] == [g.shape for g in got]
    for w, g in zip(want, got):
        if w.dtype.kind in "fc":
            assert w.dtype == g.dtype
            assert float(np.max(np.abs(w.astype("float64") - g.astype("float64")), initial=0.0)) < 1e-5
        else:
            np.testing.assert_array_equal(g, w)
