"""The command reference: every command's path, usage, help text and options, as Markdown.

`docs/commands.md` is this module's output and is never edited by hand:

    python -m mallctl.cli.reference > docs/commands.md

It is read from the same click command tree that answers `--help`, so the two cannot
disagree for long: `tests/test_docs.py` fails when the file and a fresh rendering differ.
The rendering is plain text built from the tree, never from a formatted help screen, so it
does not depend on the terminal's width (contexts get an explicit width all the same).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import typer
import typer.main

WIDTH = 100
TITLE = "Command reference"
REGENERATE = "python -m mallctl.cli.reference > docs/commands.md"


@dataclass(frozen=True)
class CommandDoc:
    """One command or group of the tree, with the context `--help` would give it."""

    path: tuple[str, ...]
    command: Any
    ctx: Any

    @property
    def name(self) -> str:
        return " ".join(self.path)

    @property
    def is_group(self) -> bool:
        return hasattr(self.command, "commands")

    @property
    def help(self) -> str:
        return inspect.cleandoc(self.command.help or "")

    @property
    def usage(self) -> str:
        pieces = self.command.collect_usage_pieces(self.ctx)
        return " ".join([self.name, *pieces])

    def subcommands(self) -> list[tuple[str, Any]]:
        if not self.is_group:
            return []
        names = self.command.list_commands(self.ctx)
        found = ((name, self.command.get_command(self.ctx, name)) for name in names)
        return [(name, cmd) for name, cmd in found if cmd is not None and not cmd.hidden]


def root_command() -> Any:
    from mallctl.cli.app import app

    return typer.main.get_command(app)


def _context(command: Any, name: str, parent: Any | None) -> Any:
    settings = {
        **(command.context_settings or {}),
        "terminal_width": WIDTH,
        "max_content_width": WIDTH,
    }
    return command.context_class(command, info_name=name, parent=parent, **settings)


def walk(root: Any | None = None, *, prog_name: str = "mallctl") -> Iterator[CommandDoc]:
    """Every visible command and group, depth first, in the order they were registered."""
    command = root if root is not None else root_command()
    yield from _walk(command, (prog_name,), None)


def _walk(command: Any, path: tuple[str, ...], parent_ctx: Any | None) -> Iterator[CommandDoc]:
    doc = CommandDoc(path, command, _context(command, path[-1], parent_ctx))
    yield doc
    for name, sub in doc.subcommands():
        yield from _walk(sub, (*path, name), doc.ctx)


def first_paragraph(text: str) -> str:
    return " ".join(text.split("\n\n", 1)[0].split())


def _anchor(name: str) -> str:
    # GitHub's heading anchors: lower case, spaces to hyphens (command names are a-z, '-').
    return name.lower().replace(" ", "-")


def _help_markdown(text: str) -> list[str]:
    """Docstring paragraphs unwrapped to one line each; `Example:` lines as code."""
    lines: list[str] = []
    for paragraph in text.split("\n\n"):
        if not paragraph.strip():
            continue
        if paragraph.startswith("\b"):
            lines += ["```", paragraph.removeprefix("\b").strip("\n"), "```", ""]
            continue
        prose: list[str] = []
        for line in paragraph.splitlines():
            stripped = line.strip()
            if stripped.startswith("Example:"):
                if prose:
                    lines += [" ".join(prose), ""]
                    prose = []
                example = stripped.removeprefix("Example:").strip()
                lines += [f"Example: `{example}`", ""]
            else:
                prose.append(stripped)
        if prose:
            lines += [" ".join(prose), ""]
    return lines


def _params_markdown(doc: CommandDoc) -> list[str]:
    arguments: list[str] = []
    options: list[str] = []
    for param in doc.command.get_params(doc.ctx):
        if param.name == "help":
            continue
        record = param.get_help_record(doc.ctx)
        if record is None:
            continue
        names, text = record
        entry = f"- `{names}`" + (f": {' '.join(text.split())}" if text.strip() else "")
        (arguments if param.param_type_name == "argument" else options).append(entry)
    lines: list[str] = []
    if arguments:
        lines += ["Arguments:", "", *arguments, ""]
    if options:
        lines += ["Options:", "", *options, ""]
    return lines


def render_command(doc: CommandDoc) -> str:
    lines = [f"## {doc.name}", "", "```", doc.usage, "```", ""]
    lines += _help_markdown(doc.help)
    lines += _params_markdown(doc)
    subcommands = doc.subcommands()
    if subcommands:
        lines += ["Commands:", ""]
        for name, sub in subcommands:
            full = f"{doc.name} {name}"
            summary = first_paragraph(inspect.cleandoc(sub.help or ""))
            lines.append(f"- [`{full}`](#{_anchor(full)}): {summary}")
        lines.append("")
    return "\n".join(lines)


def render(root: Any | None = None) -> str:
    """The whole reference as one Markdown document (ends with one newline)."""
    docs = list(walk(root))
    head = [
        f"# {TITLE}",
        "",
        "<!-- Generated from the command tree; do not edit. Regenerate with:",
        f"     {REGENERATE} -->",
        "",
        "Every command below also takes `-h`/`--help`. Global options (`--db`, `--config`, "
        "`-v`, `-q`, `--as-of`, `--by`) go before the command: "
        "`mallctl --db URL shop list`.",
        "",
        "Contents:",
        "",
    ]
    for doc in docs:
        indent = "  " * (len(doc.path) - 1)
        head.append(f"{indent}- [`{doc.name}`](#{_anchor(doc.name)})")
    head.append("")
    body = [render_command(doc) for doc in docs]
    return "\n".join(head) + "\n" + "\n".join(body).rstrip("\n") + "\n"


def main() -> None:
    # Bytes, so the file is UTF-8 with LF line ends whatever the locale or platform.
    sys.stdout.buffer.write(render().encode("utf-8"))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
