"""A block the project file carries (an imported nested model) in the window: it opens, shows its shape,
expands and collapses back as one undo step, and saving writes its definition again."""
from __future__ import annotations

import json

BLOCK = {"format": "layerboard-block", "version": 1, "name": "CarriedHead", "description": "a nested model",
         "inputs": ["features"], "outputs": [{"name": "output", "node": "logits", "port": 0}],
         "graph": {"nodes": [{"id": "features", "type": "Input", "params": {"shape": [6]}},
                             {"id": "hidden", "type": "Dense", "params": {"units": 5}, "trainable": False},
                             {"id": "logits", "type": "Dense", "params": {"units": 3}}],
                   "edges": [{"source": "features", "target": "hidden"}, {"source": "hidden", "target": "logits"}]}}

PROJECT = {"format": "layerboard-project", "version": 1, "name": "carried", "blocks": {"CarriedHead": BLOCK},
           "graph": {"nodes": [{"id": "x", "type": "Input", "params": {"shape": [6]}},
                               {"id": "head", "type": "CarriedHead", "params": {}}],
                     "edges": [{"source": "x", "target": "head"}]}}


def test_a_carried_block_opens_expands_and_is_saved_again(ready_window, qtbot, tmp_path):
    window = ready_window
    path = tmp_path / "carried.json"
    path.write_text(json.dumps(PROJECT))
    assert window.file_actions.open_file(path)
    graph = window.document.graph
    assert list(graph.nodes) == ["x", "head"]
    qtbot.waitUntil(lambda: window.scene.node_items["head"].shape_text == "(None, 3)", timeout=10_000)

    window.scene.clearSelection()
    window.scene.node_items["head"].setSelected(True)
    window.expand_block_action.trigger()
    assert "head" not in graph.nodes and {"head_hidden", "head_logits"} <= set(graph.nodes)
    assert graph.nodes["head_hidden"].trainable is False and graph.nodes["head_logits"].trainable is True
    assert set(window.scene.node_items) == set(graph.nodes)

    window.undo_action.trigger()
    assert list(graph.nodes) == ["x", "head"] and graph.nodes["head"].type == "CarriedHead"
    assert window.file_actions.save_as(tmp_path / "again.json")
    saved = json.loads((tmp_path / "again.json").read_text())
    assert saved["blocks"] == {"CarriedHead": BLOCK | {"graph": saved["blocks"]["CarriedHead"]["graph"]}}
    assert [n["id"] for n in saved["blocks"]["CarriedHead"]["graph"]["nodes"]] == ["features", "hidden", "logits"]
