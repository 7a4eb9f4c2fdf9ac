"""The outlier treatment step: COINr's skew/kurtosis check, winsorisation and transforms.

A treatment method is a function of one column (shape ``(units, 1)``) that returns the treated
column and records what it did in the step's log; ``TREATMENTS`` maps names to them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from reportgen.errors import MethodError
from reportgen.index.framework import Framework
from reportgen.index.kernels import (
    BoolArray,
    FloatArray,
    Method,
    _skew_kurt,
    boxcox_kernel,
    log_ct_kernel,
)

if TYPE_CHECKING:
    from reportgen.index.steps import TreatSpec

__all__ = ["FALLBACKS", "TREATMENTS", "treat"]


def _check(x: FloatArray, spec: TreatSpec) -> tuple[BoolArray, FloatArray, FloatArray]:
    """(pass, skew, kurt) per column; an undefined statistic passes (nothing to treat)."""
    skew, kurt = _skew_kurt(x)
    fails = (np.abs(skew) >= spec.skew_thresh) & (kurt >= spec.kurt_thresh)
    return ~fails, skew, kurt


def _check_vector(v: FloatArray, spec: TreatSpec) -> tuple[bool, float, float]:
    """:func:`_check` for one vector of available values (the winsorisation loop's hot path)."""
    n = float(v.size)
    if n < 3:
        return True, np.nan, np.nan
    d = v - v.sum() / n
    d2 = d * d
    s2, s3 = d2.sum(), (d2 * d).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        skew = float(np.sqrt(n) * s3 / s2**1.5 * np.sqrt(n * (n - 1)) / (n - 2))
        kurt = (
            float(
                ((n + 1) * (n * (d2 * d2).sum() / (s2 * s2) - 3) + 6)
                * (n - 1)
                / ((n - 2) * (n - 3))
            )
            if n >= 4
            else np.nan
        )
    fails = abs(skew) >= spec.skew_thresh and kurt >= spec.kurt_thresh
    return not fails, skew, kurt


def _winsorise(x: FloatArray, spec: TreatSpec) -> tuple[FloatArray, int]:
    """Winsorise one column (shape (n, 1)) as COINr does; return it and ``nwin``."""
    y = x.copy()
    col = y[:, 0]
    available = ~np.isnan(col)
    v = col[available]  # work on the available values; positions are restored at the end
    high = low = 0
    nwin = 0
    while nwin < spec.winmax:
        passed, skew, _ = _check_vector(v, spec)
        if passed:
            break
        if skew >= 0:
            extreme = v == v.max()
            if extreme.all():
                break
            v[extreme] = v[~extreme].max()
            high = int(extreme.sum())
        else:
            extreme = v == v.min()
            if extreme.all():
                break
            v[extreme] = v[~extreme].min()
            low = int(extreme.sum())
        nwin = high + low
    col[available] = v
    return y, nwin


def _log(x: FloatArray, spec: TreatSpec, code: str, index: pd.Index) -> FloatArray:
    bad = ~np.isnan(x[:, 0]) & (x[:, 0] <= 0)
    if bad.any():
        raise MethodError(f"treat: log of {code} needs values > 0; unit {index[bad][0]} is not")
    return np.log(x)


def _log_ct(x: FloatArray, spec: TreatSpec, code: str, index: pd.Index) -> FloatArray:
    return log_ct_kernel(x)


def _boxcox(x: FloatArray, spec: TreatSpec, code: str, index: pd.Index) -> FloatArray:
    return boxcox_kernel(x, spec.lambda_, spec.makepos)


Transform = Callable[[FloatArray, "TreatSpec", str, pd.Index], FloatArray]

#: Transforms a failing indicator may fall back on after winsorisation ("none": keep it).
FALLBACKS: Mapping[str, Method[Transform] | None] = MappingProxyType(
    {"log_ct": Method(_log_ct, "ln(x - min + 0.01 (max - min))"), "none": None}
)


class _CheckColumns:
    """One ``check_SkewKurt`` block of the treatment log, filled indicator by indicator."""

    def __init__(self, n: int) -> None:
        self.passed = np.zeros(n, dtype=bool)
        self.skew = np.full(n, np.nan)
        self.kurt = np.full(n, np.nan)
        self.ran = np.zeros(n, dtype=bool)

    def record(self, j: int, check: tuple[bool, float, float]) -> bool:
        self.passed[j], self.skew[j], self.kurt[j] = check
        self.ran[j] = True
        return check[0]

    def columns(self, stage: int) -> dict[str, Any]:
        prefix = f"check_SkewKurt{stage}"
        return {
            f"{prefix}.Pass": pd.arrays.BooleanArray(self.passed, ~self.ran),
            f"{prefix}.Skew": self.skew,
            f"{prefix}.Kurt": self.kurt,
        }


def _check_column(x: FloatArray, spec: TreatSpec) -> tuple[bool, float, float]:
    column = x[:, 0]
    return _check_vector(column[~np.isnan(column)], spec)


@dataclass
class _TreatLog:
    """The step's log (COINr's ``Dets_Table``), filled indicator by indicator."""

    check0: _CheckColumns
    check1: _CheckColumns
    check2: _CheckColumns
    nwin: Any  # int64 array
    nwin_ran: Any  # bool array
    treatment: Any  # object array of method names

    @classmethod
    def empty(cls, n: int) -> _TreatLog:
        return cls(
            _CheckColumns(n),
            _CheckColumns(n),
            _CheckColumns(n),
            np.zeros(n, dtype=np.int64),
            np.zeros(n, dtype=bool),
            np.full(n, "none", dtype=object),
        )


# A treatment: (column, settings, position j, code, unit index, log) -> treated column.
Treatment = Callable[[FloatArray, "TreatSpec", int, str, pd.Index, _TreatLog], FloatArray]


def _untreated(
    x: FloatArray, spec: TreatSpec, j: int, code: str, index: pd.Index, log: _TreatLog
) -> FloatArray:
    return x


def _winsorise_step(
    x: FloatArray, spec: TreatSpec, j: int, code: str, index: pd.Index, log: _TreatLog
) -> FloatArray:
    treated, log.nwin[j] = _winsorise(x, spec)
    log.nwin_ran[j] = True
    log.treatment[j] = "winsorise"
    fallback = FALLBACKS[spec.fallback]
    if not log.check1.record(j, _check_column(treated, spec)) and fallback is not None:
        # COINr falls back on the original vector, not the winsorised one.
        treated = fallback.apply(x, spec, code, index)
        log.check2.record(j, _check_column(treated, spec))
        log.treatment[j] = spec.fallback
    return treated


def _transforming(transform: Transform, name: str) -> Treatment:
    def step(
        x: FloatArray, spec: TreatSpec, j: int, code: str, index: pd.Index, log: _TreatLog
    ) -> FloatArray:
        treated = transform(x, spec, code, index)
        log.check1.record(j, _check_column(treated, spec))
        log.treatment[j] = name
        return treated

    return step


#: Treatment methods by name: a new one is a function above and a line here.
TREATMENTS: Mapping[str, Method[Treatment]] = MappingProxyType(
    {
        "none": Method(_untreated, "leave indicators unchanged"),
        "winsorise": Method(
            _winsorise_step, "winsorise until skew and kurtosis pass, else fall back (log_ct)"
        ),
        "log": Method(_transforming(_log, "log"), "natural log (values must be > 0)"),
        "log_ct": Method(_transforming(_log_ct, "log_ct"), "ln(x - min + 0.01 (max - min))"),
        "boxcox": Method(
            _transforming(_boxcox, "boxcox"), "Box-Cox transform with parameter lambda"
        ),
    }
)


def treat(
    values: pd.DataFrame, spec: TreatSpec, framework: Framework
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Treat outliers per indicator; return the treated values and COINr's ``Dets_Table``.

    The log has one row per indicator: the check before treatment, the number of winsorised
    points, the check after it, the check after a fallback transform (only when one ran) and a
    ``treatment`` column naming what was applied.
    """
    del framework  # treatment is in the indicators' own direction, as COINr
    x = values.to_numpy(dtype=float)
    out = x.copy()
    codes = list(values.columns)
    n = len(codes)
    pass0, skew0, kurt0 = _check(x, spec)
    log = _TreatLog.empty(n)
    check0 = log.check0
    check0.passed[:], check0.skew[:], check0.kurt[:], check0.ran[:] = pass0, skew0, kurt0, True
    # Only failing indicators (or ones with their own settings) need a Python-level look.
    todo = [
        j
        for j, code in enumerate(codes)
        if code not in spec.exclude and (code in spec.indicators or not pass0[j] or spec.force)
    ]
    log.treatment[[j for j, c in enumerate(codes) if c in spec.exclude]] = "excluded"
    for j in todo:
        code = codes[j]
        s = spec.spec_for(code)
        column = x[:, j : j + 1]
        passed0 = check0.record(j, _check_column(column, s)) if s is not spec else bool(pass0[j])
        if s.method == "none" or (passed0 and not s.force):
            continue
        out[:, j] = TREATMENTS[s.method].apply(column, s, j, code, values.index, log)[:, 0]
    table: dict[str, Any] = {"iCode": pd.array(codes, dtype="str"), **check0.columns(0)}
    table["winsorise.nwin"] = pd.arrays.IntegerArray(log.nwin, ~log.nwin_ran)
    table.update(log.check1.columns(1))
    if log.check2.ran.any():
        table.update(log.check2.columns(2))
    table["treatment"] = log.treatment
    return pd.DataFrame(out, index=values.index, columns=values.columns), pd.DataFrame(table)
