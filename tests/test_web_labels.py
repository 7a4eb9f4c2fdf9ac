"""The web edition prints the level names of its edition file: renamed dimensions and index reach
every page, the plane and the what-if data, and the old names appear nowhere."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import TINY_FILES

from reportgen.app import Inputs, compute
from reportgen.pipeline import EditionResult
from reportgen.web import write_site

RENAME = {"TDP": "TECH", "ECC": "LIFE", "Overall": "Composite"}
OLD_NAMES = re.compile(r"\b(TDP|ECC)\b")


def write_renamed_tiny(folder: Path) -> Path:
    """The tiny data set with its dimensions and index renamed (their long names kept)."""
    folder.mkdir(parents=True)
    pattern = re.compile(r"\b(" + "|".join(RENAME) + r")\b")
    for name, text in TINY_FILES.items():
        if name in ("edition.yaml", "indicators.csv"):
            text = pattern.sub(lambda m: RENAME[m.group(1)], text)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> tuple[EditionResult, Path]:
    folder = write_renamed_tiny(tmp_path_factory.mktemp("renamed") / "data")
    result = compute(Inputs(data=folder))
    site = tmp_path_factory.mktemp("renamed-site") / "site"
    write_site(result, site)
    return result, site


def page_data(html: str) -> dict[str, Any]:
    match = re.search(r'<script[^>]*type="application/json"[^>]*>(.*?)</script>', html, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_the_edition_is_renamed(renamed: tuple[EditionResult, Path]) -> None:
    result, _ = renamed
    assert (result.labels.index, result.labels.x, result.labels.y) == ("Composite", "TECH", "LIFE")
    assert {"Composite", "TECH", "LIFE"} <= set(result.scores.columns)


def test_the_home_page_prints_the_renamed_levels(renamed: tuple[EditionResult, Path]) -> None:
    _, site = renamed
    home = (site / "index.html").read_text(encoding="utf-8")
    assert '<h2 id="plane-title">Cities on the TECH × LIFE plane</h2>' in home
    assert "Technology Development Potential (TECH)" in home
    assert 'data-key="Composite-score"' in home
    assert 'data-key="TECH-rank"' in home
    assert 'class="group life"' in home  # the column group's class follows the code
    assert OLD_NAMES.search(home) is None
    assert re.search(r"\bOverall\b", home) is None


def test_the_browser_gets_the_edition_codes(renamed: tuple[EditionResult, Path]) -> None:
    _, site = renamed
    data = page_data((site / "index.html").read_text(encoding="utf-8"))
    whatif = data["whatif"]
    assert whatif["axes"] == {
        "index": "Composite",
        "x": "TECH",
        "y": "LIFE",
        "columns": ["Composite", "TECH", "LIFE"],
    }
    plane = data["charts"]["plane"]
    row = plane["datasets"]["cities"][0]
    assert {"x", "y", "rank"} <= set(row)
    assert "TDP" not in row
    described = r".+: TECH \d+\.\d, LIFE \d+\.\d, .+, Composite rank \d+"
    assert re.fullmatch(described, row["description"])
    points = next(layer for layer in plane["layer"] if layer["mark"].get("type") == "circle")
    x_title = points["encoding"]["x"]["title"]
    assert x_title == "Technology Development Potential (TECH score, 0-100)"
    tooltip = [t["title"] for t in points["encoding"]["tooltip"]]
    assert tooltip == ["City", "Stage", "TECH", "LIFE", "Composite rank"]


def test_no_page_prints_the_bundled_codes(renamed: tuple[EditionResult, Path]) -> None:
    _, site = renamed
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 3 + 4  # home, methodology, data, and a page per city (4)
    city = (site / "cities" / "hong_kong.html").read_text(encoding="utf-8")
    assert "Position on the TECH × LIFE plane" in city
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert OLD_NAMES.search(text) is None, page.name
