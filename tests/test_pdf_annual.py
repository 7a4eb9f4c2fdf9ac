"""The annual report as a published PDF: navigation, metadata, rankings, vector charts, embedded
fonts, no blank pages, tagged for accessibility, PDF/A on request, same input same text."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

import pytest

pytest.register_assert_rewrite("pdf_fixtures")

from pdf_fixtures import (  # noqa: E402
    PDFA_NS,
    PDFUA_NS,
    AnnualRebuilds,
    PdfDoc,
    bundled_cities,
    extract_texts,
    flat,
    font_is_embedded,
    fonts,
    outline_entries,
    structure_elements,
    xmp_properties,
    xobjects,
)
from pypdf import PdfReader  # noqa: E402
from pypdf.generic import BooleanObject  # noqa: E402

pytest_plugins = ["pdf_fixtures"]

CONTENTS_LINE = re.compile(r"^(?P<title>.*?\S)\s*\.{3,}\s*(?P<page>\d+)\s*$")
FOOTER = re.compile(r"^\d+ / \d+$")


@pytest.fixture(scope="module")
def reader(annual_pdf: PdfDoc) -> PdfReader:
    return annual_pdf.reader()


@pytest.fixture(scope="module")
def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    entries = outline_entries(reader)
    assert entries, "the annual report has no bookmarks"
    return entries


@pytest.fixture(scope="module")
def annual_context(edition_result: Any) -> Any:
    from reportgen.report.context.annual import build_annual_context

    return build_annual_context(edition_result, with_chinese=False)


def chapters(outline: list[tuple[int, str, int]]) -> list[tuple[str, int]]:
    return [(title, page) for level, title, page in outline if level == 1]


def chapter_of_page(outline: list[tuple[int, str, int]], page: int) -> str | None:
    """Title of the chapter a page belongs to (the last one starting on or before it)."""
    current = None
    for title, start in chapters(outline):
        if start <= page:
            current = title
    return current


def contents_entries(
    annual_pdf: PdfDoc, outline: list[tuple[int, str, int]]
) -> list[tuple[str, int]]:
    """(title, page number) of each line of the printed contents, in order."""
    starts = chapters(outline)
    first = next(page for title, page in starts if title == "Contents")
    end = next(page for title, page in starts if page > first)
    entries = []
    pending = ""
    for page in annual_pdf.pages[first - 1 : end - 1]:
        for line in page.splitlines():
            match = CONTENTS_LINE.match(f"{pending} {line}".strip())
            if match:
                entries.append((flat(match["title"]), int(match["page"])))
                pending = ""
            elif "..." in line or pending:
                pending = f"{pending} {line}".strip()  # an entry wrapped onto two lines
    return entries


# ---------------------------------------------------------------------------------------------
# navigation


def test_outline_lists_the_chapters_in_order(
    outline: list[tuple[int, str, int]], annual_context: Any
) -> None:
    top = [title for title, _ in chapters(outline)]
    assert top == ["Contents", *(chapter.title for chapter in annual_context.chapters)]


def test_every_bookmark_points_at_the_page_showing_its_heading(
    annual_pdf: PdfDoc, outline: list[tuple[int, str, int]]
) -> None:
    misplaced = [
        (title, page)
        for _, title, page in outline
        if flat(title) not in flat(annual_pdf.pages[page - 1])
    ]
    assert misplaced == []


def test_contents_page_numbers_are_the_pages_of_the_headings(
    annual_pdf: PdfDoc, outline: list[tuple[int, str, int]]
) -> None:
    printed = contents_entries(annual_pdf, outline)
    headings = [(title, page) for _, title, page in outline if title != "Contents"]
    assert len(printed) == len(headings), (printed, headings)
    for (entry, entry_page), (heading, heading_page) in zip(printed, headings, strict=True):
        assert entry_page == heading_page, f"contents says {entry!r} is on {entry_page}"
        assert flat(heading) in flat(annual_pdf.pages[entry_page - 1]), heading


def test_contents_entries_name_the_headings_they_point_to(
    annual_pdf: PdfDoc, outline: list[tuple[int, str, int]]
) -> None:
    printed = [title for title, _ in contents_entries(annual_pdf, outline)]
    headings = [flat(title) for _, title, _ in outline if title != "Contents"]
    assert printed == headings


# ---------------------------------------------------------------------------------------------
# metadata


def test_document_metadata_comes_from_the_edition(reader: PdfReader, edition_result: Any) -> None:
    edition = edition_result.edition
    info = reader.metadata
    assert info is not None
    assert info.title == edition.title
    assert info.author == edition.author
    assert "Technology Development Potential" in (info.subject or "")
    assert str(edition_result.year) in (info.subject or "")
    assert info["/Keywords"] == ", ".join(edition.keywords)
    assert reader.trailer["/Root"]["/Lang"] == edition.language
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"] == BooleanObject(True)


def test_document_has_a_creation_date(reader: PdfReader) -> None:
    info = reader.metadata
    assert info is not None
    assert info.creation_date is not None
    assert info.creation_date.year >= 2024


# ---------------------------------------------------------------------------------------------
# content


def test_rankings_table_has_a_row_per_city_with_the_engines_numbers(
    annual_pdf: PdfDoc, outline: list[tuple[int, str, int]], edition_result: Any
) -> None:
    starts = chapters(outline)
    index = next(i for i, (title, _) in enumerate(starts) if title.endswith("Rankings"))
    first, end = starts[index][1], starts[index + 1][1]
    text = "\n".join(annual_pdf.pages[first - 1 : end - 1])
    table = text[text.index("Ranking table") :]
    scores, ranks, stages = edition_result.scores, edition_result.ranks, edition_result.stages
    names = dict(bundled_cities())
    chinese = dict(bundled_cities("name_zh"))
    rows = []
    for city_id in scores.index:
        pattern = (
            rf"^{ranks.at[city_id, 'Overall']} {re.escape(names[city_id])}"
            rf"(?: ?{re.escape(chinese[city_id])})? "
            rf"{re.escape(str(stages.at[city_id, 'stage_name']))} "
            rf"{scores.at[city_id, 'Overall']:.1f} (?:\S+ )?"
            rf"{scores.at[city_id, 'TDP']:.1f} {ranks.at[city_id, 'TDP']} "
            rf"{scores.at[city_id, 'ECC']:.1f} {ranks.at[city_id, 'ECC']}\b"
        )
        found = re.findall(pattern, table, re.MULTILINE)
        assert len(found) == 1, f"{names[city_id]}: no row matching {pattern!r}"
        rows.append(city_id)
    assert len(rows) == len(names) == 30


def test_every_page_has_text_beyond_the_running_header_and_footer(
    annual_pdf: PdfDoc, outline: list[tuple[int, str, int]], edition_result: Any
) -> None:
    edition = edition_result.edition
    furniture = {title.upper() for title, _ in chapters(outline)}
    furniture |= {
        f"{edition.title} {edition_result.year}",
        f"{edition.title} · {edition_result.year} edition",
    }
    blank = []
    for number, page in enumerate(annual_pdf.pages, start=1):
        body = [
            line
            for line in page.splitlines()
            if line.strip() and line.strip() not in furniture and not FOOTER.match(line.strip())
        ]
        if len(re.sub(r"\s", "", "".join(body))) < 40:
            blank.append(number)
    assert blank == []


def test_pages_carry_the_chapter_as_running_header_and_n_of_total(
    annual_pdf: PdfDoc, outline: list[tuple[int, str, int]]
) -> None:
    total = len(annual_pdf.pages)
    cover = [line.strip() for line in annual_pdf.pages[0].splitlines()]
    assert not any(FOOTER.match(line) for line in cover), "the cover has a page number"
    for number, page in enumerate(annual_pdf.pages[1:], start=2):
        # Margin boxes on one baseline come out of the text layer as one line.
        lines = [line.strip() for line in page.splitlines()]
        assert any(line.endswith(f" {number} / {total}") for line in lines), (
            f"page {number} has no 'n / N' footer"
        )
        chapter = chapter_of_page(outline, number)
        assert chapter is not None
        assert any(line.startswith(chapter.upper() + " ") for line in lines), (
            f"page {number}: no running header {chapter.upper()!r}"
        )


def test_pages_carry_the_running_title_and_edition_line(
    annual_pdf: PdfDoc, edition_result: Any
) -> None:
    edition = edition_result.edition
    for number, page in enumerate(annual_pdf.pages[1:], start=2):
        lines = [line.strip() for line in page.splitlines()]
        assert any(line.endswith(f" {edition.title} {edition_result.year}") for line in lines), (
            number
        )
        footer = (
            f"{edition.title} · {edition_result.year} edition {number} / {len(annual_pdf.pages)}"
        )
        assert footer in lines, number


# ---------------------------------------------------------------------------------------------
# print craft


def test_charts_are_vector_graphics(reader: PdfReader) -> None:
    subtypes = [str(x.get("/Subtype")) for x in xobjects(reader)]
    assert "/Image" not in subtypes
    assert subtypes.count("/Form") >= 5, "the charts are missing"


def test_every_font_is_embedded(reader: PdfReader) -> None:
    found = fonts(reader)
    assert len(found) >= 2
    missing = [str(f.get("/BaseFont")) for f in found if not font_is_embedded(f)]
    assert missing == []
    families = " ".join(str(f.get("/BaseFont")) for f in found)
    assert "Source-Sans-Pro" in families
    assert "Source-Serif-Pro" in families


def test_pdf_is_tagged_pdf_ua_with_language(reader: PdfReader) -> None:
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == BooleanObject(True)
    assert "/StructTreeRoot" in root
    assert root["/Lang"]
    assert xmp_properties(reader, PDFUA_NS).get("part") == "1"
    tags = [str(element["/S"]) for element in structure_elements(reader)]
    assert tags.count("/H1") >= 10
    assert "/Table" in tags


def test_every_figure_carries_the_alt_text_of_its_chart(
    reader: PdfReader, annual_context: Any
) -> None:
    from reportgen.report import html as report_html

    page = report_html.render_html(
        report_html.make_environment(), "annual/report.html", annual_context
    )
    expected = sorted(html.unescape(alt) for alt in re.findall(r'<img [^>]*alt="([^"]*)"', page))
    figures = [element for element in structure_elements(reader) if element["/S"] == "/Figure"]
    alts = sorted(str(element.get("/Alt", "")) for element in figures)
    assert len(expected) >= 5
    assert all(alts), "a figure has no alt text"
    assert alts == expected


def test_pdf_a_3b_variant_declares_its_conformance(annual_rebuilds: AnnualRebuilds) -> None:
    run = annual_rebuilds.archival_run
    assert run.returncode == 0, run.stdout
    reader = PdfReader(annual_rebuilds.archival)
    assert xmp_properties(reader, PDFA_NS) == {"part": "3", "conformance": "B"}
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert any(intent.get_object()["/S"] == "/GTS_PDFA1" for intent in intents)


# ---------------------------------------------------------------------------------------------
# same input, same output


def test_building_again_gives_the_same_text_on_every_page(
    annual_pdf: PdfDoc, annual_rebuilds: AnnualRebuilds
) -> None:
    run = annual_rebuilds.again_run
    assert run.returncode == 0, run.stdout
    again: Mapping[Any, tuple[str, ...]] = extract_texts([annual_rebuilds.again])
    pages = again[annual_rebuilds.again]
    assert len(pages) == len(annual_pdf.pages)
    for number, (first, second) in enumerate(zip(annual_pdf.pages, pages, strict=True), start=1):
        assert first == second, f"page {number} differs"
