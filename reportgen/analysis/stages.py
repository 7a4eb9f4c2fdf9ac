"""Development stages on the plane of the two dimensions: a typology from the edition file, and the
levers. The edition file names the axes ``tdp`` (horizontal) and ``ecc`` (vertical); callers pass
the score columns they stand for as ``axes``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reportgen.analysis.peers import median_or_nan

# The spec's names of the two axes, horizontal first (its YAML keys).
AXIS_KEYS: tuple[str, str] = ("tdp", "ecc")
Axes = tuple[str, str]
"""The score columns of the horizontal and vertical axis, e.g. the edition's two dimension ids."""
UNASSIGNED = "unassigned"

_RELATIVE = re.compile(r"^(median|mean|p(\d{1,2}(\.\d+)?))$")

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

Band = Literal["high", "low", "any"] | tuple[float | None, float | None]
"""Where a stage sits on one axis: at/above the threshold, below it, anywhere, or [lo, hi)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ThresholdsSpec(_Frozen):
    """The line on each axis: a fixed score or relative to the cities ("median", "mean", "p60")."""

    tdp: float | str = "median"
    ecc: float | str = "median"

    @field_validator("tdp", "ecc")
    @classmethod
    def _known(cls, value: float | str) -> float | str:
        if isinstance(value, str) and not _RELATIVE.match(value):
            raise ValueError(
                f"threshold {value!r} is not a number nor one of 'median', 'mean', "
                "'pNN' (e.g. 'p60')"
            )
        return value

    def of(self, axis: str) -> float | str:
        return self.tdp if axis == AXIS_KEYS[0] else self.ecc


class StageRule(_Frozen):
    """A stage's region: one band per axis."""

    tdp: Band = "any"
    ecc: Band = "any"

    @field_validator("tdp", "ecc")
    @classmethod
    def _ordered(cls, band: Band) -> Band:
        if isinstance(band, tuple):
            lo, hi = band
            if lo is not None and hi is not None and not lo < hi:
                raise ValueError(
                    f"bounds [{lo}, {hi}) are empty: the lower bound must be below the upper"
                )
        return band

    def of(self, axis: str) -> Band:
        return self.tdp if axis == AXIS_KEYS[0] else self.ecc


class StageSpec(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    description: str = ""
    rule: StageRule
    next: tuple[str, ...] = Field(
        default=(), description="stages a city here moves to by improving; empty for the top stage"
    )


DEFAULT_STAGES: tuple[StageSpec, ...] = (
    StageSpec(
        id="balanced_leader",
        name="Balanced leader",
        description=(
            "Technology development potential and ecosystem co-benefit capacity both at or "
            "above the reference level: a city whose technology base is large and whose gains "
            "are widely shared."
        ),
        rule=StageRule(tdp="high", ecc="high"),
    ),
    StageSpec(
        id="growth_driven",
        name="Growth-driven",
        description=(
            "Technology development potential at or above the reference level, co-benefit "
            "capacity below it: technology grows faster than the prosperity, inclusion, "
            "liveability and openness it returns to the city."
        ),
        rule=StageRule(tdp="high", ecc="low"),
        next=("balanced_leader",),
    ),
    StageSpec(
        id="co_benefit_led",
        name="Co-benefit-led",
        description=(
            "Co-benefit capacity at or above the reference level, technology development "
            "potential below it: a liveable, inclusive and open city whose ecosystem can host "
            "more technology than it has."
        ),
        rule=StageRule(tdp="low", ecc="high"),
        next=("balanced_leader",),
    ),
    StageSpec(
        id="emerging",
        name="Emerging",
        description=(
            "Both dimensions below the reference level: a hub still building its technology "
            "base and the ecosystem around it."
        ),
        rule=StageRule(tdp="low", ecc="low"),
        next=("growth_driven", "co_benefit_led"),
    ),
)


class StagesSpec(_Frozen):
    """The stage typology of the edition file (`stages:`); defaults: the four-stage typology."""

    thresholds: ThresholdsSpec = ThresholdsSpec()
    stages: tuple[StageSpec, ...] = DEFAULT_STAGES

    @classmethod
    def default(cls) -> StagesSpec:
        return cls()

    @model_validator(mode="after")
    def _consistent(self) -> StagesSpec:
        if not self.stages:
            raise ValueError("at least one stage is needed")
        ids = [s.id for s in self.stages]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"stage ids must be unique; repeated: {', '.join(duplicates)}")
        if UNASSIGNED in ids:
            raise ValueError(f"'{UNASSIGNED}' is reserved for cities no rule covers")
        for stage in self.stages:
            unknown = [n for n in stage.next if n not in ids]
            if unknown:
                raise ValueError(
                    f"stage '{stage.id}' names unknown next stages: {', '.join(unknown)}"
                )
            if stage.id in stage.next:
                raise ValueError(f"stage '{stage.id}' lists itself as its next stage")
        return self

    def stage(self, stage_id: str) -> StageSpec:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise KeyError(stage_id)

    @property
    def names(self) -> dict[str, str]:
        return {s.id: s.name for s in self.stages}


# ---------------------------------------------------------------------------------------------
# thresholds and rules, vectorised over (replications x cities)


def _relative(values: FloatArray, how: str) -> FloatArray:
    """Relative threshold per row of a 2-D array, ignoring NaN; shape (rows, 1)."""
    out = np.full((values.shape[0], 1), np.nan)
    has = ~np.all(np.isnan(values), axis=1)
    if not has.any():
        return out
    rows = values[has]
    if how == "median":
        out[has, 0] = np.nanmedian(rows, axis=1)
    elif how == "mean":
        out[has, 0] = np.nanmean(rows, axis=1)
    else:
        out[has, 0] = np.nanpercentile(rows, float(how[1:]), axis=1)
    return out


def resolve_threshold(threshold: float | str, values: npt.ArrayLike) -> FloatArray:
    """Threshold per replication for a (replications x cities) array; shape (replications, 1)."""
    arr = np.atleast_2d(np.asarray(values, dtype=float))
    if isinstance(threshold, str):
        return _relative(arr, threshold)
    return np.full((arr.shape[0], 1), float(threshold))


def _band_mask(band: Band, values: FloatArray, threshold: FloatArray) -> BoolArray:
    with np.errstate(invalid="ignore"):
        finite = ~np.isnan(values)
        if band == "any":
            return finite
        if band == "high":
            return finite & (values >= threshold)
        if band == "low":
            return finite & (values < threshold)
        lo, hi = band
        mask = finite
        if lo is not None:
            mask = mask & (values >= lo)
        if hi is not None:
            mask = mask & (values < hi)
        return mask


def _band_floor(band: Band, threshold: float) -> float:
    """Lowest score inside the band (-inf when unbounded below)."""
    if band == "high":
        return threshold
    if isinstance(band, tuple) and band[0] is not None:
        return float(band[0])
    return -np.inf


def _band_ceiling(band: Band, threshold: float) -> float:
    """Score at and above which the band is left (+inf when unbounded above)."""
    if band == "low":
        return threshold
    if isinstance(band, tuple) and band[1] is not None:
        return float(band[1])
    return np.inf


def _matches(
    spec: StagesSpec, tdp: FloatArray, ecc: FloatArray, t_tdp: FloatArray, t_ecc: FloatArray
) -> BoolArray:
    """Stage membership, shape (stages, replications, cities)."""
    return np.stack(
        [
            _band_mask(s.rule.tdp, tdp, t_tdp) & _band_mask(s.rule.ecc, ecc, t_ecc)
            for s in spec.stages
        ]
    )


def _first_match(matches: BoolArray) -> npt.NDArray[np.intp]:
    """Index of the first matching stage (declaration order wins), -1 when none matches."""
    first = np.argmax(matches, axis=0)
    return np.where(matches.any(axis=0), first, -1)


# ---------------------------------------------------------------------------------------------
# public API


def thresholds(scores: pd.DataFrame, spec: StagesSpec, *, axes: Axes) -> dict[str, float]:
    """The threshold on each axis (keyed ``tdp``, ``ecc``) the spec yields on these scores."""
    return {
        key: float(
            resolve_threshold(spec.thresholds.of(key), scores[column].to_numpy(float)[None, :])[
                0, 0
            ]
        )
        for key, column in zip(AXIS_KEYS, axes, strict=True)
    }


def assign_stages(scores: pd.DataFrame, spec: StagesSpec, *, axes: Axes) -> pd.DataFrame:
    """Stage of each city: the first declared stage whose rule the city's two scores satisfy.

    Columns: stage_id, stage_name, the two axes' scores (named as in ``axes``), tdp_threshold,
    ecc_threshold, tdp_distance and ecc_distance (score minus threshold), target_stage_id and
    target_stage_name (the reachable next stage needing the fewest points; empty for the top
    stage), tdp_shortfall and ecc_shortfall (points each axis must gain to enter it; NaN without
    a target) and shortfall (their sum). Cities no rule covers get stage_id 'unassigned';
    `check_stages` reports them.
    """
    tdp = scores[axes[0]].to_numpy(float)
    ecc = scores[axes[1]].to_numpy(float)
    cut = thresholds(scores, spec, axes=axes)
    matches = _matches(
        spec, tdp[None, :], ecc[None, :], np.array([[cut["tdp"]]]), np.array([[cut["ecc"]]])
    )
    first = _first_match(matches)[0]
    ids = [spec.stages[i].id if i >= 0 else UNASSIGNED for i in first]
    names = {**spec.names, UNASSIGNED: "Unassigned"}
    frame = pd.DataFrame(
        {
            "stage_id": ids,
            "stage_name": [names[i] for i in ids],
            axes[0]: tdp,
            axes[1]: ecc,
            "tdp_threshold": cut["tdp"],
            "ecc_threshold": cut["ecc"],
            "tdp_distance": tdp - cut["tdp"],
            "ecc_distance": ecc - cut["ecc"],
        },
        index=scores.index,
    )
    frame.index.name = "city_id"
    targets = [_target(spec, sid, t, e, cut) for sid, t, e in zip(ids, tdp, ecc, strict=True)]
    frame["target_stage_id"] = [t[0] for t in targets]
    frame["target_stage_name"] = [names.get(t[0], "") for t in targets]
    frame["tdp_shortfall"] = [t[1]["tdp"] for t in targets]
    frame["ecc_shortfall"] = [t[1]["ecc"] for t in targets]
    frame["shortfall"] = frame["tdp_shortfall"] + frame["ecc_shortfall"]
    return frame


def shortfalls(
    spec: StagesSpec, stage_id: str, tdp: float, ecc: float, cut: Mapping[str, float]
) -> dict[str, float]:
    """Points each dimension must gain to enter `stage_id` (inf when it would have to fall)."""
    rule = spec.stage(stage_id).rule
    out: dict[str, float] = {}
    for dim, value in zip(AXIS_KEYS, (tdp, ecc), strict=True):
        band = rule.of(dim)
        if np.isnan(value) or value >= _band_ceiling(band, cut[dim]):
            out[dim] = np.inf
        else:
            out[dim] = max(0.0, _band_floor(band, cut[dim]) - value)
    return out


def _target(
    spec: StagesSpec, stage_id: str, tdp: float, ecc: float, cut: Mapping[str, float]
) -> tuple[str, dict[str, float]]:
    none: tuple[str, dict[str, float]] = ("", dict.fromkeys(AXIS_KEYS, np.nan))
    if stage_id == UNASSIGNED:
        return none
    best, best_need = none, np.inf
    for candidate in spec.stage(stage_id).next:
        needs = shortfalls(spec, candidate, tdp, ecc, cut)
        need = sum(needs.values())
        if np.isfinite(need) and need < best_need:
            best, best_need = (candidate, needs), need
    return best


def top_stages(spec: StagesSpec) -> tuple[str, ...]:
    """Stages with no next stage."""
    return tuple(s.id for s in spec.stages if not s.next)


def check_stages(
    spec: StagesSpec, scores: pd.DataFrame, *, axes: Axes, plane: bool = True
) -> list[str]:
    """Problems with the rules on these scores: cities no rule or several rules cover.

    With `plane`, also regions of the 0-100 plane that no rule or several rules cover (probed at
    the thresholds, the explicit bounds and the midpoints between them), even with no city there.
    """
    problems: list[str] = []
    x, y = axes
    tdp = scores[x].to_numpy(float)
    ecc = scores[y].to_numpy(float)
    missing = scores.index[np.isnan(tdp) | np.isnan(ecc)]
    if len(missing):
        problems.append(
            f"cities without both a {x} and a {y} score: {', '.join(map(str, missing))}"
        )
    cut = thresholds(scores, spec, axes=axes)
    city_ids = [str(c) for c in scores.index]
    t_tdp, t_ecc = np.array([[cut["tdp"]]]), np.array([[cut["ecc"]]])
    counts = _matches(spec, tdp[None, :], ecc[None, :], t_tdp, t_ecc)[:, 0, :]
    n = counts.sum(axis=0)
    scored = ~(np.isnan(tdp) | np.isnan(ecc))
    for j in np.flatnonzero(scored & (n == 0)):
        problems.append(
            f"city '{city_ids[j]}' ({x} {tdp[j]:.1f}, {y} {ecc[j]:.1f}) matches no stage rule "
            f"(thresholds {x} {cut['tdp']:.1f}, {y} {cut['ecc']:.1f})"
        )
    for j in np.flatnonzero(n > 1):
        which = [spec.stages[i].id for i in np.flatnonzero(counts[:, j])]
        problems.append(
            f"city '{city_ids[j]}' ({x} {tdp[j]:.1f}, {y} {ecc[j]:.1f}) matches several stage "
            f"rules: {', '.join(which)}; the first declared is used"
        )
    if plane and np.isfinite(cut["tdp"]) and np.isfinite(cut["ecc"]):
        problems.extend(_plane_problems(spec, cut, axes))
    return problems


def _probes(spec: StagesSpec, dim: str, threshold: float) -> FloatArray:
    edges = {0.0, 100.0, threshold}
    for stage in spec.stages:
        band = stage.rule.of(dim)
        if isinstance(band, tuple):
            edges.update(float(b) for b in band if b is not None)
    points = np.array(sorted(edges))
    mids = (points[:-1] + points[1:]) / 2
    return np.unique(np.concatenate([points, mids, [points[0] - 1.0, points[-1] + 1.0]]))


def _plane_problems(spec: StagesSpec, cut: Mapping[str, float], axes: Axes) -> list[str]:
    x, y = axes
    xs, ys = _probes(spec, "tdp", cut["tdp"]), _probes(spec, "ecc", cut["ecc"])
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    inside = (gx >= 0) & (gx <= 100) & (gy >= 0) & (gy <= 100)
    tdp, ecc = gx[inside][None, :], gy[inside][None, :]
    counts = _matches(spec, tdp, ecc, np.array([[cut["tdp"]]]), np.array([[cut["ecc"]]]))[:, 0, :]
    n = counts.sum(axis=0)
    problems: list[str] = []
    holes = np.flatnonzero(n == 0)
    if len(holes):
        j = holes[0]
        problems.append(
            f"no stage rule covers the point {x} {tdp[0, j]:.1f}, {y} {ecc[0, j]:.1f} of the plane"
            + (f" (nor {len(holes) - 1} other probed points)" if len(holes) > 1 else "")
        )
    seen: set[tuple[str, ...]] = set()
    for j in np.flatnonzero(n > 1):
        which = tuple(spec.stages[i].id for i in np.flatnonzero(counts[:, j]))
        if which not in seen:
            seen.add(which)
            problems.append(
                f"stage rules {', '.join(which)} overlap, e.g. at {x} {tdp[0, j]:.1f}, "
                f"{y} {ecc[0, j]:.1f}"
            )
    return problems


def stage_probabilities(
    tdp_draws: npt.ArrayLike | pd.DataFrame,
    ecc_draws: npt.ArrayLike | pd.DataFrame,
    spec: StagesSpec,
    city_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Share of Monte Carlo replications placing each city in each stage.

    Draws are (replications x cities); relative thresholds are recomputed in every replication.
    Returns cities x stage ids (plus 'unassigned' when some draw falls outside every rule); rows
    sum to 1. City ids come from `city_ids` or the DataFrame columns.
    """
    if city_ids is None and isinstance(tdp_draws, pd.DataFrame):
        city_ids = [str(c) for c in tdp_draws.columns]
    tdp = np.atleast_2d(np.asarray(tdp_draws, dtype=float))
    ecc = np.atleast_2d(np.asarray(ecc_draws, dtype=float))
    if tdp.shape != ecc.shape:
        raise ValueError(f"draws of the two axes differ in shape: {tdp.shape} and {ecc.shape}")
    t_tdp = resolve_threshold(spec.thresholds.tdp, tdp)
    t_ecc = resolve_threshold(spec.thresholds.ecc, ecc)
    first = _first_match(_matches(spec, tdp, ecc, t_tdp, t_ecc))
    columns = [s.id for s in spec.stages]
    probs = np.stack([(first == k).mean(axis=0) for k in range(len(columns))], axis=1)
    none = (first < 0).mean(axis=0)
    if none.any():
        probs = np.column_stack([probs, none])
        columns.append(UNASSIGNED)
    index = pd.Index(city_ids if city_ids is not None else range(tdp.shape[1]), name="city_id")
    return pd.DataFrame(probs, index=index, columns=pd.Index(columns, name="stage_id"))


_LEVER_COLUMNS = [
    "city_id",
    "stage_id",
    "target_stage_id",
    "dimension",
    "score",
    "target_level",
    "shortfall",
    "pillar",
    "pillar_score",
    "peer_median",
    "n_peers",
    "improvement",
    "weight_share",
    "dimension_gain",
    "closes_shortfall",
    "indicators",
    "lever_rank",
]


def next_stage_levers(
    scores: pd.DataFrame,
    stages: pd.DataFrame,
    pillars: pd.DataFrame,
    *,
    axes: Axes,
    pillar_weights: pd.Series | None = None,
    indicator_points: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """For each city below the top stage, the pillars whose rise to peer level moves it most.

    `stages` is `assign_stages`' output, which carries each city's target stage and shortfalls.
    For every dimension in which the city falls short of its target stage, each pillar of that
    dimension is raised to the median of the target stage's members; `dimension_gain` is the
    resulting rise of the dimension score under a weighted arithmetic mean of pillars (weights
    from `pillar_weights`, else a `weight` column of `pillars`, else equal). `indicators` lists
    the pillar's index indicators on which the city trails those members, largest gap first
    (normalised points from `indicator_points`, e.g. `peers.indicator_points`).
    Rows are sorted by city and by gain; `lever_rank` 1 is the city's largest lever.

    Linear in cities x pillars: peer medians are taken once per target stage (a city is never
    a member of its own target stage), then every (city, pillar) pair is a row of one table.
    """
    weights = _pillar_weights(pillars, pillar_weights)
    shortfall = _shortfall_rows(stages, axes)
    levers = shortfall.merge(_pillar_shares(pillars, weights, scores), on="dimension")
    if levers.empty:
        return pd.DataFrame(columns=_LEVER_COLUMNS)
    peer_median, n_peers = _stage_medians(scores, stages, levers, "pillar")
    levers["pillar_score"] = _lookup(scores, levers["city_id"], levers["pillar"])
    levers["peer_median"] = peer_median
    levers["n_peers"] = n_peers
    levers = levers[levers["pillar_score"].notna() & levers["peer_median"].notna()].copy()
    levers["improvement"] = np.maximum(0.0, levers["peer_median"] - levers["pillar_score"])
    levers["dimension_gain"] = levers["improvement"] * levers["weight_share"]
    levers["closes_shortfall"] = levers["dimension_gain"] >= levers["shortfall"]
    levers["indicators"] = _trailing_indicators(levers, stages, indicator_points, indicators)
    frame = levers[_LEVER_COLUMNS[:-1]]
    if frame.empty:
        return pd.DataFrame(columns=_LEVER_COLUMNS)
    frame = frame.sort_values(
        ["city_id", "dimension_gain", "pillar"], ascending=[True, False, True], kind="mergesort"
    )
    frame["lever_rank"] = frame.groupby("city_id").cumcount() + 1
    return frame.reset_index(drop=True)


def _shortfall_rows(stages: pd.DataFrame, axes: Axes) -> pd.DataFrame:
    """One row per (city, dimension) the city must raise to reach its target stage."""
    target = stages["target_stage_id"]
    has_target = target.map(lambda t: isinstance(t, str) and bool(t)).to_numpy(dtype=bool)
    parts = []
    for key, dim in zip(AXIS_KEYS, axes, strict=True):
        need = stages[f"{key}_shortfall"].to_numpy(dtype=float)
        keep = has_target & (need > 0) & np.isfinite(need)
        score = stages[dim].to_numpy(dtype=float)[keep]
        parts.append(
            pd.DataFrame(
                {
                    "city_id": stages.index[keep],
                    "stage_id": stages["stage_id"].to_numpy()[keep],
                    "target_stage_id": target.to_numpy()[keep],
                    "dimension": dim,
                    "score": score,
                    "target_level": score + need[keep],
                    "shortfall": need[keep],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _pillar_shares(
    pillars: pd.DataFrame, weights: Mapping[str, float], scores: pd.DataFrame
) -> pd.DataFrame:
    """Each scored pillar's dimension and its weight share within the dimension."""
    frame = pd.DataFrame(
        {
            "pillar": pillars.index.astype(str),
            "dimension": pillars["dimension"].to_numpy(),
            "weight": [weights.get(str(p), 0.0) for p in pillars.index],
        }
    )
    total = frame.groupby("dimension")["weight"].transform("sum")
    frame["weight_share"] = frame["weight"] / total
    scored = frame["pillar"].isin(scores.columns) & (total > 0)
    return frame.loc[scored, ["dimension", "pillar", "weight_share"]]


def _lookup(frame: pd.DataFrame, rows: pd.Series, columns: pd.Series) -> FloatArray:
    """``frame.at[row, column]`` for many pairs at once (NaN where the row is absent)."""
    row_at = frame.index.get_indexer(rows)
    col_at = frame.columns.get_indexer(columns)
    values = frame.to_numpy(dtype=float)
    out = np.full(len(row_at), np.nan)
    found = (row_at >= 0) & (col_at >= 0)
    out[found] = values[row_at[found], col_at[found]]
    return out


def _stage_medians(
    values: pd.DataFrame, stages: pd.DataFrame, rows: pd.DataFrame, column: str
) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """For each row: median (and count) of ``values[row[column]]`` over the members of the row's
    target stage other than the row's city; computed once per (target stage, column)."""
    medians = np.full(len(rows), np.nan)
    counts = np.zeros(len(rows), dtype=np.int64)
    stage_of = stages["stage_id"]
    keys = rows[["target_stage_id", column]].astype(str)
    for (target, code), at in keys.groupby(["target_stage_id", column]).indices.items():
        members = stages.index[(stage_of == target).to_numpy(dtype=bool)]
        peers = values.loc[members, code].to_numpy(dtype=float) if code in values else np.array([])
        own_stage = rows["stage_id"].to_numpy()[at] == target
        medians[at] = median_or_nan(peers)
        counts[at] = np.count_nonzero(~np.isnan(peers))
        for i in at[own_stage]:  # a stage that lists itself as next: leave the city out
            city = rows["city_id"].iloc[i]
            rest = values.loc[members[members != city], code].to_numpy(dtype=float)
            medians[i] = median_or_nan(rest)
            counts[i] = np.count_nonzero(~np.isnan(rest))
    return medians, counts


def _pillar_weights(pillars: pd.DataFrame, pillar_weights: pd.Series | None) -> dict[str, float]:
    if pillar_weights is not None:
        return {str(k): float(v) for k, v in pillar_weights.items()}
    if "weight" in pillars.columns:
        return {str(k): float(v) for k, v in pillars["weight"].items()}
    return {str(k): 1.0 for k in pillars.index}


def _trailing_indicators(
    levers: pd.DataFrame,
    stages: pd.DataFrame,
    indicator_points: pd.DataFrame | None,
    indicators: pd.DataFrame | None,
) -> list[tuple[str, ...]]:
    """Per lever row: the pillar's index indicators on which the city trails its target
    stage's median, largest gap first (ties by indicator id)."""
    empty: list[tuple[str, ...]] = [() for _ in range(len(levers))]
    if indicator_points is None or indicators is None or levers.empty:
        return empty
    members = indicators
    if "role" in indicators.columns:
        members = indicators[indicators["role"].astype(str) != "context"]
    members = members[members.index.isin(indicator_points.columns)]
    pairs = levers[["city_id", "stage_id", "target_stage_id", "pillar"]].reset_index(drop=True)
    pairs["row"] = np.arange(len(pairs))
    pairs = pairs[pairs["city_id"].isin(indicator_points.index)]
    long = pairs.merge(
        pd.DataFrame({"pillar": members["pillar"].to_numpy(), "indicator": members.index}),
        on="pillar",
    )
    if long.empty:
        return empty
    long["own"] = _lookup(indicator_points, long["city_id"], long["indicator"])
    long["peer"], _ = _stage_medians(indicator_points, stages, long, "indicator")
    long["gap"] = long["own"] - long["peer"]
    trailing = long[long["own"].notna() & long["peer"].notna() & (long["peer"] > long["own"])]
    trailing = trailing.sort_values(["row", "gap", "indicator"], kind="mergesort")
    for row, names in trailing.groupby("row", sort=False)["indicator"]:
        empty[int(row)] = tuple(str(n) for n in names)
    return empty
