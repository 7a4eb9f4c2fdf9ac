"""Publishing: input hashes, incremental rebuilds, manifest, parallel and Dask executors,
failures that lose nothing, atomic writes, the output lock and the output-folder fence."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import pickle
import re
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import TINY_FILES
from pypdf import PdfReader

from reportgen import files
from reportgen.app import Inputs, compute
from reportgen.errors import OutputError
from reportgen.pipeline import EditionResult
from reportgen.publish import (
    MANIFEST,
    LocalExecutor,
    PublishReport,
    RenderTask,
    TaskOutcome,
    input_hash,
    publish,
    read_manifest,
    safe_target,
    shared_inputs,
)
from reportgen.publish.plan import annual_task, brief_tasks, for_workers
from reportgen.publish.run import _progress
from reportgen.report import html as report_html
from reportgen.report.context.annual import build_annual_context
from reportgen.report.context.brief import build_brief_context
from reportgen.report.context.common import city_labels

CITIES = ("hong_kong", "shenzhen", "singapore", "london")

# The tiny fixture data plus a context indicator (printed in briefs, never scored) and a short
# Monte Carlo, so rank intervals and stage probabilities are part of what briefs print.
CONTEXT_INDICATOR = (
    "broadband,ECC,liveability,Fixed broadband download speed,Broadband,Mbps,1,0,context,,0,,,"
    "Mean fixed download speed,Ookla,https://example.org/ookla\n"
)
CONTEXT_ROWS = "".join(
    f"{city},broadband,{year},{value},https://example.org/ookla,\n"
    for year in (2023, 2024)
    for city, value in (("hong_kong", 100), ("shenzhen", 200), ("singapore", 300), ("london", 400))
)
UNCERTAINTY = "uncertainty:\n  n: 64\n  seed: 5\n  weights: {levels: [2, 3], noise: 0.25}\n"


def base_files() -> dict[str, str]:
    files = dict(TINY_FILES)
    files["indicators.csv"] += CONTEXT_INDICATOR
    files["observations.csv"] += CONTEXT_ROWS
    files["edition.yaml"] += UNCERTAINTY
    return files


def _edit(table: str, old: str, new: str) -> Callable[[dict[str, str]], None]:
    def change(files: dict[str, str]) -> None:
        assert files[table].count(old) == 1, old
        files[table] = files[table].replace(old, new)

    return change


# name -> (change to the files, briefs whose printed content changes)
VARIANTS: dict[str, tuple[Callable[[dict[str, str]], None], frozenset[str]]] = {
    "nothing": (lambda files: None, frozenset()),
    # London's context value moves but stays the highest: no other brief's rank or peer median
    # of broadband changes, and nothing is scored.
    "one observation": (
        _edit("observations.csv", "london,broadband,2024,400", "london,broadband,2024,410"),
        frozenset({"london"}),
    ),
    "one source": (
        _edit(
            "observations.csv",
            "shenzhen,pct_patents,2024,4100,https://example.org/gii",
            "shenzhen,pct_patents,2024,4100,https://example.org/gii-2024",
        ),
        frozenset({"shenzhen"}),
    ),
    # Hong Kong's context value overtakes Shenzhen's: Shenzhen's brief changes only through its
    # printed rank ("4 of 4"), Singapore's and London's through their printed peer medians.
    "context value crossing": (
        _edit("observations.csv", "hong_kong,broadband,2024,100", "hong_kong,broadband,2024,250"),
        frozenset(CITIES),
    ),
    # Last year's value, inside last year's range and ranks: only Shenzhen's "change since
    # 2023" moves.
    "previous year value": (
        _edit(
            "observations.csv", "shenzhen,safety_index,2023,72.1", "shenzhen,safety_index,2023,70.0"
        ),
        frozenset({"shenzhen"}),
    ),
    # A scored value moves Hong Kong on the plane that every brief draws.
    "one scored value": (
        _edit(
            "observations.csv",
            "hong_kong,safety_index,2024,78.7",
            "hong_kong,safety_index,2024,70.0",
        ),
        frozenset(CITIES),
    ),
    "one city name": (
        _edit("cities.csv", "london,London,", "london,Greater London,"),
        frozenset(CITIES),
    ),
    "edition title": (
        _edit(
            "edition.yaml",
            "title: Tiny Tech Cities Index",
            "title: Tiny Tech Cities Index (revised)",
        ),
        frozenset(CITIES),
    ),
}


def write_data(folder: Path, files: Mapping[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@dataclass(frozen=True)
class Variant:
    data: Path
    result: EditionResult
    view_hashes: Mapping[str, str]  # hash of each brief's full view-model (the ground truth)


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> Mapping[str, Variant]:
    root = tmp_path_factory.mktemp("variants")
    out = {}
    for name, (change, _) in VARIANTS.items():
        files = base_files()
        change(files)
        folder = write_data(root / name.replace(" ", "-"), files)
        result = compute(Inputs(data=folder))
        labels = city_labels(result, False)
        views = {c: input_hash(build_brief_context(result, c, labels=labels)) for c in CITIES}
        out[name] = Variant(folder, result, views)
    return out


def plan(
    result: EditionResult, out_dir: Path, cities: Sequence[str] = CITIES, write_html: bool = False
) -> list[RenderTask]:
    options: dict[str, Any] = {
        "pdf_variant": "pdf/ua-1",
        "write_html": write_html,
        "with_chinese": False,
    }
    return [
        annual_task(result, out_dir, **options),
        *brief_tasks(result, out_dir, cities, **options),
    ]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class FakeRenderer:
    """An executor that writes a small stand-in file per task and records what it was given:
    the skip logic under test is publish()'s, not the renderer's."""

    def __init__(self) -> None:
        self.rendered: list[str] = []

    def run(self, tasks: Sequence[RenderTask]) -> Iterator[TaskOutcome]:
        for task in tasks:
            self.rendered.append(task.name)
            written = []
            for output_format, path in task.paths().items():
                payload = f"fake {output_format} {task.name} {task.input_hash}".encode()
                files.write_bytes_atomic(path, payload)
                written.append((output_format, hashlib.sha256(payload).hexdigest()))
            yield TaskOutcome(
                name=task.name,
                target=task.target,
                ok=True,
                pages=2,
                sha256=written[0][1],
                input_hash=task.input_hash,
                files=tuple(written),
            )


def rebuilt(tasks: Sequence[RenderTask], out_dir: Path, **kwargs: Any) -> set[str]:
    fake = FakeRenderer()
    report = publish(tasks, out_dir, executor=fake, **kwargs)
    assert not report.failed
    return set(fake.rendered)


# ---------------------------------------------------------------------------------------------
# input hashes: as sensitive as the view-model, without building it


@pytest.mark.parametrize("name", [n for n in VARIANTS if n != "nothing"])
def test_brief_key_changes_whenever_the_printed_view_model_changes(
    variants: Mapping[str, Variant], name: str, tmp_path: Path
) -> None:
    before, after = variants["nothing"], variants[name]
    keys_before = {t.name: t.input_hash for t in plan(before.result, tmp_path)}
    keys_after = {t.name: t.input_hash for t in plan(after.result, tmp_path)}
    printed_changed = {c for c in CITIES if before.view_hashes[c] != after.view_hashes[c]}
    key_changed = {c for c in CITIES if keys_before[c] != keys_after[c]}
    # The ground truth is the view-model itself; the variants are built so that it moves
    # exactly where expected, and the keys must follow it: never stale, no needless rebuild.
    assert printed_changed == VARIANTS[name][1]
    assert key_changed == printed_changed
    assert keys_before["annual"] != keys_after["annual"]


def test_same_inputs_give_the_same_keys(variants: Mapping[str, Variant], tmp_path: Path) -> None:
    again = compute(Inputs(data=variants["nothing"].data))
    first = {t.name: t.input_hash for t in plan(variants["nothing"].result, tmp_path)}
    assert {t.name: t.input_hash for t in plan(again, tmp_path)} == first
    assert len(set(first.values())) == len(first)  # one key per output


def test_pdf_variant_and_html_option_are_part_of_the_output(
    variants: Mapping[str, Variant], tmp_path: Path
) -> None:
    result = variants["nothing"].result
    ua = brief_tasks(
        result, tmp_path, ["london"], pdf_variant="pdf/ua-1", write_html=False, with_chinese=False
    )[0]
    archival = brief_tasks(
        result, tmp_path, ["london"], pdf_variant="pdf/a-3b", write_html=False, with_chinese=False
    )[0]
    chinese = brief_tasks(
        result, tmp_path, ["london"], pdf_variant="pdf/ua-1", write_html=False, with_chinese=True
    )[0]
    assert len({ua.input_hash, archival.input_hash, chinese.input_hash}) == 3


# ---------------------------------------------------------------------------------------------
# incremental publishing and the manifest


@pytest.mark.parametrize("name", list(VARIANTS))
def test_a_change_rebuilds_exactly_the_outputs_that_print_it(
    variants: Mapping[str, Variant], name: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert rebuilt(plan(variants["nothing"].result, out), out) == {"annual", *CITIES}
    expected = set(VARIANTS[name][1]) | ({"annual"} if name != "nothing" else set())
    assert rebuilt(plan(variants[name].result, out), out) == expected


def test_a_template_change_rebuilds_everything(
    variants: Mapping[str, Variant], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(report_html.TEMPLATES_DIR, templates)
    monkeypatch.setattr(report_html, "TEMPLATES_DIR", templates)
    out, result = tmp_path / "out", variants["nothing"].result
    rebuilt(plan(result, out), out)
    assert rebuilt(plan(result, out), out) == set()
    css = templates / "print.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* darker rules */\n", encoding="utf-8")
    assert rebuilt(plan(result, out), out) == {"annual", *CITIES}


def test_deleted_or_tampered_files_are_rebuilt_and_force_rebuilds_all(
    variants: Mapping[str, Variant], tmp_path: Path
) -> None:
    out, result = tmp_path / "out", variants["nothing"].result
    rebuilt(plan(result, out), out)
    (out / "briefs" / "london.pdf").unlink()
    tampered = out / "briefs" / "shenzhen.pdf"
    tampered.write_bytes(tampered.read_bytes() + b"%tampered")
    assert rebuilt(plan(result, out), out) == {"london", "shenzhen"}
    assert rebuilt(plan(result, out), out) == set()
    assert rebuilt(plan(result, out), out, force=True) == {"annual", *CITIES}


def test_html_written_later_is_not_skipped(variants: Mapping[str, Variant], tmp_path: Path) -> None:
    out, result = tmp_path / "out", variants["nothing"].result
    rebuilt(plan(result, out, ["london"]), out)
    assert rebuilt(plan(result, out, ["london"], write_html=True), out) == {"annual", "london"}
    assert (out / "briefs" / "london.html").is_file()
    assert rebuilt(plan(result, out, ["london"], write_html=True), out) == set()


def test_manifest_lists_every_file_with_sha_input_hash_pages_and_time(
    variants: Mapping[str, Variant], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    tasks = plan(variants["nothing"].result, out, write_html=True)
    rebuilt(tasks, out)
    files = read_manifest(out)["files"]
    on_disk = {
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.suffix in (".pdf", ".html")
    }
    assert set(files) == on_disk
    assert len(on_disk) == 2 * len(tasks)
    keys = {t.target.relative_to(out.resolve()).as_posix(): t.input_hash for t in tasks}
    for relative, entry in files.items():
        assert entry["sha256"] == sha256(out / relative)
        assert entry["input_hash"] == keys[relative.replace(".html", ".pdf")]
        assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["generated"])
        if entry["kind"] == "pdf":
            assert entry["pages"] == 2
    (out / "briefs" / "london.pdf").unlink()
    publish([], out, executor=FakeRenderer())
    assert "briefs/london.pdf" not in read_manifest(out)["files"]


def test_the_shared_inputs_are_sent_to_each_worker_once_not_with_every_task(
    variants: Mapping[str, Variant], tmp_path: Path
) -> None:
    tasks = plan(variants["nothing"].result, tmp_path)
    shared = shared_inputs(tasks)
    # One copy of the computed edition (the annual report's input) and one of what all briefs
    # share; each brief carries only its own city's part.
    assert len(shared) == 2
    for task in tasks:
        detached = task.detached()
        assert detached.recipe is not None
        assert detached.recipe.shared.value is None
        assert len(pickle.dumps(detached)) < 20_000


def test_workers_get_the_edition_without_draws_and_print_the_same(
    variants: Mapping[str, Variant],
) -> None:
    result = variants["nothing"].result
    slim = for_workers(result)
    assert result.uncertainty is not None
    assert slim.uncertainty is not None
    assert slim.uncertainty.ranks.size == 0 < result.uncertainty.ranks.size
    assert input_hash(build_annual_context(slim, with_chinese=False)) == input_hash(
        build_annual_context(result, with_chinese=False)
    )
    labels = city_labels(result, False)
    assert (
        input_hash(build_brief_context(slim, "london", labels=labels))
        == variants["nothing"].view_hashes["london"]
    )


# ---------------------------------------------------------------------------------------------
# the output folder: fence, atomic writes, lock, progress


def test_safe_target_refuses_paths_outside_the_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (out / "briefs").symlink_to(tmp_path / "elsewhere")
    assert safe_target(out, "annual-2026.pdf") == out.resolve() / "annual-2026.pdf"
    for bad in ("../escape.pdf", "/etc/passwd", "briefs/../../escape.pdf", ".", "briefs/x.pdf"):
        with pytest.raises(OutputError, match="outside"):
            safe_target(out, bad)


def test_atomic_write_keeps_the_previous_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "briefs" / "london.pdf"
    files.write_bytes_atomic(target, b"%PDF previous")

    def write_half() -> None:
        with files.atomic_path(target) as temporary:
            temporary.write_bytes(b"%PDF half")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_half()
    assert target.read_bytes() == b"%PDF previous"
    assert sorted(p.name for p in target.parent.iterdir()) == ["london.pdf"]


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _progress(10, quiet=False) is None  # pytest's stderr is not a terminal

    class Terminal:
        def isatty(self) -> bool:
            return True

        def write(self, text: str) -> int:
            return len(text)

        def flush(self) -> None:
            pass

    monkeypatch.setattr(sys, "stderr", Terminal())
    bar = _progress(10, quiet=False, skipped=3)
    assert bar is not None
    assert bar.total == 10
    bar.close()
    assert _progress(10, quiet=True) is None


def _locked_run(data: str, out: str, barrier: Any, report_file: str) -> None:
    result = compute(Inputs(data=Path(data)))
    tasks = brief_tasks(
        result, Path(out), ["london"], pdf_variant="pdf/ua-1", write_html=False, with_chinese=False
    )
    barrier.wait(timeout=60)
    report = publish(tasks, Path(out), executor=LocalExecutor(1))
    Path(report_file).write_text(
        json.dumps(
            {
                "written": len(report.written),
                "skipped": len(report.skipped),
                "failed": len(report.failed),
            }
        )
    )


def test_two_runs_into_one_folder_at_once_take_turns(
    variants: Mapping[str, Variant], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    # Not fork: after earlier tests rendered charts in this process, vl-convert's threads do not
    # survive a fork and the child can hang (the reason publishing never forks either).
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    runs = [
        context.Process(
            target=_locked_run,
            args=(str(variants["nothing"].data), str(out), barrier, str(tmp_path / f"run{i}.json")),
        )
        for i in range(2)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=300)
        assert run.exitcode == 0
    reports = [json.loads((tmp_path / f"run{i}.json").read_text()) for i in range(2)]
    # Both started publishing together; the lock made the second wait and find the first's
    # fresh output, instead of both rendering into the folder at once.
    assert sorted((r["written"], r["skipped"], r["failed"]) for r in reports) == [
        (0, 1, 0),
        (1, 0, 0),
    ]
    pdf = out / "briefs" / "london.pdf"
    assert read_manifest(out)["files"]["briefs/london.pdf"]["sha256"] == sha256(pdf)
    assert len(PdfReader(pdf).pages) >= 1
    assert not list(out.rglob("*.tmp"))


# ---------------------------------------------------------------------------------------------
# rendering for real: process pool, failures, Dask


@dataclass(frozen=True)
class Rendered:
    out: Path
    report: PublishReport
    previous_london: bytes


class Broken:
    """A view-model the brief template cannot print: rendering it raises."""

    meta = None
    charts: dict[str, Any] = {}  # noqa: RUF012


@pytest.fixture(scope="module")
def rendered(variants: Mapping[str, Variant], tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """Two real briefs in a process pool beside a broken task, over a previous London brief."""
    out = tmp_path_factory.mktemp("rendered") / "out"
    result = variants["nothing"].result
    london = brief_tasks(
        result, out, ["london"], pdf_variant="pdf/ua-1", write_html=False, with_chinese=False
    )[0]
    assert publish([london], out, executor=LocalExecutor(1)).written
    previous = london.target.read_bytes()
    tasks = brief_tasks(
        result,
        out,
        ["hong_kong", "singapore"],
        pdf_variant="pdf/ua-1",
        write_html=False,
        with_chinese=False,
    )
    broken_london = replace(london, recipe=None, context=Broken(), input_hash="changed")
    report = publish([*tasks, broken_london], out, executor=LocalExecutor(2))
    return Rendered(out, report, previous)


def test_one_failing_brief_does_not_lose_the_others(rendered: Rendered) -> None:
    report = rendered.report
    assert [o.name for o in report.written] == ["hong_kong", "singapore"]
    assert [o.name for o in report.failed] == ["london"]
    assert "Error" in report.failed[0].error  # says why, e.g. UndefinedError: ...
    for outcome in report.written:
        assert len(PdfReader(outcome.target).pages) == outcome.pages >= 1
        assert dict(outcome.phases).keys() >= {"context", "html", "charts", "pdf", "write"}
    files = read_manifest(rendered.out)["files"]
    assert {"briefs/hong_kong.pdf", "briefs/singapore.pdf"} <= set(files)


def test_a_failed_render_leaves_the_previous_pdf_and_no_temporary_files(rendered: Rendered) -> None:
    london = rendered.out / "briefs" / "london.pdf"
    assert london.read_bytes() == rendered.previous_london
    entry = read_manifest(rendered.out)["files"]["briefs/london.pdf"]
    assert entry["sha256"] == sha256(london)
    assert entry["input_hash"] != "changed"
    assert not [p for p in rendered.out.rglob("*") if p.name.endswith(".tmp")]


def test_the_cli_reports_the_failure_and_exits_non_zero(
    rendered: Rendered, capsys: pytest.CaptureFixture[str]
) -> None:
    from reportgen.cli import _report

    with pytest.raises(SystemExit) as exit_info:
        _report(rendered.report, quiet=False)
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert "error: london.pdf:" in captured.err
    assert "2 written, 0 unchanged, 1 failed" in captured.out


def test_cli_skips_unchanged_briefs_and_force_rebuilds(
    variants: Mapping[str, Variant], tmp_path: Path
) -> None:
    from reportgen.cli import main

    args = [
        "briefs",
        "--data",
        str(variants["nothing"].data),
        "--city",
        "london",
        "--out",
        str(tmp_path / "out"),
        "--jobs",
        "1",
    ]
    runner = CliRunner()
    outputs = [runner.invoke(main, args + extra) for extra in ([], [], ["--force"])]
    assert [r.exit_code for r in outputs] == [0, 0, 0]
    assert "1 written, 0 unchanged" in outputs[0].output
    assert "0 written, 1 unchanged" in outputs[1].output
    assert "1 written, 0 unchanged" in outputs[2].output


def test_dask_executor_renders_the_same_briefs(
    rendered: Rendered, variants: Mapping[str, Variant], tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed", reason="needs the reportgen[dask] extra")
    from reportgen.publish import DaskExecutor

    out = tmp_path / "out"
    tasks = brief_tasks(
        variants["nothing"].result,
        out,
        ["hong_kong", "singapore"],
        pdf_variant="pdf/ua-1",
        write_html=False,
        with_chinese=False,
    )
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        report = publish(tasks, out, executor=DaskExecutor(cluster.scheduler_address))
    assert not report.failed, [o.error for o in report.failed]
    local_pages = {o.name: o.pages for o in rendered.report.written}
    assert {o.name: o.pages for o in report.written} == local_pages
    for outcome in report.written:
        assert len(PdfReader(outcome.target).pages) == local_pages[outcome.name]
    assert set(read_manifest(out)["files"]) == {"briefs/hong_kong.pdf", "briefs/singapore.pdf"}
    assert (out / MANIFEST).is_file()
