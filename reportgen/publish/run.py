"""Publishing: render what changed, skip what has not, keep the manifest true."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from reportgen.publish.executors import LocalExecutor
from reportgen.publish.manifest import (
    MANIFEST_VERSION,
    output_lock,
    read_manifest,
    remove_stale_temporaries,
    write_manifest,
)
from reportgen.publish.tasks import Executor, RenderTask, TaskOutcome
from reportgen.publish.versions import file_sha256

log = logging.getLogger("reportgen")


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
    """A skipped outcome if every file of the task on disk is the one the manifest says these
    inputs made."""
    shas = []
    for output_format, path in task.paths().items():
        entry = files.get(_relative(path, root))
        if (
            not isinstance(entry, dict)
            or entry.get("input_hash") != task.input_hash
            or not path.is_file()
            or file_sha256(path) != entry.get("sha256")
        ):
            return None
        shas.append((output_format, str(entry["sha256"])))
    first = files[_relative(task.target, root)]
    return TaskOutcome(
        name=task.name,
        target=task.target,
        ok=True,
        skipped=True,
        pages=int(first.get("pages", 0)),
        sha256=str(first["sha256"]),
        input_hash=task.input_hash,
        files=tuple(shas),
    )


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _record(files: dict[str, Any], task: RenderTask, outcome: TaskOutcome, root: Path) -> None:
    generated = _now()
    for output_format, sha in outcome.files or ((task.formats[0], outcome.sha256),):
        entry: dict[str, Any] = {
            "kind": output_format,
            "output": task.name,
            "sha256": sha,
            "input_hash": outcome.input_hash,
            "generated": generated,
        }
        if task.path(output_format) == task.target:
            entry |= {"pages": outcome.pages, "seconds": round(outcome.seconds, 3)}
        files[_relative(task.path(output_format), root)] = entry


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
        for assets in {t.assets_dir for t in todo if "html" in t.formats} - {None}:
            from reportgen.report.html import copy_html_assets

            copy_html_assets(assets)  # type: ignore[arg-type]
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


def publish_unchanged(tasks: Iterable[RenderTask], out_dir: Path) -> PublishReport | None:
    """The report of a run with nothing to do, if every task's files are on disk as the manifest
    records them for these keys and the manifest lists nothing that is gone; None otherwise
    (then publish for real)."""
    tasks = list(tasks)
    with output_lock(out_dir):
        files = read_manifest(out_dir)["files"]
        root = out_dir.resolve()
        if any(not (root / relative).is_file() for relative in files):
            return None
        outcomes = []
        for task in tasks:
            skipped = _unchanged(task, files, root)
            if skipped is None:
                return None
            outcomes.append(skipped)
    return PublishReport(tuple(outcomes))
