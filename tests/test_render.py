"""HTML rendering without WeasyPrint: autoescaped data, strict templates, formatting filters,
output hashes that follow the context, and no fetching of anything but packaged assets."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from typing import Any

import jinja2
import pytest
from markupsafe import escape

from reportgen import formatting
from reportgen.publish import input_hash
from reportgen.report import html as report_html
from reportgen.report import pdf as report_pdf


@pytest.fixture
def tiny_result(tiny_data_dir: Path) -> Any:
    from reportgen.app import Inputs, compute

    return compute(Inputs(data=tiny_data_dir), uncertainty=False)


@pytest.fixture
def brief_context(tiny_result: Any) -> Any:
    from reportgen.report.context.brief import build_brief_context

    return build_brief_context(tiny_result, "hong_kong", with_chinese=False)


def with_city_name(context: Any, name: str) -> Any:
    """The context with the city renamed in every field that spells its name (name, short and
    heading forms)."""
    city = context.city
    renamed = {f.name: name for f in dataclasses.fields(city) if getattr(city, f.name) == city.name}
    return dataclasses.replace(context, city=dataclasses.replace(city, **renamed))


# ---------------------------------------------------------------------------------------------
# the environment


def test_environment_is_autoescaping_and_strict() -> None:
    env = report_html.make_environment()
    assert env.autoescape is True
    assert env.undefined is jinja2.StrictUndefined
    assert set(formatting.FILTERS) <= set(env.filters)


def test_data_is_escaped_not_interpreted(brief_context: Any) -> None:
    hostile = '<script>alert("x")</script> & {{ 7 * 7 }}'
    page = report_html.render_html(
        report_html.make_environment(), "brief/brief.html", with_city_name(brief_context, hostile)
    )
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; {{ 7 * 7 }}" in page


def test_undefined_names_raise(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<p>{{ ctx.city.nmae }}</p>", encoding="utf-8")
    env = report_html.make_environment(tmp_path)
    with pytest.raises(jinja2.UndefinedError, match="nmae"):
        report_html.render_html(env, "page.html", {"city": {"name": "Hong Kong"}})


def test_a_context_missing_a_field_fails_instead_of_printing_a_blank(brief_context: Any) -> None:
    fields = {
        f.name: getattr(brief_context, f.name)
        for f in dataclasses.fields(brief_context)
        if f.name != "scorecard"
    }
    with pytest.raises(jinja2.UndefinedError, match="scorecard"):
        report_html.render_html(report_html.make_environment(), "brief/brief.html", fields)


def test_brief_html_prints_the_context(brief_context: Any) -> None:
    page = report_html.render_html(
        report_html.make_environment(), "brief/brief.html", brief_context
    )
    assert f"<h1>{brief_context.city.name}" in page
    for card in brief_context.scorecard:
        assert f'<div class="value">{card.score}</div>' in page
    for chart_id in brief_context.charts:
        assert f'src="chart:{chart_id}"' in page
    assert f'<html lang="{brief_context.meta.language}">' in page


def test_annual_contents_link_to_anchors_that_exist(tiny_result: Any) -> None:
    from reportgen.report.context.annual import build_annual_context

    context = build_annual_context(tiny_result, with_chinese=False)
    page = report_html.render_html(report_html.make_environment(), "annual/report.html", context)
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "duplicate anchors"
    for entry in context.contents:
        assert f'href="#{entry.anchor}"' in page
        assert entry.anchor in ids, entry.anchor


def test_annual_contents_titles_are_the_headings_they_link_to(tiny_result: Any) -> None:
    from reportgen.report.context.annual import build_annual_context

    context = build_annual_context(tiny_result, with_chinese=False)
    page = report_html.render_html(report_html.make_environment(), "annual/report.html", context)
    headings = {}
    for anchor, body in re.findall(r'<section id="([^"]+)">\s*<h1[^>]*>(.*?)</h1>', page, re.S):
        headings[anchor] = body
    for anchor, body in re.findall(r'<h2 id="([^"]+)">(.*?)</h2>', page, re.S):
        headings[anchor] = body
    printed = {e.anchor: str(escape(e.title)) for e in context.contents}
    assert {a: headings.get(a) for a in printed} == printed


# ---------------------------------------------------------------------------------------------
# formatting filters


def test_number_prints_large_values_whole_and_small_ones_to_three_digits() -> None:
    # Sourced counts and money print as published; fractions keep three significant digits.
    assert formatting.number(1234567) == "1,234,567"
    assert formatting.number(153180.4) == "153,180"
    assert formatting.number(0.5871) == "0.587"
    assert formatting.number(31.24) == "31.2"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (12.345, "12.3"),
        (0.012345, "0.0123"),
        (2.5, "2.5"),
        (2.0, "2"),
        (-2.5, "−2.5"),
        (123, "123"),
        (math.inf, "∞"),
        (2.5e13, "2.50e13"),
    ],
)
def test_number(value: float, text: str) -> None:
    assert formatting.number(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
    ],
)
def test_ordinal(value: int, text: str) -> None:
    assert formatting.ordinal(value) == text


def test_scores_changes_and_shares() -> None:
    assert formatting.score(72.449) == "72.4"
    assert formatting.score(72.45, decimals=0) == "72"
    assert formatting.rank(3.0) == "3"
    assert formatting.signed(3.21) == "+3.2"
    assert formatting.signed(-1.0) == "−1.0"
    assert formatting.signed(-0.04) == "0.0"
    assert formatting.signed_int(-2) == "−2"
    assert formatting.signed_int(0) == "0"
    assert formatting.percent(0.314) == "31%"


@pytest.mark.parametrize("name", sorted(formatting.FILTERS))
@pytest.mark.parametrize("missing", [None, math.nan], ids=["None", "NaN"])
def test_missing_values_print_as_an_en_dash(name: str, missing: Any) -> None:
    assert formatting.FILTERS[name](missing) == "–"


def test_filters_work_in_templates() -> None:
    env = report_html.make_environment()
    text = env.from_string("{{ 22|ordinal }} {{ 0.5|percent }} {{ none|score }}").render()
    assert text == "22nd 50% –"


# ---------------------------------------------------------------------------------------------
# output hashes and fetching


def test_input_hash_follows_the_context(brief_context: Any) -> None:
    same = input_hash(brief_context, "pdf/ua-1")
    assert same == input_hash(brief_context, "pdf/ua-1")
    assert re.fullmatch(r"[0-9a-f]{64}", same)
    renamed = with_city_name(brief_context, brief_context.city.name + " ")
    assert input_hash(renamed, "pdf/ua-1") != same
    card = dataclasses.replace(brief_context.scorecard[0], score="99.9")
    rescored = dataclasses.replace(brief_context, scorecard=(card, *brief_context.scorecard[1:]))
    assert input_hash(rescored, "pdf/ua-1") != same
    assert input_hash(brief_context, "pdf/a-3b") != same


def test_fetcher_serves_charts_and_packaged_files_only(tmp_path: Path) -> None:
    fetcher = report_pdf.AssetFetcher(charts={"abc": "<svg/>"}, roots=(report_html.TEMPLATES_DIR,))
    assert fetcher.response("chart:abc") is not None
    assert fetcher.response((report_html.TEMPLATES_DIR / "print.css").as_uri()) is not None
    assert fetcher.refused == []
    outside = tmp_path / "secret.css"
    outside.write_text("x", encoding="utf-8")
    for url in ("https://example.org/logo.png", outside.as_uri(), "chart:unknown"):
        with pytest.raises(ValueError, match=r"does not fetch|unknown"):
            fetcher.response(url)
    assert "https://example.org/logo.png" in fetcher.refused


def test_a_standalone_page_inlines_stylesheet_charts_and_fonts(brief_context: Any) -> None:
    html = report_html.render_html(
        report_html.make_environment(), "brief/brief.html", brief_context
    )
    assert "chart:" in html  # the print HTML names its charts
    svgs = dict.fromkeys(
        brief_context.charts,
        "<?xml version='1.0'?>\n<svg xmlns='http://www.w3.org/2000/svg'><g/></svg>",
    )
    page = report_html.render_standalone_html(html, svgs)  # fonts embedded: one file
    assert "chart:" not in page
    assert "<?xml" not in page
    assert page.count('<svg role="img" aria-label="') == len(brief_context.charts)
    assert '<link rel="stylesheet"' not in page
    assert "file:" not in page
    assert "url('data:font/ttf;base64," in page
    linked = report_html.render_standalone_html(html, svgs, assets_url="..")
    assert "url('../fonts/SourceSansPro-Regular.ttf')" in linked
    with pytest.raises(ValueError, match="not rendered"):
        report_html.render_standalone_html(html, {})
