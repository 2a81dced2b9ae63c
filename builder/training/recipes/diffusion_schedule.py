"""The diffusion recipe's noise schedule and its DDIM sampler, in numpy (no Keras).

Steps are numbered 1..T; `alphas_cumprod[i]` is ᾱ at step i + 1, the share of the clean sample's variance left in
x_t = sqrt(ᾱ_t) x_0 + sqrt(1 - ᾱ_t) ε. The denoiser reads the step as t / T (a float in (0, 1]).

* linear: β rises linearly from beta_start to beta_end, both scaled by 1000 / T (Nichol & Dhariwal's convention: the
  DDPM paper's 1e-4..0.02 at T = 1000 gives the same total noise at any T).
* cosine: ᾱ(t) = f(t) / f(0) with f(t) = cos²((t / T + s) / (1 + s) · π / 2), s = 0.008, each β clipped to 0.999.

DDIM (eta = 0) walks a deterministic path down `steps` evenly spaced steps from T to 1: at each it estimates x_0
from the predicted noise (clipped to the data's -1..1), then moves to the next step along the same noise.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

LINEAR = "linear"
COSINE = "cosine"
SCHEDULES = (LINEAR, COSINE)
COSINE_OFFSET = 0.008
MAX_BETA = 0.999
DATA_LOW, DATA_HIGH = -1.0, 1.0  # the units the denoiser works in: data is mapped here from its training range


def alphas_cumprod(schedule: str, timesteps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """ᾱ for steps 1..T (float64, strictly decreasing, in (0, 1))."""
    if schedule == LINEAR:
        scale = 1000.0 / timesteps
        betas = np.linspace(beta_start * scale, beta_end * scale, timesteps, dtype="float64")
        return np.cumprod(1.0 - np.clip(betas, 0.0, MAX_BETA))
    if schedule == COSINE:
        steps = np.arange(timesteps + 1, dtype="float64") / timesteps
        f = np.cos((steps + COSINE_OFFSET) / (1 + COSINE_OFFSET) * math.pi / 2) ** 2
        betas = np.clip(1.0 - f[1:] / f[:-1], 0.0, MAX_BETA)
        return np.cumprod(1.0 - betas)
    raise ValueError(f"unknown schedule {schedule!r}; one of {', '.join(SCHEDULES)}")


def sampling_indices(timesteps: int, steps: int) -> list[int]:
    """The step indices (0-based: index i is step i + 1) DDIM visits, from T down to step 1, `steps` of them
    (fewer when T has fewer)."""
    steps = max(1, min(int(steps), timesteps))
    return sorted({int(round(i)) for i in np.linspace(timesteps - 1, 0, steps)}, reverse=True)


def predicted_clean(x_t: np.ndarray, noise: np.ndarray, alpha_bar: float) -> np.ndarray:
    """The clean sample x_t and the noise in it imply: (x_t - sqrt(1 - ᾱ) ε) / sqrt(ᾱ)."""
    return (x_t - math.sqrt(1.0 - alpha_bar) * noise) / math.sqrt(alpha_bar)


def ddim_sample(predict_noise: Callable[[np.ndarray, np.ndarray], np.ndarray], start: np.ndarray,
                alphas: np.ndarray, steps: int, clip: bool = True) -> np.ndarray:
    """Deterministic DDIM from the pure noise `start` (x_T) to x_0 in -1..1 units. `predict_noise(x_t, time)` is the
    denoiser: time is the (count, 1) float32 array t / T."""
    timesteps = len(alphas)
    x = np.asarray(start, "float64")
    indices = sampling_indices(timesteps, steps)
    clean = x
    for position, index in enumerate(indices):
        alpha_bar = float(alphas[index])
        time = np.full((len(x), 1), (index + 1) / timesteps, "float32")
        x = x.astype("float32").astype("float64")  # what the float32 denoiser sees is what the step moves
        noise = np.asarray(predict_noise(x.astype("float32"), time), "float64").reshape(x.shape)
        clean = predicted_clean(x, noise, alpha_bar)
        if clip:
            clean = np.clip(clean, DATA_LOW, DATA_HIGH)
            noise = (x - math.sqrt(alpha_bar) * clean) / math.sqrt(1.0 - alpha_bar)  # the noise the clip implies
        previous = float(alphas[indices[position + 1]]) if position + 1 < len(indices) else 1.0
        x = math.sqrt(previous) * clean + math.sqrt(1.0 - previous) * noise
    return clean.astype("float32")


def to_model_units(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """Data in low..high mapped to -1..1."""
    return (np.asarray(x, "float64") - low) / (high - low) * 2.0 - 1.0


def to_data_units(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """-1..1 mapped back to the data's low..high."""
    return ((np.asarray(x, "float64") + 1.0) / 2.0 * (high - low) + low).astype("float32")
