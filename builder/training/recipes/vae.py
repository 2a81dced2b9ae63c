"""The variational autoencoder recipe. One project graph holds both halves: the encoder (an Input → ... → two
Dense nodes of the latent size, the mean and the log-variance) and the decoder (a second Input of shape (latent,)
→ ... → the reconstruction, of the shape it is compared with). Training samples z = mean + exp(log_var / 2) · ε
and minimises reconstruction + kl_weight · KL (see vae_model). The decoder is the generating part.

The reconstruction is compared with `target`: the encoder's Input by default, or a node on the encoder side (a
Rescaling that maps pixels into 0..1, so a sigmoid decoder and binary cross-entropy fit).
"""
from __future__ import annotations

import numpy as np

from builder.training.recipes.recipe import (
    RANGE_SAMPLES, Recipe, RecipeSetting, held_out, node_shape, number_at_least, one_of, other_input, reachable_from,
    shape_text, value_span, whole_at_least,
)

SQUARED_ERROR = "squared_error"
BINARY_CROSSENTROPY = "binary_crossentropy"


class VaeRecipe(Recipe):
    part_names = ("encoder", "decoder")
    name = "vae"
    can_generate = True
    default_part = "decoder"
    settings = (
        RecipeSetting("mean", None, "the encoder's Dense node giving the latent mean", node=True),
        RecipeSetting("log_var", None, "the encoder's Dense node giving the latent log-variance", node=True),
        RecipeSetting("decoder_input", None, "the decoder's Input node, of shape (latent size,)", node=True),
        RecipeSetting("output", None, "the decoder's reconstruction node", node=True),
        RecipeSetting("target", "", "the node the reconstruction is compared with (empty: the encoder's Input)",
                      node=True),
        RecipeSetting("kl_weight", 1.0, "how much the KL term counts", check=number_at_least(0)),
        RecipeSetting("kl_warmup_epochs", 0, "epochs over which the KL weight rises linearly from 0",
                      check=whole_at_least(0)),
        RecipeSetting("reconstruction_loss", SQUARED_ERROR, "per-sample sum of squared errors, or of binary "
                      "cross-entropy (targets and outputs in 0..1)", check=one_of(SQUARED_ERROR, BINARY_CROSSENTROPY)),
    )

    @classmethod
    def spec_problems(cls, spec, graph) -> list[str]:
        return super().spec_problems({**spec, "target": spec.get("target") or None}, graph)

    def layers_model(self, model):
        return model.encoder  # the Input the dataset feeds, and the blocks after it

    def input_node(self, graph) -> str | None:
        return other_input(graph, self["decoder_input"])

    def target_node(self, graph) -> str | None:
        return self["target"] or self.input_node(graph)

    def graph_problems(self, graph, report) -> list[str]:
        problems = []
        mean, log_var, latent, output = self["mean"], self["log_var"], self["decoder_input"], self["output"]
        inputs = graph.input_nodes()
        if graph.nodes[latent].type != "Input":
            problems.append(f"node '{latent}': the decoder_input must be an Input block (the latent vector)")
        if len(inputs) != 2 or latent not in inputs:
            problems.append(f"node '{latent}': a VAE graph has two Inputs, the encoder's and the decoder's "
                            f"('{latent}'); it has {len(inputs)} ({', '.join(inputs)})")
            return problems
        mean_shape, var_shape = node_shape(report, mean), node_shape(report, log_var)
        if mean_shape is not None and var_shape is not None and mean_shape != var_shape:
            problems.append(f"node '{log_var}': its output {shape_text(var_shape)} must have the mean's shape "
                            f"{shape_text(mean_shape)} (node '{mean}')")
        latent_shape = node_shape(report, latent)
        if mean_shape is not None and latent_shape is not None and latent_shape != mean_shape:
            problems.append(f"node '{latent}': the decoder's Input has shape {shape_text(latent_shape)} but the "
                            f"latent vector (node '{mean}') is {shape_text(mean_shape)}; give it that shape")
        target = self.target_node(graph)
        want, got = node_shape(report, target), node_shape(report, output)
        if want is not None and got is not None and want != got:
            problems.append(f"node '{output}': the reconstruction {shape_text(got)} must have the shape of what it "
                            f"reconstructs {shape_text(want)} (node '{target}')")
        return problems

    def build_model(self, project):
        import keras

        from builder.model import build_model
        from builder.training.recipes.vae_model import VariationalAutoencoder

        graph = project.graph
        whole = build_model(graph, name=project.name, folder=project.folder())

        def out(node_id):
            return whole.get_layer(node_id).output

        encoder = keras.Model(out(self.input_node(graph)),
                              [out(self["mean"]), out(self["log_var"]), out(self.target_node(graph))], name="encoder")
        decoder = keras.Model(out(self["decoder_input"]), out(self["output"]), name="decoder")
        model = VariationalAutoencoder(encoder, decoder, kl_weight=float(self["kl_weight"]),
                                       kl_warmup_epochs=int(self["kl_warmup_epochs"]),
                                       reconstruction_loss=self["reconstruction_loss"],
                                       seed=int(project.training.seed), name=project.name)
        model.build(encoder.inputs[0].shape)
        return model

    def fit_dataset(self, dataset):
        """The model computes its loss from its input: y is a placeholder Keras carries along."""
        return self.placeholder_targets(dataset)

    def callbacks(self, model) -> list:
        from builder.training.recipes.vae_model import KlWarmup

        return [KlWarmup()]

    def parts(self, model) -> dict:
        return {"encoder": model.encoder, "decoder": model.decoder}

    def sample_range(self, model, dataset) -> tuple[float, float]:
        """The range of what the decoder learnt to reproduce: the encoder's target over validation samples."""
        x = held_out(dataset)[0][:RANGE_SAMPLES]
        return value_span(model.encoder.predict(np.asarray(x, "float32"), verbose=0)[-1])

    def roles(self, graph) -> dict[str, list[str]]:
        """encoder: what the encoder's Input reaches; decoder: what the decoder's Input reaches."""
        latent = self["decoder_input"]
        if latent not in graph.nodes:
            return {}
        decoder = reachable_from(graph, [latent])
        encoder = [n for n in reachable_from(graph, [self.input_node(graph)] if self.input_node(graph) else [])
                   if n not in decoder]
        return {"encoder": encoder, "decoder": decoder}
