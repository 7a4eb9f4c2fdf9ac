"""Hashing: an output is keyed by everything it depends on."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from reportgen.report import html as report_html

log = logging.getLogger("reportgen")


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


# ---------------------------------------------------------------------------------------------
# hashing: an output is keyed by everything it depends on


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


def _round_significant(values: np.ndarray, digits: int = 12) -> np.ndarray:
    # Floats are hashed to 12 significant digits: far beyond anything printed or plotted, but
    # immune to last-bit noise (e.g. a BLAS with another thread count summing in another order).
    out = np.array(values, dtype=float)
    finite = np.isfinite(out) & (out != 0)
    if finite.any():
        magnitude = np.floor(np.log10(np.abs(out[finite])))
        scale = 10.0 ** (digits - 1 - magnitude)
        out[finite] = np.round(out[finite] * scale) / scale
    return out


def _frame_bytes(frame: pd.DataFrame) -> bytes:
    header = json.dumps(
        [
            [str(c) for c in frame.columns],
            [str(t) for t in frame.dtypes],
            [str(n) for n in frame.index.names],
        ]
    ).encode()
    columns = {}
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if pd.api.types.is_float_dtype(column.dtype):
            column = pd.Series(
                _round_significant(column.to_numpy(dtype=float, na_value=np.nan)), index=frame.index
            )
        columns[position] = column
    rounded = pd.DataFrame(columns, index=frame.index)
    try:
        hashed = bytes(pd.util.hash_pandas_object(rounded, index=True).to_numpy().tobytes())
    except TypeError:  # unhashable cells (lists, dicts): fall back to their JSON text
        hashed = str(rounded.to_json(orient="split", default_handler=str)).encode()
    return header + hashed


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _encode(value: Any) -> bytes:
    if isinstance(value, pd.DataFrame):
        return b"frame:" + _frame_bytes(value)
    if isinstance(value, pd.Series):
        return b"series:" + _frame_bytes(value.to_frame())
    if isinstance(value, np.ndarray):
        array = _round_significant(value) if np.issubdtype(value.dtype, np.floating) else value
        header = f"array:{array.shape}:{array.dtype}:".encode()
        return header + np.ascontiguousarray(array).tobytes()
    if isinstance(value, BaseModel):
        return b"model:" + value.model_dump_json().encode("utf-8")
    if isinstance(value, list | tuple) and value and all(isinstance(v, BaseModel) for v in value):
        # pydantic serialises in compiled code: far faster than json.dumps on model_dump()
        return b"models:" + b"\x1d".join(v.model_dump_json().encode("utf-8") for v in value)
    text = json.dumps(_jsonable(value), sort_keys=True, default=str, ensure_ascii=False)
    return b"json:" + text.encode("utf-8")


class Digest:
    """SHA-256 over labelled parts (text, numbers, frames, arrays, models, view-models)."""

    def __init__(self, _state: Any = None) -> None:
        self._hash = _state if _state is not None else hashlib.sha256()

    def add(self, label: str, *values: Any) -> Digest:
        self._hash.update(label.encode("utf-8") + b"\x1e")
        for value in values:
            self._hash.update(_encode(value) + b"\x1f")
        return self

    def copy(self) -> Digest:
        return Digest(self._hash.copy())

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def output_digest(template: str, pdf_variant: str, *extra: str) -> Digest:
    """The start of every output's key: code, templates and CSS, engine versions, options."""
    return Digest().add(
        "output", code_hash(), templates_hash(), engine_versions(), template, pdf_variant, *extra
    )


def input_hash(context: Any, *extra: str) -> str:
    """Hash of a ready view-model (every number and word the output prints) with templates,
    code, engine versions and options; for tasks whose context is built in the main process."""
    return output_digest("", "", *extra).add("context", context).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(functools.partial(handle.read, 1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
