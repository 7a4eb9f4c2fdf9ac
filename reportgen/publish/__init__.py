"""Publishing: plan what to write (keyed by what it prints), render it somewhere, record it."""

from reportgen.publish.digest import (
    Digest,
    code_hash,
    engine_versions,
    file_sha256,
    input_hash,
    output_digest,
    templates_hash,
)
from reportgen.publish.executors import DaskExecutor, LocalExecutor
from reportgen.publish.manifest import (
    LOCK,
    MANIFEST,
    MANIFEST_VERSION,
    output_lock,
    read_manifest,
    remove_stale_temporaries,
    safe_target,
    write_manifest,
)
from reportgen.publish.run import PublishReport, publish
from reportgen.publish.tasks import (
    ContextRecipe,
    Executor,
    RenderTask,
    SharedInput,
    TaskOutcome,
    install_shared,
    shared_inputs,
)
from reportgen.publish.worker import RenderedOutput, render_output, render_task, write_output

__all__ = [
    "LOCK",
    "MANIFEST",
    "MANIFEST_VERSION",
    "ContextRecipe",
    "DaskExecutor",
    "Digest",
    "Executor",
    "LocalExecutor",
    "PublishReport",
    "RenderTask",
    "RenderedOutput",
    "SharedInput",
    "TaskOutcome",
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
    "write_manifest",
    "write_output",
]
