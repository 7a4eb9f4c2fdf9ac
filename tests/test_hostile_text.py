"""Text from data files is untrusted (issue 8, item 3).

Markup and template syntax print as text; source URLs are printed, never fetched; the PDF
fetcher serves only packaged assets and generated charts; city ids cannot steer files out of
the output folder; very long names and extreme numbers keep the layout intact.

Most checks are on HTML (fast); two briefs are rendered to PDF, once each per module.
"""

from __future__ import annotations

import csv
import io
import math
import re
import shutil
import socket
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pypdf
import pytest
from conftest import TINY_FILES
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen import formatting
from reportgen.analysis.findings import format_value
from reportgen.app import Inputs, compute
from reportgen.data.load import CellError, parse_id
from reportgen.errors import OutputError
from reportgen.pipeline import EditionResult
from reportgen.publish import RenderTask, render_task, safe_target
from reportgen.publish.plan import brief_filename
from reportgen.report import charts
from reportgen.report import html as report_html
from reportgen.report import pdf as report_pdf
from reportgen.report.context.annual import AnnualContext, build_annual_context
from reportgen.report.context.brief import BriefContext, build_brief_context
from reportgen.report.context.inputs import HEADING_LIMIT

BUNDLED_DATA = Path(__file__).resolve().parent.parent / "data"

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
JINJA = "{{ 7*7 }}"
TABLE_END = "</td></tr></table>"

# city_id -> name; every name is markup or template syntax that must print as typed.
HOSTILE_NAMES = {
    "hong_kong": f"Hong {SCRIPT} Kong",
    "shenzhen": f"Shen {IMG} zhen",
    "singapore": f"Sing {JINJA} {{% raw %}} apore",
    "london": f"Lon{TABLE_END}don",
}
HOSTILE_INDICATOR = {
    "name": f"PCT {SCRIPT} applications",
    "short_name": f"PCT {JINJA} apps",
    "unit": "<i>applications</i>",
    "definition": f"{TABLE_END}<h1>injected</h1>",
    "source_name": f"WIPO {IMG}",
}
# Schemes a data file may carry in a source column: printed in the annex and the briefs'
# source lists, never given to the PDF engine to fetch.
DATA_URLS = {
    "pct_patents": "file:///etc/passwd",
    "vc_capital": "data:text/html,<script>alert(3)</script>",
    "safety_index": "http://127.0.0.1:9/track.png",
    "pm25": "https://evil.example/x.css",
}

Row = dict[str, str]


# --------------------------------------------------------------------------- helpers


def edit_csv(folder: Path, name: str, change: Callable[[list[Row]], None]) -> None:
    path = folder / name
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    change(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def write_tiny(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, text in TINY_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def make_hostile(folder: Path) -> Path:
    def cities(rows: list[Row]) -> None:
        for row in rows:
            row["name"] = HOSTILE_NAMES[row["city_id"]]
            if row["city_id"] == "london":
                row["country"] = "<b>United Kingdom</b>"

    def indicators(rows: list[Row]) -> None:
        for row in rows:
            row["source_url"] = DATA_URLS[row["indicator_id"]]
            if row["indicator_id"] == "pct_patents":
                row.update(HOSTILE_INDICATOR)

    def observations(rows: list[Row]) -> None:
        for row in rows:
            row["source_url"] = DATA_URLS[row["indicator_id"]]
            row["note"] = f"note {SCRIPT}"

    edit_csv(folder, "cities.csv", cities)
    edit_csv(folder, "indicators.csv", indicators)
    edit_csv(folder, "observations.csv", observations)
    return folder


class Markup(HTMLParser):
    """What a browser or WeasyPrint sees: elements with attributes, and text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ends: list[str] = []
        self.chunks: list[str] = []
        self.style = ""
        self._in_style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self.ends.append(tag)
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data
        else:
            self.chunks.append(data)

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def attribute_values(self) -> str:
        return " ".join(v for _, attrs in self.tags for v in attrs.values())

    def count(self, tag: str) -> int:
        return sum(1 for name, _ in self.tags if name == tag)


def squeeze(text: str) -> str:
    """PDF text without line breaks, spaces and the hyphens that hyphenation adds."""
    return re.sub(r"[\s\u2010\u00ad-]", "", text)


def pdf_text(payload: bytes) -> tuple[str, pypdf.PdfReader]:
    reader = pypdf.PdfReader(io.BytesIO(payload))
    return "\n".join(page.extract_text() for page in reader.pages), reader


@dataclass(frozen=True)
class Hostile:
    result: EditionResult
    brief: BriefContext
    annual: AnnualContext
    brief_html: str
    annual_html: str


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    folder = make_hostile(write_tiny(tmp_path_factory.mktemp("hostile") / "data"))
    result = compute(Inputs(data=folder), uncertainty=False)
    env = report_html.make_environment()
    brief = build_brief_context(result, "hong_kong", with_chinese=False)
    annual = build_annual_context(result, with_chinese=False)
    return Hostile(
        result=result,
        brief=brief,
        annual=annual,
        brief_html=report_html.render_html(env, "brief/brief.html", brief),
        annual_html=report_html.render_html(env, "annual/report.html", annual),
    )


# --------------------------------------------------------------------------- markup as text


@pytest.mark.parametrize("publication", ["brief", "annual"])
def test_markup_in_names_is_printed_as_text(hostile: Hostile, publication: str) -> None:
    markup = Markup(getattr(hostile, f"{publication}_html"))
    # Escaped markup comes back out of the parser as text, exactly as typed ...
    for name in HOSTILE_NAMES.values():
        assert name in markup.text, name
    assert HOSTILE_INDICATOR["short_name"] in markup.text
    # ... and never as elements or event handlers.
    assert markup.count("script") == 0
    assert not [a for _, attrs in markup.tags for a in attrs if a.startswith("on")]
    assert markup.count("table") == markup.ends.count("table")
    assert markup.count("td") == markup.ends.count("td")


def test_markup_in_indicator_texts_is_printed_as_text_in_the_annex(hostile: Hostile) -> None:
    markup = Markup(hostile.annual_html)
    for field in ("name", "unit", "definition", "source_name"):
        assert HOSTILE_INDICATOR[field] in markup.text, field
    assert markup.count("i") == 0
    chapter_headings = [a for tag, a in markup.tags if tag == "h1" and a.get("class") == "chapter"]
    assert markup.count("h1") == len(chapter_headings) + 2  # + cover and contents


def test_markup_in_alt_text_stays_inside_its_attribute(
    hostile: Hostile,
) -> None:
    markup = Markup(hostile.brief_html)
    alts = [attrs["alt"] for tag, attrs in markup.tags if tag == "img"]
    assert alts
    assert any(HOSTILE_NAMES["hong_kong"] in alt for alt in alts)
    assert markup.count("img") == len(hostile.brief.charts)


def test_template_syntax_in_data_prints_literally(hostile: Hostile) -> None:
    """Data is never used as template source: {{ 7*7 }} is not evaluated to 49."""
    for html in (hostile.brief_html, hostile.annual_html):
        text = Markup(html).text
        assert HOSTILE_NAMES["singapore"] in text
        assert "Sing 49" not in text
        assert "PCT 49 apps" not in text


def test_observation_notes_are_never_printed_as_markup(hostile: Hostile) -> None:
    for html in (hostile.brief_html, hostile.annual_html):
        assert f"note {SCRIPT}" not in html


# --------------------------------------------------------------------------- data URLs


@pytest.mark.parametrize("publication", ["brief", "annual"])
def test_only_charts_and_the_packaged_stylesheet_are_referenced(
    hostile: Hostile, publication: str
) -> None:
    markup = Markup(getattr(hostile, f"{publication}_html"))
    context = getattr(hostile, publication)
    sources = [attrs["src"] for tag, attrs in markup.tags if "src" in attrs]
    assert sources
    assert all(
        s.startswith("chart:") and s.removeprefix("chart:") in context.charts for s in sources
    )
    links = [(tag, attrs["href"]) for tag, attrs in markup.tags if "href" in attrs]
    assert ("link", "print.css") in links
    assert all(href == "print.css" or (tag == "a" and href.startswith("#")) for tag, href in links)
    assert not [attrs for _, attrs in markup.tags if "style" in attrs]
    # The only url() in the page are the bundled fonts, inside the packaged font folders.
    fonts = [Path(f).resolve() for f in report_html.font_directories()]
    for url in re.findall(r"url\('([^']*)'\)", markup.style):
        path = Path(urllib.request.url2pathname(url.removeprefix("file://"))).resolve()
        assert any(path.is_relative_to(d) for d in fonts), url
    for data_url in DATA_URLS.values():
        assert data_url not in markup.attribute_values()


def test_source_urls_are_printed(hostile: Hostile) -> None:
    annex = Markup(hostile.annual_html).text
    for url in DATA_URLS.values():
        assert url in annex
    brief = Markup(hostile.brief_html).text
    assert DATA_URLS["pct_patents"] in brief


@pytest.fixture
def fetcher() -> report_pdf.AssetFetcher:
    return report_pdf.AssetFetcher(
        charts={"abc123": "<svg xmlns='http://www.w3.org/2000/svg'/>"},
        roots=(report_html.TEMPLATES_DIR, *report_html.font_directories()),
    )


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail loudly (and record) if anything opens a socket or a URL."""
    calls: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        calls.append(repr(args)[:200])
        raise AssertionError(f"network access: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", refuse)
    return calls


@pytest.mark.parametrize(
    "url",
    [
        *DATA_URLS.values(),
        "data:text/css,body{background:url(http://evil.example/)}",
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
        "ftp://evil.example/x.png",
        "javascript:alert(1)",
        "FILE:///etc/passwd",
        "file://evil.example/etc/passwd",
        "file:etc/passwd",
        "//evil.example/x.png",
        "print.css",
    ],
)
def test_fetcher_refuses_urls_from_data(
    fetcher: report_pdf.AssetFetcher, no_network: list[str], url: str
) -> None:
    with pytest.raises(ValueError, match="does not fetch"):
        fetcher.response(url)
    assert fetcher.refused == [url]
    assert no_network == []


def test_fetcher_serves_packaged_assets_and_charts(fetcher: report_pdf.AssetFetcher) -> None:
    css = fetcher.response((report_html.TEMPLATES_DIR / "print.css").as_uri())
    assert css.read() == (report_html.TEMPLATES_DIR / "print.css").read_bytes()
    assert css.content_type == "text/css"
    font = next(p for d in report_html.font_directories() for p in sorted(d.glob("*.ttf")))
    assert fetcher.response(font.as_uri()).read()[:4] in (b"\x00\x01\x00\x00", b"OTTO", b"true")
    chart = fetcher.response("chart:abc123")
    assert chart.content_type == "image/svg+xml"
    assert fetcher.refused == []


def test_fetcher_refuses_unknown_charts(fetcher: report_pdf.AssetFetcher) -> None:
    with pytest.raises(ValueError, match="does not fetch"):
        fetcher.response("chart:../../etc/passwd")
    assert fetcher.refused == ["chart:../../etc/passwd"]


@pytest.mark.parametrize(
    "relative",
    [
        "/../pyproject.toml",  # .. out of the templates folder
        "/%2e%2e/pyproject.toml",  # the same, percent-encoded
        "/annual/../../pyproject.toml",
        "/print.css%00.png",  # NUL byte
        "/annual",  # a folder, not a file
        "/missing.css",
    ],
)
def test_fetcher_refuses_files_outside_the_asset_folders(
    fetcher: report_pdf.AssetFetcher, relative: str
) -> None:
    url = report_html.TEMPLATES_DIR.as_uri() + relative
    with pytest.raises(ValueError, match="does not fetch"):
        fetcher.response(url)
    assert fetcher.refused == [url]


def test_fetcher_refuses_symlinks_out_of_the_asset_folders(tmp_path: Path) -> None:
    assets, outside = tmp_path / "assets", tmp_path / "outside"
    assets.mkdir()
    outside.mkdir()
    (outside / "secret.css").write_text("body { color: red }")
    (assets / "ok.css").write_text("p { margin: 0 }")
    (assets / "evil.css").symlink_to(outside / "secret.css")
    (assets / "fonts").symlink_to(outside, target_is_directory=True)
    fetcher = report_pdf.AssetFetcher(charts={}, roots=(assets,))
    assert fetcher.response((assets / "ok.css").as_uri()).read() == b"p { margin: 0 }"
    for link in (assets / "evil.css", assets / "fonts" / "secret.css"):
        with pytest.raises(ValueError, match="does not fetch"):
            fetcher.response(link.as_uri())
    assert len(fetcher.refused) == 2


@dataclass(frozen=True)
class RenderedPdf:
    text: str
    title: str
    pages: int
    warnings: tuple[str, ...]
    requested: tuple[str, ...]
    refused: tuple[str, ...]
    network: tuple[str, ...]


@pytest.fixture(scope="module")
def hostile_pdf(hostile: Hostile, tmp_path_factory: pytest.TempPathFactory) -> RenderedPdf:
    """The hostile brief rendered by the real worker, with the network and fetcher watched."""
    requested: list[str] = []
    fetchers: list[report_pdf.AssetFetcher] = []
    network: list[str] = []
    original_response = report_pdf.AssetFetcher.response
    original_weasy = report_pdf._weasy_fetcher

    def response(self: report_pdf.AssetFetcher, url: str) -> Any:
        requested.append(url)
        return original_response(self, url)

    def weasy(fetcher: report_pdf.AssetFetcher) -> Any:
        fetchers.append(fetcher)
        return original_weasy(fetcher)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        network.append(repr(args)[:200])
        raise OSError("network access in a test")

    target = tmp_path_factory.mktemp("hostile-pdf") / "briefs" / "hong_kong.pdf"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report_pdf.AssetFetcher, "response", response)
        mp.setattr(report_pdf, "_weasy_fetcher", weasy)
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket, "create_connection", refuse)
        mp.setattr(urllib.request.OpenerDirector, "open", refuse)
        outcome = render_task(
            RenderTask(
                name="hong_kong",
                template="brief/brief.html",
                context=hostile.brief,
                target=target,
                input_hash="hostile",
                pdf_variant="pdf/ua-1",
                write_html=False,
            )
        )
    assert outcome.ok, outcome.error
    text, reader = pdf_text(target.read_bytes())
    return RenderedPdf(
        text=text,
        title=str(reader.metadata.title if reader.metadata else ""),
        pages=len(reader.pages),
        warnings=outcome.warnings,
        requested=tuple(requested),
        refused=tuple(r for f in fetchers for r in f.refused),
        network=tuple(network),
    )


@pytest.mark.slow
def test_rendering_a_pdf_with_data_urls_fetches_nothing_from_data(
    hostile: Hostile, hostile_pdf: RenderedPdf
) -> None:
    assert hostile_pdf.network == ()
    assert hostile_pdf.refused == ()
    assert hostile_pdf.warnings == ()
    css = (report_html.TEMPLATES_DIR / "print.css").as_uri()
    fonts = [Path(d).resolve() for d in report_html.font_directories()]
    for url in hostile_pdf.requested:
        if url.startswith("chart:"):
            assert url.removeprefix("chart:") in hostile.brief.charts
        elif url != css:
            path = Path(urllib.request.url2pathname(url.removeprefix("file://"))).resolve()
            assert path.suffix == ".ttf", url
            assert any(path.is_relative_to(d) for d in fonts), url
    assert {f"chart:{c}" for c in hostile.brief.charts} <= set(hostile_pdf.requested)


@pytest.mark.slow
def test_pdf_text_layer_holds_markup_and_urls_as_literal_text(hostile_pdf: RenderedPdf) -> None:
    text = squeeze(hostile_pdf.text)
    assert squeeze(HOSTILE_NAMES["hong_kong"]) in text
    assert squeeze(HOSTILE_INDICATOR["short_name"]) in text
    assert squeeze(DATA_URLS["pct_patents"]) in text
    assert HOSTILE_NAMES["hong_kong"] in hostile_pdf.title


# --------------------------------------------------------------------------- chart labels


@pytest.mark.slow
def test_chart_labels_escape_markup_in_the_svg(hostile: Hostile) -> None:
    """City names become SVG text nodes: the SVG stays well-formed and holds no script."""
    plane = next(chapter.plane for chapter in hostile.annual.chapters if hasattr(chapter, "plane"))
    svg = charts.to_svg(hostile.annual.charts[plane.chart_id])
    root = ET.fromstring(svg)
    tags = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
    assert "script" not in tags
    assert "foreignObject" not in tags
    labels = "".join(element.text or "" for element in root.iter() if element.tag.endswith("text"))
    assert "Hong <script>" in labels


# --------------------------------------------------------------------------- output paths


@pytest.mark.parametrize(
    "relative",
    ["../../x.pdf", "briefs/../../x.pdf", "/etc/cron.d/x", "..", ".", "", "briefs/../.."],
)
def test_safe_target_refuses_paths_outside_the_output_folder(tmp_path: Path, relative: str) -> None:
    with pytest.raises(OutputError, match="refusing to write"):
        safe_target(tmp_path / "out", relative)


def test_a_path_like_city_id_cannot_name_a_file_outside_the_output_folder(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    with pytest.raises(OutputError, match="outside"):
        safe_target(out, brief_filename("../../x"))
    nested = safe_target(out, brief_filename("a/b"))
    assert nested.is_relative_to(out.resolve() / "briefs")
    assert safe_target(out, brief_filename("hong_kong")) == out.resolve() / "briefs/hong_kong.pdf"


def test_symlinks_in_the_output_folder_cannot_redirect_a_write(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "briefs").symlink_to(elsewhere, target_is_directory=True)
    (out / "annual-2024.pdf").symlink_to(elsewhere / "annual.pdf")
    for relative in ("briefs/hong_kong.pdf", "annual-2024.pdf"):
        with pytest.raises(OutputError, match="outside"):
            safe_target(out, relative)


@pytest.mark.parametrize("city_id", ["..\\..\\x", ".hidden", "/etc/passwd", "c:evil"])
def test_the_loader_rejects_path_like_city_ids(city_id: str) -> None:
    """Beyond '../../x' and 'a/b' (in the bad-input catalogue): Windows separators, hidden
    files, absolute paths and drive letters never become file names."""
    with pytest.raises(CellError):
        parse_id(city_id)


# --------------------------------------------------------------------------- long names, numbers

LONG_CITY_NAME = "Llanfair" + "x" * 192  # 200 characters, no space to break at
LONG_INDICATOR_NAME = "Cluster" + "y" * 193
LONG_CITY = "sf_bay_area"


@dataclass(frozen=True)
class Layout:
    text: str
    pages: int
    overflowing: tuple[str, ...]


def overflowing_text(document: Any) -> Iterator[str]:
    """Text boxes that stick out of their page (WeasyPrint lays them out, then clips)."""

    def walk(box: Any) -> Iterator[Any]:
        yield box
        for child in getattr(box, "children", None) or ():
            yield from walk(child)

    for number, page in enumerate(document.pages, start=1):
        for box in walk(page._page_box):
            if type(box).__name__ == "TextBox" and (
                box.position_x < -0.5 or box.position_x + box.width > page.width + 0.5
            ):
                yield f"page {number}: {box.text[:30]!r}"


@pytest.fixture(scope="module")
def long_brief(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    """A brief of the bundled data for a city with a 200-character name, an indicator with a
    200-character name, and values of 1e15, 1e-9 and -0.0."""
    folder = tmp_path_factory.mktemp("long") / "data"
    shutil.copytree(BUNDLED_DATA, folder)

    def cities(rows: list[Row]) -> None:
        next(r for r in rows if r["city_id"] == LONG_CITY)["name"] = LONG_CITY_NAME

    def indicators(rows: list[Row]) -> None:
        next(r for r in rows if r["indicator_id"] == "gii_cluster_pct")["short_name"] = (
            LONG_INDICATOR_NAME
        )

    extremes = {
        "gii_cluster_pubs": "1e15",
        "tech_talent_band": "1e-9",
        "gmm_gdp_pc_growth_2014_2016": "-0.0",
    }

    def observations(rows: list[Row]) -> None:
        for row in rows:
            if row["city_id"] == LONG_CITY and row["indicator_id"] in extremes:
                row["value"] = extremes[row["indicator_id"]]

    edit_csv(folder, "cities.csv", cities)
    edit_csv(folder, "indicators.csv", indicators)
    edit_csv(folder, "observations.csv", observations)
    result = compute(Inputs(data=folder), uncertainty=False)
    context = build_brief_context(result, LONG_CITY, with_chinese=False)
    html = report_html.render_html(report_html.make_environment(), "brief/brief.html", context)
    documents: list[Any] = []
    pdf = report_pdf.html_to_pdf(
        html,
        charts={k: charts.to_svg(v) for k, v in context.charts.items()},
        metadata=report_pdf.PdfMetadata("brief", "test", "long names", (), "en"),
        on_document=documents.append,
    )
    text, _ = pdf_text(pdf.payload)
    return Layout(text, pdf.pages, tuple(overflowing_text(documents[0])))


@pytest.mark.slow
def test_long_names_and_extreme_numbers_are_printed(long_brief: Layout) -> None:
    text = squeeze(long_brief.text)
    # The heading shortens a name that would take over the page; the PDF title keeps it whole.
    assert LONG_CITY_NAME[: HEADING_LIMIT - 1] + "…" in text
    assert LONG_CITY_NAME not in text
    # Tables and sentences abbreviate long names (the annex keeps them whole).
    assert LONG_INDICATOR_NAME[:43] in text
    assert LONG_INDICATOR_NAME not in text
    assert "1.00e15" in text


@pytest.mark.slow
def test_long_names_stay_inside_the_page(long_brief: Layout) -> None:
    assert long_brief.overflowing == ()


@pytest.mark.slow
def test_long_names_keep_the_brief_on_two_pages(long_brief: Layout) -> None:
    assert long_brief.pages == 2


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (1e15, "1.00e15"),
        (-2.5e13, "−2.50e13"),
        (123_456_789.0, "123,456,789"),
        (0.00012, "0.00012"),
        (3.14159, "3.14"),
        (1e-9, "1.00e−9"),
    ],
)
def test_number_switches_to_scientific_notation_only_at_extremes(
    value: float, printed: str
) -> None:
    assert formatting.number(value) == printed


@pytest.mark.parametrize(
    ("formatter", "printed"),
    [
        (formatting.number, "0"),
        (formatting.signed, "0.0"),
        (formatting.score, "0.0"),
    ],
)
def test_negative_zero_prints_without_a_sign(formatter: Callable[[Any], str], printed: str) -> None:
    assert formatter(-0.0) == printed


def _read_back(text: str) -> float:
    return float(text.replace("−", "-").replace(",", ""))


@settings(max_examples=50, deadline=None)
@given(st.floats(-1e300, 1e300))
def test_number_is_short_and_faithful_for_any_value(value: float) -> None:
    """Any finite value fits a table cell (at most a sign and 15 characters: 999 billion is
    written out, 1e12 and up in scientific notation) and reads back to within the three
    significant digits printed."""
    printed = formatting.number(value)
    assert len(printed.removeprefix("−")) <= 15, printed
    back = _read_back(printed)
    assert math.isclose(back, value, rel_tol=5e-3, abs_tol=0.0) or (value == 0 and back == 0)


@pytest.mark.parametrize("value", [1e15, 1e-9])
def test_finding_sentences_abbreviate_extreme_values(value: float) -> None:
    assert "e" in format_value(value, "articles").split()[0]
