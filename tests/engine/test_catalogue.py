"""Every catalogue entry, checked against plain Keras: its spec loads, a dropped block builds with its
`initial` values, shape inference and the built model agree with the same Keras layer called by hand
on `keras.Input` tensors, and a project holding it survives a save/load round trip."""
from __future__ import annotations

import functools
import json

import pytest

from builder import blocks
from builder.blocks.catalogue import entry as catalogue_entry
from builder.graph import Graph
from builder.project import Project
from builder.project import project_from_dict, project_to_dict

CATALOGUE = blocks.catalogue_types()  # the catalogue's own entries (not composite blocks)
CELLS = {"SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"}  # used inside an RNN block, not on a tensor
LAYERS = [t for t in CATALOGUE if t != "Input" and t not in CELLS]
KINDS = {"int", "float", "bool", "str", "choice", "tuple", "shape", "layer", "layers", "json", "dtype"}

# ---- the input each block is tried on: one (shape, dtype) per wired port ---------------------------
VECTOR = ((8,), "float32")
SEQUENCE = ((6, 4), "float32")
IMAGE = ((8, 8, 3), "float32")
VOLUME = ((6, 6, 6, 2), "float32")
SPECIAL = {
    "Embedding": ((6,), "int32"),
    "CategoryEncoding": ((3,), "int32"),
    "TextVectorization": ((1,), "string"),
    "StringLookup": ((3,), "string"),
    "IntegerLookup": ((3,), "int64"),
    "ConvLSTM2D": ((3, 6, 6, 2), "float32"),
    "LayerScale": ((32,), "float32"),  # projection_dim 32: the channels of its input
    "MobileNetV2": ((96, 96, 3), "float32"),  # its initial input_shape
    "ConvLSTM1D": ((3, 6, 2), "float32"),
    "ConvLSTM3D": ((2, 4, 4, 4, 2), "float32"),
    "HashedCrossing": ((1,), "int32"),
    "STFTSpectrogram": ((512, 1), "float32"),
    "MelSpectrogram": ((256,), "float32"),
}
SEQUENCE_BLOCKS = {"Conv1D", "SeparableConv1D", "DepthwiseConv1D", "Conv1DTranspose", "MaxPooling1D",
                   "AveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D", "SpatialDropout1D",
                   "UpSampling1D", "ZeroPadding1D", "Cropping1D", "Masking", "Permute", "SimpleRNN", "LSTM",
                   "GRU", "Bidirectional", "TimeDistributed", "MultiHeadAttention", "Attention",
                   "AdditiveAttention", "GroupQueryAttention", "RNN", "AdaptiveAveragePooling1D",
                   "AdaptiveMaxPooling1D", "RMSNormalization"}
VOLUME_BLOCKS = {"Conv3D", "Conv3DTranspose", "MaxPooling3D", "AveragePooling3D", "GlobalMaxPooling3D",
                 "GlobalAveragePooling3D", "SpatialDropout3D", "UpSampling3D", "ZeroPadding3D", "Cropping3D",
                 "AdaptiveAveragePooling3D", "AdaptiveMaxPooling3D"}
IMAGE_BLOCKS = {"Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose", "MaxPooling2D",
                "AveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling2D", "SpatialDropout2D",
                "UpSampling2D", "ZeroPadding2D", "Cropping2D", "Resizing", "CenterCrop", "RandomFlip",
                "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast", "RandomCrop",
                "AdaptiveAveragePooling2D", "AdaptiveMaxPooling2D", "Pipeline", "MaxNumBoundingBoxes"}
AUGMENTATION = {t for t in CATALOGUE if catalogue_entry(t)["category"] == "Augmentation"}
# How plain Keras calls these (written out here, not read from the catalogue).
KWARGS_CALL = {"MultiHeadAttention": ["query", "value"], "GroupQueryAttention": ["query", "value"]}
LIST_CALL = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
             "Attention", "AdditiveAttention", "HashedCrossing"}


def sample_input(block_type: str):
    if block_type in SPECIAL:
        return SPECIAL[block_type]
    if block_type in SEQUENCE_BLOCKS:
        return SEQUENCE
    if block_type in VOLUME_BLOCKS:
        return VOLUME
    if block_type in IMAGE_BLOCKS or block_type in AUGMENTATION:
        return IMAGE
    return VECTOR


def wired_ports(block_type: str) -> int:
    """How many inputs the test wires: merges get two, multi-port blocks their required ports."""
    ports = blocks.input_ports(block_type)
    return 2 if ports is None else blocks.required_inputs(block_type)


@functools.lru_cache(maxsize=1)
def _keras():
    import keras

    return keras


def keras_kwargs_by_hand(params: dict) -> dict:
    """Constructor arguments as a Keras user would write them: tuples, and inner layers as instances."""
    keras = _keras()
    kwargs = {}
    for key, value in params.items():
        if isinstance(value, dict) and "class_name" in value:
            kwargs[key] = getattr(keras.layers, value["class_name"])(**keras_kwargs_by_hand(value.get("config", {})))
        elif isinstance(value, list) and value and all(isinstance(v, dict) and "class_name" in v for v in value):
            kwargs[key] = [getattr(keras.layers, v["class_name"])(**keras_kwargs_by_hand(v.get("config", {})))
                           for v in value]
        elif isinstance(value, list) and key not in ("vocabulary",):
            kwargs[key] = tuple(value)
        else:
            kwargs[key] = value
    return kwargs


def keras_reference(block_type: str, params: dict, n_inputs: int):
    """(output shapes, parameter count) of the Keras layer called by hand on keras.Input tensors."""
    keras = _keras()
    shape, dtype = sample_input(block_type)
    inputs = [keras.Input(shape=shape, dtype=dtype) for _ in range(n_inputs)]
    entry = catalogue_entry(block_type)
    if "class" in entry:  # ConvNeXt's helper layers, which keras.layers does not export
        import importlib

        module, _, name = entry["class"].partition(":")
        cls = getattr(importlib.import_module(module), name)
    else:
        cls = getattr(keras.layers, block_type)
    kwargs = keras_kwargs_by_hand(params)
    if block_type == "MobileNetV2":
        kwargs["weights"] = None  # Keras would download ImageNet's; Layerboard reads them from Keras's cache only
    layer = cls(**kwargs)
    if block_type in KWARGS_CALL:
        out = layer(**dict(zip(KWARGS_CALL[block_type], inputs)))
    elif block_type in LIST_CALL:
        out = layer(inputs)
    else:
        (tensor,) = inputs
        out = layer(tensor)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    model = keras.Model(inputs if n_inputs > 1 else inputs[0], outs if len(outs) > 1 else outs[0])
    return [tuple(t.shape) for t in outs], model.count_params()


def block_graph(block_type: str, params: dict | None = None) -> Graph:
    """Input(s) -> block, the block holding its initial params (or `params`)."""
    shape, dtype = sample_input(block_type)
    g = Graph()
    block = g.add_node(block_type, blocks.initial_params(block_type) if params is None else params, node_id="block")
    for port in range(wired_ports(block_type)):
        inp = g.add_node("Input", {"shape": list(shape), "dtype": dtype}, node_id=f"in_{port}")
        g.connect(inp.id, block.id, target_port=port)
    return g


# ---- (a) the spec ---------------------------------------------------------------------------------
def test_palette_lists_the_catalogue_in_category_order():
    palette = blocks.palette()
    listed = [t for names in palette.values() for t in names]
    cells = {"SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"}  # only inside an RNN block
    assert set(CATALOGUE) - cells <= set(listed) and not cells & set(listed)
    order = ["Core", "Convolution", "Pooling", "Normalization", "Regularization", "Reshaping", "Merging",
             "Recurrent", "Attention", "Activations", "Preprocessing", "Augmentation", "Applications"]
    assert [c for c in palette if c in order] == order
    assert palette["Core"][:7] == ["Input", "Dense", "EinsumDense", "Activation", "Embedding", "Masking", "Identity"]


@pytest.mark.parametrize("block_type", CATALOGUE)
def test_spec_loads_and_initial_values_are_accepted(block_type):
    spec = blocks.block_spec(block_type)
    assert (block_type in blocks.palette()[spec.category]) == (block_type not in CELLS)
    assert all(p.kind in KINDS for p in spec.params), [(p.name, p.kind) for p in spec.params]
    names = {p.name for p in spec.params}
    assert set(spec.primary) <= names, set(spec.primary) - names
    initial = blocks.initial_params(block_type)
    for name, value in initial.items():
        assert blocks.check_param(block_type, name, value) == value
    for p in spec.params:  # every required argument has a first value, so a dropped block builds
        assert not p.required or p.name in initial or block_type == "Input", p.name
        if p.kind == "choice" and p.default is not None:
            assert p.default in p.choices, (p.name, p.default)


# ---- (b) shapes and (c) the built model, against plain Keras --------------------------------------
# Keras itself cannot call these on a model's Input: Equalization hands the Input back ("part of a cycle")
KERAS_CANNOT = {"Equalization"}
TRIED = [pytest.param(t, marks=pytest.mark.xfail(strict=True, reason="Keras refuses it on an Input too"))
         if t in KERAS_CANNOT else t for t in LAYERS]


@pytest.mark.parametrize("block_type", TRIED)
def test_shapes_match_plain_keras(block_type):
    from builder.model import infer_shapes

    report = infer_shapes(block_graph(block_type))
    assert report.valid, report.summary()
    shapes, params = keras_reference(block_type, blocks.initial_params(block_type), wired_ports(block_type))
    assert report.nodes["block"].output_shapes == shapes
    assert report.nodes["block"].params == params


@pytest.mark.parametrize("block_type", TRIED)
def test_built_model_matches_plain_keras(block_type):
    from builder.model import build_model

    model = build_model(block_graph(block_type))
    shapes, params = keras_reference(block_type, blocks.initial_params(block_type), wired_ports(block_type))
    assert model.count_params() == params
    outputs = model.outputs
    assert [tuple(t.shape) for t in outputs] == shapes[:1]  # unwired extra outputs only come with return_state


# ---- (d) save / load ------------------------------------------------------------------------------
@pytest.mark.parametrize("block_type", CATALOGUE)
def test_project_round_trip_keeps_type_and_params(block_type):
    graph = block_graph(block_type) if block_type != "Input" else Graph()
    if block_type == "Input":
        graph.add_node("Input", blocks.initial_params("Input"), node_id="block")
    data = json.loads(json.dumps(project_to_dict(Project(graph=graph, name="one_block"))))
    loaded = project_from_dict(data)
    node = loaded.graph.nodes["block"]
    assert node.type == block_type
    assert node.params == blocks.initial_params(block_type)
    assert project_to_dict(loaded)["graph"] == project_to_dict(Project(graph=graph))["graph"]


# ---- ports, wrappers, errors ----------------------------------------------------------------------
@pytest.mark.parametrize("block_type, ports", [
    ("LSTM", ["output", "state_h", "state_c"]),
    ("GRU", ["output", "state"]),
    ("SimpleRNN", ["output", "state"]),
    ("ConvLSTM2D", ["output", "state_h", "state_c"]),
])
def test_return_state_gives_named_output_ports_with_keras_shapes(block_type, ports):
    from builder.model import build_model
    from builder.model import infer_shapes

    params = {**blocks.initial_params(block_type), "return_state": True, "return_sequences": True}
    graph = block_graph(block_type, params)
    result = infer_shapes(graph).nodes["block"]
    assert result.ok, result.error
    shapes, count = keras_reference(block_type, params, 1)
    assert result.output_shapes == shapes
    assert len(shapes) == len(ports)
    assert blocks.output_ports(block_type, len(result.output_shapes)) == ports
    model = build_model(graph)  # no port wired: every output port is a model output
    assert [tuple(t.shape) for t in model.outputs] == shapes
    assert model.count_params() == count


def test_multi_head_attention_with_query_and_value_only_builds():
    from builder.model import build_model

    graph = block_graph("MultiHeadAttention")
    assert {e.target_port for e in graph.incoming("block")} == {0, 1}  # query, value; key unwired
    model = build_model(graph)
    assert tuple(model.output.shape) == (None, 6, 4)
    assert model.count_params() == keras_reference("MultiHeadAttention", blocks.initial_params("MultiHeadAttention"), 2)[1]


def test_attention_takes_key_when_wired():
    from builder.model import build_model

    g = block_graph("Attention")
    key = g.add_node("Input", {"shape": [6, 4]}, node_id="key")
    g.connect(key.id, "block", target_port=2)
    keras = _keras()
    q, v, k = (keras.Input(shape=(6, 4)) for _ in range(3))
    expected = keras.layers.Attention()([q, v, k])
    assert tuple(build_model(g).output.shape) == tuple(expected.shape)


@pytest.mark.parametrize("block_type, wired, missing", [
    ("MultiHeadAttention", [0], "value"),
    ("MultiHeadAttention", [1], "query"),
    ("Attention", [0], "value"),
    ("Subtract", [1], "a"),
    ("Dot", [0], "b"),
])
def test_missing_required_port_is_a_per_node_error_naming_it(block_type, wired, missing):
    from builder.model import infer_shapes

    g = Graph()
    g.add_node(block_type, blocks.initial_params(block_type), node_id="block")
    for port in wired:
        g.add_node("Input", {"shape": [6, 4]}, node_id=f"in_{port}")
        g.connect(f"in_{port}", "block", target_port=port)
    report = infer_shapes(g)
    error = report.node_errors()["block"]
    assert f"'{missing}'" in error
    assert all(r.ok for n, r in report.nodes.items() if n != "block")


@pytest.mark.parametrize("block_type, params, expected", [
    ("Bidirectional", {"layer": {"class_name": "LSTM", "config": {"units": 5, "return_sequences": True}}}, (None, 6, 10)),
    ("Bidirectional", {"layer": {"class_name": "GRU", "config": {"units": 5}}, "merge_mode": "sum"}, (None, 5)),
    ("Bidirectional", {"layer": {"class_name": "LSTM", "config": {"units": 3}},
                       "backward_layer": {"class_name": "GRU", "config": {"units": 3, "go_backwards": True}}}, (None, 6)),
    ("TimeDistributed", {"layer": {"class_name": "Dense", "config": {"units": 7}}}, (None, 6, 7)),
])
def test_wrappers_build_with_their_inner_layer(block_type, params, expected):
    from builder.model import build_model

    model = build_model(block_graph(block_type, params))
    shapes, count = keras_reference(block_type, params, 1)
    assert tuple(model.output.shape) == expected == shapes[0]
    assert model.count_params() == count


@pytest.mark.parametrize("block_type, params", [
    ("ZeroPadding2D", {"padding": [[1, 2], [0, 3]]}),
    ("Cropping2D", {"cropping": [[1, 0], [2, 1]]}),
    ("ZeroPadding3D", {"padding": [[1, 0], [0, 1], [1, 1]]}),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "padding": "causal"}),
    ("Dot", {"axes": [1, 1], "normalize": True}),
    ("EinsumDense", {"equation": "abc,cd->abd", "output_shape": [None, 5], "bias_axes": "d"}),
    ("TextVectorization", {"max_tokens": 20, "output_mode": "multi_hot", "vocabulary": ["cat", "dog"]}),
    ("StringLookup", {"vocabulary": ["a", "b"], "output_mode": "one_hot"}),
    ("CategoryEncoding", {"num_tokens": 4, "output_mode": "count"}),
])
def test_non_default_values_check_and_match_keras(block_type, params):
    from builder.model import infer_shapes

    for name, value in params.items():
        blocks.check_param(block_type, name, value)
    if block_type == "EinsumDense":
        graph = Graph()
        graph.add_node("Input", {"shape": [6, 4]}, node_id="in_0")
        graph.add_node(block_type, params, node_id="block")
        graph.connect("in_0", "block")
        keras = _keras()
        expected = [tuple(keras.layers.EinsumDense(**keras_kwargs_by_hand(params))(keras.Input((6, 4))).shape)]
    else:
        graph = block_graph(block_type, params)
        expected = keras_reference(block_type, params, wired_ports(block_type))[0]
    result = infer_shapes(graph).nodes["block"]
    assert result.ok, result.error
    assert result.output_shapes == expected


def test_input_dtype_is_a_parameter():
    spec = blocks.block_spec("Input")
    assert [p.name for p in spec.params] == ["shape", "batch_size", "dtype"]  # keras.Input's order
    assert blocks.check_param("Input", "dtype", "string") == "string"


def test_rank_errors_use_the_catalogue_needs_text():
    from builder.model import infer_shapes

    g = Graph()
    g.add_node("Input", {"shape": [8]}, node_id="x")
    g.add_node("Conv1D", blocks.initial_params("Conv1D"), node_id="conv")
    g.connect("x", "conv")
    error = infer_shapes(g).node_errors()["conv"]
    assert "a 2-D input per sample (steps, channels)" in error


def test_convnext_layers_are_all_in_the_catalogue():
    """Everything keras.applications.ConvNeXtTiny is made of is a catalogue block of the same class."""
    keras = _keras()
    model = keras.applications.ConvNeXtTiny(weights=None, input_shape=(32, 32, 3), include_top=True, classes=3)
    types, stack = set(), list(model.layers)
    while stack:  # nested Sequential/Functional parts (the stem, downsampling) are inlined on import
        layer = stack.pop()
        if isinstance(layer, keras.Model):
            stack.extend(layer.layers)
        elif not isinstance(layer, keras.layers.InputLayer):
            types.add(type(layer))
    assert len(types) > 5
    for cls in types:
        name = cls.__name__
        assert blocks.is_known(name), name
        assert blocks.keras_class(name) is cls, name
