"""The studio's log: a rotating file in the platform's log folder (studio.paths.log_dir), which a
user can attach to a bug report (Help → Open log folder), with no secret in it.

Every record passes a redacting filter before any handler writes it: the API key (every key
the process has used is registered here, by value) and anything shaped like a key header or
parameter are replaced by `[redacted]`, in the message, its arguments and its traceback.
Errors carry their traceback; the last few files (`studio.log`, `studio.log.1`, ...) hold the
recent runs. Standard library only, no Qt: the command line uses it too.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from pathlib import Path

LOG_FILE = "studio.log"
MAX_BYTES = 1024 * 1024   # per file; with BACKUPS older ones, a few runs of history
BACKUPS = 4
REDACTED = "[redacted]"
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

_secrets: set[str] = set()
_lock = threading.Lock()
# A key written out by something that does not know it is one: a header dump, a query string,
# a repr of keyword arguments.
_SHAPES = (
    re.compile(r"(?i)(x-api-key['\"]?\s*[:=,]\s*['\"]?)([^\s'\",})\][]+)"),
    re.compile(r"(?i)(api[_-]?key(?:['\"]\s*:\s*['\"]|\s*=\s*['\"]?))([^\s'\",})\][]+)"),
    re.compile(r"(?i)(authorization['\"]?\s*[:=,]\s*['\"]?(?:bearer\s+)?)([^\s'\",})\][]+)"),
)


def add_secret(value: str | None) -> None:
    """Never write `value` to the log (the API key, whenever the process comes to hold one)."""
    value = (value or "").strip()
    if len(value) >= 4:  # shorter would redact ordinary words
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """`text` with every registered secret and every key-shaped value replaced."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for shape in _SHAPES:
        text = shape.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Formats the record's message (and traceback) now, redacted, so no handler can write the
    raw arguments later."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what can be shown
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info:
            record.exc_text = redact(self._formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_installed: list[logging.Handler] = []


class _Early(logging.Handler):
    """Holds what is logged before the log file is open (start-up paints the window first:
    `logging.handlers` and the log folder cost ~30 ms), for `setup` to write out."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []
        self.addFilter(RedactingFilter())

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) < 1000:
            self.records.append(record)


_early: _Early | None = None


def early() -> None:
    """Start keeping log records (in memory) until `setup` opens the file; cheap."""
    global _early
    if _early is None and not _installed:
        _early = _Early()
        root = logging.getLogger()
        root.addHandler(_early)
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)


def setup(folder: Path | None = None, *, level: int = logging.INFO, stderr: bool = True) -> Path | None:
    """Log to `folder`/studio.log (the platform log folder by default), rotating, redacted;
    warnings and errors also to stderr. Returns the log file, or None when the folder cannot be
    written (the studio runs on; stderr still gets the warnings). Calling it again replaces the
    handlers it installed before."""
    import logging.handlers

    from studio import paths

    global _early
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed.clear()
    redacting = RedactingFilter()
    path: Path | None = (folder or paths.log_dir()) / LOG_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler: logging.Handler | None = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError as exc:
        print(f"legnext-studio: no log file in {path.parent}: {exc}", file=sys.stderr)
        file_handler, path = None, None
    handlers: list[logging.Handler] = []
    if file_handler is not None:
        file_handler.setLevel(level)
        handlers.append(file_handler)
    if stderr:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.WARNING)
        handlers.append(console)
    for handler in handlers:
        handler.addFilter(redacting)
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
        _installed.append(handler)
    root.setLevel(min(level, root.level) if root.level else level)
    if _early is not None:  # what was logged before the file was open
        root.removeHandler(_early)
        for record in _early.records:
            record.msg = redact(str(record.msg))  # again: a key may have been registered since
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
            for handler in handlers:
                if record.levelno >= handler.level:
                    handler.handle(record)
        _early = None
    # One line per HTTP request is noise in a file meant for bug reports.
    for noisy in ("httpx", "httpcore", "hpack", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    _hook_uncaught()
    return path


def _hook_uncaught() -> None:
    """An exception nobody caught (on the main thread or another) goes to the log, redacted."""
    previous = sys.excepthook

    def log_uncaught(kind, value, tb):  # type: ignore[no-untyped-def]
        if not issubclass(kind, KeyboardInterrupt):
            logging.getLogger("studio").critical("uncaught exception", exc_info=(kind, value, tb))
        previous(kind, value, tb)

    if getattr(sys.excepthook, "__name__", "") != "log_uncaught":
        sys.excepthook = log_uncaught

    def log_thread(args: threading.ExceptHookArgs) -> None:
        logging.getLogger("studio").critical(
            "uncaught exception in thread %s", getattr(args.thread, "name", "?"),
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    threading.excepthook = log_thread
