"""`python main.py layers`: the palette's catalogue generated from keras.layers (every layer class a block, the
others named with why), and one layer's parameters; the listing answers without importing Keras."""
import json
import subprocess
import sys
from pathlib import Path

from builder.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_every_keras_layer_class_is_a_block_or_named_as_not_one(capsys):
    import keras

    assert main(["layers", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    listed = {t for names in data["categories"].values() for t in names} | set(data["inner_only"])
    exported = {name for name in dir(keras.layers)
                if isinstance(getattr(keras.layers, name), type) and issubclass(getattr(keras.layers, name), keras.layers.Layer)}
    for name in exported:  # a class is its block, an alias of one, or refused with a reason
        assert name in listed or data["aliases"].get(name) in listed or name in data["not_blocks"], name
    assert {"Lambda", "TFSMLayer", "JaxLayer", "FlaxLayer", "TorchModuleWrapper", "Layer"} <= set(data["not_blocks"])
    assert data["aliases"]["Convolution2D"] == "Conv2D" and data["aliases"]["GlobalAvgPool1D"] == "GlobalAveragePooling1D"
    for name in ("RMSNormalization", "AugMix", "RandomErasing", "RandAugment", "MixUp", "CutMix", "GroupQueryAttention",
                 "AdaptiveAveragePooling2D", "ConvLSTM3D", "RNN", "Hashing", "MelSpectrogram", "ReversibleEmbedding"):
        assert name in listed, name
    assert {"LSTMCell", "StackedRNNCells"} <= set(data["inner_only"])


def test_one_layer_lists_its_parameters_with_inherited_ones_and_an_alias_names_its_class(capsys):
    assert main(["layers", "Convolution2D", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["type"] == "Conv2D"
    params = {p["name"]: p for p in data["params"]}
    assert params["filters"]["required"] and params["kernel_size"]["kind"] == "tuple"
    assert {"lora_rank", "lora_alpha", "dtype", "activity_regularizer"} <= set(params)  # through **kwargs
    assert params["dtype"]["kind"] == "dtype" and "mixed_float16" in params["dtype"]["choices"]


def test_a_layer_that_carries_code_is_refused_with_its_reason(capsys):
    assert main(["layers", "Lambda"]) == 1
    assert "runs a Python function" in capsys.readouterr().err


def test_the_listing_does_not_import_keras():
    code = ("import sys; from builder.cli import main; main(['layers']); "
            "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules, 'imported'")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    assert "Augmentation (" in done.stdout
