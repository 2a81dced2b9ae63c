"""GAN projects for the GAN recipe's tests: a small dense GAN on digits (generator: noise → Dense → tanh pixels →
8x8x1; discriminator: Input → Rescaling to -1..1 → Dense → LeakyReLU → Dropout → one logit) and its recipe spec."""
from __future__ import annotations

from builder.graph import Graph
from builder.project import DatasetRef, Project, TrainingConfig

GAN = {"name": "gan", "noise_input": "noise", "generator_output": "fake", "discriminator_output": "logit",
       "real": "rescaling"}
NOISE = 8


def gan_graph(fake_shape=(8, 8, 1), logit_units: int = 1) -> Graph:
    """noise (8,) → dense_g → pixels (tanh) → fake; image → rescaling (-1..1) → flatten → dense_d → leaky_re_lu →
    dropout → logit."""
    graph = Graph()
    graph.add_node("Input", {"shape": [NOISE]}, node_id="noise")
    graph.add_node("Dense", {"units": 32, "activation": "relu"}, node_id="dense_g")
    size = 1
    for d in fake_shape:
        size *= d
    graph.add_node("Dense", {"units": size, "activation": "tanh"}, node_id="pixels")
    graph.add_node("Reshape", {"target_shape": list(fake_shape)}, node_id="fake")
    graph.add_node("Input", {"shape": [8, 8, 1]}, node_id="image")
    graph.add_node("Rescaling", {"scale": 0.125, "offset": -1.0}, node_id="rescaling")
    graph.add_node("Flatten", {}, node_id="flatten")
    graph.add_node("Dense", {"units": 32}, node_id="dense_d")
    graph.add_node("LeakyReLU", {"negative_slope": 0.2}, node_id="leaky_re_lu")
    graph.add_node("Dropout", {"rate": 0.2}, node_id="dropout")
    graph.add_node("Dense", {"units": logit_units}, node_id="logit")
    for source, target in [("noise", "dense_g"), ("dense_g", "pixels"), ("pixels", "fake"), ("image", "rescaling"),
                           ("rescaling", "flatten"), ("flatten", "dense_d"), ("dense_d", "leaky_re_lu"),
                           ("leaky_re_lu", "dropout"), ("dropout", "logit")]:
        graph.connect(source, target)
    return graph


def gan_project(graph: Graph | None = None, epochs: int = 2, learning_rate: float = 0.005, **recipe) -> Project:
    training = TrainingConfig(epochs=epochs, tensorboard=False, metrics=[], learning_rate=learning_rate,
                              optimizer={"class_name": "Adam", "config": {"beta_1": 0.5}}, batch_size=16,
                              recipe={**GAN, "discriminator_learning_rate": learning_rate, **recipe})
    return Project(graph=graph or gan_graph(), dataset=DatasetRef(name="digits"), name="gan", training=training)
