"""The manifest: a JSON record beside each backup file (`<file>.manifest.json`).

It says what the backup holds (created_at, dialect, database with the password masked,
schema revision, mallctl version, the dump tool, size, sha256, compression, row count per
table) and, once verified, when and with what result (verified_at, verify_result,
verify_reason).

The fields written at backup time are *sealed*: `seal` is the SHA-256 of their canonical
JSON (sorted keys, no spaces). Verification recomputes it from the manifest as it is on
disk, so a hand edit of any of them — a row count, the checksum, the database — is
reported as an edited manifest rather than trusted. The verification fields are outside
the seal because verification rewrites them (atomically, by rename).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mallctl.backups.files import VerificationFailed, manifest_path, write_text_atomically

FORMAT = 1
UNSEALED = frozenset({"seal", "verified_at", "verify_result", "verify_reason"})
REQUIRED = (
    "format",
    "file",
    "created_at",
    "dialect",
    "database",
    "schema_revision",
    "mallctl_version",
    "tool",
    "compression",
    "size",
    "sha256",
    "row_counts",
)


def instant_text(instant: datetime) -> str:
    """UTC, ISO 8601, `Z`: `2026-11-24T02:15:00.123456Z`."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def seal_of(fields: dict[str, Any]) -> str:
    """SHA-256 of the sealed fields' canonical JSON.

    The verification fields may change; any other does change the seal:

    >>> seal_of({"size": 1}) == seal_of({"size": 1, "verified_at": "2026-11-24T02:00:00Z"})
    True
    >>> seal_of({"size": 1}) == seal_of({"size": 2})
    False
    """
    sealed = {k: v for k, v in fields.items() if k not in UNSEALED}
    canonical = json.dumps(sealed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class Manifest:
    """A manifest as read from (or about to be written to) disk. `data` is kept exactly as
    parsed, so rewriting the verification fields never re-serialises the sealed ones."""

    path: Path
    data: dict[str, Any]

    @classmethod
    def new(cls, backup: Path, fields: dict[str, Any]) -> Manifest:
        data = {"format": FORMAT, "file": backup.name, **fields}
        data["seal"] = seal_of(data)
        data.update(verified_at=None, verify_result=None, verify_reason=None)
        return cls(manifest_path(backup), data)

    @classmethod
    def read(cls, backup: Path) -> Manifest:
        """The manifest of `backup`; a missing or unreadable one fails verification."""
        path = manifest_path(backup)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise VerificationFailed(backup.name, f"no manifest ({path.name} is missing)") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise VerificationFailed(
                backup.name, f"manifest {path.name} unreadable: {exc}"
            ) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise VerificationFailed(
                backup.name,
                f"manifest {path.name} is not valid JSON ({exc.msg}, line {exc.lineno})",
            ) from None
        if not isinstance(data, dict):
            raise VerificationFailed(backup.name, f"manifest {path.name} is not a JSON object")
        return cls(path, data)

    # --- checks -------------------------------------------------------------------------

    def check(self, backup: Path) -> None:
        """The manifest is whole, unedited, and describes this file."""
        missing = [key for key in (*REQUIRED, "seal") if key not in self.data]
        if missing:
            raise VerificationFailed(
                backup.name, f"manifest {self.path.name} lacks {', '.join(missing)}"
            )
        if self.data["seal"] != seal_of(self.data):
            raise VerificationFailed(
                backup.name,
                f"manifest {self.path.name} was edited (its seal does not match its contents)",
            )
        if self.data["file"] != backup.name:
            raise VerificationFailed(
                backup.name, f"manifest {self.path.name} describes {self.data['file']}"
            )

    # --- fields -------------------------------------------------------------------------

    @property
    def file(self) -> str:
        return str(self.data.get("file", ""))

    @property
    def created_at(self) -> datetime | None:
        try:
            parsed = datetime.fromisoformat(str(self.data["created_at"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            return None
        return parsed if parsed.tzinfo else None

    @property
    def dialect(self) -> str:
        return str(self.data.get("dialect", ""))

    @property
    def compression(self) -> str:
        return str(self.data.get("compression", "none"))

    @property
    def revision(self) -> str | None:
        value = self.data.get("schema_revision")
        return str(value) if value is not None else None

    @property
    def row_counts(self) -> dict[str, int]:
        counts = self.data.get("row_counts")
        return dict(counts) if isinstance(counts, dict) else {}

    @property
    def verified(self) -> bool:
        """The last verification passed."""
        return self.data.get("verify_result") == "ok"

    # --- writing ------------------------------------------------------------------------

    def record_verification(self, *, at: datetime, reason: str | None) -> None:
        self.data["verified_at"] = instant_text(at)
        self.data["verify_result"] = "ok" if reason is None else "failed"
        self.data["verify_reason"] = reason
        self.write()

    def write(self) -> None:
        write_text_atomically(self.path, json.dumps(self.data, ensure_ascii=False, indent=2) + "\n")
