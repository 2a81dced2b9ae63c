"""Which layers of a built model compute in half precision (a float16 or bfloat16 dtype policy, mixed or not)."""
from __future__ import annotations

HALF_PRECISION_POLICIES = ("float16", "bfloat16", "mixed_float16", "mixed_bfloat16")


def dtype_policy_names(model) -> list[str]:
    """The dtype policy name of every layer of `model`, nested models' layers included."""
    names: list[str] = []

    def walk(layer) -> None:
        names.append(layer.dtype_policy.name)
        for sub in getattr(layer, "layers", []):
            if sub is not layer:
                walk(sub)

    for layer in model.layers:
        walk(layer)
    return names


def uses_half_precision(model) -> bool:
    """Whether any layer computes in float16 or bfloat16 (its outputs carry ~3 significant digits)."""
    return any(name in HALF_PRECISION_POLICIES for name in dtype_policy_names(model))
