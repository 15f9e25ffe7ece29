"""The studio's settings: an INI file for the plain options, the OS keyring for the API key.

The API key is never written to the settings file, a log, or the history. Where it comes from,
in order: the OS keyring, a key typed into the settings dialog for this session only (kept in
memory; the fallback when the machine has no keyring), or the `LEGNEXT_API_KEY` environment
variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import QSettings, QStandardPaths

from studio.credits import balance_credits, credits_text
from studio.session.tasks import run_in_thread

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
    # Qt's own lookup (already loaded): it reads XDG_CONFIG_HOME on every call, like platformdirs.
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    return Path(base or Path.home() / ".config") / "legnext-studio"


def _default_download_dir() -> Path:
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(pictures or Path.home() / "Pictures") / "Legnext Studio"


class Settings:
    """Typed access to the plain options (everything but the key).

    The file path is looked up when the object is built (QSettings' own default location is
    fixed at first use), so a test that points XDG_CONFIG_HOME elsewhere gets a fresh file.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else _config_dir() / "studio.ini"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)

    # Small helpers: QSettings returns strings from INI files whatever was stored.
    def _get_str(self, key: str, default: str) -> str:
        value = self.qsettings.value(key, default)
        return str(value) if value not in (None, "") else default

    def _get_float(self, key: str, default: float) -> float:
        try:
            return float(self.qsettings.value(key, default))
        except (TypeError, ValueError):
            return default

    def _get_bool(self, key: str, default: bool) -> bool:
        value = self.qsettings.value(key, default)
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)

    @property
    def base_url(self) -> str:
        return self._get_str("api/base_url", DEFAULT_BASE_URL).rstrip("/")

    @base_url.setter
    def base_url(self, value: str) -> None:
        self.qsettings.setValue("api/base_url", (value or DEFAULT_BASE_URL).strip().rstrip("/"))

    @property
    def use_sandbox(self) -> bool:
        """Always run on the built-in sandbox, even with a key (it is used anyway without one)."""
        return self._get_bool("api/use_sandbox", False)

    @use_sandbox.setter
    def use_sandbox(self, value: bool) -> None:
        self.qsettings.setValue("api/use_sandbox", bool(value))

    @property
    def sandbox_speed(self) -> float:
        return max(0.1, self._get_float("sandbox/speed", DEFAULT_SANDBOX_SPEED))

    @sandbox_speed.setter
    def sandbox_speed(self, value: float) -> None:
        self.qsettings.setValue("sandbox/speed", float(value))

    @property
    def poll_initial(self) -> float:
        """Seconds before the first status check of a new job."""
        return max(0.05, self._get_float("polling/initial", 1.0))

    @poll_initial.setter
    def poll_initial(self, value: float) -> None:
        self.qsettings.setValue("polling/initial", float(value))

    @property
    def poll_max(self) -> float:
        """The longest pause between two status checks of a job."""
        return max(self.poll_initial, self._get_float("polling/max", 8.0))

    @poll_max.setter
    def poll_max(self, value: float) -> None:
        self.qsettings.setValue("polling/max", float(value))

    @property
    def watch_timeout(self) -> float:
        """Give up watching a job after this many seconds (0 = never)."""
        return max(0.0, self._get_float("polling/timeout", 900.0))

    @watch_timeout.setter
    def watch_timeout(self, value: float) -> None:
        self.qsettings.setValue("polling/timeout", float(value))

    @property
    def low_balance_jobs(self) -> int:
        """Warn when the credits left pay for fewer jobs than this at the prompt's cost (0: never)."""
        return max(0, int(self._get_float("account/low_balance_jobs", DEFAULT_LOW_BALANCE_JOBS)))

    @low_balance_jobs.setter
    def low_balance_jobs(self, value: int) -> None:
        self.qsettings.setValue("account/low_balance_jobs", max(0, int(value)))

    @property
    def download_dir(self) -> Path:
        return Path(self._get_str("files/download_dir", str(_default_download_dir())))

    @download_dir.setter
    def download_dir(self, value: Path | str) -> None:
        self.qsettings.setValue("files/download_dir", str(value))

    @property
    def prompt_text(self) -> str:
        """The prompt on show when the studio last closed (its parameters are flags in it)."""
        return str(self.qsettings.value("session/prompt", "") or "")

    @prompt_text.setter
    def prompt_text(self, value: str) -> None:
        self.qsettings.setValue("session/prompt", value or "")

    def section_expanded(self, key: str) -> bool:
        """Whether a folding section of the parameter panel was left open."""
        return self._get_bool(f"param_panel/{key}_expanded", False)

    def set_section_expanded(self, key: str, expanded: bool) -> None:
        self.qsettings.setValue(f"param_panel/{key}_expanded", bool(expanded))

    def sync(self) -> None:
        self.qsettings.sync()


class BadServerUrl(ValueError):
    """A server address the studio cannot use; the message says why, in the user's words."""


def normalise_base_url(text: str) -> str:
    """The server address as the client needs it: http(s)://host[:port][/path], no trailing /.

    Empty means the real API. A missing scheme becomes https:// — the real API is https only,
    and the key must not travel in clear to a host the user typed without saying "http".
    Anything else that is not an http(s) URL with a host raises BadServerUrl.
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

    def resolve(self) -> ApiKey:
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
        async with LegnextClient(key, base_url, timeout=timeout) as client:
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
