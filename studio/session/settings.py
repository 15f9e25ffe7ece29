"""The studio's settings: an INI file for the plain options, the OS keyring for the API key.

The API key is never written to the settings file, a log, or the history. Where it comes from,
in order: the OS keyring, a key typed into the settings dialog for this session only (kept in
memory; the fallback when the machine has no keyring), or the `LEGNEXT_API_KEY` environment
variable.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

from studio import logs
from studio.credits import balance_credits, credits_text
from studio.session.failures import INSECURE_HTTP_ENV, insecure_url
from studio.session.tasks import run_in_thread

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.legnext.ai/api"
KEYRING_SERVICE = "legnext-studio"
KEYRING_USER = "api-key"
ENV_KEY = "LEGNEXT_API_KEY"
# The sandbox accepts any non-empty key; this one only marks the requests as the studio's own.
SANDBOX_KEY = "sandbox-local"

# Keyring backends that would put the key in a file (plain or "encrypted" with a key kept next
# to it, or the Windows registry), or that store nothing at all. The key must never reach a
# file, so these count as no keyring.
_UNSAFE_BACKEND_MODULES = ("keyrings.alt", "keyrings.cryptfile", "keyring.backends.fail",
                           "keyring.backends.null")
_UNSAFE_BACKEND_CLASSES = frozenset({
    "PlaintextKeyring", "EncryptedKeyring", "CryptFileKeyring", "RegistryKeyring",
    "EncryptedRegistryKeyring",
})

# Sandbox jobs take ~5 s at speed 1; at 2 a demo grid lands in about two seconds while its
# progress can still be seen.
DEFAULT_SANDBOX_SPEED = 2.0
# The low-balance warning: a handful of jobs' worth at the prompt's cost (5 × 80 = 400 credits).
DEFAULT_LOW_BALANCE_JOBS = 5


def _config_dir() -> Path:
    # The one way to the config folder (studio.paths: platformdirs, or LEGNEXT_STUDIO_HOME),
    # read on every call so a test or script that points elsewhere gets its own file.
    from studio.paths import config_dir

    return config_dir()


def _default_download_dir() -> Path:
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(pictures or Path.home() / "Pictures") / "Legnext Studio"


class _Unreadable(Exception):
    """A stored value that is not of the type its option needs."""


def _as_type(raw: Any, default: Any) -> Any:
    """`raw` (what QSettings returned from the INI file) as the type of `default`; raises
    _Unreadable when it cannot be, or is no sane value of it (NaN, infinity)."""
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower() if isinstance(raw, (str, int)) else None
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise _Unreadable(f"not a yes/no value: {raw!r}")
    if isinstance(default, (int, float)):
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise _Unreadable(f"not a number: {raw!r}")
        try:
            number = float(raw)
        except ValueError:
            raise _Unreadable(f"not a number: {raw!r}") from None
        if not math.isfinite(number):
            raise _Unreadable(f"not a finite number: {raw!r}")
        return int(number) if isinstance(default, int) else number
    if isinstance(default, QByteArray):
        if isinstance(raw, QByteArray):
            return raw
        raise _Unreadable(f"not saved bytes: {type(raw).__name__}")
    if isinstance(default, (str, Path)):
        if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
            raw = ", ".join(raw)  # an unquoted comma in a hand-edited INI value splits it
        if not isinstance(raw, str) or "\0" in raw:
            raise _Unreadable(f"not text: {type(raw).__name__}")
        return Path(raw) if isinstance(default, Path) else raw
    raise TypeError(f"no typed reading for a default of type {type(default).__name__}")


class Settings:
    """Typed access to the plain options (everything but the key).

    Every value is read through `value(key, default)`, which hands back the default (and logs
    why) for anything missing, unreadable or of the wrong type: a damaged settings file never
    stops the studio. A file Qt cannot read whole (a stored Python value that no longer
    unpickles, a broken INI) is kept aside as `<name>.unreadable-<time>` and a fresh one written
    with what could be read; `problem` then says so, once, for the window.

    The file path is looked up when the object is built (QSettings' own default location is
    fixed at first use), so a test that points XDG_CONFIG_HOME elsewhere gets a fresh file.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else _config_dir() / "studio.ini"
        self.problem: str | None = None
        self._logged: set[str] = set()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("settings folder %s cannot be made: %s", self.path.parent, exc)
        self.qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)
        self._check_file()

    # ----- the file as a whole ----------------------------------------------------------------
    def _check_file(self) -> None:
        """Read the whole file once: PySide raises what unpickling a stored Python value raised
        (EOFError, UnpicklingError, ...) at the first access, whatever key is asked for, and
        Qt reports an INI it could not parse in `status()`."""
        try:
            keys = self.qsettings.allKeys()
            failure: str | None = None
        except Exception as exc:
            keys, failure = None, f"{type(exc).__name__}: {exc}"
        if failure is None and self.qsettings.status() != QSettings.Status.NoError:
            failure = f"Qt could not read it ({self.qsettings.status().name})"
        if failure is None:
            return
        log.warning("settings file %s could not be read whole: %s", self.path, failure)
        salvaged: dict[str, Any] = {}
        for key in keys if keys is not None else self._keys_quietly():
            try:
                value = self.qsettings.value(key)
            except Exception:
                continue
            if value is not None:
                salvaged[key] = value
        aside = self.path.with_name(f"{self.path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(self.path, aside)
        except OSError as exc:
            log.warning("could not move the settings file aside: %s", exc)
            self.problem = (f"The settings file {self.path} could not be read whole ({failure}); the "
                            "studio uses the values it could read, and defaults for the others.")
            return
        self.qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)
        for key, value in salvaged.items():
            self.qsettings.setValue(key, value)
        self.qsettings.sync()
        self.problem = (f"The settings file could not be read whole ({failure}). It was kept as {aside}; "
                        "the studio starts with the values it could read, and defaults for the others.")

    def _keys_quietly(self) -> list[str]:
        try:
            return list(self.qsettings.allKeys())
        except Exception:
            return []

    # ----- the one typed accessor ---------------------------------------------------------------
    def value(self, key: str, default: T) -> T:
        """The value stored at `key`, as the type of `default`; `default` when it is missing,
        or cannot be read as that type (logged once per key and run)."""
        try:
            if not self.qsettings.contains(key):
                return default
            raw = self.qsettings.value(key)
            if raw is None:
                raise _Unreadable("a stored value that could not be loaded")
            return _as_type(raw, default)
        except Exception as exc:  # _Unreadable, or whatever PySide raised reading it
            if key not in self._logged:
                self._logged.add(key)
                log.warning("setting %s is unreadable (%s); using the default %r", key, exc, default)
            return default

    def set_value(self, key: str, value: Any) -> None:
        self.qsettings.setValue(key, value)

    # ----- the options --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return (self.value("api/base_url", DEFAULT_BASE_URL).strip() or DEFAULT_BASE_URL).rstrip("/")

    @base_url.setter
    def base_url(self, value: str) -> None:
        self.set_value("api/base_url", (value or DEFAULT_BASE_URL).strip().rstrip("/"))

    @property
    def use_sandbox(self) -> bool:
        """Always run on the built-in sandbox, even with a key (it is used anyway without one)."""
        return self.value("api/use_sandbox", False)

    @use_sandbox.setter
    def use_sandbox(self, value: bool) -> None:
        self.set_value("api/use_sandbox", bool(value))

    @property
    def sandbox_speed(self) -> float:
        return min(1000.0, max(0.1, self.value("sandbox/speed", DEFAULT_SANDBOX_SPEED)))

    @sandbox_speed.setter
    def sandbox_speed(self, value: float) -> None:
        self.set_value("sandbox/speed", float(value))

    @property
    def poll_initial(self) -> float:
        """Seconds before the first status check of a new job."""
        return min(3600.0, max(0.05, self.value("polling/initial", 1.0)))

    @poll_initial.setter
    def poll_initial(self, value: float) -> None:
        self.set_value("polling/initial", float(value))

    @property
    def poll_max(self) -> float:
        """The longest pause between two status checks of a job."""
        return min(3600.0, max(self.poll_initial, self.value("polling/max", 8.0)))

    @poll_max.setter
    def poll_max(self, value: float) -> None:
        self.set_value("polling/max", float(value))

    @property
    def watch_timeout(self) -> float:
        """Give up watching a job after this many seconds (0 = never)."""
        return min(30 * 24 * 3600.0, max(0.0, self.value("polling/timeout", 900.0)))

    @watch_timeout.setter
    def watch_timeout(self, value: float) -> None:
        self.set_value("polling/timeout", float(value))

    @property
    def low_balance_jobs(self) -> int:
        """Warn when the credits left pay for fewer jobs than this at the prompt's cost (0: never)."""
        return min(1000, max(0, self.value("account/low_balance_jobs", DEFAULT_LOW_BALANCE_JOBS)))

    @low_balance_jobs.setter
    def low_balance_jobs(self, value: int) -> None:
        self.set_value("account/low_balance_jobs", max(0, int(value)))

    @property
    def download_dir(self) -> Path:
        default = _default_download_dir()
        found = self.value("files/download_dir", default)
        return found if str(found).strip() else default

    @download_dir.setter
    def download_dir(self, value: Path | str) -> None:
        self.set_value("files/download_dir", str(value))

    @property
    def prompt_text(self) -> str:
        """The prompt on show when the studio last closed (its parameters are flags in it)."""
        return self.value("session/prompt", "")

    @prompt_text.setter
    def prompt_text(self, value: str) -> None:
        self.set_value("session/prompt", value or "")

    def section_expanded(self, key: str) -> bool:
        """Whether a folding section of the parameter panel was left open."""
        return self.value(f"param_panel/{key}_expanded", False)

    def set_section_expanded(self, key: str, expanded: bool) -> None:
        self.set_value(f"param_panel/{key}_expanded", bool(expanded))

    def sync(self) -> None:
        self.qsettings.sync()


class BadServerUrl(ValueError):
    """A server address the studio cannot use; the message says why, in the user's words."""


def plain_http_allowed() -> bool:
    """Whether the documented override (LEGNEXT_STUDIO_INSECURE_HTTP=1) lets the key go over
    plain http to another machine. The studio warns at every start while it is set."""
    return os.environ.get(INSECURE_HTTP_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def normalise_base_url(text: str, *, allow_plain_http: bool | None = None) -> str:
    """The server address as the client needs it: http(s)://host[:port][/path], no trailing /.

    Empty means the real API. A missing scheme becomes https:// — the real API is https only,
    and the key must not travel in clear to a host the user typed without saying "http".
    Anything else that is not an http(s) URL with a host raises BadServerUrl, and so does plain
    http to another machine than this one, unless the override allows it.
    """
    url = (text or "").strip()
    if not url:
        return DEFAULT_BASE_URL  # an empty field means the real API, as the field's hint says
    if any(ch.isspace() for ch in url):
        raise BadServerUrl(f"A server address has no spaces: {url!r}")
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise BadServerUrl(f"Not a server address: {text.strip()!r} ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise BadServerUrl(f"The server address must start with https:// or http:// (not {parts.scheme}://)")
    if not parts.hostname:
        raise BadServerUrl(f"The server address names no host: {text.strip()!r}")
    from studio.api.origins import plain_http_off_machine  # httpx: not at start-up

    allowed = plain_http_allowed() if allow_plain_http is None else allow_plain_http
    if plain_http_off_machine(url) and not allowed:
        raise BadServerUrl(insecure_url(url.rstrip("/")))
    return url.rstrip("/")


class KeyringUnavailable(RuntimeError):
    """This machine has no keyring backend; the key cannot be stored."""


@dataclass(frozen=True)
class ApiKey:
    value: str | None
    source: str  # "keyring" | "environment" | "session" | "none"

    @property
    def present(self) -> bool:
        return bool(self.value)

    def __repr__(self) -> str:  # never print the key itself
        return f"ApiKey(source={self.source!r}, present={self.present})"


class KeyStore:
    """The API key in the OS keyring, with the environment and a session-only key as fallbacks."""

    def __init__(self) -> None:
        self._session_key: str | None = None

    @staticmethod
    def backend_name() -> str:
        try:
            import keyring

            backend = keyring.get_keyring()
        except Exception as exc:  # a broken keyring install must not stop the app
            return f"unavailable ({exc.__class__.__name__})"
        return f"{type(backend).__module__}.{type(backend).__name__}"

    @staticmethod
    def backend_problem() -> str | None:
        """Why the key cannot be kept in a keyring here, or None when a secure keyring is there.

        Refused: keyring's 'fail' and 'null' backends (headless Linux without Secret Service),
        a chainer with nothing to chain, and file-backed ones such as keyrings.alt's
        PlaintextKeyring/EncryptedKeyring, however high their priority.
        """
        try:
            import keyring

            backend = keyring.get_keyring()
        except Exception as exc:  # a broken keyring install must not stop the app
            return _no_secure_keyring(f"the keyring library failed to load ({exc.__class__.__name__})")
        children = getattr(backend, "backends", None)
        if children is not None:  # keyring's chainer: it may hand the key to any of these
            if not children:
                return _no_secure_keyring("no keyring backend on this machine")
            for child in children:
                unsafe = _unsafe_backend(child)
                if unsafe:
                    return _no_secure_keyring(unsafe)
            return None
        unsafe = _unsafe_backend(backend)
        if unsafe:
            return _no_secure_keyring(unsafe)
        try:
            if float(getattr(backend, "priority", 1)) <= 0:
                return _no_secure_keyring("no keyring backend on this machine")
        except Exception:
            pass  # a backend without a readable priority was chosen on purpose by the user
        return None

    @classmethod
    def backend_available(cls) -> bool:
        """True only for a secure keyring (never a file-backed or 'fail' backend)."""
        return cls.backend_problem() is None

    def stored_key(self) -> str | None:
        if not self.backend_available():
            return None
        try:
            import keyring

            return keyring.get_password(KEYRING_SERVICE, KEYRING_USER) or None
        except Exception:
            return None

    def store(self, key: str) -> None:
        """Save the key in the keyring; raises KeyringUnavailable when there is none."""
        problem = self.backend_problem()
        if problem:
            raise KeyringUnavailable(problem)
        import keyring

        logs.add_secret(key)
        keyring.set_password(KEYRING_SERVICE, KEYRING_USER, key.strip())

    def forget(self) -> None:
        self._session_key = None
        if not self.backend_available():
            return
        try:
            import keyring

            keyring.delete_password(KEYRING_SERVICE, KEYRING_USER)
        except Exception:
            pass  # nothing stored is the state we wanted

    def set_session_key(self, key: str | None) -> None:
        """A key for this run only, held in memory (the fallback without a keyring)."""
        self._session_key = (key or "").strip() or None
        logs.add_secret(self._session_key)

    def resolve(self) -> ApiKey:
        found = self._resolve()
        logs.add_secret(found.value)  # never in the log file, wherever it came from
        return found

    def _resolve(self) -> ApiKey:
        stored = self.stored_key()
        if stored:
            return ApiKey(stored, "keyring")
        # A key typed in this session is the user's latest word, so it beats the environment.
        if self._session_key:
            return ApiKey(self._session_key, "session")
        env = os.environ.get(ENV_KEY, "").strip()
        if env:
            return ApiKey(env, "environment")
        return ApiKey(None, "none")


def _backend_label(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__name__}"


def _unsafe_backend(backend: object) -> str | None:
    """Say what is wrong with `backend` when it would put the key in a file or store nothing."""
    for cls in type(backend).__mro__:  # a subclass of PlaintextKeyring is still a file
        module = cls.__module__ or ""
        if cls.__name__ in _UNSAFE_BACKEND_CLASSES or any(
                module == m or module.startswith(m + ".") for m in _UNSAFE_BACKEND_MODULES):
            if module.startswith(("keyring.backends.fail", "keyring.backends.null")):
                return "no keyring backend on this machine"
            return f"the keyring backend {_backend_label(backend)} keeps keys in a file"
    return None


def _no_secure_keyring(why: str) -> str:
    return (f"No secure keyring here ({why}), so the key cannot be saved. "
            f"Set {ENV_KEY} in the environment to have it at every start.")


# ----- the work behind the settings dialog (off the GUI thread, no HTTP in the widget) -----

@dataclass(frozen=True)
class KeyStatus:
    """The key in use and whether a secure keyring can hold a new one."""

    key: ApiKey
    problem: str | None  # why no key can be saved here; None with a secure keyring

    @property
    def can_store(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class SavedKey:
    in_keyring: bool  # False: kept in memory for this session only
    note: str | None = None  # why the keyring refused it, when it did


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str
    credits: int | None = None


async def look_up_key(keys: KeyStore) -> KeyStatus:
    """Which key is in use, asked on a worker thread (a keyring may talk to D-Bus or the OS)."""
    return await run_in_thread(lambda: KeyStatus(keys.resolve(), keys.backend_problem()),
                               name="key lookup")


async def save_key(keys: KeyStore, key: str) -> SavedKey:
    """Keep `key` in the keyring, or for this session only when there is no secure keyring."""
    try:
        await run_in_thread(lambda: keys.store(key), name="key store")
    except KeyringUnavailable:
        keys.set_session_key(key)
        return SavedKey(False)
    except Exception as exc:  # a keyring that refuses (locked, denied): keep it for now
        keys.set_session_key(key)
        return SavedKey(False, f"The keyring refused the key ({exc.__class__.__name__}); "
                               "it is used for this session only.")
    return SavedKey(True)


async def forget_key(keys: KeyStore) -> None:
    await run_in_thread(keys.forget, name="key forget")


async def check_connection(base_url: str, key: str | None, *, keys: KeyStore | None = None,
                           sandbox: bool = False, timeout: float = 15.0) -> ConnectionCheck:
    """Ask /account/balance at `base_url`; the answer in words for the settings dialog.

    `key` empty: the key in use (looked up in `keys`) is tried. `sandbox`: the studio's own
    sandbox, which takes any key.
    """
    from studio.api.client import LegnextClient
    from studio.api.errors import LegnextError

    key = (key or "").strip() or None
    if sandbox:
        key = key or SANDBOX_KEY
    elif key is None and keys is not None:
        key = (await look_up_key(keys)).key.value
    if not key:
        return ConnectionCheck(False, "Enter an API key first.")
    try:
        async with LegnextClient(key, base_url, timeout=timeout, allow_plain_http=plain_http_allowed()) as client:
            balance = await client.balance()
    except LegnextError as exc:
        from studio.session.failures import connection_problem

        return ConnectionCheck(False, connection_problem(exc))
    except Exception as exc:  # e.g. a malformed URL: say it, do not crash the dialog
        return ConnectionCheck(False, f"Could not connect: {exc}")
    amount = balance_credits(balance)
    where = "the offline sandbox" if sandbox else base_url
    text = f"Connected to {where}: the key works"
    if amount is not None:
        text += f" — {credits_text(amount)} available"
    return ConnectionCheck(True, text + ".", amount)
