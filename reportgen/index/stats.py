"""Audit statistics of a build: coverage, distributions, correlations, alpha, PCA, weights."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats as sps

from reportgen.index.steps import kurt_kernel, skew_kernel

if TYPE_CHECKING:
    from reportgen.index.framework import Framework
    from reportgen.index.result import IndexResult

__all__ = [
    "AuditResult",
    "Coverage",
    "audit",
    "correlation_flags",
    "correlation_pvalues",
    "correlations",
    "coverage",
    "cronbach_alpha",
    "effective_weights",
    "indicator_stats",
    "kurtosis",
    "parent_correlations",
    "pca_first_share",
    "skew_kurt_table",
    "skewness",
]

# JRC audit thresholds (OECD/JRC Handbook; COINr get_stats defaults).
SKEW_LIMIT = 2.0
KURT_LIMIT = 3.5
CORR_LOW = 0.3
CORR_HIGH = 0.92
ALPHA_MIN = 0.7

FloatArray = np.ndarray


def _values(frame: pd.DataFrame) -> FloatArray:
    return frame.to_numpy(dtype=float, na_value=np.nan)


def skewness(x: FloatArray) -> float:
    """Sample skewness, type 2 (e1071 type 2), over the non-missing values; NaN if n < 3."""
    return float(skew_kernel(np.asarray(x, dtype=float).reshape(-1, 1))[0])


def kurtosis(x: FloatArray) -> float:
    """Sample excess kurtosis, type 2, over the non-missing values; NaN if n < 4."""
    return float(kurt_kernel(np.asarray(x, dtype=float).reshape(-1, 1))[0])


def indicator_stats(
    frame: pd.DataFrame,
    *,
    t_skew: float = SKEW_LIMIT,
    t_kurt: float = KURT_LIMIT,
    t_avail: float = 0.65,
    t_zero: float = 0.5,
    t_unique: float = 0.5,
) -> pd.DataFrame:
    """One row per indicator (column of ``frame``), as COINr's ``get_stats``.

    ``Frc.Avail`` is relative to the number of units; the other fractions are relative to
    ``N.Avail``. A flag reads "LOW" when its fraction is below the threshold, ``Flag.SkewKurt``
    reads "OUT" when |skew| > t_skew and kurtosis > t_kurt.
    """
    n_units = len(frame)
    rows: list[dict[str, object]] = []
    for code in frame.columns:
        col = _values(frame[[code]])[:, 0]
        v = col[~np.isnan(col)]
        n = v.size
        _, counts = np.unique(v, return_counts=True)
        n_nonzero = int(np.count_nonzero(v))
        n_unique = int(counts.size)
        n_same = int(counts.max()) if n else 0
        skew = skewness(v)
        kurt = kurtosis(v)
        frc_avail = n / n_units if n_units else float("nan")

        def frc(k: int, n: int = n) -> float:
            return k / n if n else float("nan")

        rows.append(
            {
                "iCode": code,
                "Min": float(v.min()) if n else float("nan"),
                "Max": float(v.max()) if n else float("nan"),
                "Mean": float(v.mean()) if n else float("nan"),
                "Median": float(np.median(v)) if n else float("nan"),
                "Std": float(v.std(ddof=1)) if n > 1 else float("nan"),
                "Skew": skew,
                "Kurt": kurt,
                "N.Avail": n,
                "N.NonZero": n_nonzero,
                "N.Unique": n_unique,
                "N.Same": n_same,
                "Frc.Avail": frc_avail,
                "Frc.NonZero": frc(n_nonzero),
                "Frc.Unique": frc(n_unique),
                "Frc.Same": frc(n_same),
                "Flag.Avail": "LOW" if frc_avail < t_avail else "ok",
                "Flag.NonZero": "LOW" if frc(n_nonzero) < t_zero else "ok",
                "Flag.Unique": "LOW" if frc(n_unique) < t_unique else "ok",
                "Flag.SkewKurt": "OUT" if abs(skew) > t_skew and kurt > t_kurt else "ok",
            }
        )
    return pd.DataFrame(rows).set_index("iCode")


def _pairwise_pearson(a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Pearson r and pair counts of every column of ``a`` with every column of ``b``.

    Pairwise complete: each pair uses the units where both are present, with means taken over
    those units (two-pass, as R's ``cor(use = "pairwise.complete.obs")``).
    """
    va, vb = ~np.isnan(a), ~np.isnan(b)
    b0 = np.where(vb, b, 0.0)
    r = np.full((a.shape[1], b.shape[1]), np.nan)
    counts = np.zeros((a.shape[1], b.shape[1]), dtype=int)
    for i in range(a.shape[1]):
        mask = va[:, i, None] & vb
        n = mask.sum(axis=0)
        counts[i] = n
        ai = np.where(mask, np.nan_to_num(a[:, i])[:, None], 0.0)
        bm = np.where(mask, b0, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            da = np.where(mask, ai - ai.sum(axis=0) / n, 0.0)
            db = np.where(mask, bm - bm.sum(axis=0) / n, 0.0)
            r[i] = (da * db).sum(axis=0) / np.sqrt((da**2).sum(axis=0) * (db**2).sum(axis=0))
    return r, counts


def _pvalues(r: FloatArray, n: FloatArray) -> FloatArray:
    """Two-sided p-value of Pearson's r with df = n - 2 (as R's ``cor.test``)."""
    df = n - 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        t = r * np.sqrt(df / (1.0 - r**2))
        p = 2.0 * sps.t.sf(np.abs(t), df)
    return np.where(df > 0, p, np.nan)


def correlation_pvalues(frame_a: pd.DataFrame, frame_b: pd.DataFrame) -> pd.DataFrame:
    """Two-sided p-values of the pairwise-complete Pearson correlations."""
    r, n = _pairwise_pearson(_values(frame_a), _values(frame_b))
    return pd.DataFrame(_pvalues(r, n), index=frame_a.columns, columns=frame_b.columns)


def correlations(
    frame_a: pd.DataFrame, frame_b: pd.DataFrame | None = None, pval: float = 0.05
) -> pd.DataFrame:
    """Pearson correlations (pairwise complete) of the columns of ``frame_a`` with ``frame_b``.

    Entries whose p-value exceeds ``pval`` are NaN (COINr's ``get_corr``); ``pval = 0`` keeps all.
    Rows and columns must share units on the index; ``frame_b`` defaults to ``frame_a``.
    """
    if frame_b is None:
        frame_b = frame_a
    frame_b = frame_b.reindex(frame_a.index)
    r, n = _pairwise_pearson(_values(frame_a), _values(frame_b))
    if pval > 0:
        r = np.where(_pvalues(r, n) > pval, np.nan, r)
    return pd.DataFrame(r, index=frame_a.columns, columns=frame_b.columns)


def correlation_flags(
    corr: pd.DataFrame | pd.Series, low: float = CORR_LOW, high: float = CORR_HIGH
) -> pd.DataFrame:
    """Long table of the correlations the JRC flags: ``weak`` < ``low``, ``redundant`` > ``high``.

    Negative correlations count as weak. Masked (NaN) entries are left out.
    """
    long = corr.stack() if isinstance(corr, pd.DataFrame) else corr
    long = long.dropna()
    flag = np.where(long < low, "weak", np.where(long > high, "redundant", ""))
    out = pd.DataFrame({"r": long.to_numpy(dtype=float), "flag": flag}, index=long.index)
    return out[out["flag"] != ""]


def cronbach_alpha(frame: pd.DataFrame) -> float:
    """Cronbach's alpha of the columns: k² c̄ / ΣC with C the pairwise-complete sample covariance."""
    k = frame.shape[1]
    if k < 2:
        return float("nan")
    cov = frame.cov(min_periods=2).to_numpy(dtype=float)
    total = cov.sum()
    mean_off = (total - np.trace(cov)) / (k * (k - 1))
    return float(k**2 * mean_off / total)


def pca_first_share(frame: pd.DataFrame) -> float:
    """Share of total variance on the first principal component of the standardised columns.

    PCA of the correlation matrix over complete units (the OECD/JRC practice for pillars, whose
    indicators have different scales); NaN with fewer than two columns or three complete units.
    """
    x = _values(frame.dropna())
    if x.shape[1] < 2 or x.shape[0] < 3:
        return float("nan")
    keep = x.std(axis=0, ddof=1) > 0
    eig = np.linalg.eigvalsh(np.corrcoef(x[:, keep], rowvar=False))
    return float(eig[-1] / eig.sum())


@dataclass(frozen=True)
class Coverage:
    """Data availability: per indicator and per unit, counts and shares of observed values."""

    indicators: pd.DataFrame  # index: indicator; columns n_available, n_missing, share
    units: pd.DataFrame  # index: unit; columns n_available, n_missing, share


def coverage(values: pd.DataFrame) -> Coverage:
    """Availability of ``values`` (units × indicators, NaN = missing) by indicator and by unit."""
    present = values.notna()

    def table(avail: pd.Series, total: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "n_available": avail.astype(int),
                "n_missing": (total - avail).astype(int),
                "share": avail / total if total else np.nan,
            }
        )

    return Coverage(
        indicators=table(present.sum(axis=0), len(values)),
        units=table(present.sum(axis=1), values.shape[1]),
    )


def skew_kurt_table(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Skew and kurtosis of each indicator before and after treatment, with the JRC flag."""

    def part(frame: pd.DataFrame, suffix: str) -> pd.DataFrame:
        skew = pd.Series(skew_kernel(_values(frame)), index=frame.columns)
        kurt = pd.Series(kurt_kernel(_values(frame)), index=frame.columns)
        out = (skew.abs() > SKEW_LIMIT) & (kurt > KURT_LIMIT)
        return pd.DataFrame({f"skew_{suffix}": skew, f"kurt_{suffix}": kurt, f"out_{suffix}": out})

    return part(before, "before").join(part(after[before.columns], "after"))


def parent_correlations(
    values: pd.DataFrame, parents: Mapping[str, str], pval: float = 0.0
) -> pd.DataFrame:
    """Correlation of each child column with its parent column, with p-value and JRC flag.

    ``parents`` maps child code to parent code; both must be columns of ``values``. A parent's
    only child correlates 1 with it by construction: it is marked ``only_child`` and never
    flagged (there is nothing redundant to drop).
    """
    n_children = pd.Series(list(parents.values())).value_counts()
    rows: list[dict[str, object]] = []
    for child, parent in parents.items():
        r, n = _pairwise_pearson(_values(values[[child]]), _values(values[[parent]]))
        p = _pvalues(r, n)
        rr, pp = float(r[0, 0]), float(p[0, 0])
        only_child = bool(n_children[parent] == 1)
        flag = (
            "" if only_child else "weak" if rr < CORR_LOW else "redundant" if rr > CORR_HIGH else ""
        )
        masked = pval > 0 and pp > pval
        rows.append(
            {
                "code": child,
                "parent": parent,
                "r": np.nan if masked else rr,
                "p_value": pp,
                "flag": flag,
                "only_child": only_child,
            }
        )
    return pd.DataFrame(rows, columns=["code", "parent", "r", "p_value", "flag", "only_child"])


def _nominal_weights(result: IndexResult) -> pd.Series:
    """Weights as the build's aggregation used them (framework weights with overrides)."""
    weights = result.framework.weights.astype(float)
    spec = result.build.step("aggregate")
    overrides = getattr(spec, "weights", None) or {}
    for code, value in overrides.items():
        weights[code] = float(value)
    return weights


def effective_weights(
    result: IndexResult, level: int, parent_level: int | None = None
) -> pd.DataFrame:
    """Nominal versus effective weight of each code at ``level`` within its ancestor.

    Method (Paruolo, Saisana and Saltelli 2013): a child's importance for its ancestor ``y`` is
    the first-order effect ``S_i = V[E(y | x_i)] / V(y)``, estimated here as the squared Pearson
    correlation of child and ancestor over units (exact when the regression of y on x_i is
    linear, the usual approximation with few units). The effective weight is ``S_i`` normalised
    over the ancestor's descendants at ``level``; the nominal weight is the product of the
    normalised weights along the path from the child up to the ancestor. A ``ratio`` far from 1
    means the nominal weight does not say how much the child drives the ancestor's ranking.
    """
    framework = result.framework
    parent_level = level + 1 if parent_level is None else parent_level
    if not 1 <= level < parent_level <= framework.n_levels:
        raise ValueError(f"need 1 ≤ level < parent_level ≤ {framework.n_levels}")
    weights = _nominal_weights(result)
    share: dict[str, float] = {}
    for code in framework.meta.index:
        parent = framework.parent(code)
        if parent is not None:
            siblings = framework.children(parent)
            total = float(weights[list(siblings)].sum())
            share[code] = float(weights[code]) / total if total else float("nan")
    values = result.aggregated
    rows: list[dict[str, object]] = []
    for code in framework.codes_at(level):
        ancestor = framework.ancestor(code, parent_level)
        nominal, current = 1.0, code
        while current != ancestor:
            nominal *= share[current]
            current = str(framework.parent(current))
        r, _ = _pairwise_pearson(_values(values[[code]]), _values(values[[ancestor]]))
        rows.append(
            {"code": code, "parent": ancestor, "nominal": nominal, "correlation": float(r[0, 0])}
        )
    table = pd.DataFrame(rows).set_index("code")
    table["main_effect"] = table["correlation"] ** 2
    totals = table.groupby("parent")["main_effect"].transform("sum")
    table["effective"] = table["main_effect"] / totals
    table["ratio"] = table["effective"] / table["nominal"]
    return table


def _descendants(framework: Framework, code: str) -> list[str]:
    level = framework.level_of(code)
    return [c for c in framework.indicators if framework.ancestor(c, level) == code]


@dataclass(frozen=True)
class AuditResult:
    """Every audit table of one build (JRC practice), ready to write as CSV/XLSX sheets."""

    indicator_stats: pd.DataFrame  # COINr get_stats on the raw indicators
    coverage: Coverage  # of the raw data
    skew_kurt: pd.DataFrame  # before (screened) and after treatment
    indicator_correlations: pd.DataFrame  # normalised indicators, every pair, unmasked
    parent_correlations: pd.DataFrame  # each code with its parent, level by level, JRC flags
    consistency: pd.DataFrame  # per aggregate: Cronbach's alpha and PC1 share of its indicators
    effective_weights: pd.DataFrame  # each code within its parent, and indicators in dimensions

    def tables(self) -> dict[str, pd.DataFrame]:
        """Named tables (sheet-safe names) in reading order."""
        return {
            "indicator_stats": self.indicator_stats.reset_index(),
            "coverage_indicators": self.coverage.indicators.rename_axis("code").reset_index(),
            "coverage_units": self.coverage.units.rename_axis("unit").reset_index(),
            "skew_kurt": self.skew_kurt.rename_axis("code").reset_index(),
            "indicator_correlations": self.indicator_correlations.rename_axis("code").reset_index(),
            "parent_correlations": self.parent_correlations,
            "consistency": self.consistency,
            "effective_weights": self.effective_weights,
        }


def audit(result: IndexResult, pval: float = 0.05) -> AuditResult:
    """The statistical audit of a build: data, distributions, correlations, consistency, weights.

    Every table covers the units the build ranks (after the screen), as the index does.

    ``pval`` masks the child-parent correlations whose p-value exceeds it (0 keeps all).
    """
    framework = result.framework
    datasets = result.datasets
    indicators = list(framework.indicators)
    # The units the index ranks: a unit the screen removed counts in no statistic.
    raw = datasets["raw"].loc[result.aggregated.index, indicators]
    normalised = datasets["normalised"][indicators]
    aggregated = result.aggregated

    parents = {
        code: str(framework.parent(code))
        for level in range(1, framework.n_levels)
        for code in framework.codes_at(level)
    }
    parent_corr = parent_correlations(aggregated, parents, pval=pval)
    parent_corr.insert(0, "level", [framework.level_of(c) for c in parent_corr["code"]])

    consistency_rows: list[dict[str, object]] = []
    for level in range(2, framework.n_levels + 1):
        for code in framework.codes_at(level):
            members = _descendants(framework, code)
            alpha = cronbach_alpha(normalised[members])
            consistency_rows.append(
                {
                    "code": code,
                    "level": level,
                    "n_indicators": len(members),
                    "cronbach_alpha": alpha,
                    "alpha_ok": bool(alpha >= ALPHA_MIN),
                    "pc1_share": pca_first_share(normalised[members]),
                }
            )

    weight_tables = [
        effective_weights(result, level).assign(level=level, parent_level=level + 1)
        for level in range(1, framework.n_levels)
    ]
    if framework.n_levels > 3:  # indicators within the dimensions, as the JRC reports them
        dim = framework.n_levels - 1
        weight_tables.append(effective_weights(result, 1, dim).assign(level=1, parent_level=dim))
    weights = pd.concat(weight_tables).rename_axis("code").reset_index()

    return AuditResult(
        indicator_stats=indicator_stats(raw),
        coverage=coverage(raw),
        skew_kurt=skew_kurt_table(
            datasets["screened"][indicators], datasets["treated"][indicators]
        ),
        indicator_correlations=correlations(normalised, normalised, pval=0),
        parent_correlations=parent_corr,
        consistency=pd.DataFrame(consistency_rows),
        effective_weights=weights[
            [
                "code",
                "level",
                "parent",
                "parent_level",
                "nominal",
                "correlation",
                "main_effect",
                "effective",
                "ratio",
            ]
        ],
    )
