"""Copy and paste of nodes: internal wires kept, external ones dropped, fresh ids, placement, hostile data refused."""
from __future__ import annotations

import copy
import json

import pytest

from builder.errors import LayerboardError
from builder.graph import NODE_HEIGHT, NODE_WIDTH, Edge, Graph
from builder.project import apply_paste, clipboard_data, clipboard_text, copy_selection, paste_plan, remove_paste


def _graph() -> Graph:
    graph = Graph()
    graph.add_node("Input", {"shape": [8]}, (0, 0), "inp")
    graph.add_node("Dense", {"units": 16, "activation": "relu"}, (100, 120), "dense_1")
    graph.add_node("Dropout", {"rate": 0.25}, (140, 240), "dropout_1", trainable=False)
    graph.add_node("Dense", {"units": 2}, (100, 360), "dense_2", output=True)
    graph.connect("inp", "dense_1")
    graph.connect("dense_1", "dropout_1")
    graph.connect("dropout_1", "dense_2")
    return graph


def test_copy_keeps_only_internal_wires_with_relative_positions_as_json():
    data = copy_selection(_graph(), ["dropout_1", "dense_1"])
    assert data["format"] == "layerboard-nodes" and data["version"] == 1
    assert json.loads(clipboard_text(data)) == data == clipboard_data(clipboard_text(data))
    assert [(n["id"], n["position"]) for n in data["nodes"]] == [("dense_1", [0.0, 0.0]), ("dropout_1", [40.0, 120.0])]
    assert data["nodes"][1]["trainable"] is False and data["nodes"][0]["params"] == {"units": 16, "activation": "relu"}
    assert data["edges"] == [{"source": "dense_1", "source_port": 0, "target": "dropout_1", "target_port": 0}]


def test_paste_makes_fresh_ids_remaps_wires_places_at_anchor_and_undo_restores_exactly():
    graph = _graph()
    data = copy_selection(graph, ["dense_1", "dropout_1", "dense_2"])
    before = graph.to_dict()
    plan = paste_plan(graph, data, anchor=(1000.0, 50.0))
    assert graph.to_dict() == before  # planning changes nothing
    assert plan.new_ids == ["dense_3", "dropout_2", "dense_4"]
    assert plan.edges == (Edge("dense_3", "dropout_2"), Edge("dropout_2", "dense_4"))
    assert [n.position for n in plan.nodes] == [(1000.0, 50.0), (1040.0, 170.0), (1000.0, 290.0)]  # free space
    assert [(n.trainable, n.output) for n in plan.nodes] == [(True, False), (False, False), (True, True)]
    apply_paste(graph, plan)
    assert len(graph.nodes) == 7 and graph.incoming("dense_3") == [] and graph.outgoing("dense_4") == []
    assert graph.node("dense_3").params == {"units": 16, "activation": "relu"}
    after = graph.to_dict()
    remove_paste(graph, plan)
    assert graph.to_dict() == before
    apply_paste(graph, plan)
    assert graph.to_dict() == after
    again = paste_plan(graph, data, anchor=(1000.0, 50.0))  # a second paste: ids unique against both
    assert again.new_ids == ["dense_5", "dropout_3", "dense_6"]


def test_paste_onto_existing_nodes_shifts_the_group_clear():
    graph = _graph()
    plan = paste_plan(graph, copy_selection(graph, ["dense_1", "dropout_1"]), anchor=(100.0, 120.0))
    shifted = [n.position for n in plan.nodes]
    dx, dy = shifted[0][0] - 100.0, shifted[0][1] - 120.0
    assert (dx, dy) != (0.0, 0.0) and shifted[1] == (140.0 + dx, 240.0 + dy)  # one shift for the group
    for x, y in shifted:
        for node in graph.nodes.values():
            assert abs(node.position[0] - x) >= NODE_WIDTH or abs(node.position[1] - y) >= NODE_HEIGHT


def _valid() -> dict:
    return copy_selection(_graph(), ["dense_1", "dropout_1"])


def _with(change) -> dict:
    data = copy.deepcopy(_valid())
    change(data)
    return data


HOSTILE = {
    "not our format": ({"nodes": []}, "holds no Layerboard blocks"),
    "a list": ([1, 2], "holds no Layerboard blocks"),
    "newer version": (_with(lambda d: d.update(version=2)), "unsupported version 2"),
    "version true": (_with(lambda d: d.update(version=True)), "unsupported version true"),
    "unknown type": (_with(lambda d: d["nodes"][0].update(type="Teleporter")), "unknown block type 'Teleporter'"),
    "Lambda": (_with(lambda d: d["nodes"][0].update(type="Lambda")), "Lambda layers are refused"),
    "bad param": (_with(lambda d: d["nodes"][0]["params"].update(units="many")), "units must be a whole number"),
    "unknown param": (_with(lambda d: d["nodes"][0]["params"].update(warp=9)), "no parameter 'warp'"),
    "NaN position": (_with(lambda d: d["nodes"][1].update(position=[float("nan"), 0])), "expected finite numbers"),
    "huge position": (_with(lambda d: d["nodes"][1].update(position=[1e300, 0])), "expected finite numbers"),
    "position text": (_with(lambda d: d["nodes"][1].update(position="here")), "expected [x, y]"),
    "vocabulary outside": (_with(lambda d: d["nodes"].append(
        {"id": "words", "type": "StringLookup", "params": {"vocabulary": "/etc/passwd"}, "position": [0, 0]})),
        "absolute path '/etc/passwd'"),
    "vocabulary above": (_with(lambda d: d["nodes"].append(
        {"id": "words", "type": "StringLookup", "params": {"vocabulary": "../../secrets.txt"}, "position": [0, 0]})),
        "outside the project's folder"),
    "nodes not a list": (_with(lambda d: d.update(nodes={"a": 1})), "graph.nodes: expected a list"),
    "id not text": (_with(lambda d: d["nodes"][0].update(id=7)), "a node id string"),
    "duplicate ids": (_with(lambda d: d["nodes"][1].update(id="dense_1")), "already exists"),
    "wire to nowhere": (_with(lambda d: d["edges"][0].update(target="ghost")), "no node has the id 'ghost'"),
    "negative port": (_with(lambda d: d["edges"][0].update(source_port=-1)), "port numbers start at 0"),
    "a million nodes": ({"format": "layerboard-nodes", "version": 1, "nodes": [{}] * 10**6},
                        "1,000,000 nodes; a paste holds at most 100,000"),
    "deep nesting": (_with(lambda d: d["nodes"][0]["params"].update(units=json.loads("[" * 70 + "]" * 70))),
                     "nested more than 64 levels"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_clipboard_data_is_refused_with_a_message_and_changes_nothing(name):
    data, words = HOSTILE[name]
    graph = _graph()
    before = graph.to_dict()
    events = []
    graph.events.subscribe(events.append)
    with pytest.raises(LayerboardError) as info:
        paste_plan(graph, data, anchor=(0.0, 0.0))
    assert words in str(info.value) and str(info.value).startswith("The clipboard")
    assert graph.to_dict() == before and events == []


def test_clipboard_text_that_is_not_json_or_not_ours_is_refused():
    for text, words in (("hello", "malformed JSON"), ('{"format": "x"}', "holds no Layerboard blocks"),
                        ("[" * 100_000, "too deeply")):
        with pytest.raises(LayerboardError, match=words):
            clipboard_data(text)


def test_pasting_shared_layers_keeps_a_copied_pair_shared_and_a_lone_call_calls_its_layer_again():
    from builder.project import apply_paste, copy_selection, paste_plan

    g = Graph()
    g.add_node("Input", {"shape": [4]}, node_id="left")
    g.add_node("Dense", {"units": 6}, node_id="encoder")
    g.add_node("Dense", {}, node_id="encoder_call2", shares="encoder")
    pair = paste_plan(g, copy_selection(g, ["encoder", "encoder_call2"]))
    apply_paste(g, pair)
    new_owner, new_call = pair.new_ids
    assert g.nodes[new_call].shares == new_owner and g.nodes[new_owner].shares is None  # a new pair, not the old
    lone = paste_plan(g, copy_selection(g, ["encoder_call2"]))
    apply_paste(g, lone)
    assert g.nodes[lone.new_ids[0]].shares == "encoder"  # another call of the layer that is here
    elsewhere = Graph()
    plan = paste_plan(elsewhere, copy_selection(g, ["encoder_call2"]))
    apply_paste(elsewhere, plan)
    assert elsewhere.nodes[plan.new_ids[0]].shares is None and elsewhere.nodes[plan.new_ids[0]].params == {"units": 6}
