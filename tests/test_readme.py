"""The README's command lines parse as written: every option exists, every choice is valid, every
input file it names is in the repository, and no --format contradicts its --out (issue 15: "every
command in the README runs as written"). The commands themselves run in the CLI and PDF tests."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest

from reportgen.cli import main
from reportgen.report.exports import infer_format

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[list[str]]:
    """Each `reportgen ...` line of the README's "Command line" block, continuations joined."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Command line", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    joined = block.replace("\\\n", " ")
    commands = [shlex.split(line, comments=True) for line in joined.splitlines()]
    return [c for c in commands if c and c[0] == "reportgen"]


COMMANDS = readme_commands()


def test_the_readme_shows_every_command() -> None:
    shown = {c[1] for c in COMMANDS}
    assert {"build", "annual", "briefs", "validate", "index", "findings", "audit"} <= shown
    assert any("--set" in c for c in COMMANDS)


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c[1:4]) for c in COMMANDS])
def test_readme_command_parses_as_written(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the README says: run from the repository folder
    name, rest = args[1], args[2:]
    command = main.commands[name]
    try:
        context = command.make_context(name, list(rest))
    except click.ClickException as err:
        pytest.fail(f"README command {' '.join(args)!r}: {err.format_message()}")
    params = context.params
    if name in ("index", "findings", "audit"):
        infer_format(params.get("out"), params.get("fmt"))  # raises on a contradiction
    # Input files (--coinr-data, --build) are checked by click: they must exist.
