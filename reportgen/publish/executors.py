"""Executors: where render tasks run (this machine's cores, or a Dask cluster)."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.context
import os
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
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
    context.set_forkserver_preload(["reportgen.publish.plan", "weasyprint"])
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
