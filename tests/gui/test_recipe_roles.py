"""The training recipe on the canvas: its roles as labelled groups behind their nodes (following drags, graph
edits, recipe changes and the theme), and a graph that does not fit the recipe marked on the node it names."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from builder.training.recipes import node_problems
from recipe_projects import vae_graph, vae_project
from ui import style
from ui.canvas.role_groups import RoleGroupItem
from ui.canvas.scene import CanvasScene
from ui.canvas.view import CanvasView
from ui.document import Document
from ui.document.commands import AddNodeCommand, ConnectCommand


@pytest.fixture
def canvas(qtbot):
    """Opens a project on a real scene in a real view; yields (document, scene, view)."""
    opened = []

    def open_project(project):
        document = Document(project)
        scene = CanvasScene(document)
        view = CanvasView()
        view.setScene(scene)
        view.resize(1200, 900)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitExposed(view)
        view.fit_graph()
        opened.append((document, scene))
        return document, scene, view

    yield open_project
    for document, scene in opened:
        scene.close()
        document.close()


def vae_document(canvas):
    return canvas(Document.from_template("digits_vae").project)


def drawn_groups(scene) -> dict[str, RoleGroupItem]:
    return {item.role: item for item in scene.items() if isinstance(item, RoleGroupItem)}


def assert_surrounds(scene, group: RoleGroupItem) -> None:
    for node_id in group.node_ids:
        assert group.rect.contains(scene.node_items[node_id].sceneBoundingRect()), (group.role, node_id)


def test_a_vae_shows_its_encoder_and_decoder_around_their_nodes(canvas):
    document, scene, _view = vae_document(canvas)
    groups = drawn_groups(scene)
    assert set(groups) == {"encoder", "decoder"}
    assert groups["encoder"].node_ids == ["image", "rescaling", "flatten", "dense_1", "z_mean", "z_log_var"]
    assert groups["decoder"].node_ids == ["latent", "dense_2", "pixels", "reconstruction"]
    for group in groups.values():
        assert_surrounds(scene, group)
        assert group.zValue() < min(item.zValue() for item in scene.node_items.values())
        assert not group.acceptedMouseButtons()  # clicks on it reach the canvas (rubber band, its menu)
    assert not groups["encoder"].rect.contains(scene.node_items["latent"].sceneBoundingRect())


def test_dragging_a_node_moves_its_group_and_undo_brings_it_back(canvas, qtbot):
    document, scene, view = vae_document(canvas)
    decoder = drawn_groups(scene)["decoder"]
    before = decoder.rect
    item = scene.node_items["reconstruction"]
    grab = item.sceneBoundingRect().center()
    viewport = view.viewport()
    start = view.mapFromScene(grab)
    end = view.mapFromScene(grab + QPointF(260, 120))
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, 6):
        QTest.mouseMove(viewport, start + (end - start) * (i / 5))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)

    assert document.graph.nodes["reconstruction"].position != (grab.x(), grab.y())
    assert decoder.rect.right() > before.right() + 200 and decoder.rect.bottom() > before.bottom() + 100
    assert_surrounds(scene, decoder)
    document.undo_stack.undo()
    assert decoder.rect == before


def test_groups_follow_graph_edits_and_the_recipe(canvas, qtbot):
    document, scene, _view = vae_document(canvas)
    document.push(AddNodeCommand(document.graph, "Dense", {"units": 8}, (900.0, 900.0), node_id="extra"))
    document.push(ConnectCommand(document.graph, "reconstruction", "extra"))  # what the decoder's Input reaches is the decoder
    qtbot.waitUntil(lambda: "extra" in drawn_groups(scene)["decoder"].node_ids, timeout=2000)
    assert_surrounds(scene, drawn_groups(scene)["decoder"])

    document.set_settings("training", recipe=None)  # supervised: no roles
    qtbot.waitUntil(lambda: not drawn_groups(scene), timeout=2000)
    document.undo_stack.undo()
    qtbot.waitUntil(lambda: set(drawn_groups(scene)) == {"encoder", "decoder"}, timeout=2000)


def test_groups_repaint_in_the_dark_theme(canvas):
    _document, scene, view = vae_document(canvas)
    light = view.grab().toImage()
    style.set_dark(True)
    try:
        view.setBackgroundBrush(style.CANVAS_BACKGROUND)
        dark = view.grab().toImage()
        group = drawn_groups(scene)["encoder"]
        corner = view.mapFromScene(group.rect.topLeft() + QPointF(30, 30))
        # the tint sits on the canvas colour of each theme: darker than the light canvas, lighter than the dark one
        assert light.pixelColor(corner).lightness() < style.colour_table(False)["CANVAS_BACKGROUND"].lightness()
        assert dark.pixelColor(corner).lightness() > style.colour_table(True)["CANVAS_BACKGROUND"].lightness()
    finally:
        style.set_dark(False)


def test_node_problems_are_sorted_by_the_node_they_name():
    problems = node_problems(["training.recipe: node 'latent': the decoder's Input has shape (3,)",
                              "node 'z_log_var': its output (2,) must have the mean's shape (3,) (node 'z_mean')",
                              "training.recipe.kl_weight: must be a finite number of at least 0; got -1"])
    assert problems.nodes == {"latent": ["the decoder's Input has shape (3,)"],
                              "z_log_var": ["its output (2,) must have the mean's shape (3,) (node 'z_mean')"]}
    assert problems.general == ["training.recipe.kl_weight: must be a finite number of at least 0; got -1"]


def test_a_decoder_input_of_the_wrong_latent_size_is_marked_on_that_node(canvas, qtbot):
    document, scene, _view = canvas(vae_project(vae_graph(latent=2, decoder_latent=3)))
    with qtbot.waitSignal(scene.recipe_check.problemsChanged, timeout=90_000):
        document.shapes.set_engine_ready()  # imports Keras: shapes, then the recipe's check off the GUI thread
    latent = scene.node_items["latent"]
    assert latent.own_error and "vae recipe:" in latent.error and "(2,)" in latent.error
    assert "decoder's Input has shape (3,)" in latent.toolTip()
    assert scene.node_items["z_mean"].error is None
    assert not scene.recipe_check.busy

    # the fix clears it: the decoder's Input given the latent size
    from ui.document.commands import SetParamCommand

    with qtbot.waitSignal(scene.recipe_check.problemsChanged, timeout=5000):
        document.push(SetParamCommand(document.graph, "latent", "shape", [2]))
    assert latent.error is None and latent.shape_text == "(None, 2)"
    qtbot.waitUntil(lambda: not scene.recipe_check.busy, timeout=5000)
    document.set_settings("training", epochs=3)  # not the recipe: nothing to check again (a teacher is not reread)
    assert not scene.recipe_check.busy
    document.set_settings("training", recipe={**document.project.training.recipe, "kl_weight": 0.5})
    assert scene.recipe_check.busy
    qtbot.waitUntil(lambda: not scene.recipe_check.busy, timeout=5000)


def test_the_status_bar_counts_recipe_problems_and_selects_the_node(ready_window, qtbot):
    """A graph that does not fit its recipe is not "valid": the summary counts the misfit, its tooltip says it, and
    clicking it selects the node."""
    from ui.document import Document

    window = ready_window
    window.set_document(Document(vae_project(vae_graph(latent=2, decoder_latent=3)), window))
    qtbot.waitUntil(lambda: "1 recipe problem" in window.model_summary.full_text(), timeout=30_000)
    assert "decoder's Input has shape (3,)" in window.model_summary.problems.toolTip()
    window.model_summary.problems.click()
    assert [item.node_id for item in window.scene.selectedItems()] == ["latent"]


def _recipe_messages(problems) -> str:
    return " ".join(problems.general + [m for messages in problems.nodes.values() for m in messages])


def test_a_teacher_written_later_or_a_save_as_elsewhere_checks_the_recipe_again(canvas, qtbot, tmp_path):
    """A distillation's teacher path is relative to the project's folder: the check reruns (same shapes, same
    recipe) once the teacher file is there, and again after a Save As into a folder without it."""
    import keras

    from builder.graph import Graph
    from builder.project import DatasetRef, Project, TrainingConfig

    graph = Graph()
    for type_, params, node_id in [("Input", {"shape": [8, 8, 1]}, "image"), ("Flatten", {}, "flatten"),
                                   ("Dense", {"units": 10, "activation": "softmax"}, "digit")]:
        graph.add_node(type_, params, node_id=node_id)
    graph.connect("image", "flatten")
    graph.connect("flatten", "digit")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    project = Project(graph=graph, dataset=DatasetRef(name="digits"), name="student", path=first / "student.json",
                      training=TrainingConfig(recipe={"name": "distillation", "teacher": "teacher.keras"}))
    document, scene, _view = canvas(project)
    check = scene.recipe_check
    with qtbot.waitSignal(check.problemsChanged, timeout=90_000):
        document.shapes.set_engine_ready()
    assert "teacher.keras not found" in _recipe_messages(check.problems)

    teacher = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    teacher.save(first / "teacher.keras")
    with qtbot.waitSignal(check.problemsChanged, timeout=30_000):
        check.run_now()  # the same report and recipe: the teacher file is new
    assert "not found" not in _recipe_messages(check.problems)
    qtbot.waitUntil(lambda: not check.busy, timeout=5000)
    check.run_now()
    assert not check.busy  # nothing changed since: nothing to check

    document.save(second / "student.json")  # Save As: teacher.keras now resolves in a folder without it
    with qtbot.waitSignal(check.problemsChanged, timeout=30_000):
        check.run_now()
    assert "teacher.keras not found" in _recipe_messages(check.problems)
    qtbot.waitUntil(lambda: not check.busy, timeout=5000)
