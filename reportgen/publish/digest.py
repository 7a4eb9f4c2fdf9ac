"""Hashing: an output is keyed by everything it depends on."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from reportgen.analysis.findings.records import Record, record_dict
from reportgen.publish.versions import (
    ENGINE_PACKAGES as ENGINE_PACKAGES,
)
from reportgen.publish.versions import code_hash as code_hash
from reportgen.publish.versions import engine_versions as engine_versions
from reportgen.publish.versions import file_sha256 as file_sha256
from reportgen.publish.versions import templates_hash as templates_hash

log = logging.getLogger("reportgen")


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


def _column_bytes(values: pd.Series | pd.Index) -> bytes:
    if pd.api.types.is_float_dtype(values.dtype):
        return _round_significant(values.to_numpy(dtype=float, na_value=np.nan)).tobytes()
    exact = pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype)
    if exact and not values.isna().any():
        return values.to_numpy(dtype="int64").tobytes()
    # Text and anything else, cell by cell: repr() escapes the separator inside a string, and
    # tells None, NaN, 1 and "1" apart.
    return "\x1f".join(map(repr, values.tolist())).encode("utf-8", "surrogatepass")


def _frame_bytes(frame: pd.DataFrame) -> bytes:
    header = json.dumps(
        [
            [str(c) for c in frame.columns],
            [str(t) for t in frame.dtypes],
            [str(n) for n in frame.index.names],
            list(frame.shape),
        ]
    ).encode()
    # Column by column as bytes: linear, and far cheaper on the many small frames of a plan
    # than pandas' row hashing.
    parts = [header, _column_bytes(frame.index)]
    parts += [_column_bytes(frame.iloc[:, i]) for i in range(frame.shape[1])]
    return b"\x1e".join(len(p).to_bytes(8, "little") + p for p in parts)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Record):
        return record_dict(value)
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
    if isinstance(value, Record):
        # A findings record's repr names every field, nested records included, and prints
        # floats exactly: a complete key, made in compiled code.
        return b"record:" + repr(value).encode("utf-8")
    if isinstance(value, list | tuple) and value and all(isinstance(v, Record) for v in value):
        return b"records:" + repr(tuple(value)).encode("utf-8")
    if isinstance(value, list | tuple) and value and all(isinstance(v, BaseModel) for v in value):
        # pydantic serialises in compiled code: far faster than json.dumps on model_dump()
        return b"models:" + b"\x1d".join(v.model_dump_json().encode("utf-8") for v in value)
    if isinstance(value, list | tuple) and all(type(v) is str for v in value):
        plain: Any = list(value)  # a brief's flags and sources: no need to walk them
    else:
        plain = _jsonable(value)
    text = json.dumps(plain, sort_keys=True, default=str, ensure_ascii=False)
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
