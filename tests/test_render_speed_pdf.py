"""A font configuration shared across documents gives the PDF a fresh one gives."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from reportgen.report import html as report_html
from reportgen.report import pdf as report_pdf

METADATA = report_pdf.PdfMetadata("Speed", "reportgen", "test", ("a",), "en")


def page(body: str, fonts: str | None = None) -> str:
    faces = report_html.font_face_css() if fonts is None else fonts
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<style>{faces}</style>"
        '<link rel="stylesheet" href="print.css"></head>'
        f"<body><h1>{body}</h1><p><b>Bold</b> <i>italic</i> plain {body}</p></body></html>"
    )


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    report_pdf.clear_font_configurations()
    yield
    report_pdf.clear_font_configurations()


def weasy_pdf(html: str, font_config: object | None) -> bytes:
    import weasyprint

    fetcher = report_pdf.AssetFetcher(
        charts={}, roots=(report_html.TEMPLATES_DIR, *report_html.font_directories())
    )
    buffer = io.BytesIO()
    weasyprint.HTML(
        string=html,
        base_url=report_html.TEMPLATES_DIR.as_uri() + "/",
        url_fetcher=report_pdf._weasy_fetcher(fetcher),
    ).write_pdf(buffer, font_config=font_config, pdf_identifier=b"same", pdf_variant="pdf/ua-1")
    return buffer.getvalue()


def test_documents_declaring_the_same_fonts_share_one_configuration() -> None:
    first = report_pdf.shared_font_configuration(page("Berlin"))
    assert report_pdf.shared_font_configuration(page("Zürich")) is first


def test_a_document_declaring_other_fonts_gets_its_own_configuration() -> None:
    first = report_pdf.shared_font_configuration(page("Berlin"))
    fewer = report_html.font_face_css().split("\n")[0]
    assert report_pdf.shared_font_configuration(page("Berlin", fonts=fewer)) is not first
    assert report_pdf.shared_font_configuration(page("Berlin", fonts="")) is not first
    # and a document linking another stylesheet, which could declare fonts of its own
    other = page("Berlin").replace("print.css", "print.zh-Hant.css")
    assert report_pdf.shared_font_configuration(other) is not first


def test_font_key_lists_the_declared_faces_and_linked_stylesheets() -> None:
    key = report_pdf.font_key(page("x"))
    faces = [k for k in key if k.startswith("@font-face")]
    assert len(faces) == len(report_html.font_face_css().split("\n")) == 10
    assert key[-1] == '<link rel="stylesheet" href="print.css">'


@pytest.mark.slow
def test_a_shared_configuration_gives_the_bytes_of_a_fresh_one() -> None:
    shared = report_pdf.shared_font_configuration(page("warm"))
    weasy_pdf(page("Another city, São Paulo"), shared)  # the configuration has served before
    html = page("Hong Kong 香港 and Zürich")
    assert weasy_pdf(html, shared) == weasy_pdf(html, None)


@pytest.mark.slow
def test_html_to_pdf_renders_with_the_shared_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import weasyprint

    seen: list[object] = []
    original = weasyprint.HTML.render

    def render(self: weasyprint.HTML, *args: object, **kwargs: object) -> object:
        seen.append(kwargs.get("font_config"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "render", render)
    for city in ("Berlin", "Zürich"):
        report_pdf.html_to_pdf(page(city), charts={}, metadata=METADATA)
    assert seen[0] is not None
    assert seen[0] is seen[1] is report_pdf.shared_font_configuration(page("any"))
