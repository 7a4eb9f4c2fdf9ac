"""What findings read (`FindingInputs`) and the panel as findings compare it, as arrays."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from reportgen import formatting
from reportgen.analysis.findings.spec import FLAGS, FindingsSpec, Flag, Scale
from reportgen.analysis.findings.wording import display_unit, per_capita_unit

if TYPE_CHECKING:
    from reportgen.index.result import IndexResult

log = logging.getLogger("reportgen.analysis.findings")

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class ScoreDraws:
    """Monte Carlo replications of aggregate scores: `draw(code)` is replications x `units`.

    A callable rather than a stored cube, so the caller decides what stays in memory (float32
    draws are fine: findings only compare them with thresholds of 0.1 points and more).
    """

    units: tuple[str, ...]
    codes: tuple[str, ...]
    draw: Callable[[str], npt.NDArray[Any]]
    rank_codes: tuple[str, ...] = ()
    rank_draw: Callable[[str], npt.NDArray[Any]] | None = None

    def frame_order(self, code: str, cities: list[str]) -> FloatArray | None:
        """Draws of `code` with columns in `cities` order (NaN for a city not replicated)."""
        if code not in self.codes:
            return None
        return self._ordered(np.asarray(self.draw(code), dtype=float), cities)

    def rank_order(self, code: str, cities: list[str]) -> FloatArray | None:
        """Replicated ranks of `code` (1 = best), columns in `cities` order."""
        if self.rank_draw is None or code not in self.rank_codes:
            return None
        return self._ordered(np.asarray(self.rank_draw(code), dtype=float), cities)

    def _ordered(self, raw: FloatArray, cities: list[str]) -> FloatArray:
        if len(cities) == len(self.units) and all(
            c == u for c, u in zip(cities, self.units, strict=True)
        ):
            return np.ascontiguousarray(raw)  # already in order: a copy, not a gather
        position = {u: k for k, u in enumerate(self.units)}
        columns = np.array([position.get(c, -1) for c in cities])
        out = raw[:, np.maximum(columns, 0)]
        out[:, columns < 0] = np.nan
        return out


@dataclass(frozen=True, kw_only=True, eq=False)
class FindingInputs:
    """Everything findings read: engine output, the raw panel it used, and metadata.

    `values`, `years`, `sources`, `imputed`, `bounded`, `shared` and `shared_with` are
    city_id x indicator_id. `bounded` holds, for a city absent from a top-N list, the list's
    last value (the city is no better); NaN elsewhere. `shared` is True where the value belongs
    to a unit several cities share (one WIPO cluster), `shared_with` names the others
    (";"-separated city ids). `rank_low`/`rank_high` are city_id x code (the index, its
    dimensions, pillars) at the quantiles `rank_quantiles`. `index`/`previous_index` are the
    engine's results for the two editions (for effective weights and the decomposition of
    movers); `draws` are the Monte Carlo replications of the aggregates (for robustness).
    `index_code` and `axes` name the index and the plane's dimensions (from the edition's
    labels); without them they are read off `scores` and `pillars`.
    """

    scores: pd.DataFrame
    ranks: pd.DataFrame
    values: pd.DataFrame
    indicators: pd.DataFrame
    cities: pd.DataFrame
    pillars: pd.DataFrame
    years: pd.DataFrame | None = None
    sources: pd.DataFrame | None = None
    imputed: pd.DataFrame | None = None
    bounded: pd.DataFrame | None = None
    shared: pd.DataFrame | None = None
    shared_with: pd.DataFrame | None = None
    previous_scores: pd.DataFrame | None = None
    previous_ranks: pd.DataFrame | None = None
    rank_low: pd.DataFrame | None = None
    rank_high: pd.DataFrame | None = None
    rank_quantiles: tuple[float, float] = (0.05, 0.95)
    stage_probabilities: pd.DataFrame | None = None
    pillar_weights: pd.Series | None = None
    index: IndexResult | None = None
    previous_index: IndexResult | None = None
    draws: ScoreDraws | None = None
    imputation: str = "the median of the other cities"
    year: int | None = None
    index_code: str = ""
    axes: tuple[str, ...] = ()
    dimension_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The dimension codes, plane axes first: `axes`, else the pillars' dimensions in order."""
        if self.axes:
            return self.axes
        if "dimension" not in self.pillars.columns:
            return ()
        return tuple(str(d) for d in dict.fromkeys(self.pillars["dimension"]))

    @property
    def top(self) -> str:
        """The index's code: `index_code`, else the score column that is no pillar or dimension."""
        if self.index_code:
            return self.index_code
        below = {str(p) for p in self.pillars.index} | set(self.dimensions)
        rest = [str(c) for c in self.scores.columns if str(c) not in below]
        return rest[0] if rest else ""

    def with_value(
        self,
        city_id: str,
        indicator_id: str,
        value: float,
        *,
        year: int | None = None,
        source_url: str | None = None,
    ) -> FindingInputs:
        """A copy in which one cell is an observed value (not imputed, not censored, own)."""
        values = self.values.copy()
        values.loc[city_id, indicator_id] = value
        changes: dict[str, Any] = {"values": values}
        for name, blank in (("imputed", False), ("bounded", np.nan), ("shared", False)):
            frame = getattr(self, name)
            if frame is not None:
                frame = frame.copy()
                frame.loc[city_id, indicator_id] = blank
                changes[name] = frame
        if year is not None and self.years is not None:
            years = self.years.copy()
            years.loc[city_id, indicator_id] = year
            changes["years"] = years
        if source_url is not None and self.sources is not None:
            sources = self.sources.copy()
            sources.loc[city_id, indicator_id] = source_url
            changes["sources"] = sources
        return replace(self, **changes)


@dataclass(frozen=True)
class Prepared:
    """The indicator panel as findings compare it: converted, best case, scored cities only.

    Arrays are cities x indicators in `cities` and `ids` order.
    """

    cities: list[str]
    ids: list[str]
    position: dict[str, int]
    column: dict[str, int]
    best: FloatArray
    points: FloatArray
    censored: BoolArray
    imputed: BoolArray
    shared: BoolArray
    shared_with: npt.NDArray[np.object_]
    years: FloatArray
    sources: npt.NDArray[np.object_]
    bound_raw: FloatArray
    labels: dict[str, str]
    units: dict[str, str]
    raw_units: dict[str, str]
    per_capita: dict[str, bool]
    factors: dict[str, float]
    directions: FloatArray
    ratio_scale: BoolArray
    perception: BoolArray
    reference_year: int | None
    pillars: dict[str, str]
    in_index: BoolArray
    indicator_urls: dict[str, str | None]
    city_names: dict[str, str]
    score_codes: list[str]
    scores: FloatArray

    def best_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.best, index=self.cities, columns=self.ids)


def text(value: Any, default: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return default
    if value is pd.NA:
        return default
    return str(value)


def infer_scale(unit: str) -> Scale:
    low = display_unit(unit).lower()
    if low.startswith(("rank", "index", "%")) or "growth" in low or "score" in low:
        return "points"
    return "ratio"


def _aligned(
    source: pd.DataFrame | None, cities: list[str], ids: list[str], fill: Any, dtype: Any
) -> npt.NDArray[Any]:
    if source is None:
        return np.full((len(cities), len(ids)), fill, dtype=dtype)
    frame = source.reindex(index=cities, columns=ids)
    if dtype is object:
        return frame.astype(object).where(frame.notna(), fill).to_numpy(dtype=object)
    return frame.astype(float if dtype is float else object).fillna(fill).to_numpy(dtype=dtype)


def min_max_points(values: FloatArray, directions: FloatArray) -> FloatArray:
    """Each column rescaled to 0-100 over the cities with a value, 100 = best (NaN if constant)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.nanmin(np.where(np.isnan(values), np.inf, values), axis=0)
        hi = np.nanmax(np.where(np.isnan(values), -np.inf, values), axis=0)
        span = hi - lo
        ok = np.isfinite(span) & (span > 0)
        scaled = (values - lo) / np.where(ok, span, np.nan) * 100.0
    return np.where(directions > 0, scaled, 100.0 - scaled)


def prepare(inputs: FindingInputs, spec: FindingsSpec) -> Prepared:
    cities = [str(c) for c in inputs.scores.index]
    ids = [str(i) for i in inputs.indicators.index if i in inputs.values.columns]
    values = inputs.values.reindex(index=cities, columns=ids).to_numpy(dtype=float)
    bounded = _aligned(inputs.bounded, cities, ids, np.nan, float)
    censored = ~np.isnan(bounded)
    best = np.where(censored, bounded, values)
    imputed = _aligned(inputs.imputed, cities, ids, False, bool) & ~censored
    shared = _aligned(inputs.shared, cities, ids, False, bool) & ~np.isnan(best)
    shared_with = _aligned(inputs.shared_with, cities, ids, "", object)
    years = _aligned(inputs.years, cities, ids, np.nan, float)
    sources = _aligned(inputs.sources, cities, ids, "", object)
    population = (
        pd.to_numeric(inputs.cities["population"], errors="coerce").reindex(cities)
        if "population" in inputs.cities.columns
        else pd.Series(np.nan, index=cities)
    ).to_numpy(dtype=float)
    population = np.where(population > 0, population, np.nan)
    meta = inputs.indicators.reindex(ids)

    def column(name: str, default: Any) -> list[Any]:
        return list(meta[name]) if name in meta.columns else [default] * len(ids)

    labels, units, raw_units, per_capita, factors = {}, {}, {}, {}, {}
    directions = np.ones(len(ids))
    ratio_scale = np.zeros(len(ids), bool)
    perception = np.array([i in spec.perception_indicators for i in ids], bool)
    short, names = column("short_name", None), column("name", None)
    unit_col, direction_col = column("unit", ""), column("direction", 1)
    denominators = column("denominator", "")
    for j, i in enumerate(ids):
        label = formatting.abbreviate(text(short[j]) or text(names[j], i), 60)
        raw_unit = text(unit_col[j])
        raw_units[i] = raw_unit
        direction = direction_col[j]
        directions[j] = -1.0 if float(direction if direction == direction else 1) < 0 else 1.0
        convert = spec.per_capita and text(denominators[j]).lower() == "population"
        per_capita[i] = convert
        if convert:
            factor, unit, suffix = per_capita_unit(raw_unit)
            best[:, j] = best[:, j] * factor / population
            label = f"{label} {suffix}"
        else:
            factor, unit = 1.0, raw_unit
        labels[i], units[i], factors[i] = label, unit, factor
        scale = spec.scales.get(i) or infer_scale(raw_unit)
        if scale == "ratio" and (best[:, j] < 0).any():
            log.debug("indicator %s has negative values: compared in normalised points", i)
            scale = "points"
        ratio_scale[j] = scale == "ratio"
    reference = inputs.year
    if reference is None and np.isfinite(years).any():
        reference = int(np.nanmax(years))
    numeric = inputs.scores.select_dtypes("number")
    roles = column("role", "index")
    urls = column("source_url", None)
    city_names = {
        c: formatting.abbreviate(text(n, c))
        for c, n in (
            inputs.cities["name"].reindex(cities).items()
            if "name" in inputs.cities.columns
            else ((c, c) for c in cities)
        )
    }
    return Prepared(
        cities=cities,
        ids=ids,
        position={c: k for k, c in enumerate(cities)},
        column={c: k for k, c in enumerate(ids)},
        best=best,
        points=min_max_points(best, directions),
        censored=censored,
        imputed=imputed,
        shared=shared,
        shared_with=shared_with,
        years=years,
        sources=sources,
        bound_raw=bounded,
        labels=labels,
        units=units,
        raw_units=raw_units,
        per_capita=per_capita,
        factors=factors,
        directions=directions,
        ratio_scale=ratio_scale,
        perception=perception,
        reference_year=reference,
        pillars=dict(zip(ids, (text(p) for p in column("pillar", "")), strict=True)),
        in_index=np.array([text(r) != "context" for r in roles], bool),
        indicator_urls={i: text(u) or None for i, u in zip(ids, urls, strict=True)},
        city_names=city_names,
        score_codes=[str(c) for c in numeric.columns],
        scores=numeric.to_numpy(float, na_value=np.nan),
    )


def code_name(inputs: FindingInputs, code: str) -> str:
    if code in inputs.dimension_names:
        return inputs.dimension_names[code]
    if code in inputs.pillars.index and "name" in inputs.pillars.columns:
        return text(inputs.pillars.at[code, "name"], code)
    return code


def old_mask(panel: Prepared, max_age: int) -> BoolArray:
    """Observed values older than `max_age` years before the edition's reference year."""
    if panel.reference_year is None:
        return np.zeros(panel.best.shape, bool)
    with np.errstate(invalid="ignore"):
        return (
            (panel.reference_year - panel.years > max_age) & ~np.isnan(panel.years) & ~panel.imputed
        )


def flag_masks(panel: Prepared, old: BoolArray) -> tuple[tuple[Flag, BoolArray], ...]:
    """Each data-quality flag (in `FLAGS` order) with the city x indicator values it marks:
    the one account of which panel mask a flag reads. `old` is `old_mask`'s output."""
    masks: dict[Flag, BoolArray] = {
        "shared": panel.shared,
        "imputed": panel.imputed,
        "bounded": panel.censored,
        "old": old,
        "perception": np.broadcast_to(panel.perception[np.newaxis, :], panel.best.shape),
    }
    return tuple((flag, masks[flag]) for flag in FLAGS)
