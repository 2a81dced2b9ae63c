"""Generated data sets are drawn once and kept on disk: a later process reads the same arrays; a cut-short or
tampered cache file is drawn again and replaced; a folder that cannot be written only means no cache."""
from __future__ import annotations

import numpy as np

from builder.data.generated_cache import cache_dir, cache_path, cached_arrays


def _draw(calls: list):
    def draw():
        calls.append(1)
        rng = np.random.default_rng(0)
        return {"x": rng.normal(size=(4, 3)).astype("float32"), "y": np.arange(4)}
    return draw


def test_a_set_is_drawn_once_and_then_read_back_the_same():
    calls: list = []
    first = cached_arrays("toy", {"n": 4}, "code v1", _draw(calls))
    again = cached_arrays("toy", {"n": 4}, "code v1", _draw(calls))
    assert len(calls) == 1
    assert all(np.array_equal(first[k], again[k]) and first[k].dtype == again[k].dtype for k in first)
    assert cache_path("toy", {"n": 4}, "code v1").parent == cache_dir()
    cached_arrays("toy", {"n": 5}, "code v1", _draw(calls))  # other parameters: another file
    cached_arrays("toy", {"n": 4}, "code v2", _draw(calls))  # the drawing code changed: drawn afresh
    assert len(calls) == 3


def test_a_broken_cache_file_is_drawn_again_and_replaced():
    calls: list = []
    cached_arrays("toy", {"n": 4}, "code", _draw(calls))
    path = cache_path("toy", {"n": 4}, "code")
    path.write_bytes(path.read_bytes()[:40])  # cut short, as by a kill mid-write of another tool
    again = cached_arrays("toy", {"n": 4}, "code", _draw(calls))
    assert len(calls) == 2 and again["x"].shape == (4, 3)
    assert cached_arrays("toy", {"n": 4}, "code", _draw(calls))["y"].tolist() == [0, 1, 2, 3] and len(calls) == 2


def test_an_unwritable_cache_folder_only_means_drawing_each_time(tmp_path, monkeypatch):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    monkeypatch.setenv("LAYERBOARD_DATA_DIR", str(blocked))  # the cache's folder cannot be made under a file
    calls: list = []
    assert cached_arrays("toy", {"n": 4}, "code", _draw(calls))["x"].shape == (4, 3)
    assert cached_arrays("toy", {"n": 4}, "code", _draw(calls))["x"].shape == (4, 3)
    assert len(calls) == 2


def test_the_shapes_set_comes_from_the_cache_with_the_same_pixels():
    from builder.data import generated

    generated.drawn_shapes.cache_clear()
    drawn = generated.make_shapes()
    assert any(cache_dir().glob("shapes-*.npz"))
    generated.drawn_shapes.cache_clear()  # as a new process would
    read = generated.make_shapes()
    assert np.array_equal(drawn[0], read[0]) and np.array_equal(drawn[1], read[1]) and drawn[2] == read[2]
    assert read[0].dtype == np.uint8 and read[0].shape == (5000, 32, 32, 3)
