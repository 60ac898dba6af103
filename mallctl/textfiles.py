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
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from mallctl.errors import InvalidInput


def detect_encoding(sample: bytes, *, complete: bool = False) -> str:
    """The encoding of `sample`, the start of a file (or, `complete`, the whole file)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of a sample is still UTF-8; at the end of
        # a whole file it is not (a GBK file whose only Chinese is its last cell).
        cut_short = exc.reason == "unexpected end of data" and exc.start >= len(sample) - 3
        if complete or not cut_short:
            return "gb18030"
    return "utf-8"


def read_text(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """The whole file as text and the encoding it was read with."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    chosen = encoding or detect_encoding(raw, complete=True)
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


# The key under which `read_csv` puts non-blank cells beyond the header's last column
# (usually an unquoted comma, as in 1,200.50): the caller rejects such a row.
EXTRA_CELLS = "(extra cells)"


def read_csv(
    path: Path,
    *,
    required: list[str],
    aliases: dict[str, str] | None = None,
    encoding: str | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as (line number, {column: value}), headers normalised.

    Header names are matched case-insensitively and by Unicode compatibility (full-width
    letters and brackets as Excel users type them), with `aliases` mapping other spellings
    (e.g. Chinese headers) to ours; a missing or repeated column fails the whole file.
    The line number is the line a row starts on; blank rows are skipped.
    """
    text, _ = read_text(path, encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(
            f"{path} is empty; expected a header line with {', '.join(required)}"
        ) from None
    except csv.Error as exc:
        raise InvalidInput(f"{path} line 1 is not CSV: {exc}") from None
    known = {_normal(k): v for k, v in (aliases or {}).items()}
    names = [_column_name(h, known) for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise InvalidInput(
            f"{path} has no column {', '.join(missing)} "
            f"(header: {', '.join(h.strip() for h in header)})"
        )
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        raise InvalidInput(
            f"{path} has column {', '.join(repeated)} more than once "
            f"(header: {', '.join(h.strip() for h in header)})"
        )
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidInput(f"{path} line {line} is not CSV: {exc}") from None
        if not any(cell.strip() for cell in row):
            continue
        values = {name: value for name, value in zip(names, row, strict=False) if name}
        extra = [cell for cell in row[len(names) :] if cell.strip()]
        if extra:
            values[EXTRA_CELLS] = ",".join(extra)
        yield line, values


def _normal(header: str) -> str:
    return unicodedata.normalize("NFKC", header).strip().lower()


def _column_name(header: str, aliases: dict[str, str]) -> str:
    key = _normal(header)
    return aliases.get(key, key)
