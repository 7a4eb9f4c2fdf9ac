"""Publishing: plan what to write (keyed by what it prints), render it somewhere, record it."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reportgen.publish.digest import Digest as Digest
    from reportgen.publish.digest import input_hash as input_hash
    from reportgen.publish.digest import output_digest as output_digest
    from reportgen.publish.executors import DaskExecutor as DaskExecutor
    from reportgen.publish.executors import LocalExecutor as LocalExecutor
    from reportgen.publish.manifest import LOCK as LOCK
    from reportgen.publish.manifest import MANIFEST as MANIFEST
    from reportgen.publish.manifest import MANIFEST_VERSION as MANIFEST_VERSION
    from reportgen.publish.manifest import output_lock as output_lock
    from reportgen.publish.manifest import read_manifest as read_manifest
    from reportgen.publish.manifest import remove_stale_temporaries as remove_stale_temporaries
    from reportgen.publish.manifest import safe_target as safe_target
    from reportgen.publish.manifest import write_manifest as write_manifest
    from reportgen.publish.run import PublishReport as PublishReport
    from reportgen.publish.run import publish as publish
    from reportgen.publish.tasks import ContextRecipe as ContextRecipe
    from reportgen.publish.tasks import Executor as Executor
    from reportgen.publish.tasks import RenderTask as RenderTask
    from reportgen.publish.tasks import SharedInput as SharedInput
    from reportgen.publish.tasks import TaskOutcome as TaskOutcome
    from reportgen.publish.tasks import install_shared as install_shared
    from reportgen.publish.tasks import shared_inputs as shared_inputs
    from reportgen.publish.versions import code_hash as code_hash
    from reportgen.publish.versions import engine_versions as engine_versions
    from reportgen.publish.versions import file_sha256 as file_sha256
    from reportgen.publish.versions import templates_hash as templates_hash
    from reportgen.publish.worker import WRITERS as WRITERS
    from reportgen.publish.worker import FileBytes as FileBytes
    from reportgen.publish.worker import Page as Page
    from reportgen.publish.worker import RenderedOutput as RenderedOutput
    from reportgen.publish.worker import Writer as Writer
    from reportgen.publish.worker import render_output as render_output
    from reportgen.publish.worker import render_task as render_task
    from reportgen.publish.worker import write_html_output as write_html_output
    from reportgen.publish.worker import write_output as write_output
    from reportgen.publish.worker import write_pdf_output as write_pdf_output

# Imported on first use: a no-change rebuild reads only the manifest and the plan's cache, and
# must not load pandas or the rendering libraries to find that out.
_HOMES = {
    "LOCK": "reportgen.publish.manifest",
    "MANIFEST": "reportgen.publish.manifest",
    "MANIFEST_VERSION": "reportgen.publish.manifest",
    "WRITERS": "reportgen.publish.worker",
    "ContextRecipe": "reportgen.publish.tasks",
    "DaskExecutor": "reportgen.publish.executors",
    "Digest": "reportgen.publish.digest",
    "Executor": "reportgen.publish.tasks",
    "FileBytes": "reportgen.publish.worker",
    "LocalExecutor": "reportgen.publish.executors",
    "Page": "reportgen.publish.worker",
    "PublishReport": "reportgen.publish.run",
    "RenderTask": "reportgen.publish.tasks",
    "RenderedOutput": "reportgen.publish.worker",
    "SharedInput": "reportgen.publish.tasks",
    "TaskOutcome": "reportgen.publish.tasks",
    "Writer": "reportgen.publish.worker",
    "code_hash": "reportgen.publish.versions",
    "engine_versions": "reportgen.publish.versions",
    "file_sha256": "reportgen.publish.versions",
    "input_hash": "reportgen.publish.digest",
    "install_shared": "reportgen.publish.tasks",
    "output_digest": "reportgen.publish.digest",
    "output_lock": "reportgen.publish.manifest",
    "publish": "reportgen.publish.run",
    "read_manifest": "reportgen.publish.manifest",
    "remove_stale_temporaries": "reportgen.publish.manifest",
    "render_output": "reportgen.publish.worker",
    "render_task": "reportgen.publish.worker",
    "safe_target": "reportgen.publish.manifest",
    "shared_inputs": "reportgen.publish.tasks",
    "templates_hash": "reportgen.publish.versions",
    "write_html_output": "reportgen.publish.worker",
    "write_manifest": "reportgen.publish.manifest",
    "write_output": "reportgen.publish.worker",
    "write_pdf_output": "reportgen.publish.worker",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'reportgen.publish' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


__all__ = [
    "LOCK",
    "MANIFEST",
    "MANIFEST_VERSION",
    "WRITERS",
    "ContextRecipe",
    "DaskExecutor",
    "Digest",
    "Executor",
    "FileBytes",
    "LocalExecutor",
    "Page",
    "PublishReport",
    "RenderTask",
    "RenderedOutput",
    "SharedInput",
    "TaskOutcome",
    "Writer",
    "code_hash",
    "engine_versions",
    "file_sha256",
    "input_hash",
    "install_shared",
    "output_digest",
    "output_lock",
    "publish",
    "read_manifest",
    "remove_stale_temporaries",
    "render_output",
    "render_task",
    "safe_target",
    "shared_inputs",
    "templates_hash",
    "write_html_output",
    "write_manifest",
    "write_output",
    "write_pdf_output",
]
