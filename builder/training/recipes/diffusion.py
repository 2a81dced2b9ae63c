"""The diffusion recipe: the project's graph is a denoiser with two Inputs, the noisy sample x_t (of the dataset's
sample shape) and the time step t / T (shape (1,)), ending at one node that predicts the noise in x_t (x_t's shape).

Training is DDPM (see diffusion_model): the dataset's clean samples are mapped from their training range to -1..1,
noised at a random step of the schedule (linear or cosine over `timesteps` steps, see diffusion_schedule) and the
denoiser learns the noise (mean squared error). Sampling is deterministic DDIM in `sampling_steps` steps from N(0, 1)
noise. The denoiser is the part that ships; `export` writes the schedule beside it (<name>.schedule.json).
"""
from __future__ import annotations

import json

from builder.training.recipes.diffusion_schedule import COSINE, LINEAR, alphas_cumprod
from builder.errors import LayerboardError
from builder.training.recipes.recipe import (
    Recipe, RecipeSetting, node_shape, number_at_least, one_of, reaching, shape_text, whole_between,
)

SCHEDULE_SUFFIX = ".schedule.json"  # the noise schedule beside an exported denoiser


class DiffusionRecipe(Recipe):
    name = "diffusion"
    can_generate = True
    takes_steps = True
    default_part = "denoiser"
    part_names = ("denoiser",)
    settings = (
        RecipeSetting("image_input", None, "the denoiser's Input of the noisy sample (the dataset's sample shape)",
                      node=True),
        RecipeSetting("time_input", None, "the denoiser's Input of the time step t / T, of shape (1,)", node=True),
        RecipeSetting("output", None, "the node that predicts the noise (the noisy sample's shape)", node=True),
        RecipeSetting("schedule", COSINE, "the noise schedule: cosine (Nichol & Dhariwal) or linear (DDPM)",
                      check=one_of(COSINE, LINEAR)),
        RecipeSetting("timesteps", 200, "T, the number of noising steps", check=whole_between(2, 10_000)),
        RecipeSetting("sampling_steps", 50, "DDIM steps when sampling (at most T)",
                      check=whole_between(1, 10_000)),
        RecipeSetting("beta_start", 1e-4, "linear schedule: the first step's noise variance β (at T = 1000; "
                      "scaled by 1000 / T)", check=number_at_least(0)),
        RecipeSetting("beta_end", 0.02, "linear schedule: the last step's β (at T = 1000; scaled by 1000 / T)",
                      check=number_at_least(0)),
    )

    @classmethod
    def spec_problems(cls, spec, graph) -> list[str]:
        problems = super().spec_problems(spec, graph)
        start, end = spec.get("beta_start", 1e-4), spec.get("beta_end", 0.02)
        steps, timesteps = spec.get("sampling_steps", 50), spec.get("timesteps", 200)
        if not problems and steps > timesteps:
            problems.append(f"training.recipe.sampling_steps: must be at most timesteps ({timesteps}); got {steps}")
        if not problems and not 0 < start < end < 1:
            problems.append(f"training.recipe.beta_end: must be above beta_start ({start}) and below 1, with "
                            f"beta_start above 0; got {end}")
        return problems

    def input_node(self, graph) -> str | None:
        return self["image_input"]

    def layers_model(self, model):
        return model.denoiser

    def alphas_cumprod(self):
        """ᾱ for steps 1..T of the spec's schedule (numpy)."""
        return alphas_cumprod(self["schedule"], int(self["timesteps"]), float(self["beta_start"]),
                              float(self["beta_end"]))

    def graph_problems(self, graph, report) -> list[str]:
        image, time, output = self["image_input"], self["time_input"], self["output"]
        problems = [f"node '{node}': the {key} must be an Input block" for key, node in
                    (("image_input", image), ("time_input", time)) if graph.nodes[node].type != "Input"]
        if image == time:
            problems.append(f"node '{time}': the time_input must be a second Input, not the image_input")
        if problems:
            return problems
        inputs = graph.input_nodes()
        if sorted(inputs) != sorted([image, time]):
            problems.append(f"node '{time}': a diffusion graph has two Inputs, the noisy sample's ('{image}') and "
                            f"the time step's ('{time}'); it has {len(inputs)} ({', '.join(inputs)})")
            return problems
        time_shape = node_shape(report, time)
        if time_shape is not None and time_shape != (1,):
            problems.append(f"node '{time}': the time step Input must have shape (1,) (t / T, one number per "
                            f"sample); it has {shape_text(time_shape)}")
        want, got = node_shape(report, image), node_shape(report, output)
        if want is not None and got is not None and want != got:
            problems.append(f"node '{output}': the predicted noise {shape_text(got)} must have the shape of the "
                            f"noisy sample {shape_text(want)} (Input '{image}')")
        feeding = reaching(graph, [output])
        for key, node in (("image_input", image), ("time_input", time)):
            if node not in feeding:
                problems.append(f"node '{output}': the predicted noise must depend on the {key} '{node}'; wire "
                                f"'{node}' into the denoiser")
        return problems

    def build_model(self, project):
        import keras

        from builder.model import build_model
        from builder.training.recipes.diffusion_model import DiffusionModel

        whole = build_model(project.graph, name=project.name, folder=project.folder())

        def out(node_id):
            return whole.get_layer(node_id).output

        denoiser = keras.Model([out(self["image_input"]), out(self["time_input"])], out(self["output"]),
                               name="denoiser")
        model = DiffusionModel(denoiser, self.alphas_cumprod(), schedule=self["schedule"],
                               sampling_steps=int(self["sampling_steps"]), seed=int(project.training.seed),
                               name=project.name)
        model.build(denoiser.inputs[0].shape)
        return model

    def fit_dataset(self, dataset):
        """The model noises its input and computes its loss from it: y is a placeholder (as for a VAE). The
        training split's range is kept for DataRange (callbacks)."""
        import numpy as np

        x = np.asarray(dataset.x_train, "float32")
        self.training_range = (float(np.min(x)), float(np.max(x))) if len(x) else None
        return self.placeholder_targets(dataset)

    def callbacks(self, model) -> list:
        from builder.training.recipes.diffusion_model import DataRange

        return [DataRange(lambda: getattr(self, "training_range", None))]

    def parts(self, model) -> dict:
        return {"denoiser": model.denoiser}

    companion_suffixes = (SCHEDULE_SUFFIX,)

    def companion_files(self, model) -> dict[str, str]:
        """The noise schedule (ᾱ of every step, the data range, the sampling steps) as NAME.schedule.json: what an
        app needs to sample with the exported denoiser."""
        return {SCHEDULE_SUFFIX: json.dumps(model.schedule_facts(), indent=2) + "\n"}

    def generator(self, model):
        """The denoiser (what `sample` checks is there); generate() runs the sampler around it."""
        return model.denoiser

    def generate(self, model, count: int, seed: int, steps: int | None = None):
        """`count` samples by DDIM in `steps` steps (default: the spec's sampling_steps), in the data's units."""
        steps = steps or int(self["sampling_steps"])
        if steps > model.timesteps:
            raise LayerboardError(f"sampling steps: at most the schedule's {model.timesteps} steps (its timesteps); "
                                  f"got {steps}")
        return model.generate(count, seed, steps)

    def sample_range(self, model, dataset) -> tuple[float, float]:
        """The training split's range, recorded in the model: generated samples are mapped back into it."""
        return model.data_range()

    def roles(self, graph) -> dict[str, list[str]]:
        """denoiser: every node of the graph (the whole graph is the denoiser)."""
        if self["output"] not in graph.nodes:
            return {}
        return {"denoiser": list(graph.nodes)}

