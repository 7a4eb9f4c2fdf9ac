"""Publishing runs: writers (standalone HTML), the computed-edition cache, a worker killed
mid-brief, a lost Dask worker, progress without a terminal, and what start-up imports."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import TINY_FILES

from reportgen.app import Inputs, compute, compute_for_publishing
from reportgen.pipeline import EditionResult
from reportgen.publish import LocalExecutor, RenderTask, TaskOutcome, publish, read_manifest
from reportgen.publish.cache import CACHE_PATH
from reportgen.publish.executors import WORKER_DIED
from reportgen.publish.plan import brief_tasks

CITIES = ["hong_kong", "shenzhen", "singapore", "london"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    for name, text in TINY_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def result(data_dir: Path) -> EditionResult:
    return compute(Inputs(data=data_dir))


def html_tasks(result: EditionResult, out: Path, cities: Sequence[str]) -> list[RenderTask]:
    # HTML only: the real worker path (view-model, template, charts, writer) without WeasyPrint.
    return brief_tasks(
        result, out, cities, pdf_variant="pdf/ua-1", with_chinese=False, formats=("html",)
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# the HTML writer


def _unresolved_links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    urls = re.findall(r'(?:href|src)="([^"]+)"', text) + re.findall(r"url\('([^']+)'\)", text)
    local = [u for u in urls if not re.match(r"^(?:[a-z]+:|#)", u)]
    return [u for u in local if not (page.parent / u).is_file()]


def test_html_pages_open_in_a_browser(result: EditionResult, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = publish(html_tasks(result, out, ["london"]), out, executor=LocalExecutor(1))
    assert not report.failed, [o.error for o in report.failed]
    page = out / "briefs" / "london.html"
    text = page.read_text(encoding="utf-8")
    assert "chart:" not in text
    assert text.count("<svg") >= 2  # the plane and the pillar profile, inline
    assert 'role="img" aria-label="Scatter plot of 4 cities' in text
    assert '<link rel="stylesheet"' not in text  # the stylesheet is inline
    assert "@page" in text  # ... and it is print.css
    assert "file:" not in text  # no absolute path of this machine
    assert re.search(r"url\('\.\./assets/fonts/SourceSansPro-Regular\.ttf'\)", text)
    assert _unresolved_links(page) == []
    assert read_manifest(out)["files"]["briefs/london.html"]["sha256"] == sha256(page)


def test_html_and_pdf_are_two_writers_of_one_task(result: EditionResult, tmp_path: Path) -> None:
    from reportgen.publish import WRITERS

    assert set(WRITERS) >= {"pdf", "html"}
    task = brief_tasks(
        result, tmp_path, ["london"], pdf_variant="pdf/ua-1", with_chinese=False, write_html=True
    )[0]
    assert task.formats == ("pdf", "html")
    assert task.paths() == {
        "pdf": tmp_path.resolve() / "briefs" / "london.pdf",
        "html": tmp_path.resolve() / "briefs" / "london.html",
    }


# ---------------------------------------------------------------------------------------------
# the computed edition's cache


def test_the_computed_edition_is_cached_and_reused(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reportgen import app

    calls: list[int] = []
    real = app.compute

    def counting(inputs: Inputs, **kwargs: Any) -> EditionResult:
        calls.append(1)
        return real(inputs, **kwargs)

    monkeypatch.setattr(app, "compute", counting)
    first = compute_for_publishing(Inputs(data=data_dir), tmp_path)
    again = compute_for_publishing(Inputs(data=data_dir), tmp_path)
    assert len(calls) == 1
    assert again.scores.equals(first.scores)
    assert (tmp_path / CACHE_PATH).is_file()
    # another option is another edition
    compute_for_publishing(Inputs(data=data_dir, overrides=("normalise.method=zscore",)), tmp_path)
    assert len(calls) == 2


@pytest.mark.parametrize("damage", ["corrupt", "truncated", "stale"])
def test_a_corrupt_or_stale_cache_is_ignored_with_one_warning(
    data_dir: Path, tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for path in data_dir.iterdir():
        (data / path.name).write_bytes(path.read_bytes())
    out = tmp_path / "out"
    fresh = compute_for_publishing(Inputs(data=data), out)
    cache = out / CACHE_PATH
    blob = cache.read_bytes()
    if damage == "corrupt":
        cache.write_bytes(blob[:-200] + bytes(b ^ 0xFF for b in blob[-200:]))
    elif damage == "truncated":
        cache.write_bytes(blob[: len(blob) // 2])
    else:  # the data changed since
        observations = data / "observations.csv"
        text = observations.read_text(encoding="utf-8")
        old, new = "london,pct_patents,2024,1450", "london,pct_patents,2024,1700"
        assert text.count(old) == 1
        observations.write_text(text.replace(old, new), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="reportgen"):
        rebuilt = compute_for_publishing(Inputs(data=data), out)
    warnings = [r.getMessage() for r in caplog.records if "cached edition" in r.getMessage()]
    assert len(warnings) == 1, warnings
    expected = "other inputs" if damage == "stale" else "corrupt"
    assert expected in warnings[0]
    if damage != "stale":
        assert rebuilt.scores.equals(fresh.scores)
    else:
        assert not rebuilt.scores.equals(fresh.scores)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="reportgen"):
        compute_for_publishing(Inputs(data=data), out)  # the cache was replaced: silent hit
    assert not caplog.records


# ---------------------------------------------------------------------------------------------
# faults at scale: a worker killed mid-brief, a lost Dask worker


class KillsItsWorker:
    """A view-model whose rendering kills the process rendering it, as the OOM killer would."""

    charts: dict[str, Any] = {}  # noqa: RUF012

    def __getattr__(self, name: str) -> Any:
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")


class Recorder:
    """An executor that records what it is asked to render and renders nothing."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def run(self, tasks: Sequence[RenderTask]) -> Iterator[TaskOutcome]:
        self.names += [t.name for t in tasks]
        return iter(())


def test_a_worker_killed_mid_brief_is_reported_and_costs_only_that_brief(
    result: EditionResult, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    tasks = html_tasks(result, out, CITIES)
    killer = replace(tasks[1], recipe=None, context=KillsItsWorker(), input_hash="poison")
    report = publish([tasks[0], killer, *tasks[2:]], out, executor=LocalExecutor(2))
    assert [o.name for o in report.failed] == ["shenzhen"]
    assert report.failed[0].error == WORKER_DIED
    assert sorted(o.name for o in report.written) == ["hong_kong", "london", "singapore"]
    files = read_manifest(out)["files"]
    assert set(files) == {f"briefs/{c}.html" for c in ("hong_kong", "london", "singapore")}
    for relative, entry in files.items():
        assert entry["sha256"] == sha256(out / relative)
    assert not (out / "briefs" / "shenzhen.html").exists()
    assert not list(out.rglob("*.tmp"))
    # The next run renders only what is missing.
    recorder = Recorder()
    publish(tasks, out, executor=recorder)
    assert recorder.names == ["shenzhen"]


def _kill_first_attempt(shared: Any, marker: str, city: Any) -> Any:
    """A brief recipe whose first attempt dies with its worker (marker file: tried once)."""
    from reportgen.publish.plan import build_brief_from

    if not os.path.exists(marker):
        Path(marker).write_text("killed once")
        os.kill(os.getpid(), signal.SIGKILL)
    return build_brief_from(shared, city)


def test_a_lost_dask_worker_task_is_retried(result: EditionResult, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="needs the reportgen[dask] extra")
    from reportgen.publish import DaskExecutor

    out = tmp_path / "out"
    task = html_tasks(result, out, ["london"])[0]
    assert task.recipe is not None
    marker = tmp_path / "killed"
    recipe = replace(task.recipe, build=_kill_first_attempt, args=(str(marker), *task.recipe.args))
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        report = publish(
            [replace(task, recipe=recipe)], out, executor=DaskExecutor(cluster.scheduler_address)
        )
    assert marker.is_file()  # the first attempt did die with its worker
    assert not report.failed, [o.error for o in report.failed]
    page = out / "briefs" / "london.html"
    assert "<svg" in page.read_text(encoding="utf-8")
    assert read_manifest(out)["files"]["briefs/london.html"]["sha256"] == sha256(page)


def test_dask_spreads_the_outputs_over_the_workers(result: EditionResult, tmp_path: Path) -> None:
    # With the shared input on one worker only, the scheduler kept every output there and a
    # second worker idled: each worker now gets its own copy and its share of the outputs.
    distributed = pytest.importorskip("distributed", reason="needs the reportgen[dask] extra")
    from reportgen.publish import DaskExecutor

    out = tmp_path / "out"
    cities = [str(c) for c in result.scores.index][:4]
    tasks = html_tasks(result, out, cities)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster.scheduler_address) as client,
        distributed.get_task_stream(client) as stream,
    ):
        report = publish(tasks, out, executor=DaskExecutor(cluster.scheduler_address))
    assert not report.failed, [o.error for o in report.failed]
    rendered = [t for t in stream.data if any(str(t["key"]).endswith(f"-{c}") for c in cities)]
    assert len(rendered) == len(cities) == 4
    assert len({t["worker"] for t in rendered}) == 2


# ---------------------------------------------------------------------------------------------
# progress without a terminal


class Slow:
    """An executor that yields one outcome at a time and notes what had been printed before
    each: CliRunner's output is not a terminal."""

    def __init__(self) -> None:
        self.printed_before: list[str] = []

    def run(self, tasks: Sequence[RenderTask]) -> Iterator[TaskOutcome]:
        from reportgen import files

        for task in tasks:
            sys.stdout.flush()
            self.printed_before.append(sys.stdout.buffer.getvalue().decode())  # type: ignore[union-attr]
            payload = f"fake {task.name}".encode()
            files.write_bytes_atomic(task.target, payload)
            yield TaskOutcome(
                name=task.name,
                target=task.target,
                ok=True,
                pages=2,
                seconds=0.1,
                sha256=hashlib.sha256(payload).hexdigest(),
                input_hash=task.input_hash,
                files=(("pdf", hashlib.sha256(payload).hexdigest()),),
            )


def test_without_a_terminal_each_output_is_printed_as_it_finishes(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reportgen import app
    from reportgen.cli import main

    slow = Slow()
    monkeypatch.setattr(app, "make_executor", lambda options: slow)
    run = CliRunner().invoke(
        main, ["briefs", "--data", str(data_dir), "--out", str(tmp_path / "out"), "--jobs", "2"]
    )
    assert run.exit_code == 0, run.output
    assert len(slow.printed_before) == 4
    for done, printed in enumerate(slow.printed_before):
        assert printed.count("briefs/") == done  # the earlier ones, already in the log
    lines = run.output.splitlines()
    assert len([line for line in lines if "(2 pages, 0.1 s)" in line]) == 4  # once each
    assert lines[-1] == "4 written, 0 unchanged, 0 failed"


# ---------------------------------------------------------------------------------------------
# start-up


def test_the_cli_imports_no_rendering_or_cluster_library() -> None:
    heavy = ["weasyprint", "altair", "vl_convert", "dask", "distributed", "pandas", "scipy"]
    code = (
        "import sys, json, reportgen.cli; "
        f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(found) == []


def test_validate_imports_no_rendering_or_cluster_library(data_dir: Path) -> None:
    code = (
        "import sys, json\n"
        "from click.testing import CliRunner\n"
        "from reportgen.cli import main\n"
        f"run = CliRunner().invoke(main, ['validate', '--data', {str(data_dir)!r}])\n"
        "assert run.exit_code == 0, run.output\n"
        "heavy = ['weasyprint', 'altair', 'vl_convert', 'dask', 'distributed', 'jinja2']\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(found) == []


# ---------------------------------------------------------------------------------------------
# a no-change rebuild answered from the plan's cache and the manifest


def _briefs_run(data: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Slow]:
    from reportgen import app
    from reportgen.cli import main

    slow = Slow()
    monkeypatch.setattr(app, "make_executor", lambda options: slow)
    run = CliRunner().invoke(main, ["briefs", "--data", str(data), "--out", str(out)])
    assert run.exit_code == 0, run.output
    return run, slow


def test_a_no_change_rebuild_loads_neither_the_edition_nor_pandas(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    _briefs_run(data_dir, out, monkeypatch)
    code = (
        "import sys, json\n"
        "from click.testing import CliRunner\n"
        "from reportgen.cli import main\n"
        f"run = CliRunner().invoke(main, ['briefs', '--data', {str(data_dir)!r}, "
        f"'--out', {str(out)!r}])\n"
        "heavy = ['pandas', 'numpy', 'weasyprint', 'altair', 'scipy']\n"
        "print(json.dumps([run.exit_code, run.output, [m for m in heavy if m in sys.modules]]))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    exit_code, output, loaded = json.loads(found.strip().splitlines()[-1])
    assert exit_code == 0
    assert output.splitlines()[-1] == "0 written, 4 unchanged, 0 failed"
    assert loaded == []


def test_the_plan_cache_never_skips_a_missing_file_or_changed_data(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for path in data_dir.iterdir():
        (data / path.name).write_bytes(path.read_bytes())
    out = tmp_path / "out"
    _briefs_run(data, out, monkeypatch)
    (out / "briefs" / "london.pdf").unlink()
    run, slow = _briefs_run(data, out, monkeypatch)
    assert len(slow.printed_before) == 1
    assert "1 written, 3 unchanged" in run.output
    # A changed context value: the plan is made again from the edition, and the keys tell
    # which briefs print it.
    observations = data / "observations.csv"
    text = observations.read_text(encoding="utf-8")
    old, new = "london,pct_patents,2024,1450", "london,pct_patents,2024,1700"
    observations.write_text(text.replace(old, new), encoding="utf-8")
    run, slow = _briefs_run(data, out, monkeypatch)
    assert len(slow.printed_before) == 4  # a scored value: every brief's plane moves
