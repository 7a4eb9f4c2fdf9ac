"""The computed edition, cached in the output folder: a no-change rebuild skips the computation.

The cache holds what publishing reads of an ``EditionResult`` (Monte Carlo summarised, see
``plan.for_workers``) under a key made of the input files' bytes, the code, the library versions
that shape the numbers, and the options (year, ``--set``). It is verified before use (format,
key, checksum of the payload); a corrupt or stale cache is ignored with one warning, recomputed
and replaced.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import platform
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from reportgen import files
from reportgen.pipeline import EditionResult
from reportgen.publish.digest import code_hash

log = logging.getLogger("reportgen")

CACHE_PATH = Path(".reportgen-cache") / "edition.pickle"
_MAGIC = b"reportgen computed edition v1\n"
# Libraries whose version can change a computed number or the pickled objects' layout.
_NUMERIC_PACKAGES = ("numpy", "pandas", "scipy", "pydantic")


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
        result = pickle.loads(rest)
    except Exception as exc:  # a checksummed pickle from another environment
        log.warning("ignoring the cached edition %s: cannot be read (%s); recomputing", path, exc)
        return None
    if not isinstance(result, EditionResult):
        log.warning("ignoring the cached edition %s: unexpected content; recomputing", path)
        return None
    return result


def write_cached(out_dir: Path, key: str, result: EditionResult) -> Path:
    payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    header = _MAGIC + key.encode("ascii") + b"\n" + hashlib.sha256(payload).hexdigest().encode()
    path = out_dir / CACHE_PATH
    files.write_bytes_atomic(path, header + b"\n\n" + payload)
    return path


def cached_edition(out_dir: Path, key: str, compute: Callable[[], EditionResult]) -> EditionResult:
    """The cached edition for ``key``, or ``compute()`` stored for next time."""
    found = read_cached(out_dir, key)
    if found is not None:
        return found
    result = compute()
    try:
        write_cached(out_dir, key, result)
    except Exception as exc:  # a cache that cannot be written only costs the next run time
        log.warning("could not cache the computed edition in %s: %s", out_dir, exc)
    return result
