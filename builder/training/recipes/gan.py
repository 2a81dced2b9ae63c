"""The GAN recipe. One project graph holds both networks: the generator (a noise Input of shape (latent,) → ... →
`generator_output`, a fake sample) and the discriminator (a second Input, the one the dataset feeds → ... →
`discriminator_output`, one logit per sample: above 0 says "real"). Training alternates their updates (see
gan_model): `discriminator_steps` discriminator updates, then one generator update, each with its own optimizer.

The real samples may pass through preprocessing before the discriminator proper: the nodes from the dataset's
Input up to `real` (a Rescaling that maps digits' 0..16 to -1..1, so a tanh generator fits). The discriminator
proper is what follows `real`; it reads real samples from `real` and fakes from the generator, so the generator's
output must have `real`'s shape (empty `real`: the Input itself, the raw samples).

Optimizers: the generator's is the engine's (training.optimizer, learning_rate, schedule and live changes; a
DCGAN sets {"class_name": "Adam", "config": {"beta_1": 0.5}} and 0.0002); the discriminator's is a copy of it at
`discriminator_learning_rate`, which follows the generator's schedule and live changes in proportion.

Losses: the non-saturating GAN losses of logits by default (binary cross-entropy; `label_smoothing` softens the
real label to 1 - s), or with `gradient_penalty` > 0 the WGAN-GP losses (see gan_model).
"""
from __future__ import annotations

import numpy as np

from builder.training.recipes.recipe import (
    RANGE_SAMPLES, Recipe, RecipeSetting, below_one, held_out, node_shape, other_input, number_at_least, positive,
    reachable_from, reaching, shape_text, value_span, whole_between,
)


class GanRecipe(Recipe):
    part_names = ("generator", "discriminator")
    name = "gan"
    can_generate = True
    default_part = "generator"
    settings = (
        RecipeSetting("noise_input", None, "the generator's Input node, of shape (latent size,): the noise",
                      node=True),
        RecipeSetting("generator_output", None, "the generator's last node: a fake sample", node=True),
        RecipeSetting("discriminator_output", None, "the discriminator's last node: one logit per sample, shape (1,) "
                      "(no sigmoid)", node=True),
        RecipeSetting("real", "", "the node the real samples pass through before the discriminator proper (a "
                      "Rescaling to -1..1; empty: the dataset's Input): the generator's output takes its shape",
                      node=True),
        RecipeSetting("discriminator_learning_rate", 0.0002, "the discriminator's learning rate (it follows the "
                      "generator's schedule in proportion)", check=positive),
        RecipeSetting("discriminator_steps", 1, "discriminator updates before each generator update (each one is "
                      "unrolled into the compiled step)", check=whole_between(1, 20)),
        RecipeSetting("gradient_penalty", 0.0, "0: non-saturating GAN losses; above 0: WGAN-GP losses with this "
                      "weight of the gradient penalty", check=number_at_least(0)),
        RecipeSetting("label_smoothing", 0.0, "one-sided: the real samples' label is 1 - this (GAN losses only)",
                      check=below_one),
    )

    @classmethod
    def spec_problems(cls, spec, graph) -> list[str]:
        return super().spec_problems({**spec, "real": spec.get("real") or None}, graph)  # empty: the Input

    # --- the graph's parts (no Keras) -------------------------------------------------------------------------

    def input_node(self, graph) -> str | None:
        return other_input(graph, self["noise_input"])

    def real_node(self, graph) -> str | None:
        return self["real"] or self.input_node(graph)

    def graph_problems(self, graph, report) -> list[str]:
        noise, fake, logit = self["noise_input"], self["generator_output"], self["discriminator_output"]
        inputs = graph.input_nodes()
        if graph.nodes[noise].type != "Input":
            return [f"node '{noise}': the noise_input must be an Input block (the generator's noise vector)"]
        if len(inputs) != 2 or noise not in inputs:
            return [f"node '{noise}': a GAN graph has two Inputs, the discriminator's (the dataset's samples) and "
                    f"the generator's noise ('{noise}'); it has {len(inputs)} ({', '.join(inputs)})"]
        data, real = self.input_node(graph), self.real_node(graph)
        generator, discriminator = reachable_from(graph, [noise]), reachable_from(graph, [data])
        shared = {n for n in generator if n in discriminator}
        meeting = [n for n in generator if n in shared  # where the two graphs meet: a shared node fed from outside
                   and any(e.source not in shared for e in graph.edges if e.target == n)]
        if meeting:
            return [f"node '{meeting[0]}': it reads both the noise Input '{noise}' and the dataset's Input '{data}'; "
                    "the generator and the discriminator are separate graphs (the recipe feeds the generator's "
                    "samples to the discriminator)"]
        problems = []
        if fake not in generator:
            problems.append(f"node '{fake}': the generator_output must be computed from the noise Input '{noise}'")
        if real not in discriminator:
            problems.append(f"node '{real}': the real node must be computed from the dataset's Input '{data}'")
        elif logit not in reachable_from(graph, [real]):
            problems.append(f"node '{logit}': the discriminator_output must be computed from the real node "
                            f"'{real}' (or the dataset's Input '{data}')")
        else:
            around = set(reaching(graph, [real])) | set(reachable_from(graph, [real]))
            bypass = [n for n in reaching(graph, [logit]) if n not in around]
            if bypass:
                problems.append(f"node '{bypass[0]}': it feeds the discriminator around the real node '{real}'; "
                                f"every path from the dataset's Input to '{logit}' must pass through '{real}'")
        got = node_shape(report, logit)
        if got is not None and got != (1,):
            problems.append(f"node '{logit}': the discriminator gives {shape_text(got)} per sample but must give one "
                            "logit, (1,): end it with Dense(1) and no activation")
        want, made = node_shape(report, real), node_shape(report, fake)
        if want is not None and made is not None and want != made:
            problems.append(f"node '{fake}': the generator makes {shape_text(made)} but the discriminator takes "
                            f"{shape_text(want)} (node '{real}'); give the generator's output that shape")
        return problems

    def roles(self, graph) -> dict[str, list[str]]:
        """generator: what the noise Input reaches; discriminator: what the dataset's Input reaches."""
        noise = self["noise_input"]
        if noise not in graph.nodes:
            return {}
        generator = reachable_from(graph, [noise])
        data = self.input_node(graph)
        discriminator = [n for n in reachable_from(graph, [data] if data else []) if n not in generator]
        return {"generator": generator, "discriminator": discriminator}

    # --- building (imports Keras) -------------------------------------------------------------------------------

    def build_model(self, project):
        import keras

        from builder.model import build_model
        from builder.training.recipes.gan_model import GenerativeAdversarialNetwork

        graph = project.graph
        whole = build_model(graph, name=project.name, folder=project.folder())

        def out(node_id):
            return whole.get_layer(node_id).output

        data, real = self.input_node(graph), self.real_node(graph)
        generator = keras.Model(out(self["noise_input"]), out(self["generator_output"]), name="generator")
        preprocessing = keras.Model(out(data), out(real), name="preprocessing")
        discriminator = keras.Model(out(real), out(self["discriminator_output"]), name="discriminator")
        model = GenerativeAdversarialNetwork(
            generator, discriminator, preprocessing,
            discriminator_learning_rate=float(self["discriminator_learning_rate"]),
            learning_rate=float(project.training.learning_rate),
            discriminator_steps=int(self["discriminator_steps"]),
            gradient_penalty=float(self["gradient_penalty"]), label_smoothing=float(self["label_smoothing"]),
            seed=int(project.training.seed), name=project.name)
        model.build(preprocessing.inputs[0].shape)
        return model

    def layers_model(self, model):
        """A Normalization right after the dataset's Input: in the preprocessing, or (no `real`) the discriminator."""
        return model.preprocessing if model.preprocessing.layers[1:] else model.discriminator

    def fit_dataset(self, dataset):
        """The model computes its losses from its input: y is a placeholder Keras carries along."""
        return self.placeholder_targets(dataset)

    def parts(self, model) -> dict:
        return {"generator": model.generator, "discriminator": model.discriminator}

    def generator(self, model):
        return model.generator

    def sample_range(self, model, dataset) -> tuple[float, float]:
        """The range of the real samples as the discriminator sees them (after the preprocessing up to `real`)."""
        x = held_out(dataset)[0][:RANGE_SAMPLES]
        return value_span(model.preprocessing.predict(np.asarray(x, "float32"), verbose=0))
