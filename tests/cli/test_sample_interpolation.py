"""python main.py sample PROJECT --interpolate STEPS -o row.png: a walk through a trained VAE's or autoencoder's
latent space between two validation samples (picked by --seed), one PNG row with the originals at its ends; refused
for a recipe without a latent space, and for an autoencoder whose decoder reads across its bottleneck."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from builder.cli import main
from builder.errors import LayerboardError
from builder.project import load_template, save_project
from builder.data import load_project_dataset
from builder.training import Trainer
from builder.training.recipes import project_recipe, register_keras_objects
from builder.training.recipes.interpolation import interpolation_grid
from builder.training.trained_model import load_model
from recipe_projects import autoencoder_project, small, vae_project


def row_width(steps: int, side: int = 8, zoom: int = 1) -> int:
    """original, 3 grey pixels, `steps` tiles 1 pixel apart, 3 grey pixels, original."""
    return (side + 3 + steps * side + (steps - 1) + 3 + side) * zoom


def pixels_of(images, low: float, high: float) -> np.ndarray:
    return (np.clip((np.asarray(images)[..., 0] - low) / (high - low), 0, 1) * 255).round()


def expected_walk(project, model, pair: np.ndarray, steps: int):
    """The originals and the decoded walk, computed here from the trained model's own layers."""
    parts = project_recipe(project).parts(model)
    if project.training.recipe["name"] == "vae":
        mean, _, originals = parts["encoder"].predict(pair, verbose=0)
        decode = parts["decoder"].predict
    else:  # the autoencoder's layers after its bottleneck, called on the codes
        mean, originals = parts["encoder"].predict(pair, verbose=0), pair
        def decode(codes, verbose=0):
            return np.asarray(model.get_layer("reconstruction")(model.get_layer("pixels")(codes)))
    mixes = np.linspace(0, 1, steps, dtype="float32")[:, None]
    return originals, decode((1 - mixes) * mean[:1] + mixes * mean[1:], verbose=0)


@pytest.mark.parametrize("make", [vae_project, autoencoder_project], ids=["vae", "autoencoder"])
def test_interpolate_writes_a_row_from_one_original_through_the_walk_to_the_other(tmp_path, capsys, make):
    path = tmp_path / "p.json"
    project = make()
    save_project(project, path)
    result = Trainer(project, epochs=1, dataset=small(project)).run()

    assert main(["sample", str(path), "--interpolate", "6", "--seed", "2", "--zoom", "2", "-o", str(tmp_path / "r.png"),
                 "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    image = Image.open(tmp_path / "r.png")
    assert image.size == (row_width(6, zoom=2), 16) == (facts["width"], facts["height"]) and image.mode == "L"
    first, second = facts["interpolate"]["between"]
    assert facts["interpolate"]["steps"] == 6 and first != second and facts["seed"] == 2
    pixels = np.asarray(image, "float64")[::2, ::2]  # one pixel per sample pixel
    tiles = [pixels[:, :8]] + [pixels[:, 11 + 9 * i: 19 + 9 * i] for i in range(6)] + [pixels[:, -8:]]

    register_keras_objects()
    model = load_model(result.model_path)
    data = load_project_dataset(project)
    low, high = project_recipe(project).sample_range(model, data)
    originals, walk = expected_walk(project, model, data.x_val[[first, second]].astype("float32"), 6)
    expected = pixels_of(originals[:1], low, high).tolist() + pixels_of(walk, low, high).tolist() \
        + pixels_of(originals[1:], low, high).tolist()
    assert all(np.abs(tile - want).max() <= 1 for tile, want in zip(tiles, expected))  # the originals, the walk
    assert np.abs(tiles[1] - tiles[6]).max() > 0  # the two ends decode two different codes

    assert main(["sample", str(path), "--interpolate", "6", "--seed", "2", "--zoom", "2",
                 "-o", str(tmp_path / "again.png")]) == 0
    assert "6-step walk between validation samples" in capsys.readouterr().out
    assert np.array_equal(np.asarray(Image.open(tmp_path / "again.png")), np.asarray(image))  # the same seed


def test_interpolate_refuses_a_supervised_project_saying_which_recipes_interpolate(tmp_path, capsys):
    path = tmp_path / "digits.json"
    save_project(load_template("digits_cnn"), path)
    assert main(["sample", str(path), "--interpolate", "6", "-o", str(tmp_path / "r.png")]) == 1
    assert not (tmp_path / "r.png").exists()
    error = capsys.readouterr().err
    assert "supervised recipe, which has no latent space to walk" in error and "autoencoder or vae" in error


def test_an_autoencoder_whose_decoder_reads_across_its_bottleneck_names_that_node():
    project = autoencoder_project()
    graph = project.graph
    graph.add_node("Add", {}, node_id="skip")  # the reconstruction also reads the encoder's flatten
    graph.disconnect(next(e for e in graph.edges if e.source == "pixels"))
    graph.connect("pixels", "skip")
    graph.connect("flatten", "skip", target_port=1)
    graph.add_node("Reshape", {"target_shape": [8, 8, 1]}, node_id="image_again")
    graph.connect("skip", "image_again")
    graph.remove_node("reconstruction")

    model = project_recipe(project).build_model(project)
    with pytest.raises(LayerboardError, match="node 'skip': it reads 'flatten' of the encoder besides the bottleneck"):
        interpolation_grid(project, model, small(project), 6)
