"""Publishing: render each output in a worker, write atomically, skip what has not changed."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import hashlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Protocol

from reportgen import charts, render
from reportgen.errors import OutputError

MANIFEST = "manifest.json"
LOCK = ".reportgen.lock"


@dataclass(frozen=True)
class RenderTask:
    """One output file: everything a worker needs, already computed by the main process."""

    name: str  # "annual" or the city id
    template: str
    context: Any  # a view-model dataclass with .meta and .charts
    target: Path
    input_hash: str
    pdf_variant: str
    write_html: bool


@dataclass(frozen=True)
class TaskOutcome:
    name: str
    target: Path
    ok: bool
    skipped: bool = False
    error: str = ""
    pages: int = 0
    sha256: str = ""
    input_hash: str = ""
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()


class Executor(Protocol):
    """Runs render tasks somewhere (this machine's cores, a cluster) and yields outcomes."""

    def run(self, tasks: Sequence[RenderTask]) -> Iterator[TaskOutcome]: ...


# ---------------------------------------------------------------------------------------------
# hashing: an output is keyed by everything it depends on


@functools.lru_cache(maxsize=4)
def templates_hash(templates_dir: Path = render.TEMPLATES_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(templates_dir.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(templates_dir)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def input_hash(context: Any, *extra: str) -> str:
    """Hash of the view-model (every number and word the output prints), templates, CSS,
    package version and output options."""
    payload = json.dumps(_jsonable(context), sort_keys=True, default=str)
    digest = hashlib.sha256(payload.encode())
    for part in (templates_hash(), version("reportgen"), *extra):
        digest.update(part.encode())
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# the worker


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    return render.make_environment()


def render_task(task: RenderTask) -> TaskOutcome:
    """Render one output and rename it into place; never raises (errors become outcomes)."""
    started = time.perf_counter()
    try:
        context = task.context
        html = render.render_html(_environment(), task.template, context)
        svgs = {chart_id: charts.to_svg(spec) for chart_id, spec in context.charts.items()}
        meta = context.meta
        pdf = render.html_to_pdf(
            html, charts=svgs, variant=task.pdf_variant,
            metadata=render.PdfMetadata(meta.title if task.name == "annual" else
                                        f"{meta.title}: {context.city.name}",
                                        meta.author, meta.subject, meta.keyword_list,
                                        meta.language),
        )
        render.write_bytes_atomic(task.target, pdf.payload)
        if task.write_html:
            render.write_bytes_atomic(task.target.with_suffix(".html"), html.encode("utf-8"))
        return TaskOutcome(
            name=task.name, target=task.target, ok=True, pages=pdf.pages,
            sha256=hashlib.sha256(pdf.payload).hexdigest(), input_hash=task.input_hash,
            seconds=time.perf_counter() - started, warnings=pdf.warnings,
        )
    except Exception as exc:  # one failing output must not lose the others
        detail = f"{type(exc).__name__}: {exc}"
        if os.environ.get("REPORTGEN_DEBUG"):
            detail += "\n" + traceback.format_exc()
        return TaskOutcome(name=task.name, target=task.target, ok=False, error=detail,
                           seconds=time.perf_counter() - started)


class LocalExecutor:
    """This machine: inline for one job, else a process pool (one worker per core)."""

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = max(1, jobs or os.cpu_count() or 1)

    def run(self, tasks: Sequence[RenderTask]) -> Iterator[TaskOutcome]:
        if self.jobs == 1 or len(tasks) <= 1:
            for task in tasks:
                yield render_task(task)
            return
        with ProcessPoolExecutor(max_workers=min(self.jobs, len(tasks))) as pool:
            futures = {pool.submit(render_task, task): task for task in tasks}
            for future in as_completed(futures):
                try:
                    yield future.result()
                except Exception as exc:  # a worker died: report it, keep the others
                    task = futures[future]
                    yield TaskOutcome(name=task.name, target=task.target, ok=False,
                                      error=f"worker failed: {type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------------------------------
# manifest, lock, progress


def read_manifest(out_dir: Path) -> dict[str, Any]:
    path = out_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {"files": {}}
    return data if isinstance(data.get("files"), dict) else {"files": {}}


def write_manifest(out_dir: Path, manifest: Mapping[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    render.write_bytes_atomic(out_dir / MANIFEST, text.encode("utf-8"))


@contextlib.contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """One publishing run per output folder at a time; a second run waits its turn."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        handle = (out_dir / LOCK).open("a")
    except OSError as exc:
        raise OutputError(f"cannot write to {out_dir}: {exc.strerror or exc}") from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def safe_target(out_dir: Path, relative: str) -> Path:
    """The output path, refusing anything that would land outside the output folder."""
    root = out_dir.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or target == root:
        raise OutputError(f"refusing to write {relative!r} outside {out_dir}")
    return target


def _progress(total: int, quiet: bool) -> Any:
    if quiet or total <= 1 or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="file", file=sys.stderr, dynamic_ncols=True)


@dataclass(frozen=True)
class PublishReport:
    outcomes: tuple[TaskOutcome, ...]

    @property
    def failed(self) -> tuple[TaskOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def written(self) -> tuple[TaskOutcome, ...]:
        return tuple(o for o in self.outcomes if o.ok and not o.skipped)

    @property
    def skipped(self) -> tuple[TaskOutcome, ...]:
        return tuple(o for o in self.outcomes if o.skipped)


def publish(
    tasks: Iterable[RenderTask],
    out_dir: Path,
    *,
    executor: Executor | None = None,
    force: bool = False,
    quiet: bool = True,
    on_outcome: Callable[[TaskOutcome], None] | None = None,
) -> PublishReport:
    """Render the tasks whose inputs changed (all with ``force``), update the manifest."""
    tasks = list(tasks)
    executor = executor or LocalExecutor()
    with output_lock(out_dir):
        manifest = read_manifest(out_dir)
        files: dict[str, Any] = manifest.setdefault("files", {})
        root = out_dir.resolve()
        todo, outcomes = [], []
        for task in tasks:
            key = str(task.target.relative_to(root))
            entry = files.get(key)
            unchanged = (
                not force and entry is not None and entry.get("input_hash") == task.input_hash
                and task.target.exists() and file_sha256(task.target) == entry.get("sha256")
            )
            if unchanged:
                outcomes.append(TaskOutcome(name=task.name, target=task.target, ok=True,
                                            skipped=True, pages=int(entry.get("pages", 0)),
                                            sha256=str(entry["sha256"]),
                                            input_hash=task.input_hash))
            else:
                todo.append(task)
        bar = _progress(len(todo), quiet)
        try:
            for outcome in executor.run(todo):
                outcomes.append(outcome)
                if outcome.ok:
                    files[str(outcome.target.relative_to(root))] = {
                        "sha256": outcome.sha256,
                        "input_hash": outcome.input_hash,
                        "pages": outcome.pages,
                        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "seconds": round(outcome.seconds, 3),
                    }
                if bar is not None:
                    bar.update(1)
                if on_outcome is not None:
                    on_outcome(outcome)
        finally:
            if bar is not None:
                bar.close()
            manifest["generator"] = f"reportgen {version('reportgen')}"
            write_manifest(out_dir, manifest)
    order = {task.name: i for i, task in enumerate(tasks)}
    return PublishReport(tuple(sorted(outcomes, key=lambda o: order.get(o.name, 0))))
