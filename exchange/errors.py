"""Errors that reach the operator as one line, with the exit code of docs/CLI.md.

This module imports nothing: the command line's error handler catches these
without loading the configuration or the store (``exchange --help`` stays fast).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_PARTNER = 3


class ExchangeError(Exception):
    """A failure the operator can act on; ``str()`` says what and where."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class NotFound(ExchangeError):
    """A key (work, party, partner...) that the store does not know."""

    exit_code = EXIT_FINDINGS


class ConfigError(Exception):
    """The configuration cannot be used; the message says where and why."""


class StoreError(Exception):
    """A problem with the store that the operator can act on (one clear line)."""
