"""Reading text files that people make: UTF-8, UTF-8 with BOM, or GBK from Excel.

Excel on Chinese Windows saves "CSV" in GBK (code page 936); most other tools write
UTF-8, sometimes with a BOM. Detection is deliberately simple and predictable rather than
statistical: a BOM means UTF-8; text that decodes as UTF-8 is UTF-8; anything else is read
as GB18030, the superset of GBK that Python knows. `--encoding` overrides it.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

from mallctl.errors import InvalidInput


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of a sample is still UTF-8.
        if exc.start < len(sample) - 3:
            return "gb18030"
    return "utf-8"


def read_text(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """The whole file as text and the encoding it was read with."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    chosen = encoding or detect_encoding(raw)
    if chosen.lower().replace("_", "-") in {"utf-8", "utf8"} and raw.startswith(codecs.BOM_UTF8):
        chosen = "utf-8-sig"
    try:
        return raw.decode(chosen), chosen
    except LookupError:
        raise InvalidInput(f"unknown encoding '{encoding}'") from None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"{path} line {line} is not valid {chosen} text; pass --encoding (utf-8, gbk)"
        ) from None


def read_csv(
    path: Path,
    *,
    required: list[str],
    aliases: dict[str, str] | None = None,
    encoding: str | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as (line number, {column: value}), headers normalised.

    Header names are matched case-insensitively, with `aliases` mapping other spellings
    (e.g. Chinese headers) to ours; a missing required column fails the whole file.
    """
    text, _ = read_text(path, encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(
            f"{path} is empty; expected a header line with {', '.join(required)}"
        ) from None
    names = [_column_name(h, aliases or {}) for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise InvalidInput(
            f"{path} has no column {', '.join(missing)} "
            f"(header: {', '.join(h.strip() for h in header)})"
        )
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        yield line, {name: value for name, value in zip(names, row, strict=False) if name}


def _column_name(header: str, aliases: dict[str, str]) -> str:
    key = header.strip().lower()
    return aliases.get(key, key)
