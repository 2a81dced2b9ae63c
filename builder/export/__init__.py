"""Export: model files verified in a fresh process, Python scripts, and the per-block TFLite checker.

Nothing here imports Keras or TensorFlow when imported (the window imports it at start-up); an export does.
"""
from builder.export.compatibility import (CACHE_VERSION, BlockCompatibility, CheckCancelled, CompatibilityChecker,
                                          cache_key, check_project)
from builder.export.pipeline import FORMATS, IO_TYPES, QUANTIZATIONS, TOLERANCE, ExportOptions, export_model
from builder.export.python_code import python_source, write_python
from builder.export.recipe_export import ProjectExport, existing_targets, export_project_model
from builder.export.report import ExportReport
from builder.export.tflite_metadata import read_metadata

__all__ = [
    "CACHE_VERSION", "FORMATS", "IO_TYPES", "QUANTIZATIONS", "TOLERANCE", "BlockCompatibility", "CheckCancelled",
    "CompatibilityChecker", "ExportOptions", "ExportReport", "cache_key", "check_project", "export_model",
    "python_source", "read_metadata", "write_python",
    # a project's trained model (its recipe's part) with the recipe's companion files beside it:
    "ProjectExport", "existing_targets", "export_project_model",
]
