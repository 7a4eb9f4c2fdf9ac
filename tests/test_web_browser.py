"""The web edition in a real browser: headless Chromium (Debian's), driven by Playwright.

One browser serves the whole module; each test opens pages from sites written once. Every page
is watched: a JavaScript error, a console error, a dialog or a request leaving the site folder
fails the test.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_web_labels import write_renamed_tiny
from test_web_site import IMG_NAME, SCRIPT_NAME, make_hostile, write_tiny

from reportgen.app import Inputs, compute
from reportgen.report.html import make_environment
from reportgen.web import default_pdf_links, write_site
from reportgen.web.site import (
    plan_site,
    render_assets,
    render_city,
    render_data,
    render_home,
    render_methodology,
)

BUNDLED_DATA = Path(__file__).resolve().parent.parent / "data"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AGGREGATES = ("Overall", "TDP", "ECC")

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if CHROMIUM is None:
    pytest.skip(
        "no Chromium on this machine (apt-get install chromium; `make test` does it as root)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """The system Chromium with an empty profile; Playwright never downloads a browser here."""
    profile = tempfile.mkdtemp(prefix="reportgen-chromium-")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@dataclass
class Watched:
    """A page with what it did: requests, console errors, uncaught exceptions, dialogs."""

    page: Any
    site: Path
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, path: str, hash_: str = "") -> None:
        self.page.goto((self.site / path).as_uri() + hash_)
        self.page.wait_for_function("window.reportgen !== undefined")
        self.page.evaluate("window.reportgen.ready.then(() => true)")

    def check(self) -> None:
        inside = self.site.resolve().as_uri() + "/"
        outside = [url for url in self.requests if not url.startswith(inside)]
        assert outside == [], f"requests outside the site folder: {outside}"
        assert self.errors == [], f"errors in the browser: {self.errors}"
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"


@pytest.fixture
def watch(browser: Any) -> Iterator[Any]:
    opened: list[Watched] = []

    def make(site: Path) -> Watched:
        page = browser.new_page()
        watched = Watched(page, site)
        page.on("request", lambda r: watched.requests.append(r.url))
        page.on("pageerror", lambda e: watched.errors.append(f"pageerror: {e}"))
        page.on(
            "console",
            lambda m: (
                watched.errors.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "assert")
                else None
            ),
        )

        def dialog(d: Any) -> None:
            watched.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        opened.append(watched)
        return watched

    yield make
    for watched in opened:
        watched.page.close()
    for watched in opened:
        watched.check()


@pytest.fixture(scope="module")
def bundled_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every page type of the bundled 30-city edition: home, methodology, data, and the city
    pages the tests open (all pages are written and checked on the tiny data set in
    test_web_site.py; a city page costs a brief's view-model, half a second each)."""
    result = compute(Inputs(data=BUNDLED_DATA))
    root = tmp_path_factory.mktemp("web-bundled") / "site"
    env = make_environment()
    plan = plan_site(result, default_pdf_links(result))
    render_assets(root, None)
    render_home(env, result, plan, root)
    render_methodology(env, result, root)
    render_data(env, result, plan, root)
    first_on_plane = str(result.stages.index[0])  # the point the click-through test clicks
    for city_id in {"hong_kong", first_on_plane}:
        render_city(env, result, plan, root, city_id)
    return root


@pytest.fixture(scope="module")
def geometric(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny data set built with a geometric mean (normalised to 1-100: no zeros)."""
    folder = write_tiny(tmp_path_factory.mktemp("web-geo") / "data")
    overrides = ("normalise.range=1,100", "aggregate.method=geometric")
    result = compute(Inputs(data=folder, overrides=overrides))
    out = tmp_path_factory.mktemp("web-geo-site") / "site"
    write_site(result, out)
    return folder, out


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny data set with its levels renamed TECH, LIFE and Composite."""
    folder = write_renamed_tiny(tmp_path_factory.mktemp("web-renamed") / "data")
    out = tmp_path_factory.mktemp("web-renamed-site") / "site"
    write_site(compute(Inputs(data=folder)), out)
    return folder, out


def engine(data: Path, weights: dict[str, float], overrides: tuple[str, ...] = ()) -> Any:
    pairs = ", ".join(f"{code}: {w!r}" for code, w in weights.items())
    return compute(
        Inputs(data=data, overrides=(*overrides, f"aggregate.weights={{{pairs}}}")),
        uncertainty=False,
    )


def assert_same_as_engine(last: dict[str, Any], result: Any) -> None:
    units = last["units"]
    for code in result.scores.columns:
        browser_scores = np.array([np.nan if v is None else v for v in last["scores"][code]])
        expected = result.scores[code].reindex(units).to_numpy(float)
        np.testing.assert_allclose(browser_scores, expected, rtol=0, atol=1e-9, err_msg=code)
        assert last["ranks"][code] == [int(r) for r in result.ranks[code].reindex(units)], code


def hash_of(weights: dict[str, float]) -> str:
    return "#w=" + ",".join(f"{code}:{w!r}" for code, w in weights.items())


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize(
    "path", ["index.html", "cities/hong_kong.html", "methodology.html", "data.html"]
)
def test_each_page_type_loads_offline_and_draws(watch: Any, bundled_site: Path, path: str) -> None:
    watched = watch(bundled_site)
    watched.open(path)
    charts = watched.page.locator("[data-chart]")
    for i in range(charts.count()):
        assert charts.nth(i).locator("svg .mark-symbol, svg .mark-rule").count() > 0
    # The bundled fonts load, from the site folder (requests are checked when the page closes).
    loaded = watched.page.evaluate(
        "document.fonts.ready.then(set => [...set].filter(f => f.status === 'loaded')"
        ".map(f => f.family.replaceAll('\"', '')))"
    )
    assert "Source Sans Pro" in loaded
    assert any(url.endswith(".woff2") for url in watched.requests)
    assert watched.page.evaluate("document.documentElement.lang") == "en"


def test_whatif_from_the_url_equals_the_engine(watch: Any, bundled_site: Path) -> None:
    weights = {"TDP": 2.0, "science": 0.5, "openness": 0.0, "capital": 1.75}
    watched = watch(bundled_site)
    watched.open("index.html", hash_of(weights))
    last = watched.page.evaluate("window.reportgen.whatif.last")
    expected = engine(BUNDLED_DATA, weights)
    assert_same_as_engine(last, expected)
    # The table and the plane show the recomputed numbers.
    leader = str(expected.ranks["Overall"].idxmin())
    row = watched.page.locator(f'tr[data-city="{leader}"]')
    assert row.locator('[data-key="rank"]').inner_text() == "1"
    assert row.locator('[data-key="Overall-score"]').inner_text() == (
        f"{expected.scores.at[leader, 'Overall']:.1f}"
    )
    first = watched.page.locator("#ranking tbody tr").first
    assert first.get_attribute("data-city") == leader
    watched.page.evaluate("window.reportgen.whatif.drawn.then(() => true)")
    plane = watched.page.evaluate("window.reportgen.views.plane.data('cities')")
    tdp = {d["city_id"]: d["x"] for d in plane}  # the edition's x axis is TDP
    assert abs(tdp[leader] - expected.scores.at[leader, "TDP"]) < 1e-9
    assert "not the published index" in watched.page.locator("#whatif-status").inner_text()


def test_whatif_follows_the_codes_of_a_renamed_edition(
    watch: Any, renamed: tuple[Path, Path]
) -> None:
    data, site = renamed
    weights = {"TECH": 2.5, "liveability": 0.5}
    watched = watch(site)
    watched.open("index.html", hash_of(weights))
    page = watched.page
    expected = engine(data, weights)
    assert_same_as_engine(page.evaluate("window.reportgen.whatif.last"), expected)
    leader = str(expected.ranks["Composite"].idxmin())
    row = page.locator(f'tr[data-city="{leader}"]')
    assert row.locator('[data-key="rank"]').inner_text() == "1"
    assert row.locator('[data-key="LIFE-score"]').inner_text() == (
        f"{expected.scores.at[leader, 'LIFE']:.1f}"
    )
    page.evaluate("window.reportgen.whatif.drawn.then(() => true)")
    plane = {d["city_id"]: d for d in page.evaluate("window.reportgen.views.plane.data('cities')")}
    point = plane[leader]
    assert abs(point["x"] - expected.scores.at[leader, "TECH"]) < 1e-9
    assert abs(point["y"] - expected.scores.at[leader, "LIFE"]) < 1e-9
    assert point["description"].endswith(", Composite rank 1")
    assert f"TECH {expected.scores.at[leader, 'TECH']:.1f}, LIFE " in point["description"]


def test_sliders_and_reset_work_from_the_keyboard_geometric_mean(
    watch: Any, geometric: tuple[Path, Path]
) -> None:
    data, site = geometric
    overrides = ("normalise.range=1,100", "aggregate.method=geometric")
    watched = watch(site)
    watched.open("index.html")
    page = watched.page
    published = page.evaluate("window.reportgen.whatif.last")
    assert_same_as_engine(published, engine(data, {}, overrides))
    page.focus("#w-TDP")
    page.keyboard.press("ArrowRight")  # one step: 1 -> 1.05
    page.focus("#w-liveability")
    for _ in range(4):
        page.keyboard.press("ArrowLeft")  # 1 -> 0.8
    last = page.evaluate("window.reportgen.whatif.last")
    assert_same_as_engine(last, engine(data, {"TDP": 1.05, "liveability": 0.8}, overrides))
    assert page.evaluate("location.hash") == "#w=TDP:1.05,liveability:0.8"
    assert page.locator("#w-TDP-value").inner_text() == "1.05"
    page.focus("#whatif-reset")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == ""
    assert_same_as_engine(
        page.evaluate("window.reportgen.whatif.last"), engine(data, {}, overrides)
    )


def test_ranking_sorts_and_filters_from_the_keyboard(watch: Any, bundled_site: Path) -> None:
    watched = watch(bundled_site)
    watched.open("index.html")
    page = watched.page

    def column(key: str) -> list[str]:
        return page.eval_on_selector_all(
            f'#ranking tbody tr:not([hidden]) [data-key="{key}"]',
            "cells => cells.map(c => c.getAttribute('data-sort'))",
        )

    page.focus('th[data-key="TDP-score"] button')
    page.keyboard.press("Enter")
    scores = [float(v) for v in column("TDP-score")]
    assert scores == sorted(scores, reverse=True)
    assert page.get_attribute('th[data-key="TDP-score"]', "aria-sort") == "descending"
    assert page.get_attribute('th[data-key="rank"]', "aria-sort") == "none"
    page.keyboard.press("Space")
    assert [float(v) for v in column("TDP-score")] == sorted(scores)
    page.focus('th[data-key="Overall-interval"] button')
    page.keyboard.press("Enter")
    lows = [float(v) for v in column("Overall-interval")]
    assert lows == sorted(lows)
    page.focus('th[data-key="region"] button')
    page.keyboard.press("Enter")
    regions = column("region")
    assert [r for i, r in enumerate(regions) if i == 0 or r != regions[i - 1]] == sorted(
        set(regions), key=regions.index
    )  # each region's cities together
    page.select_option("#filter-region", "Europe")
    europe = column("region")
    assert europe
    assert set(europe) == {"europe"}
    assert page.locator("#filter-status").inner_text() == f"Showing {len(europe)} of 30 cities."
    page.select_option("#filter-stage", index=1)
    stage = page.eval_on_selector("#filter-stage", "s => s.value")
    shown = page.eval_on_selector_all(
        "#ranking tbody tr:not([hidden])",
        "rows => rows.map(r => [r.dataset.region, r.dataset.stage])",
    )
    assert all(pair == ["Europe", stage] for pair in shown)


def test_clicking_a_city_on_the_plane_opens_its_page(watch: Any, bundled_site: Path) -> None:
    watched = watch(bundled_site)
    watched.open("index.html")
    point = watched.page.locator('[data-chart="plane"] .mark-symbol path').first  # stages order
    point.hover()
    tooltip = watched.page.locator("#vg-tooltip-element")
    assert "Overall rank" in tooltip.inner_text()
    point.click()
    watched.page.wait_for_url("**/cities/*.html")
    watched.page.wait_for_function("window.reportgen && window.reportgen.firstChartAt !== null")


def test_hostile_names_stay_text_and_run_nothing(
    watch: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = make_hostile(write_tiny(tmp_path_factory.mktemp("web-xss") / "data"))
    result = compute(Inputs(data=folder), uncertainty=False)
    site = tmp_path_factory.mktemp("web-xss-site") / "site"
    write_site(result, site)
    for path in ("index.html", "cities/hong_kong.html", "cities/shenzhen.html"):
        watched = watch(site)
        watched.open(path)
        page = watched.page
        points = page.locator('[data-chart="plane"] .mark-symbol path')
        for i in range(points.count()):
            points.nth(i).hover()  # tooltips print the names too
        text = page.locator("body").inner_text()
        assert SCRIPT_NAME in text or IMG_NAME in text
        # No element the names could have smuggled in, and only the site's own scripts.
        assert page.locator("img, iframe, object, embed, foreignObject").count() == 0
        sources = page.eval_on_selector_all("script", "s => s.map(e => e.getAttribute('src'))")
        expected = ["site.js", "whatif.js"] if path == "index.html" else ["site.js"]
        assert [s.rsplit("/", 1)[-1] for s in sources if s][1:] == expected
        assert sources.count(None) == 1  # the JSON block, which never runs
        assert json.loads(page.locator("#page-data").text_content())["charts"]
