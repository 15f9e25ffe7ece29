"""The main window: prompt dock (left), the grid (centre), the queue dock (right; under the
prompt on a window too narrow for three columns), status bar.

It only wires views to the session objects (PromptState, JobsSession) and shows messages; the
widgets themselves live in their rooms (ui/prompt, ui/grid, ui/queue, ui/mask, ui/common).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.credits import balance_credits
from studio.session.connection import Connection, ConnectionInfo
from studio.session.jobs import ERROR, FAILED, RATE_LIMITED, SUBMITTING, JobsSession
from studio.session.settings import KeyStore, Settings
from studio.ui.common.notify import Notifier
from studio.ui.queue.panel import QueuePanel, excerpt

APP_NAME = "Legnext Studio"
# Bump when the dock set changes, so an old saved layout is not applied to new docks.
_LAYOUT_VERSION = 3
# Where an account is topped up (REFERENCE.md: keys and credits live in the Legnext dashboard).
TOP_UP_URL = "https://legnext.ai/dashboard"
# The narrowest the docks may get (the prompt dock also never clips its parameter rows), so a
# small window leaves the grid a fair share.
PROMPT_DOCK_MIN = 280
QUEUE_DOCK_MIN = 160
HISTORY_DOCK_MIN = 200
# Below this share of the window's width the grid takes width back from the docks.
_GRID_SHARE = 0.45


def _job_label(entry: Any) -> str:
    """"Diffusion", "Video diffusion": a job's task type as the start of a sentence."""
    return entry.task_type.replace("_", " ").capitalize()


class Banner(QFrame):
    """A message tied to what just happened, with an optional action button and a close cross.

    `topic` says what the message is about: "job" (a job that failed; the next Generate makes
    it stale) or "connection" (no backend, a refused key: it stays until the studio connects).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.setSpacing(10)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label, 1)
        self.button = QPushButton()
        self.button.hide()
        layout.addWidget(self.button)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout.addWidget(close)
        self._action: Any = None
        self.topic = ""
        self.button.clicked.connect(self._run)
        self.hide()

    def show_message(self, text: str, *, severity: str = "error", action: str | None = None,
                     on_action: Any = None, topic: str = "job") -> None:
        self.topic = topic
        self.setProperty("severity", severity)
        self.style().unpolish(self)
        self.style().polish(self)
        self.label.setText(text)
        self._action = on_action
        self.button.setVisible(bool(action))
        if action:
            self.button.setText(action)
        self.show()

    def _run(self) -> None:
        self.hide()
        if self._action is not None:
            self._action()


class EmptyState(QWidget):
    """What the centre shows before the first job: what to do, and whether it costs anything."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 40, 40, 40)
        layout.addStretch(2)
        self.title = QLabel("Type a prompt and press Ctrl+Enter")
        self.title.setObjectName("EmptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addSpacing(6)
        self.hint = QLabel()
        self.hint.setObjectName("EmptyHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        layout.addStretch(3)

    def set_connection(self, info: ConnectionInfo) -> None:
        if info.pending:
            self.hint.setText("The four images of each job appear here.")
        elif info.sandbox:
            self.hint.setText("You are on the offline sandbox, nothing is charged.\n"
                              "The four images of each job appear here.")
        else:
            self.hint.setText(f"Jobs run on {info.label} and are charged to your Legnext account.\n"
                              "The four images of each job appear here.")

    def text(self) -> str:
        return f"{self.title.text()} — {self.hint.text()}"


class MainWindow(QMainWindow):
    """The studio window. `settings_applied` fires after the settings dialog saved changes."""

    settings_applied = Signal()
    closed = Signal()

    def __init__(
        self,
        jobs: JobsSession,
        prompt_state: Any,
        settings: Settings,
        keys: KeyStore,
        connection: Connection,
        *,
        sandbox_url: Any = None,
    ) -> None:
        super().__init__()
        self.jobs = jobs
        self.prompt_state = prompt_state
        self.settings = settings
        self.keys = keys
        self.connection_state = connection
        self.connection: ConnectionInfo = connection.info  # as last shown
        self._sandbox_url = sandbox_url
        self.notifier = Notifier(self)
        self.settings_dialog: Any = None
        self.url_edit: Any = None  # the upload-paint launcher, built on first use
        self.animate_url: Any = None  # the animate-from-a-URL box, built on first use
        self.set_dialog: Any = None  # the open "send these prompts?" question
        self.waiting_box: QMessageBox | None = None  # the question about jobs restored unsent
        self._exposed = False
        # False for scripted runs (--screenshot): no question on quit, the saved prompt is kept.
        self.interactive = True
        self._sending: Any = None  # the last job Generate started, until the server has it
        self._failure_told = ""  # the session's status line for the failure just shown
        self.quit_box: QMessageBox | None = None
        self._quit_confirmed = False
        self._dock_widths: dict[str, int] = {}  # dock widths before a narrow window squeezed them
        self._widths_before: dict[str, int] = {}  # side dock widths before the latest resize
        self._known_width = 0  # the window's width the dock widths above belong to
        self.setObjectName("MainWindow")
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.setDockNestingEnabled(True)
        # The side docks run the full height; the history sits under the grid only.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)

        self._build_centre()
        self._build_docks()
        self._build_status_bar()
        self._build_menus()
        from studio.ui.operations.dock import install_tools

        self.tools_dock = install_tools(self)  # blend, describe, shorten, an image's tools
        self._wire()
        self.set_connection(connection.info)
        self._restore_layout()

    # ----- construction -------------------------------------------------------------------
    def _build_centre(self) -> None:
        centre = QWidget()
        centre.setObjectName("Centre")
        layout = QVBoxLayout(centre)
        # The grid runs edge to edge (images first); only the banner keeps a margin.
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.banner = Banner()
        banner_row = QHBoxLayout()
        banner_row.setContentsMargins(12, 10, 12, 0)
        banner_row.addWidget(self.banner)
        layout.addLayout(banner_row)
        self.stack = QStackedWidget()
        self.empty_state = EmptyState()
        self.stack.addWidget(self.empty_state)
        # The grid (and the image decoding it brings) is built when the first job is shown,
        # so it costs nothing at start-up.
        self._grid: Any = None
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(centre)

    @property
    def grid(self) -> Any:
        if self._grid is None:
            from studio.ui.grid.view import GridView

            # Save writes to the download folder the settings dialog edits (read on each save).
            self._grid = GridView(self.jobs, download_dir=lambda: self.settings.download_dir)
            self._grid.setObjectName("GridView")
            # The grid starts actions (vary, upscale, pan, ...) through the session itself;
            # a breadcrumb click there switches the job on show.
            self._grid.status_message.connect(lambda text: self.notifier.status(text, 8000))
            self._grid.prompt_chosen.connect(self.use_prompt)  # a describe / shorten card's prompt
            self.stack.addWidget(self._grid)
        return self._grid

    def _dock(self, title: str, name: str, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        from studio.ui.prompt.param_panel import ParameterPanel
        from studio.ui.prompt.editor import PromptEditor

        # Every widget is created under its final parent: re-parenting a styled widget makes
        # Qt re-polish its whole subtree, which cost a large share of start-up.
        self.prompt_dock = self._dock("PROMPT", "PromptDock", Qt.DockWidgetArea.LeftDockWidgetArea)
        prompt_body = QWidget(self.prompt_dock)
        prompt_body.setObjectName("DockBody")
        column = QVBoxLayout(prompt_body)
        column.setContentsMargins(10, 8, 10, 8)
        column.setSpacing(10)
        self.editor = PromptEditor(self.prompt_state, prompt_body)
        column.addWidget(self.editor)
        scroll = QScrollArea(prompt_body)
        scroll.setObjectName("ParamScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.param_panel = ParameterPanel(self.prompt_state, scroll.viewport(), settings=self.settings)
        scroll.setWidget(self.param_panel)
        column.addWidget(scroll, 1)
        self.prompt_dock.setWidget(prompt_body)

        self.queue_dock = self._dock("QUEUE", "QueueDock", Qt.DockWidgetArea.RightDockWidgetArea)
        self.queue_panel = QueuePanel(self.jobs, self.queue_dock)
        self.queue_dock.setWidget(self.queue_panel)
        # The parameter rows need their full width (never clip them: margins and a scroll bar
        # come on top); past that the docks give way to the grid.
        panel = self.param_panel.minimumSizeHint().width()
        margins = column.contentsMargins()
        bar = scroll.verticalScrollBar().sizeHint().width()
        prompt_body.setMinimumWidth(max(PROMPT_DOCK_MIN, panel + margins.left() + margins.right() + bar))
        self.queue_panel.setMinimumWidth(QUEUE_DOCK_MIN)
        self.prompt_dock.installEventFilter(self)
        self.queue_dock.installEventFilter(self)

        from studio.ui.history.panel import HistoryPanel

        self.history_dock = self._dock("HISTORY", "HistoryDock", Qt.DockWidgetArea.BottomDockWidgetArea)
        self.history_panel = HistoryPanel(self.jobs, self.prompt_state, self.history_dock)
        self.history_dock.setWidget(self.history_panel)
        # Read the history once the dock is on show, after the window has painted.
        self._history_shown = QTimer(self)
        self._history_shown.setSingleShot(True)
        self._history_shown.setInterval(0)
        self._history_shown.timeout.connect(lambda: self.history_panel.set_visible(self.history_dock.isVisible()))
        self.history_dock.visibilityChanged.connect(lambda _on: self._history_shown.start())

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.running_label = QLabel()
        self.running_label.setObjectName("Muted")
        bar.addPermanentWidget(self.running_label)
        self.mode_label = QLabel()
        self.mode_label.setObjectName("ModeBadge")
        bar.addPermanentWidget(self.mode_label)
        from studio.session.account import AccountSummary
        from studio.ui.account.balance_button import BalanceButton

        # Balance, plan, quota and the low-balance line, refreshed with the jobs.
        self.account = AccountSummary(self.jobs, cost=lambda: self.prompt_state.lint().cost.credits,
                                      alert_jobs=lambda: self.settings.low_balance_jobs, parent=self)
        self.balance_label = BalanceButton(self.account, sandbox=lambda: self.connection.sandbox,
                                           open_settings=self.open_settings, top_up=self.open_top_up)
        bar.addPermanentWidget(self.balance_label)
        gear = QToolButton()
        gear.setText("⚙")
        gear.setAutoRaise(True)
        gear.setToolTip("Settings (Ctrl+,)")
        gear.clicked.connect(self.open_settings)
        bar.addPermanentWidget(gear)
        self.settings_button = gear

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.open_settings)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        edit_menu = menu.addMenu("&Edit")
        undo = self.prompt_state.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.prompt_state.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        # The prompt editor takes these keys itself while it has focus (ShortcutOverride);
        # elsewhere in the window (the parameter panel) these actions undo panel edits too.
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)

        self.view_menu = menu.addMenu("&View")
        for dock, key in ((self.prompt_dock, "Ctrl+1"), (self.queue_dock, "Ctrl+2"), (self.history_dock, "Ctrl+3")):
            toggle = dock.toggleViewAction()
            toggle.setText(dock.windowTitle().title())
            toggle.setShortcut(QKeySequence(key))
            self.view_menu.addAction(toggle)
        self.search_history_action = QAction("Search the history", self)
        self.search_history_action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        self.search_history_action.triggered.connect(self.search_history)
        self.view_menu.addAction(self.search_history_action)
        self.view_menu.addSeparator()
        reset = QAction("Reset layout", self)
        reset.triggered.connect(self.reset_layout)
        self.view_menu.addAction(reset)

        jobs_menu = menu.addMenu("&Jobs")
        self.generate_action = QAction("Generate", self)
        self.generate_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.generate_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.generate_action.setAutoRepeat(False)  # a held Ctrl+Enter is one job, not one per repeat
        # Through the editor, so a blocked prompt shows its reason there instead of sending.
        self.generate_action.triggered.connect(lambda: self.editor.request_generate())
        jobs_menu.addAction(self.generate_action)
        self.edit_url_action = QAction("Edit an image from a URL…", self)
        self.edit_url_action.setToolTip("Open an image from a URL on a canvas for upload paint")
        self.edit_url_action.triggered.connect(self.open_image_url)
        jobs_menu.addAction(self.edit_url_action)
        self.animate_url_action = QAction("Animate an image from a URL…", self)
        self.animate_url_action.setToolTip("Make a short video from an image on the web")
        self.animate_url_action.triggered.connect(self.open_animate_url)
        jobs_menu.addAction(self.animate_url_action)
        refresh = QAction("Refresh balance", self)
        refresh.triggered.connect(lambda: self.jobs.refresh_balance())
        jobs_menu.addAction(refresh)
        self.account_action = QAction("Account…", self)
        self.account_action.setToolTip("Balance, plan, quota and the low-balance warning")
        self.account_action.triggered.connect(self.balance_label.toggle_panel)
        jobs_menu.addAction(self.account_action)

        help_menu = menu.addMenu("&Help")
        self.open_logs_action = QAction("Open log folder", self)
        self.open_logs_action.setToolTip("The studio's log (no API key in it), to attach to a bug report")
        self.open_logs_action.triggered.connect(self.open_log_folder)
        help_menu.addAction(self.open_logs_action)

    def open_log_folder(self) -> Any:
        """Show the folder of the studio's log files in the file manager."""
        from studio import paths

        folder = paths.log_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.notifier.status(f"The log folder {folder} cannot be made: {exc}", 8000)
            return None
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.notifier.status(f"The logs are in {folder}", 12000)
        return folder

    def _wire(self) -> None:
        self.editor.generate_requested.connect(self.generate)
        self.queue_panel.job_selected.connect(self.pick_job)
        self.queue_panel.status_message.connect(lambda text: self.notifier.status(text, 8000))
        self.queue_panel.set_again_requested.connect(self.send_set_again)
        self.history_panel.status_message.connect(lambda text: self.notifier.status(text, 8000))
        self.history_panel.set_again_requested.connect(self.send_set_again)
        self.jobs.job_added.connect(self._on_job_added)
        self.jobs.on_show.changed.connect(self._on_show_changed)
        self.jobs.waiting_found.connect(self.ask_send_waiting)
        self.connection_state.changed.connect(self.set_connection)
        self.connection_state.failed.connect(self._on_background_failure)
        self.jobs.job_changed.connect(self._on_job_changed)
        self.jobs.job_finished.connect(self._on_job_finished)
        self.account.low_balance.connect(self._on_low_balance)
        self.account.changed.connect(self._follow_low_balance)
        self.prompt_state.lint_changed.connect(lambda _result: self.account.prompt_changed())
        self.settings_applied.connect(self.account.prompt_changed)
        self.jobs.auth_failed.connect(self._on_auth_failed)
        self.jobs.message.connect(self._on_jobs_message)

    # ----- connection ---------------------------------------------------------------------
    def set_connection(self, info: ConnectionInfo) -> None:
        self.connection = info
        self.setWindowTitle(f"{APP_NAME} — {info.label}")
        self.mode_label.setText(info.label)
        tip = "Jobs run on the built-in offline sandbox: nothing is charged." if info.sandbox \
            else f"Jobs run on {info.base_url} and are charged to your account."
        if info.reason:
            tip += f"\n{info.reason}"
        self.mode_label.setToolTip(tip)
        self.empty_state.set_connection(info)
        if info.problem:
            self.mode_label.setToolTip(info.problem)
            self.notifier.status(info.label, 0)  # no longer claiming to be on the way
            return
        if info.pending:
            self.notifier.status("Looking up the API key…", 0)
        elif info.sandbox:
            note = "Sandbox (offline): nothing is charged"
            if info.reason:
                note += f" — {info.reason}"
            self.notifier.status(note, 0)
        else:
            self.notifier.status(f"Connected to {info.label}", 8000)
        if not info.pending and self.banner.topic == "connection":
            self.banner.hide()  # connected now: the problem it told of is over

    def _on_background_failure(self, text: str, settings_help: bool) -> None:
        """Connecting or another background task failed: said until it is dealt with."""
        if settings_help:
            self.banner.show_message(text, action="Open Settings…", on_action=self.open_settings,
                                     topic="connection")
        else:
            self.notifier.status(text, 10000)
            self.banner.show_message(text)

    def show_history_problem(self, text: str) -> None:
        """The job history could not be opened as it was (kept aside, or read-only)."""
        self.banner.show_message(text, topic="history")

    def show_presets_problem(self, text: str) -> None:
        """The presets file could not be read or written as asked (nothing was lost)."""
        self.banner.show_message(text, topic="presets")

    # ----- generating ---------------------------------------------------------------------
    def generate(self) -> Any:
        """Submit the prompt as a diffusion job (blocked while the prompt has an error)."""
        result = self.prompt_state.lint()
        if not result.ok:
            first = result.errors[0]
            self.notifier.status(f"Not sent: {first.message}", 8000)
            return None
        prompts = self.prompt_state.prompts_for_submit()
        if not prompts or not prompts[0]:
            self.notifier.status("Type a prompt first.", 5000)
            self.editor.setFocus()
            return None
        if len(prompts) > 1:  # {a, b} sets: show them all with the total, one confirmation sends
            return self.confirm_set(prompts, list(result.prompts))
        text = prompts[0]
        last = self._sending
        if last is not None and last.prompt == text and last.status in (SUBMITTING, RATE_LIMITED):
            # A double click or a repeated key, not a wish to pay twice for the same prompt.
            self.notifier.status("Already sending this prompt — it can be sent again once the server "
                                 "has it.", 5000)
            return None
        if self.banner.topic == "job":
            self.banner.hide()  # about an earlier job; a connection problem stays until it is over
        if self.interactive:
            self.settings.prompt_text = self.prompt_state.text()
        self._sending = self.jobs.submit("diffusion", text=text, prompt=text)
        return self._sending

    def confirm_set(self, prompts: list[str], results: list[Any], again: bool = False) -> Any:
        """The prompts of a set, each with its model and cost, and the total; Send submits them
        as one group (studio.ui.prompt.prompt_set_dialog)."""
        from studio.ui.prompt.prompt_set_dialog import PromptSetDialog

        if self.set_dialog is not None:
            self.set_dialog.close()  # a second Ctrl+Enter replaces the question, never stacks it
        balance = balance_credits(self.jobs.balance) if self.jobs.balance is not None else None
        self.set_dialog = PromptSetDialog(prompts, results, self._send_set, self, balance=balance, again=again)
        self.set_dialog.destroyed.connect(lambda *_: setattr(self, "set_dialog", None))
        self.set_dialog.open()
        return self.set_dialog

    def send_set_again(self, prompts: list[str]) -> Any:
        """A set from the queue: its prompts checked again, shown with their cost."""
        from studio.prompt import lint

        results = [lint(p, model=self.prompt_state.default_model()) for p in prompts]
        return self.confirm_set(prompts, results, again=True)

    def _send_set(self, prompts: list[str]) -> None:
        if self.interactive:
            self.settings.prompt_text = self.prompt_state.text()
        entries = self.jobs.submit_set(prompts)
        self._sending = entries[-1] if entries else None
        self.notifier.status(f"Sent a set of {len(entries)} prompts; they are in the queue.", 6000)

    def submit_prompt(self, text: str) -> Any:
        """Put `text` in the editor and generate (the demo and scripted starts use this)."""
        self.prompt_state.set_text(text, origin="program")
        return self.generate()

    def use_prompt(self, text: str, label: str = "Use prompt") -> None:
        """Put `text` in the editor as one undo step (where the editor checks it)."""
        self.prompt_state.use_prompt(text, label)
        self.editor.setFocus()
        self.notifier.status(f"{label}: it is in the editor now; Ctrl+Z puts the one before back.", 8000)

    def open_image_url(self) -> Any:
        """Jobs → Edit an image from a URL…: the URL box, then the upload-paint editor."""
        if self.url_edit is None:
            from studio.ui.mask.open_url import UrlEditLauncher

            self.url_edit = UrlEditLauncher(self.jobs, self)
        return self.url_edit.open()

    def open_animate_url(self) -> Any:
        """Jobs → Animate an image from a URL…: the box that sends it (built on first use)."""
        if self.animate_url is None:
            from studio.ui.video.animate_url import AnimateUrlBox

            self.animate_url = AnimateUrlBox(self.jobs, self)
        self.animate_url.open_fresh()
        return self.animate_url

    # ----- following jobs -----------------------------------------------------------------
    @property
    def shown_key(self) -> str | None:
        """The job on show (the session's one value)."""
        return self.jobs.on_show.key

    def show_job(self, key: str) -> None:
        """Put this job on show (following: newer jobs from the prompt may take its place)."""
        entry = self.jobs.entry(key)
        if entry is not None:
            self.jobs.on_show.show(entry.key)

    def _on_show_changed(self, key: str) -> None:
        if not key:
            return
        self.grid  # built on first use; it draws the job on show itself
        self.stack.setCurrentWidget(self.grid)
        self.queue_panel.set_current(key)

    def grid_ready(self, key: str) -> bool:
        """True once this job's grid is on show with every image decoded and painted."""
        entry = self.jobs.entry(key)
        if entry is None or self._grid is None or self._grid.key != entry.key \
                or self.stack.currentWidget() is not self._grid:
            return False
        count = self.grid.image_count()
        return count > 0 and self.grid.displayed_count() == count

    def pick_job(self, key: str) -> None:
        """The user chose a job in the queue: show it, and stop following newer jobs."""
        entry = self.jobs.entry(key)
        if entry is not None:
            self.jobs.on_show.show(entry.key, pinned=True)

    def _on_job_added(self, key: str) -> None:
        # A job from the prompt is followed; one started from the grid (a child) is not.
        entry = self.jobs.entry(key)
        self._update_running()
        if entry is not None:
            self.jobs.on_show.started(entry.key, from_prompt=entry.parent is None)

    def _on_job_changed(self, key: str) -> None:
        self._update_running()

    def _on_job_finished(self, key: str) -> None:
        self._update_running()
        entry = self.jobs.entry(key)
        if entry is None:
            return
        failed = entry.status in (ERROR, FAILED)
        following = self.jobs.on_show.following(key)
        # A failed one has nothing to show: the newest job still running from the prompt is
        # followed instead.
        running = [e.key for e in self.jobs.entries() if e.active and e.parent is None]
        shown = self.jobs.entry(self.shown_key) if self.shown_key else None
        self.jobs.on_show.finished(key, ok=not failed, still_running=running,
                                   shown_failed=shown is None or shown.status in (ERROR, FAILED))
        told = False
        if failed and entry.error:
            # Its row (and the banner, or the announcement below) says it: the session's own
            # status line for it, which follows at once, would be a fourth copy.
            self._failure_told = f"{_job_label(entry)} failed: {entry.error}"
            told = self._explain_failure(entry, following)
        active = self.isActiveWindow()
        looking = key == self.shown_key and active
        # Away from the window the announcement (a tray message) is how the user hears of it;
        # in front of it, a failure the banner tells is not told again in the status bar.
        if not active or not (looking or told):
            title = f"{_job_label(entry)} " + ("failed" if failed else "finished")
            detail = entry.error if failed else excerpt(entry.prompt, 60)
            if active and not failed and not looking:
                title += " (in the queue)"  # the grid stayed where the artist is
            self.notifier.announce(title, detail or "", error=failed)

    def _explain_failure(self, entry: Any, following: bool) -> bool:
        """Mark a rejected flag in the editor and tell the failure in the banner when that
        helps; True when the banner tells it (or the cause of it)."""
        status = entry.error_status
        if entry.error_flag and entry.prompt and entry.op == "diffusion":
            # Show the rejection at the flag in the editor while the text is still the one sent.
            if entry.prompt in self.prompt_state.prompts_for_submit():
                self.prompt_state.last_server_error(entry.error_flag, entry.error)
        if status == 401:
            return True  # the auth banner is shown by _on_auth_failed
        if not self.banner.isHidden() and self.banner.topic == "connection":
            return True  # the cause, with its way out (Settings), stays on show; the row has the rest
        if status == 402:
            # The account is out of credits whichever job met it: say so once, with the way out
            # (the sandbox is no account: nothing to top up there).
            account = not self.connection.sandbox
            self.banner.show_message(f"{_job_label(entry)}: {entry.error}",
                                     action="Top up…" if account else None,
                                     on_action=self.open_top_up if account else None)
            return True
        if following:
            severity = "error" if status not in (429,) else "warning"
            self.banner.show_message(f"{_job_label(entry)}: {entry.error}", severity=severity)
            return True
        return False

    def _on_jobs_message(self, text: str) -> None:
        told, self._failure_told = self._failure_told, ""
        if text != told:
            self.notifier.status(text)

    def open_top_up(self) -> None:
        """The Legnext dashboard, where credits are bought, in the browser."""
        QDesktopServices.openUrl(QUrl(TOP_UP_URL))

    def _on_auth_failed(self, text: str) -> None:
        self.banner.show_message(text, severity="error", action="Open Settings…", on_action=self.open_settings,
                                 topic="connection")

    def _update_running(self) -> None:
        active = sum(1 for e in self.jobs.entries(include_hidden=True) if e.active)
        self.running_label.setText(f"{active} running" if active else "")

    def _on_low_balance(self, text: str) -> None:
        """The balance crossed the low line (once per crossing): said in the banner, with the
        way to more credits on an account, unless a connection problem holds it."""
        if not self.banner.isHidden() and self.banner.topic == "connection":
            self.notifier.status(text, 10000)
            return
        account = not self.connection.sandbox
        self.banner.show_message(self._low_balance_words(text), severity="warning",
                                 action="Top up…" if account else None,
                                 on_action=self.open_top_up if account else None, topic="account")

    def _low_balance_words(self, text: str) -> str:
        return text if not self.connection.sandbox else f"{text} (Offline sandbox: nothing is charged.)"

    def _follow_low_balance(self) -> None:
        """The low-balance banner, while on show, keeps to the balance (told once, kept true);
        it goes once the balance is no longer low."""
        if self.banner.isHidden() or self.banner.topic != "account":
            return
        if self.account.low():
            self.banner.label.setText(self._low_balance_words(self.account.low_text()))
        elif self.account.credits() is not None:
            self.banner.hide()

    # ----- settings -----------------------------------------------------------------------
    def open_settings(self) -> Any:
        from studio.ui.settings_dialog import SettingsDialog

        if self.settings_dialog is not None and self.settings_dialog.isVisible():
            self.settings_dialog.raise_()
            return self.settings_dialog
        dialog = SettingsDialog(self.settings, self.keys, self, sandbox_url=self._sandbox_url)
        dialog.applied.connect(self.settings_applied)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _r: setattr(self, "settings_dialog", None))
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    # ----- layout persistence -------------------------------------------------------------
    def default_size(self) -> QSize:
        screen = self.screen()
        if screen is None:
            return QSize(1440, 900)
        area = screen.availableGeometry()
        return QSize(min(1440, int(area.width() * 0.9)), min(900, int(area.height() * 0.9)))

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry", QByteArray())
        state = self.settings.value("window/state", QByteArray())
        version = self.settings.value("window/layout_version", -1)
        restored = not geometry.isEmpty() and self.restoreGeometry(geometry)
        if not restored:
            self.resize(self.default_size())
        self._layout_restored = False
        if not state.isEmpty() and version == _LAYOUT_VERSION:
            self._layout_restored = self.restoreState(state, _LAYOUT_VERSION)

    def save_layout(self) -> None:
        self.settings.set_value("window/geometry", self.saveGeometry())
        self.settings.set_value("window/state", self.saveState(_LAYOUT_VERSION))
        self.settings.set_value("window/layout_version", _LAYOUT_VERSION)
        self.settings.sync()

    def search_history(self) -> None:
        """Show the history and put the cursor in its search box."""
        self.history_dock.show()
        self.history_dock.raise_()
        self.history_panel.filters.search.setFocus()
        self.history_panel.filters.search.selectAll()

    def reset_layout(self) -> None:
        for dock, area in ((self.prompt_dock, Qt.DockWidgetArea.LeftDockWidgetArea),
                           (self.queue_dock, Qt.DockWidgetArea.RightDockWidgetArea),
                           (self.history_dock, Qt.DockWidgetArea.BottomDockWidgetArea)):
            dock.setFloating(False)
            self.addDockWidget(area, dock)
            dock.show()
        self._default_layout()

    def _default_layout(self) -> None:
        """Prompt left, queue right; on a window too narrow for three columns, the queue goes
        under the prompt so the grid keeps more than half the width."""
        if self.queue_under_prompt():
            self.splitDockWidget(self.prompt_dock, self.queue_dock, Qt.Orientation.Vertical)
        self.size_docks()

    def queue_under_prompt(self) -> bool:
        """Whether three columns, the docks at their narrowest, would leave the grid less than
        half of the window's width."""
        docks = self.prompt_dock.minimumSizeHint().width() + self.queue_dock.minimumSizeHint().width()
        return self.width() - docks < self.width() / 2

    def size_docks(self) -> None:
        """Dock sizes for the current window: the grid keeps the larger share (on a small
        window the docks start at their minimum)."""
        width = max(self.width(), 800)
        prompt = max(self.prompt_dock.widget().minimumWidth(), min(420, int(width * 0.26)))
        # The history under the grid: a row of thumbnails and its filters (more on a tall window).
        history = max(HISTORY_DOCK_MIN, min(320, int(self.height() * 0.3)))
        self.resizeDocks([self.history_dock], [history], Qt.Orientation.Vertical)
        if self.dockWidgetArea(self.queue_dock) == self.dockWidgetArea(self.prompt_dock):
            # One column: the queue takes a quarter of its height, the prompt the rest.
            self.resizeDocks([self.prompt_dock], [prompt], Qt.Orientation.Horizontal)
            queue = max(140, self.height() // 4)
            self.resizeDocks([self.prompt_dock, self.queue_dock], [self.height() - queue, queue],
                             Qt.Orientation.Vertical)
            return
        queue = max(QUEUE_DOCK_MIN, min(300, int(width * 0.17)))
        self.resizeDocks([self.prompt_dock, self.queue_dock], [prompt, queue], Qt.Orientation.Horizontal)

    def _side_docks(self) -> list[QDockWidget]:
        """The docks on show beside the grid, one per side (the first of a stacked column)."""
        found: dict[Qt.DockWidgetArea, QDockWidget] = {}
        for dock in (self.prompt_dock, self.queue_dock):
            area = self.dockWidgetArea(dock)
            if dock.isVisible() and not dock.isFloating() and area in (
                    Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea):
                found.setdefault(area, dock)
        return list(found.values())

    def fit_docks(self) -> None:
        """After the window's width changed: keep the grid about half of it.

        Narrower: the side docks give width back, down to their minimums (Qt would squeeze the
        grid first). Wider again: they get back the widths they had before, as room allows.
        """
        docks = self._side_docks()
        if not docks:
            return
        widths = [dock.width() for dock in docks]
        room = self.centralWidget().width() - int(self.width() * _GRID_SHARE)
        if room < 0:
            floor = [max(d.minimumWidth(), d.minimumSizeHint().width()) for d in docks]
            spare = [max(0, w - f) for w, f in zip(widths, floor)]
            if not sum(spare):
                return
            for dock, width in zip(docks, widths):
                # As they were before this resize (Qt may already have squeezed them).
                self._dock_widths.setdefault(dock.objectName(), self._widths_before.get(dock.objectName(), width))
            # Each dock gives in proportion to what it can spare.
            take = min(-room, sum(spare))
            new = [w - round(take * s / sum(spare)) for w, s in zip(widths, spare)]
        elif self._dock_widths:
            owed = [max(0, self._dock_widths.get(d.objectName(), w) - w) for d, w in zip(docks, widths)]
            if not sum(owed) or not room:
                self._dock_widths.clear()
                return
            give = min(room, sum(owed))
            new = [w + round(give * o / sum(owed)) for w, o in zip(widths, owed)]
            if give == sum(owed):
                self._dock_widths.clear()  # back where they were
        else:
            return
        self.resizeDocks(docks, new, Qt.Orientation.Horizontal)

    # ----- events -------------------------------------------------------------------------
    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802
        # A side dock resized while the window kept its width: the artist's choice (or our
        # own layout), the width to come back to after a narrow window squeezed it. Qt
        # resizes the docks before the window hears of its own resize, so a squeeze is seen
        # here with the window's new width against the one it had.
        if (event.type() == QEvent.Type.Resize and watched in (self.prompt_dock, self.queue_dock)
                and self.width() == self._known_width and not self._dock_widths):
            self._widths_before[watched.objectName()] = watched.width()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._exposed and event.size().width() != event.oldSize().width():
            # After the layout has placed the docks at the new size.
            QTimer.singleShot(0, self.fit_docks)
        QTimer.singleShot(0, self._settled_width)

    def _settled_width(self) -> None:
        """The window's width once a resize has been laid out (see eventFilter)."""
        if self._known_width != self.width():
            self._known_width = self.width()
            if not self._dock_widths:
                self._widths_before = {d.objectName(): d.width() for d in self._side_docks()}

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._exposed:
            self._exposed = True
            if not self._layout_restored:
                self._default_layout()  # first start: arranged for the real window size
            QTimer.singleShot(0, self.editor.setFocus)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        running = sum(1 for e in self.jobs.entries(include_hidden=True) if e.active)
        if running and self.interactive and not self._quit_confirmed:
            event.ignore()
            self.ask_before_quitting(running)
            return
        if self.interactive:
            self.settings.prompt_text = self.prompt_state.text()  # written by save_layout's sync
        self.save_layout()
        super().closeEvent(event)
        if event.isAccepted():
            self.closed.emit()

    def ask_send_waiting(self, count: int) -> QMessageBox:
        """Jobs waited for a free slot when the studio last stopped: one question for all."""
        jobs = f"{count} jobs were" if count != 1 else "1 job was"
        box = QMessageBox(QMessageBox.Icon.Question, "Send the waiting jobs?",
                          f"{jobs} waiting for a free slot when the studio stopped. "
                          "Nothing was sent or charged.", parent=self)
        send = box.addButton("Send now", QMessageBox.ButtonRole.AcceptRole)
        drop = box.addButton("Don't send", QMessageBox.ButtonRole.DestructiveRole)
        later = box.addButton("Decide later", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(later)  # Enter never spends credits
        box.setEscapeButton(later)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(button: object) -> None:
            if button is send:
                self.jobs.send_waiting()
            elif button is drop:
                self.jobs.drop_waiting()

        box.buttonClicked.connect(answered)
        self.waiting_box = box
        box.open()
        return box

    def ask_before_quitting(self, running: int) -> QMessageBox:
        """Jobs are still running: Quit anyway, or Cancel (a window-modal sheet, no nested loop)."""
        if self.quit_box is not None and self.quit_box.isVisible():
            self.quit_box.raise_()
            return self.quit_box
        jobs, they, them, their = ((f"{running} jobs are", "they", "them", "their") if running != 1
                                   else ("1 job is", "it", "it", "its"))
        if self.connection.sandbox:
            text = (f"{jobs} still running on the offline sandbox; quitting stops {them} "
                    "(nothing is charged).")
        else:
            text = (f"{jobs} still running; {they} will finish on the server, and the studio "
                    f"picks {them} up again with {their} images at the next start.")
        box = QMessageBox(QMessageBox.Icon.Warning, "Quit Legnext Studio?", text, parent=self)
        box.setInformativeText("Quit now, or cancel and keep the studio open until they finish."
                               if self.connection.sandbox else
                               "Quit now, or cancel and watch them finish here.")
        quit_button = box.addButton("Quit", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)  # Enter must not drop paid jobs
        box.setEscapeButton(cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: setattr(self, "quit_box", None))  # answered or closed
        box.buttonClicked.connect(lambda button: self._quit_answered(button is quit_button))
        self.quit_box = box
        box.open()
        return box

    def _quit_answered(self, quit_now: bool) -> None:
        if quit_now:
            self._quit_confirmed = True
            self.close()
