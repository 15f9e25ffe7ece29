"""The studio's look: a calm dark palette (a light one on request), one accent colour, and QSS.

Colour roles, used across every widget (import the constants rather than writing hex codes):
neutral greys for chrome, `ACCENT` for the primary action and focus, `ERROR` (red) only for
errors, `WARNING` (amber) for warnings, `INFO` (blue) for hints.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Colors:
    window: str
    surface: str      # docks and panels
    base: str         # text fields, list backgrounds, the grid backdrop
    raised: str       # buttons, hovered rows
    border: str
    text: str
    muted: str        # secondary text
    faint: str        # disabled text, placeholders
    accent: str
    accent_text: str  # text on an accent background
    error: str
    warning: str
    info: str


DARK = Colors(
    window="#1b1c1f",
    surface="#222327",
    base="#17181a",
    raised="#2d2f34",
    border="#34363c",
    text="#e4e5e8",
    muted="#a2a5ad",
    faint="#6c6f77",
    accent="#6e8bff",
    accent_text="#0d1024",
    error="#f0575d",
    warning="#f2a93b",
    info="#5aa7f0",
)

LIGHT = Colors(
    window="#f3f3f5",
    surface="#fafafb",
    base="#ffffff",
    raised="#e8e9ec",
    border="#d3d5da",
    text="#1d1e21",
    muted="#5c5f67",
    faint="#9a9da5",
    accent="#3d5fe0",
    accent_text="#ffffff",
    error="#d42f36",
    warning="#b86e00",
    info="#1d6fc2",
)

# The active palette's roles, for widgets that paint themselves.
current: Colors = DARK
ACCENT = DARK.accent
ERROR = DARK.error
WARNING = DARK.warning
INFO = DARK.info


def color(role: str) -> QColor:
    """A role of the active palette as a QColor, e.g. color("accent")."""
    return QColor(getattr(current, role))


def _palette(c: Colors) -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: c.window,
        QPalette.ColorRole.WindowText: c.text,
        QPalette.ColorRole.Base: c.base,
        QPalette.ColorRole.AlternateBase: c.surface,
        QPalette.ColorRole.ToolTipBase: c.raised,
        QPalette.ColorRole.ToolTipText: c.text,
        QPalette.ColorRole.PlaceholderText: c.faint,
        QPalette.ColorRole.Text: c.text,
        QPalette.ColorRole.Button: c.raised,
        QPalette.ColorRole.ButtonText: c.text,
        QPalette.ColorRole.BrightText: c.error,
        QPalette.ColorRole.Link: c.accent,
        QPalette.ColorRole.Highlight: c.accent,
        QPalette.ColorRole.HighlightedText: c.accent_text,
        QPalette.ColorRole.Mid: c.border,
        QPalette.ColorRole.Dark: c.base,
        QPalette.ColorRole.Light: c.raised,
    }
    for role, value in roles.items():
        p.setColor(role, QColor(value))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(c.faint))
    return p


def stylesheet(c: Colors) -> str:
    return f"""
QMainWindow, QDialog {{ background: {c.window}; }}
QMainWindow::separator {{ background: {c.window}; width: 6px; height: 6px; }}
QMainWindow::separator:hover {{ background: {c.border}; }}
QDockWidget {{ color: {c.muted}; font-size: 11px; font-weight: 600; }}
QDockWidget::title {{
    background: {c.surface}; padding: 7px 10px; text-align: left;
    border-bottom: 1px solid {c.border};
}}
QDockWidget > QWidget {{ background: {c.surface}; }}
QWidget#DockBody {{ background: {c.surface}; }}
QToolTip {{ background: {c.raised}; color: {c.text}; border: 1px solid {c.border}; padding: 4px 6px; }}
QMenuBar {{ background: {c.window}; color: {c.muted}; border-bottom: 1px solid {c.border}; }}
QMenuBar::item {{ padding: 4px 10px; background: transparent; }}
QMenuBar::item:selected {{ background: {c.raised}; color: {c.text}; border-radius: 4px; }}
QMenu {{ background: {c.surface}; color: {c.text}; border: 1px solid {c.border}; padding: 4px; }}
QMenu::item {{ padding: 5px 22px 5px 18px; border-radius: 4px; }}
QMenu::item:selected {{ background: {c.raised}; }}
QMenu::item:disabled {{ color: {c.faint}; }}
QMenu::separator {{ height: 1px; background: {c.border}; margin: 4px 6px; }}
QStatusBar {{ background: {c.window}; color: {c.muted}; border-top: 1px solid {c.border}; }}
QStatusBar::item {{ border: none; }}
QStatusBar QLabel {{ color: {c.muted}; padding: 0 6px; }}
QToolButton#BalanceButton {{
    background: transparent; color: {c.text}; border: 1px solid transparent; padding: 1px 8px;
}}
QToolButton#BalanceButton:hover {{ background: {c.raised}; border-color: {c.border}; }}
QToolButton#BalanceButton:focus {{ border-color: {c.accent}; }}
QToolButton#BalanceButton[low="true"] {{ color: {c.warning}; }}
QFrame#AccountPopover {{ background: {c.surface}; border: 1px solid {c.border}; }}
QFrame#AccountPanel {{ background: {c.surface}; }}
QFrame#AccountRule {{ background: {c.border}; border: none; }}
QLabel#AccountTitle {{ color: {c.muted}; font-size: 11px; font-weight: 600; }}
QLabel#AccountCredits {{ color: {c.text}; font-size: 20px; font-weight: 600; }}
QLabel#AccountText {{ color: {c.text}; }}
QLabel#PlanBadge {{ color: {c.accent}; border: 1px solid {c.accent}; border-radius: 8px; padding: 0 8px; }}
QLabel#PlanBadge[warn="true"] {{ color: {c.warning}; border-color: {c.warning}; }}
QPushButton#LinkButton {{ background: transparent; border: none; color: {c.accent}; padding: 0 2px; }}
QPushButton#LinkButton:hover {{ text-decoration: underline; }}
QLabel#ModeBadge {{
    color: {c.accent}; border: 1px solid {c.accent}; border-radius: 8px; padding: 0 8px;
}}
QPushButton, QToolButton {{
    background: {c.raised}; color: {c.text}; border: 1px solid {c.border};
    border-radius: 5px; padding: 5px 12px;
}}
QToolButton {{ padding: 3px 6px; }}
QPushButton:hover, QToolButton:hover {{ border-color: {c.muted}; }}
QPushButton:focus, QToolButton:focus {{ border-color: {c.accent}; }}
QPushButton:disabled, QToolButton:disabled {{ color: {c.faint}; background: {c.surface}; }}
QPushButton[primary="true"] {{
    background: {c.accent}; color: {c.accent_text}; border: 1px solid {c.accent}; font-weight: 600;
}}
QPushButton[primary="true"]:hover {{ background: {QColor(c.accent).lighter(110).name()}; }}
QPushButton[primary="true"]:disabled {{ background: {c.raised}; color: {c.faint}; border-color: {c.border}; }}
QLineEdit, QPlainTextEdit, QTextEdit, QSpinBox, QDoubleSpinBox, QComboBox {{
    background: {c.base}; color: {c.text}; border: 1px solid {c.border}; border-radius: 5px;
    padding: 4px 6px; selection-background-color: {c.accent}; selection-color: {c.accent_text};
}}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QSpinBox:focus, QDoubleSpinBox:focus,
QComboBox:focus {{ border-color: {c.accent}; }}
/* Spin boxes are typed or scrolled: Fusion's arrow buttons do not survive a styled frame. */
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{ width: 0px; border: none; subcontrol-origin: border; }}
QComboBox QAbstractItemView {{ background: {c.surface}; border: 1px solid {c.border}; }}
QListView, QTreeView, QTableView {{
    background: {c.surface}; color: {c.text}; border: none; outline: none;
}}
QProgressBar {{
    background: {c.raised}; border: none; border-radius: 2px; max-height: 4px; text-align: center;
}}
QProgressBar::chunk {{ background: {c.accent}; border-radius: 2px; }}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 0; }}
QScrollBar:horizontal {{ background: transparent; height: 10px; margin: 0; }}
QScrollBar::handle {{ background: {c.border}; border-radius: 4px; min-height: 24px; min-width: 24px; }}
QScrollBar::handle:hover {{ background: {c.faint}; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: transparent; }}
QGroupBox {{ color: {c.muted}; border: 1px solid {c.border}; border-radius: 6px; margin-top: 14px; padding-top: 6px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; }}
QTabWidget::pane {{ border: 1px solid {c.border}; border-radius: 5px; }}
QTabBar::tab {{ background: {c.surface}; color: {c.muted}; padding: 6px 12px; border: none; }}
QTabBar::tab:selected {{ color: {c.text}; border-bottom: 2px solid {c.accent}; }}
QCheckBox, QRadioButton {{ color: {c.text}; spacing: 6px; }}
QFrame#Banner {{ background: {c.raised}; border: 1px solid {c.border}; border-radius: 6px; }}
QFrame#Banner[severity="error"] {{ border-color: {c.error}; }}
QFrame#Banner[severity="warning"] {{ border-color: {c.warning}; }}
QFrame#Banner QLabel {{ color: {c.text}; }}
QLabel#EmptyTitle {{ color: {c.text}; font-size: 17px; font-weight: 600; }}
QLabel#EmptyHint {{ color: {c.muted}; font-size: 13px; }}
QLabel#ErrorText {{ color: {c.error}; }}
QLabel#WarningText {{ color: {c.warning}; }}
QLabel#Muted {{ color: {c.muted}; }}
QFrame#HistoryFilterPopup {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 8px; }}
QToolButton#HistoryFiltersButton {{ padding: 3px 8px; }}
QToolButton#HistorySetChip {{ color: {c.accent}; border: 1px solid {c.accent}; border-radius: 10px; padding: 2px 8px; }}
QToolButton#HistoryFiltersButton[active="true"] {{ color: {c.accent}; border: 1px solid {c.accent}; border-radius: 5px; }}
"""


def apply_theme(app: QApplication, mode: str = "dark") -> Colors:
    """Install the palette and stylesheet. mode: "dark" (default), "light", or "system"."""
    global current, ACCENT, ERROR, WARNING, INFO
    if mode == "system":
        hints = app.styleHints()
        scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else None
        from PySide6.QtCore import Qt

        mode = "light" if scheme == Qt.ColorScheme.Light else "dark"
    chosen = LIGHT if mode == "light" else DARK
    current = chosen
    ACCENT, ERROR, WARNING, INFO = chosen.accent, chosen.error, chosen.warning, chosen.info
    app.setStyle("Fusion")  # the one style that honours a full custom palette everywhere
    app.setPalette(_palette(chosen))
    app.setStyleSheet(stylesheet(chosen))
    return chosen
