"""Findings computed from the numbers: gaps and strengths against peers, movers, stages, data."""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from reportgen import formatting
from reportgen.analysis.peers import (
    BUILTIN_GROUPS,
    PeerGroup,
    PeerMedian,
    cell,
    flag,
    indicator_points,
    peer_median,
    resolve_group,
)
from reportgen.analysis.stages import UNASSIGNED, next_stage_levers

DIMENSIONS = ("TDP", "ECC")

log = logging.getLogger(__name__)

Kind = Literal["gap", "strength", "mover", "stage", "data"]
SubjectKind = Literal["indicator", "pillar", "dimension", "overall", "stage"]
Scale = Literal["ratio", "points"]
Publication = Literal["brief", "executive_summary", "spotlight"]
KINDS: tuple[Kind, ...] = ("stage", "gap", "strength", "mover", "data")

DIMENSION_NAMES: dict[str, str] = {
    "TDP": "Technology Development Potential",
    "ECC": "Ecosystem Co-Benefit Capacity",
    "Overall": "the overall index",
}

# ---------------------------------------------------------------------------------------------
# Sentence templates: the only place where findings are worded. Placeholders are filled with
# names and with Evidence.text, so every number a sentence prints is an evidence record's.

TEMPLATES: dict[str, str] = {
    "ratio": "{label} in {city} is {ratio} the median of {group} peers: {value} vs {peer}{year}.",
    "ratio_lower_better": (
        "{label} in {city} is {ratio} the median of {group} peers, where lower is better: "
        "{value} vs {peer}{year}."
    ),
    "ratio_censored": (
        "{label} in {city} is at most {ratio} the median of {group} peers: not listed, so below "
        "the published list's lowest value of {value}, vs {peer}{year}."
    ),
    "ratio_censored_per_capita": (
        "{label} in {city} is at most {ratio} the median of {group} peers: at most {value} vs "
        "{peer}{year}, as {city} is not in the published list, whose lowest value is {bound}."
    ),
    "ratio_censored_lower_better": (
        "{label} in {city} is at least {ratio} the median of {group} peers, where lower is better: "
        "not listed, so above the published list's last value of {value}, vs {peer}{year}."
    ),
    "ratio_censored_per_capita_lower_better": (
        "{label} in {city} is at least {ratio} the median of {group} peers, where lower is better: "
        "at least {value} vs {peer}{year}, as {city} is not in the published list, whose last "
        "value is {bound}."
    ),
    "rank": "{city} ranks {value} in {label} against a median of {peer} among {group} peers{year}.",
    "rank_censored": (
        "{city} ranks below {value} in {label}, outside the published list, against a median of "
        "{peer} among {group} peers{year}."
    ),
    "points": (
        "{label} in {city} is {value} against a median of {peer} among {group} peers{year}, "
        "{difference} normalised points {side}."
    ),
    "points_censored": (
        "{label} in {city} is at best {value}, as {city} is not in the published list, against a "
        "median of {peer} among {group} peers{year}, at least {difference} normalised points worse."
    ),
    "score": (
        "{city} scores {value} on {label} against a median of {peer} among {group} peers, "
        "{difference} points {side}."
    ),
    "mover_rank": ("{city} {verb} from {previous} to {current} in {label}{scores}, {reason}."),
    "mover_scores": " (score {previous_score} to {score})",
    "mover_score": "{city}'s score in {label} {verb} from {previous_score} to {score}, "
    "{score_change} points; its rank is {current}.",
    "mover_reason_interval": "beyond this edition's 5-95% rank range of {low} to {high}",
    "mover_reason_places": "a move of {places}",
    "stage": "{city} is in the {stage} stage: TDP {tdp} against a threshold of {tdp_threshold}, "
    "ECC {ecc} against a threshold of {ecc_threshold}.",
    "stage_target": " Reaching the {target} stage takes {needs}",
    "stage_need": "{need} more {dimension} points",
    "stage_lever": (
        "; the largest lever is the {pillar} pillar, {score} against a {target} median "
        "of {peer}, worth {gain} {dimension} points{chiefly}"
    ),
    "stage_lever_indicators": " (chiefly {names})",
    "stage_probability": " The uncertainty analysis places it in this stage in {probability} of "
    "replications.",
    "data": "Of {city}'s {total} indicator values, {parts}.",
    "data_imputed": "{count} {verb} imputed by the index ({names})",
    "data_bounded": "{count} {verb} only known to lie below a list's last value ({names})",
    "data_old": "{count} {verb} more than {age} old ({names})",
}

CAVEATS: dict[str, str] = {
    "imputed": "{city}'s value is imputed by the index, not observed.",
    "censored": "{city} is not in the source's published list; the list's lowest value is used as "
    "its best case.",
    "old": "{city}'s value dates from {year}, more than {age} years before {reference}.",
    "peer_censored": (
        "{k} of {n} peers {verb} not in the published list; the peer median is taken at the "
        "bound least favourable to this finding."
    ),
    "peer_years": "Peer values date from {first} to {last}.",
    "score_scale": (
        "Scores are rescaled in each edition; a score change partly reflects other cities."
    ),
    "weights": "Gains assume a weighted arithmetic mean of pillars.",
}


# ---------------------------------------------------------------------------------------------
# number formatting: one function


_MINUS = "\u2212"
_SCALE_WORDS: dict[str, float] = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "billion": 1e9,
    "tn": 1e12,
    "trillion": 1e12,
}
_CURRENCY = re.compile(
    r"^(?P<cur>USD|US\$|EUR|GBP|CNY|RMB|HKD|JPY|SGD)\s*"
    r"(?:(?P<scale>bn|billion|mn|m|million|k|thousand|tn|trillion)\b)?\s*(?P<rest>.*)$"
)
_DROPPED_REST = ("per capita", "per person", "per million people")


def _display_unit(unit: str) -> str:
    return re.sub(r"\s*\([^)]*\)", "", unit or "").strip()


def _number(value: float, significant: int = 3) -> str:
    # One number format for the whole product: sentences print what tables print.
    return formatting.number(value, significant)


def _ordinal(value: float) -> str:
    if value != round(value):
        return f"{_number(value)}th"
    n = round(value)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def format_value(value: float | None, unit: str) -> str:
    """A value as a reader expects it: 'USD 1.2 bn', '31%', '26th', '0.22x', '4,160'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    x = float(value)
    u = _display_unit(unit)
    low = u.lower()
    if low.startswith("rank"):
        return _ordinal(x)
    if low in ("x", "ratio to peer median"):
        return f"{_number(x, 2)}x"
    if low == "share":
        return f"{_number(100 * x, 2)}%"
    if low.startswith("%"):
        return f"{_number(x)}%"
    if low in ("score", "points"):
        return f"{x:.1f}".replace("-", _MINUS)
    if low in ("places", "years"):
        word = low if abs(x) != 1 else low[:-1]
        return f"{_number(x)} {word}"
    match = _CURRENCY.match(u)
    if match:
        currency = "USD" if match["cur"] == "US$" else match["cur"]
        scale = f" {match['scale']}" if match["scale"] else ""
        rest = match["rest"].strip()
        if rest.startswith("PPP"):
            scale += " (PPP)"
            rest = rest[3:].strip()
        if rest in _DROPPED_REST:
            rest = ""
        return f"{currency} {_number(x)}{scale}{' ' + rest if rest else ''}"
    if not u or low.startswith(("count", "index", "ratio", "per million")):
        return _number(x)
    return f"{_number(x)} {u}"


def per_capita_unit(unit: str) -> tuple[float, str, str]:
    """(factor, unit, label suffix) to express an indicator per inhabitant.

    Money becomes '<currency> per capita' (a 'USD bn' value is multiplied by 1e9 before dividing
    by population); other amounts become 'per million people'.
    """
    match = _CURRENCY.match(_display_unit(unit))
    if match:
        currency = "USD" if match["cur"] == "US$" else match["cur"]
        factor = _SCALE_WORDS.get(match["scale"] or "", 1.0)
        return factor, f"{currency} per capita", "per capita"
    return 1e6, "per million people", "per million people"


# ---------------------------------------------------------------------------------------------
# records


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    """One number a finding rests on, with its unit, year and source."""

    role: str
    label: str
    value: float | None
    unit: str
    year: int | None = None
    source_url: str | None = None
    is_imputed: bool = False
    is_bounded: bool = False
    note: str = ""

    @field_validator("value", mode="before")
    @classmethod
    def _nan_is_none(cls, value: Any) -> Any:
        # Missing stays missing, and JSON exports stay valid (no NaN tokens).
        if isinstance(value, float | np.floating) and math.isnan(value):
            return None
        return value

    @computed_field  # type: ignore[prop-decorator]
    @property
    def text(self) -> str:
        return format_value(self.value, self.unit)


class Comparison(_Frozen):
    group_id: str
    name: str
    members: tuple[str, ...]


class Finding(_Frozen):
    """A statement about one city, the numbers that back it and a sentence rendered from them."""

    kind: Kind
    city_id: str
    subject: str
    subject_kind: SubjectKind
    subject_name: str
    magnitude: float
    comparison: Comparison | None = None
    evidence: tuple[Evidence, ...] = ()
    sentence: str
    caveats: tuple[str, ...] = ()
    pillar: str | None = Field(default=None, description="the subject's pillar, for variety caps")
    in_index: bool = Field(default=True, description="False for context indicators")

    def evidence_for(self, role: str) -> Evidence | None:
        return next((e for e in self.evidence if e.role == role), None)


# ---------------------------------------------------------------------------------------------
# edition-file section


class NamedGroupSpec(_Frozen):
    name: str
    members: tuple[str, ...]


class PublicationRule(_Frozen):
    """How one publication picks findings: by magnitude, `lead` kinds first, with caps."""

    n: int = Field(default=5, ge=0)
    kinds: tuple[Kind, ...] = KINDS
    lead: tuple[Kind, ...] = ()
    max_per_kind: dict[Kind, int] = Field(default_factory=dict)
    max_per_city: int | None = Field(default=None, ge=1)
    max_per_pillar: int | None = Field(
        default=None, ge=1, description="gaps (and strengths) per pillar, for variety"
    )
    index_only: bool = Field(default=False, description="leave out context indicators")
    peer_groups: tuple[str, ...] = Field(
        default=(), description="groups whose gaps and strengths qualify; empty for any"
    )


DEFAULT_PUBLICATIONS: dict[str, PublicationRule] = {
    "brief": PublicationRule(
        n=7,
        kinds=("stage", "gap", "strength", "mover", "data"),
        lead=("stage",),
        max_per_kind={"gap": 3, "strength": 3, "mover": 1, "data": 1},
        max_per_pillar=1,
        peer_groups=("same_stage",),
    ),
    "executive_summary": PublicationRule(
        n=8,
        kinds=("gap", "strength", "mover"),
        max_per_city=1,
        index_only=True,
        peer_groups=("same_stage",),
    ),
    "spotlight": PublicationRule(
        n=6,
        kinds=("stage", "gap", "strength", "mover", "data"),
        lead=("stage",),
        max_per_kind={"data": 1},
        max_per_pillar=1,
    ),
}


class PublicationsSpec(_Frozen):
    brief: PublicationRule = DEFAULT_PUBLICATIONS["brief"]
    executive_summary: PublicationRule = DEFAULT_PUBLICATIONS["executive_summary"]
    spotlight: PublicationRule = DEFAULT_PUBLICATIONS["spotlight"]

    @field_validator("brief", "executive_summary", "spotlight", mode="before")
    @classmethod
    def _over_default(cls, value: Any, info: Any) -> Any:
        # A partial rule in the edition file changes only the keys it names.
        if isinstance(value, Mapping):
            return {**DEFAULT_PUBLICATIONS[info.field_name].model_dump(), **value}
        return value

    def rule(self, publication: str) -> PublicationRule:
        if publication not in type(self).model_fields:
            raise ValueError(
                f"unknown publication {publication!r}; "
                f"expected one of {', '.join(type(self).model_fields)}"
            )
        rule: PublicationRule = getattr(self, publication)
        return rule


class FindingsSpec(_Frozen):
    """The findings section of the edition file (`findings:`): peers, thresholds, selection."""

    peer_groups: tuple[str, ...] = ("same_stage", "top_n")
    top_n: int = Field(default=10, ge=1)
    named: dict[str, NamedGroupSpec | tuple[str, ...]] = Field(default_factory=dict)
    min_peers: int = Field(default=3, ge=1)
    include_imputed_peers: bool = False
    subjects: tuple[Literal["indicator", "pillar", "dimension"], ...] = ("indicator", "pillar")
    scales: dict[str, Scale] = Field(
        default_factory=dict, description="per indicator; default from its unit and sign"
    )
    gap_ratio: float = Field(default=0.5, gt=0, lt=1)
    strength_ratio: float = Field(default=2.0, gt=1)
    gap_points: float = Field(default=15.0, gt=0)
    strength_points: float = Field(default=15.0, gt=0)
    per_capita: bool = True
    max_data_age: int = Field(default=5, ge=0)
    mover_subjects: tuple[Literal["overall", "dimension", "pillar"], ...] = (
        "overall",
        "dimension",
        "pillar",
    )
    mover_min_rank_change: int = Field(default=3, ge=1)
    mover_min_score_change: float = Field(default=5.0, gt=0)
    publications: PublicationsSpec = PublicationsSpec()

    @model_validator(mode="after")
    def _groups_known(self) -> FindingsSpec:
        clash = sorted(set(self.named) & set(BUILTIN_GROUPS))
        if clash:
            raise ValueError(f"named peer groups reuse built-in names: {', '.join(clash)}")
        known = set(BUILTIN_GROUPS) | set(self.named)
        unknown = [g for g in self.peer_groups if g not in known]
        if unknown:
            raise ValueError(
                f"unknown peer groups {', '.join(unknown)}; "
                f"expected one of {', '.join(sorted(known))}"
            )
        for publication in type(self.publications).model_fields:
            strange = [g for g in self.publications.rule(publication).peer_groups if g not in known]
            if strange:
                raise ValueError(
                    f"publication '{publication}' reads unknown peer groups {', '.join(strange)}"
                )
        return self

    def computed_groups(self) -> tuple[str, ...]:
        """`peer_groups`, then any group a publication reads that they leave out."""
        groups = list(self.peer_groups)
        for publication in type(self.publications).model_fields:
            groups += [
                g for g in self.publications.rule(publication).peer_groups if g not in groups
            ]
        return tuple(groups)

    def named_groups(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        out: dict[str, tuple[str, tuple[str, ...]]] = {}
        for group_id, group in self.named.items():
            if isinstance(group, NamedGroupSpec):
                out[group_id] = (group.name, group.members)
            else:
                out[group_id] = (group_id.replace("_", " ").capitalize(), tuple(group))
        return out


def check_findings(
    spec: FindingsSpec, city_ids: Iterable[str], indicator_ids: Iterable[str] | None = None
) -> list[str]:
    """Problems of the findings section given the data's cities and indicators (for `validate`)."""
    known = set(city_ids)
    problems: list[str] = []
    if indicator_ids is not None:
        unknown_scales = sorted(set(spec.scales) - set(indicator_ids))
        if unknown_scales:
            problems.append(
                f"findings.scales names unknown indicators: {', '.join(unknown_scales)}"
            )
    for group_id, (_, members) in spec.named_groups().items():
        unknown = [m for m in members if m not in known]
        if unknown:
            problems.append(
                f"named peer group '{group_id}' lists unknown cities: {', '.join(unknown)}"
            )
        if len(set(members) & known) < spec.min_peers:
            problems.append(
                f"named peer group '{group_id}' has fewer than "
                f"min_peers={spec.min_peers} known cities"
            )
    return problems


# ---------------------------------------------------------------------------------------------
# inputs


@dataclass(frozen=True, kw_only=True, eq=False)
class FindingInputs:
    """Everything findings read: engine output, the raw panel it used, and metadata.

    `values`, `years`, `sources`, `imputed` and `bounded` are city_id x indicator_id. `bounded`
    holds, for a city absent from a top-N list, the list's last value (the city is no better);
    NaN elsewhere. `rank_low`/`rank_high` are city_id x code (Overall, TDP, ECC, pillars).
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
    previous_scores: pd.DataFrame | None = None
    previous_ranks: pd.DataFrame | None = None
    rank_low: pd.DataFrame | None = None
    rank_high: pd.DataFrame | None = None
    stage_probabilities: pd.DataFrame | None = None
    pillar_weights: pd.Series | None = None
    year: int | None = None
    dimension_names: Mapping[str, str] = field(default_factory=lambda: dict(DIMENSION_NAMES))

    def with_value(
        self,
        city_id: str,
        indicator_id: str,
        value: float,
        *,
        year: int | None = None,
        source_url: str | None = None,
    ) -> FindingInputs:
        """A copy in which one cell is an observed value (not imputed, not censored)."""
        values = self.values.copy()
        values.loc[city_id, indicator_id] = value
        changes: dict[str, Any] = {"values": values}
        if self.imputed is not None:
            imputed = self.imputed.copy()
            imputed.loc[city_id, indicator_id] = False
            changes["imputed"] = imputed
        if self.bounded is not None:
            bounded = self.bounded.copy()
            bounded.loc[city_id, indicator_id] = np.nan
            changes["bounded"] = bounded
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
class _Panel:
    """The indicator panel as findings compare it: converted, best case, scored cities only."""

    cities: list[str]
    position: dict[str, int]
    best: pd.DataFrame
    censored: pd.DataFrame
    imputed: pd.DataFrame
    bound_raw: pd.DataFrame
    years: pd.DataFrame
    sources: pd.DataFrame
    labels: dict[str, str]
    units: dict[str, str]
    raw_units: dict[str, str]
    per_capita: dict[str, bool]
    factors: dict[str, float]
    directions: dict[str, float]
    scales: dict[str, Scale]
    ranges: dict[str, tuple[float, float]]
    reference_year: int | None
    pillars: dict[str, str]
    in_index: dict[str, bool]
    column: dict[str, int]
    arrays: dict[str, npt.NDArray[Any]]
    score_column: dict[str, int]


def _infer_scale(unit: str) -> Scale:
    low = _display_unit(unit).lower()
    if low.startswith(("rank", "index", "%")) or "growth" in low or "score" in low:
        return "points"
    return "ratio"


def _text(value: Any, default: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return default
    return str(value)


def _prepare(inputs: FindingInputs, spec: FindingsSpec) -> _Panel:
    cities = [str(c) for c in inputs.scores.index]
    ids = [str(i) for i in inputs.indicators.index if i in inputs.values.columns]
    values = inputs.values.reindex(index=cities, columns=ids).astype(float)

    def frame(source: pd.DataFrame | None, fill: Any, dtype: Any) -> pd.DataFrame:
        if source is None:
            return pd.DataFrame(fill, index=cities, columns=ids).astype(dtype)
        return source.reindex(index=cities, columns=ids).fillna(fill).astype(dtype)

    bounded = (
        inputs.bounded.reindex(index=cities, columns=ids).astype(float)
        if inputs.bounded is not None
        else (pd.DataFrame(np.nan, index=cities, columns=ids))
    )
    censored = bounded.notna()
    best = values.where(~censored, bounded)
    imputed = frame(inputs.imputed, False, bool) & ~censored
    years = frame(inputs.years, np.nan, float)
    sources = frame(inputs.sources, "", object)
    population = (
        inputs.cities["population"].reindex(cities).astype(float)
        if "population" in inputs.cities.columns
        else pd.Series(np.nan, index=cities)
    )
    population = population.where(population > 0)
    meta = inputs.indicators
    labels, units, raw_units, per_capita, factors, directions = {}, {}, {}, {}, {}, {}
    scales: dict[str, Scale] = {}
    ranges: dict[str, tuple[float, float]] = {}
    for i in ids:
        row = meta.loc[i]
        label = formatting.abbreviate(_text(row.get("short_name")) or _text(row.get("name"), i), 60)
        raw_unit = _text(row.get("unit"))
        raw_units[i] = raw_unit
        directions[i] = -1.0 if float(row.get("direction", 1) or 1) < 0 else 1.0
        convert = spec.per_capita and _text(row.get("denominator")).lower() == "population"
        per_capita[i] = convert
        if convert:
            factor, unit, suffix = per_capita_unit(raw_unit)
            best[i] = best[i] * factor / population
            label = f"{label} {suffix}"
        else:
            factor, unit = 1.0, raw_unit
        labels[i], units[i], factors[i] = label, unit, factor
        column = best[i]
        scale = spec.scales.get(i) or _infer_scale(raw_unit)
        if scale == "ratio" and (column < 0).any():
            log.debug("indicator %s has negative values: compared in normalised points", i)
            scale = "points"
        scales[i] = scale
        ranges[i] = (float(column.min()), float(column.max()))
    numeric = inputs.scores.select_dtypes("number")
    known_years = years.to_numpy(float)
    reference = inputs.year
    if reference is None and np.isfinite(known_years).any():
        reference = int(np.nanmax(known_years))
    return _Panel(
        cities=cities,
        position={c: k for k, c in enumerate(cities)},
        best=best,
        censored=censored,
        imputed=imputed,
        bound_raw=bounded,
        years=years,
        sources=sources,
        labels=labels,
        units=units,
        raw_units=raw_units,
        per_capita=per_capita,
        factors=factors,
        directions=directions,
        scales=scales,
        ranges=ranges,
        reference_year=reference,
        pillars={i: _text(meta.at[i, "pillar"]) if "pillar" in meta.columns else "" for i in ids},
        in_index={
            i: "role" not in meta.columns or _text(meta.at[i, "role"]) != "context" for i in ids
        },
        column={c: k for k, c in enumerate(ids)},
        # Positional copies: comparisons index them thousands of times, .loc would dominate.
        arrays={
            "best": best.to_numpy(float),
            "censored": censored.to_numpy(bool),
            "imputed": imputed.to_numpy(bool),
            "years": years.to_numpy(float),
            "scores": numeric.to_numpy(float, na_value=np.nan),
        },
        score_column={str(c): k for k, c in enumerate(numeric.columns)},
    )


def _points(panel: _Panel, indicator_id: str, value: float) -> float:
    lo, hi = panel.ranges[indicator_id]
    if not hi > lo:
        return float("nan")
    scaled = (value - lo) / (hi - lo) * 100.0
    return scaled if panel.directions[indicator_id] > 0 else 100.0 - scaled


def _year(value: float) -> int | None:
    return None if math.isnan(value) else int(value)


def _city_name(inputs: FindingInputs, city_id: str) -> str:
    if "name" in inputs.cities.columns and city_id in inputs.cities.index:
        return formatting.abbreviate(_text(inputs.cities.at[city_id, "name"], city_id))
    return city_id


def _code_name(inputs: FindingInputs, code: str) -> str:
    if code in inputs.dimension_names:
        return inputs.dimension_names[code]
    if code in DIMENSION_NAMES:
        return DIMENSION_NAMES[code]
    if code in inputs.pillars.index and "name" in inputs.pillars.columns:
        return _text(inputs.pillars.at[code, "name"], code)
    return code


# ---------------------------------------------------------------------------------------------
# gaps and strengths


@dataclass(frozen=True)
class _Peers:
    members: tuple[str, ...]
    median: PeerMedian
    years: tuple[int, ...]


def _indicator_peers(
    panel: _Panel, indicator_id: str, group: PeerGroup, spec: FindingsSpec
) -> _Peers:
    members = [m for m in group.members if m in panel.position]
    rows = np.array([panel.position[m] for m in members], dtype=int)
    j = panel.column[indicator_id]
    values = panel.arrays["best"][rows, j]
    usable = ~np.isnan(values)
    if not spec.include_imputed_peers:
        usable &= ~panel.arrays["imputed"][rows, j]
    kept = tuple(m for m, ok in zip(members, usable, strict=True) if ok)
    median = peer_median(
        values[usable], panel.arrays["censored"][rows, j][usable], panel.directions[indicator_id]
    )
    peer_years = panel.arrays["years"][rows, j][usable]
    years = tuple(sorted({int(y) for y in peer_years if not math.isnan(y)}))
    return _Peers(kept, median, years)


def peer_median_of(
    inputs: FindingInputs,
    stages: pd.DataFrame,
    spec: FindingsSpec,
    city_id: str,
    indicator_id: str,
    group_id: str = "same_stage",
    *,
    raw: bool = False,
) -> PeerMedian:
    """The peer median a finding on this city and indicator compares with.

    In the units of findings (per capita where the indicator is) or, with `raw`, converted back
    to the city's raw units, ready for `FindingInputs.with_value`.
    """
    panel = _prepare(inputs, spec)
    group = _group(group_id, city_id, inputs, stages, spec)
    if group is None:
        raise ValueError(f"peer group {group_id!r} does not apply to {city_id!r}")
    median = _indicator_peers(panel, indicator_id, group, spec).median
    if raw and panel.per_capita[indicator_id]:
        population = cell(inputs.cities, city_id, "population")
        scale = population / panel.factors[indicator_id]
        median = replace(median, value=median.value * scale, worst=median.worst * scale)
    return median


def _group(
    group_id: str, city_id: str, inputs: FindingInputs, stages: pd.DataFrame, spec: FindingsSpec
) -> PeerGroup | None:
    return resolve_group(
        group_id,
        city_id,
        stages=stages,
        cities=inputs.cities,
        ranks=inputs.ranks,
        top_n=spec.top_n,
        named=spec.named_groups(),
    )


def _compare(
    panel: _Panel, spec: FindingsSpec, indicator_id: str, value: float, peer: float
) -> tuple[Kind, float, tuple[str, float]] | None:
    """(kind, magnitude, (measure name, measure)) of a city's value against a peer median."""
    if not math.isfinite(peer):
        return None
    direction = panel.directions[indicator_id]
    # A zero on a ratio scale has no finite log ratio: that one comparison falls back to points.
    if panel.scales[indicator_id] == "ratio" and value > 0 and peer > 0:
        ratio = value / peer
        verdict = _classify_ratio(ratio, direction, spec)
        measure: tuple[str, float] = ("ratio", ratio)
    else:
        difference = _points(panel, indicator_id, value) - _points(panel, indicator_id, peer)
        if math.isnan(difference):
            return None
        verdict = _classify_points(difference, spec)
        measure = ("difference", abs(difference))
    return None if verdict is None else (verdict[0], verdict[1], measure)


def _classify_ratio(
    ratio: float, direction: float, spec: FindingsSpec
) -> tuple[Kind, float] | None:
    oriented = ratio if direction > 0 else 1.0 / ratio
    if oriented <= spec.gap_ratio:
        return "gap", math.log(oriented) / math.log(spec.gap_ratio)
    if oriented >= spec.strength_ratio:
        return "strength", math.log(oriented) / math.log(spec.strength_ratio)
    return None


def _classify_points(difference: float, spec: FindingsSpec) -> tuple[Kind, float] | None:
    if difference <= -spec.gap_points:
        return "gap", -difference / spec.gap_points
    if difference >= spec.strength_points:
        return "strength", difference / spec.strength_points
    return None


def _indicator_finding(
    inputs: FindingInputs,
    panel: _Panel,
    spec: FindingsSpec,
    city_id: str,
    indicator_id: str,
    group: PeerGroup,
) -> Finding | None:
    value = cell(panel.best, city_id, indicator_id)
    if math.isnan(value):
        return None
    peers = _indicator_peers(panel, indicator_id, group, spec)
    if peers.median.n < spec.min_peers:
        log.info(
            "no %s finding for %s vs %s: %d peers with data, fewer than %d",
            indicator_id,
            city_id,
            group.id,
            peers.median.n,
            spec.min_peers,
        )
        return None
    direction = panel.directions[indicator_id]
    censored = flag(panel.censored, city_id, indicator_id)
    # A gap must hold against the peers' worst-case median, a strength against their best case;
    # a censored city enters at its best case, so it can show a gap but never a strength.
    outcome = _compare(panel, spec, indicator_id, value, peers.median.worst)
    peer = peers.median.worst
    if outcome is None or outcome[0] != "gap":
        outcome = (
            None if censored else _compare(panel, spec, indicator_id, value, peers.median.value)
        )
        peer = peers.median.value
        if outcome is not None and outcome[0] != "strength":
            log.info(
                "gap on %s for %s vs %s rests on censored peers", indicator_id, city_id, group.id
            )
            outcome = None
    if outcome is None:
        return None
    kind, magnitude, measure = outcome

    city = _city_name(inputs, city_id)
    unit, label = panel.units[indicator_id], panel.labels[indicator_id]
    indicator_url = (
        _text(inputs.indicators.at[indicator_id, "source_url"]) or None
        if ("source_url" in inputs.indicators.columns)
        else None
    )
    year = _year(cell(panel.years, city_id, indicator_id))
    source_url = _text(panel.sources.at[city_id, indicator_id]) or None
    if censored:
        # No row for the city: the list it is missing from dates and sources the bound.
        year = year if year is not None else (peers.years[-1] if peers.years else None)
        source_url = source_url or indicator_url
    is_imputed = flag(panel.imputed, city_id, indicator_id)
    evidence = [
        Evidence(
            role="city",
            label=city,
            value=value,
            unit=unit,
            year=year,
            source_url=source_url,
            is_imputed=is_imputed,
            is_bounded=censored,
            note=("not in the published list; best case" if censored else ""),
        ),
        Evidence(
            role="peer_median",
            label=f"Median of {group.name} peers",
            value=peer,
            unit=unit,
            year=peers.years[0] if len(peers.years) == 1 else None,
            source_url=indicator_url,
            is_bounded=not peers.median.exact,
            note="" if peers.median.exact else "bounded by peers outside the published list",
        ),
    ]
    if measure[0] == "ratio":
        evidence.append(
            Evidence(role="ratio", label="Ratio to peer median", value=measure[1], unit="x")
        )
    else:
        evidence.append(
            Evidence(
                role="difference",
                label="Difference in normalised points",
                value=measure[1],
                unit="points",
            )
        )
    if censored and panel.per_capita[indicator_id]:
        evidence.append(
            Evidence(
                role="bound",
                label="Lowest value in the published list",
                value=cell(panel.bound_raw, city_id, indicator_id),
                unit=panel.raw_units[indicator_id],
                year=year,
                source_url=source_url,
                is_bounded=True,
            )
        )
    texts = {e.role: e.text for e in evidence}
    fill = {
        "label": label,
        "city": city,
        "group": group.name,
        "value": texts["city"],
        "peer": texts["peer_median"],
        "year": f" ({year})" if year is not None else "",
        "ratio": texts.get("ratio", ""),
        "difference": texts.get("difference", ""),
        "bound": texts.get("bound", texts["city"]),
        "side": "worse" if kind == "gap" else "better",
    }
    rank_like = _display_unit(panel.raw_units[indicator_id]).lower().startswith("rank")
    if measure[0] == "ratio":
        template = "ratio_censored" if censored else "ratio"
        if censored and panel.per_capita[indicator_id]:
            template += "_per_capita"
        if direction < 0:
            template += "_lower_better"
    elif rank_like:
        template = "rank_censored" if censored else "rank"
    else:
        template = "points_censored" if censored else "points"
    sentence = _capitalise(TEMPLATES[template].format(**fill))

    caveats = []
    if is_imputed:
        caveats.append(CAVEATS["imputed"].format(city=city))
    if censored:
        caveats.append(CAVEATS["censored"].format(city=city))
    if (
        year is not None
        and panel.reference_year is not None
        and (panel.reference_year - year > spec.max_data_age)
    ):
        caveats.append(
            CAVEATS["old"].format(
                city=city, year=year, age=spec.max_data_age, reference=panel.reference_year
            )
        )
    if peers.median.n_censored:
        caveats.append(
            CAVEATS["peer_censored"].format(
                k=peers.median.n_censored,
                n=peers.median.n,
                verb="is" if peers.median.n_censored == 1 else "are",
            )
        )
    if len(peers.years) > 1:
        caveats.append(CAVEATS["peer_years"].format(first=peers.years[0], last=peers.years[-1]))
    return Finding(
        kind=kind,
        city_id=city_id,
        subject=indicator_id,
        subject_kind="indicator",
        subject_name=label,
        magnitude=magnitude,
        comparison=Comparison(group_id=group.id, name=group.name, members=peers.members),
        evidence=tuple(evidence),
        sentence=sentence,
        caveats=tuple(caveats),
        pillar=panel.pillars[indicator_id] or None,
        in_index=panel.in_index[indicator_id],
    )


def _score_finding(
    inputs: FindingInputs,
    panel: _Panel,
    spec: FindingsSpec,
    city_id: str,
    code: str,
    subject_kind: SubjectKind,
    group: PeerGroup,
) -> Finding | None:
    scores = panel.arrays["scores"][:, panel.score_column[code]]
    value = float(scores[panel.position[city_id]])
    if math.isnan(value):
        return None
    members = [m for m in group.members if m in panel.position]
    peer_values = scores[[panel.position[m] for m in members]]
    kept = tuple(m for m, v in zip(members, peer_values, strict=True) if not math.isnan(v))
    if len(kept) < spec.min_peers:
        log.info("no %s finding for %s vs %s: %d peers", code, city_id, group.id, len(kept))
        return None
    peer = float(np.median(peer_values[~np.isnan(peer_values)]))
    verdict = _classify_points(value - peer, spec)
    if verdict is None:
        return None
    kind, magnitude = verdict
    city = _city_name(inputs, city_id)
    label = _code_name(inputs, code)
    evidence = (
        Evidence(role="city", label=city, value=value, unit="score"),
        Evidence(
            role="peer_median", label=f"Median of {group.name} peers", value=peer, unit="score"
        ),
        Evidence(
            role="difference", label="Difference in points", value=abs(value - peer), unit="points"
        ),
    )
    fill = {
        "city": city,
        "label": f"the {label} pillar" if subject_kind == "pillar" else label,
        "value": evidence[0].text,
        "peer": evidence[1].text,
        "group": group.name,
        "difference": evidence[2].text,
        "side": "lower" if kind == "gap" else "higher",
    }
    return Finding(
        kind=kind,
        city_id=city_id,
        subject=code,
        subject_kind=subject_kind,
        subject_name=label,
        magnitude=magnitude,
        pillar=code if subject_kind == "pillar" else None,
        comparison=Comparison(group_id=group.id, name=group.name, members=kept),
        evidence=evidence,
        sentence=_capitalise(TEMPLATES["score"].format(**fill)),
    )


def _capitalise(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


# ---------------------------------------------------------------------------------------------
# stage, mover and data findings


def _stage_finding(
    inputs: FindingInputs,
    panel: _Panel,
    stages: pd.DataFrame,
    levers: pd.DataFrame,
    city_id: str,
) -> Finding | None:
    row: dict[Hashable, Any] = stages.loc[city_id].to_dict()
    if row["stage_id"] == UNASSIGNED:
        return None
    city = _city_name(inputs, city_id)
    evidence = [
        Evidence(role="tdp", label="TDP", value=float(row["TDP"]), unit="score"),
        Evidence(
            role="tdp_threshold",
            label="TDP threshold",
            value=float(row["tdp_threshold"]),
            unit="score",
        ),
        Evidence(role="ecc", label="ECC", value=float(row["ECC"]), unit="score"),
        Evidence(
            role="ecc_threshold",
            label="ECC threshold",
            value=float(row["ecc_threshold"]),
            unit="score",
        ),
    ]
    text = {e.role: e.text for e in evidence}
    sentence = TEMPLATES["stage"].format(
        city=city,
        stage=row["stage_name"],
        tdp=text["tdp"],
        tdp_threshold=text["tdp_threshold"],
        ecc=text["ecc"],
        ecc_threshold=text["ecc_threshold"],
    )
    target = row["target_stage_id"]
    comparison = None
    caveats: list[str] = []
    magnitude = 0.0
    if isinstance(target, str) and target:
        target_name = str(row["target_stage_name"])
        own = levers[levers["city_id"] == city_id] if not levers.empty else levers
        needs: list[str] = []
        for dim in DIMENSIONS:
            need = float(row[f"{dim.lower()}_shortfall"])
            if not (need > 0 and math.isfinite(need)):
                continue
            magnitude += need
            record = Evidence(
                role=f"shortfall_{dim}",
                label=f"{dim} points to {target_name}",
                value=need,
                unit="score",
            )
            evidence.append(record)
            needs.append(TEMPLATES["stage_need"].format(need=record.text, dimension=dim))
        if needs:
            sentence += TEMPLATES["stage_target"].format(
                target=target_name, needs=" and ".join(needs)
            )
        if needs and not own.empty:
            top = own.iloc[0]
            lever = [
                Evidence(
                    role="lever_score",
                    label=f"{_code_name(inputs, top['pillar'])} score",
                    value=float(top["pillar_score"]),
                    unit="score",
                ),
                Evidence(
                    role="lever_peer",
                    label=f"Median of {target_name} members",
                    value=float(top["peer_median"]),
                    unit="score",
                ),
                Evidence(
                    role="lever_gain",
                    label=f"{top['dimension']} gain",
                    value=float(top["dimension_gain"]),
                    unit="score",
                ),
            ]
            if float(top["dimension_gain"]) > 0:
                evidence.extend(lever)
                sentence += TEMPLATES["stage_lever"].format(
                    pillar=_code_name(inputs, top["pillar"]),
                    score=lever[0].text,
                    target=target_name,
                    peer=lever[1].text,
                    gain=lever[2].text,
                    dimension=top["dimension"],
                    chiefly=(
                        TEMPLATES["stage_lever_indicators"].format(
                            names=" and ".join(panel.labels[i] for i in top["indicators"][:2])
                        )
                        if top["indicators"]
                        else ""
                    ),
                )
                caveats.append(CAVEATS["weights"])
        if needs:
            sentence += "."
            members = tuple(str(c) for c in stages.index[stages["stage_id"] == target])
            comparison = Comparison(group_id="next_stage", name=target_name, members=members)
    probabilities = inputs.stage_probabilities
    if (
        probabilities is not None
        and city_id in probabilities.index
        and row["stage_id"] in probabilities.columns
    ):
        record = Evidence(
            role="probability",
            label="Share of replications in this stage",
            value=cell(probabilities, city_id, row["stage_id"]),
            unit="share",
        )
        evidence.append(record)
        sentence += TEMPLATES["stage_probability"].format(probability=record.text)
    return Finding(
        kind="stage",
        city_id=city_id,
        subject=str(row["stage_id"]),
        subject_kind="stage",
        subject_name=str(row["stage_name"]),
        magnitude=magnitude,
        comparison=comparison,
        evidence=tuple(evidence),
        sentence=sentence,
        caveats=tuple(caveats),
    )


def _mover_codes(inputs: FindingInputs, spec: FindingsSpec) -> list[tuple[str, SubjectKind]]:
    codes: list[tuple[str, SubjectKind]] = []
    if "overall" in spec.mover_subjects:
        codes.append(("Overall", "overall"))
    if "dimension" in spec.mover_subjects:
        codes.extend((d, "dimension") for d in DIMENSIONS)
    if "pillar" in spec.mover_subjects:
        codes.extend((str(p), "pillar") for p in inputs.pillars.index)
    previous = inputs.previous_ranks
    assert previous is not None
    return [(c, k) for c, k in codes if c in inputs.ranks.columns and c in previous.columns]


def _cell(frame: pd.DataFrame | None, row: str, column: str) -> float:
    if frame is None or row not in frame.index or column not in frame.columns:
        return float("nan")
    return cell(frame, row, column)


def _mover_findings(inputs: FindingInputs, spec: FindingsSpec, city_id: str) -> list[Finding]:
    if inputs.previous_ranks is None:
        return []
    out: list[Finding] = []
    city = _city_name(inputs, city_id)
    for code, subject_kind in _mover_codes(inputs, spec):
        rank = _cell(inputs.ranks, city_id, code)
        previous = _cell(inputs.previous_ranks, city_id, code)
        score = _cell(inputs.scores, city_id, code)
        previous_score = _cell(inputs.previous_scores, city_id, code)
        if math.isnan(rank) or math.isnan(previous):
            continue
        low, high = _cell(inputs.rank_low, city_id, code), _cell(inputs.rank_high, city_id, code)
        places = previous - rank
        score_change = score - previous_score
        has_interval = not (math.isnan(low) or math.isnan(high))
        if has_interval:
            moved_rank = previous < low or previous > high
            moved_score = False
        else:
            moved_rank = abs(places) >= spec.mover_min_rank_change
            moved_score = (
                not math.isnan(score_change) and abs(score_change) >= spec.mover_min_score_change
            )
        if not (moved_rank or moved_score):
            continue
        magnitude = abs(places) / spec.mover_min_rank_change
        if not math.isnan(score_change):
            magnitude = max(magnitude, abs(score_change) / spec.mover_min_score_change)
        label = _code_name(inputs, code)
        evidence = [
            Evidence(role="previous_rank", label="Previous rank", value=previous, unit="rank"),
            Evidence(role="rank", label="Rank", value=rank, unit="rank"),
            Evidence(
                role="previous_score", label="Previous score", value=previous_score, unit="score"
            ),
            Evidence(role="score", label="Score", value=score, unit="score"),
        ]
        text = {e.role: e.text for e in evidence}
        caveats = []
        if moved_rank:
            if has_interval:
                interval = [
                    Evidence(role="rank_low", label="Rank interval, best", value=low, unit="rank"),
                    Evidence(
                        role="rank_high", label="Rank interval, worst", value=high, unit="rank"
                    ),
                ]
                evidence.extend(interval)
                reason = TEMPLATES["mover_reason_interval"].format(
                    low=interval[0].text, high=interval[1].text
                )
            else:
                record = Evidence(
                    role="places", label="Places moved", value=abs(places), unit="places"
                )
                evidence.append(record)
                reason = TEMPLATES["mover_reason_places"].format(places=record.text)
            sentence = TEMPLATES["mover_rank"].format(
                city=city,
                verb="rose" if places > 0 else "fell",
                previous=text["previous_rank"],
                current=text["rank"],
                label=label,
                scores=(
                    TEMPLATES["mover_scores"].format(
                        previous_score=text["previous_score"], score=text["score"]
                    )
                    if not math.isnan(score_change)
                    else ""
                ),
                reason=reason,
            )
        else:
            record = Evidence(
                role="score_change", label="Score change", value=abs(score_change), unit="points"
            )
            evidence.append(record)
            caveats.append(CAVEATS["score_scale"])
            sentence = TEMPLATES["mover_score"].format(
                city=city,
                label=label,
                verb="rose" if score_change > 0 else "fell",
                previous_score=text["previous_score"],
                score=text["score"],
                score_change=record.text,
                current=text["rank"],
            )
        out.append(
            Finding(
                kind="mover",
                city_id=city_id,
                subject=code,
                subject_kind=subject_kind,
                subject_name=label,
                magnitude=magnitude,
                pillar=code if subject_kind == "pillar" else None,
                evidence=tuple(evidence),
                sentence=_capitalise(sentence),
                caveats=tuple(caveats),
            )
        )
    return out


def _data_finding(
    inputs: FindingInputs, panel: _Panel, spec: FindingsSpec, city_id: str
) -> Finding | None:
    has = {str(k): bool(v) for k, v in panel.best.loc[city_id].notna().items()}
    total = sum(has.values())
    if total == 0:
        return None
    columns = [str(i) for i in panel.best.columns]
    imputed = [i for i in columns if has[i] and flag(panel.imputed, city_id, i)]
    censored = [i for i in columns if has[i] and flag(panel.censored, city_id, i)]
    old: list[str] = []
    if panel.reference_year is not None:
        for i in columns:
            year = cell(panel.years, city_id, i)
            observed = has[i] and i not in imputed and not math.isnan(year)
            if observed and panel.reference_year - year > spec.max_data_age:
                old.append(i)
    if not (imputed or censored or old):
        return None
    city = _city_name(inputs, city_id)

    def names(ids: Sequence[str]) -> str:
        return ", ".join(panel.labels[i] for i in ids)

    evidence = [Evidence(role="total", label="Indicator values", value=float(total), unit="count")]
    parts: list[str] = []
    records = {
        "imputed": Evidence(
            role="imputed", label="Imputed values", value=float(len(imputed)), unit="count"
        ),
        "censored": Evidence(
            role="censored",
            label="Values below a list's threshold",
            value=float(len(censored)),
            unit="count",
        ),
        "old": Evidence(role="old", label="Old values", value=float(len(old)), unit="count"),
        "age": Evidence(
            role="max_age", label="Maximum data age", value=float(spec.max_data_age), unit="years"
        ),
    }
    clauses = (
        ("data_imputed", imputed, records["imputed"]),
        ("data_bounded", censored, records["censored"]),
        ("data_old", old, records["old"]),
    )
    for template, ids, record in clauses:
        if not ids:
            continue
        evidence.append(record)
        if template == "data_old":
            evidence.append(records["age"])
        parts.append(
            TEMPLATES[template].format(
                count=record.text,
                verb="is" if len(ids) == 1 else "are",
                names=names(ids),
                age=records["age"].text,
            )
        )
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    sentence = TEMPLATES["data"].format(city=city, total=evidence[0].text, parts=joined)
    return Finding(
        kind="data",
        city_id=city_id,
        subject="data",
        subject_kind="overall",
        subject_name="Data coverage",
        magnitude=(len(imputed) + len(censored) + len(old)) / total,
        evidence=tuple(evidence),
        sentence=sentence,
    )


# ---------------------------------------------------------------------------------------------
# public API


def compute_findings(
    inputs: FindingInputs, stages: pd.DataFrame, spec: FindingsSpec
) -> list[Finding]:
    """Every finding the data supports, for every city; `stages` is `assign_stages`' output.

    Pure: the same inputs give the same list in the same order: cities in score order; for each,
    its stage, then gaps and strengths per peer group (indicators, pillars, dimensions), movers
    and the data finding.
    """
    panel = _prepare(inputs, spec)
    levers = next_stage_levers(
        inputs.scores,
        stages,
        inputs.pillars,
        axes=("TDP", "ECC"),
        pillar_weights=inputs.pillar_weights,
        indicator_points=indicator_points(panel.best, panel.directions),
        indicators=inputs.indicators,
    )
    out: list[Finding] = []
    for city_id in panel.cities:
        if city_id in stages.index:
            stage = _stage_finding(inputs, panel, stages, levers, city_id)
            if stage is not None:
                out.append(stage)
        for group_id in spec.computed_groups():
            group = _group(group_id, city_id, inputs, stages, spec)
            if group is None:
                continue
            if "indicator" in spec.subjects:
                for indicator_id in panel.best.columns:
                    finding = _indicator_finding(
                        inputs, panel, spec, city_id, str(indicator_id), group
                    )
                    if finding is not None:
                        out.append(finding)
            codes: list[tuple[str, SubjectKind]] = []
            if "pillar" in spec.subjects:
                codes.extend(
                    (str(p), "pillar") for p in inputs.pillars.index if p in inputs.scores.columns
                )
            if "dimension" in spec.subjects:
                codes.extend((d, "dimension") for d in DIMENSIONS)
            for code, subject_kind in codes:
                finding = _score_finding(inputs, panel, spec, city_id, code, subject_kind, group)
                if finding is not None:
                    out.append(finding)
        out.extend(_mover_findings(inputs, spec, city_id))
        data = _data_finding(inputs, panel, spec, city_id)
        if data is not None:
            out.append(data)
    return out


def filter_findings(
    findings: Iterable[Finding],
    *,
    city_id: str | None = None,
    kind: Kind | None = None,
    subject: str | Iterable[str] | None = None,
    group_id: str | None = None,
) -> list[Finding]:
    """The findings matching every criterion given (e.g. Hong Kong's gaps on VC indicators)."""
    subjects = {subject} if isinstance(subject, str) else None if subject is None else set(subject)
    return [
        f
        for f in findings
        if (city_id is None or f.city_id == city_id)
        and (kind is None or f.kind == kind)
        and (subjects is None or f.subject in subjects)
        and (group_id is None or (f.comparison is not None and f.comparison.group_id == group_id))
    ]


def select(
    findings: Iterable[Finding],
    publication: Publication | str,
    n: int | None = None,
    *,
    spec: FindingsSpec | None = None,
    city_id: str | None = None,
    kinds: Sequence[Kind] | None = None,
) -> list[Finding]:
    """The findings a publication prints: filtered by its rule, one per (city, kind, subject).

    Order: the rule's `lead` kinds first, then magnitude (largest first), then subject id, city
    id, kind and peer group, so ties resolve the same way every run.
    """
    rule = (spec or FindingsSpec()).publications.rule(publication)
    allowed = tuple(kinds) if kinds is not None else rule.kinds
    limit = rule.n if n is None else n
    best: dict[tuple[str, str, str], Finding] = {}
    for finding in findings:
        if finding.kind not in allowed or (city_id is not None and finding.city_id != city_id):
            continue
        if rule.index_only and not finding.in_index:
            continue
        if (
            finding.kind in ("gap", "strength")
            and rule.peer_groups
            and (finding.comparison is None or finding.comparison.group_id not in rule.peer_groups)
        ):
            continue
        key = (finding.city_id, finding.kind, finding.subject)
        held = best.get(key)
        if held is None or _order(finding, rule) < _order(held, rule):
            best[key] = finding
    chosen: list[Finding] = []
    per_kind: dict[str, int] = {}
    per_city: dict[str, int] = {}
    per_pillar: dict[tuple[str, str, str], int] = {}
    for finding in sorted(best.values(), key=lambda f: _order(f, rule)):
        if len(chosen) >= limit:
            break
        cap = rule.max_per_kind.get(finding.kind)
        if cap is not None and per_kind.get(finding.kind, 0) >= cap:
            continue
        if rule.max_per_city is not None and per_city.get(finding.city_id, 0) >= rule.max_per_city:
            continue
        pillar_key = (finding.city_id, finding.kind, finding.pillar or "")
        pillar_capped = finding.kind in ("gap", "strength") and finding.pillar is not None
        if (
            pillar_capped
            and rule.max_per_pillar is not None
            and per_pillar.get(pillar_key, 0) >= rule.max_per_pillar
        ):
            continue
        chosen.append(finding)
        per_kind[finding.kind] = per_kind.get(finding.kind, 0) + 1
        per_city[finding.city_id] = per_city.get(finding.city_id, 0) + 1
        per_pillar[pillar_key] = per_pillar.get(pillar_key, 0) + 1
    return chosen


def _order(finding: Finding, rule: PublicationRule) -> tuple[int, float, str, str, int, str]:
    lead = rule.lead.index(finding.kind) if finding.kind in rule.lead else len(rule.lead)
    group = finding.comparison.group_id if finding.comparison is not None else ""
    return (
        lead,
        -finding.magnitude,
        finding.subject,
        finding.city_id,
        KINDS.index(finding.kind),
        group,
    )


FRAME_COLUMNS: tuple[str, ...] = (
    "city_id",
    "kind",
    "subject",
    "subject_kind",
    "subject_name",
    "magnitude",
    "value",
    "peer_value",
    "unit",
    "year",
    "comparison_id",
    "comparison_name",
    "comparison_members",
    "sentence",
    "caveats",
    "evidence",
)


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """One row per finding, for CSV/JSON export; `evidence` holds the records as JSON."""
    rows = []
    for f in findings:
        city = f.evidence_for("city")
        peer = f.evidence_for("peer_median")
        rows.append(
            {
                "city_id": f.city_id,
                "kind": f.kind,
                "subject": f.subject,
                "subject_kind": f.subject_kind,
                "subject_name": f.subject_name,
                "magnitude": f.magnitude,
                "value": city.value if city else np.nan,
                "peer_value": peer.value if peer else np.nan,
                "unit": city.unit if city else "",
                "year": city.year if city and city.year is not None else pd.NA,
                "comparison_id": f.comparison.group_id if f.comparison else "",
                "comparison_name": f.comparison.name if f.comparison else "",
                "comparison_members": ";".join(f.comparison.members) if f.comparison else "",
                "sentence": f.sentence,
                "caveats": " | ".join(f.caveats),
                "evidence": json.dumps([e.model_dump() for e in f.evidence], ensure_ascii=False),
            }
        )
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    frame["year"] = frame["year"].astype("Int64")
    return frame
