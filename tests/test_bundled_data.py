"""Facts about the curated data in data/ that break if curation goes wrong (pandas, no loader)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared" / "data" / "cities"

CITY_COLUMNS = [
    "city_id", "name", "name_zh", "country", "iso3", "region", "lat", "lon",
    "population", "population_year", "population_source_url",
]  # fmt: skip
INDICATOR_COLUMNS = [
    "indicator_id", "dimension", "pillar", "name", "short_name", "unit", "direction", "weight",
    "role", "denominator", "min", "max", "list_threshold", "absence_note", "max_age",
    "definition", "source_name", "source_url", "publisher", "publication", "publisher_domain",
]  # fmt: skip
OBSERVATION_COLUMNS = [
    "city_id", "indicator_id", "year", "value", "source_url", "note", "shared_with", "publisher",
]  # fmt: skip

# Rows whose value was computed during curation (none so far) must say so in their note.
DERIVED_MARKER = "derived in reportgen curation"
GBA_CITIES = ["shenzhen", "hong_kong", "guangzhou"]
GII_INDICATORS = ["gii_cluster_pct", "gii_cluster_pubs"]
EDITION_YEAR, PREVIOUS_YEAR, MAX_DATA_AGE = 2026, 2025, 10
# Supplement files copied in full (the US-only later-stage VC file is not used, see README).
SUPPLEMENT = (
    "supplement/a_supp_dealroom_vc_invested_l12m.csv",
    "supplement/b_oecd_metro_gdp_pc_ppp.csv",
    "supplement/b_wb_citystate_gdp_pc_ppp.csv",
)


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def cities() -> pd.DataFrame:
    return _read("cities.csv")


@pytest.fixture(scope="module")
def indicators() -> pd.DataFrame:
    frame = _read("indicators.csv")
    for column in ("direction", "weight"):
        frame[column] = pd.to_numeric(frame[column])
    return frame


@pytest.fixture(scope="module")
def observations() -> pd.DataFrame:
    frame = _read("observations.csv")
    frame["year"] = pd.to_numeric(frame["year"])
    frame["number"] = pd.to_numeric(frame["value"])
    return frame


@pytest.fixture(scope="module")
def edition() -> dict[str, object]:
    loaded = yaml.safe_load((DATA / "edition.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _pillars(edition: dict[str, object]) -> pd.DataFrame:
    framework = edition["framework"]
    assert isinstance(framework, dict)
    return pd.DataFrame(framework["pillars"])


def _pick(observations: pd.DataFrame, year: int) -> pd.DataFrame:
    """What the loader uses for an edition: latest year <= edition year, within max_data_age."""
    usable = observations[
        (observations["year"] <= year) & (observations["year"] >= year - MAX_DATA_AGE)
    ]
    return usable.sort_values("year").groupby(["city_id", "indicator_id"]).tail(1)


# ---- file formats -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("cities.csv", CITY_COLUMNS),
        ("indicators.csv", INDICATOR_COLUMNS),
        ("observations.csv", OBSERVATION_COLUMNS),
    ],
)
def test_columns_are_exactly_the_agreed_ones(name: str, columns: list[str]) -> None:
    assert list(_read(name).columns) == columns


def test_values_are_plain_numbers(observations: pd.DataFrame) -> None:
    plain = observations["value"].str.fullmatch(r"-?\d+(\.\d+)?")
    assert plain.all(), observations.loc[~plain, ["city_id", "indicator_id", "value"]]


# ---- sources and keys ---------------------------------------------------------------------


def test_every_observation_has_a_source_url(observations: pd.DataFrame) -> None:
    assert observations["source_url"].str.match(r"https?://\S+$").all()


def test_every_indicator_and_city_population_has_a_source(
    indicators: pd.DataFrame, cities: pd.DataFrame
) -> None:
    assert (indicators["source_name"] != "").all()
    assert indicators["source_url"].str.match(r"https?://\S+$").all()
    with_population = cities[cities["population"] != ""]
    assert with_population["population_source_url"].str.match(r"https?://").all()


def test_no_duplicate_city_indicator_year(observations: pd.DataFrame) -> None:
    duplicated = observations.duplicated(["city_id", "indicator_id", "year"], keep=False)
    assert not duplicated.any(), observations.loc[duplicated]


def test_ids_are_unique_and_references_exist(
    cities: pd.DataFrame, indicators: pd.DataFrame, observations: pd.DataFrame
) -> None:
    assert cities["city_id"].is_unique
    assert indicators["indicator_id"].is_unique
    assert set(observations["city_id"]) <= set(cities["city_id"])
    assert set(observations["indicator_id"]) <= set(indicators["indicator_id"])
    # every indicator has data
    assert set(indicators["indicator_id"]) == set(observations["indicator_id"])


# ---- framework ----------------------------------------------------------------------------


def test_pillars_are_declared_and_none_is_empty(
    indicators: pd.DataFrame, edition: dict[str, object]
) -> None:
    pillars = _pillars(edition)
    assert pillars["id"].is_unique
    declared = dict(zip(pillars["id"], pillars["dimension"], strict=True))
    for row in indicators.itertuples():
        assert row.pillar in declared, f"{row.indicator_id}: pillar {row.pillar} not declared"
        assert declared[row.pillar] == row.dimension, row.indicator_id
    scored = indicators[(indicators["role"] == "index") & (indicators["weight"] > 0)]
    assert set(declared) == set(scored["pillar"]), "a declared pillar has no index indicator"
    assert (pillars["weight"] > 0).all()


def test_dimensions(edition: dict[str, object], indicators: pd.DataFrame) -> None:
    framework = edition["framework"]
    assert isinstance(framework, dict)
    ids = [dimension["id"] for dimension in framework["dimensions"]]
    assert ids == ["TDP", "ECC"]
    assert set(indicators["dimension"]) == {"TDP", "ECC"}
    assert set(_pillars(edition)["dimension"]) == {"TDP", "ECC"}


def test_indicator_fields(indicators: pd.DataFrame) -> None:
    assert set(indicators["direction"]) <= {1, -1}
    assert set(indicators["role"]) <= {"index", "context"}
    assert set(indicators["denominator"]) <= {"", "population"}
    assert (indicators["weight"] >= 0).all()
    assert (indicators["short_name"].str.len().between(1, 28)).all()
    assert (indicators["definition"].str.len() > 20).all()
    # context indicators never enter the aggregate
    assert (indicators.loc[indicators["role"] == "context", "weight"] == 0).all()
    for column in ("min", "max", "list_threshold"):
        filled = indicators.loc[indicators[column] != "", column]
        pd.to_numeric(filled)  # raises if not numeric
    assert (indicators["min"] != "").all()


def test_index_weights_sum_to_one_per_pillar(indicators: pd.DataFrame) -> None:
    scored = indicators[indicators["role"] == "index"]
    sums = scored.groupby("pillar")["weight"].sum()
    assert all(math.isclose(total, 1.0) for total in sums), sums


def test_edition_header(edition: dict[str, object], cities: pd.DataFrame) -> None:
    assert edition["year"] == EDITION_YEAR
    assert edition["previous_year"] == PREVIOUS_YEAR
    assert edition["max_data_age"] == MAX_DATA_AGE
    assert edition["spotlight_city"] in set(cities["city_id"])
    assert edition["subtitle"] == (
        "Technology Development Potential and Ecosystem Co-Benefit Capacity"
    )
    text = (DATA / "edition.yaml").read_text(encoding="utf-8")
    assert "# build, stages, findings and uncertainty sections follow" in text


# ---- values -------------------------------------------------------------------------------


def test_values_within_declared_range(indicators: pd.DataFrame, observations: pd.DataFrame) -> None:
    bounds = indicators.set_index("indicator_id")[["min", "max"]]
    merged = observations.join(bounds, on="indicator_id")
    low = pd.to_numeric(merged["min"].replace("", None))
    high = pd.to_numeric(merged["max"].replace("", None))
    outside = (merged["number"] < low) | (high.notna() & (merged["number"] > high))
    assert not outside.any(), merged.loc[outside, ["city_id", "indicator_id", "value"]]


def test_ranks_are_ordinal_lower_is_better(
    indicators: pd.DataFrame, observations: pd.DataFrame
) -> None:
    ranks = indicators[indicators["unit"].str.startswith("rank")]
    assert set(ranks["indicator_id"]) == {"vc_ecosystem_rank", "gser_rank"}
    assert (ranks["direction"] == -1).all()
    values = observations[observations["indicator_id"].isin(ranks["indicator_id"])]["number"]
    assert (values == values.round()).all()
    assert (values >= 1).all()


def test_gba_cities_share_one_wipo_cluster_value(observations: pd.DataFrame) -> None:
    for indicator in GII_INDICATORS:
        rows = observations[
            (observations["indicator_id"] == indicator) & observations["city_id"].isin(GBA_CITIES)
        ]
        assert sorted(rows["city_id"]) == sorted(GBA_CITIES)
        assert rows["number"].nunique() == 1, f"{indicator}: GBA values differ"
        assert rows["note"].str.contains("Shenzhen–Hong Kong–Guangzhou").all()
        assert rows["note"].str.contains("same value assigned").all()
        for _, row in rows.iterrows():  # recorded as one unit, so no city counts it as its own
            assert sorted(row["shared_with"].split(";")) == sorted(
                c for c in GBA_CITIES if c != row["city_id"]
            )


def test_only_the_gba_wipo_cluster_is_shared(observations: pd.DataFrame) -> None:
    """Every other value common to two cities is a coincidence of rounding or a band, not one
    unit's total: the only multi-city unit among our 30 cities is WIPO's Shenzhen-Hong
    Kong-Guangzhou cluster (the Bay Area is one city here; Singapore's SG/MY cluster and
    Tel Aviv-Jerusalem hold one of our cities each)."""
    shared = observations[observations["shared_with"] != ""]
    assert sorted(shared["indicator_id"].unique()) == sorted(GII_INDICATORS)
    assert set(shared["city_id"]) == set(GBA_CITIES)


PITCHBOOK_TOP20 = ["vc_capital_raised_6y", "vc_deal_count_6y", "vc_exit_value_6y"]


def test_list_thresholds_only_where_the_list_is_ordered_by_the_value(
    indicators: pd.DataFrame,
) -> None:
    """Ranks keep their bound (absence from a top-50 ranking means below 50th). PitchBook's top
    20 (ordered by its ecosystem ranking) and WIPO's clusters (a combined score) bound no single
    component, so those indicators have no threshold and say what absence means instead."""
    table = indicators.set_index("indicator_id")
    thresholds = table["list_threshold"]
    assert float(thresholds["vc_ecosystem_rank"]) == 50
    assert float(thresholds["gser_rank"]) == 40
    assert set(thresholds[thresholds != ""].index) == {"vc_ecosystem_rank", "gser_rank"}
    for indicator in [*GII_INDICATORS, *PITCHBOOK_TOP20, "vc_ecosystem_rank", "gser_rank"]:
        assert table.loc[indicator, "absence_note"], indicator
    for indicator in [*GII_INDICATORS, *PITCHBOOK_TOP20]:
        assert "Treated as missing" in table.loc[indicator, "absence_note"]
    assert "Tel Aviv USD 21.0 bn" in table.loc["vc_capital_raised_6y", "absence_note"]


def test_every_bound_is_a_true_bound(indicators: pd.DataFrame, observations: pd.DataFrame) -> None:
    """No listed value lies beyond the bound that absent cities get: for a higher-is-better
    list every listed value is >= the threshold, for a rank (lower is better) <= it."""
    kept = indicators[indicators["list_threshold"] != ""]
    assert len(kept) > 0
    for _, row in kept.iterrows():
        bound = float(row["list_threshold"])
        listed = observations.loc[observations["indicator_id"] == row["indicator_id"], "number"]
        assert len(listed) > 0
        wrong = listed[listed < bound] if row["direction"] == 1 else listed[listed > bound]
        assert wrong.empty, (row["indicator_id"], bound, wrong.tolist())


def test_the_removed_bounds_were_not_bounds(observations: pd.DataFrame) -> None:
    """Why the PitchBook and WIPO thresholds went: listed values below the last listed one."""

    def values(indicator: str) -> pd.Series:
        rows = observations[observations["indicator_id"] == indicator]
        return rows.set_index("city_id")["number"]

    capital = values("vc_capital_raised_6y")
    assert capital["tel_aviv"] == 21.0 < capital["berlin"] == 31.2
    articles = values("gii_cluster_pubs")
    assert articles["seattle"] == 20322 < articles["singapore"] == 36803


def test_hong_kong_venture_capital_is_scored(
    indicators: pd.DataFrame, observations: pd.DataFrame
) -> None:
    table = indicators.set_index("indicator_id")
    vc = ["vc_capital_raised_6y", "vc_deal_count_6y", "vc_exit_value_6y", "vc_ecosystem_rank"]
    assert (table.loc[vc, "role"] == "index").all()
    assert (table.loc[vc, "weight"] > 0).all()
    # censoring bounds are in raw units; a per-capita divide would turn "below the list" into a
    # high per-resident value for small cities (Taipei, Zurich, Amsterdam), so none is used here
    assert (table.loc[table["list_threshold"] != "", "denominator"] == "").all()
    hong_kong = observations[observations["city_id"] == "hong_kong"]
    # outside the PitchBook top 20: no value; the list bounds no component, so it is imputed
    assert not hong_kong["indicator_id"].isin(vc[:3]).any()
    rank = hong_kong[hong_kong["indicator_id"] == "vc_ecosystem_rank"]["number"]
    assert rank.tolist() == [26]


def test_readme_counts_the_scored_indicators(indicators: pd.DataFrame) -> None:
    scored = int((indicators["role"] == "index").sum())
    context = int((indicators["role"] == "context").sum())
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert f"In all, {scored} indicators are scored and {context} are context" in readme
    assert f"{len(indicators)} indicators in two dimensions" in readme


def test_supplement_indicators_are_context_on_their_own_price_basis(
    indicators: pd.DataFrame,
) -> None:
    """Dealroom VC (14 cities, not censored) and the OECD and World Bank GDP series (different
    price bases from Brookings and from each other) are shown, never scored or spliced."""
    table = indicators.set_index("indicator_id")
    for indicator in (
        "dealroom_vc_invested_l12m",
        "oecd_metro_gdp_pc_ppp_real",
        "wb_gdp_pc_ppp_const2021_citystate",
    ):
        assert table.loc[indicator, "role"] == "context"
        assert table.loc[indicator, "weight"] == 0
        assert table.loc[indicator, "list_threshold"] == ""


def test_max_age_is_one_value_per_pillar(indicators: pd.DataFrame) -> None:
    ages = indicators.groupby("pillar")["max_age"].nunique()
    assert (ages == 1).all(), ages[ages > 1]
    by_pillar = indicators.groupby("pillar")["max_age"].first().astype(int)
    assert by_pillar["prosperity"] == 10  # Brookings 2016: the oldest pillar, stated as such
    assert by_pillar.drop(["prosperity", "environment", "openness"]).eq(5).all()


def test_citation_columns_name_the_original_publisher(
    indicators: pd.DataFrame, observations: pd.DataFrame
) -> None:
    assert (indicators["publisher"] != "").all()
    assert (indicators["publication"] != "").all()
    assert (indicators["publisher_domain"] != "").all()
    foreign = observations[observations["indicator_id"] == "foreign_born_share_pct"]
    assert (foreign["publisher"] != "").all()  # one publisher per city: census offices, OECD


def test_bay_area_population_is_the_sum_of_two_un_agglomerations(cities: pd.DataFrame) -> None:
    bay = cities.set_index("city_id").loc["sf_bay_area"]
    assert int(bay["population"]) == 3_314_000 + 1_791_000  # San Francisco-Oakland + San Jose
    assert bay["population_year"] == "2020"
    assert "WUP2018-F22" in bay["population_source_url"]
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "3,314" in readme
    assert "1,791" in readme
    assert (cities["population"] != "").all()


def test_index_indicators_have_data_in_both_editions(
    indicators: pd.DataFrame, observations: pd.DataFrame
) -> None:
    """The framework is the same in the 2025 and 2026 editions: no scored indicator is empty."""
    censored = set(indicators.loc[indicators["list_threshold"] != "", "indicator_id"])
    scored = indicators.loc[indicators["role"] == "index", "indicator_id"]
    for year in (PREVIOUS_YEAR, EDITION_YEAR):
        counts = _pick(observations, year)["indicator_id"].value_counts()
        for indicator in scored:
            # censored: absence is informative; PitchBook's top 20 holds 17 of our cities
            minimum = 10 if indicator in censored else 17
            assert counts.get(indicator, 0) >= minimum, (year, indicator)


# ---- agreement with the shared source files -------------------------------------------------


@pytest.fixture(scope="module")
def shared_observations() -> pd.DataFrame:
    if not (SHARED / "observations-tdp.csv").is_file():
        pytest.skip(f"shared source data not found at {SHARED} (only present beside the checkout)")
    frames = [
        pd.read_csv(SHARED / name, dtype=str, keep_default_na=False)
        for name in ("observations-tdp.csv", "observations-ecc.csv", *SUPPLEMENT)
    ]
    shared = pd.concat(frames, ignore_index=True)
    shared["year"] = pd.to_numeric(shared["year"])
    return shared


def test_values_equal_the_shared_source(
    observations: pd.DataFrame, shared_observations: pd.DataFrame
) -> None:
    key = ["city_id", "indicator_id", "year"]
    merged = observations.merge(
        shared_observations, on=key, how="outer", suffixes=("", "_shared"), indicator=True
    )
    derived = merged["note"].fillna("").str.contains(DERIVED_MARKER)
    missing = merged[(merged["_merge"] == "left_only") & ~derived]
    assert missing.empty, f"rows not in the shared source and not marked derived:\n{missing[key]}"
    dropped = merged[merged["_merge"] == "right_only"]
    assert dropped.empty, f"shared rows left out of data/observations.csv:\n{dropped[key]}"
    both = merged[(merged["_merge"] == "both") & ~derived]
    differs = pd.to_numeric(both["value"]) != pd.to_numeric(both["value_shared"])
    assert not differs.any(), both.loc[differs, [*key, "value", "value_shared"]]
    assert (both["source_url"] == both["source_url_shared"]).all()


def test_cities_equal_the_shared_source(cities: pd.DataFrame) -> None:
    if not (SHARED / "cities.csv").is_file():
        pytest.skip(f"shared source data not found at {SHARED} (only present beside the checkout)")
    shared = pd.read_csv(SHARED / "cities.csv", dtype=str, keep_default_na=False)
    assert list(shared["city_id"]) == list(cities["city_id"])
    population = ["population", "population_year", "population_source_url"]
    other = [column for column in CITY_COLUMNS if column not in population]
    pd.testing.assert_frame_equal(cities[other], shared[other])
    same = cities["city_id"] != "sf_bay_area"  # the only population filled during curation
    pd.testing.assert_frame_equal(cities.loc[same, population], shared.loc[same, population])
    assert shared.set_index("city_id").loc["sf_bay_area", "population"] == ""
