"""The template gallery (File ▸ New from Template, and the start of the app): every template is a card with a picture
of its graph and its numbers; the task buttons and the search narrow the cards; a card chosen by double-click or
Enter opens the template in the window; "Show at start" is remembered and only the app's start shows the gallery."""
from __future__ import annotations

import gc
import json
import shutil

import numpy as np
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
import shiboken6

from builder.project import TASKS, TEMPLATES_DIR, list_templates, load_template
from ui import style
from ui.app import offer_at_start
from ui.app_settings import gallery_at_start
from ui.canvas.scene import CanvasScene
from ui.document import Document
from ui.panels.template_gallery import NOT_MEASURED, PICTURE, TemplateGallery

OPEN_WITHIN_S = 1.0  # making the dialog (no picture drawn yet): ~0.05 s for 20 templates here


def make_gallery(qtbot, **kwargs) -> TemplateGallery:
    gallery = TemplateGallery(**kwargs)
    qtbot.addWidget(gallery)
    gallery.show()
    qtbot.waitExposed(gallery)
    return gallery


def wait_for_pictures(qtbot, gallery: TemplateGallery) -> None:
    qtbot.waitUntil(lambda: not gallery.cards.busy, timeout=20_000)


def drawn_share(picture) -> float:
    """The share of the picture's pixels that are not the canvas's background."""
    image = picture.toImage().convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), dtype=np.uint32, count=image.width() * image.height())
    return float(np.mean((pixels & 0xFFFFFF) != (style.CANVAS_BACKGROUND.rgb() & 0xFFFFFF)))


def card_text(gallery: TemplateGallery, name: str) -> str:
    row = next(r for r, t in enumerate(gallery.cards.templates) if t.name == name)
    return gallery.cards.index(row).data(Qt.ItemDataRole.AccessibleTextRole)


def test_every_template_is_a_card_with_a_picture_of_its_graph_and_its_numbers(qtbot):
    gallery = make_gallery(qtbot)
    assert gallery.opening_seconds < OPEN_WITHIN_S
    shown = gallery.visible_templates()
    assert sorted(t.name for t in shown) == sorted(t.name for t in list_templates())
    order = [TASKS.index(t.task) if t.task in TASKS else len(TASKS) for t in shown]
    assert order == sorted(order)  # by task: images first
    templates = gallery.cards.templates
    wait_for_pictures(qtbot, gallery)
    ratio = style.device_pixel_ratio()
    for row, info in enumerate(templates):
        picture = gallery.cards.picture(row)
        assert picture is not None and not picture.isNull(), info.name
        assert picture.size() == PICTURE * ratio
        assert drawn_share(picture) > 0.01, f"{info.name}: the picture is blank"
        text = card_text(gallery, info.name)
        assert info.title in text and info.teaches in text and info.dataset in text
        numbers = info.numbers  # the real templates/gallery/numbers.json
        if isinstance(numbers.get("parameters"), int):
            assert f"{numbers['parameters']:,} parameters" in text, text
        if isinstance(numbers.get("value"), (int, float)):
            assert f"{numbers['value']:.3g}" in text and "trains" in text, text
        else:
            assert NOT_MEASURED.capitalize() in text, text
    # Pictures are kept: the gallery opens the next time with them already there.
    again = make_gallery(qtbot)
    assert all(again.cards.picture(row) is not None for row in range(len(templates)))


def test_measured_numbers_from_the_bench_file_show_on_the_cards(qtbot, tmp_path):
    """A folder with copies of real templates and a numbers file as bench/templates.py writes it."""
    for name in ("digits_cnn", "shapes_cnn"):
        shutil.copy(TEMPLATES_DIR / f"{name}.json", tmp_path / f"{name}.json")
    (tmp_path / "gallery").mkdir()
    (tmp_path / "gallery" / "numbers.json").write_text(json.dumps({"templates": {
        "digits_cnn": {"parameters": 9930, "epochs": 5, "train_seconds": 41.2, "metric": "val_accuracy",
                       "value": 0.9712, "tflite_float32_bytes": 44_000, "tflite_int8_bytes": 15_000,
                       "int8_value": 0.968, "int8_drop": 0.0032, "measured_on": "a 2-core CPU"},
        "shapes_cnn": {"parameters": 102501, "epochs": 8, "train_seconds": 130, "metric": "mae", "value": 0.0812},
    }}))
    gallery = make_gallery(qtbot, folder=tmp_path)
    assert [t.name for t in gallery.visible_templates()] == ["digits_cnn", "shapes_cnn"]
    digits = card_text(gallery, "digits_cnn")
    assert "9,930 parameters · accuracy 0.971" in digits and "trains 5 epochs in 41 s on a 2-core CPU" in digits
    assert NOT_MEASURED.capitalize() not in digits
    assert "102,501 parameters · MAE 0.0812" in card_text(gallery, "shapes_cnn")
    assert "trains 8 epochs in 2 min 10 s" in card_text(gallery, "shapes_cnn")
    tooltip = gallery.cards.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert "TFLite int8 15 kB" in tooltip and "int8 reaches 0.968" in tooltip
    wait_for_pictures(qtbot, gallery)
    assert all(drawn_share(gallery.cards.picture(row)) > 0.01 for row in range(2))


def test_task_buttons_and_the_search_narrow_the_cards(qtbot):
    gallery = make_gallery(qtbot)
    templates = gallery.cards.templates  # all of list_templates(), in the gallery's order
    for task in TASKS:
        button = gallery.task_buttons[task]
        expected = [t.name for t in templates if t.task == task]
        assert button.isEnabled() == bool(expected), task
        if expected:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            assert [t.name for t in gallery.visible_templates()] == expected
            assert gallery.current_template().task == task
    qtbot.mouseClick(gallery.task_buttons["all"], Qt.MouseButton.LeftButton)
    assert len(gallery.visible_templates()) == len(templates)

    def matching(*words):
        fields = lambda t: f"{t.name} {t.title} {t.teaches} {t.description} {t.architecture} {t.dataset}".lower()
        return [t.name for t in templates if all(w in fields(t) for w in words)]

    qtbot.keyClicks(gallery.search, "Digits")
    assert [t.name for t in gallery.visible_templates()] == matching("digits") and "digits_cnn" in matching("digits")
    assert len(matching("digits")) < len(templates) and gallery.count_label.text().startswith(f"{len(matching('digits'))} of")
    qtbot.keyClicks(gallery.search, " conv")  # every word must match
    assert [t.name for t in gallery.visible_templates()] == matching("digits", "conv")
    gallery.search.clear()
    qtbot.keyClicks(gallery.search, "no such template zzq")
    assert gallery.visible_templates() == [] and not gallery.open_button.isEnabled()
    assert "No template matches" in gallery.description.text()
    gallery.search.clear()
    assert len(gallery.visible_templates()) == len(templates) and gallery.open_button.isEnabled()


def nodes_and_wires(project_or_graph):
    graph = getattr(project_or_graph, "graph", project_or_graph)
    return ({n: (node.type, node.params) for n, node in graph.nodes.items()},
            sorted((e.source, e.source_port, e.target, e.target_port) for e in graph.edges))


def open_gallery_from_the_menu(window, qtbot) -> TemplateGallery:
    window.file_actions.new_from_template_action.trigger()
    gallery = next(g for g in window.findChildren(TemplateGallery) if g.isVisible())
    qtbot.waitExposed(gallery)
    assert gallery.isModal() or gallery.windowModality() == Qt.WindowModality.WindowModal
    return gallery


def test_a_card_chosen_by_double_click_or_enter_opens_the_template(window, qtbot):
    opened = []
    window.file_actions.documentOpened.connect(opened.append)
    gallery = open_gallery_from_the_menu(window, qtbot)
    rect = gallery.card_rect("shapes_cnn")
    # A real double-click: press and release, then the double-click event (QTest's alone has no first press).
    qtbot.mouseClick(gallery.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert gallery.current_template().name == "shapes_cnn" and not opened  # one click only selects
    qtbot.mouseDClick(gallery.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert len(opened) == 1 and window.document is opened[0] and not gallery.isVisible()
    assert nodes_and_wires(window.document) == nodes_and_wires(load_template("shapes_cnn"))
    assert window.document.path is None and set(window.scene.node_items) == set(window.document.graph.nodes)

    gallery = open_gallery_from_the_menu(window, qtbot)
    qtbot.keyClicks(gallery.search, "digits")
    qtbot.keyClick(gallery.search, Qt.Key.Key_Down)  # into the cards
    assert gallery.focusWidget() is gallery.view
    chosen = gallery.current_template()
    qtbot.keyClick(gallery.view, Qt.Key.Key_Return)  # activates the card and presses Open: opened once
    assert len(opened) == 2 and not gallery.isVisible()
    assert nodes_and_wires(window.document) == nodes_and_wires(load_template(chosen.name))


def test_empty_project_and_cancel(window, qtbot):
    before = window.document
    gallery = open_gallery_from_the_menu(window, qtbot)
    qtbot.mouseClick(gallery.cancel_button, Qt.MouseButton.LeftButton)
    assert window.document is before and not gallery.isVisible()
    gallery = open_gallery_from_the_menu(window, qtbot)
    qtbot.mouseClick(gallery.empty_button, Qt.MouseButton.LeftButton)
    assert window.document is not before and window.document.graph.nodes == {} and window.scene.node_items == {}


def test_show_at_start_is_remembered_and_only_the_app_start_shows_the_gallery(window, qtbot):
    qtbot.wait(50)  # a MainWindow alone, shown, with its event loop turning: no gallery
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, TemplateGallery) and w.isVisible()]
    assert gallery_at_start()  # the default
    gallery = offer_at_start(window)  # what ui.app.main does once the window is up
    assert isinstance(gallery, TemplateGallery) and gallery.isVisible() and gallery.show_at_start.isChecked()
    assert gallery.parent() is window and gallery.windowModality() == Qt.WindowModality.WindowModal
    qtbot.mouseClick(gallery.show_at_start, Qt.MouseButton.LeftButton)
    assert not gallery_at_start()
    qtbot.mouseClick(gallery.cancel_button, Qt.MouseButton.LeftButton)
    assert offer_at_start(window) is None  # turned off: the app starts without it
    again = open_gallery_from_the_menu(window, qtbot)  # the menu still opens it, the box unchecked
    assert not again.show_at_start.isChecked()
    qtbot.mouseClick(again.show_at_start, Qt.MouseButton.LeftButton)
    assert gallery_at_start()


def test_parameters_not_measured_are_counted_once_keras_is_loaded(ready_window, qtbot):
    """A card's parameter count (the bench's, or the engine's count when not measured yet) is the one the window's
    status bar has for the same project (the window opens digits_cnn)."""
    name = "digits_cnn"
    gallery = ready_window.file_actions.show_gallery()
    wait_for_pictures(qtbot, gallery)
    row = next(r for r, t in enumerate(gallery.cards.templates) if t.name == name)
    assert ready_window.document.project.name == load_template(name).name
    expected = ready_window.document.shapes.report.total_params
    assert gallery.cards.parameters(row) == expected
    assert f"{expected:,} parameters" in card_text(gallery, name)
    gallery.reject()


def test_drawing_pictures_leaves_no_qt_object_for_another_thread_to_destroy(qtbot, tmp_path):
    """Each picture's throw-away document and scene are deleted on the GUI thread once drawn. Left to Python's cycle
    collector (the document's updaters refer back to it), they were destroyed on whichever thread ran it — Keras
    loading, at start — and the app crashed."""
    shutil.copy(TEMPLATES_DIR / "digits_cnn.json", tmp_path / "digits_cnn.json")  # a new file: not drawn before
    gc.collect()
    gc.disable()  # keep the wrappers of whatever was made, to look at them
    try:
        gallery = make_gallery(qtbot, folder=tmp_path)
        wait_for_pictures(qtbot, gallery)
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        alive = [o for o in gc.get_objects() if isinstance(o, (Document, CanvasScene)) and shiboken6.isValid(o)]
    finally:
        gc.enable()
    assert alive == []
