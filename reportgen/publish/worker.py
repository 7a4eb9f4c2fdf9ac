"""The worker: build a task's view-model, render it with its writer, write it atomically."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import os
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen import files
from reportgen.publish.tasks import RenderTask, TaskOutcome
from reportgen.report import charts
from reportgen.report import html as report_html
from reportgen.report import pdf as report_pdf

log = logging.getLogger("reportgen")


# ---------------------------------------------------------------------------------------------
# the worker


@functools.lru_cache(maxsize=4)
def _environment(templates_dir: Path) -> Any:
    return report_html.make_environment(templates_dir)


def _pdf_title(task: RenderTask, context: Any) -> str:
    city = getattr(context, "city", None)
    title = str(context.meta.title)
    return f"{title}: {city.name}" if city is not None and task.name != "annual" else title


@dataclass(frozen=True)
class RenderedOutput:
    """A rendered task before it is written: the PDF (and HTML) bytes and how it went."""

    outcome: TaskOutcome
    pdf: bytes = b""
    html: bytes = b""


def render_output(task: RenderTask) -> RenderedOutput:
    """Build the view-model, fill the template, lay out the PDF, in memory; never raises."""
    started = time.perf_counter()
    phases: list[tuple[str, float]] = []

    def lap(phase: str, since: float) -> float:
        now = time.perf_counter()
        phases.append((phase, now - since))
        return now

    try:
        clock = started
        context = task.view_model()
        clock = lap("context", clock)
        html = report_html.render_html(
            _environment(report_html.TEMPLATES_DIR), task.template, context
        )
        clock = lap("html", clock)
        svgs = {chart_id: charts.to_svg(spec) for chart_id, spec in context.charts.items()}
        clock = lap("charts", clock)
        meta = context.meta
        pdf = report_pdf.html_to_pdf(
            html,
            charts=svgs,
            variant=task.pdf_variant,
            metadata=report_pdf.PdfMetadata(
                _pdf_title(task, context),
                meta.author,
                meta.subject,
                meta.keyword_list,
                meta.language,
            ),
        )
        lap("pdf", clock)
        html_bytes = html.encode("utf-8") if task.write_html else b""
        outcome = TaskOutcome(
            name=task.name,
            target=task.target,
            ok=True,
            pages=pdf.pages,
            sha256=hashlib.sha256(pdf.payload).hexdigest(),
            input_hash=task.input_hash,
            seconds=time.perf_counter() - started,
            warnings=pdf.warnings,
            html_sha256=hashlib.sha256(html_bytes).hexdigest() if task.write_html else "",
            phases=tuple(phases),
            peak_memory_mb=_peak_memory_mb(),
        )
        return RenderedOutput(outcome, pdf.payload, html_bytes)
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
    """Rename the rendered bytes into place (PDF, then HTML); never raises."""
    outcome = rendered.outcome
    if not outcome.ok:
        return outcome
    started = time.perf_counter()
    try:
        files.write_bytes_atomic(task.target, rendered.pdf)
        if task.write_html:
            files.write_bytes_atomic(task.html_target(), rendered.html)
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
