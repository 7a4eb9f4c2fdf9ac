"""What an output depends on besides its data, hashed cheaply: reportgen's code, the templates,
the rendering libraries' versions, the fonts available; and files' checksums.

Light on purpose (no pandas, no rendering library): a no-change rebuild needs only these.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

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
    from reportgen.report import html as report_html

    # report_html.TEMPLATES_DIR is read at call time, not bound at import.
    return _tree_hash((templates_dir or report_html.TEMPLATES_DIR).resolve(), "*")


def code_hash() -> str:
    """Hash of reportgen's own source: a change to how anything is computed or worded rebuilds
    every output (the package version alone does not move during development)."""
    return _tree_hash(Path(__file__).resolve().parents[1], "*.py")


@functools.lru_cache(maxsize=1)
def engine_versions() -> str:
    parts = []
    for package in ENGINE_PACKAGES:
        try:
            parts.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} absent")
    return ";".join(parts)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(functools.partial(handle.read, 1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def cjk_font_available() -> bool:
    """Whether fontconfig knows a font with Chinese glyphs (e.g. Debian's fonts-noto-cjk)."""
    if shutil.which("fc-list") is None:
        return False
    try:
        found = subprocess.run(
            ["fc-list", ":lang=zh", "family"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(found.strip())
