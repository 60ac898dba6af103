"""The command reference and the help screens stay in step with the code.

docs/commands.md is generated from the command tree (`mallctl.cli.reference`); these tests
fail when it is stale, when a command lacks help or an example, or when `--help` breaks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mallctl.cli import reference
from mallctl.cli.app import app

COMMANDS_MD = Path(__file__).resolve().parents[1] / "docs" / "commands.md"
DOCS = list(reference.walk())
LEAVES = [doc for doc in DOCS if not doc.is_group]


def test_commands_md_is_the_rendered_reference():
    fresh = reference.render()
    current = COMMANDS_MD.read_text(encoding="utf-8") if COMMANDS_MD.exists() else ""
    assert current == fresh, (
        f"docs/commands.md is out of date with the commands' --help; regenerate it "
        f"from the repository root with:\n    {reference.REGENERATE}"
    )


def test_reference_does_not_depend_on_the_terminal_width(monkeypatch):
    wide = reference.render()
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("TERMINAL_WIDTH", "40")
    assert reference.render() == wide


def test_reference_covers_every_command():
    rendered = reference.render()
    assert len(LEAVES) >= 1
    for doc in DOCS:
        assert f"\n## {doc.name}\n" in rendered, doc.name


@pytest.mark.parametrize("doc", DOCS, ids=[doc.name for doc in DOCS])
def test_every_command_and_group_has_help(doc):
    assert doc.help.strip(), f"`{doc.name}` has no help text (its docstring or help=)"


@pytest.mark.parametrize("doc", LEAVES, ids=[doc.name for doc in LEAVES])
def test_every_command_has_an_example_of_itself(doc):
    examples = [
        line.strip().removeprefix("Example:").strip()
        for line in doc.help.splitlines()
        if line.strip().startswith("Example: mallctl ")
    ]
    assert examples, f"`{doc.name}`'s docstring has no `Example: {doc.name} …` line"
    words = list(doc.path[1:])
    for example in examples:
        tokens = example.split()
        # Global options may come first (`mallctl --db URL shop list`): look for the path.
        spans = [tokens[i : i + len(words)] for i in range(len(tokens))]
        assert words in spans, f"`{doc.name}`'s example does not run it: {example}"


@pytest.mark.parametrize("doc", DOCS, ids=[doc.name for doc in DOCS])
def test_every_command_answers_help(doc):
    result = CliRunner().invoke(app, [*doc.path[1:], "--help"])
    assert result.exit_code == 0, f"`{doc.name} --help` exited {result.exit_code}\n{result.output}"
    assert f"Usage: {doc.name}" in " ".join(result.stdout.split())
    assert result.stderr == ""
