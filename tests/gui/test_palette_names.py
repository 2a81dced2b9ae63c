"""Palette names are never cut: a long name is drawn whole (the tree scrolls sideways in a narrow dock), and
`content_width` is a width at which every name shows without scrolling. No Keras needed."""
from __future__ import annotations

from PySide6.QtGui import QFontMetrics

from builder.blocks import composites
from builder.project import load_template
from ui.panels.palette import MAX_CONTENT_WIDTH, Palette

LONG_USER_BLOCK = "MyVeryLongContrastLimitedHistogramEqualizationBlock"


def save_long_named_block() -> None:
    graph = load_template("digits_cnn").graph
    composites.save_block(composites.selection_definition(graph, ["flatten", "dropout"], LONG_USER_BLOCK))
    composites.refresh()


def text_fits(palette: Palette, block_type: str) -> bool:
    """The item's rectangle holds its icon and its whole name in the tree's font."""
    tree = palette.tree
    item = palette.items[block_type]
    rect = tree.visualItemRect(item)
    needed = QFontMetrics(tree.font()).horizontalAdvance(block_type) + tree.iconSize().width()
    return rect.width() >= needed


def test_long_names_are_whole_and_scroll_into_view_in_a_narrow_dock(qtbot):
    save_long_named_block()
    palette = Palette()
    qtbot.addWidget(palette)
    palette.resize(190, 500)  # the Blocks dock's width
    palette.show()
    qtbot.waitExposed(palette)
    tree = palette.tree
    for name in ("GlobalAveragePooling2D", "MultiHeadAttention", "TransformerEncoderBlock", LONG_USER_BLOCK):
        assert text_fits(palette, name), name
    item = palette.items[LONG_USER_BLOCK]
    assert tree.visualItemRect(item).right() > tree.viewport().width()  # wider than the view...
    bar = tree.horizontalScrollBar()
    assert bar.maximum() > 0
    tree.scrollToItem(item)
    bar.setValue(bar.maximum())
    assert tree.visualItemRect(item).right() <= tree.viewport().width()  # ...and scrolls to its end
    assert palette.items[LONG_USER_BLOCK].toolTip(0).startswith(LONG_USER_BLOCK)


def test_at_its_content_width_every_name_shows_but_one_wider_than_the_cap(qtbot):
    palette = Palette()
    qtbot.addWidget(palette)
    width = palette.content_width()
    assert width <= MAX_CONTENT_WIDTH
    palette.resize(width, 500)
    palette.show()
    qtbot.waitExposed(palette)
    tree = palette.tree
    # only a name that alone is wider than the cap (Keras's ContrastLimitedAdaptiveHistogramEqualization) scrolls
    metrics = QFontMetrics(tree.font())
    shown_to = {name: tree.visualItemRect(item).left() + tree.iconSize().width() + metrics.horizontalAdvance(name)
                for name, item in palette.items.items()}
    cut = {name for name, right in shown_to.items() if right > tree.viewport().width()}
    assert cut <= {"ContrastLimitedAdaptiveHistogramEqualization"}, cut


def test_a_very_long_user_block_name_caps_the_content_width(qtbot):
    save_long_named_block()
    palette = Palette()
    qtbot.addWidget(palette)
    assert palette.content_width() == MAX_CONTENT_WIDTH  # it scrolls instead of widening the dock without end
