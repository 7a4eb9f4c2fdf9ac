"""Issue 17 on the data side: shared cluster values, citations, data years and coverage."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen.config import Edition
from reportgen.data.citation import Citation, citation, host, observation_citations, republisher
from reportgen.data.coverage import coverage, data_years, screened_out
from reportgen.data.load import Dataset
from reportgen.data.panel import Panel, make_panel
from reportgen.data.shared import SHARED_MODES, apply_shared_values, split_shares
from reportgen.data.validate import load_inputs
from reportgen.errors import MethodError
from reportgen.pipeline import compute_edition, index_indicators

DATA = Path(__file__).resolve().parent.parent / "data"
GBA = ["shenzhen", "hong_kong", "guangzhou"]
GII = ["gii_cluster_pubs", "gii_cluster_pct"]


@pytest.fixture(scope="module")
def bundled() -> tuple[Dataset, Edition]:
    return load_inputs(DATA)


@pytest.fixture(scope="module")
def panel(bundled: tuple[Dataset, Edition]) -> Panel:
    dataset, edition = bundled
    return make_panel(dataset, edition.year, edition.max_data_age)


# ---- shared values ---------------------------------------------------------------------------


def test_panel_exposes_the_shared_unit(panel: Panel) -> None:
    assert panel.shared_mode == "whole"
    assert int(panel.shared.to_numpy().sum()) == 6
    assert panel.shared.loc[GBA, GII].to_numpy().all()
    assert panel.shared_with.loc["hong_kong", "gii_cluster_pct"] == "shenzhen;guangzhou"
    assert pd.isna(panel.shared_with.loc["singapore", "gii_cluster_pct"])
    assert panel.values.loc[GBA, "gii_cluster_pct"].tolist() == [113482.0] * 3


def test_whole_leaves_the_panel_unchanged(panel: Panel) -> None:
    whole = apply_shared_values(panel, "whole")
    pd.testing.assert_frame_equal(whole.values, panel.values)
    assert whole.shared_mode == "whole"


def test_split_values_sum_to_the_unit_total_in_population_shares(panel: Panel) -> None:
    split = apply_shared_values(panel, "split")
    population = panel.cities.loc[GBA, "population"].astype(float)
    for indicator in GII:
        total = panel.values.loc["hong_kong", indicator]
        assert split.values.loc[GBA, indicator].sum() == pytest.approx(total, rel=1e-12)
        # hand-computed: Hong Kong's share is its population over the three cities'
        expected = total * population["hong_kong"] / population.sum()
        assert split.values.loc["hong_kong", indicator] == pytest.approx(expected, rel=1e-12)
        assert "estimate" in split.notes.loc["hong_kong", indicator]
    # nothing else moves
    others = panel.values.drop(index=GBA)
    pd.testing.assert_frame_equal(split.values.drop(index=GBA), others)
    assert split.shared_mode == "split"


def test_split_shares_by_hand() -> None:
    index = pd.Index(["a", "b", "c"], name="city_id")
    shared_with = pd.DataFrame({"x": ["b", "a", pd.NA]}, index=index, dtype="str").rename_axis(
        columns="indicator_id"
    )
    shares = split_shares(shared_with, pd.Series({"a": 1.0, "b": 3.0, "c": 9.0}))
    assert shares.loc["a", "x"] == 0.25
    assert shares.loc["b", "x"] == 0.75
    assert np.isnan(shares.loc["c", "x"])
    with pytest.raises(MethodError, match="population"):
        split_shares(shared_with, pd.Series({"a": 1.0, "b": np.nan, "c": 9.0}))


def test_drop_leaves_nan_and_no_bound(panel: Panel) -> None:
    dropped = apply_shared_values(panel, "drop")
    assert dropped.values.loc[GBA, GII].isna().to_numpy().all()
    assert dropped.bounds.loc[GBA, GII].isna().to_numpy().all()  # missing, so imputed
    assert dropped.values.drop(index=GBA)[GII].equals(panel.values.drop(index=GBA)[GII])


def test_unknown_mode_is_refused(panel: Panel) -> None:
    with pytest.raises(MethodError, match="whole, split, drop"):
        apply_shared_values(panel, "halve")


# Hong Kong's overall rank under each treatment (bundled 2026 edition, no Monte Carlo). The
# spotlight prints these three; change them only with a data or method change.
HONG_KONG_RANKS = {"whole": 9, "split": 24, "drop": 24}


@pytest.mark.parametrize("mode", SHARED_MODES)
def test_hong_kong_rank_under_each_treatment(bundled: tuple[Dataset, Edition], mode: str) -> None:
    dataset, edition = bundled
    variant = edition.model_copy(update={"shared_values": mode})
    result = compute_edition(dataset, variant, uncertainty=False, previous=False)
    assert result.panel.shared_mode == mode
    assert int(result.ranks.loc["hong_kong", "Overall"]) == HONG_KONG_RANKS[mode]
    assert result.shared_ranks is not None
    assert result.shared_ranks.loc["hong_kong"].to_dict() == HONG_KONG_RANKS


def test_the_bundled_edition_splits(bundled: tuple[Dataset, Edition]) -> None:
    assert bundled[1].shared_values == "split"


# ---- citations -------------------------------------------------------------------------------

REPUBLISHER_HOSTS = {
    "github.com", "beckershospitalreview.com", "hoodline.com", "zerohedge.com", "fliphtml5.com",
    "scribd.com", "axios.com", "treehugger.com", "bebeez.eu", "business-standard.com",
}  # fmt: skip


def test_every_observation_cites_its_original_publisher(
    bundled: tuple[Dataset, Edition],
) -> None:
    dataset = bundled[0]
    cites = observation_citations(dataset)
    assert len(cites) == len(dataset.observations)
    for cite, url in zip(cites, dataset.observations["source_url"], strict=True):
        assert isinstance(cite, Citation)
        assert cite.publisher
        assert cite.title
        assert cite.url == url
        words = cite.publisher.lower()
        assert not any(h.split(".")[0] in words for h in REPUBLISHER_HOSTS), cite
        assert host(url) not in words
        if host(url) in REPUBLISHER_HOSTS:
            assert cite.republished_by, cite
        assert str(cite).startswith(cite.publisher + ", ")


def test_the_three_citations_the_issue_quotes(bundled: tuple[Dataset, Edition]) -> None:
    dataset = bundled[0]
    cites = observation_citations(dataset)
    obs = dataset.observations

    def first(indicator: str) -> str:
        return str(cites[obs.index[obs["indicator_id"] == indicator][0]])

    assert first("vc_ecosystem_rank").startswith(
        "PitchBook, Global VC Ecosystem Rankings 2024 (top 50 list), as republished by "
        "Becker's Hospital Review, https://www.beckershospitalreview.com/"
    )
    assert first("tech_talent_band").startswith(
        "CBRE, Global Tech Talent Guidebook 2025, as republished by ZeroHedge, https://"
    )
    assert first("who_pm25_annual_mean").startswith(
        "World Health Organization, Ambient Air Quality Database V8.0 (June 2026), as "
        "republished by the GitHub repository KR48VR/master-of-all-indices, https://github.com/"
    )


def test_a_publisher_on_its_own_site_has_no_republisher() -> None:
    assert republisher("https://www.numbeo.com/quality-of-life/", "numbeo.com") is None
    assert republisher("https://startupgenome.com/report", "startupgenome.com") is None
    assert republisher("https://news.example.org/a", "numbeo.com") == "news.example.org"
    row = {"publisher": "Numbeo", "publication": "Quality of Life Index", "publisher_domain": "x"}
    cite = citation(row, "https://www.numbeo.com/a", 2024, publisher=None)
    assert str(cite) == "Numbeo, Quality of Life Index, 2024, as republished by numbeo.com, " + (
        "https://www.numbeo.com/a"
    )
    # a row's own publisher wins over the indicator's
    assert citation(row, "https://a.org", 2021, publisher="ONS").publisher == "ONS"


# ---- data years and coverage -----------------------------------------------------------------


def test_data_years_per_pillar(panel: Panel) -> None:
    table = data_years(panel)
    assert list(table.index) == [
        "science", "innovation", "firms", "capital", "talent",
        "prosperity", "inclusion", "liveability", "environment", "openness",
    ]  # fmt: skip
    assert table.loc["prosperity", ["first_year", "last_year", "max_age"]].tolist() == [
        2016,
        2016,
        10,
    ]
    assert table.loc["environment", ["first_year", "last_year"]].tolist() == [2018, 2024]
    assert table.loc["talent", "last_year"] == 2025
    assert (table["first_year"] >= table["oldest_allowed"]).all()
    assert str(table["first_year"].dtype) == "Int64"


def test_max_age_per_indicator_drops_older_values(bundled: tuple[Dataset, Edition]) -> None:
    dataset = bundled[0]
    # prosperity allows 10 years: the 2016 Brookings values are gone in a 2027 panel
    later = make_panel(dataset, 2027, 10)
    assert "gmm_gdp_per_capita_ppp" not in later.values.columns
    indicators = dataset.indicators.copy()
    indicators.loc[indicators["indicator_id"] == "who_pm25_annual_mean", "max_age"] = 5
    tighter = make_panel(dataclasses.replace(dataset, indicators=indicators), 2026, 10)
    years = tighter.years["who_pm25_annual_mean"].dropna()
    assert years.min() >= 2021
    # Taipei's 2018 value is too old for a 5-year limit
    assert np.isnan(tighter.values.loc["taipei", "who_pm25_annual_mean"])


def test_coverage_names_the_cities_a_screen_removes(panel: Panel) -> None:
    scored = list(index_indicators(panel.indicators.reset_index())["indicator_id"])
    assert len(scored) == 21
    table = coverage(panel, scored)
    assert list(table.columns) == ["observed", "of", "share"]
    assert (table["of"] == 21).all()
    # hand count: Dubai lacks 8 of the 21 scored values in 2026
    assert table.loc["dubai", "observed"] == 13
    assert table.loc["dubai", "share"] == pytest.approx(13 / 21)
    assert list(screened_out(table, 0.5).index) == []
    assert list(screened_out(table, 0.65).index) == ["dubai", "sao_paulo"]
