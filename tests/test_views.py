"""View-models on the tiny data set: what the templates print is selected, sorted and formatted
from the engine's result, with no clock, no guessing and every chart's alt text and source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import pytest

from reportgen import formatting
from reportgen.report import charts
from reportgen.report.context import common as views


@pytest.fixture
def tiny_result(tiny_data_dir: Path) -> Any:
    from reportgen.app import Inputs, compute

    return compute(Inputs(data=tiny_data_dir), uncertainty=False)


@pytest.fixture
def london_brief(tiny_result: Any) -> Any:
    from reportgen.report.context.brief import build_brief_context

    return build_brief_context(tiny_result, "london", with_chinese=True)


def row_named(context: Any, name: str) -> Any:
    return next(row for row in context.indicator_rows if row.name == name)


# ---------------------------------------------------------------------------------------------
# shared pieces


def test_meta_comes_from_the_edition_not_the_clock(tiny_result: Any) -> None:
    meta = views.meta_of(tiny_result, "Annual report")
    assert meta.title == "Tiny Tech Cities Index"
    assert meta.edition == "2024"
    assert meta.date == "2024"
    assert meta.running_title == "Tiny Tech Cities Index 2024"
    assert meta.language == "en"
    assert meta.keyword_list == ("technology", "cities")
    assert meta.subject.startswith("Annual report of the Tiny Tech Cities Index 2024: 4 cities")


def test_city_labels_carry_chinese_names_only_when_asked(tiny_result: Any) -> None:
    assert views.city_labels(tiny_result, with_chinese=True)["london"].name_zh == "伦敦"
    english = views.city_labels(tiny_result, with_chinese=False)
    assert {label.name_zh for label in english.values()} == {""}
    assert english["hong_kong"].population == "7.5 million"


def test_rank_change_compares_with_the_previous_edition(tiny_result: Any) -> None:
    before = tiny_result.previous.index.ranks["Overall"]
    now = tiny_result.ranks["Overall"]
    for city_id in now.index:
        change = int(before[city_id]) - int(now[city_id])
        expected = "=" if change == 0 else ("▲ " if change > 0 else "▼ ") + str(abs(change))
        assert views.rank_change_text(tiny_result, "Overall", city_id) == expected


def test_no_rank_interval_without_an_uncertainty_analysis(tiny_result: Any) -> None:
    assert views.interval_text(tiny_result, "Overall", "london") == ""


def test_sources_are_numbered_once_in_order_of_first_use(tiny_result: Any) -> None:
    registry = views.SourceRegistry(tiny_result.panel.indicators)
    assert registry.number("https://example.org/who", "fallback") == 1
    assert registry.number("https://example.org/gii", "fallback") == 2
    assert registry.number("https://example.org/who", "fallback") == 1
    assert registry.number("https://example.org/other", "Other source") == 3
    assert registry.listing() == [
        views.SourceView(1, "WHO air quality database", "https://example.org/who"),
        views.SourceView(2, "WIPO GII clusters", "https://example.org/gii"),
        views.SourceView(3, "Other source", "https://example.org/other"),
    ]


def test_chart_book_keys_charts_by_spec_hash_and_keeps_one_copy() -> None:
    frame = pd.DataFrame({"x": [1, 2], "y": [3, 4]})
    chart = alt.Chart(frame).mark_point().encode(x="x:Q", y="y:Q")
    book = views.ChartBook()
    first = book.add(chart, "Two points.")
    second = book.add(chart, "Two points again.")
    assert first.chart_id == second.chart_id == charts.spec_hash(charts.chart_spec(chart))
    assert list(book.charts) == [first.chart_id]
    assert first.alt == "Two points."


def test_peer_group_falls_back_to_the_top_ten_when_a_stage_is_small(tiny_result: Any) -> None:
    name, members = views.peer_members(tiny_result, "london")
    assert "london" not in members
    assert name == "top-10 cities"  # each stage of the tiny set has one city
    assert sorted(members) == ["hong_kong", "shenzhen", "singapore"]


# ---------------------------------------------------------------------------------------------
# the brief


def test_brief_scorecard_is_the_engines_scores_and_ranks(
    tiny_result: Any, london_brief: Any
) -> None:
    printed = [(card.score, card.rank) for card in london_brief.scorecard]
    expected = [
        (
            formatting.score(tiny_result.scores.at["london", code]),
            str(tiny_result.ranks.at["london", code]),
        )
        for code in ("Overall", "TDP", "ECC")
    ]
    assert printed == expected
    assert london_brief.city_count == 4
    assert london_brief.summary.startswith("London ranks 4th of 4 cities overall")
    assert london_brief.stage.name == tiny_result.stages.at["london", "stage_name"]


def test_brief_findings_are_about_its_city(tiny_result: Any, london_brief: Any) -> None:
    printed = [*london_brief.strengths, *london_brief.gaps, *london_brief.other_findings]
    assert printed
    own = {f.sentence for f in tiny_result.findings if f.city_id == "london"}
    assert {f.sentence for f in printed} <= own
    assert all(f.kind == "gap" for f in london_brief.gaps)
    assert all(f.kind == "strength" for f in london_brief.strengths)


def test_brief_indicator_rows_rank_by_direction(london_brief: Any) -> None:
    # London has the cleanest air (PM2.5, lower is better) and the lowest safety index
    assert row_named(london_brief, "PM2.5").rank == "1 of 4"
    assert row_named(london_brief, "Safety").rank == "4 of 4"
    assert row_named(london_brief, "Safety").value == "45.9"
    assert row_named(london_brief, "PCT applications").value == "1,450"


def test_brief_marks_a_value_below_a_published_list(london_brief: Any) -> None:
    row = row_named(london_brief, "VC raised")
    assert row.flag == views.BOUNDED_FLAG
    assert row.unit == "USD bn"


def test_brief_shows_the_lists_last_value_in_the_indicators_unit(london_brief: Any) -> None:
    assert row_named(london_brief, "VC raised").value == "2.5"


def test_brief_sources_are_footnotes_of_its_rows(london_brief: Any) -> None:
    numbers = [source.number for source in london_brief.sources]
    assert numbers == list(range(1, len(numbers) + 1))
    cited = {int(row.footnote) for row in london_brief.indicator_rows if row.footnote}
    assert cited == set(numbers)
    assert all(source.url.startswith("https://") for source in london_brief.sources)


def test_brief_charts_are_the_plane_and_the_profile_with_alt_text(london_brief: Any) -> None:
    assert set(london_brief.charts) == {london_brief.plane.chart_id, london_brief.profile.chart_id}
    assert "London highlighted" in london_brief.plane.alt
    assert london_brief.profile.alt.startswith("Dot plot of London's")


def test_every_brief_chart_has_a_source_line(london_brief: Any) -> None:
    for spec in london_brief.charts.values():
        assert any(line.startswith("Source: ") for line in spec["title"].get("subtitle", []))


# ---------------------------------------------------------------------------------------------
# the annual report


@pytest.fixture
def annual(tiny_result: Any) -> Any:
    from reportgen.report.context.annual import build_annual_context

    return build_annual_context(tiny_result, with_chinese=False)


def test_annual_ranking_rows_are_in_rank_order_one_per_city(tiny_result: Any, annual: Any) -> None:
    ranks = tiny_result.ranks["Overall"]
    assert [row.city.city_id for row in annual.ranking] == list(ranks.sort_values().index)
    assert [row.rank for row in annual.ranking] == ["1", "2", "3", "4"]
    top = annual.ranking[0]
    assert top.overall == formatting.score(tiny_result.scores.at[top.city.city_id, "Overall"])
    assert [row.is_spotlight for row in annual.ranking].count(True) == 1


def test_annual_contents_follow_the_chapters(annual: Any) -> None:
    chapters = [entry for entry in annual.contents if entry.level == 1]
    assert [entry.title for entry in chapters] == [chapter.title for chapter in annual.chapters]
    assert [entry.anchor for entry in chapters] == [chapter.anchor for chapter in annual.chapters]
    anchors = [entry.anchor for entry in annual.contents]
    assert len(anchors) == len(set(anchors))
    titles = [chapter.title for chapter in annual.chapters]
    assert [title.split(". ", 1)[0] for title in titles] == [str(i + 1) for i in range(len(titles))]


def test_annual_charts_all_have_alt_text_and_the_plane(annual: Any) -> None:
    figures = [
        value
        for chapter in annual.chapters
        for value in vars(chapter).values()
        if isinstance(value, views.FigureView)
    ]
    assert len(figures) >= 4
    assert all(len(figure.alt) > 20 for figure in figures)
    assert {figure.chart_id for figure in figures} <= set(annual.charts)
    assert any(figure.alt.startswith("Scatter plot of 4 cities") for figure in figures)
