"""City briefs as printed: header, scorecard equal to the engine's numbers, Hong Kong's
venture-capital gap with the findings engine's numbers, sources as numbered footnotes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

pytest.register_assert_rewrite("pdf_fixtures")

from pdf_fixtures import PdfDoc, bundled_cities, flat  # noqa: E402

pytest_plugins = ["pdf_fixtures"]

CITIES = bundled_cities()
CITY_IDS = [city_id for city_id, _ in CITIES]
SCORECARD = re.compile(r"(?P<score>\d+\.\d)\s*Rank (?P<rank>\d+) of (?P<total>\d+)")
SOURCE_NUMBER = re.compile(r"^(\d+)\.(?=\s|$)", re.MULTILINE)


def header(page: str) -> str:
    """Everything printed above the scorecard."""
    match = SCORECARD.search(page)
    assert match is not None, "no scorecard on the first page"
    before = page[: match.start()]
    return before[: before.upper().rindex("OVERALL")]


def sources_section(doc: PdfDoc) -> str:
    page = doc.pages[-1]
    lines = page.splitlines()
    start = max(i for i, line in enumerate(lines) if line.strip() == "Sources")
    return "\n".join(lines[start + 1 :])


@pytest.fixture(scope="module")
def hong_kong_context(edition_result: Any) -> Any:
    from reportgen.report.context.brief import build_brief_context

    return build_brief_context(edition_result, "hong_kong", with_chinese=False)


@pytest.mark.parametrize(("city_id", "name"), CITIES, ids=CITY_IDS)
def test_header_names_city_stage_and_edition(
    brief_pdfs: Mapping[str, PdfDoc], edition_result: Any, city_id: str, name: str
) -> None:
    top = flat(header(brief_pdfs[city_id].pages[0]))
    assert name in top
    assert str(edition_result.stages.at[city_id, "stage_name"]) in top
    assert str(edition_result.year) in top


def test_header_has_the_chinese_name_when_a_cjk_font_exists(
    brief_pdfs: Mapping[str, PdfDoc],
) -> None:
    from reportgen.publish.plan import cjk_font_available

    if not cjk_font_available():
        pytest.skip("no CJK font installed: briefs print English names only, by design")
    chinese = dict(bundled_cities("name_zh"))
    missing = [c for c in CITY_IDS if chinese[c] not in header(brief_pdfs[c].pages[0])]
    assert missing == []


@pytest.mark.parametrize("city_id", CITY_IDS)
def test_scorecard_prints_the_engines_scores_and_ranks(
    brief_pdfs: Mapping[str, PdfDoc], edition_result: Any, city_id: str
) -> None:
    page = brief_pdfs[city_id].pages[0]
    scores, ranks = edition_result.scores, edition_result.ranks
    total = str(len(scores))
    printed = [(m["score"], m["rank"], m["total"]) for m in SCORECARD.finditer(page)]
    expected = [
        (f"{scores.at[city_id, code]:.1f}", str(ranks.at[city_id, code]), total)
        for code in ("Overall", "TDP", "ECC")
    ]
    assert printed == expected
    # each number sits under its own label: Overall, then TDP, then ECC
    labels = [segment.upper() for segment in SCORECARD.split(page)[::4][:3]]
    assert ["OVERALL" in labels[0], "TDP" in labels[1], "ECC" in labels[2]] == [True] * 3


def test_hong_kong_brief_names_the_venture_capital_gap_with_the_engines_numbers(
    brief_pdfs: Mapping[str, PdfDoc], edition_result: Any
) -> None:
    """The brief prints the findings engine's Venture capital theme for Hong Kong, word for
    word, with the numbers of its indicator findings, under the Gaps heading."""
    text = flat(brief_pdfs["hong_kong"].text)
    chosen = edition_result.analysis.briefs["hong_kong"]
    themes = [t for t in chosen.gaps if t.pillar == "capital"]
    assert themes, "the findings engine found no venture-capital gap theme for Hong Kong"
    theme = themes[0]
    assert flat(theme.sentence) in text
    assert re.search(r"\bVC\b|[Vv]enture capital", theme.sentence)
    for finding in theme.findings:
        for evidence in finding.evidence:
            if evidence.role == "city" and evidence.text in theme.sentence:
                assert evidence.text in text, (finding.subject, evidence.text)
    # printed under the Gaps heading: after it, and before the indicator table
    gaps_at = text.index("Gaps")
    table_at = text.index("Indicators", gaps_at)
    assert gaps_at < text.index(flat(theme.sentence)) < table_at


def test_hong_kong_venture_capital_gap_is_in_the_gaps_section_of_the_page(
    hong_kong_context: Any,
) -> None:
    from reportgen.report import html as report_html

    page = report_html.render_html(
        report_html.make_environment(), "brief/brief.html", hong_kong_context
    )
    gaps = page[page.index('id="gaps"') : page.index('id="indicators"')]
    strengths = page[page.index('id="strengths"') : page.index('id="gaps"')]
    assert re.search(r"\bVC\b|Venture capital", gaps)
    assert not re.search(r"\bVC\b", strengths)


@pytest.mark.parametrize("city_id", CITY_IDS)
def test_sources_are_numbered_footnotes_with_urls(
    brief_pdfs: Mapping[str, PdfDoc], city_id: str
) -> None:
    section = sources_section(brief_pdfs[city_id])
    urls = re.findall(r"https?://", section)
    numbers = [int(n) for n in SOURCE_NUMBER.findall(section)]
    assert urls
    assert numbers == list(range(1, len(urls) + 1))


def test_hong_kong_sources_are_the_ones_its_indicator_rows_cite(
    brief_pdfs: Mapping[str, PdfDoc], hong_kong_context: Any
) -> None:
    section = sources_section(brief_pdfs["hong_kong"]).replace("\n", "")
    sources = hong_kong_context.sources
    assert [s.number for s in sources] == list(range(1, len(sources) + 1))
    for source in sources:
        assert source.url in section, source.url
    cited = {int(row.footnote) for row in hong_kong_context.indicator_rows if row.footnote}
    assert cited == {s.number for s in sources}


@pytest.mark.parametrize("city_id", CITY_IDS)
def test_pages_are_numbered_n_of_2(brief_pdfs: Mapping[str, PdfDoc], city_id: str) -> None:
    # The footer's left and right boxes share a baseline, so the text layer joins them.
    for number, page in enumerate(brief_pdfs[city_id].pages, start=1):
        assert any(line.strip().endswith(f" {number} / 2") for line in page.splitlines())


def test_footer_carries_the_edition_line(
    brief_pdfs: Mapping[str, PdfDoc], edition_result: Any
) -> None:
    line = f"{edition_result.edition.title} · {edition_result.year} edition"
    for number, page in enumerate(brief_pdfs["hong_kong"].pages, start=1):
        assert f"{line} {number} / 2" in [text.strip() for text in page.splitlines()]
