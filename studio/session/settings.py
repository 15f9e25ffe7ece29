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

from PySide6.QtCore import QSettings, QStandardPaths

DEFAULT_BASE_URL = "https://api.legnext.ai/api"
KEYRING_SERVICE = "legnext-studio"
KEYRING_USER = "api-key"
ENV_KEY = "LEGNEXT_API_KEY"

# Sandbox jobs take ~5 s at speed 1; at 2 a demo grid lands in about two seconds while its
# progress can still be seen.
DEFAULT_SANDBOX_SPEED = 2.0


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
    def download_dir(self) -> Path:
        return Path(self._get_str("files/download_dir", str(_default_download_dir())))

    @download_dir.setter
    def download_dir(self, value: Path | str) -> None:
        self.qsettings.setValue("files/download_dir", str(value))

    def sync(self) -> None:
        self.qsettings.sync()


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
    def backend_available() -> bool:
        """False when keyring only has its 'fail' backend (headless Linux without Secret Service)."""
        try:
            import keyring
            from keyring.backends import fail

            backend = keyring.get_keyring()
        except Exception:
            return False
        if isinstance(backend, fail.Keyring):
            return False
        children = getattr(backend, "backends", None)
        if children is not None and not children:  # a chainer with nothing to chain
            return False
        try:
            return float(getattr(backend, "priority", 1)) > 0
        except Exception:
            return True

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
        if not self.backend_available():
            raise KeyringUnavailable(
                "No keyring backend is available on this machine, so the key cannot be saved."
            )
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
