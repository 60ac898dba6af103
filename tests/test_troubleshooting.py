"""Every error message a user can see has an entry in docs/troubleshooting.md.

The messages are found by reading `mallctl/` with `ast`, not by running it: each
`raise <Error>(…)` of the `MallctlError` family (the classes in `mallctl/errors.py` and
every subclass elsewhere, e.g. `BackupError`), each `raise ValueError(…)` in a pydantic
schema or in `config.py` (validators whose text `validation.describe` puts on the
`error:` line or in a quarantine file), and the lines the CLI's error boundary builds in
`mallctl/cli/app.py`. From each message the test takes the first literal piece that is
long enough to be recognised (at least `MIN_LENGTH` characters once the `{placeholders}`
are cut out) and looks for it in the page. A new message without an entry fails here,
naming the file and line of its `raise`.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mallctl"
PAGE = ROOT / "docs" / "troubleshooting.md"
MIN_LENGTH = 12
BASE_ERRORS = {
    "MallctlError",
    "NotFound",
    "AlreadyExists",
    "InvalidInput",
    "Refused",
    "ConfigError",
    "DatabaseUnavailable",
    "PartialFailure",
}
# Modules whose `raise ValueError("…")` is a pydantic validator's message, which users
# read as `error: <field>: <message>` (or as a quarantine file's `reason`).
VALIDATOR_MODULES = {"config.py", "schemas.py"}
# Literal pieces that are not meant for users, with the reason.
ALLOWED_UNDOCUMENTED: dict[str, str] = {}


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text("utf-8"), str(path)) for path in PACKAGE.rglob("*.py")}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def error_family(trees: dict[Path, ast.Module]) -> set[str]:
    """The base error classes and every class below them, at any depth."""
    family = set(BASE_ERRORS)
    classes = [n for tree in trees.values() for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for cls in classes:
            if cls.name not in family and any(_name(b) in family for b in cls.bases):
                family.add(cls.name)
                grew = True
    return family


def literal_pieces(node: ast.expr | None) -> list[str]:
    """The constant text of a message expression, in order; placeholders split it."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return literal_pieces(node.left) + literal_pieces(node.right)
    return []  # a variable or a helper's result: its own raise or return is checked


def message_node(call: ast.Call, cls: str) -> ast.expr | None:
    args = call.args
    if cls == "NotFound":  # NotFound(kind, key) reads "no <kind> '<key>'"
        kind = args[0] if args else None
        if isinstance(kind, ast.Constant) and isinstance(kind.value, str):
            return ast.Constant(f"no {kind.value} '")
        return None
    if cls == "VerificationFailed":  # VerificationFailed(backup, reason)
        return args[1] if len(args) > 1 else None
    return args[0] if args else None


def key_piece(pieces: list[str]) -> str | None:
    """The first piece long enough to find the message by."""
    for piece in pieces:
        text = " ".join(piece.split())
        if len(text.strip(" ;:,.()'\"")) >= MIN_LENGTH:
            return text.strip()
    return None


def collect() -> list[tuple[str, str]]:
    """(where, key piece) for every user-facing message in mallctl/."""
    trees = _trees()
    family = error_family(trees)
    found = []
    for path, tree in sorted(trees.items()):
        where_file = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            cls = _name(node.exc.func)
            if cls in family:
                message = message_node(node.exc, cls)
            elif cls == "ValueError" and path.name in VALIDATOR_MODULES and node.exc.args:
                message = node.exc.args[0]
            else:
                continue
            pieces = literal_pieces(message)
            # "no bill '" is short but exact: NotFound's pieces need no minimum length.
            piece = pieces[0] if cls == "NotFound" and pieces else key_piece(pieces)
            if piece is not None:
                found.append((f"{where_file}:{node.lineno}", piece))
    found += boundary_messages(trees[PACKAGE / "cli" / "app.py"])
    return found


def boundary_messages(tree: ast.Module) -> list[tuple[str, str]]:
    """The lines `cli/app.py` builds itself: what `_fail` is given, and what
    `_database_message` returns (busy, refused change, unexpected, …)."""
    found = []
    for node in ast.walk(tree):
        message = None
        if isinstance(node, ast.Call) and _name(node.func) == "_fail" and len(node.args) > 1:
            message = node.args[1]
        elif isinstance(node, ast.Return) and node.value is not None:
            message = node.value
        piece = key_piece(literal_pieces(message))
        if piece is not None:
            found.append((f"mallctl/cli/app.py:{node.lineno}", piece))
    return found


def test_the_collector_finds_messages_of_every_kind():
    pieces = {piece for _, piece in collect()}
    assert len(pieces) > 150
    for expected in (
        "no bill '",  # NotFound
        "the database is busy",  # cli/app.py
        "holds secrets",  # ConfigError
        "failed verification",  # a BackupError subclass
        "is not a known time zone",  # a validator
    ):
        assert any(expected in piece for piece in pieces), expected


def test_every_error_message_is_in_the_troubleshooting_page():
    page = " ".join(PAGE.read_text("utf-8").split())
    missing = [
        f"{where}: {piece!r}"
        for where, piece in collect()
        if piece not in page and piece not in ALLOWED_UNDOCUMENTED
    ]
    assert not missing, (
        "these error messages have no entry in docs/troubleshooting.md (add the message "
        "as users see it, what it means and what to do):\n  " + "\n  ".join(missing)
    )
