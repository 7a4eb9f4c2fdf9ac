"""The computed edition, cached in the output folder: a no-change rebuild skips the computation.

The cache holds what publishing reads of an ``EditionResult`` (Monte Carlo summarised, see
``plan.for_workers``) under a key made of the input files' bytes, the code, the library versions
that shape the numbers, and the options (year, ``--set``). It is verified before use (format,
key, checksum of the payload); a corrupt or stale cache is ignored with one warning, recomputed
and replaced.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import pickle
import platform
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen import files
from reportgen.publish.tasks import RenderTask
from reportgen.publish.versions import code_hash, engine_versions, templates_hash

if TYPE_CHECKING:
    from reportgen.pipeline import EditionResult

log = logging.getLogger("reportgen")

CACHE_PATH = Path(".reportgen-cache") / "edition.pickle"
PLAN_PATH = Path(".reportgen-cache") / "plan.json"
_MAGIC = b"reportgen computed edition v1\n"
# Libraries whose version can change a computed number or the pickled objects' layout.
_NUMERIC_PACKAGES = ("numpy", "pandas", "scipy", "pydantic")


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    # Tens of thousands of small objects (findings): the cyclic collector, triggered over and
    # over while they are created, triples the time of a load. Nothing cyclic is freed here.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _versions() -> str:
    parts = [f"python {platform.python_version()}"]
    for package in _NUMERIC_PACKAGES:
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} absent")
    return "; ".join(parts)


def input_files(data: Path, edition: Path) -> list[Path]:
    """Every file the computation reads: the data folder's files (or the workbook) and the
    edition file."""
    found = [data] if data.is_file() else sorted(p for p in data.iterdir() if p.is_file())
    if edition.resolve() not in {p.resolve() for p in found} and edition.is_file():
        found.append(edition)
    return found


def edition_key(
    data: Path, edition: Path, *, year: int | None, overrides: Iterable[str], uncertainty: bool
) -> str:
    """What the computed edition depends on: input bytes, code, library versions, options."""
    digest = hashlib.sha256()
    for path in input_files(data, edition):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    options = f"year={year}; set={list(overrides)}; uncertainty={uncertainty}"
    for part in (code_hash(), _versions(), options):
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def read_cached(out_dir: Path, key: str) -> EditionResult | None:
    """The cached edition if it is intact and was computed for ``key``; None otherwise (with
    one warning when a cache was there but could not be used)."""
    path = out_dir / CACHE_PATH
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("ignoring the cached edition %s: %s; recomputing", path, exc)
        return None
    header, _, rest = blob.partition(b"\n\n")
    lines = (header + b"\n").split(b"\n")
    if not blob.startswith(_MAGIC) or len(lines) < 3:
        log.warning("ignoring the cached edition %s: not a reportgen cache; recomputing", path)
        return None
    cached_key, checksum = lines[1].decode("ascii", "replace"), lines[2]
    if cached_key != key:
        log.warning(
            "ignoring the cached edition %s: it was computed from other inputs (data, edition "
            "file, options or code changed); recomputing",
            path,
        )
        return None
    if hashlib.sha256(rest).hexdigest().encode("ascii") != checksum:
        log.warning("ignoring the cached edition %s: it is corrupt; recomputing", path)
        return None
    # A pickle runs code when loaded: this is reportgen's own file in the user's output folder,
    # which is trusted like the code itself; the checksum guards against damage, not malice.
    try:
        with _no_gc():
            result = pickle.loads(rest)
    except Exception as exc:  # a checksummed pickle from another environment
        log.warning("ignoring the cached edition %s: cannot be read (%s); recomputing", path, exc)
        return None
    from reportgen.pipeline import EditionResult

    if not isinstance(result, EditionResult):
        log.warning("ignoring the cached edition %s: unexpected content; recomputing", path)
        return None
    return result


def write_cached(out_dir: Path, key: str, result: EditionResult) -> Path:
    with _no_gc():
        payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    header = _MAGIC + key.encode("ascii") + b"\n" + hashlib.sha256(payload).hexdigest().encode()
    path = out_dir / CACHE_PATH
    files.write_bytes_atomic(path, header + b"\n\n" + payload)
    return path


def cached_edition(
    out_dir: Path, key: str, compute: Callable[[], EditionResult], *, store: bool = True
) -> tuple[EditionResult, bool]:
    """The cached edition for ``key`` (and True), or ``compute()`` (and False), stored for next
    time unless ``store`` is False (the caller stores it once the edition proved publishable)."""
    found = read_cached(out_dir, key)
    if found is not None:
        return found, True
    result = compute()
    if store:
        remember_edition(out_dir, key, result)
    return result, False


def remember_edition(out_dir: Path, key: str, result: EditionResult) -> None:
    """Store a computed edition in the output folder's cache; a failure only costs time."""
    try:
        write_cached(out_dir, key, result)
    except Exception as exc:  # a cache that cannot be written only costs the next run time
        log.warning("could not cache the computed edition in %s: %s", out_dir, exc)


# ---------------------------------------------------------------------------------------------
# the plan: each output's file and key, for a no-change rebuild that loads nothing else


def plan_key(
    edition: str,
    out_dir: Path,
    *,
    pdf_variant: str,
    formats: Sequence[str],
    with_chinese: bool,
    selection: Any,
) -> str:
    """What the list of tasks and their keys depend on: the computed edition's key (input files,
    code, options), the templates, the rendering libraries, the output options."""
    parts = [
        edition,
        str(out_dir.resolve()),
        templates_hash(),
        engine_versions(),
        json.dumps([pdf_variant, list(formats), with_chinese, repr(selection)]),
    ]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def write_plan(out_dir: Path, key: str, tasks: Sequence[RenderTask]) -> None:
    root = out_dir.resolve()
    entries = [
        {
            "name": task.name,
            "template": task.template,
            "target": task.target.relative_to(root).as_posix(),
            "input_hash": task.input_hash,
            "pdf_variant": task.pdf_variant,
            "formats": list(task.formats),
            "assets_dir": None
            if task.assets_dir is None
            else task.assets_dir.relative_to(root).as_posix(),
        }
        for task in tasks
    ]
    text = json.dumps({"key": key, "tasks": entries}, ensure_ascii=False)
    try:
        files.write_bytes_atomic(out_dir / PLAN_PATH, text.encode("utf-8"))
    except Exception as exc:  # only the next run's speed depends on it
        log.warning("could not cache the plan in %s: %s", out_dir, exc)


def read_plan(out_dir: Path, key: str) -> list[RenderTask] | None:
    """The tasks planned last time for ``key``, without view-models (enough to tell whether
    anything must be rendered, not to render it); None when there is no such plan."""
    try:
        data = json.loads((out_dir / PLAN_PATH).read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        root = out_dir.resolve()
        return [
            RenderTask(
                name=str(entry["name"]),
                template=str(entry["template"]),
                target=root / entry["target"],
                input_hash=str(entry["input_hash"]),
                pdf_variant=str(entry["pdf_variant"]),
                formats=tuple(entry["formats"]),
                assets_dir=None if entry["assets_dir"] is None else root / entry["assets_dir"],
            )
            for entry in data["tasks"]
        ]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no plan, or not one we can read: plan again
