"""Synthetic demo data, clearly labelled, in the bundled files' formats (for scale tests)."""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from reportgen.errors import InputError, Problem

BUNDLED_DATA = Path(__file__).resolve().parents[2] / "data"
SYNTHETIC_URL = "synthetic://reportgen/demo"
SYNTHETIC_SOURCE = "SYNTHETIC data (reportgen demo-data)"
REGIONS = (  # with the bundled data's mix of cities per region
    ("East Asia", 9),
    ("North America", 8),
    ("Europe", 7),
    ("Middle East", 2),
    ("South & Southeast Asia", 2),
    ("Oceania", 1),
    ("Latin America", 1),
)

Family = Literal["lognormal", "logit", "normal", "rank"]
Factor = Literal["tdp", "ecc", "size"]


@dataclass(frozen=True)
class IndicatorModel:
    """How one indicator's synthetic values are drawn.

    A city's standardised draw is ``loading * factor + sqrt(1 - loading²) * noise``, where the
    factor is the city's latent technology strength (``tdp``), liveability (``ecc``) or size.
    ``lognormal``: ``centre * exp(spread * draw)`` (counts and money, right-skewed);
    ``logit``: a 0-100 index, ``centre`` its typical value, ``spread`` in logit units;
    ``normal``: ``centre + spread * draw`` (growth rates); ``rank``: places 1..N of a top-N list.
    """

    family: Family
    centre: float
    spread: float
    factor: Factor
    loading: float
    decimals: int = 1
    coverage: float = 0.95  # share of cities with a value (the rest missing at random)
    # A published top-N list: the share of cities on it (the bundled data's share, so the list
    # grows with the city count); the others have no row and sit below `list_threshold`.
    listed: float | None = None
    zero_share: float = 0.0  # complete lists that record zeros (unicorns, universities)
    step: float = 0.0  # values reported in bands of this width (lower bound of the band)
    drift: float = 0.08  # change between the two years (log units, or spreads for normal)


MODELS: dict[str, IndicatorModel] = {
    "gii_cluster_pubs": IndicatorModel("lognormal", 40000, 0.9, "tdp", 0.8, 0, 1.0, listed=21 / 30),
    "gii_cluster_pct": IndicatorModel("lognormal", 9000, 1.1, "tdp", 0.8, 0, 1.0, listed=21 / 30),
    "dc_operational_mw": IndicatorModel("lognormal", 500, 0.6, "size", 0.5, 0, 0.15),
    "dc_capacity_total_mw": IndicatorModel("lognormal", 1200, 0.6, "size", 0.5, 0, 0.10),
    "unicorn_count": IndicatorModel("lognormal", 8, 1.3, "tdp", 0.85, 0, 1.0, zero_share=0.15),
    "unicorn_valuation": IndicatorModel("lognormal", 20, 1.5, "tdp", 0.85, 1, 1.0),
    "vc_exit_value_6y": IndicatorModel("lognormal", 40, 1.1, "tdp", 0.85, 1, 1.0, listed=17 / 30),
    "gser_rank": IndicatorModel("rank", 0, 0.3, "tdp", 0.9, 0, 1.0, listed=23 / 30),
    "vc_capital_raised_6y": IndicatorModel(
        "lognormal", 45, 1.0, "tdp", 0.9, 1, 1.0, listed=17 / 30
    ),
    "vc_deal_count_6y": IndicatorModel("lognormal", 4000, 0.9, "tdp", 0.9, 0, 1.0, listed=17 / 30),
    "vc_ecosystem_rank": IndicatorModel("rank", 0, 0.3, "tdp", 0.9, 0, 1.0, listed=27 / 30),
    "tech_vc_investment": IndicatorModel("lognormal", 15, 1.0, "tdp", 0.8, 1, 0.2),
    "arwu_top200_univ": IndicatorModel("lognormal", 1.5, 0.9, "size", 0.6, 0, 1.0, zero_share=0.3),
    "arwu_top100_univ": IndicatorModel("lognormal", 0.8, 0.9, "size", 0.6, 0, 1.0, zero_share=0.45),
    "tech_talent_band": IndicatorModel("lognormal", 300000, 0.5, "size", 0.7, 0, 0.4, step=100000),
    "gmm_gdp_per_capita_ppp": IndicatorModel("lognormal", 55000, 0.4, "ecc", 0.7, 0),
    "gmm_gdp_pc_growth_2014_2016": IndicatorModel("normal", 1.8, 1.8, "ecc", 0.2, 2, 0.98),
    "gmm_employment_growth_2014_2016": IndicatorModel("normal", 1.8, 1.2, "ecc", 0.2, 2, 0.98),
    "numbeo_purchasing_power": IndicatorModel("lognormal", 100, 0.35, "ecc", 0.7),
    "numbeo_price_to_income": IndicatorModel("lognormal", 12, 0.5, "ecc", -0.5),
    "numbeo_cost_of_living": IndicatorModel("lognormal", 65, 0.3, "ecc", 0.4, 1, 0.9),
    "numbeo_rent_index": IndicatorModel("lognormal", 38, 0.5, "ecc", 0.4, 1, 0.9),
    "numbeo_safety_index": IndicatorModel("logit", 60, 0.6, "ecc", 0.6),
    "numbeo_health_care_index": IndicatorModel("logit", 70, 0.4, "ecc", 0.6),
    "numbeo_qol_index": IndicatorModel("lognormal", 150, 0.25, "ecc", 0.8, 1, 0.9),
    "ookla_fixed_download_mbps": IndicatorModel("lognormal", 300, 0.4, "ecc", 0.4, 1, 0.85),
    "numbeo_pollution_index": IndicatorModel("logit", 48, 0.7, "ecc", -0.6),
    "who_pm25_annual_mean": IndicatorModel("lognormal", 12, 0.6, "ecc", -0.6, 1, 0.85),
    "wccf_public_green_space_pct": IndicatorModel("logit", 15, 0.7, "ecc", 0.3, 1, 0.4),
    "foreign_born_share_pct": IndicatorModel("logit", 25, 0.9, "ecc", 0.3, 1, 0.75),
}
# Pairs where one value is part of the other: (part, whole).
NESTED = (("arwu_top100_univ", "arwu_top200_univ"),)
# A valuation needs companies to value: (amount, count).
BACKED = (("unicorn_valuation", "unicorn_count"),)


def fallback_model(indicator: Mapping[str, object], first_dimension: str) -> IndicatorModel:
    """A model for an indicator this module does not know, from its unit, range and role; its
    latent factor follows its dimension (the plane's horizontal axis is ``first_dimension``)."""
    unit = str(indicator.get("unit", "")).lower()
    threshold = _number(indicator.get("list_threshold"))
    low, high = _number(indicator.get("min")), _number(indicator.get("max"))
    factor: Factor = "tdp" if indicator.get("dimension") == first_dimension else "ecc"
    loading = 0.7 * float(_number(indicator.get("direction")) or 1.0)
    coverage = 0.95 if indicator.get("role") == "index" else 0.6
    if unit.startswith("rank"):
        return IndicatorModel("rank", 0, 0.3, factor, abs(loading), 0, 1.0, listed=21 / 30)
    if high is not None and high <= 100 and (low or 0) >= 0:
        return IndicatorModel("logit", 50, 0.7, factor, loading, 1, coverage)
    if low is not None and low < 0:
        return IndicatorModel("normal", 0, 1.0, factor, loading, 2, coverage)
    return IndicatorModel(
        "lognormal",
        100,
        0.8,
        factor,
        loading,
        1,
        coverage,
        listed=0.6 if threshold is not None else None,
    )


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


# ---------------------------------------------------------------------------------------------
# drawing


@dataclass(frozen=True)
class _Cities:
    frame: pd.DataFrame
    factors: dict[str, np.ndarray]


def _cities(rng: np.random.Generator, n: int, year: int) -> _Cities:
    width = max(4, len(str(n)))
    weights = np.array([w for _, w in REGIONS], dtype=float)
    region_index = rng.choice(len(REGIONS), size=n, p=weights / weights.sum())
    n_countries = max(1, n // 15)
    country_region = rng.choice(len(REGIONS), size=n_countries, p=weights / weights.sum())
    country_of = np.array(
        [
            rng.choice(np.flatnonzero(country_region == r))
            if (country_region == r).any()
            else rng.integers(n_countries)
            for r in region_index
        ]
    )
    # Regional offsets make peer groups and regions differ, as real ones do.
    offsets = {name: rng.normal(0, 0.35, size=len(REGIONS)) for name in ("tdp", "ecc")}
    size = rng.normal(0, 1, n)
    tdp = 0.45 * size + math.sqrt(1 - 0.45**2) * rng.normal(0, 1, n) + offsets["tdp"][region_index]
    ecc = 0.3 * tdp + math.sqrt(1 - 0.3**2) * rng.normal(0, 1, n) + offsets["ecc"][region_index]
    population = np.clip(4.0e6 * np.exp(0.75 * size), 3.0e5, 4.0e7)
    ids = [f"synthetic_city_{i:0{width}d}" for i in range(1, n + 1)]
    frame = pd.DataFrame(
        {
            "city_id": ids,
            "name": [f"Synthetic City {i:0{width}d}" for i in range(1, n + 1)],
            "name_zh": [f"合成城市{i:0{width}d}" for i in range(1, n + 1)],
            "country": [f"Synthetic Country {_letters(c)}" for c in country_of],
            "iso3": [f"X{_letters(c)}" for c in country_of],  # X-codes are reserved for user use
            "region": [REGIONS[r][0] for r in region_index],
            "lat": np.round(rng.uniform(-45, 62, n), 2),
            "lon": np.round(rng.uniform(-179, 179, n), 2),
            "population": np.round(population, -3).astype(np.int64),
            "population_year": year,
            "population_source_url": SYNTHETIC_URL,
        }
    )
    standard = {
        name: (v - v.mean()) / (v.std() or 1.0)
        for name, v in (("tdp", tdp), ("ecc", ecc), ("size", size))
    }
    return _Cities(frame, standard)


def _letters(number: int) -> str:
    number %= 26 * 26
    return chr(65 + number // 26) + chr(65 + number % 26)


def _draws(
    rng: np.random.Generator, model: IndicatorModel, factor: np.ndarray, years: int
) -> np.ndarray:
    """Standardised draws, one row per year: the same city persists, with some drift."""
    loading = max(-0.99, min(0.99, model.loading))
    base = loading * factor + math.sqrt(1 - loading**2) * rng.normal(0, 1, factor.size)
    rows = [base]
    for _ in range(years - 1):
        rows.append(rows[-1] + rng.normal(0, model.drift / max(model.spread, 0.05), factor.size))
    return np.vstack(rows[::-1])  # oldest year first


def _values(
    model: IndicatorModel, draws: np.ndarray, low: float | None, high: float | None
) -> np.ndarray:
    if model.family == "lognormal":
        values = model.centre * np.exp(model.spread * draws)
    elif model.family == "logit":
        centre = math.log(model.centre / (100 - model.centre))
        values = 100 / (1 + np.exp(-(centre + model.spread * draws)))
    elif model.family == "normal":
        values = model.centre + model.spread * draws
    else:  # rank: 1 = the best draw, per year
        order = np.argsort(-draws, axis=1, kind="stable")
        values = np.empty_like(draws)
        for row in range(draws.shape[0]):
            values[row, order[row]] = np.arange(1, draws.shape[1] + 1)
        return values
    if model.zero_share > 0:
        cut = np.quantile(draws, model.zero_share, axis=1, keepdims=True)
        values = np.where(draws <= cut, 0.0, values)
    if model.step:
        values = np.floor(values / model.step) * model.step
        values = np.maximum(values, model.step)
    values = np.round(values, model.decimals)
    if low is not None:
        values = np.maximum(values, low)
    if high is not None:
        values = np.minimum(values, high)
    return values


@dataclass(frozen=True)
class _Drawn:
    values: np.ndarray  # years × cities, NaN where the city has no row
    threshold: float | None


def _draw_indicator(
    rng: np.random.Generator,
    row: Mapping[str, object],
    model: IndicatorModel,
    factors: Mapping[str, np.ndarray],
    n_years: int,
) -> _Drawn:
    n = factors["tdp"].size
    low, high = _number(row.get("min")), _number(row.get("max"))
    draws = _draws(rng, model, factors[model.factor], n_years)
    values = _values(model, draws, low, high)
    missing = rng.random(n) > model.coverage  # a city missing from a source misses every year
    values[:, missing] = np.nan
    threshold = None
    if model.listed is not None:
        listed = max(2, round(model.listed * n))
        if model.family == "rank":
            values[values > listed] = np.nan
            threshold = float(listed)
        else:
            # Each year's list holds its top `listed` cities; the others have no row. The
            # threshold is where the current year's list ends, as in the bundled data.
            for year in range(n_years):
                ordered = np.sort(values[year][~np.isnan(values[year])])[::-1]
                if ordered.size > listed:
                    values[year, values[year] < ordered[listed - 1]] = np.nan
            current = values[-1][~np.isnan(values[-1])]
            threshold = float(current.min()) if current.size else None
    return _Drawn(values, threshold)


def _tie_together(values: dict[str, np.ndarray]) -> None:
    for part, whole in NESTED:
        if part in values and whole in values:
            values[part] = np.fmin(values[part], values[whole])
    for amount, count in BACKED:
        if amount in values and count in values:
            none = values[count] == 0
            values[amount] = np.where(none, 0.0, values[amount])
            values[count] = np.where(
                (values[count] == 0) & (values[amount] > 0), 1.0, values[count]
            )


# ---------------------------------------------------------------------------------------------
# files


def _indicators(bundled: pd.DataFrame, thresholds: Mapping[str, float | None]) -> pd.DataFrame:
    frame = bundled.copy()
    # A synthetic rank list is as long as its share of the cities: its range and unit say so.
    first_dimension = str(bundled["dimension"].iloc[0])
    for position, row in enumerate(bundled.to_dict("records")):
        model = MODELS.get(str(row["indicator_id"])) or fallback_model(row, first_dimension)
        length = thresholds.get(str(row["indicator_id"]))
        if model.family == "rank" and length is not None:
            frame.iloc[position, frame.columns.get_loc("max")] = _format(length, 0)
            frame.iloc[position, frame.columns.get_loc("unit")] = re.sub(
                r"top \d+", f"top {_format(length, 0)}", str(row["unit"])
            )
    frame["source_name"] = [_stand_in(name) for name in frame["source_name"]]
    frame["source_url"] = synthetic_urls(frame)
    frame["list_threshold"] = [
        _format(thresholds[i], 4) if thresholds.get(i) is not None else ""
        for i in frame["indicator_id"]
    ]
    frame["definition"] = [
        "SYNTHETIC values. " + str(text) for text in frame["definition"].fillna("")
    ]
    return frame


def synthetic_urls(indicators: pd.DataFrame) -> list[str]:
    """One synthetic source per bundled source, so briefs cite as many sources as real ones."""
    numbers: dict[str, int] = {}
    for url in indicators["source_url"]:
        numbers.setdefault(str(url), len(numbers) + 1)
    return [f"{SYNTHETIC_URL}/source-{numbers[str(url)]:02d}" for url in indicators["source_url"]]


def _stand_in(source_name: str) -> str:
    name = str(source_name)
    short = name if len(name) <= 60 else name[:58].rstrip(" ,;") + "…"
    return f"{SYNTHETIC_SOURCE}, in place of {short}"


def _format(value: float | None, decimals: int) -> str:
    if value is None:
        return ""
    text = f"{round(float(value), decimals):.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _remap_named_groups(
    edition: dict[str, Any], bundled_cities: pd.DataFrame, cities: _Cities
) -> None:
    """Named peer groups list bundled cities: give each member's place to the strongest unused
    synthetic city of the same region, so a group keeps its size and its regional sense."""
    groups = (edition.get("findings") or {}).get("named") or {}
    region_of = dict(zip(bundled_cities["city_id"], bundled_cities["region"], strict=True))
    frame = cities.frame.assign(strength=cities.factors["tdp"])
    ranked = frame.sort_values("strength", ascending=False)
    for group_id, group in groups.items():
        members = group.get("members", ()) if isinstance(group, dict) else group
        used: set[str] = set()
        chosen = []
        for member in members:
            same = ranked[
                (ranked["region"] == region_of.get(member)) & ~ranked["city_id"].isin(used)
            ]
            pool = same if len(same) else ranked[~ranked["city_id"].isin(used)]
            if len(pool):
                chosen.append(str(pool["city_id"].iloc[0]))
                used.add(chosen[-1])
        if isinstance(group, dict):
            group["members"] = chosen
        else:
            groups[group_id] = chosen


def _scale_winsorisation(edition: dict[str, Any], factor: float) -> None:
    """Winsorisation limits count cities ("at most 3 of 30 cities moved in"): keep the share."""

    def scaled(count: Any) -> int:
        return max(1, round(int(count) * factor))

    for step in edition.get("build") or ():
        if isinstance(step, dict) and "winmax" in step:
            step["winmax"] = scaled(step["winmax"])
    uncertainty = edition.get("uncertainty") or {}
    if uncertainty.get("winsorisation"):
        uncertainty["winsorisation"] = sorted({scaled(c) for c in uncertainty["winsorisation"]})


def _arithmetic_only(edition: dict[str, Any]) -> None:
    """Drop geometric aggregation from the Monte Carlo alternatives. With hundreds of cities a
    skewed indicator has z-scores below -5, so the z-score alternative (mean 10, sd 2) makes
    values <= 0, and the engine stops on the geometric mean of those (MethodError)."""
    uncertainty = edition.get("uncertainty") or {}
    methods = uncertainty.get("aggregation")
    if methods:
        kept = [
            m for m in methods if (m.get("method") if isinstance(m, dict) else m) != "geometric"
        ]
        uncertainty["aggregation"] = kept or ["arithmetic"]


def _edition(
    bundled_text: str,
    n_cities: int,
    seed: int,
    spotlight: str,
    bundled_cities: pd.DataFrame,
    cities: _Cities,
) -> str:
    edition = yaml.safe_load(bundled_text)
    _remap_named_groups(edition, bundled_cities, cities)
    _scale_winsorisation(edition, n_cities / max(len(bundled_cities), 1))
    _arithmetic_only(edition)
    edition.update(
        {
            "title": "Synthetic Tech Cities Index (demo data)",
            "subtitle": f"SYNTHETIC DATA: {n_cities} generated cities (seed {seed}), not real "
            "measurements",
            "publisher": "reportgen demo-data (synthetic)",
            "author": "reportgen demo-data",
            "keywords": ["synthetic data", "demo", *edition.get("keywords", ())],
            "spotlight_city": spotlight,
        }
    )
    header = (
        "# SYNTHETIC demo edition written by `reportgen demo-data`: the bundled edition's\n"
        "# framework, build, stages, findings and uncertainty, with a synthetic header;\n"
        "# named peer groups hold synthetic cities of their members' regions, and the\n"
        "# winsorisation limits (counts of cities) keep their share of the cities, and\n"
        "# the Monte Carlo aggregates arithmetically only (see reportgen.data.demo).\n"
    )
    return header + yaml.safe_dump(edition, sort_keys=False, allow_unicode=True)


def write_demo_data(
    out_dir: Path, n_cities: int, seed: int, *, bundled: Path = BUNDLED_DATA
) -> str:
    """Write cities.csv, indicators.csv, observations.csv and edition.yaml of ``n_cities``
    synthetic cities to ``out_dir``; returns a one-line summary.

    Indicators and edition are the bundled ones (relabelled as synthetic); values follow
    skewed distributions for counts and money, bounded ones for indices, with a latent
    technology and liveability factor per city, values missing at random, top-N lists that
    leave the other cities out (below ``list_threshold``) and two years of data.
    """
    if n_cities < 3:
        raise InputError(
            [
                Problem(
                    "--cities",
                    "too few cities for an index",
                    found=str(n_cities),
                    expected="3 or more",
                )
            ]
        )
    indicators_file, edition_file = bundled / "indicators.csv", bundled / "edition.yaml"
    if not indicators_file.is_file() or not edition_file.is_file():
        raise InputError(
            [
                Problem(
                    str(bundled),
                    "bundled indicators.csv and edition.yaml not found",
                    expected="a reportgen checkout with data/",
                )
            ]
        )
    edition_text = edition_file.read_text(encoding="utf-8")
    header = yaml.safe_load(edition_text)
    year = int(header["year"])
    previous = int(header.get("previous_year") or year - 1)
    years = (previous, year)
    bundled_indicators = pd.read_csv(indicators_file, dtype=str, keep_default_na=False)

    rng = np.random.default_rng(seed)
    cities = _cities(rng, n_cities, year=2020)
    values: dict[str, np.ndarray] = {}
    thresholds: dict[str, float | None] = {}
    first_dimension = str(header["framework"]["dimensions"][0]["id"])
    for row in bundled_indicators.to_dict("records"):
        indicator_id = str(row["indicator_id"])
        model = MODELS.get(indicator_id) or fallback_model(row, first_dimension)
        drawn = _draw_indicator(rng, row, model, cities.factors, len(years))
        values[indicator_id] = drawn.values
        thresholds[indicator_id] = drawn.threshold
    _tie_together(values)

    out_dir.mkdir(parents=True, exist_ok=True)
    cities.frame.to_csv(out_dir / "cities.csv", index=False)
    _indicators(bundled_indicators, thresholds).to_csv(out_dir / "indicators.csv", index=False)
    urls = dict(
        zip(bundled_indicators["indicator_id"], synthetic_urls(bundled_indicators), strict=True)
    )
    n_rows = _write_observations(
        out_dir / "observations.csv", cities.frame["city_id"].tolist(), years, values, urls, seed
    )
    spotlight = str(cities.frame["city_id"].iloc[0])
    bundled_cities = (
        pd.read_csv(bundled / "cities.csv", dtype=str, keep_default_na=False)
        if (bundled / "cities.csv").is_file()
        else pd.DataFrame({"city_id": [], "region": []})
    )
    edition = _edition(edition_text, n_cities, seed, spotlight, bundled_cities, cities)
    (out_dir / "edition.yaml").write_text(edition, encoding="utf-8")
    return (
        f"wrote SYNTHETIC demo data to {out_dir}: {n_cities} cities, "
        f"{len(bundled_indicators)} indicators, {n_rows} observations for "
        f"{previous} and {year} (seed {seed})"
    )


def _write_observations(
    path: Path,
    city_ids: Sequence[str],
    years: Sequence[int],
    values: Mapping[str, np.ndarray],
    urls: Mapping[str, str],
    seed: int,
) -> int:
    note = f"SYNTHETIC value from reportgen demo-data (seed {seed}); not a real measurement"
    decimals = {i: (MODELS[i].decimals if i in MODELS else 2) for i in values}
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["city_id", "indicator_id", "year", "value", "source_url", "note"])
        for indicator_id, table in values.items():
            for y, year in enumerate(years):
                for c in np.flatnonzero(~np.isnan(table[y])):
                    writer.writerow(
                        [
                            city_ids[int(c)],
                            indicator_id,
                            year,
                            _format(table[y, c], decimals[indicator_id]),
                            urls[indicator_id],
                            note,
                        ]
                    )
                    rows += 1
    return rows
