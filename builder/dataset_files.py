"""User data files: CSV, NumPy .npz, HDF5 (lazy), image folders and text folders. (Filled in by issue 5.)"""
from __future__ import annotations

LOADERS: dict = {}
