"""A segmented choice (480p | 720p, Subtle | Strong): checkable buttons side by side, one
checked, styled as one control."""

from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QPushButton, QWidget

from studio.ui.common import theme


def segment_qss() -> str:
    """The look of `QPushButton#Segment` buttons, for a stylesheet that holds them."""
    c = theme.current
    return f"""
QPushButton#Segment {{
    background: {c.base}; color: {c.muted}; border: 1px solid {c.border}; border-radius: 0;
    padding: 4px 12px;
}}
QPushButton#Segment[first="true"] {{ border-top-left-radius: 5px; border-bottom-left-radius: 5px; }}
QPushButton#Segment[last="true"] {{ border-top-right-radius: 5px; border-bottom-right-radius: 5px; }}
QPushButton#Segment:checked {{ background: {c.raised}; color: {c.text}; border-color: {c.accent}; }}
QPushButton#Segment:focus {{ border-color: {c.accent}; }}
QPushButton#Segment:disabled {{ color: {c.faint}; }}
"""


def segment_row(parent: QWidget, items: list[tuple[int, str]], checked: int) -> tuple[QButtonGroup, dict[int, QPushButton], QHBoxLayout]:
    """Buttons for `(value, label)` items in a row, `checked` selected; the group's ids are the
    values."""
    group = QButtonGroup(parent)
    group.setExclusive(True)
    row = QHBoxLayout()
    row.setSpacing(0)
    buttons: dict[int, QPushButton] = {}
    for i, (value, label) in enumerate(items):
        button = QPushButton(label, parent)
        button.setObjectName("Segment")
        button.setCheckable(True)
        button.setAutoDefault(False)
        button.setProperty("first", i == 0)
        button.setProperty("last", i == len(items) - 1)
        button.setChecked(value == checked)
        group.addButton(button, value)
        buttons[value] = button
        row.addWidget(button)
    return group, buttons, row
