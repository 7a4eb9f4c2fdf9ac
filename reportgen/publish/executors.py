"""Executors: where render tasks run (this machine's cores, or a Dask cluster)."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.context
import os
import uuid
from collections.abc import Generator, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from reportgen.errors import OutputError
from reportgen.publish.tasks import RenderTask, TaskOutcome, install_shared, shared_inputs
from reportgen.publish.worker import _render_detached, render_task, write_output

log = logging.getLogger("reportgen")


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
    context.set_forkserver_preload(
        [
            "reportgen.publish.plan",
            "reportgen.report.context.annual",
            "reportgen.report.context.brief",
            "weasyprint",
        ]
    )
    return context


# Set in each pool worker by its initializer: where it says which task it starts, so that when a
# worker dies (SIGKILL, out of memory) the main process knows which tasks were in flight.
_STARTED: Any = None


def _init_worker(shared: Mapping[str, Any], started: Any) -> None:
    global _STARTED
    install_shared(shared)
    _STARTED = started


def _render_reporting(position: int, task: RenderTask) -> TaskOutcome:
    if _STARTED is not None:
        _STARTED.put(position)  # SimpleQueue: written before rendering starts, not buffered
    return render_task(task)


WORKER_DIED = (
    "the worker process died while rendering it (killed by a signal, or out of memory); "
    "the previous file, if any, is kept"
)


def _died(task: RenderTask) -> TaskOutcome:
    return TaskOutcome(
        name=task.name, target=task.target, ok=False, input_hash=task.input_hash, error=WORKER_DIED
    )


class LocalExecutor:
    """This machine: inline for one job, else a process pool (one worker per core).

    A worker that dies mid-task breaks a process pool and fails every task still queued in it.
    Here only the task(s) that were being rendered when it happened are suspects: each is
    retried alone (a task that kills its worker again is reported as failed), and the tasks that
    had not started are run in a fresh pool. So one poisonous output costs only itself.
    """

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = max(1, jobs or os.cpu_count() or 1)

    def run(self, tasks: Sequence[RenderTask]) -> Iterator[TaskOutcome]:
        if self.jobs == 1 or len(tasks) <= 1:
            for task in tasks:
                yield render_task(task)
            return
        queue = list(tasks)
        while queue:
            unfinished, started = yield from self._pool(queue, min(self.jobs, len(queue)))
            suspects = [task for i, task in enumerate(queue) if i in started and i in unfinished]
            if not suspects:  # died before starting anything (e.g. could not start at all)
                yield from (_died(queue[i]) for i in sorted(unfinished))
                return
            for task in suspects:
                left, _ = yield from self._pool([task], 1)
                if left:
                    yield _died(task)
            queue = [task for i, task in enumerate(queue) if i in unfinished and i not in started]

    def _pool(
        self, tasks: Sequence[RenderTask], workers: int
    ) -> Generator[TaskOutcome, None, tuple[set[int], set[int]]]:
        """Run the tasks in a fresh pool; yield each outcome. Returns the positions of the tasks
        left unfinished by a dead worker, and of the tasks that had started."""
        context = _pool_context()
        started_queue = context.SimpleQueue()
        # The computed edition goes to each worker once, through the initializer; each task
        # then carries only its own small arguments.
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(shared_inputs(tasks), started_queue),
        )
        unfinished: set[int] = set()
        try:
            futures = {
                pool.submit(_render_reporting, i, task.detached()): i
                for i, task in enumerate(tasks)
            }
            for future in as_completed(futures):
                position = futures[future]
                try:
                    yield future.result()
                except BrokenProcessPool:
                    unfinished.add(position)
                except Exception as exc:  # the task could not be sent or its result not read
                    task = tasks[position]
                    yield TaskOutcome(
                        name=task.name,
                        target=task.target,
                        ok=False,
                        input_hash=task.input_hash,
                        error=f"worker failed: {type(exc).__name__}: {exc}",
                    )
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        started: set[int] = set()
        while not started_queue.empty():
            started.add(started_queue.get())
        started_queue.close()
        return unfinished, started


def _identity(value: Any) -> Any:
    return value


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
            # One copy of each shared input on every worker, each made by a task pinned there,
            # and the outputs dealt out to the workers in turn, each reading its own worker's
            # copy. With a single copy, the scheduler keeps every output where the data is
            # (moving it looks dearer than a task it has not timed yet) and the other workers
            # idle. Sent as task arguments rather than scattered: scattered data on a worker
            # that dies is gone, while a task's output is recomputed (on another worker, as
            # every placement here allows).
            run_id = uuid.uuid4().hex[:8]
            workers: list[str | None] = sorted(client.scheduler_info()["workers"]) or [None]
            copies: dict[tuple[str, str | None], Any] = {}

            def copy_on(key: str, worker: str | None) -> Any:
                if (key, worker) not in copies:
                    copies[(key, worker)] = client.submit(
                        _identity,
                        shared[key],
                        pure=False,
                        key=f"reportgen-{run_id}-{key}-{len(copies)}",
                        workers=None if worker is None else [worker],
                        allow_other_workers=True,
                    )
                return copies[(key, worker)]

            futures = {}
            for i, task in enumerate(tasks):
                worker = workers[i % len(workers)]
                needs = (
                    {}
                    if task.recipe is None
                    else {task.recipe.shared.key: copy_on(task.recipe.shared.key, worker)}
                )
                # A task whose worker is lost is rescheduled by Dask itself (up to the
                # scheduler's allowed-failures); retries= also re-runs one that raised.
                future = client.submit(
                    _render_detached,
                    task.detached(),
                    needs,
                    pure=False,
                    key=f"reportgen-{run_id}-{task.name}",
                    retries=1,
                    workers=None if worker is None else [worker],
                    allow_other_workers=True,
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
