"""Render tasks: one output file each, with its view-model or a recipe for building it."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reportgen.report import pdf as report_pdf

log = logging.getLogger("reportgen")


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
    """One publication: its template, its view-model (or recipe), the hash of its inputs, and
    the formats to write it in (one writer each, see ``reportgen.publish.worker.WRITERS``).

    ``target`` is the first format's file; every format's file is ``path(format)``, the same
    name with the format as suffix (``briefs/london.pdf``, ``briefs/london.html``).
    """

    name: str  # "annual" or the city id
    template: str
    target: Path
    input_hash: str
    pdf_variant: str = report_pdf.DEFAULT_PDF_VARIANT
    write_html: bool = False  # shorthand for adding "html" to the formats
    context: Any = None  # a ready view-model with .meta and .charts, or None with a recipe
    recipe: ContextRecipe | None = None
    formats: tuple[str, ...] = ("pdf",)
    # Where shared files of the HTML format (fonts) are copied; None: embedded in each page.
    assets_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.write_html and "html" not in self.formats:
            object.__setattr__(self, "formats", (*self.formats, "html"))
        if not self.formats:
            raise ValueError(f"task {self.name!r} has no output format")

    def path(self, output_format: str) -> Path:
        return self.target.with_suffix(f".{output_format}")

    def paths(self) -> dict[str, Path]:
        return {f: self.path(f) for f in self.formats}

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
        return self.path("html")


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
    # Every file written, as (format, sha256): the first is ``target`` (its sha256 above).
    files: tuple[tuple[str, str], ...] = ()
    # Where the time went: (phase, seconds) for context, html, charts, pdf, write.
    phases: tuple[tuple[str, float], ...] = ()
    # Peak resident memory of the process that rendered it, so far (MB).
    peak_memory_mb: float = 0.0


class Executor(Protocol):
    """Runs render tasks somewhere (this machine's cores, a cluster) and yields outcomes."""

    def run(self, tasks: Sequence[RenderTask]) -> Iterator[TaskOutcome]: ...
