"""Keras model import: a saved .keras/.h5 model, loaded without running its code, as a project with its weights."""
from builder.importer.config_translation import comparable_config
from builder.importer.pipeline import ImportResult, import_model, project_from_model
from builder.importer.safe_loading import load_keras_file
from builder.importer.verification import compare_outputs

__all__ = [
    "ImportResult", "comparable_config", "compare_outputs", "import_model", "load_keras_file", "project_from_model",
]
