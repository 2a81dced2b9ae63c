"""The autoencoder recipe: the graph (one Input → ... → bottleneck → ... → output) learns to reproduce its input
(mean squared error against the input). Its encoder (input → bottleneck) is a part of its own."""
from __future__ import annotations

from dataclasses import replace

from builder.training.recipes.recipe import Recipe, RecipeSetting, node_shape, reaching, shape_text


class AutoencoderRecipe(Recipe):
    part_names = ("encoder",)
    name = "autoencoder"
    settings = (
        RecipeSetting("bottleneck", None, "the node whose output is the code (the encoder ends there)", node=True),
        RecipeSetting("output", "", "the reconstruction node (empty: the graph's one output)", node=True),
    )

    def output_node(self, graph) -> str | None:
        if self["output"]:
            return self["output"]
        outputs = graph.output_nodes()
        return outputs[0] if len(outputs) == 1 else None

    @classmethod
    def spec_problems(cls, spec, graph) -> list[str]:
        spec = {**spec, "output": spec.get("output") or None}
        problems = super().spec_problems(spec, graph)
        if not spec.get("output") and graph is not None and len(graph.output_nodes()) != 1:
            problems.append("training.recipe.output: the graph has several outputs; name the reconstruction node")
        return problems

    def graph_problems(self, graph, report) -> list[str]:
        inputs = graph.input_nodes()
        if len(inputs) != 1:
            return [f"node '{i}': an autoencoder reads one Input; the graph has {len(inputs)}" for i in inputs]
        output = self.output_node(graph)
        want, got = node_shape(report, inputs[0]), node_shape(report, output)
        if want is not None and got is not None and want != got:
            return [f"node '{output}': its output {shape_text(got)} must have the input's shape {shape_text(want)} "
                    f"(Input '{inputs[0]}'): it reconstructs the input"]
        return []

    def build_model(self, project):
        import keras

        from builder.model import build_model

        whole = build_model(project.graph, name=project.name, folder=project.folder())
        output = self.output_node(project.graph)
        inputs = whole.get_layer(self.input_node(project.graph)).output
        return keras.Model(inputs, whole.get_layer(output).output, name=project.name)

    def compile_arguments(self, project) -> dict:
        return {"loss": "mean_squared_error"}

    def fit_dataset(self, dataset):
        """The targets are the inputs themselves."""
        return replace(dataset, y_train=dataset.x_train, y_val=dataset.x_val, y_test=dataset.x_test)

    def roles(self, graph) -> dict[str, list[str]]:
        """encoder: what computes the bottleneck; decoder: the rest, up to the reconstruction."""
        if self["bottleneck"] not in graph.nodes:
            return {}
        encoder = reaching(graph, [self["bottleneck"]])
        return {"encoder": encoder, "decoder": [n for n in graph.nodes if n not in encoder]}

    def parts(self, model) -> dict:
        import keras

        code = model.get_layer(self["bottleneck"]).output
        return {"encoder": keras.Model(model.inputs, code, name="encoder")}
