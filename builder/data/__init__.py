"""Datasets: their records, sources (built-in, generated, files, online), splits, checks, augmentation, tf.data.

Nothing here imports Keras or TensorFlow when imported; a loader or pipeline imports them when it needs them.
"""
from builder.data.augmentation import (
    Augmenter, build_augmenter, categorical_loss_name, known_augmentations, needs_one_hot,
)
from builder.data.builtin_sources import SOURCES, Source, dataset_names, source
from builder.data.checks import DatasetMismatch, check_against_dataset, dataset_problems_text
from builder.data.file_contents import ArrayEntry, FileContents, file_contents, guess_array_options
from builder.data.file_sources import FILE_KINDS
from builder.data.fixes import DatasetFix, ParamChange, combine_fixes, suggest_fixes
from builder.data.lazy_array import LazyArray, is_lazy, length, take
from builder.data.loading import all_dataset_names, describe, load_dataset, load_project_dataset, load_raw
from builder.data.online_sources import ONLINE_SETS, cache_paths, keras_cache_dir
from builder.data.records import (CLASSES, REGRESSION, BadFile, Dataset, DatasetInfo, Preview, RawData, as_arrays,
                                  first_array)
from builder.data.splits import split, split_indices
from builder.data.summary import DatasetSummary, class_counts, preview_kind, summarize
from builder.data.tf_pipeline import (
    evaluation_pipeline, fits_in_memory, make_pipeline, nbytes, prefetch_to_accelerator, total_memory,
    train_and_validation,
)

__all__ = [
    "ArrayEntry", "Augmenter", "BadFile", "CLASSES", "as_arrays", "first_array", "Dataset", "DatasetFix", "DatasetInfo", "DatasetMismatch",
    "DatasetSummary", "FILE_KINDS", "FileContents", "LazyArray", "ONLINE_SETS", "ParamChange", "Preview",
    "REGRESSION", "RawData", "SOURCES", "Source", "all_dataset_names", "build_augmenter", "cache_paths",
    "categorical_loss_name", "check_against_dataset", "class_counts", "combine_fixes", "dataset_names",
    "dataset_problems_text", "describe", "evaluation_pipeline", "file_contents", "fits_in_memory",
    "guess_array_options", "is_lazy", "keras_cache_dir", "known_augmentations", "length", "load_dataset",
    "load_project_dataset", "load_raw", "make_pipeline", "nbytes", "needs_one_hot", "prefetch_to_accelerator", "preview_kind", "source",
    "split", "split_indices", "suggest_fixes", "summarize", "take", "total_memory", "train_and_validation",
]
