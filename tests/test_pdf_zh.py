"""The Traditional Chinese edition as published PDFs: Chinese names and terms, no English left in
a brief, every font embedded and no missing glyph, and a contents page that tells the truth.

One zh annual report and two zh briefs are rendered once for the module (the slow part)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.register_assert_rewrite("pdf_fixtures")

from pdf_fixtures import (  # noqa: E402
    BUNDLED_DATA,
    PdfDoc,
    bundled_year,
    extract_texts,
    flat,
    font_is_embedded,
    fonts,
    outline_entries,
    run_cli,
)
from pypdf import PdfReader  # noqa: E402

pytestmark = pytest.mark.slow

ZH = "zh-Hant"
CITIES = ("hong_kong", "sao_paulo")
CONTENTS_LINE = re.compile(r"^(?P<title>.*?\S)\s*\.{3,}\s*(?P<page>\d+)\s*$")
# Five English words in a row: a sentence left untranslated (names and units are shorter).
ENGLISH_RUN = re.compile(r"\b(?:[A-Za-z][a-z'’-]*[ ,;:]+){4,}[A-Za-z][a-z'’-]*")


@dataclass(frozen=True)
class ZhBuild:
    annual: PdfDoc
    briefs: dict[str, PdfDoc]


@pytest.fixture(scope="module")
def zh_build(tmp_path_factory: pytest.TempPathFactory) -> ZhBuild:
    root = tmp_path_factory.mktemp("zh")
    annual_dir, briefs_dir = root / "annual", root / "briefs"
    common = ("--data", str(BUNDLED_DATA), "--lang", ZH, "--jobs", "2")
    for out, command in ((annual_dir, ("annual",)), (briefs_dir, ("briefs",))):
        cities = [a for c in CITIES for a in ("--city", c)] if command == ("briefs",) else []
        run = run_cli(*command, *common, "--out", str(out), *cities)
        if run.exit_code != 0:
            pytest.fail(run.explain())
    annual = annual_dir / f"annual-{bundled_year()}.{ZH}.pdf"
    briefs = {c: briefs_dir / "briefs" / ZH / f"{c}.pdf" for c in CITIES}
    texts = extract_texts([annual, *briefs.values()])
    return ZhBuild(
        PdfDoc(annual, texts[annual]), {c: PdfDoc(p, texts[p]) for c, p in briefs.items()}
    )


def _documents(build: ZhBuild) -> Iterator[PdfDoc]:
    yield build.annual
    yield from build.briefs.values()


def _traditional_names() -> dict[str, str]:
    from reportgen.report.i18n import name_catalogue

    return dict(name_catalogue(ZH)["cities"])


# ---------------------------------------------------------------------------------------------
# words


def test_outputs_keep_the_english_names_free(zh_build: ZhBuild) -> None:
    assert zh_build.annual.path.name == f"annual-{bundled_year()}.zh-Hant.pdf"
    assert all(doc.path.parent.name == ZH for doc in zh_build.briefs.values())


@pytest.mark.parametrize("city_id", CITIES)
def test_brief_names_the_city_and_the_dimensions_in_chinese(
    zh_build: ZhBuild, city_id: str
) -> None:
    text = flat(zh_build.briefs[city_id].text)
    assert _traditional_names()[city_id] in text
    for term in ("科技發展潛力", "生態共益能力", "城市簡報"):
        assert term in text
    assert re.search(r"第 \d+ 位", text), "ordinals print as 第 N 位"


@pytest.mark.parametrize("city_id", CITIES)
def test_brief_has_no_english_sentence(zh_build: ZhBuild, city_id: str) -> None:
    # Source titles are cited in their original language: the list under the last 資料來源
    # (the Sources heading; charts say 資料來源 too) is exempt.
    text = flat(zh_build.briefs[city_id].text).rsplit("資料來源", 1)[0]
    assert ENGLISH_RUN.findall(text) == []


def test_annual_report_prints_traditional_city_names_and_no_simplified_ones(
    zh_build: ZhBuild,
) -> None:
    text = flat(zh_build.annual.text)
    with (BUNDLED_DATA / "cities.csv").open(encoding="utf-8") as handle:
        simplified = {r["city_id"]: r["name_zh"] for r in csv.DictReader(handle)}
    traditional = _traditional_names()
    missing = [name for name in traditional.values() if name not in text]
    assert missing == []
    leftovers = [s for c, s in simplified.items() if s != traditional[c] and s in text]
    assert leftovers == []
    for heading in ("目錄", "摘要", "排名", "發展階段", "方法", "數據附錄"):
        assert heading in text


# ---------------------------------------------------------------------------------------------
# fonts and glyphs


def test_every_font_is_embedded_and_chinese_is_set_in_noto_cjk_tc(zh_build: ZhBuild) -> None:
    for doc in _documents(zh_build):
        found = fonts(doc.reader())
        names = [str(f.get("/BaseFont")) for f in found]
        assert [n for n, f in zip(names, found, strict=True) if not font_is_embedded(f)] == []
        assert any("Noto-Sans-CJK-TC" in n for n in names), names
        # Never Simplified or Japanese glyph forms, never a random system fallback.
        allowed = ("Source-Sans-Pro", "Source-Serif-Pro", "Noto-Sans-CJK-TC", "Noto-Serif-CJK-TC")
        allowed += ("DejaVu-Sans",)  # symbols the Source fonts lack (→, ≥), as in English
        assert [n for n in names if not any(a in n for a in allowed)] == [], names


def test_no_replacement_character_in_the_text(zh_build: ZhBuild) -> None:
    for doc in _documents(zh_build):
        assert "\ufffd" not in doc.text, doc.path.name


def _fonts_with_missing_glyphs(reader: PdfReader) -> list[str]:
    """Fonts WeasyPrint had to draw .notdef (tofu) with: it gives such a font a custom CMap
    that leaves the missing glyphs out, where every complete font is Identity-H."""
    return [
        str(font.get("/BaseFont"))
        for font in fonts(reader)
        if font.get("/Subtype") == "/Type0" and font.get("/Encoding") != "/Identity-H"
    ]


def test_no_glyph_is_missing(zh_build: ZhBuild) -> None:
    for doc in _documents(zh_build):
        assert _fonts_with_missing_glyphs(doc.reader()) == [], doc.path.name


def test_the_missing_glyph_check_sees_tofu(tmp_path: Path) -> None:
    import weasyprint

    path = tmp_path / "tofu.pdf"
    weasyprint.HTML(string="<p>中文 \U0010fffd</p>").write_pdf(path)
    assert _fonts_with_missing_glyphs(PdfReader(path)) != []


# ---------------------------------------------------------------------------------------------
# navigation


def test_contents_page_numbers_are_the_pages_of_the_headings(zh_build: ZhBuild) -> None:
    annual = zh_build.annual
    outline = outline_entries(annual.reader())
    starts = [(title, page) for level, title, page in outline if level == 1]
    first = next(page for title, page in starts if title == "目錄")
    end = next(page for title, page in starts if page > first)
    printed = []
    pending = ""
    for page_text in annual.pages[first - 1 : end - 1]:
        for line in page_text.splitlines():
            match = CONTENTS_LINE.match(f"{pending} {line}".strip())
            if match:
                printed.append((flat(match["title"]), int(match["page"])))
                pending = ""
            elif "..." in line or pending:
                pending = f"{pending} {line}".strip()
    headings = [(flat(title), page) for _, title, page in outline if title != "目錄"]
    assert len(printed) == len(headings) > 20
    for (entry, entry_page), (heading, heading_page) in zip(printed, headings, strict=True):
        assert entry.replace(" ", "") == heading.replace(" ", "")
        assert entry_page == heading_page, f"contents says {entry!r} is on {entry_page}"
        assert heading.replace(" ", "") in flat(annual.pages[entry_page - 1]).replace(" ", "")


def test_pdf_declares_its_language(zh_build: ZhBuild) -> None:
    for doc in _documents(zh_build):
        root = doc.reader().trailer["/Root"]
        assert str(root.get("/Lang")) == ZH


def test_a_zh_brief_keeps_to_two_pages(zh_build: ZhBuild) -> None:
    assert {c: len(doc.pages) for c, doc in zh_build.briefs.items()} == dict.fromkeys(CITIES, 2)
