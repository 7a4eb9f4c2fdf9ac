"""The output folder's bookkeeping: manifest, lock, stale temporaries, safe targets."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from reportgen import files
from reportgen.errors import OutputError

log = logging.getLogger("reportgen")

MANIFEST = "manifest.json"
LOCK = ".reportgen.lock"
MANIFEST_VERSION = 2


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
    files.write_bytes_atomic(out_dir / MANIFEST, text.encode("utf-8"))


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
