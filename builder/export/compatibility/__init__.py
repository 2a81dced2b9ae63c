"""The per-block TFLite checker: which blocks convert, answered by a worker process and cached on disk."""
from builder.export.compatibility.answer_cache import (CACHE_FILE, CACHE_VERSION, cache_key, default_cache_path,
                                                       tf_version)
from builder.export.compatibility.checker import (STATUSES, TARGETS, BlockCompatibility, CheckCancelled,
                                                  CompatibilityChecker, check_block, check_project, default_checker)
from builder.export.compatibility.worker_client import BLOCK_TIMEOUT_S

__all__ = [
    "BLOCK_TIMEOUT_S", "CACHE_FILE", "CACHE_VERSION", "STATUSES", "TARGETS", "BlockCompatibility", "CheckCancelled",
    "CompatibilityChecker", "cache_key", "check_block", "check_project", "default_cache_path", "default_checker",
    "tf_version",
]
