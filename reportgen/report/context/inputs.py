"""What a brief reads: the slice of a computed edition its view-model is built from, declared.

``brief_inputs`` cuts a computed edition into one ``BriefShared`` (what every brief prints:
labels, the plane, scores and ranks of all cities, indicator metadata) and one ``BriefCity`` per
city (its indicator facts, peers, findings, Monte Carlo summaries, previous scores). The brief's
builder receives only a ``BriefInputs``, so a brief cannot print anything that is not in one of
these two objects, and the publishing plan keys each brief by their digests: one account of what
a brief prints. Everything here is vectorised over cities: planning 10,000 briefs stays linear.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from reportgen import formatting
from reportgen.analysis.findings.peerstats import leave_one_out_median
from reportgen.analysis.findings.records import Pool
from reportgen.report.i18n import ENGLISH, SOURCE_LANGUAGE, Translator

if TYPE_CHECKING:
    from reportgen.analysis.findings import BriefFindings
    from reportgen.config import Edition
    from reportgen.pipeline import EditionResult

IMPUTED_FLAG = "imp."
BOUNDED_FLAG = "≤ list"
OLD_FLAG = "old"
SHARED_FLAG = "shared"  # a multi-city unit's total, carried whole by each member city
SPLIT_FLAG = "est. share"  # a multi-city unit's total split by population: an estimate
# A city's name in a heading: two lines at most of the brief's 22 pt title (the longest real
# name, "San Francisco Bay Area", is 22 characters).
HEADING_LIMIT = 56
MIN_PEER_VALUES = 3  # a peer median of fewer values is printed as a dash


@dataclass(frozen=True)
class CityLabel:
    city_id: str
    name: str
    short_name: str  # for running text, tables and charts
    heading_name: str  # for headings: the full name unless it would take over the page
    name_zh: str
    country: str
    region: str
    population: str


def city_labels(
    result: EditionResult, with_chinese: bool, tr: Translator = ENGLISH
) -> dict[str, CityLabel]:
    """Every city's printed names. In Chinese the Chinese name is the name (the name catalogue's,
    else cities.csv's name_zh, else the English one) and no second name is printed."""
    labels = {}
    countries = tr.catalogue.get("countries", {})
    regions = tr.catalogue.get("regions", {})
    cities = result.panel.cities
    for city_id, row in zip(cities.index, cities.to_dict("records"), strict=True):
        population = row.get("population")
        name = str(row["name"])
        name_zh = str(row["name_zh"]) if isinstance(row.get("name_zh"), str) else ""
        if not tr.is_source:
            name = tr.city_name(str(city_id), name_zh or name)
        labels[str(city_id)] = CityLabel(
            city_id=str(city_id),
            name=name,
            short_name=formatting.abbreviate(name),
            heading_name=formatting.abbreviate(name, HEADING_LIMIT),
            name_zh=name_zh if with_chinese and tr.is_source else "",
            country=str(countries.get(str(row["country"]), row["country"])),
            region=str(regions.get(str(row["region"]), row["region"])),
            population=_population(population, tr),
        )
    return labels


def _population(value: Any, tr: Translator = ENGLISH) -> str:
    if formatting.is_missing(value) or value == "" or pd.isna(value):
        return ""
    x = float(value)
    if not tr.is_source:
        # Chinese counts in 萬 (10^4): 7,490,000 is 749 萬.
        return tr.gettext("{n} ten-thousand").format(n=tr.number(round(x / 1e4)))
    return f"{x / 1e6:.1f} million" if x >= 1e6 else f"{x:,.0f}"


# ---------------------------------------------------------------------------------------------
# indicator facts: value as printed, flag, year, source, rank among cities, for all cities at once


@dataclass(frozen=True)
class IndicatorFacts:
    """City x indicator tables (indicators in print order) of what an indicator row prints."""

    shown: pd.DataFrame  # the value, or the imputed one in the indicator's unit
    observed: pd.DataFrame  # the observed value only (NaN where imputed): peers' medians use it
    flag: pd.DataFrame  # "", IMPUTED_FLAG, BOUNDED_FLAG, OLD_FLAG, SHARED_FLAG or SPLIT_FLAG
    year: pd.DataFrame  # float, NaN where none
    source: pd.DataFrame  # the observation's source URL, "" where none
    rank: pd.DataFrame  # 1 = best among cities with a value; NaN without a value
    ranked: pd.Series  # how many cities have a value, per indicator


def indicator_order(result: EditionResult) -> list[str]:
    """Indicators as printed: by pillar in framework order, index indicators before context."""
    indicators = result.panel.indicators
    pillars = [p.id for p in result.edition.framework.pillars]
    position = {p: i for i, p in enumerate(pillars)}
    return sorted(
        (str(i) for i in indicators.index),
        key=lambda i: (
            position.get(indicators.at[i, "pillar"], 99),
            indicators.at[i, "role"] != "index",
            i,
        ),
    )


def indicator_facts(result: EditionResult) -> IndicatorFacts:
    panel, index = result.panel, result.index
    order = indicator_order(result)
    values = panel.values.reindex(columns=order).astype(float)
    shape = {"index": values.index, "columns": order}
    imputed = index.imputed_mask.reindex(**shape, fill_value=False).astype(bool)
    bounded = index.bound_limited_mask.reindex(**shape, fill_value=False).astype(bool)
    filled = values.isna() & imputed
    shown = values.copy()
    if filled.to_numpy().any():
        shown = shown.mask(filled, _imputed_in_raw_units(result, values.index, order))
    flag = pd.DataFrame("", **shape)
    flag = flag.mask(filled, np.where(bounded, BOUNDED_FLAG, IMPUTED_FLAG))
    year = panel.years.reindex(**shape).astype(float)
    old = (result.year - year > result.edition.findings.max_data_age) & (flag == "")
    flag = flag.mask(old, OLD_FLAG)
    shared = panel.shared.reindex(**shape, fill_value=False).astype(bool) & (flag == "")
    flag = flag.mask(shared, SPLIT_FLAG if panel.shared_mode == "split" else SHARED_FLAG)
    source = panel.sources.reindex(**shape)
    source = source.where(source.map(lambda u: isinstance(u, str)), "").astype(str)
    direction = panel.indicators["direction"].reindex(order).astype(float)
    # 1 + how many cities do better: "min" ranks, best first in each indicator's direction.
    rank = pd.concat(
        [
            values[order_].rank(method="min", ascending=not bool(d > 0))
            for order_, d in direction.items()
        ],
        axis=1,
    ).reindex(columns=order)
    return IndicatorFacts(
        shown=shown,
        observed=values,
        flag=flag,
        year=year,
        source=source,
        rank=rank,
        ranked=values.notna().sum().astype(int),
    )


def _imputed_in_raw_units(
    result: EditionResult, cities: pd.Index, order: Sequence[str]
) -> pd.DataFrame:
    """Imputed cells in the indicator's own unit (the engine may impute after dividing by a
    denominator); a city below a top-N list shows the list's last value, its upper bound."""
    index = result.index
    imputed = index.datasets.get("imputed")
    out = pd.DataFrame(np.nan, index=cities, columns=list(order))
    if imputed is not None:
        out = imputed.reindex(index=cities, columns=list(order)).astype(float)
        units = index.data.units.reindex(cities)
        for indicator_id, denominator in index.framework.denominator_map().items():
            if denominator and indicator_id in out.columns:
                out[indicator_id] = out[indicator_id] * units[denominator].astype(float)
    bounds = result.panel.bounds.reindex(index=cities, columns=list(order)).astype(float)
    limited = index.bound_limited_mask.reindex(index=cities, columns=list(order), fill_value=False)
    return out.mask(limited.astype(bool) & bounds.notna(), bounds)


def leave_one_out_medians(block: np.ndarray, min_count: int = MIN_PEER_VALUES) -> np.ndarray:
    """For each row, the column medians of the *other* rows' values (NaN where fewer than
    ``min_count``): every member's peer median within a group, in O(m log m) per column."""
    others = (~np.isnan(block)).sum(axis=0)[None, :] - ~np.isnan(block)
    medians = leave_one_out_median(block.astype(float), np.ones(block.shape, bool))
    return np.where(others >= min_count, medians, np.nan)


def peer_groups(result: EditionResult) -> dict[str, tuple[str, Pool]]:
    """Each city's brief peer group: its own stage, or the top ten overall when its stage has
    fewer than three other cities. Name and pool by city; the peers are the pool without the
    city itself (`Pool.without`). A pool is one record per stage, shared by its members."""
    stages = result.stages
    stage_ids = stages["stage_id"].astype(str)
    top = Pool(tuple(str(c) for c in _overall(result).sort_values(ascending=False).index[:10]))
    groups: dict[str, tuple[str, Pool]] = {}
    for members in stage_ids.groupby(stage_ids, sort=False).groups.values():
        ids = [str(c) for c in members]
        name = f"{stages.at[ids[0], 'stage_name']} peers"
        group = (
            (name, Pool(tuple(ids))) if len(ids) - 1 >= MIN_PEER_VALUES else ("top-10 cities", top)
        )
        for city_id in ids:
            groups[city_id] = group
    return {str(c): groups[str(c)] for c in stages.index}


def _overall(result: EditionResult) -> pd.Series:
    return result.scores[result.index.framework.codes_at(4)[0]]


def peer_medians(observed: pd.DataFrame, groups: Mapping[str, tuple[str, Pool]]) -> pd.DataFrame:
    """Per city and indicator, the median of its peers' observed values (NaN below three).

    One pass per pool: its members' leave-one-out medians, and one median for the cities
    compared with the whole pool (outside it)."""
    out = pd.DataFrame(np.nan, index=list(groups), columns=observed.columns)
    by_pool: dict[str, tuple[Pool, list[str]]] = {}
    for city_id, (_, pool) in groups.items():
        by_pool.setdefault(pool.key, (pool, []))[1].append(city_id)
    for pool, cities in by_pool.values():
        members, member_set = list(pool.members), set(pool.members)
        block = observed.reindex(members).to_numpy(dtype=float)
        inside = [c for c in cities if c in member_set]
        if inside:
            medians = pd.DataFrame(leave_one_out_medians(block), index=members)
            out.loc[inside] = medians.loc[inside].to_numpy()
        outside = [c for c in cities if c not in member_set]
        if outside:
            counts = np.isfinite(block).sum(axis=0)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column
                whole = np.nanmedian(block, axis=0) if len(block) else np.nan
            out.loc[outside] = np.where(counts >= MIN_PEER_VALUES, whole, np.nan)
    return out


# ---------------------------------------------------------------------------------------------
# a brief's declared inputs


@dataclass(frozen=True, eq=False)
class BriefShared:
    """What every brief of an edition reads: the edition file (titles, pillars, stage rules,
    finding rules), the year, every city's label, scores, ranks and stage (the plane, peer
    groups' pillar medians), and the indicators' metadata in print order."""

    edition: Edition
    year: int
    previous_year: int | None
    labels: Mapping[str, CityLabel]
    scores: pd.DataFrame
    ranks: pd.DataFrame
    stages: pd.DataFrame
    levels: tuple[tuple[str, ...], ...]  # framework codes by level: indicators ... index
    indicators: pd.DataFrame
    what_if: tuple[str, ...] = ()  # the --set overrides of a what-if build, empty otherwise
    data_span: tuple[int, int] | None = None  # oldest and newest year of the scored values
    lang: str = SOURCE_LANGUAGE  # the language the briefs print in

    @property
    def scorecard(self) -> tuple[str, ...]:
        """The codes of the brief's score cards: the index, then its dimensions."""
        return (*self.levels[3], *self.levels[2])


@dataclass(frozen=True, eq=False)
class CityFacts:
    """One city's row of each ``IndicatorFacts`` table, indicators in print order."""

    shown: np.ndarray
    flag: tuple[str, ...]
    year: np.ndarray
    source: tuple[str, ...]
    rank: np.ndarray
    ranked: np.ndarray
    peer_median: np.ndarray


@dataclass(frozen=True, eq=False)
class BriefCity:
    """What one city's brief reads about that city only. Arrays by scorecard code follow
    ``BriefShared.scorecard``."""

    city_id: str
    facts: CityFacts
    peer_name: str
    peer_pool: Pool  # the peers are the pool without the city (shared by a stage's briefs)
    findings: BriefFindings | None  # what the brief prints: stage, themes, movers, notes
    rank_intervals: np.ndarray | None  # per scorecard code: low, high (None: no Monte Carlo)
    stage_probability: float | None
    previous: np.ndarray | None  # per scorecard code: score, rank (None: none, or not ranked)

    @property
    def peers(self) -> tuple[str, ...]:
        return self.peer_pool.without(self.city_id)


@dataclass(frozen=True, eq=False)
class BriefInputs:
    shared: BriefShared
    city: BriefCity


def brief_shared(
    result: EditionResult, labels: Mapping[str, CityLabel], lang: str = SOURCE_LANGUAGE
) -> BriefShared:
    framework = result.index.framework
    order = indicator_order(result)
    return BriefShared(
        edition=result.edition,
        year=result.year,
        previous_year=None if result.previous is None else result.previous.year,
        labels=dict(labels),
        scores=result.scores,
        ranks=result.ranks,
        stages=result.stages,
        levels=tuple(tuple(framework.codes_at(level)) for level in (1, 2, 3, 4)),
        indicators=result.panel.indicators.reindex(order),
        what_if=result.what_if,
        data_span=result.data_span,
        lang=lang,
    )


def brief_cities(
    result: EditionResult, cities: Iterable[str], shared: BriefShared
) -> dict[str, BriefCity]:
    """Every requested city's part, sliced from city x indicator tables computed once for all."""

    cities = [str(c) for c in cities]
    facts = indicator_facts(result)
    groups = peer_groups(result)
    medians = peer_medians(facts.observed, groups).reindex(cities).to_numpy(float)
    codes = shared.scorecard
    intervals = _interval_table(result, codes, cities)
    probabilities = _stage_probability(result)
    previous = _previous_table(result, codes, cities)
    selections = result.analysis.briefs if result.analysis is not None else {}
    shown = facts.shown.reindex(cities).to_numpy(float)
    flag = facts.flag.reindex(cities).to_numpy(object)
    year = facts.year.reindex(cities).to_numpy(float)
    source = facts.source.reindex(cities).to_numpy(object)
    rank = facts.rank.reindex(cities).to_numpy(float)
    ranked = facts.ranked.to_numpy(int)
    out = {}
    for i, city_id in enumerate(cities):
        out[city_id] = BriefCity(
            city_id=city_id,
            facts=CityFacts(
                shown=shown[i].copy(),
                flag=tuple(str(f) for f in flag[i]),
                year=year[i].copy(),
                source=tuple(str(s) for s in source[i]),
                rank=rank[i].copy(),
                ranked=ranked,
                peer_median=medians[i].copy(),
            ),
            peer_name=groups[city_id][0],
            peer_pool=groups[city_id][1],
            findings=selections.get(city_id),
            rank_intervals=None if intervals is None else intervals[i],
            stage_probability=probabilities.get(city_id),
            previous=None if previous is None or np.isnan(previous[i]).all() else previous[i],
        )
    return out


def _interval_table(
    result: EditionResult, codes: Sequence[str], cities: Sequence[str]
) -> np.ndarray | None:
    """cities x codes x (p05, p95) Monte Carlo rank bounds; NaN for a code without them."""
    if result.uncertainty is None:
        return None
    low, high = result.uncertainty.spec.interval_columns
    table = np.full((len(cities), len(codes), 2), np.nan)
    for j, code in enumerate(codes):
        summary = result.rank_interval(code) if code in result.uncertainty.codes else None
        if summary is not None:
            table[:, j, :] = summary[[low, high]].reindex(cities).to_numpy(float)
    return table


def _stage_probability(result: EditionResult) -> dict[str, float]:
    table = result.stage_probabilities
    if table is None:
        return {}
    stage_ids = result.stages["stage_id"].astype(str).reindex(table.index)
    columns = {str(c): j for j, c in enumerate(table.columns)}
    values = table.to_numpy(float)
    out = {}
    for i, (city_id, stage_id) in enumerate(stage_ids.items()):
        if isinstance(stage_id, str) and stage_id in columns:
            out[str(city_id)] = float(values[i, columns[stage_id]])
    return out


def _previous_table(
    result: EditionResult, codes: Sequence[str], cities: Sequence[str]
) -> np.ndarray | None:
    """cities x codes x (score, rank) in the previous edition; NaN where not ranked then."""
    if result.previous is None:
        return None
    before = result.previous.index
    table = np.full((len(cities), len(codes), 2), np.nan)
    for j, code in enumerate(codes):
        if code in before.scores.columns:
            table[:, j, 0] = before.scores[code].reindex(cities).to_numpy(float)
            table[:, j, 1] = before.ranks[code].reindex(cities).to_numpy(float)
    return table


def brief_inputs(
    result: EditionResult,
    cities: Iterable[str],
    labels: Mapping[str, CityLabel],
    lang: str = SOURCE_LANGUAGE,
) -> dict[str, BriefInputs]:
    """Each requested city's declared brief inputs (see the module docstring)."""
    shared = brief_shared(result, labels, lang)
    parts = brief_cities(result, cities, shared)
    return {city_id: BriefInputs(shared, part) for city_id, part in parts.items()}
