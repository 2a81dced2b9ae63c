"""Training recipes (issue 18): the training.recipe setting's checks, per-node messages for graphs that do not fit
a recipe, a VAE that trains, resumes exactly and exports its decoder, an autoencoder whose encoder exports."""
from __future__ import annotations

import math

import numpy as np
import pytest

from builder.export import export_model
from builder.project import Project
from builder.training import Trainer, settings_problems
from builder.training.recipes import model_part, register_keras_objects
from builder.training.trained_model import load_model
from recipe_projects import VAE, autoencoder_project, small, vae_graph, vae_project


def recipe_lines(project: Project) -> list[str]:
    return [line for line in settings_problems(project, data=False) if line.startswith("training.recipe")]


@pytest.mark.parametrize("recipe, words", [
    ({"name": "gann"}, "training.recipe.name: must be one of supervised, autoencoder, vae, gan, diffusion, "
                       "distillation; got \"gann\""),
    ({**VAE, "beta": 4}, "training.recipe.beta: not a setting of the vae recipe (its settings: mean, log_var"),
    ({**VAE, "mean": "nowhere"}, "training.recipe.mean: \"nowhere\" is not a node of the graph"),
    ({k: v for k, v in VAE.items() if k != "output"}, "training.recipe.output: the vae recipe needs it"),
    ({**VAE, "kl_weight": -1}, "training.recipe.kl_weight: must be a finite number of at least 0; got -1"),
    ({**VAE, "kl_weight": None}, "training.recipe.kl_weight: must be a finite number of at least 0; got null"),
    ({**VAE, "reconstruction_loss": None}, "training.recipe.reconstruction_loss: must be one of squared_error"),
    ({**VAE, "reconstruction_loss": "l1"}, "training.recipe.reconstruction_loss: must be one of squared_error, "
                                           "binary_crossentropy"),
    ({"name": "autoencoder", "output": "reconstruction"}, "training.recipe.bottleneck: the autoencoder recipe needs it"),
])
def test_a_bad_recipe_setting_is_named_by_its_key(recipe, words):
    project = vae_project()
    project.training.recipe = recipe
    lines = recipe_lines(project)
    assert len(lines) == 1 and words in lines[0], lines


def test_a_recipe_that_is_not_a_dict_is_refused_and_a_good_one_passes():
    project = vae_project()
    assert recipe_lines(project) == []
    project.training.recipe = "vae"
    assert recipe_lines(project) == ['training.recipe: must be null or {"name": "supervised" | "autoencoder" | '
                                     '"vae" | "gan" | "diffusion" | "distillation", its settings}; got "vae"']
    from builder.training.recipes import RECIPES

    assert all(f'"{name}"' in recipe_lines(project)[0] for name in RECIPES)  # the project file's rule names each
    project.training.recipe = None  # null is supervised
    assert recipe_lines(project) == []


def test_graphs_that_do_not_fit_the_recipe_get_one_message_per_node():
    lines = recipe_lines(vae_project(vae_graph(latent=2, decoder_latent=3)))
    assert lines == ["training.recipe: node 'latent': the decoder's Input has shape (3,) but the latent vector "
                     "(node 'z_mean') is (2,); give it that shape"]
    graph = vae_graph()
    graph.nodes["z_log_var"].params["units"] = 3
    assert "training.recipe: node 'z_log_var': its output (3,) must have the mean's shape (2,)" in \
        recipe_lines(vae_project(graph))[0]
    assert recipe_lines(autoencoder_project(units=10)) == [
        "training.recipe: node 'reconstruction': its output (10,) must have the input's shape (8, 8, 1) "
        "(Input 'image'): it reconstructs the input"]


@pytest.fixture(scope="module")
def trained_vae(tmp_path_factory):
    """A VAE trained 2 epochs on 256 digits (the KL weight warms up over those 2)."""
    project = vae_project()
    result = Trainer(project, run_dir=tmp_path_factory.mktemp("vae"), dataset=small(project)).run()
    return project, result


def test_a_vae_trains_with_finite_reconstruction_and_kl_losses_and_the_loss_falls(trained_vae):
    _, result = trained_vae
    history = result.history
    for key in ("loss", "reconstruction_loss", "kl_loss", "val_loss", "val_reconstruction_loss", "val_kl_loss"):
        assert len(history[key]) == 2 and all(math.isfinite(v) for v in history[key]), key
    assert history["loss"][1] < history["loss"][0]
    # epoch 1 has KL weight 0 (warm-up over 2 epochs): its loss is the reconstruction alone
    assert history["loss"][0] == pytest.approx(history["reconstruction_loss"][0], rel=1e-5)
    assert history["loss"][1] > history["reconstruction_loss"][1]
    assert (result.run_dir / "history.csv").read_text().splitlines()[0].count("kl_loss") == 2


def test_a_resumed_vae_is_exactly_the_uninterrupted_one(trained_vae, tmp_path):
    project, uninterrupted = trained_vae
    data = small(project)
    Trainer(project, run_dir=tmp_path, epochs=1, dataset=data).run()
    resumed = Trainer(project, run_dir=tmp_path, epochs=2, dataset=data, resume=True).run()
    assert resumed.history["loss"] == uninterrupted.history["loss"][1:]
    assert resumed.history["kl_loss"] == uninterrupted.history["kl_loss"][1:]
    register_keras_objects()
    one, other = load_model(uninterrupted.model_path), load_model(resumed.model_path)
    assert type(one).__name__ == "VariationalAutoencoder"
    assert all(np.array_equal(a, b) for a, b in zip(one.get_weights(), other.get_weights()))


def test_the_vae_decoder_exports_to_tflite_verified(trained_vae, tmp_path):
    project, result = trained_vae
    register_keras_objects()
    decoder, part = model_part(project, load_model(result.model_path))
    assert part == "decoder" and decoder.inputs[0].shape[1:] == (2,)
    report = export_model(decoder, "tflite", tmp_path / "decoder.tflite")
    assert report.max_abs_diff < 1e-4 and (tmp_path / "decoder.tflite").stat().st_size > 0


def test_an_autoencoder_trains_against_its_input_and_its_encoder_exports(tmp_path):
    project = autoencoder_project()
    result = Trainer(project, run_dir=tmp_path / "run", dataset=small(project)).run()
    assert math.isfinite(result.final_metrics["val_loss"])
    model = load_model(result.model_path)
    assert model_part(project, model) == (model, None)  # the whole model by default
    encoder, part = model_part(project, model, "encoder")
    assert part == "encoder" and encoder.outputs[0].shape[1:] == (4,)
    report = export_model(encoder, "keras", tmp_path / "encoder.keras")
    assert report.max_abs_diff == 0


def test_the_settings_form_checks_a_recipe_without_the_graph():
    from builder.project import TrainingConfig
    from builder.training import setting_problems

    config = TrainingConfig()
    assert setting_problems(config, "recipe", VAE, names=True) == []  # node ids are looked up by check and train
    assert setting_problems(config, "recipe", {**VAE, "mean": 3}, names=True) == [
        "training.recipe.mean: must be a node id (a string); got 3"]
    assert setting_problems(config, "recipe", {"name": "vae"}, names=True)[0].startswith(
        "training.recipe.mean: the vae recipe needs it")


def test_a_vae_adapts_a_normalization_block_of_its_encoder(tmp_path):
    project = vae_project(vae_graph(normalize=True), reconstruction_loss="squared_error", target="")
    result = Trainer(project, run_dir=tmp_path, epochs=1, dataset=small(project)).run()
    register_keras_objects()
    layer = load_model(result.model_path).encoder.get_layer("rescaling")
    assert float(np.mean(layer.mean)) > 1  # fitted to digits' 0..16 pixels, not the initial 0


def test_evaluate_and_predict_refuse_a_recipe_project_and_say_what_to_use(trained_vae, tmp_path):
    from builder.errors import LayerboardError
    from builder.training import evaluate, predict_files

    project, result = trained_vae
    for call, what in ((lambda: evaluate(project, result.model_path), "evaluate"),
                       (lambda: predict_files(project, result.model_path, [tmp_path / "x.npy"]), "predict")):
        with pytest.raises(LayerboardError, match=f"{what} applies to supervised projects; this one trains with the "
                                                  "vae recipe"):
            call()


def test_each_recipe_names_its_roles_by_the_nodes_that_play_them():
    """The canvas labels these groups: a VAE's encoder and decoder halves, an autoencoder split at its bottleneck."""
    from builder.training.recipes import project_recipe

    vae = vae_project()
    assert project_recipe(vae).roles(vae.graph) == {
        "encoder": ["image", "rescaling", "flatten", "dense_1", "z_mean", "z_log_var"],
        "decoder": ["latent", "dense_2", "pixels", "reconstruction"]}
    ae = autoencoder_project()
    assert project_recipe(ae).roles(ae.graph) == {"encoder": ["image", "flatten", "bottleneck"],
                                                   "decoder": ["pixels", "reconstruction"]}
    vae.training.recipe = None
    assert project_recipe(vae).roles(vae.graph) == {}


@pytest.mark.parametrize("recipe", ["vae", "diffusion", "gan"])
def test_a_mixed_precision_recipe_trains_finite_and_resumes_from_its_checkpoint(tmp_path, recipe):
    """float16 compute with a loss-scale optimizer: the losses are computed in float32 and finite; the checkpoint
    keeps the dtype policy, so resume loads the optimizer state and continues (the epoch after the first)."""
    from diffusion_projects import diffusion_project
    from gan_projects import gan_project

    project = {"vae": vae_project, "diffusion": diffusion_project, "gan": gan_project}[recipe]()
    project.training.mixed_precision = True
    data = small(project)
    first = Trainer(project, run_dir=tmp_path, epochs=1, dataset=data).run()
    resumed = Trainer(project, run_dir=tmp_path, epochs=2, dataset=data, resume=True).run()
    assert all(math.isfinite(v) for v in first.history["loss"] + resumed.history["loss"])
    assert resumed.epochs_run == 2 and len(resumed.history["loss"]) == 1
    register_keras_objects()
    model = load_model(resumed.model_path)
    assert model.dtype_policy.name == "mixed_float16"
    assert int(model.optimizer.iterations.numpy()) == 2 * math.ceil(len(data.x_train) / project.training.batch_size)
