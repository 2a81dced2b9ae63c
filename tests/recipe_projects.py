"""Recipe projects for the recipe tests: a small VAE and autoencoder on digits, and a 256-sample subset to train on."""
from __future__ import annotations

from dataclasses import replace

from builder.data import load_project_dataset
from builder.graph import Graph
from builder.project import DatasetRef, Project, TrainingConfig

VAE = {"name": "vae", "mean": "z_mean", "log_var": "z_log_var", "decoder_input": "latent", "output": "reconstruction",
       "target": "rescaling", "reconstruction_loss": "binary_crossentropy", "kl_warmup_epochs": 2}
SUBSET = 256


def vae_graph(latent: int = 2, decoder_latent: int | None = None, image=(8, 8, 1), normalize: bool = False) -> Graph:
    """Input 'image' → Rescaling 1/16 → Dense → z_mean, z_log_var; Input 'latent' → Dense → sigmoid pixels →
    'reconstruction' of the image's shape."""
    graph = Graph()
    graph.add_node("Input", {"shape": list(image)}, node_id="image")
    if normalize:  # a Normalization the trainer adapts to the training split (kept under the id 'rescaling')
        graph.add_node("Normalization", {}, node_id="rescaling")
    else:
        graph.add_node("Rescaling", {"scale": 1 / 16}, node_id="rescaling")
    graph.add_node("Flatten", {}, node_id="flatten")
    graph.add_node("Dense", {"units": 32, "activation": "relu"}, node_id="dense_1")
    graph.add_node("Dense", {"units": latent}, node_id="z_mean")
    graph.add_node("Dense", {"units": latent}, node_id="z_log_var")
    graph.add_node("Input", {"shape": [decoder_latent or latent]}, node_id="latent")
    graph.add_node("Dense", {"units": 32, "activation": "relu"}, node_id="dense_2")
    graph.add_node("Dense", {"units": 64, "activation": "sigmoid"}, node_id="pixels")
    graph.add_node("Reshape", {"target_shape": [8, 8, 1]}, node_id="reconstruction")
    for source, target in [("image", "rescaling"), ("rescaling", "flatten"), ("flatten", "dense_1"),
                           ("dense_1", "z_mean"), ("dense_1", "z_log_var"), ("latent", "dense_2"),
                           ("dense_2", "pixels"), ("pixels", "reconstruction")]:
        graph.connect(source, target)
    return graph


def vae_project(graph: Graph | None = None, **recipe) -> Project:
    training = TrainingConfig(epochs=2, tensorboard=False, metrics=[], recipe={**VAE, **recipe})
    return Project(graph=graph or vae_graph(), dataset=DatasetRef(name="digits"), name="vae", training=training)


def autoencoder_project(units: int = 64) -> Project:
    graph = Graph()
    graph.add_node("Input", {"shape": [8, 8, 1]}, node_id="image")
    graph.add_node("Flatten", {}, node_id="flatten")
    graph.add_node("Dense", {"units": 4, "activation": "relu"}, node_id="bottleneck")
    graph.add_node("Dense", {"units": units}, node_id="pixels")
    graph.add_node("Reshape", {"target_shape": [8, 8, 1]} if units == 64 else {"target_shape": [units]},
                   node_id="reconstruction")
    for source, target in [("image", "flatten"), ("flatten", "bottleneck"), ("bottleneck", "pixels"),
                           ("pixels", "reconstruction")]:
        graph.connect(source, target)
    training = TrainingConfig(epochs=1, tensorboard=False, metrics=[],
                              recipe={"name": "autoencoder", "bottleneck": "bottleneck"})
    return Project(graph=graph, dataset=DatasetRef(name="digits"), name="ae", training=training)


def small(project: Project):
    data = load_project_dataset(project)
    return replace(data, x_train=data.x_train[:SUBSET], y_train=data.y_train[:SUBSET],
                   x_val=data.x_val[:64], y_val=data.y_val[:64])
