"""Synthetic demo data: valid, clearly labelled, realistic in shape, reproducible, and enough
for the bundled edition to build and publish on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from reportgen.app import Inputs, compute, validate_inputs
from reportgen.config import load_edition
from reportgen.data.demo import BUNDLED_DATA, SYNTHETIC_URL, write_demo_data
from reportgen.data.load import load_dataset
from reportgen.data.validate import data_problems
from reportgen.errors import InputError
from reportgen.publish import render_output
from reportgen.publish.plan import brief_tasks


@pytest.fixture(scope="module")
def thousand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "thousand"
    write_demo_data(folder, n_cities=1000, seed=11)
    return folder


@pytest.fixture(scope="module")
def observations(thousand: Path) -> pd.DataFrame:
    return pd.read_csv(thousand / "observations.csv")


def test_thousand_cities_pass_the_data_checks(thousand: Path, observations: pd.DataFrame) -> None:
    folder = thousand
    dataset = load_dataset(folder)  # every cell parses: ids, numbers, years, URLs
    assert len(dataset.cities) == 1000
    assert data_problems(dataset) == []  # ranges, ids, duplicates, weights
    edition = load_edition(folder / "edition.yaml")
    ids = set(dataset.cities["city_id"])
    assert edition.spotlight_city in ids
    for _, members in edition.findings.named_groups().values():
        assert set(members) <= ids
    index_ids = set(dataset.indicators.loc[dataset.indicators["role"] == "index", "indicator_id"])
    scored = observations[observations["indicator_id"].isin(index_ids)]
    for year in (edition.previous_year, edition.year):
        this_year = scored[scored["year"] == year]
        assert this_year["city_id"].nunique() == 1000  # every city has index values each year
        assert (this_year.groupby("indicator_id")["value"].nunique() >= 2).all()


def test_everything_is_labelled_synthetic(thousand: Path, observations: pd.DataFrame) -> None:
    folder = thousand
    assert observations["note"].str.contains("SYNTHETIC").all()
    assert observations["source_url"].str.fullmatch(SYNTHETIC_URL + r"/source-\d\d").all()
    cities = pd.read_csv(folder / "cities.csv")
    assert cities["name"].str.fullmatch(r"Synthetic City \d{4}").all()
    assert (cities["population_source_url"] == SYNTHETIC_URL).all()
    assert cities["iso3"].str.fullmatch(r"X[A-Z]{2}").all()  # ISO's user-assigned range
    indicators = pd.read_csv(folder / "indicators.csv")
    assert indicators["source_name"].str.startswith("SYNTHETIC").all()
    edition = yaml.safe_load((folder / "edition.yaml").read_text(encoding="utf-8"))
    assert "Synthetic" in edition["title"]
    assert "SYNTHETIC" in edition["subtitle"]


def test_indicators_and_edition_are_the_bundled_ones(thousand: Path) -> None:
    folder = thousand
    ours = pd.read_csv(folder / "indicators.csv")
    bundled = pd.read_csv(BUNDLED_DATA / "indicators.csv")
    columns = ["indicator_id", "dimension", "pillar", "direction", "weight", "role"]
    pd.testing.assert_frame_equal(ours[columns], bundled[columns])
    same_unit = ~bundled["unit"].str.startswith("rank")  # a rank list's length scales
    assert (ours["unit"][same_unit] == bundled["unit"][same_unit]).all()
    edition = yaml.safe_load((folder / "edition.yaml").read_text(encoding="utf-8"))
    original = yaml.safe_load((BUNDLED_DATA / "edition.yaml").read_text(encoding="utf-8"))
    for key in ("framework", "stages", "year", "previous_year"):
        assert edition[key] == original[key], key
    # Winsorisation limits count cities: 3 of the 30 bundled cities is 100 of 1000.
    treat = [
        (ours, theirs)
        for ours, theirs in zip(edition["build"], original["build"], strict=True)
        if "winmax" in theirs
    ]
    assert [(o["winmax"], t["winmax"]) for o, t in treat] == [(100, 3)]
    for ours, theirs in zip(edition["build"], original["build"], strict=True):
        assert {k: v for k, v in ours.items() if k != "winmax"} == {
            k: v for k, v in theirs.items() if k != "winmax"
        }
    assert edition["uncertainty"]["winsorisation"] == [33, 67, 100, 133, 167]
    assert edition["uncertainty"]["aggregation"] == ["arithmetic"]
    changed = ("winsorisation", "aggregation")
    assert {k: v for k, v in edition["uncertainty"].items() if k not in changed} == {
        k: v for k, v in original["uncertainty"].items() if k not in changed
    }


def _values(observations: pd.DataFrame, indicator_id: str, year: int = 2026) -> pd.Series:
    rows = observations[
        (observations["indicator_id"] == indicator_id) & (observations["year"] == year)
    ]
    return rows.set_index("city_id")["value"]


def test_distributions_look_like_real_city_data(observations: pd.DataFrame, thousand: Path) -> None:
    # Counts and money are right-skewed (a few giants), log-symmetric.
    for indicator_id in ("unicorn_valuation", "gmm_gdp_per_capita_ppp", "numbeo_price_to_income"):
        values = _values(observations, indicator_id)
        assert values.skew() > 0.8, indicator_id
        assert abs(np.log(values[values > 0]).skew()) < 0.6, indicator_id
    # Indices stay inside their 0-100 bounds without piling up at them.
    safety = _values(observations, "numbeo_safety_index")
    assert safety.between(1, 99).mean() > 0.99
    # Some values are simply missing; the two years hold the same city's values, close but not
    # equal.
    assert 0.85 < len(safety) / 1000 < 0.995
    before = _values(observations, "numbeo_safety_index", 2025).reindex(safety.index)
    assert 0.9 < np.corrcoef(before, safety)[0, 1] < 0.9999
    # Technology indicators move together (one latent strength per city).
    both = pd.concat(
        [_values(observations, "unicorn_count"), _values(observations, "gii_cluster_pubs", 2026)],
        axis=1,
    ).dropna()
    assert both.corr(method="spearman").iloc[0, 1] > 0.3
    # Nested and backed counts stay consistent.
    top100 = _values(observations, "arwu_top100_univ")
    top200 = _values(observations, "arwu_top200_univ")
    assert (top100 <= top200.reindex(top100.index)).all()
    count = _values(observations, "unicorn_count")
    valuation = _values(observations, "unicorn_valuation").reindex(count.index)
    assert ((count == 0) == (valuation == 0)).all()


def test_top_lists_leave_the_other_cities_out_below_the_threshold(
    observations: pd.DataFrame, thousand: Path
) -> None:
    indicators = pd.read_csv(thousand / "indicators.csv").set_index("indicator_id")
    # As in the bundled data, 17 of every 30 cities are on the venture-capital list.
    raised = _values(observations, "vc_capital_raised_6y")
    assert 567 <= len(raised) <= 572  # round(17 / 30 * 1000), and any tied with the last
    assert raised.min() == indicators.at["vc_capital_raised_6y", "list_threshold"]
    # The others are below the list, not missing at random: they are the weaker cities.
    unicorns = _values(observations, "unicorn_count")
    on_list = unicorns.index.isin(raised.index)
    assert unicorns[on_list].median() > 2 * max(unicorns[~on_list].median(), 1)
    ranks = _values(observations, "gser_rank")
    assert sorted(ranks) == list(range(1, 768))
    assert indicators.at["gser_rank", "list_threshold"] == 767
    assert indicators.at["gser_rank", "max"] == 767
    assert "top 767 published" in indicators.at["gser_rank", "unit"]


def test_same_seed_same_files_other_seed_other_values(tmp_path: Path) -> None:
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        write_demo_data(tmp_path / name, n_cities=40, seed=seed)
    read = {n: (tmp_path / n / "observations.csv").read_bytes() for n in "abc"}
    assert read["a"] == read["b"]
    assert read["a"] != read["c"]


def test_too_few_cities_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="too few cities"):
        write_demo_data(tmp_path, n_cities=2, seed=1)


def test_the_bundled_edition_builds_and_publishes_on_fifty_synthetic_cities(tmp_path: Path) -> None:
    from reportgen.cli import main

    folder = tmp_path / "fifty"
    run = CliRunner().invoke(
        main, ["demo-data", "--cities", "50", "--seed", "5", "--out", str(folder)]
    )
    assert run.exit_code == 0, run.output
    assert "50 cities" in run.output
    assert validate_inputs(Inputs(data=folder)).startswith("ok: 50 cities")
    result = compute(Inputs(data=folder))
    assert result.previous is not None
    assert len(result.scores) >= 45  # a few may be screened out for missing data
    assert result.scores["TDP"].std() > 5
    assert result.scores["ECC"].std() > 5
    assert result.findings
    city = str(result.scores["Overall"].idxmax())
    task = brief_tasks(
        result,
        tmp_path / "out",
        [city],
        pdf_variant="pdf/ua-1",
        write_html=False,
        with_chinese=False,
    )[0]
    rendered = render_output(task)
    assert rendered.outcome.ok, rendered.outcome.error
    assert rendered.outcome.pages == 2
    assert rendered.pdf.startswith(b"%PDF")
