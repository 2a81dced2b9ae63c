"""argparse types for the numeric flags: a value out of range is refused by the parser, with the rule.

`--cpu-devices -2` ends as `error: argument --cpu-devices: must be a whole number from 1 to 1,024; got -2`
(exit code 2) instead of reaching TensorFlow. Text that is not a number keeps argparse's own wording
(`invalid int value: 'many'`).
"""
from __future__ import annotations

import argparse
import math
from typing import Callable

from builder.project import learning_rate_problem, patience_problem


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """An int from low to high (inclusive)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
        if value < low or (high is not None and value > high):
            upper = f" to {high:,}" if high is not None else " up"
            raise argparse.ArgumentTypeError(f"must be a whole number from {low:,}{upper}; got {text}")
        return value

    return parse


def finite_number(low: float, high: float) -> Callable[[str], float]:
    """A finite float from low to high (inclusive)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid float value: {text!r}") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a finite number from {low:g} to {high:g}; got {text}")
        return value

    return parse


def _checked(convert: Callable[[str], float], kind: str, problem: Callable[[float], str | None], unit: str = "",
             hint: str = "") -> Callable[[str], float]:
    """A parser that converts the text (argparse's wording when it is not a number) and refuses a value the
    project's own rule refuses, with that rule."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {kind} value: {text!r}{hint}") from None
        rule = problem(value)
        if rule:
            raise argparse.ArgumentTypeError(f"must be {rule}{unit}; got {text}")
        return value

    return parse


# A live learning rate, in the range project files use (builder.project.learning_rate_problem).
learning_rate = _checked(float, "float", learning_rate_problem)
# A live early-stopping patience: a whole number of epochs >= 0.
patience = _checked(int, "int", patience_problem, unit=" (epochs)", hint=" (a whole number of epochs)")
