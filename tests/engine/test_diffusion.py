"""The diffusion recipe (issue 18): the noise schedules, the DDIM sampler against an exact noise oracle, per-node
messages for denoiser graphs that do not fit, DDPM training that resumes exactly, sampling in the data's units, and
the denoiser exported to TFLite with its schedule beside it."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from builder.cli import main
from builder.project import save_project
from builder.training import Trainer, settings_problems
from builder.training.recipes import project_recipe, register_keras_objects
from builder.training.recipes.diffusion_schedule import alphas_cumprod, ddim_sample, sampling_indices
from builder.training.trained_model import load_model
from diffusion_projects import denoiser_graph, diffusion_project
from recipe_projects import small


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
@pytest.mark.parametrize("timesteps", [50, 1000])
def test_each_schedule_falls_strictly_from_almost_1_to_almost_0(schedule, timesteps):
    alphas = alphas_cumprod(schedule, timesteps)
    assert len(alphas) == timesteps and np.all(np.diff(alphas) < 0)
    assert 0 < alphas[-1] < 1e-4 and 0.99 < alphas[0] < 1


def test_the_linear_schedule_has_the_ddpm_endpoints_and_the_same_total_noise_at_any_length():
    alphas = alphas_cumprod("linear", 1000)
    assert alphas[0] == pytest.approx(1 - 1e-4) and alphas[-1] == pytest.approx(4.04e-5, rel=0.02)  # DDPM's
    short = alphas_cumprod("linear", 200)
    assert short[0] == pytest.approx(1 - 5e-4) and math.log(short[-1]) == pytest.approx(math.log(alphas[-1]), rel=0.05)


@pytest.mark.parametrize("steps", [1, 7, 50])
def test_ddim_with_the_true_noise_follows_one_noise_down_to_the_clean_sample(steps):
    """A denoiser that knows the one clean sample x0 predicts the exact noise in x_t: DDIM (eta = 0) must then keep
    that noise along its whole path (each x_t = sqrt(ᾱ_t) x0 + sqrt(1 - ᾱ_t) ε for one ε) and end at x0."""
    alphas = alphas_cumprod("cosine", 50)
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-0.9, 0.9, (3, 4, 4, 1))
    seen = []

    def oracle(x_t, time):
        index = int(round(float(time[0, 0]) * 50)) - 1
        noise = (x_t - math.sqrt(alphas[index]) * x0) / math.sqrt(1 - alphas[index])
        seen.append((index, noise))
        return noise

    clean = ddim_sample(oracle, rng.standard_normal(x0.shape), alphas, steps)
    assert [index for index, _ in seen] == sampling_indices(50, steps) and seen[0][0] == 49
    assert len(seen) == steps and [i for i, _ in seen] == sorted((i for i, _ in seen), reverse=True)
    assert all(np.allclose(noise, seen[0][1], atol=1e-4) for _, noise in seen)
    np.testing.assert_allclose(clean, x0, atol=1e-5)


def recipe_lines(project) -> list[str]:
    return [line for line in settings_problems(project, data=False) if line.startswith("training.recipe")]


def test_denoiser_graphs_that_do_not_fit_get_one_message_per_node():
    assert recipe_lines(diffusion_project()) == []
    assert recipe_lines(diffusion_project(denoiser_graph(time_shape=(2,)))) == [
        "training.recipe: node 'time': the time step Input must have shape (1,) (t / T, one number per sample); "
        "it has (2,)"]
    assert recipe_lines(diffusion_project(denoiser_graph(channels=2))) == [
        "training.recipe: node 'noise': the predicted noise (8, 8, 2) must have the shape of the noisy sample "
        "(8, 8, 1) (Input 'image')"]
    graph = denoiser_graph()
    graph.disconnect(next(e for e in graph.edges if e.source == "time_reshape"))
    graph.connect("conv2d", "time_add", target_port=1)  # the time branch now leads nowhere
    lines = recipe_lines(diffusion_project(graph))
    assert "training.recipe: node 'noise': the predicted noise must depend on the time_input 'time'" in lines[0]
    assert recipe_lines(diffusion_project(time_input="conv2d")) == [
        "training.recipe: node 'conv2d': the time_input must be an Input block"]
    assert recipe_lines(diffusion_project(schedule="quadratic", beta_end=0.5))[0].startswith(
        "training.recipe.schedule: must be one of cosine, linear")
    assert recipe_lines(diffusion_project(beta_start=0.1, beta_end=0.01)) == [
        "training.recipe.beta_end: must be above beta_start (0.1) and below 1, with beta_start above 0; got 0.01"]


def test_the_whole_graph_plays_the_denoiser():
    project = diffusion_project()
    assert project_recipe(project).roles(project.graph) == {"denoiser": list(project.graph.nodes)}


@pytest.fixture(scope="module")
def trained_diffusion(tmp_path_factory):
    """A tiny denoiser trained 2 epochs on 256 digits."""
    project = diffusion_project()
    result = Trainer(project, run_dir=tmp_path_factory.mktemp("diffusion"), dataset=small(project)).run()
    return project, result


def test_ddpm_training_has_a_finite_falling_loss_and_records_the_data_range(trained_diffusion):
    project, result = trained_diffusion
    history = result.history
    assert all(math.isfinite(v) for key in ("loss", "val_loss") for v in history[key])
    assert history["loss"][1] < history["loss"][0] < 1.5  # the noise has unit variance: ~1 for a blind guess
    register_keras_objects()
    model = load_model(result.model_path)
    assert type(model).__name__ == "DiffusionModel" and model.data_range() == (0.0, 16.0)  # digits' pixels
    assert project_recipe(project).sample_range(model, None) == (0.0, 16.0)


def test_a_resumed_diffusion_run_is_exactly_the_uninterrupted_one(trained_diffusion, tmp_path):
    project, uninterrupted = trained_diffusion
    data = small(project)
    Trainer(project, run_dir=tmp_path, epochs=1, dataset=data).run()
    resumed = Trainer(project, run_dir=tmp_path, epochs=2, dataset=data, resume=True).run()
    assert resumed.history["loss"] == uninterrupted.history["loss"][1:]
    register_keras_objects()
    one, other = load_model(uninterrupted.model_path), load_model(resumed.model_path)
    assert all(np.array_equal(a, b) for a, b in zip(one.get_weights(), other.get_weights()))


def test_generate_draws_seeded_samples_in_the_datas_units_with_a_chosen_number_of_steps(trained_diffusion):
    project, result = trained_diffusion
    register_keras_objects()
    model, recipe = load_model(result.model_path), project_recipe(project)
    samples = recipe.generate(model, 5, seed=3)
    assert samples.shape == (5, 8, 8, 1) and samples.dtype == np.float32
    assert samples.min() >= 0 and samples.max() <= 16 and samples.std() > 0
    assert np.array_equal(recipe.generate(model, 5, seed=3), samples)
    assert not np.array_equal(recipe.generate(model, 5, seed=4), samples)
    assert not np.allclose(recipe.generate(model, 5, seed=3, steps=2), samples)  # another path, another sample


def test_export_writes_the_verified_denoiser_and_its_schedule_beside_it(trained_diffusion, tmp_path, capsys):
    project, result = trained_diffusion
    path = tmp_path / "diffusion.json"
    save_project(project, path)
    output = tmp_path / "d.tflite"
    assert main(["export", str(path), "--run", str(result.run_dir), "--format", "tflite", "-o", str(output),
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert report["weights"].endswith("its denoiser") and report["verified"] and report["max_abs_diff"] < 1e-4
    assert report["schedule_file"] == str(tmp_path / "d.schedule.json")
    schedule = json.loads((tmp_path / "d.schedule.json").read_text())
    assert schedule["timesteps"] == 50 and schedule["schedule"] == "cosine" and schedule["sampling_steps"] == 10
    assert schedule["alphas_cumprod"] == pytest.approx(list(alphas_cumprod("cosine", 50)), rel=1e-6)
    assert (schedule["data_low"], schedule["data_high"]) == (0.0, 16.0)
    # the schedule is refused like the model file: without --force nothing is replaced
    assert main(["export", str(path), "--run", str(result.run_dir), "--format", "keras",
                 "-o", str(tmp_path / "d.keras")]) == 1
    assert "d.schedule.json already exists" in capsys.readouterr().err and not (tmp_path / "d.keras").exists()


def test_sample_draws_a_grid_with_the_steps_asked_for_and_refuses_steps_elsewhere(trained_diffusion, tmp_path,
                                                                                    capsys):
    """`sample --steps N` runs N DDIM steps (another path, another grid); a recipe without steps refuses it."""
    project, result = trained_diffusion
    path = tmp_path / "diffusion.json"
    save_project(project, path)
    grids = {}
    for steps in (2, 3):
        out = tmp_path / f"grid{steps}.png"
        assert main(["sample", str(path), "--run", str(result.run_dir), "-n", "4", "--steps", str(steps),
                     "--zoom", "1", "-o", str(out), "--json"]) == 0
        facts = json.loads(capsys.readouterr().out.splitlines()[-1])
        assert facts["steps"] == steps and (facts["width"], facts["height"]) == (17, 17)  # 2 x 2 tiles, 1 px gap
        grids[steps] = out.read_bytes()
    assert grids[2] != grids[3]
    from builder.errors import LayerboardError
    from builder.training.recipes import decode_latents
    from recipe_projects import vae_project

    with pytest.raises(LayerboardError, match="--steps sets a diffusion model's sampling steps; the vae recipe"):
        decode_latents(vae_project(), None, 4, 0, steps=3)


@pytest.mark.parametrize("setting, value, words", [
    ("beta_end", None, "training.recipe.beta_end: must be a finite number of at least 0; got null"),
    ("timesteps", None, "training.recipe.timesteps: must be a whole number from 2 to 10,000; got null"),
    ("sampling_steps", 300, "training.recipe.sampling_steps: must be at most timesteps (50); got 300"),
])
def test_a_null_or_inconsistent_number_is_named_not_crashed_on(setting, value, words):
    project = diffusion_project(**{setting: value})
    assert recipe_lines(project) == [words]
