"""Diffusion projects for the recipe tests: a tiny denoiser on digits (image and time Inputs → predicted noise)."""
from __future__ import annotations

from builder.graph import Graph
from builder.project import DatasetRef, Project, TrainingConfig

DIFFUSION = {"name": "diffusion", "image_input": "image", "time_input": "time", "output": "noise",
             "timesteps": 50, "sampling_steps": 10}


def denoiser_graph(time_shape=(1,), channels: int = 1) -> Graph:
    """Input 'image' (8x8x1) → Conv2D, plus Input 'time' → Dense → Reshape (1, 1, 8), added (broadcast) → Conv2D
    'noise' with `channels` channels."""
    graph = Graph()
    graph.add_node("Input", {"shape": [8, 8, 1]}, node_id="image")
    graph.add_node("Input", {"shape": list(time_shape)}, node_id="time")
    graph.add_node("Dense", {"units": 8, "activation": "swish"}, node_id="time_dense")
    graph.add_node("Reshape", {"target_shape": [1, 1, 8]}, node_id="time_reshape")
    graph.add_node("Conv2D", {"filters": 8, "kernel_size": [3, 3], "padding": "same", "activation": "swish"},
                   node_id="conv2d")
    graph.add_node("Add", {}, node_id="time_add")
    graph.add_node("Conv2D", {"filters": channels, "kernel_size": [3, 3], "padding": "same"}, node_id="noise")
    for source, target, port in [("time", "time_dense", 0), ("time_dense", "time_reshape", 0),
                                 ("image", "conv2d", 0), ("conv2d", "time_add", 0), ("time_reshape", "time_add", 1),
                                 ("time_add", "noise", 0)]:
        graph.connect(source, target, target_port=port)
    return graph


def diffusion_project(graph: Graph | None = None, epochs: int = 2, **recipe) -> Project:
    training = TrainingConfig(epochs=epochs, tensorboard=False, metrics=[], learning_rate=0.003,
                              recipe={**DIFFUSION, **recipe})
    return Project(graph=graph or denoiser_graph(), dataset=DatasetRef(name="digits"), name="diffusion",
                   training=training)
