"""Packaging beyond pyproject.toml: the wheel carries the top-level templates/ folder as builder/shipped/.

`templates/` stays at the top of the source tree (the project's layout); builder.shipped looks there in a
checkout and in builder/shipped/ once installed. tests/test_packaging.py builds the wheel and checks it.
"""
from setuptools import find_packages, setup

setup(
    py_modules=["main"],
    packages=find_packages(include=["builder", "builder.*", "ui", "ui.*"]) + ["builder.shipped", "builder.shipped.blocks", "builder.shipped.gallery"],
    package_dir={"builder.shipped": "templates"},
    package_data={"builder.blocks": ["*.json"], "builder.shipped": ["*.json"], "builder.shipped.blocks": ["*.json"],
                  "builder.shipped.gallery": ["*.json"]},
)
