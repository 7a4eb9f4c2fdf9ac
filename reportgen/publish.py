"""Publishing: render each output in a worker, write atomically, skip what has not changed."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import hashlib
import json
import logging
import multiprocessing
import multiprocessing.context
import os
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from pydantic import BaseModel

from reportgen import charts, render
from reportgen.errors import OutputError

log = logging.getLogger("reportgen")

MANIFEST = "manifest.json"
LOCK = ".reportgen.lock"
MANIFEST_VERSION = 2

# Libraries whose version changes the bytes of a PDF (layout, PDF writer, charts, fonts).
ENGINE_PACKAGES = (
    "reportgen",
    "weasyprint",
    "pydyf",
    "jinja2",
    "altair",
    "vl-convert-python",
    "font-source-sans-pro",
    "font-source-serif-pro",
)


# ---------------------------------------------------------------------------------------------
# tasks: one output file each, with a ready view-model or a recipe for building it in the worker

# Shared inputs (the computed edition) installed in this process by an executor, by key. A
# worker receives each one once, not once per task; in the main process it stays empty.
_WORKER_SHARED: dict[str, Any] = {}


@dataclass(frozen=True, eq=False)
class SharedInput:
    """A large input read by many tasks (the computed edition), shipped once per worker.

    ``value`` travels with the task only inside this process; executors send ``detached()``
    tasks and install the value in each worker with :func:`install_shared`.
    """

    key: str
    value: Any = field(default=None, repr=False)

    def detached(self) -> SharedInput:
        return SharedInput(self.key)

    def resolve(self) -> Any:
        if self.value is not None:
            return self.value
        try:
            return _WORKER_SHARED[self.key]
        except KeyError:
            raise RuntimeError(
                f"shared input {self.key[:12]} was not installed in this "
                "worker (an executor must call install_shared)"
            ) from None


def install_shared(values: Mapping[str, Any]) -> None:
    """Make shared inputs available to detached tasks in this process (worker initializer)."""
    _WORKER_SHARED.update(values)


@dataclass(frozen=True)
class ContextRecipe:
    """How a worker builds a task's view-model: ``build(shared value, *args)``.

    ``build`` must be a module-level function so that it pickles by name.
    """

    build: Callable[..., Any]
    shared: SharedInput
    args: tuple[Any, ...] = ()

    def __call__(self) -> Any:
        return self.build(self.shared.resolve(), *self.args)


@dataclass(frozen=True)
class RenderTask:
    """One output file: its template, its view-model (or recipe) and the hash of its inputs."""

    name: str  # "annual" or the city id
    template: str
    target: Path
    input_hash: str
    pdf_variant: str = render.DEFAULT_PDF_VARIANT
    write_html: bool = False
    context: Any = None  # a ready view-model with .meta and .charts, or None with a recipe
    recipe: ContextRecipe | None = None

    def view_model(self) -> Any:
        if self.recipe is not None:
            return self.recipe()
        if self.context is None:
            raise ValueError(f"task {self.name!r} has neither a context nor a recipe")
        return self.context

    def detached(self) -> RenderTask:
        """The task without its shared value, to send to a worker that has it installed."""
        if self.recipe is None:
            return self
        return dataclasses.replace(
            self, recipe=dataclasses.replace(self.recipe, shared=self.recipe.shared.detached())
        )

    def attached(self, values: Mapping[str, Any]) -> RenderTask:
        """The task with its shared value put back (in a worker that received it)."""
        if self.recipe is None or self.recipe.shared.key not in values:
            return self
        shared = SharedInput(self.recipe.shared.key, values[self.recipe.shared.key])
        return dataclasses.replace(self, recipe=dataclasses.replace(self.recipe, shared=shared))

    def html_target(self) -> Path:
        return self.target.with_suffix(".html")


def shared_inputs(tasks: Iterable[RenderTask]) -> dict[str, Any]:
    """The distinct shared values the tasks read, by key (sent once to each worker)."""
    found: dict[str, Any] = {}
    for task in tasks:
        if task.recipe is not None and task.recipe.shared.value is not None:
            found.setdefault(task.recipe.shared.key, task.recipe.shared.value)
    return found


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
    html_sha256: str = ""
    # Where the time went: (phase, seconds) for context, html, charts, pdf, write.
    phases: tuple[tuple[str, float], ...] = ()
    # Peak resident memory of the process that rendered it, so far (MB).
    peak_memory_mb: float = 0.0


class Executor(Protocol):
    """Runs render tasks somewhere (this machine's cores, a cluster) and yields outcomes."""

    def run(self, tasks: Sequence[RenderTask]) -> Iterator[TaskOutcome]: ...


# ---------------------------------------------------------------------------------------------
# hashing: an output is keyed by everything it depends on


def _tree_hash(root: Path, pattern: str) -> str:
    files = sorted(p for p in root.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    # Re-read only when a file was added, removed or touched: a long-lived process (a notebook)
    # that edits a template between builds must see the new hash.
    signature = tuple(
        (str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in files
    )
    return _hash_files(root, signature)


@functools.lru_cache(maxsize=16)
def _hash_files(root: Path, signature: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for relative, _, _ in signature:
        digest.update(relative.encode() + b"\0")
        digest.update((root / relative).read_bytes())
    return digest.hexdigest()


def templates_hash(templates_dir: Path | None = None) -> str:
    """Hash of every template, partial and stylesheet (file names and bytes)."""
    # render.TEMPLATES_DIR is read at call time, not bound at import.
    return _tree_hash((templates_dir or render.TEMPLATES_DIR).resolve(), "*")


def code_hash() -> str:
    """Hash of reportgen's own source: a change to how anything is computed or worded rebuilds
    every output (the package version alone does not move during development)."""
    return _tree_hash(Path(__file__).resolve().parent, "*.py")


@functools.lru_cache(maxsize=1)
def engine_versions() -> str:
    parts = []
    for package in ENGINE_PACKAGES:
        try:
            parts.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} absent")
    return ";".join(parts)


def _round_significant(values: np.ndarray, digits: int = 12) -> np.ndarray:
    # Floats are hashed to 12 significant digits: far beyond anything printed or plotted, but
    # immune to last-bit noise (e.g. a BLAS with another thread count summing in another order).
    out = np.array(values, dtype=float)
    finite = np.isfinite(out) & (out != 0)
    if finite.any():
        magnitude = np.floor(np.log10(np.abs(out[finite])))
        scale = 10.0 ** (digits - 1 - magnitude)
        out[finite] = np.round(out[finite] * scale) / scale
    return out


def _frame_bytes(frame: pd.DataFrame) -> bytes:
    header = json.dumps(
        [
            [str(c) for c in frame.columns],
            [str(t) for t in frame.dtypes],
            [str(n) for n in frame.index.names],
        ]
    ).encode()
    columns = {}
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if pd.api.types.is_float_dtype(column.dtype):
            column = pd.Series(
                _round_significant(column.to_numpy(dtype=float, na_value=np.nan)), index=frame.index
            )
        columns[position] = column
    rounded = pd.DataFrame(columns, index=frame.index)
    try:
        hashed = bytes(pd.util.hash_pandas_object(rounded, index=True).to_numpy().tobytes())
    except TypeError:  # unhashable cells (lists, dicts): fall back to their JSON text
        hashed = str(rounded.to_json(orient="split", default_handler=str)).encode()
    return header + hashed


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _encode(value: Any) -> bytes:
    if isinstance(value, pd.DataFrame):
        return b"frame:" + _frame_bytes(value)
    if isinstance(value, pd.Series):
        return b"series:" + _frame_bytes(value.to_frame())
    if isinstance(value, np.ndarray):
        array = _round_significant(value) if np.issubdtype(value.dtype, np.floating) else value
        header = f"array:{array.shape}:{array.dtype}:".encode()
        return header + np.ascontiguousarray(array).tobytes()
    if isinstance(value, BaseModel):
        return b"model:" + value.model_dump_json().encode("utf-8")
    if isinstance(value, list | tuple) and value and all(isinstance(v, BaseModel) for v in value):
        # pydantic serialises in compiled code: far faster than json.dumps on model_dump()
        return b"models:" + b"\x1d".join(v.model_dump_json().encode("utf-8") for v in value)
    text = json.dumps(_jsonable(value), sort_keys=True, default=str, ensure_ascii=False)
    return b"json:" + text.encode("utf-8")


class Digest:
    """SHA-256 over labelled parts (text, numbers, frames, arrays, models, view-models)."""

    def __init__(self, _state: Any = None) -> None:
        self._hash = _state if _state is not None else hashlib.sha256()

    def add(self, label: str, *values: Any) -> Digest:
        self._hash.update(label.encode("utf-8") + b"\x1e")
        for value in values:
            self._hash.update(_encode(value) + b"\x1f")
        return self

    def copy(self) -> Digest:
        return Digest(self._hash.copy())

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def output_digest(template: str, pdf_variant: str, *extra: str) -> Digest:
    """The start of every output's key: code, templates and CSS, engine versions, options."""
    return Digest().add(
        "output", code_hash(), templates_hash(), engine_versions(), template, pdf_variant, *extra
    )


def input_hash(context: Any, *extra: str) -> str:
    """Hash of a ready view-model (every number and word the output prints) with templates,
    code, engine versions and options; for tasks whose context is built in the main process."""
    return output_digest("", "", *extra).add("context", context).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(functools.partial(handle.read, 1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# the worker


@functools.lru_cache(maxsize=4)
def _environment(templates_dir: Path) -> Any:
    return render.make_environment(templates_dir)


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
        html = render.render_html(_environment(render.TEMPLATES_DIR), task.template, context)
        clock = lap("html", clock)
        svgs = {chart_id: charts.to_svg(spec) for chart_id, spec in context.charts.items()}
        clock = lap("charts", clock)
        meta = context.meta
        pdf = render.html_to_pdf(
            html,
            charts=svgs,
            variant=task.pdf_variant,
            metadata=render.PdfMetadata(
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
        render.write_bytes_atomic(task.target, rendered.pdf)
        if task.write_html:
            render.write_bytes_atomic(task.html_target(), rendered.html)
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


# ---------------------------------------------------------------------------------------------
# executors


def _pool_context() -> multiprocessing.context.BaseContext:
    # Never fork: once this process has rendered (a notebook, a test, an earlier run), the
    # native threads and locks of vl-convert and WeasyPrint do not survive a fork and the
    # workers deadlock. A forkserver child starts from a clean process.
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The server imports these once; every worker forked from it starts with them loaded.
    context.set_forkserver_preload(["reportgen.outputs", "weasyprint"])
    return context


class LocalExecutor:
    """This machine: inline for one job, else a process pool (one worker per core)."""

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = max(1, jobs or os.cpu_count() or 1)

    def run(self, tasks: Sequence[RenderTask]) -> Iterator[TaskOutcome]:
        if self.jobs == 1 or len(tasks) <= 1:
            for task in tasks:
                yield render_task(task)
            return
        # The computed edition goes to each worker once, through the initializer; each task
        # then carries only its own small arguments.
        pool = ProcessPoolExecutor(
            max_workers=min(self.jobs, len(tasks)),
            mp_context=_pool_context(),
            initializer=install_shared,
            initargs=(shared_inputs(tasks),),
        )
        try:
            futures = {pool.submit(render_task, task.detached()): task for task in tasks}
            for future in as_completed(futures):
                try:
                    yield future.result()
                except Exception as exc:  # a worker died (killed, out of memory): keep the others
                    task = futures[future]
                    yield TaskOutcome(
                        name=task.name,
                        target=task.target,
                        ok=False,
                        input_hash=task.input_hash,
                        error=f"worker failed: {type(exc).__name__}: {exc}",
                    )
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """A Dask distributed cluster: the same tasks, submitted to ``scheduler_address``.

    ``None`` starts a local cluster (one single-threaded worker process per core) for this run.
    Workers need reportgen installed; they return PDF bytes and this process writes them, so the
    output folder need not be shared with the workers.
    """

    def __init__(
        self, scheduler_address: str | None = None, *, n_workers: int | None = None
    ) -> None:
        self.scheduler_address = scheduler_address
        self.n_workers = n_workers

    def _client(self, stack: contextlib.ExitStack) -> Any:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise OutputError(
                "--executor dask needs Dask distributed: pip install 'reportgen[dask]'"
            ) from exc
        if self.scheduler_address is not None:
            try:
                return stack.enter_context(Client(self.scheduler_address, timeout="30s"))
            except OSError as exc:
                raise OutputError(
                    f"cannot reach the Dask scheduler at {self.scheduler_address}: {exc}"
                ) from exc
        cluster = stack.enter_context(
            LocalCluster(
                n_workers=self.n_workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
        )
        return stack.enter_context(Client(cluster))

    def run(self, tasks: Sequence[RenderTask]) -> Iterator[TaskOutcome]:
        if not tasks:
            return
        from distributed import as_completed as dask_completed

        with contextlib.ExitStack() as stack:
            client = self._client(stack)
            shared = shared_inputs(tasks)
            # One copy of the computed edition per worker, not one per task.
            scattered = {
                key: client.scatter(value, broadcast=True, hash=False)
                for key, value in shared.items()
            }
            run_id = uuid.uuid4().hex[:8]
            futures = {}
            for task in tasks:
                needs = (
                    {}
                    if task.recipe is None
                    else {task.recipe.shared.key: scattered[task.recipe.shared.key]}
                )
                future = client.submit(
                    _render_detached,
                    task.detached(),
                    needs,
                    pure=False,
                    key=f"reportgen-{run_id}-{task.name}",
                )
                futures[future] = task
            for future in dask_completed(list(futures)):
                task = futures[future]
                try:
                    rendered = future.result()
                except Exception as exc:  # the worker died or the task could not be sent
                    yield TaskOutcome(
                        name=task.name,
                        target=task.target,
                        ok=False,
                        input_hash=task.input_hash,
                        error=f"dask worker failed: {type(exc).__name__}: {exc}",
                    )
                    continue
                yield write_output(task, rendered)


# ---------------------------------------------------------------------------------------------
# manifest, lock, progress


def read_manifest(out_dir: Path) -> dict[str, Any]:
    path = out_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return {"files": {}}
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return {"files": {}}
    return data


def write_manifest(out_dir: Path, manifest: Mapping[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    render.write_bytes_atomic(out_dir / MANIFEST, text.encode("utf-8"))


def remove_stale_temporaries(out_dir: Path) -> list[Path]:
    """Delete temporary files that a killed run left behind (``.NAME.*.tmp`` from atomic writes).

    Called under the output lock, when no other reportgen run can be writing into the folder.
    """
    removed = []
    for path in (*out_dir.glob(".*.tmp"), *out_dir.glob("*/.*.tmp")):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


@contextlib.contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """One publishing run per output folder at a time; a second run waits its turn."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        handle = (out_dir / LOCK).open("a")
    except OSError as exc:
        raise OutputError(f"cannot write to {out_dir}: {exc.strerror or exc}") from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("%s is in use by another reportgen run: waiting for it to finish", out_dir)
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


def _progress(total: int, quiet: bool, skipped: int = 0) -> Any:
    """A tqdm bar (done/total, rate, ETA) on a terminal; nothing when quiet or redirected."""
    if quiet or total <= 1 or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    description = f"rendering ({skipped} unchanged)" if skipped else "rendering"
    return tqdm(
        total=total, unit="file", desc=description, file=sys.stderr, dynamic_ncols=True, leave=False
    )


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


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _unchanged(task: RenderTask, files: Mapping[str, Any], root: Path) -> TaskOutcome | None:
    """A skipped outcome if the file on disk is the one the manifest says these inputs made."""
    entry = files.get(_relative(task.target, root))
    if not isinstance(entry, dict) or entry.get("input_hash") != task.input_hash:
        return None
    if not task.target.is_file() or file_sha256(task.target) != entry.get("sha256"):
        return None
    html_sha = ""
    if task.write_html:
        html = files.get(_relative(task.html_target(), root))
        if (
            not isinstance(html, dict)
            or html.get("input_hash") != task.input_hash
            or not task.html_target().is_file()
            or file_sha256(task.html_target()) != html.get("sha256")
        ):
            return None
        html_sha = str(html["sha256"])
    return TaskOutcome(
        name=task.name,
        target=task.target,
        ok=True,
        skipped=True,
        pages=int(entry.get("pages", 0)),
        sha256=str(entry["sha256"]),
        input_hash=task.input_hash,
        html_sha256=html_sha,
    )


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _record(files: dict[str, Any], task: RenderTask, outcome: TaskOutcome, root: Path) -> None:
    generated = _now()
    files[_relative(outcome.target, root)] = {
        "kind": "pdf",
        "output": task.name,
        "sha256": outcome.sha256,
        "input_hash": outcome.input_hash,
        "pages": outcome.pages,
        "generated": generated,
        "seconds": round(outcome.seconds, 3),
    }
    if task.write_html:
        files[_relative(task.html_target(), root)] = {
            "kind": "html",
            "output": task.name,
            "sha256": outcome.html_sha256,
            "input_hash": outcome.input_hash,
            "generated": generated,
        }


def publish(
    tasks: Iterable[RenderTask],
    out_dir: Path,
    *,
    executor: Executor | None = None,
    force: bool = False,
    quiet: bool = True,
    on_outcome: Callable[[TaskOutcome], None] | None = None,
) -> PublishReport:
    """Render the tasks whose inputs changed (all with ``force``), update the manifest.

    A task is skipped when the manifest holds its input hash and its file on disk still has the
    sha256 recorded there; a deleted or altered file is rebuilt. Failed tasks keep their previous
    file and manifest entry, so the next run retries them.
    """
    tasks = list(tasks)
    executor = executor or LocalExecutor()
    with output_lock(out_dir):
        remove_stale_temporaries(out_dir)
        manifest = read_manifest(out_dir)
        files: dict[str, Any] = manifest["files"]
        root = out_dir.resolve()
        by_target = {task.target: task for task in tasks}
        todo: list[RenderTask] = []
        outcomes: list[TaskOutcome] = []
        for task in tasks:
            skipped = None if force else _unchanged(task, files, root)
            if skipped is None:
                todo.append(task)
            else:
                outcomes.append(skipped)
        bar = _progress(len(todo), quiet, skipped=len(outcomes))
        try:
            for outcome in executor.run(todo):
                outcomes.append(outcome)
                if outcome.ok:
                    _record(files, by_target[outcome.target], outcome, root)
                if bar is not None:
                    bar.update(1)
                    if not outcome.ok:
                        bar.write(
                            f"failed: {outcome.target.name}: {outcome.error}", file=sys.stderr
                        )
                if on_outcome is not None:
                    on_outcome(outcome)
        finally:
            if bar is not None:
                bar.close()
            for key in [k for k in files if not (root / k).is_file()]:
                del files[key]  # the file was deleted since: the manifest lists what exists
            manifest["manifest_version"] = MANIFEST_VERSION
            manifest["generator"] = f"reportgen {version('reportgen')}"
            manifest["updated"] = _now()
            write_manifest(out_dir, manifest)
    order = {task.target: i for i, task in enumerate(tasks)}
    return PublishReport(tuple(sorted(outcomes, key=lambda o: order.get(o.target, len(order)))))
