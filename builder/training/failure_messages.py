"""What a failed run tells the user: the likely cause of an error or a NaN loss, and what to change."""
from __future__ import annotations

from builder.project import Project
from builder.errors import first_line


def explain_failure(exc: Exception, project: Project) -> str:
    """One line for an unexpected error during training: out of memory, outputs that do not fit the targets, or
    the error itself."""
    text = first_line(exc)
    if "ResourceExhausted" in type(exc).__name__ or "out of memory" in text.lower() or "OOM" in text:
        return (f"Out of memory with batch size {project.training.batch_size}. "
                f"Try batch size {max(1, project.training.batch_size // 2)}.")
    if "logits and labels" in text or "Shapes" in text and "incompatible" in text:
        return (f"The model's output does not match the dataset's targets ({text}). Check that the last Dense "
                "layer has one unit per class and that the loss suits the targets.")
    return f"Training failed: {type(exc).__name__}: {text}"


def nan_message(loss: float, epoch: int, batch: int) -> str:
    """Why training stopped on a NaN or infinite loss, with the likely causes."""
    return (f"The loss became {loss} at epoch {epoch + 1}, batch {batch + 1}, so training stopped (the last good "
            "checkpoint is kept). Likely causes: a learning rate too high (try 10x lower, or add gradient clipping: "
            "training.clipnorm 1.0), inputs that are not scaled (add a Rescaling or Normalization block), or a loss "
            "that does not match the last layer's activation.")
