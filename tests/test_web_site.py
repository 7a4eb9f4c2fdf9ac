"""The web edition without a browser: the what-if model, pages, escaping, downloads, writing."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import TINY_FILES

from reportgen.app import Inputs, compute
from reportgen.cli import main
from reportgen.errors import OutputError
from reportgen.pipeline import EditionResult
from reportgen.report import exports
from reportgen.web import PdfLinks, default_pdf_links, write_site
from reportgen.web import site as web_site
from reportgen.web.context import city_pages, city_slug
from reportgen.web.whatif import whatif_model

# The names issue 13 asks about, and more markup in every other kind of data string.
SCRIPT_NAME = "</script><script>alert(1)</script>"
IMG_NAME = '"><img src=x onerror=alert(1)>'
HOSTILE_CITIES = {
    "hong_kong": {"name": SCRIPT_NAME},
    "shenzhen": {"name": IMG_NAME, "name_zh": "<b>深圳</b>"},
    "singapore": {"name": "Sing{{ 7*7 }}apore", "country": "<i>Singapore</i>"},
    "london": {"region": "'><svg onload=alert(3)>"},
}
HOSTILE_SOURCE = "javascript:alert(4)"

Row = dict[str, str]


def write_tiny(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, text in TINY_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


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


def make_hostile(folder: Path) -> Path:
    def cities(rows: list[Row]) -> None:
        for row in rows:
            row.update(HOSTILE_CITIES[row["city_id"]])

    def sources(rows: list[Row]) -> None:
        for row in rows:
            if row["indicator_id"] == "pm25":
                row["source_url"] = HOSTILE_SOURCE
                if "source_name" in row:
                    row["source_name"] = "WHO <script>alert(5)</script>"

    edit_csv(folder, "cities.csv", cities)
    edit_csv(folder, "indicators.csv", sources)
    edit_csv(folder, "observations.csv", sources)
    return folder


class Page(HTMLParser):
    """Elements with their attributes, and the text of each <script>, as a browser parses them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)

    def page_data(self) -> dict[str, object]:
        scripts = [a for t, a in self.tags if t == "script"]
        ids = [a.get("id") for a in scripts]
        assert ids.count("page-data") == 1
        data: dict[str, object] = json.loads(self.scripts[ids.index("page-data")])
        return data


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def tiny_result(tmp_path_factory: pytest.TempPathFactory) -> EditionResult:
    folder = write_tiny(tmp_path_factory.mktemp("web-tiny") / "data")
    return compute(Inputs(data=folder))


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_hostile(write_tiny(tmp_path_factory.mktemp("web-hostile") / "data"))
    result = compute(Inputs(data=folder))
    out = tmp_path_factory.mktemp("web-hostile-site") / "site"
    write_site(result, out, pdf_links=default_pdf_links(result))
    return out


# --------------------------------------------------------------------------- what-if model


def fold(model: dict[str, Any], weights: dict[str, float]) -> dict[str, np.ndarray]:
    """The what-if arithmetic in Python, from the model alone (whatif.js does the same)."""
    values = np.array(model["values"], dtype=float)  # None -> nan
    scores = {code: values[:, j] for j, code in enumerate(model["indicators"])}
    w = {**model["weights"], **weights}
    for level in model["levels"]:
        for parent in level["parents"]:
            members = [c for c in parent["children"] if w[c] != 0]
            block = np.column_stack([scores[c] for c in members])
            weight = np.array([w[c] for c in members])
            present = ~np.isnan(block)
            total = (np.where(present, block, 0.0) * weight).sum(axis=1)
            scores[parent["code"]] = total / (present * weight).sum(axis=1)
    return scores


def test_whatif_model_holds_what_the_engine_aggregates(tiny_result: EditionResult) -> None:
    model = whatif_model(tiny_result.index, tiny_result.labels)
    normalised = tiny_result.index.datasets["normalised"]
    assert model["units"] == list(tiny_result.scores.index)
    assert model["method"] == "arithmetic"
    np.testing.assert_array_equal(
        np.array(model["values"], dtype=float),
        normalised.loc[model["units"], model["indicators"]].to_numpy(float),
    )
    # The framework's weights, including the half weight of pm25 (tiny indicators.csv).
    assert model["weights"]["pm25"] == 0.5
    assert model["weights"]["TDP"] == model["weights"]["ECC"] == 1.0
    assert [lv["level"] for lv in model["levels"]] == [2, 3, 4]
    scores = fold(model, {})
    for code in tiny_result.scores.columns:
        np.testing.assert_allclose(scores[code], tiny_result.scores[code], rtol=0, atol=1e-12)


def test_whatif_model_under_other_weights_equals_the_engine(tmp_path: Path) -> None:
    folder = write_tiny(tmp_path / "data")
    weights = {"TDP": 3.0, "innovation": 0.25, "liveability": 2.0}
    overrides = ("aggregate.weights={TDP: 3, innovation: 0.25, liveability: 2}",)
    base = compute(Inputs(data=folder), uncertainty=False)
    engine = compute(Inputs(data=folder, overrides=overrides), uncertainty=False)
    scores = fold(whatif_model(base.index, base.labels), weights)
    for code in engine.scores.columns:
        np.testing.assert_allclose(scores[code], engine.scores[code], rtol=0, atol=1e-12)
    # The weights changed something: Overall is not the published one.
    assert not np.allclose(engine.scores["Overall"], base.scores["Overall"])


def test_whatif_model_json_is_finite(tiny_result: EditionResult) -> None:
    text = json.dumps(whatif_model(tiny_result.index, tiny_result.labels), allow_nan=False)
    assert "NaN" not in text


# --------------------------------------------------------------------------- pages


def test_city_slugs_are_safe_file_names() -> None:
    assert city_slug("hong_kong") == "hong_kong"
    assert city_slug("../../etc/passwd") == "etc-passwd"
    assert city_slug("") == "city"


def test_every_page_is_written_with_a_csp_and_a_language(hostile_site: Path) -> None:
    pages = ["index.html", "methodology.html", "data.html"] + [
        f"cities/{c}.html" for c in ("hong_kong", "shenzhen", "singapore", "london")
    ]
    for name in pages:
        page = Page((hostile_site / name).read_text(encoding="utf-8"))
        html = next(a for t, a in page.tags if t == "html")
        assert html["lang"] == "en"
        csp = [a["content"] for t, a in page.tags if t == "meta" and "http-equiv" in a]
        assert csp == [web_site.CONTENT_SECURITY_POLICY]
        assert "default-src 'none'" in csp[0]
        # Sources are 'self' or 'none' only: no scheme, host, wildcard or data: anywhere.
        assert re.findall(r"(?:^|;)\s*[a-z-]+ ([^;]*)", csp[0])
        for sources in re.findall(r"(?:^|;)\s*[a-z-]+ ([^;]*)", csp[0]):
            assert set(sources.split()) <= {"'self'", "'none'", "'unsafe-eval'"}
        assert "connect-src 'none'" in csp[0]
        for tag, attrs in page.tags:
            for attr in ("src", "href"):
                url = attrs.get(attr)
                if url is None or url.startswith("#"):
                    continue
                if tag == "a" and attrs.get("rel", "").startswith("external"):
                    assert re.match(r"https?://", url), url  # a source, followed only on click
                    continue
                assert "://" not in url
                assert not url.startswith(("/", "javascript:", "data:"))
                target = (hostile_site / name).parent / url.split("#")[0]
                # PDFs live beside the site, written by `reportgen build`.
                assert target.is_file() or url.endswith(".pdf"), (name, url)


def test_hostile_strings_are_text_in_every_context(hostile_site: Path) -> None:
    for name in ["index.html", "cities/hong_kong.html", "cities/shenzhen.html", "data.html"]:
        html = (hostile_site / name).read_text(encoding="utf-8")
        page = Page(html)
        tags = [t for t, _ in page.tags]
        assert "img" not in tags
        assert "svg" not in tags
        assert "b" not in tags
        assert not any(k.startswith("on") for _, a in page.tags for k in a)
        scripts = [a for t, a in page.tags if t == "script"]
        assert all(a.get("src") or a.get("type") == "application/json" for a in scripts)
        # The JSON block hides markup from the HTML parser and keeps the names exact.
        block = page.scripts[[a.get("id") for a in scripts].index("page-data")]
        assert "<" not in block
        assert ">" not in block
        assert "&" not in block
        assert HOSTILE_SOURCE not in " ".join(a.get("href", "") for _, a in page.tags)
    home = Page((hostile_site / "index.html").read_text(encoding="utf-8"))
    text = "".join(home.text)
    assert SCRIPT_NAME in text
    assert IMG_NAME in text
    assert "Sing{{ 7*7 }}apore" in text
    rows = home.page_data()["charts"]["plane"]["datasets"]["cities"]  # type: ignore[index]
    assert {r["name"] for r in rows} >= {SCRIPT_NAME, IMG_NAME}
    city = Page((hostile_site / "cities/hong_kong.html").read_text(encoding="utf-8"))
    assert SCRIPT_NAME in "".join(city.text)
    assert HOSTILE_SOURCE in "".join(city.text)  # printed as text, never linked


def test_ranking_rows_carry_sort_values_and_links(hostile_site: Path) -> None:
    page = Page((hostile_site / "index.html").read_text(encoding="utf-8"))
    rows = [a for t, a in page.tags if t == "tr" and "data-city" in a]
    assert [r["data-city"] for r in rows][:1]
    assert len(rows) == 4
    ranks = [a["data-sort"] for t, a in page.tags if t == "td" and a.get("data-key") == "rank"]
    assert [float(r) for r in ranks] == sorted(float(r) for r in ranks)


def test_downloads_are_the_exports_tables(tiny_result: EditionResult, tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(tiny_result, out)
    year = tiny_result.year
    overall = pd.read_csv(out / f"data/index-{year}.csv")
    expected = exports.index_tables(tiny_result)["overall"]
    assert list(overall.columns) == list(expected.columns)
    np.testing.assert_allclose(overall["Overall"], expected["Overall"], rtol=1e-12)
    payload = json.loads((out / f"data/findings-{year}.json").read_text(encoding="utf-8"))
    assert len(payload["findings"]) == len(tiny_result.findings)
    page = Page((out / "data.html").read_text(encoding="utf-8"))
    links = {a["href"] for t, a in page.tags if t == "a" and "download" in a}
    for fmt in ("csv", "xlsx", "json"):
        for kind in ("index", "findings", "audit"):
            assert any(h.startswith(f"data/{kind}-{year}") and fmt in h for h in links), (kind, fmt)
    assert all((out / h).is_file() for h in links)


def test_large_downloads_are_zipped(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_text("x\n" * 400_000, encoding="utf-8")
    target, unzipped = web_site._zipped(big)
    assert not big.exists()
    assert unzipped == 800_000
    with zipfile.ZipFile(target) as archive:
        assert archive.read("big.csv") == b"x\n" * 400_000
    again = tmp_path / "again"
    again.mkdir()
    (again / "big.csv").write_text("x\n" * 400_000, encoding="utf-8")
    assert web_site._zipped(again / "big.csv")[0].read_bytes() == target.read_bytes()


def test_pdf_links_point_beside_the_site(tiny_result: EditionResult, tmp_path: Path) -> None:
    links = default_pdf_links(tiny_result)
    assert links.annual == f"../annual-{tiny_result.year}.pdf"
    assert links.briefs["hong_kong"] == "../briefs/hong_kong.pdf"
    site = tmp_path / "site"
    (tmp_path / "briefs").mkdir()
    (tmp_path / "briefs" / "london.pdf").write_bytes(b"%PDF")
    existing = default_pdf_links(tiny_result, site)
    assert existing.annual == ""
    assert dict(existing.briefs) == {"london": "../briefs/london.pdf"}


def test_site_is_replaced_whole_or_not_at_all(
    tiny_result: EditionResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    write_site(tiny_result, out, pdf_links=PdfLinks())
    (out / "marker").write_text("old", encoding="utf-8")

    def broken(*args: object, **kwargs: object) -> list[str]:
        (args[1] / "index.html").write_text("partial", encoding="utf-8")  # type: ignore[operator]
        raise OutputError("disk full")

    monkeypatch.setattr(web_site, "render_site", broken)
    with pytest.raises(OutputError):
        write_site(tiny_result, out)
    assert (out / "marker").read_text(encoding="utf-8") == "old"
    assert "partial" not in (out / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no staging left behind
    monkeypatch.undo()
    report = write_site(tiny_result, out)
    assert not (out / "marker").exists()
    assert report.pages[0] == "index.html"
    assert len(report.pages) == 3 + len(tiny_result.scores)
    assert report.bytes == sum(p.stat().st_size for p in out.rglob("*") if p.is_file())


def test_city_pages_are_unique_per_city(tiny_result: EditionResult) -> None:
    pages = city_pages(tiny_result)
    assert len(set(pages.values())) == len(pages) == len(tiny_result.scores)


def test_web_command_writes_the_site(tmp_path: Path) -> None:
    folder = write_tiny(tmp_path / "data")
    out = tmp_path / "out" / "site"
    result = CliRunner().invoke(main, ["web", "--data", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file()
    assert "index.html" in result.output
    assert re.search(r"\(7 pages, \d+ files, [\d.]+ MB\)", result.output)
    help_text = CliRunner().invoke(main, ["web", "--help"]).output
    assert "Example" in help_text


def test_plane_names_every_city_up_to_40_then_the_best_ranked() -> None:
    from reportgen.web.charts import LABELLED_AT_SCALE, PlaneAxes, plane_spec

    axes = PlaneAxes("AX", "AY", "Total", "AX score", "AY score")

    def spec(n: int, highlight: str | None = None) -> dict[str, Any]:
        rng = np.random.default_rng(n)
        points = pd.DataFrame(
            {
                "city_id": [f"c{i}" for i in range(n)],
                "label": [f"City {i}" for i in range(n)],
                "name": [f"City {i}" for i in range(n)],
                "x": rng.uniform(0, 100, n),
                "y": rng.uniform(0, 100, n),
                "stage": "Emerging",
                "rank": np.arange(1, n + 1),
            }
        )
        return plane_spec(
            points,
            axes=axes,
            x_threshold=50,
            y_threshold=50,
            regions=(),
            hrefs={},
            highlight=highlight,
        )

    for n, named in ((30, 30), (41, LABELLED_AT_SCALE)):
        result = spec(n)
        rows = result["datasets"]["cities"]
        labelled = [r for r in rows if r["label"]]
        assert len(labelled) == named
        assert max(r["rank"] for r in labelled) == named
        names = [layer.get("name") for layer in result["layer"] if layer.get("name")]
        assert len(names) == len(set(names))  # Vega refuses duplicate names
        assert rows[0]["description"] == (
            f"City 0: AX {rows[0]['x']:.1f}, AY {rows[0]['y']:.1f}, Emerging, Total rank 1"
        )
    highlighted = spec(10, highlight="c3")["datasets"]["cities"]
    assert [r["label"] for r in highlighted if r["label"]] == ["City 3"]


def test_a_brief_without_charts_keeps_its_text_and_builds_no_spec(
    tiny_result: EditionResult,
) -> None:
    from dataclasses import replace

    from reportgen.report.context.brief import NO_FIGURE, build_brief_context

    full = build_brief_context(tiny_result, "hong_kong")
    bare = build_brief_context(tiny_result, "hong_kong", charts=False)
    assert len(full.charts) == 2
    assert bare.charts == {}
    assert bare.plane == bare.profile == NO_FIGURE
    # Everything a page prints besides the two charts is the same brief.
    assert replace(full, plane=NO_FIGURE, profile=NO_FIGURE, charts={}) == bare
