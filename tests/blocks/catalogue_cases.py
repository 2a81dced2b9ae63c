"""Per Keras layer class: tiny inputs to call it on, the arguments it needs, and configurations that change every
constructor argument from its default in a way Keras accepts (tests/blocks/test_catalogue_roundtrip.py).

A configuration is plain JSON data, as a project file holds it: an inner layer (Bidirectional's `layer`, RNN's `cell`)
is {"class_name": X, "config": {...}}, a list of layers a list of those, an initializer/regularizer/constraint a name
or {"class_name", "config"}. `changed` plus `also` (further configurations, for arguments Keras refuses to change
together, e.g. Conv2D's strides and dilation_rate) change every argument of the class's __init__ except those in
UNCHANGED, each with its reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEQ = (5, 3)            # (steps, features)
VEC = (3,)
IMG = (4, 4, 4)         # square with 4 channels: valid as channels_last and channels_first
VOL = (4, 4, 4, 2)
COLOR = (6, 6, 3)       # colour layers need 3 channels
COLOR_CF = (3, 6, 6)
CF = "channels_first"

INT8 = {"module": "keras.quantizers", "class_name": "Int8QuantizationConfig", "config": {"weight_quantizer": None}}
NORMAL = {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.1, "seed": 1}}
L1L2 = {"class_name": "L1L2", "config": {"l1": 0.01, "l2": 0.02}}
LORA = (({"units": 2, "lora_rank": 2, "lora_alpha": 4.0}, None),)  # LoRA refuses kernel constraints
MAX_NORM = {"class_name": "MaxNorm", "config": {"max_value": 2.0, "axis": 0}}


@dataclass(frozen=True)
class Case:
    """How to test one layer class: its inputs, the arguments of the defaults case, and the changed configurations."""

    inputs: tuple = (SEQ,)                 # one shape per input, without the batch dimension
    defaults: dict = field(default_factory=dict)   # the required arguments
    changed: dict = field(default_factory=dict)    # every argument differs from its default
    also: tuple = ()                       # further changed configurations: (config, inputs or None[, dtype])
    changed_inputs: tuple | None = None    # input shapes for `changed` when they differ (channels_first)
    call: str = "single"                   # "single" (one tensor), "list" (a list) or "kwargs" (by `keys`)
    keys: tuple = ()
    dtype: str = "float32"                 # the inputs' dtype: float32, int32 or string
    low: float = 0.0                       # random inputs in [low, high) (ints: randint)
    high: float = 1.0
    inside: str | None = None              # an RNN cell is tested inside RNN(cell=...)
    batch_size: int | None = None          # stateful layers need a fixed batch

    def variants(self) -> dict[str, tuple[dict, tuple, str]]:
        """name -> (constructor config, input shapes, input dtype)."""
        found = {"defaults": (self.defaults, self.inputs, self.dtype),
                 "changed": (self.changed, self.changed_inputs or self.inputs, self.dtype)}
        for i, (config, inputs, *dtype) in enumerate(self.also, start=2):
            found[f"changed_{i}"] = (config, inputs or self.inputs, dtype[0] if dtype else self.dtype)
        return found


def _weights(*names: str, defaults_ones: tuple = ()) -> dict[str, Any]:
    """Changed initializer/regularizer/constraint settings for the named weights (kernel, bias, ...)."""
    inits = ["he_normal", NORMAL, "lecun_uniform", {"class_name": "Constant", "config": {"value": 0.5}}]
    regs = ["l2", "l1", L1L2, {"class_name": "L2", "config": {"l2": 0.003}}]
    cons = ["non_neg", "unit_norm", MAX_NORM, {"class_name": "MinMaxNorm", "config": {"min_value": 0.0, "max_value": 1.0}}]
    out: dict[str, Any] = {}
    for i, name in enumerate(names):
        out[f"{name}_initializer"] = inits[i % len(inits)] if name not in defaults_ones else inits[3]
        out[f"{name}_regularizer"] = regs[i % len(regs)]
        out[f"{name}_constraint"] = cons[i % len(cons)]
    if "bias" in names:
        out["bias_initializer"] = "ones"
    return out


def _layer(class_name: str, **config) -> dict:
    return {"class_name": class_name, "config": config}


def _conv(rank: int, transpose: bool = False, separable: bool = False, depthwise: bool = False) -> Case:
    shape = {1: (6, 4), 2: IMG, 3: VOL}[rank]
    pair = {1: 2, 2: [2, 1], 3: [2, 1, 2]}[rank]
    strides = {1: 2, 2: [2, 1], 3: [1, 2, 1]}[rank]
    changed: dict[str, Any] = {"kernel_size": pair, "strides": strides, "padding": "same", "data_format": CF,
                               "activation": "relu", "use_bias": False, "activity_regularizer": "l2"}
    defaults: dict[str, Any] = {"kernel_size": 2}
    if not depthwise:
        defaults["filters"] = 2
        changed["filters"] = 4
    if depthwise:
        changed.update(depth_multiplier=2, **_weights("depthwise", "bias"))
    elif separable:
        changed.update(depth_multiplier=2, **_weights("depthwise", "pointwise", "bias"))
    else:
        changed.update(_weights("kernel", "bias"))
        if not transpose:
            changed["groups"] = 2
    also = ({**defaults, "dilation_rate": {1: 2, 2: [2, 1], 3: [1, 2, 1]}[rank]}, None),
    if transpose:  # oneDNN refuses output_padding with padding="same" in 3D
        also += ({**defaults, "strides": strides, "output_padding": {1: 1, 2: [1, 0], 3: [0, 1, 0]}[rank]}, None),
    if rank == 1 and not (transpose or depthwise or separable):
        also += ({**defaults, "padding": "causal"}, None),
    return Case(inputs=(shape,), defaults=defaults, changed=changed, also=also)


def _pooling(rank: int, default_pool: bool) -> Case:
    shape = {1: (6, 4), 2: IMG, 3: VOL}[rank]
    changed = {"pool_size": {1: 3, 2: [2, 1], 3: [2, 2, 1]}[rank], "strides": {1: 1, 2: [1, 2], 3: 1}[rank],
               "padding": "same", "data_format": CF}
    return Case(inputs=(shape,), defaults={} if default_pool else {"pool_size": 2}, changed=changed)


def _global_pooling(rank: int) -> Case:
    return Case(inputs=({1: (6, 4), 2: IMG, 3: VOL}[rank],), changed={"data_format": CF, "keepdims": True})


def _adaptive(rank: int) -> Case:
    shape = {1: (6, 4), 2: IMG, 3: VOL}[rank]
    return Case(inputs=(shape,), defaults={"output_size": 2},
                changed={"output_size": {1: 3, 2: [3, 2], 3: [3, 2, 2]}[rank], "data_format": CF})  # 1 crashes Keras (SIGFPE)


def _rnn_changed(kind: str, layer: bool = True) -> dict[str, Any]:
    """Every argument of SimpleRNN/LSTM/GRU (or of their cells) changed."""
    changed: dict[str, Any] = {"units": 3, "activation": "relu", "use_bias": True, "dropout": 0.1,
                               "recurrent_dropout": 0.1, "seed": 1,
                               **_weights("kernel", "recurrent", "bias")}
    changed["recurrent_initializer"] = "glorot_normal"
    if kind != "SimpleRNN":
        changed["recurrent_activation"] = "hard_sigmoid"
    if kind == "LSTM":
        changed["unit_forget_bias"] = False
    if kind == "GRU":
        changed["reset_after"] = False
    if layer:
        changed.update(activity_regularizer="l1", return_sequences=True, return_state=True, go_backwards=True,
                       unroll=True)
        if kind != "SimpleRNN":
            changed["use_cudnn"] = False
    return changed


def _rnn(kind: str) -> Case:
    changed = _rnn_changed(kind)
    changed["use_bias"] = False  # the bias settings still round-trip in the config
    return Case(inputs=(SEQ,), defaults={"units": 2}, changed=changed,
                also=(({"units": 2, "use_bias": False}, None), ({"units": 2, "stateful": True}, None)), batch_size=2)


def _cell(kind: str) -> Case:
    changed = _rnn_changed(kind, layer=False)
    return Case(inputs=(SEQ,), defaults={"units": 2}, changed=changed, also=(({"units": 2, "use_bias": False}, None),),
                inside="RNN")


def _conv_lstm(rank: int) -> Case:
    shape = {1: (3, 5, 2), 2: (3, 4, 4, 2), 3: (2, 3, 3, 3, 2)}[rank]
    changed = _rnn_changed("LSTM")
    changed.pop("units")
    changed.pop("unroll")
    changed.pop("use_cudnn")
    changed.update(use_bias=False, filters=3, kernel_size={1: 3, 2: [2, 1], 3: [1, 2, 1]}[rank], strides=2, padding="same",
                   data_format=CF)
    return Case(inputs=(shape,), defaults={"filters": 2, "kernel_size": 2}, changed=changed,
                also=(({"filters": 2, "kernel_size": 2, "dilation_rate": 2}, None),
                      ({"filters": 2, "kernel_size": 2, "stateful": True}, None)), batch_size=2)


def _merge() -> Case:
    return Case(inputs=(VEC, VEC), call="list")


def _image(defaults: dict | None = None, **changed) -> Case:
    """A colour-image layer (augmentation, preprocessing); with data_format channels_first, channels come first."""
    return Case(inputs=(COLOR,), defaults=defaults or {}, changed=changed,
                changed_inputs=(COLOR_CF,) if changed.get("data_format") == CF else None)


CASES: dict[str, Case] = {
    "Activation": Case(defaults={"activation": "relu"}, changed={"activation": "gelu"}),
    "ActivityRegularization": Case(changed={"l1": 0.01, "l2": 0.02}),
    "AdaptiveAveragePooling1D": _adaptive(1),
    "AdaptiveAveragePooling2D": _adaptive(2),
    "AdaptiveAveragePooling3D": _adaptive(3),
    "AdaptiveMaxPooling1D": _adaptive(1),
    "AdaptiveMaxPooling2D": _adaptive(2),
    "AdaptiveMaxPooling3D": _adaptive(3),
    "Add": _merge(),
    "AdditiveAttention": Case(inputs=((3, 4), (5, 4)), call="list", changed={"use_scale": False, "dropout": 0.1}),
    "AlphaDropout": Case(defaults={"rate": 0.2}, changed={"rate": 0.5, "noise_shape": [None, 1, 3], "seed": 1}),
    "Attention": Case(inputs=((3, 4), (5, 4)), call="list",
                      changed={"use_scale": True, "score_mode": "concat", "dropout": 0.1, "seed": 1}),
    "AugMix": _image(value_range=[0, 1], num_chains=2, chain_depth=2, factor=0.5, alpha=0.5, all_ops=False,
                     interpolation="nearest", seed=1, data_format=CF),
    "AutoContrast": _image(value_range=[0, 1]),
    "Average": _merge(),
    "AveragePooling1D": _pooling(1, False),
    "AveragePooling2D": _pooling(2, False),
    "AveragePooling3D": _pooling(3, False),
    "BatchNormalization": Case(changed={
        "axis": 1, "momentum": 0.9, "epsilon": 0.01, "center": False, "scale": False,
        **_weights("beta", "gamma", defaults_ones=("gamma",)),
        "moving_mean_initializer": "ones", "moving_variance_initializer": {"class_name": "Constant", "config": {"value": 2.0}},
        "renorm": True, "renorm_clipping": {"rmax": 3.0, "rmin": 0.3, "dmax": 5.0}, "renorm_momentum": 0.9,
        "synchronized": True}),
    "Bidirectional": Case(defaults={"layer": _layer("LSTM", units=2)}, changed={
        "layer": _layer("GRU", units=2, return_sequences=True, reset_after=False), "merge_mode": "mul",
        "backward_layer": _layer("GRU", units=2, return_sequences=True, go_backwards=True, reset_after=False)}),
    "CategoryEncoding": Case(inputs=(VEC,), dtype="int32", high=4, defaults={"num_tokens": 4},
                             changed={"num_tokens": 5, "output_mode": "count", "sparse": True}),
    "CenterCrop": Case(inputs=(IMG,), defaults={"height": 2, "width": 2},
                       changed={"height": 3, "width": 1, "data_format": CF}),
    "Concatenate": Case(inputs=((3, 2), (3, 2)), call="list", changed={"axis": 1}),
    "ContrastLimitedAdaptiveHistogramEqualization": Case(
        inputs=((8, 8, 3),), changed_inputs=((3, 8, 8),),
        changed={"value_range": [0, 1], "clip_limit": 2.0, "tile_grid_size": [2, 2], "data_format": CF}),
    "Conv1D": _conv(1),
    "Conv2D": _conv(2),
    "Conv3D": _conv(3),
    "Conv1DTranspose": _conv(1, transpose=True),
    "Conv2DTranspose": _conv(2, transpose=True),
    "Conv3DTranspose": _conv(3, transpose=True),
    "ConvLSTM1D": _conv_lstm(1),
    "ConvLSTM2D": _conv_lstm(2),
    "ConvLSTM3D": _conv_lstm(3),
    "Cropping1D": Case(inputs=((6, 2),), changed={"cropping": [2, 0]}),
    "Cropping2D": Case(inputs=(IMG,), changed={"cropping": [[1, 0], [0, 1]], "data_format": CF}),
    "Cropping3D": Case(inputs=(VOL,), changed={"cropping": [[1, 0], [0, 1], [0, 0]], "data_format": CF}),
    "CutMix": _image(factor=0.5, seed=1, data_format=CF),
    "Dense": Case(inputs=(VEC,), defaults={"units": 2}, changed={
        "units": 4, "activation": "relu", "use_bias": False, **_weights("kernel", "bias"), "activity_regularizer": "l2",
        "quantization_config": INT8}, also=LORA),
    "DepthwiseConv1D": _conv(1, depthwise=True),
    "DepthwiseConv2D": _conv(2, depthwise=True),
    "Discretization": Case(inputs=(VEC,), defaults={"bin_boundaries": [0.3, 0.6]}, changed={
        "bin_boundaries": [0.2, 0.5, 0.8], "epsilon": 0.1, "output_mode": "one_hot", "sparse": True,
        "dtype": "float64"}),
    "Dot": Case(inputs=((3, 3), (3, 3)), call="list", defaults={"axes": 2}, changed={"axes": [1, 2], "normalize": True}),
    "Dropout": Case(defaults={"rate": 0.2}, changed={"rate": 0.5, "noise_shape": [None, 1, 3], "seed": 1}),
    "ELU": Case(changed={"alpha": 0.5}),
    "EinsumDense": Case(inputs=(VEC,), defaults={"equation": "ab,bc->ac", "output_shape": 2},
                        changed_inputs=(SEQ,), changed={
        "equation": "abc,cd->abd", "output_shape": [5, 4], "activation": "relu", "bias_axes": "d",
        **_weights("kernel", "bias"), "quantization_config": INT8, "gptq_unpacked_column_size": 2},
        also=(({"equation": "ab,bc->ac", "output_shape": 2, "lora_rank": 2, "lora_alpha": 4.0}, None),)),
    "Embedding": Case(inputs=(VEC,), dtype="int32", high=5, defaults={"input_dim": 5, "output_dim": 2}, changed={
        "input_dim": 6, "output_dim": 3, **_weights("embeddings"), "mask_zero": True, "quantization_config": INT8},
        also=(({"input_dim": 5, "output_dim": 2, "lora_rank": 2, "lora_alpha": 4.0}, None),)),
    "Equalization": _image(value_range=[0, 1], bins=16, data_format=CF),
    "Flatten": Case(inputs=(IMG,), changed={"data_format": CF}),
    "GRU": _rnn("GRU"),
    "GRUCell": _cell("GRU"),
    "GaussianDropout": Case(defaults={"rate": 0.2}, changed={"rate": 0.4, "seed": 1}),
    "GaussianNoise": Case(defaults={"stddev": 0.1}, changed={"stddev": 0.3, "seed": 1}),
    "GlobalAveragePooling1D": _global_pooling(1),
    "GlobalAveragePooling2D": _global_pooling(2),
    "GlobalAveragePooling3D": _global_pooling(3),
    "GlobalMaxPooling1D": _global_pooling(1),
    "GlobalMaxPooling2D": _global_pooling(2),
    "GlobalMaxPooling3D": _global_pooling(3),
    "GroupNormalization": Case(inputs=((2, 2, 32),), changed={
        "groups": 2, "axis": 1, "epsilon": 0.01, "center": False, "scale": False,
        **_weights("beta", "gamma", defaults_ones=("gamma",))}),
    "GroupedQueryAttention": Case(inputs=((4, 8), (5, 8)), call="kwargs", keys=("query", "value"),
                                  defaults={"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1}, changed={
        "head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2, "dropout": 0.1, "use_bias": False,
        "sliding_window": 2, "flash_attention": False, **_weights("kernel", "bias"), "activity_regularizer": "l2",
        "use_gate": True, "seed": 1}),
    "HashedCrossing": Case(inputs=((1,), (1,)), call="list", dtype="int32", high=10, defaults={"num_bins": 5},
                           changed={"num_bins": 6, "output_mode": "one_hot", "sparse": True, "dtype": "float64"}),
    "Hashing": Case(inputs=(VEC,), dtype="string", defaults={"num_bins": 4},
                    changed={"num_bins": 5, "mask_value": "a", "salt": 7, "output_mode": "multi_hot", "sparse": True}),
    "Identity": Case(),
    "IntegerLookup": Case(inputs=(VEC,), dtype="int32", high=6, defaults={"vocabulary": [1, 2, 3]}, changed={
        "max_tokens": 8, "num_oov_indices": 2, "mask_token": 0, "oov_token": -2, "vocabulary": [1, 2, 3, 4],
        "idf_weights": [0.5, 0.6, 0.7, 0.8], "output_mode": "tf_idf",
        "pad_to_max_tokens": True, "oov_method": "farmhash", "salt": 5},
        also=(({"vocabulary": [1, 2, 3], "output_mode": "count", "sparse": True}, None),  # tf_idf + sparse: Keras fails
              ({"vocabulary": [1, 2, 3], "invert": True}, None))),
    "LSTM": _rnn("LSTM"),
    "LSTMCell": _cell("LSTM"),
    "LayerNormalization": Case(changed={"axis": [-2, -1], "epsilon": 0.01, "center": False, "scale": False,
                                        **_weights("beta", "gamma", defaults_ones=("gamma",))}),
    "LeakyReLU": Case(changed={"negative_slope": 0.1}),
    "Masking": Case(changed={"mask_value": 0.5}),
    "MaxNumBoundingBoxes": Case(defaults={"max_number": 3}, changed={"max_number": 4, "fill_value": -2}),
    "MaxPooling1D": _pooling(1, True),
    "MaxPooling2D": _pooling(2, True),
    "MaxPooling3D": _pooling(3, True),
    "Maximum": _merge(),
    "MelSpectrogram": Case(inputs=((2048,),), changed={
        "fft_length": 64, "sequence_stride": 16, "sequence_length": 32, "window": "hamming", "sampling_rate": 8000,
        "num_mel_bins": 16, "min_freq": 30.0, "max_freq": 3000.0, "power_to_db": False, "top_db": 60.0,
        "mag_exp": 1.0, "min_power": 1e-8, "ref_power": 2.0}),
    "Minimum": _merge(),
    "MixUp": _image(alpha=0.5, data_format=CF, seed=1),
    "MultiHeadAttention": Case(inputs=((4, 6), (5, 6)), call="kwargs", keys=("query", "value"),
                               defaults={"num_heads": 2, "key_dim": 2}, changed={
        "num_heads": 3, "key_dim": 3, "value_dim": 4, "dropout": 0.1, "use_bias": False, "output_shape": [5],
        "attention_axes": [1], "sliding_window": 2, "flash_attention": False, **_weights("kernel", "bias"),
        "activity_regularizer": "l2", "use_gate": True, "seed": 1}),
    "Multiply": _merge(),
    "Normalization": Case(defaults={"mean": 0.5, "variance": 2.0}, changed={
        "axis": 1, "mean": [0.1, 0.2, 0.3, 0.4, 0.5], "variance": [1.0, 2.0, 3.0, 4.0, 5.0], "invert": True}),
    "PReLU": Case(changed={"alpha_initializer": "ones", "alpha_regularizer": "l2", "alpha_constraint": "non_neg",
                           "shared_axes": [1]}),
    "Permute": Case(defaults={"dims": [2, 1]}, changed={"dims": [1, 2]}),
    "Pipeline": Case(inputs=(IMG,), defaults={"layers": [_layer("Rescaling", scale=0.5)]}, changed={
        "layers": [_layer("RandomFlip", seed=1), _layer("CenterCrop", height=2, width=2)]}),
    "RMSNormalization": Case(changed={"axis": [-2, -1], "epsilon": 1e-3}),
    "RNN": Case(defaults={"cell": _layer("SimpleRNNCell", units=2)}, changed={
        "cell": _layer("LSTMCell", units=2), "return_sequences": True, "return_state": True, "go_backwards": True,
        "unroll": True, "zero_output_for_mask": True},
        also=(({"cell": _layer("SimpleRNNCell", units=2), "stateful": True}, None),), batch_size=2),
    "RandAugment": _image(value_range=[0, 1], num_ops=1, factor=[0.2, 0.6], interpolation="nearest", seed=1,
                          data_format=CF),
    "RandomBrightness": _image({"factor": 0.2}, factor=[-0.1, 0.3], value_range=[0, 1], seed=1),
    "RandomColorDegeneration": _image({"factor": 0.5}, factor=[0.1, 0.4], value_range=[0, 1], data_format=CF,
                                      seed=1),
    "RandomColorJitter": _image(value_range=[0, 1], brightness_factor=0.2, contrast_factor=0.3,
                                saturation_factor=[0.1, 0.5], hue_factor=0.2, seed=1, data_format=CF),
    "RandomContrast": _image({"factor": 0.2}, factor=[0, 0.75], value_range=[0, 1], seed=1),
    "RandomCrop": Case(inputs=(IMG,), defaults={"height": 2, "width": 2},
                       changed={"height": 3, "width": 1, "seed": 1, "data_format": CF}),
    "RandomElasticTransform": _image(factor=0.5, scale=0.5, interpolation="nearest", fill_mode="constant",
                                     fill_value=1.0, value_range=[0, 1], seed=1, data_format=CF),
    "RandomErasing": _image(factor=0.5, scale=[0.1, 0.2], fill_value=0.5, value_range=[0, 1], seed=1, data_format=CF),
    "RandomFlip": _image(mode="horizontal", seed=1, data_format=CF),
    "RandomGaussianBlur": _image(factor=0.5, kernel_size=5, sigma=0.5, value_range=[0, 1], data_format=CF, seed=1),
    "RandomGrayscale": _image(factor=0.3, data_format=CF, seed=1),
    "RandomHue": _image({"factor": 0.2}, factor=[0.1, 0.3], value_range=[0, 1], data_format=CF, seed=1),
    "RandomInvert": _image(factor=0.5, value_range=[0, 1], seed=1, data_format=CF),
    "RandomPerspective": _image(factor=0.5, scale=0.5, interpolation="nearest", fill_value=1.0, seed=1,
                                data_format=CF),
    "RandomPosterization": _image({"factor": 4}, factor=[2, 6], value_range=[0, 1], data_format=CF, seed=1),
    "RandomRotation": _image({"factor": 0.1}, factor=[-0.2, 0.1], fill_mode="constant", interpolation="nearest",
                             seed=1, fill_value=1.0, data_format=CF),
    "RandomSaturation": _image({"factor": 0.5}, factor=[0.2, 0.7], value_range=[0, 1], data_format=CF, seed=1),
    "RandomSharpness": _image({"factor": 0.5}, factor=[0.2, 0.7], value_range=[0, 1], data_format=CF, seed=1),
    # a number x_factor=0.2 is saved as (-0.2, 0.2), which Keras 3.15 then refuses to load: a range instead
    "RandomShear": _image(x_factor=[0.0, 0.2], y_factor=[0.1, 0.3], interpolation="nearest", fill_mode="constant",
                          fill_value=1.0, data_format=CF, seed=1),
    "RandomTranslation": _image({"height_factor": 0.1, "width_factor": 0.1}, height_factor=[-0.2, 0.1],
                                width_factor=0.3, fill_mode="constant", interpolation="nearest", seed=1,
                                fill_value=1.0, data_format=CF),
    "RandomZoom": _image({"height_factor": 0.1}, height_factor=[-0.2, 0.1], width_factor=0.3, fill_mode="constant",
                         interpolation="nearest", seed=1, fill_value=1.0, data_format=CF),
    "ReLU": Case(changed={"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.2}),
    "RepeatVector": Case(inputs=(VEC,), defaults={"n": 2}, changed={"n": 3}),
    "Rescaling": Case(defaults={"scale": 0.5}, changed={"scale": 2.0, "offset": 1.0}),
    "Reshape": Case(inputs=(IMG,), defaults={"target_shape": [16, 4]}, changed={"target_shape": [-1, 8]}),
    "Resizing": Case(inputs=(IMG,), defaults={"height": 2, "width": 2}, changed={
        "height": 3, "width": 5, "interpolation": "nearest", "crop_to_aspect_ratio": True, "antialias": True,
        "data_format": CF},
        also=(({"height": 3, "width": 5, "pad_to_aspect_ratio": True, "fill_value": 1.0}, None),)),
    "ReversibleEmbedding": Case(inputs=(VEC,), dtype="int32", high=5, defaults={"input_dim": 5, "output_dim": 2},
                                changed={"input_dim": 6, "output_dim": 3, "tie_weights": False,
                                         **_weights("embeddings"), "mask_zero": True, "reverse_dtype": "float64",
                                         "logit_soft_cap": 30.0}),
    "STFTSpectrogram": Case(inputs=((300, 1),), changed_inputs=((1, 300),), changed={
        "mode": "magnitude", "frame_length": 32, "frame_step": 16, "fft_length": 64, "window": "hamming",
        "periodic": True, "scaling": "spectrum", "padding": "same", "expand_dims": True, "data_format": CF}),
    "SeparableConv1D": _conv(1, separable=True),
    "SeparableConv2D": _conv(2, separable=True),
    "SimpleRNN": _rnn("SimpleRNN"),
    "SimpleRNNCell": _cell("SimpleRNN"),
    "Softmax": Case(changed={"axis": 1}),
    "Solarization": _image(addition_factor=0.2, threshold_factor=[0.1, 0.3], value_range=[0, 1], seed=1),
    "SpatialDropout1D": Case(defaults={"rate": 0.2}, changed={"rate": 0.5, "seed": 1, "dtype": "float64"}),
    "SpatialDropout2D": Case(inputs=(IMG,), defaults={"rate": 0.2},
                             changed={"rate": 0.5, "data_format": CF, "seed": 1, "dtype": "float64"}),
    "SpatialDropout3D": Case(inputs=(VOL,), defaults={"rate": 0.2},
                             changed={"rate": 0.5, "data_format": CF, "seed": 1, "dtype": "float64"}),
    "SpectralNormalization": Case(inputs=(VEC,), defaults={"layer": _layer("Dense", units=2)}, changed_inputs=(IMG,),
                                  changed={"layer": _layer("Conv2D", filters=2, kernel_size=2), "power_iterations": 2}),
    "StackedRNNCells": Case(defaults={"cells": [_layer("LSTMCell", units=2), _layer("GRUCell", units=2)]},
                            changed={"cells": [_layer("SimpleRNNCell", units=3, activation="relu"),
                                               _layer("LSTMCell", units=2)]}, inside="RNN"),
    "StringLookup": Case(inputs=(VEC,), dtype="string", defaults={"vocabulary": ["a", "b", "c"]}, changed={
        "max_tokens": 8, "num_oov_indices": 2, "mask_token": "", "oov_token": "[OOV]", "vocabulary": ["a", "b", "c", "d"],
        "idf_weights": [0.5, 0.6, 0.7, 0.8], "output_mode": "tf_idf", "pad_to_max_tokens": True,
        "encoding": "latin-1", "salt": 3},
        also=(({"vocabulary": ["a", "b", "c"], "output_mode": "count", "sparse": True}, None),
              ({"vocabulary": ["a", "b", "c"], "invert": True}, None, "int32"))),
    "Subtract": Case(inputs=(VEC, VEC), call="list"),
    "TextVectorization": Case(inputs=((1,),), dtype="string", defaults={"vocabulary": ["a", "b", "c"]}, changed={
        "max_tokens": 12, "standardize": "lower", "split": "character", "ngrams": 2, "output_mode": "tf_idf",
        "pad_to_max_tokens": True, "vocabulary": ["a", "b", "c", "a b"], "idf_weights": [0.5, 0.6, 0.7, 0.8],
        "encoding": "latin-1"},
        also=(({"vocabulary": ["a", "b", "c"], "output_mode": "count", "sparse": True}, None),
              ({"vocabulary": ["a", "b", "c"], "output_sequence_length": 4}, None),
              ({"vocabulary": ["a", "b", "c"], "ragged": True}, None))),
    "TimeDistributed": Case(inputs=((3, 4, 2),), defaults={"layer": _layer("Dense", units=2)},
                            changed={"layer": _layer("Conv1D", filters=2, kernel_size=2)}),
    "UnitNormalization": Case(changed={"axis": [1, 2]}),
    "UpSampling1D": Case(changed={"size": 3}),
    "UpSampling2D": Case(inputs=(IMG,), changed={"size": [2, 3], "data_format": CF, "interpolation": "bilinear"}),
    "UpSampling3D": Case(inputs=(VOL,), changed={"size": [2, 1, 2], "data_format": CF}),
    "ZeroPadding1D": Case(changed={"padding": [1, 2], "data_format": CF}),
    "ZeroPadding2D": Case(inputs=(IMG,), changed={"padding": [[1, 0], [0, 2]], "data_format": CF}),
    "ZeroPadding3D": Case(inputs=(VOL,), changed={"padding": [[1, 0], [0, 1], [2, 0]], "data_format": CF}),
}

# (class, argument) -> why no configuration changes it.
UNCHANGED: dict[tuple[str, str], str] = {
    ("Bidirectional", "weights"): "initial weights, not part of the config: imported weights replace them",
    ("Embedding", "weights"): "initial weights, not part of the config: imported weights replace them",
    ("Discretization", "num_bins"): "needs adapt() on data, and Keras refuses it together with bin_boundaries",
    ("Resizing", "fill_mode"): "Keras supports only 'constant'",
    ("IntegerLookup", "vocabulary_dtype"): "Keras supports only 'int64'",
}

# Keras layer classes that Keras itself cannot hold in a functional model (so no import can meet them).
KERAS_CANNOT: dict[str, str] = {
    "Equalization": "Keras 3.15's Equalization.compute_output_spec returns its input tensor, so any functional "
                    "model holding it is refused as a cycle",
}

# Keras layer classes that are not blocks on purpose: code-carrying or abstract.
REFUSED = {"Lambda", "Layer", "Wrapper", "InputLayer", "TFSMLayer", "JaxLayer", "FlaxLayer", "TorchModuleWrapper"}
