"""The one application error family.

Every error a user can cause is a `MallctlError` carrying its exit code (cli.md):
1 = failed, nothing changed; 3 = done in part. The CLI's single error boundary
(`mallctl.cli.app`) turns one into a single `error: …` line on stderr.
"""

from __future__ import annotations


class MallctlError(Exception):
    """An error the user can act on; `str(err)` is the one line they see."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(MallctlError):
    """An entity named on the command line does not exist: `no shop 'X'`."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"no {kind} '{key}'")
        self.kind = kind
        self.key = key


class AlreadyExists(MallctlError):
    """A human key is taken: names the existing entity."""


class InvalidInput(MallctlError):
    """A value on the command line or in a file is not acceptable."""


class Refused(MallctlError):
    """A state transition or action that the rules do not allow."""


class ConfigError(MallctlError):
    """The configuration file or environment cannot be used."""


class DatabaseUnavailable(MallctlError):
    """The database cannot be reached or is not migrated."""


class PartialFailure(MallctlError):
    """The good items were processed; the rejected ones were reported (exit 3)."""

    exit_code = 3
