"""Findings from hand-built frames: gaps, strengths, censoring, movers, stages, data, selection."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from reportgen.analysis.findings import (
    TEMPLATES,
    Finding,
    FindingInputs,
    FindingsSpec,
    check_findings,
    compute_findings,
    filter_findings,
    findings_frame,
    format_value,
    peer_median_of,
    per_capita_unit,
    select,
)
from reportgen.analysis.peers import peer_median
from reportgen.analysis.stages import StagesSpec, assign_stages, stage_probabilities

# city: name, region, population, TDP, ECC, capital, firms, liveability, environment
CITIES: dict[str, tuple[Any, ...]] = {
    "london": ("London", "Europe", 9.0e6, 80, 80, 75, 80, 78, 82),
    "new_york": ("New York", "North America", 18.8e6, 85, 75, 85, 85, 72, 78),
    "bay_area": ("San Francisco Bay Area", "North America", 7.7e6, 90, 70, 95, 90, 65, 75),
    "seattle": ("Seattle", "North America", 3.5e6, 75, 72, 70, 80, 74, 70),
    "hong_kong": ("Hong Kong", "Asia", 7.5e6, 70, 40, 45, 70, 45, 35),
    "shenzhen": ("Shenzhen", "Asia", 12.4e6, 75, 30, 75, 75, 32, 28),
    "shanghai": ("Shanghai", "Asia", 25.0e6, 72, 35, 74, 70, 38, 32),
    "beijing": ("Beijing", "Asia", 20.0e6, 78, 45, 85, 75, 44, 46),
    "zurich": ("Zurich", "Europe", 1.4e6, 40, 90, 35, 45, 92, 88),
    "stockholm": ("Stockholm", "Europe", 1.6e6, 45, 85, 45, 45, 84, 86),
    "bengaluru": ("Bengaluru", "Asia", 12.0e6, 30, 30, 30, 30, 28, 32),
}
# indicator: short name, unit, direction, pillar, denominator, year
INDICATORS: dict[str, tuple[Any, ...]] = {
    "vc_capital": ("Venture capital raised", "USD bn", 1, "capital", "population", 2023),
    "vc_rank": (
        "PitchBook's VC ecosystem ranking",
        "rank (1 = best, top 50)",
        -1,
        "capital",
        "",
        2024,
    ),
    "unicorns": ("Unicorn companies", "count", 1, "firms", "", 2024),
    "pm25": ("PM2.5 concentration", "µg/m³", -1, "environment", "", 2022),
    "qol": ("Quality of life index", "index (higher = better)", 1, "liveability", "", 2024),
}
VALUES: dict[str, list[float]] = {  # in CITIES order
    "vc_capital": [99, 179.9, 427.6, 31.7, 3.0, 46.4, 130.3, 161.2, np.nan, 5.0, 20.0],
    "vc_rank": [7, 2, 1, 13, 26, 8, 4, 3, np.nan, 27, 34],
    "unicorns": [60, 100, 150, 55, 7, 20, 15, 40, 5, 10, 3],
    "pm25": [10, 8, 9, 8, 20, 30, 35, 40, 9, 6, 45],
    "qol": [180, 170, 160, 175, 140, 120, 125, 110, 200, 195, 100],
}
STAGES = StagesSpec.model_validate({"thresholds": {"tdp": 50, "ecc": 50}})
SAME_STAGE = FindingsSpec(peer_groups=("same_stage",))
DIGITS = re.compile(r"\d")


def build_inputs(**changes: Any) -> FindingInputs:
    ids = list(CITIES)
    table = pd.DataFrame.from_dict(
        CITIES,
        orient="index",
        columns=[
            "name",
            "region",
            "population",
            "TDP",
            "ECC",
            "capital",
            "firms",
            "liveability",
            "environment",
        ],
    )
    table.index.name = "city_id"
    scores = table[["TDP", "ECC", "capital", "firms", "liveability", "environment"]].astype(float)
    scores["Overall"] = (scores["TDP"] + scores["ECC"]) / 2
    ranks = scores.rank(ascending=False, method="min").astype(int)
    indicators = pd.DataFrame.from_dict(
        INDICATORS,
        orient="index",
        columns=["short_name", "unit", "direction", "pillar", "denominator", "year"],
    )
    indicators["name"] = indicators["short_name"]
    indicators["dimension"] = indicators["pillar"].map(
        {"capital": "TDP", "firms": "TDP", "liveability": "ECC", "environment": "ECC"}
    )
    indicators["role"] = "index"
    indicators["source_name"] = "source"
    indicators["source_url"] = [f"https://example.org/{i}" for i in indicators.index]
    values = pd.DataFrame(VALUES, index=ids, dtype=float)
    years = pd.DataFrame({i: float(meta[5]) for i, meta in INDICATORS.items()}, index=ids)
    sources = pd.DataFrame({i: f"https://example.org/{i}/obs" for i in INDICATORS}, index=ids)
    # A city without a value has no row in the observations: no year, no source.
    years, sources = years.where(values.notna()), sources.where(values.notna())
    bounded = pd.DataFrame(np.nan, index=ids, columns=values.columns)
    # Zurich is absent from the top-20 VC list (last value USD 31.2 bn) and the top-50 rank list.
    bounded.loc["zurich", "vc_capital"] = 31.2
    bounded.loc["zurich", "vc_rank"] = 50
    imputed = pd.DataFrame(False, index=ids, columns=values.columns)
    pillars = pd.DataFrame(
        {
            "name": ["Capital", "Firms", "Liveability", "Environment"],
            "dimension": ["TDP", "TDP", "ECC", "ECC"],
        },
        index=["capital", "firms", "liveability", "environment"],
    )
    base = FindingInputs(
        scores=scores,
        ranks=ranks,
        values=values,
        years=years,
        sources=sources,
        imputed=imputed,
        bounded=bounded,
        indicators=indicators.drop(columns="year"),
        cities=table[["name", "region", "population"]],
        pillars=pillars,
        year=2025,
    )
    return replace(base, **changes)


def findings_for(inputs: FindingInputs, spec: FindingsSpec = SAME_STAGE) -> list[Finding]:
    return compute_findings(inputs, assign_stages(inputs.scores, STAGES, axes=("TDP", "ECC")), spec)


def only(findings: list[Finding], **match: str) -> list[Finding]:
    return [f for f in findings if all(getattr(f, k) == v for k, v in match.items())]


def set_cell(frame: pd.DataFrame | None, city: str, column: str, value: Any) -> pd.DataFrame:
    assert frame is not None
    out = frame.copy()
    out.loc[city, column] = value
    return out


# ---------------------------------------------------------------------------------------------
# formatting


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (31.2, "USD bn", "USD 31.2 bn"),
        (1234.5, "USD bn", "USD 1,234 bn"),
        (400.0, "USD per capita", "USD 400"),
        (5212.4, "USD per capita", "USD 5,212"),
        (0.2234, "x", "0.22x"),
        (0.2, "x", "0.2x"),
        (5.0, "x", "5x"),
        (31.0, "% of population", "31%"),
        (3.14159, "% per year (compound annual)", "3.14%"),
        (-1.25, "% per year", "\u22121.25%"),
        (0.82, "share", "82%"),
        (26, "rank (1 = best, top 50 published)", "26th"),
        (1, "rank", "1st"),
        (2, "rank", "2nd"),
        (3, "rank", "3rd"),
        (11, "rank", "11th"),
        (22, "rank", "22nd"),
        (8.5, "rank", "8.5th"),
        (113482, "count (5-year total)", "113,482"),
        (72.44, "score", "72.4"),
        (15.0, "points", "15.0"),
        (5, "places", "5 places"),
        (1, "places", "1 place"),
        (5, "years", "5 years"),
        (65432.1, "US$ PPP per person (current prices)", "USD 65,432 (PPP)"),
        (12.345, "µg/m³", "12.3 µg/m³"),
        (0.0123, "Mbps (test-weighted mean)", "0.0123 Mbps"),
        (0.93, "per million people", "0.93"),
        (float("nan"), "USD bn", "n/a"),
        (None, "count", "n/a"),
    ],
)
def test_format_value(value: float | None, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


def test_per_capita_units() -> None:
    assert per_capita_unit("USD bn") == (1e9, "USD per capita", "per capita")
    assert per_capita_unit("USD m (2023 prices)") == (1e6, "USD per capita", "per capita")
    assert per_capita_unit("count") == (1e6, "per million people", "per million people")


# ---------------------------------------------------------------------------------------------
# gaps


def test_venture_capital_gap_with_natural_units() -> None:
    [gap] = only(findings_for(build_inputs()), city_id="hong_kong", subject="vc_capital")
    assert gap.kind == "gap"
    assert gap.subject_kind == "indicator"
    assert gap.comparison is not None
    assert gap.comparison.group_id == "same_stage"
    assert gap.comparison.name == "Growth-driven"
    assert gap.comparison.members == ("shenzhen", "shanghai", "beijing")
    city, peer, ratio = (gap.evidence_for(r) for r in ("city", "peer_median", "ratio"))
    assert city is not None
    assert peer is not None
    assert ratio is not None
    assert city.value == pytest.approx(3.0e9 / 7.5e6)  # USD bn to USD per capita
    assert peer.value == pytest.approx(130.3e9 / 25e6)  # Shanghai is the median peer
    assert ratio.value == pytest.approx(city.value / peer.value)
    assert city.unit == "USD per capita"
    assert city.year == 2023
    assert city.source_url == "https://example.org/vc_capital/obs"
    assert gap.magnitude == pytest.approx(math.log(ratio.value) / math.log(0.5))
    assert gap.sentence == (
        "On Venture capital raised per capita, Hong Kong stands at 0.077x the median of "
        "Growth-driven peers: USD 400 against USD 5,212 (2023)."
    )
    assert gap.clause == (
        "Venture capital raised per capita: USD 400 against a median of USD 5,212 (0.077x, 2023)"
    )
    assert gap.caveats == ()
    assert gap.flags == ()
    # Effect: the indicator's weight in the index (1/2 dimension x 1/2 pillar x 1/2 indicator)
    # times the gap on the 0-100 scale of the cities' values.
    values = [3.0e9 / 7.5e6, 130.3e9 / 25e6]
    per_capita = [v * 1e9 / CITIES[c][2] for c, v in zip(CITIES, VALUES["vc_capital"], strict=True)]
    lo, hi = np.nanmin(per_capita), np.nanmax(per_capita)
    gap_points = (values[1] - values[0]) / (hi - lo) * 100
    assert gap.salience.effect == pytest.approx(gap_points / 8)
    assert gap.salience.value == pytest.approx(gap_points / 8)


def test_filter_findings() -> None:
    findings = findings_for(build_inputs())
    vc = filter_findings(
        findings, city_id="hong_kong", kind="gap", subject={"vc_capital", "vc_rank", "capital"}
    )
    assert {f.subject for f in vc} == {"vc_capital", "vc_rank", "capital"}
    assert filter_findings(findings, group_id="top_n") == []
    assert len(filter_findings(findings, kind="stage")) == len(CITIES)


def test_gap_disappears_when_value_reaches_the_peer_median() -> None:
    inputs = build_inputs()
    stages = assign_stages(inputs.scores, STAGES, axes=("TDP", "ECC"))
    median = peer_median_of(inputs, stages, SAME_STAGE, "hong_kong", "vc_capital", raw=True)
    assert median.value == pytest.approx(130.3e9 / 25e6 * 7.5e6 / 1e9)
    closed = inputs.with_value("hong_kong", "vc_capital", median.value)
    assert only(findings_for(closed), city_id="hong_kong", subject="vc_capital") == []
    # Just above the gap threshold (half the peer median) there is still no gap; just below, one.
    half = median.value * 0.5
    assert (
        only(
            findings_for(inputs.with_value("hong_kong", "vc_capital", half * 1.01)),
            subject="vc_capital",
            city_id="hong_kong",
        )
        == []
    )
    assert (
        only(
            findings_for(inputs.with_value("hong_kong", "vc_capital", half)),
            subject="vc_capital",
            city_id="hong_kong",
        )[0].kind
        == "gap"
    )


def test_city_without_meaningful_gaps_gets_none() -> None:
    london = only(findings_for(build_inputs()), city_id="london")
    assert [f.kind for f in london] == ["stage"]


def test_pillar_gap_in_points() -> None:
    [gap] = only(findings_for(build_inputs()), city_id="hong_kong", subject="capital")
    assert gap.kind == "gap"
    assert gap.subject_kind == "pillar"
    assert gap.magnitude == pytest.approx(30 / 15)
    assert gap.sentence == (
        "Hong Kong scores 45.0 on the Capital pillar against a median of 75.0 among Growth-driven "
        "peers, 30.0 points lower."
    )


def test_direction_minus_one_rank_wording() -> None:
    [gap] = only(findings_for(build_inputs()), city_id="hong_kong", subject="vc_rank")
    assert gap.kind == "gap"
    assert gap.sentence == (
        "Hong Kong ranks 26th in PitchBook's VC ecosystem ranking against a median of 4th among "
        "Growth-driven peers (2024)."
    )
    difference = gap.evidence_for("difference")
    assert difference is not None
    assert (difference.value, difference.text) == (22, "22 places")
    normalised = gap.evidence_for("normalised_gap")
    assert normalised is not None
    # Zurich's bound sets the range of the 0-100 scale
    assert normalised.value == pytest.approx((26 - 4) / (50 - 1) * 100)


def test_direction_minus_one_ratio_wording() -> None:
    inputs = build_inputs()
    worse = inputs.with_value("hong_kong", "pm25", 80.0)
    [gap] = only(findings_for(worse), city_id="hong_kong", subject="pm25")
    assert gap.kind == "gap"
    assert gap.sentence == (
        "On PM2.5 concentration, where lower is better, Hong Kong stands at 2.3x the median of "
        "Growth-driven peers: 80 µg/m³ against 35 µg/m³ (2022)."
    )
    cleaner = inputs.with_value("hong_kong", "pm25", 12.0)
    [strength] = only(findings_for(cleaner), city_id="hong_kong", subject="pm25")
    assert strength.kind == "strength"
    assert "0.34x" in strength.sentence


def test_strength_is_the_converse() -> None:
    [strength] = only(findings_for(build_inputs()), city_id="hong_kong", subject="qol")
    assert strength.kind == "strength"
    # In the indicator's own units, never "normalised points".
    assert strength.sentence == (
        "On Quality of life index, Hong Kong is at 140 against a median of 120 among "
        "Growth-driven peers (2024), 20 higher."
    )


def test_missing_values_never_produce_a_finding_and_leave_the_peer_median() -> None:
    inputs = build_inputs()
    missing = inputs.with_value("hong_kong", "vc_capital", np.nan)
    assert only(findings_for(missing), city_id="hong_kong", subject="vc_capital") == []
    # A peer without a value drops out of the group; with two peers left there is no finding.
    thin = inputs.with_value("beijing", "unicorns", np.nan)
    assert only(findings_for(thin), city_id="hong_kong", subject="unicorns") == []
    [gap] = only(findings_for(inputs), city_id="hong_kong", subject="unicorns")
    assert gap.comparison is not None
    assert len(gap.comparison.members) == 3


def test_thin_peer_group_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    inputs = build_inputs().with_value("beijing", "unicorns", np.nan)
    with caplog.at_level(logging.INFO, logger="reportgen.analysis.findings"):
        findings_for(inputs)
    assert any(
        "unicorns" in r.getMessage() and "fewer than 3" in r.getMessage() for r in caplog.records
    )


def test_population_missing_means_no_per_capita_finding() -> None:
    cities = set_cell(build_inputs().cities, "hong_kong", "population", np.nan)
    assert (
        only(findings_for(build_inputs(cities=cities)), city_id="hong_kong", subject="vc_capital")
        == []
    )


def test_imputed_values_carry_a_caveat_and_stay_out_of_peer_medians() -> None:
    inputs = build_inputs()
    imputed = set_cell(inputs.imputed, "hong_kong", "unicorns", True)
    [gap] = only(
        findings_for(build_inputs(imputed=imputed)), city_id="hong_kong", subject="unicorns"
    )
    assert (
        "Unicorn companies: Hong Kong's value is an estimate, imputed (the median of the other "
        "cities), not observed." in gap.caveats
    )
    assert gap.flags == ("imputed",)
    assert gap.salience.quality == pytest.approx(0.5)
    city = gap.evidence_for("city")
    assert city is not None
    assert city.is_imputed
    peer_imputed = set_cell(inputs.imputed, "beijing", "unicorns", True)
    assert (
        only(
            findings_for(build_inputs(imputed=peer_imputed)),
            city_id="hong_kong",
            subject="unicorns",
        )
        == []
    )
    allowed = FindingsSpec(peer_groups=("same_stage",), include_imputed_peers=True)
    assert only(
        findings_for(build_inputs(imputed=peer_imputed), allowed),
        city_id="hong_kong",
        subject="unicorns",
    )


def test_old_values_carry_a_caveat() -> None:
    inputs = build_inputs()
    years = set_cell(inputs.years, "hong_kong", "vc_capital", 2016.0)
    [gap] = only(findings_for(build_inputs(years=years)), city_id="hong_kong", subject="vc_capital")
    assert (
        "Venture capital raised per capita: Hong Kong's value dates from 2016, more than 5 years "
        "before 2025." in gap.caveats
    )
    assert gap.salience.quality == pytest.approx(0.7)
    assert gap.sentence.endswith("(2016).")


def test_ties_at_the_threshold_count() -> None:
    inputs = build_inputs()
    # Unicorns: peers 20, 15, 40 give a median of 20; 10 is exactly half.
    [gap] = only(
        findings_for(inputs.with_value("hong_kong", "unicorns", 10.0)),
        city_id="hong_kong",
        subject="unicorns",
    )
    assert gap.kind == "gap"
    assert gap.magnitude == pytest.approx(1.0)
    # Shenzhen and Beijing tie with the same unicorn count: the median is still well defined.
    tied = inputs.with_value("shanghai", "unicorns", 40.0)
    [gap] = only(findings_for(tied), city_id="hong_kong", subject="unicorns")
    peer = gap.evidence_for("peer_median")
    assert peer is not None
    assert peer.value == 40.0


# ---------------------------------------------------------------------------------------------
# censored values (absent from a top-N list)


def _zurich_in_growth_group() -> FindingsSpec:
    return FindingsSpec.model_validate(
        {
            "peer_groups": ["hubs"],
            "named": {
                "hubs": {"name": "Hub", "members": ["zurich", "shenzhen", "shanghai", "beijing"]}
            },
        }
    )


def test_peer_median_bounds_with_censored_peers() -> None:
    exact = peer_median([10, 20, 30, 5], [False, False, False, True])
    assert (exact.value, exact.worst, exact.exact, exact.n_censored) == (15.0, 15.0, True, 1)
    loose = peer_median([10, 20, 30, 50], [False, False, False, True])
    assert (loose.value, loose.worst, loose.exact) == (25.0, 15.0, False)
    ranks = peer_median([3, 8, 50], [False, False, True], direction=-1)
    assert (ranks.value, ranks.worst, ranks.exact) == (8.0, 8.0, True)
    outside = peer_median([3, 50, 50, np.nan], [False, True, True, False], direction=-1)
    assert (outside.value, outside.worst, outside.n) == (50.0, math.inf, 3)


def test_censored_peer_with_a_large_best_case_per_capita() -> None:
    # Shenzhen left the list: its best case per capita (USD 31.2 bn / 12.4 m) is below the
    # median, so the median is exact and Hong Kong's gap stands.
    inputs = build_inputs()
    values = set_cell(inputs.values, "shenzhen", "vc_capital", np.nan)
    bounded = set_cell(inputs.bounded, "shenzhen", "vc_capital", 31.2)
    [gap] = only(
        findings_for(build_inputs(values=values, bounded=bounded)),
        city_id="hong_kong",
        subject="vc_capital",
    )
    assert gap.kind == "gap"
    assert any("1 of 3 peers is not in the published list" in c for c in gap.caveats)
    # Beijing out of the list too: the worst-case median is unbounded, so no gap is asserted.
    both = set_cell(values, "beijing", "vc_capital", np.nan)
    bounds = set_cell(bounded, "beijing", "vc_capital", 31.2)
    assert (
        only(
            findings_for(build_inputs(values=both, bounded=bounds)),
            city_id="hong_kong",
            subject="vc_capital",
        )
        == []
    )


def test_censored_city_gets_a_gap_only_when_its_best_case_is_far_below() -> None:
    spec = _zurich_in_growth_group()
    # Best case USD 31.2 bn over 1.4 m people = USD 22,286 per capita: no gap can be asserted,
    # and no strength either, since the true value may be far lower.
    assert only(findings_for(build_inputs(), spec), city_id="zurich", subject="vc_capital") == []
    inputs = build_inputs()
    small = set_cell(inputs.bounded, "zurich", "vc_capital", 2.0)
    [gap] = only(
        findings_for(build_inputs(bounded=small), spec), city_id="zurich", subject="vc_capital"
    )
    assert gap.kind == "gap"
    city = gap.evidence_for("city")
    bound = gap.evidence_for("bound")
    assert city is not None
    assert city.is_bounded
    assert city.value == pytest.approx(2.0e9 / 1.4e6)
    assert bound is not None
    assert bound.text == "USD 2 bn"
    assert gap.sentence == (
        "On Venture capital raised per capita, Zurich stands at most at 0.27x the median of Hub "
        "peers: at most USD 1,429 against USD 5,212 (2023), as it is not in the published list, "
        "whose lowest value is USD 2 bn."
    )
    assert any("not in the source's published list" in c for c in gap.caveats)


def test_censored_city_wording_without_per_capita() -> None:
    spec = _zurich_in_growth_group()
    indicators = build_inputs().indicators.copy()
    indicators["denominator"] = ""
    bounded = set_cell(build_inputs().bounded, "zurich", "vc_capital", 20.0)
    inputs = build_inputs(indicators=indicators, bounded=bounded)
    [gap] = only(findings_for(inputs, spec), city_id="zurich", subject="vc_capital")
    assert gap.sentence == (
        "On Venture capital raised, Zurich stands at most at 0.15x the median of Hub peers: it is "
        "not in the published list, whose lowest value is USD 20 bn, against a median of "
        "USD 130 bn (2023)."
    )
    city = gap.evidence_for("city")
    assert city is not None
    assert city.year == 2023  # the list's year, taken from the peers' rows
    assert city.source_url == "https://example.org/vc_capital"


def test_censored_city_never_gets_a_strength() -> None:
    spec = _zurich_in_growth_group()
    findings = only(findings_for(build_inputs(), spec), city_id="zurich", subject="vc_capital")
    assert findings == []


def test_censored_rank_wording() -> None:
    spec = _zurich_in_growth_group()
    [gap] = only(findings_for(build_inputs(), spec), city_id="zurich", subject="vc_rank")
    assert gap.sentence == (
        "Zurich ranks below 50th in PitchBook's VC ecosystem ranking, outside the published list, "
        "against a median of 4th among Hub peers (2024)."
    )


def test_no_gap_when_most_peers_are_censored() -> None:
    inputs = build_inputs()
    bounded = set_cell(inputs.bounded, "shenzhen", "vc_capital", 31.2)
    values = inputs.values.copy()
    for peer in ("shenzhen", "shanghai"):
        bounded.loc[peer, "vc_capital"] = 31.2
        values.loc[peer, "vc_capital"] = np.nan
    censored = build_inputs(values=values, bounded=bounded)
    assert only(findings_for(censored), city_id="hong_kong", subject="vc_capital") == []


# ---------------------------------------------------------------------------------------------
# peer groups


def test_peer_groups_region_top_n_and_named() -> None:
    spec = FindingsSpec(
        peer_groups=("same_region", "top_n", "asia"),
        top_n=5,
        named={"asia": ("shenzhen", "shanghai", "beijing", "bengaluru")},
    )
    findings = only(findings_for(build_inputs(), spec), city_id="hong_kong", subject="vc_capital")
    groups = {f.comparison.group_id: f.comparison for f in findings if f.comparison}
    assert groups["same_region"].name == "Asia"
    assert "hong_kong" not in groups["same_region"].members
    assert groups["asia"].name == "Asia"
    assert groups["top_n"].name == "top-5"
    assert set(groups["top_n"].members) <= {
        "london",
        "new_york",
        "bay_area",
        "seattle",
        "zurich",
        "stockholm",
        "beijing",
    }


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"peer_groups": ["nearby"]}, "unknown peer groups nearby"),
        ({"named": {"top_n": ["a", "b", "c"]}}, "reuse built-in names"),
        ({"publications": {"brief": {"peer_groups": ["nearby"]}}}, "unknown peer groups nearby"),
        ({"gap_ratio": 1.5}, "gap_ratio"),
        ({"publications": {"poster": {"n": 3}}}, "Extra inputs"),
    ],
)
def test_invalid_findings_sections(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FindingsSpec.model_validate(section)


def test_check_findings_names_unknown_cities() -> None:
    spec = FindingsSpec(named={"asia": ("shenzhen", "atlantis")}, scales={"qoll": "ratio"})
    problems = check_findings(spec, CITIES, ["qol"])
    assert any("atlantis" in p for p in problems)
    assert any("fewer than min_peers=3" in p for p in problems)
    assert any("unknown indicators: qoll" in p for p in problems)


def test_yaml_snippet_parses_and_partial_publication_keeps_defaults() -> None:
    snippet = """
    peer_groups: [same_stage, top_n, asia_hubs]
    named:
      asia_hubs: {name: Asian hubs, members: [singapore, shenzhen, hong_kong, tokyo, seoul]}
    gap_ratio: 0.5
    publications:
      spotlight: {n: 8, peer_groups: [asia_hubs]}
    """
    spec = FindingsSpec.model_validate(yaml.safe_load(snippet))
    assert spec.named_groups()["asia_hubs"][0] == "Asian hubs"
    assert spec.publications.spotlight.n == 8
    assert spec.publications.spotlight.lead == ("stage",)
    assert spec.publications.brief == FindingsSpec().publications.brief
    dumped = FindingsSpec().model_dump(mode="json")
    assert FindingsSpec.model_validate(dumped) == FindingsSpec()


# ---------------------------------------------------------------------------------------------
# stage, mover and data findings


def test_stage_finding_names_the_lever_and_probability() -> None:
    inputs = build_inputs()
    scores = inputs.scores
    draws = [np.tile(scores[d].to_numpy(), (4, 1)) for d in ("TDP", "ECC")]
    draws[1][0, 4] = 55.0  # one replication of four puts Hong Kong among the leaders
    probabilities = stage_probabilities(*draws, STAGES, city_ids=list(scores.index))
    [stage] = only(
        findings_for(build_inputs(stage_probabilities=probabilities)),
        city_id="hong_kong",
        kind="stage",
    )
    assert stage.subject == "growth_driven"
    assert stage.comparison is not None
    assert stage.comparison.name == "Balanced leader"
    assert stage.sentence == (
        "Hong Kong is in the Growth-driven stage: TDP 70.0 against a threshold of 50.0, ECC 40.0 "
        "against a threshold of 50.0. Reaching the Balanced leader stage takes 10.0 more ECC "
        "points; the largest lever is the Environment pillar, 35.0 against a Balanced leader "
        "median of 76.5, worth 20.8 ECC points (chiefly PM2.5 concentration)."
    )
    # Held in 75% of replications, above the borderline share: stated plainly, the share kept.
    probability = stage.evidence_for("probability")
    assert probability is not None
    assert probability.text == "75%"
    assert stage.salience.robustness == pytest.approx(0.75)
    assert stage.magnitude == pytest.approx(10.0)
    [top] = only(findings_for(inputs), city_id="london", kind="stage")
    assert top.sentence.endswith("ECC 80.0 against a threshold of 50.0.")


def test_movers_with_and_without_rank_intervals() -> None:
    inputs = build_inputs()
    previous_ranks = inputs.ranks.copy()
    previous_ranks.loc["hong_kong", "Overall"] += 4
    previous_ranks.loc["hong_kong", "TDP"] += 1
    previous_scores = inputs.scores.copy()
    previous_scores.loc["hong_kong", "Overall"] -= 3
    plain = build_inputs(previous_ranks=previous_ranks, previous_scores=previous_scores)
    movers = only(findings_for(plain), city_id="hong_kong", kind="mover")
    assert [m.subject for m in movers] == ["Overall"]
    rank = int(inputs.ranks.at["hong_kong", "Overall"])
    assert movers[0].sentence == (
        f"Hong Kong rose from {format_value(rank + 4, 'rank')} to {format_value(rank, 'rank')} "
        "in the "
        "Overall index (score 52.0 to 55.0), a move of 4 places."
    )
    no_scores = build_inputs(previous_ranks=previous_ranks)
    [bare] = only(findings_for(no_scores), city_id="hong_kong", kind="mover")
    assert "score" not in bare.sentence
    record = bare.evidence_for("previous_score")
    assert record is not None
    assert record.value is None
    low = pd.DataFrame(inputs.ranks - 1).clip(lower=1)
    high = pd.DataFrame(inputs.ranks + 5)
    narrow = build_inputs(
        previous_ranks=previous_ranks, previous_scores=previous_scores, rank_low=low, rank_high=high
    )
    assert (
        only(findings_for(narrow), city_id="hong_kong", kind="mover") == []
    )  # inside the interval
    tight = build_inputs(
        previous_ranks=previous_ranks,
        previous_scores=previous_scores,
        rank_low=inputs.ranks,
        rank_high=inputs.ranks,
    )
    # A collapsed interval (5th to 5th) says nothing about a move: a one-place move on TDP is no
    # longer a mover, the four-place move is, and no sentence prints "a range of 5th to 5th".
    subjects = {m.subject for m in only(findings_for(tight), city_id="hong_kong", kind="mover")}
    assert subjects == {"Overall"}
    [overall] = only(findings_for(tight), city_id="hong_kong", kind="mover", subject="Overall")
    assert "every replication of the uncertainty analysis" in overall.sentence
    assert "rank interval" not in overall.sentence


def test_data_finding_lists_imputed_censored_and_old_values() -> None:
    inputs = build_inputs()
    imputed = set_cell(inputs.imputed, "zurich", "qol", True)
    years = set_cell(inputs.years, "zurich", "pm25", 2015.0)
    [data] = only(
        findings_for(build_inputs(imputed=imputed, years=years)), city_id="zurich", kind="data"
    )
    assert data.sentence == (
        "Of Zurich's 5 indicator values, 1 is estimated by imputation (Quality of life index), 2 "
        "are only known to lie below a list's last value (Venture capital raised per capita; "
        "PitchBook's VC ecosystem ranking) and 1 is more than 5 years old (PM2.5 concentration)."
    )
    assert data.magnitude == pytest.approx(4 / 5)
    assert only(findings_for(inputs), city_id="london", kind="data") == []


# ---------------------------------------------------------------------------------------------
# every number a sentence prints is an evidence record's


def _all_findings() -> tuple[FindingInputs, list[Finding]]:
    inputs = build_inputs()
    previous_ranks = inputs.ranks.copy()
    previous_ranks.loc[["hong_kong", "zurich"], "Overall"] += 4
    imputed = set_cell(inputs.imputed, "zurich", "qol", True)
    years = set_cell(inputs.years, "bengaluru", "pm25", 2012.0)
    rich = build_inputs(
        previous_ranks=previous_ranks,
        previous_scores=inputs.scores - 2,
        imputed=imputed,
        years=years,
        stage_probabilities=pd.DataFrame(
            {"growth_driven": 0.8, "balanced_leader": 0.2, "emerging": 0.0, "co_benefit_led": 0.0},
            index=inputs.scores.index,
        ),
    )
    spec = FindingsSpec(
        peer_groups=("same_stage", "next_stage", "same_region", "top_n", "all"),
        subjects=("indicator", "pillar", "dimension"),
    )
    return rich, findings_for(rich, spec)


def test_every_number_in_a_sentence_is_an_evidence_value() -> None:
    inputs, findings = _all_findings()
    assert {f.kind for f in findings} == {"stage", "gap", "strength", "mover", "data"}
    names = [*inputs.cities["name"], *inputs.pillars["name"], "TDP", "ECC"]
    names += [f"{meta[0]} per capita" for meta in INDICATORS.values()]
    names += [meta[0] for meta in INDICATORS.values()]
    for finding in findings:
        texts = [e.text for e in finding.evidence]
        years = [str(e.year) for e in finding.evidence if e.year is not None]
        labels = [finding.subject_name]
        if finding.comparison is not None:
            labels.append(finding.comparison.name)
        labels += [f.subject_name for f in findings if f.subject_kind == "indicator"]
        rest = finding.sentence
        for piece in sorted({*texts, *years, *labels, *names}, key=len, reverse=True):
            rest = rest.replace(piece, "")
        assert not DIGITS.search(rest), (finding.sentence, rest)
        if finding.kind in ("gap", "strength"):
            for role in ("city", "peer_median"):
                record = finding.evidence_for(role)
                assert record is not None
                assert record.text in finding.sentence


def test_computation_is_pure_and_deterministic() -> None:
    inputs = build_inputs()
    before = inputs.values.copy()
    first = findings_for(inputs, FindingsSpec())
    second = findings_for(inputs, FindingsSpec())
    assert first == second
    pd.testing.assert_frame_equal(inputs.values, before)


# ---------------------------------------------------------------------------------------------
# selection and export


def test_select_brief_leads_with_stage_and_caps_kinds() -> None:
    _, findings = _all_findings()
    brief = select(findings, "brief", city_id="hong_kong")
    assert brief[0].kind == "stage"
    assert len(brief) <= 7
    assert sum(f.kind == "gap" for f in brief) <= 3
    gaps = [f for f in brief if f.kind == "gap"]
    assert [f.magnitude for f in gaps] == sorted((f.magnitude for f in gaps), reverse=True)
    assert all(f.comparison and f.comparison.group_id == "same_stage" for f in gaps)
    keys = [(f.kind, f.subject) for f in brief]
    assert len(keys) == len(set(keys))
    assert select(findings, "brief", n=2, city_id="hong_kong") == brief[:2]


def test_select_executive_summary_one_per_city() -> None:
    _, findings = _all_findings()
    summary = select(findings, "executive_summary")
    eligible = {f.city_id for f in findings if f.kind == "mover"} | {
        f.city_id
        for f in findings
        if f.kind in ("gap", "strength") and f.comparison and f.comparison.group_id == "same_stage"
    }
    assert len(summary) == min(8, len(eligible))
    assert len({f.city_id for f in summary}) == len(summary)
    assert all(f.kind in ("gap", "strength", "mover") for f in summary)


def test_select_breaks_ties_by_subject_id() -> None:
    _, findings = _all_findings()
    base = next(f for f in findings if f.kind == "gap")
    a = dataclasses.replace(base, subject="b_subject", magnitude=2.0, pillar="p1")
    b = dataclasses.replace(base, subject="a_subject", magnitude=2.0, pillar="p2")
    c = dataclasses.replace(base, subject="c_subject", magnitude=3.0, pillar="p3")
    chosen = select([a, b, c], "spotlight", n=3)
    assert [f.subject for f in chosen] == ["c_subject", "a_subject", "b_subject"]
    assert [f.subject for f in select([b, c, a], "spotlight", n=3)] == [
        "c_subject",
        "a_subject",
        "b_subject",
    ]
    # One gap per pillar in the spotlight: a second gap in p3 waits behind other pillars.
    d = dataclasses.replace(base, subject="d_subject", magnitude=2.5, pillar="p3")
    assert [f.subject for f in select([a, b, c, d], "spotlight", n=3)] == [
        "c_subject",
        "a_subject",
        "b_subject",
    ]
    context = dataclasses.replace(c, in_index=False)
    assert select([context], "executive_summary") == []
    assert select([context], "spotlight") == [context]
    with pytest.raises(ValueError, match="unknown publication"):
        select([a], "poster")


def test_spotlight_reads_a_named_group() -> None:
    spec = FindingsSpec.model_validate(
        {
            "named": {"asia": ["shenzhen", "shanghai", "beijing", "bengaluru"]},
            "publications": {"spotlight": {"peer_groups": ["asia"]}},
        }
    )
    findings = findings_for(build_inputs(), spec)
    spotlight = select(findings, "spotlight", spec=spec, city_id="hong_kong")
    compared = [f for f in spotlight if f.kind in ("gap", "strength")]
    assert compared
    assert all(f.comparison is not None for f in compared)
    assert {f.comparison.group_id for f in compared if f.comparison} == {"asia"}


def test_findings_frame_exports_every_record() -> None:
    _, findings = _all_findings()
    frame = findings_frame(findings)
    assert len(frame) == len(findings)
    assert list(frame.columns[:3]) == ["city_id", "kind", "subject"]
    row = frame[(frame["city_id"] == "hong_kong") & (frame["subject"] == "vc_capital")].iloc[0]
    assert row["unit"] == "USD per capita"
    assert row["year"] == 2023
    evidence = json.loads(row["evidence"])
    assert {e["role"] for e in evidence} >= {"city", "peer_median", "ratio"}
    assert all("text" in e for e in evidence)
    assert findings_frame([]).columns.tolist() == frame.columns.tolist()


# ---------------------------------------------------------------------------------------------
# grammar, salience order, borderline stages


INDICATOR_TEMPLATES = [
    k
    for k in TEMPLATES
    if k.startswith(("ratio", "rank", "points", "clause_ratio", "clause_rank", "clause_points"))
    or k == "clause_censored"
]


@pytest.mark.parametrize("template", INDICATOR_TEMPLATES)
def test_indicator_templates_hold_for_every_indicator_name(template: str) -> None:
    # Every indicator of the bundled data, by the label findings use: the grammar must not
    # depend on the name (no "Unicorns is", no doubled words or stray spaces).
    indicators = pd.read_csv(Path(__file__).resolve().parent.parent / "data" / "indicators.csv")
    for _, row in indicators.iterrows():
        label = str(row["short_name"] if isinstance(row["short_name"], str) else row["name"])
        fill = {
            "label": label,
            "city": "São Paulo",
            "group": "Growth-driven",
            "value": "26th",
            "peer": "7.5th",
            "year": " (2024)",
            "year_paren": " (2024)",
            "ratio": "0.23x",
            "difference": "5.9",
            "bound": "USD 31.2 bn",
            "side": "lower",
        }
        sentence = TEMPLATES[template].format(**fill)
        assert label in sentence
        for wrong in (f"{label} is ", f"{label} are ", "  ", " ,", "..", "{", "}"):
            assert wrong not in sentence, (wrong, sentence)
        if not template.startswith("clause"):
            assert sentence.endswith(".")
            assert "Growth-driven" in sentence  # every comparison names its peer group


def test_salience_order_does_not_depend_on_row_order() -> None:
    inputs = build_inputs()
    order = list(np.random.default_rng(7).permutation(list(CITIES)))
    frames = {
        name: getattr(inputs, name).loc[order]
        for name in (
            "scores",
            "ranks",
            "values",
            "cities",
            "years",
            "sources",
            "imputed",
            "bounded",
        )
    }
    shuffled = replace(inputs, **frames)
    spec = FindingsSpec(peer_groups=("same_stage", "top_n"))

    def key(f: Finding) -> tuple[Any, ...]:
        group = f.comparison.group_id if f.comparison else ""
        return (f.city_id, f.kind, f.subject, group, round(f.salience.value, 9), f.sentence)

    first, second = findings_for(inputs, spec), findings_for(shuffled, spec)
    assert sorted(map(key, first)) == sorted(map(key, second))
    for city in CITIES:
        assert [key(f) for f in select(first, "brief", spec=spec, city_id=city)] == [
            key(f) for f in select(second, "brief", spec=spec, city_id=city)
        ]
    assert [key(f) for f in select(first, "executive_summary", spec=spec)] == [
        key(f) for f in select(second, "executive_summary", spec=spec)
    ]


def test_a_borderline_stage_says_so_with_its_probability() -> None:
    inputs = build_inputs()
    probabilities = pd.DataFrame(
        {"growth_driven": 0.3, "balanced_leader": 0.7, "emerging": 0.0, "co_benefit_led": 0.0},
        index=inputs.scores.index,
    )
    [stage] = only(
        findings_for(build_inputs(stage_probabilities=probabilities)),
        city_id="hong_kong",
        kind="stage",
    )
    assert stage.sentence.startswith(
        "Hong Kong's stage, Growth-driven, is borderline (30% of runs): TDP 70.0"
    )
    assert "The uncertainty analysis places it" not in stage.sentence
    assert stage.salience.robustness == pytest.approx(0.3)


def test_imputed_values_behind_a_stage_are_said() -> None:
    inputs = build_inputs()
    imputed = set_cell(inputs.imputed, "hong_kong", "pm25", True)
    [stage] = only(findings_for(build_inputs(imputed=imputed)), city_id="hong_kong", kind="stage")
    assert stage.flags == ("imputed",)
    assert (
        "Estimates, imputed (the median of the other cities), not observed: PM2.5 concentration."
        in stage.caveats
    )


def test_shared_values_are_flagged_discounted_and_said() -> None:
    inputs = build_inputs()
    shared = pd.DataFrame(False, index=inputs.values.index, columns=inputs.values.columns)
    shared.loc["hong_kong", "qol"] = True
    shared_with = pd.DataFrame("", index=shared.index, columns=shared.columns)
    shared_with.loc["hong_kong", "qol"] = "shenzhen"
    [strength] = only(
        findings_for(replace(inputs, shared=shared, shared_with=shared_with)),
        city_id="hong_kong",
        subject="qol",
    )
    assert strength.flags == ("shared",)
    assert strength.salience.quality == pytest.approx(FindingsSpec().salience.shared)
    assert strength.caveats == (
        "Quality of life index: one published value covers Hong Kong and Shenzhen; it is not "
        "Hong Kong's own.",
    )


def test_a_group_without_peers_gives_no_finding() -> None:
    spec = FindingsSpec.model_validate(
        {"peer_groups": ["nowhere"], "named": {"nowhere": {"name": "Nowhere", "members": []}}}
    )
    findings = findings_for(build_inputs(), spec)
    assert findings
    assert filter_findings(findings, group_id="nowhere") == []
