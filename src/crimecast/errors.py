"""crimecast's errors. Each message says what was wrong and how to fix it; the CLI prints it
without a traceback and exits with a non-zero code."""

from __future__ import annotations


class CrimecastError(Exception):
    """Base class: a problem the user can fix. `hint` says how."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.hint}" if self.hint else self.message


class InputFileError(CrimecastError):
    """A file that cannot be read as LAPD incidents (names the file, and the row or field)."""

    exit_code = 2


class ConfigError(CrimecastError):
    """A setting or flag with a value that cannot work."""

    exit_code = 2


class StoreError(CrimecastError):
    """The store is missing, locked or damaged."""

    exit_code = 3


class NetworkError(CrimecastError):
    """The portal (or another remote) cannot be reached or keeps failing."""

    exit_code = 4


class DependencyError(CrimecastError):
    """An optional extra is not installed."""

    exit_code = 5


def require(module: str, extra: str):
    """Import an optional dependency or say which extra installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DependencyError(
            f"this feature needs the Python package '{module}', which is not installed",
            hint=f"pip install 'crimecast[{extra}]'",
        ) from exc
