"""Files people open (receipts, reports): written whole or not at all."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from mallctl.errors import InvalidInput


def write_atomically(target: Path, content: bytes, *, replace: bool = True) -> bool:
    """Write `content` to `target` through a flushed temporary file beside it, so a reader
    never sees half a file: renamed over `target` when `replace`, else linked into place
    only if `target` does not exist yet (returns False, leaving it, when it does). The
    directory is made when missing; a file system error is one InvalidInput line."""
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "xb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, target)
            return True
        try:
            os.link(temporary, target)
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: check, then rename
            if target.exists():
                return False
            os.replace(temporary, target)
        return True
    except OSError as exc:
        raise InvalidInput(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
