"""End to end: `reportgen build` on the bundled data writes real PDFs, a manifest, and skips work it
has done; every command has help with an example; the README's commands exist."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import click
import pytest

pytest.register_assert_rewrite("pdf_fixtures")

from pdf_fixtures import (  # noqa: E402
    ROOT,
    EditionBuild,
    PdfDoc,
    bundled_cities,
    bundled_year,
    flat,
    run_cli,
)
from pypdf import PdfReader  # noqa: E402

pytest_plugins = ["pdf_fixtures"]

TDP = "Technology Development Potential"
ECC = "Ecosystem Co-Benefit Capacity"
CITIES = bundled_cities()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# the build


def test_build_exits_zero_and_counts_every_output(built: EditionBuild) -> None:
    assert built.run.exit_code == 0, built.run.explain()
    expected = len(CITIES) + 1
    assert f"{expected} written, 0 unchanged, 0 failed" in built.run.output


def test_the_bundled_build_lays_out_without_a_single_weasyprint_warning(
    built: EditionBuild,
) -> None:
    """The CLI prints every layout warning as 'warning: FILE: ...' (tested below with a bad
    stylesheet); the bundled annual report and briefs must have none."""
    layout = [
        line
        for line in built.run.output.splitlines()
        if line.startswith("warning:") and ".pdf:" in line
    ]
    assert layout == []


def test_layout_warnings_are_printed_per_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from reportgen.cli import _echo_warnings
    from reportgen.publish import TaskOutcome

    outcome = TaskOutcome(
        name="x", target=tmp_path / "x.pdf", ok=True, warnings=("Ignored `colr: red`",)
    )

    @click.command()
    def show() -> None:
        _echo_warnings(outcome)

    result = CliRunner().invoke(show)
    assert "warning: x.pdf: Ignored `colr: red`" in result.output


def test_writes_the_annual_report_and_one_brief_per_city(built: EditionBuild) -> None:
    assert built.annual_path.name == f"annual-{bundled_year()}.pdf"
    assert built.annual_path.is_file()
    briefs = {p.stem for p in (built.out_dir / "briefs").glob("*.pdf")}
    assert briefs == {city_id for city_id, _ in CITIES}
    assert len(briefs) == 30


def test_every_output_is_a_pdf_that_pypdf_opens(built: EditionBuild) -> None:
    paths = sorted(built.out_dir.rglob("*.pdf"))
    assert len(paths) == len(CITIES) + 1
    for path in paths:
        payload = path.read_bytes()
        assert payload.startswith(b"%PDF-"), path
        assert b"%%EOF" in payload[-1024:], path
        assert len(PdfReader(path, strict=True).pages) > 0, path


def test_annual_report_is_longer_than_fifteen_pages(annual_pdf: PdfDoc) -> None:
    assert len(annual_pdf.pages) > 15


def test_every_brief_has_exactly_two_pages(brief_pdfs: Mapping[str, PdfDoc]) -> None:
    pages = {city_id: len(doc.pages) for city_id, doc in brief_pdfs.items()}
    assert pages == {city_id: 2 for city_id, _ in CITIES}


def test_every_pdf_names_both_dimensions(
    annual_pdf: PdfDoc, brief_pdfs: Mapping[str, PdfDoc]
) -> None:
    missing = [
        doc.path.name
        for doc in (annual_pdf, *brief_pdfs.values())
        if TDP not in flat(doc.text) or ECC not in flat(doc.text)
    ]
    assert missing == []


def test_annual_report_names_every_city(annual_pdf: PdfDoc) -> None:
    text = flat(annual_pdf.text)
    assert [name for _, name in CITIES if name not in text] == []


@pytest.mark.parametrize(("city_id", "name"), CITIES, ids=[c for c, _ in CITIES])
def test_each_brief_names_its_own_city_on_its_first_page(
    brief_pdfs: Mapping[str, PdfDoc], city_id: str, name: str
) -> None:
    first_page = brief_pdfs[city_id].pages[0]
    assert name in flat(first_page)


def test_manifest_lists_every_file_with_its_sha256_and_pages(built: EditionBuild) -> None:
    manifest = json.loads((built.out_dir / "manifest.json").read_text(encoding="utf-8"))
    files = manifest["files"]
    on_disk = {str(p.relative_to(built.out_dir)) for p in built.out_dir.rglob("*.pdf")}
    assert set(files) == on_disk
    for relative, entry in files.items():
        path = built.out_dir / relative
        assert entry["sha256"] == sha256(path), relative
        assert entry["pages"] == len(PdfReader(path).pages), relative
        assert re.fullmatch(r"[0-9a-f]{64}", entry["input_hash"]), relative


@pytest.fixture(scope="module")
def second_run(built: EditionBuild) -> tuple[Mapping[str, str], Mapping[str, str], str, int]:
    """Run the same build again into the same folder; file hashes before and after."""

    def hashes() -> dict[str, str]:
        return {str(p.relative_to(built.out_dir)): sha256(p) for p in built.out_dir.rglob("*.pdf")}

    before = hashes()
    run = run_cli("build", "--data", str(ROOT / "data"), "--out", str(built.out_dir), "--jobs", "2")
    return before, hashes(), run.output, run.exit_code


def test_second_run_writes_nothing(
    second_run: tuple[Mapping[str, str], Mapping[str, str], str, int],
) -> None:
    before, after, output, exit_code = second_run
    assert exit_code == 0, output
    assert f"0 written, {len(CITIES) + 1} unchanged, 0 failed" in output
    assert after == before


AFTER_A_CHART = """
import sys
from pathlib import Path

import altair as alt
import pandas as pd

from reportgen.report import charts
from reportgen.app import Inputs, OutputOptions, compute, publish_edition

if __name__ == "__main__":
    chart = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_point().encode(x="x:Q")
    assert charts.to_svg(charts.chart_spec(chart)).lstrip().startswith("<svg")
    result = compute(Inputs(data=Path(sys.argv[1])), uncertainty=False)
    options = OutputOptions(out_dir=Path(sys.argv[2]), jobs=2, quiet=True)
    report = publish_edition(result, options, annual=False, cities=("hong_kong", "london"))
    print(f"{len(report.written)} written, {len(report.failed)} failed")
"""


def test_parallel_briefs_do_not_hang_after_this_process_rendered_a_chart(tmp_path: Path) -> None:
    # vl-convert's and WeasyPrint's native threads do not survive fork(): workers forked from a
    # process that has rendered (a notebook, a test run) deadlocked before the pool stopped
    # forking. Run in a child process so a regression fails on the timeout instead of hanging.
    script = tmp_path / "after_a_chart.py"
    script.write_text(AFTER_A_CHART, encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, str(script), str(ROOT / "data"), str(tmp_path / "out")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so a hung pool can be stopped whole
    )
    try:
        stdout, stderr = child.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        pytest.fail("publishing briefs with 2 workers hung after rendering a chart in-process")
    done = subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)
    assert done.returncode == 0, done.stderr
    assert "2 written, 0 failed" in done.stdout
    assert sorted(p.name for p in (tmp_path / "out" / "briefs").glob("*.pdf")) == [
        "hong_kong.pdf",
        "london.pdf",
    ]


# ---------------------------------------------------------------------------------------------
# help and documented commands


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def _main() -> click.Group:
    from reportgen.cli import main

    return main


COMMANDS = list(_commands(_main()))


def test_the_cli_has_the_documented_commands() -> None:
    names = {path[0] for path in COMMANDS}
    assert {"build", "annual", "briefs", "validate"} <= names


@pytest.mark.parametrize(
    "path", [(), *COMMANDS], ids=["reportgen", *(" ".join(p) for p in COMMANDS)]
)
def test_help_says_what_a_command_does_with_an_example(path: tuple[str, ...]) -> None:
    command: click.Command = _main()
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert (command.help or "").strip(), f"{' '.join(path) or 'reportgen'} has no help text"
    run = run_cli(*path, "--help")
    assert run.exit_code == 0, run.explain()
    assert "Example" in run.output
    assert re.search(r"^\s+reportgen \S+", run.output, re.MULTILINE), "the example is not a command"


def _make_targets(makefile: str) -> dict[str, list[str]]:
    """Target name -> its recipe lines."""
    targets: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in makefile.splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", line)
        if match:
            current = targets.setdefault(match[1], [])
        elif line.startswith("\t") and current is not None:
            current.append(line.strip())
        elif line.strip() and not line.startswith("#"):
            current = None
    return targets


def test_readme_commands_are_make_targets() -> None:
    targets = _make_targets((ROOT / "Makefile").read_text(encoding="utf-8"))
    assert "report" in targets
    assert "test" in targets
    assert any("reportgen build" in line for line in targets["report"])
    assert any("pytest" in line for line in targets["test"])
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make report" in readme
    assert "make test" in readme


def test_ci_runs_make_test() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^\s*make test\s*$", script, re.MULTILINE)
    assert "set -e" in script
