"""The GAN recipe (issue 18): per-node messages for graphs that do not fit it, a small GAN on digits that trains
with finite d_loss and g_loss, whose generator moves its samples toward the data, resumes exactly (both optimizers
and the noise generator are in the checkpoint), exports its generator to TFLite verified, trains with the WGAN-GP
penalty, and draws a grid through `python main.py sample`."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from builder.cli import main
from builder.export import export_model
from builder.project import Project, save_project
from builder.training import Trainer, settings_problems
from builder.training.recipes import model_part, project_recipe, register_keras_objects
from builder.training.trained_model import load_model
from gan_projects import GAN, gan_graph, gan_project
from recipe_projects import small


def recipe_lines(project: Project) -> list[str]:
    return [line for line in settings_problems(project, data=False) if line.startswith("training.recipe")]


def unwire(graph, source: str, target: str) -> None:
    graph.disconnect(next(e for e in graph.edges if e.source == source and e.target == target))


def test_a_good_gan_passes_and_bad_settings_are_named_by_their_key():
    assert recipe_lines(gan_project()) == []
    assert recipe_lines(gan_project(label_smoothing=1)) == [
        "training.recipe.label_smoothing: must be a number from 0 up to (not including) 1; got 1"]
    assert recipe_lines(gan_project(discriminator_steps=0))[0].startswith(
        "training.recipe.discriminator_steps: must be a whole number from 1 to 20")
    project = gan_project()
    project.training.recipe = {k: v for k, v in GAN.items() if k != "discriminator_output"}
    assert recipe_lines(project)[0].startswith("training.recipe.discriminator_output: the gan recipe needs it")


def test_graphs_that_do_not_fit_a_gan_get_one_message_per_node():
    assert recipe_lines(gan_project(gan_graph(fake_shape=(8, 8, 3)))) == [
        "training.recipe: node 'fake': the generator makes (8, 8, 3) but the discriminator takes (8, 8, 1) "
        "(node 'rescaling'); give the generator's output that shape"]
    assert recipe_lines(gan_project(gan_graph(logit_units=2))) == [
        "training.recipe: node 'logit': the discriminator gives (2,) per sample but must give one logit, (1,): end "
        "it with Dense(1) and no activation"]
    assert recipe_lines(gan_project(noise_input="dense_g")) == [
        "training.recipe: node 'dense_g': the noise_input must be an Input block (the generator's noise vector)"]
    graph = gan_graph()  # a conditional generator: noise and a label
    graph.add_node("Input", {"shape": [3]}, node_id="label")
    graph.add_node("Concatenate", {}, node_id="noise_and_label")
    unwire(graph, "noise", "dense_g")
    graph.connect("noise", "noise_and_label")
    graph.connect("label", "noise_and_label", target_port=1)
    graph.connect("noise_and_label", "dense_g")
    assert recipe_lines(gan_project(graph)) == [
        "training.recipe: node 'noise': a GAN graph has two Inputs, the discriminator's (the dataset's samples) and "
        "the generator's noise ('noise'); it has 3 (noise, image, label)"]
    graph = gan_graph()  # a wire from the discriminator into the generator joins the two graphs
    graph.add_node("Concatenate", {}, node_id="joined")
    unwire(graph, "dense_g", "pixels")
    graph.connect("dense_g", "joined")
    graph.connect("flatten", "joined", target_port=1)
    graph.connect("joined", "pixels")
    assert recipe_lines(gan_project(graph))[0].startswith(
        "training.recipe: node 'joined': it reads both the noise Input 'noise' and the dataset's Input 'image'")
    graph = gan_graph()  # the raw image reaches the discriminator around the Rescaling
    graph.add_node("Flatten", {}, node_id="raw")
    graph.add_node("Concatenate", {}, node_id="both")
    unwire(graph, "flatten", "dense_d")
    graph.connect("image", "raw")
    graph.connect("raw", "both")
    graph.connect("flatten", "both", target_port=1)
    graph.connect("both", "dense_d")
    assert recipe_lines(gan_project(graph)) == [
        "training.recipe: node 'raw': it feeds the discriminator around the real node 'rescaling'; every path from "
        "the dataset's Input to 'logit' must pass through 'rescaling'"]


def test_a_gan_names_its_generator_and_discriminator_and_the_input_the_dataset_feeds():
    project = gan_project()
    recipe = project_recipe(project)
    assert recipe.roles(project.graph) == {
        "generator": ["noise", "dense_g", "pixels", "fake"],
        "discriminator": ["image", "rescaling", "flatten", "dense_d", "leaky_re_lu", "dropout", "logit"]}
    assert recipe.input_node(project.graph) == "image"


@pytest.fixture(scope="module")
def trained_gan(tmp_path_factory):
    """A GAN trained 2 epochs on 256 digits (32 steps of 16)."""
    project = gan_project()
    result = Trainer(project, run_dir=tmp_path_factory.mktemp("gan"), dataset=small(project)).run()
    return project, result


def test_a_gan_reports_finite_discriminator_and_generator_losses(trained_gan):
    _, result = trained_gan
    for key in ("loss", "d_loss", "g_loss", "val_loss", "val_d_loss", "val_g_loss"):
        assert len(result.history[key]) == 2 and all(math.isfinite(v) for v in result.history[key]), key
    # loss is the sum of the two players' losses
    assert result.history["loss"][1] == pytest.approx(result.history["d_loss"][1] + result.history["g_loss"][1],
                                                      rel=1e-5)
    assert (result.run_dir / "history.csv").read_text().splitlines()[0].count("g_loss") == 2


def test_training_moves_the_generated_samples_toward_the_data(trained_gan):
    """A GAN's losses do not fall as it learns; what must change is what it draws. The mean generated image (in the
    discriminator's -1..1) starts far from the mean real digit (an untrained tanh generator gives ~0 everywhere,
    real digits are mostly -1 background) and must come clearly closer: it would not if the generator's updates
    were missing or went the wrong way."""
    import keras

    project, result = trained_gan
    recipe = project_recipe(project)
    register_keras_objects()
    trained = load_model(result.model_path)
    keras.utils.set_random_seed(project.training.seed)
    untrained = recipe.build_model(project)
    real = np.asarray(trained.preprocessing(small(project).x_val)).mean(axis=0)

    def distance(model):
        return float(np.sqrt(np.mean((recipe.generate(model, 256, seed=0).mean(axis=0) - real) ** 2)))

    assert distance(trained) < 0.7 * distance(untrained), (distance(trained), distance(untrained))


def test_a_resumed_gan_is_exactly_the_uninterrupted_one(trained_gan, tmp_path):
    project, uninterrupted = trained_gan
    data = small(project)
    Trainer(project, run_dir=tmp_path, epochs=1, dataset=data).run()
    resumed = Trainer(project, run_dir=tmp_path, epochs=2, dataset=data, resume=True).run()
    for key in ("d_loss", "g_loss", "val_loss"):
        assert resumed.history[key] == pytest.approx(uninterrupted.history[key][1:], abs=1e-6), key
    register_keras_objects()
    one, other = load_model(uninterrupted.model_path), load_model(resumed.model_path)
    assert type(one).__name__ == "GenerativeAdversarialNetwork"
    weights = [(a, b) for a, b in zip(one.get_weights(), other.get_weights())]
    assert len(weights) == len(one.get_weights()) and all(np.allclose(a, b, atol=1e-6) for a, b in weights)
    for name in ("optimizer", "discriminator_optimizer"):  # both optimizers' states (step, Adam moments) came back
        mine, theirs = getattr(one, name), getattr(other, name)
        assert int(mine.iterations.numpy()) == int(theirs.iterations.numpy()) == 32
        assert all(np.allclose(np.asarray(a), np.asarray(b), atol=1e-6)
                   for a, b in zip(mine.variables, theirs.variables))


def test_the_generator_exports_to_tflite_verified(trained_gan, tmp_path):
    project, result = trained_gan
    register_keras_objects()
    generator, part = model_part(project, load_model(result.model_path))
    assert part == "generator" and generator.inputs[0].shape[1:] == (8,) and generator.outputs[0].shape[1:] == (8, 8, 1)
    report = export_model(generator, "tflite", tmp_path / "generator.tflite")
    assert report.max_abs_diff < 1e-4 and (tmp_path / "generator.tflite").stat().st_size > 0


def test_sample_draws_a_grid_from_the_generator_in_the_discriminators_range(trained_gan, tmp_path, capsys):
    project, result = trained_gan
    path = tmp_path / "gan.json"
    save_project(project, path)
    assert main(["sample", str(path), "--run", str(result.run_dir), "-n", "9", "--seed", "1", "--zoom", "1",
                 "-o", str(tmp_path / "g.png")]) == 0
    pixels = np.asarray(Image.open(tmp_path / "g.png"))
    assert pixels.shape == (3 * 8 + 2, 3 * 8 + 2)  # 3 x 3 tiles of 8 x 8, 1-pixel gaps
    assert pixels.max() > pixels.min()
    register_keras_objects()
    # tanh samples are scaled from the range the discriminator reads real digits in (Rescaling: -1..1)
    low, high = project_recipe(project).sample_range(load_model(result.model_path), small(project))
    assert low == pytest.approx(-1.0) and high == pytest.approx(1.0)


def test_the_gradient_penalty_trains_with_finite_losses_and_more_discriminator_steps(tmp_path):
    """WGAN-GP (a critic's losses plus the penalty), 2 discriminator updates per generator update, the discriminator
    at its own rate."""
    project = gan_project(epochs=1, gradient_penalty=10.0, discriminator_steps=2,
                          discriminator_learning_rate=0.001)
    data = small(project)
    result = Trainer(project, run_dir=tmp_path, dataset=data).run()
    assert all(math.isfinite(v[0]) for v in result.history.values())
    register_keras_objects()
    model = load_model(result.model_path)
    steps = int(model.optimizer.iterations.numpy())
    assert steps == 16 and int(model.discriminator_optimizer.iterations.numpy()) == 2 * steps
    assert float(model.discriminator_optimizer.learning_rate) == pytest.approx(0.001)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.005)


def test_without_a_real_node_the_discriminator_reads_the_raw_samples():
    """An empty `real` is the dataset's Input: the preprocessing passes samples through unchanged, `sample` scales
    from the raw range (digits: 0..16), and a Normalization after the Input is adapted in the discriminator."""
    graph = gan_graph()
    unwire(graph, "image", "rescaling")
    unwire(graph, "rescaling", "flatten")
    graph.remove_node("rescaling")
    graph.connect("image", "flatten")
    project = gan_project(graph, real="")
    assert recipe_lines(project) == []
    recipe = project_recipe(project)
    model = recipe.build_model(project)
    assert recipe.sample_range(model, small(project)) == (0.0, 16.0)
    assert recipe.layers_model(model) is model.discriminator
