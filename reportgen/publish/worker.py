"""The worker: build a task's view-model, render it with each format's writer, write atomically.

An output format is one writer (a function from the rendered page to bytes) and one line in
``WRITERS``; the task lists the formats it wants.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen import files
from reportgen.publish.tasks import RenderTask, TaskOutcome
from reportgen.report import html as report_html
from reportgen.report import pdf as report_pdf

log = logging.getLogger("reportgen")


@functools.lru_cache(maxsize=4)
def _environment(templates_dir: Path) -> Any:
    return report_html.make_environment(templates_dir)


def _pdf_title(task: RenderTask, context: Any) -> str:
    city = getattr(context, "city", None)
    title = str(context.meta.title)
    return f"{title}: {city.name}" if city is not None and task.name != "annual" else title


# ---------------------------------------------------------------------------------------------
# writers: one per output format


@dataclass(frozen=True)
class Page:
    """What every writer receives: the task, its view-model, the filled template (charts as
    ``chart:ID`` references) and each chart's SVG by id."""

    task: RenderTask
    context: Any
    html: str
    svgs: Mapping[str, str]


@dataclass(frozen=True)
class FileBytes:
    """One output file's content, before it is written."""

    payload: bytes
    pages: int = 0
    warnings: tuple[str, ...] = ()


def write_pdf_output(page: Page) -> FileBytes:
    """PDF through WeasyPrint (tagged PDF/UA by default, PDF/A on request)."""
    meta = page.context.meta
    pdf = report_pdf.html_to_pdf(
        page.html,
        charts=page.svgs,
        variant=page.task.pdf_variant,
        metadata=report_pdf.PdfMetadata(
            _pdf_title(page.task, page.context),
            meta.author,
            meta.subject,
            meta.keyword_list,
            meta.language,
        ),
    )
    return FileBytes(pdf.payload, pdf.pages, pdf.warnings)


def write_html_output(page: Page) -> FileBytes:
    """One self-contained HTML file (stylesheet and charts inline) that opens in a browser."""
    task = page.task
    # Fonts are linked from the run's shared assets folder (copied once per run, see
    # publish.run), relative to the page, so the folder can be moved or served as it is.
    assets = (
        None
        if task.assets_dir is None
        else Path(os.path.relpath(task.assets_dir, task.target.parent)).as_posix()
    )
    html = report_html.render_standalone_html(page.html, page.svgs, assets_url=assets)
    return FileBytes(html.encode("utf-8"))


Writer = Callable[[Page], FileBytes]

WRITERS: Mapping[str, Writer] = {"pdf": write_pdf_output, "html": write_html_output}


# ---------------------------------------------------------------------------------------------
# rendering


@dataclass(frozen=True)
class RenderedOutput:
    """A rendered task before it is written: each format's bytes and how it went."""

    outcome: TaskOutcome
    payloads: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def pdf(self) -> bytes:
        return self.payloads.get("pdf", b"")

    @property
    def html(self) -> bytes:
        return self.payloads.get("html", b"")


def render_output(task: RenderTask) -> RenderedOutput:
    """Build the view-model, fill the template, run each format's writer, in memory; never
    raises (an error becomes a failed outcome)."""
    started = time.perf_counter()
    phases: list[tuple[str, float]] = []

    def lap(phase: str, since: float) -> float:
        now = time.perf_counter()
        phases.append((phase, now - since))
        return now

    try:
        from reportgen.report import charts  # Altair and vl-convert load only to render

        unknown = [f for f in task.formats if f not in WRITERS]
        if unknown:
            raise ValueError(f"no writer for {', '.join(unknown)}; known: {', '.join(WRITERS)}")
        clock = started
        context = task.view_model()
        clock = lap("context", clock)
        html = report_html.render_html(
            _environment(report_html.TEMPLATES_DIR), task.template, context
        )
        clock = lap("html", clock)
        svgs = {chart_id: charts.to_svg(spec) for chart_id, spec in context.charts.items()}
        clock = lap("charts", clock)
        page = Page(task, context, html, svgs)
        written: dict[str, FileBytes] = {}
        for output_format in task.formats:
            written[output_format] = WRITERS[output_format](page)
            clock = lap(output_format if output_format != "html" else "html file", clock)
        first = written[task.formats[0]]
        outcome = TaskOutcome(
            name=task.name,
            target=task.target,
            ok=True,
            pages=first.pages,
            sha256=hashlib.sha256(first.payload).hexdigest(),
            input_hash=task.input_hash,
            seconds=time.perf_counter() - started,
            warnings=tuple(w for f in written.values() for w in f.warnings),
            files=tuple((f, hashlib.sha256(b.payload).hexdigest()) for f, b in written.items()),
            phases=tuple(phases),
            peak_memory_mb=_peak_memory_mb(),
        )
        return RenderedOutput(outcome, {f: b.payload for f, b in written.items()})
    except Exception as exc:  # one failing output must not lose the others
        return RenderedOutput(_failure(task, exc, started, phases))


def _peak_memory_mb() -> float:
    try:
        import resource
    except ImportError:  # not on this platform
        return 0.0
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def _failure(
    task: RenderTask, exc: BaseException, started: float, phases: Sequence[tuple[str, float]] = ()
) -> TaskOutcome:
    detail = f"{type(exc).__name__}: {exc}"
    if os.environ.get("REPORTGEN_DEBUG"):
        detail += "\n" + traceback.format_exc()
    return TaskOutcome(
        name=task.name,
        target=task.target,
        ok=False,
        error=detail,
        input_hash=task.input_hash,
        seconds=time.perf_counter() - started,
        phases=tuple(phases),
    )


def write_output(task: RenderTask, rendered: RenderedOutput) -> TaskOutcome:
    """Rename each format's bytes into place, first format last (it is the one the manifest
    checks first); never raises."""
    outcome = rendered.outcome
    if not outcome.ok:
        return outcome
    started = time.perf_counter()
    try:
        for output_format in reversed(task.formats):
            files.write_bytes_atomic(task.path(output_format), rendered.payloads[output_format])
    except Exception as exc:
        return dataclasses.replace(_failure(task, exc, started), phases=outcome.phases)
    spent = time.perf_counter() - started
    return dataclasses.replace(
        outcome, seconds=outcome.seconds + spent, phases=(*outcome.phases, ("write", spent))
    )


def render_task(task: RenderTask) -> TaskOutcome:
    """Render one output and rename it into place; never raises (errors become outcomes)."""
    return write_output(task, render_output(task))


def _render_detached(task: RenderTask, shared: Mapping[str, Any]) -> RenderedOutput:
    """Dask entry point: render with the shared input this worker was sent, to bytes.

    The bytes come back to the client, which writes them: workers need no shared file system.
    Nothing is left in the worker's memory after the task (workers outlive runs).
    """
    return render_output(task.attached(shared))
