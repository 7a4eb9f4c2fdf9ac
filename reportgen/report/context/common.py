"""View-models: exactly what the templates print, already selected, sorted and formatted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportgen import formatting
from reportgen.analysis.findings import Finding, select
from reportgen.pipeline import EditionResult
from reportgen.report import charts, theme


@dataclass(frozen=True)
class Meta:
    title: str
    subtitle: str
    running_title: str
    edition: str
    edition_line: str
    publisher: str
    author: str
    subject: str
    keywords: str
    keyword_list: tuple[str, ...]
    language: str
    date: str
    scope_line: str
    # The PDF's /Title: the title, marked when the build is a what-if.
    document_title: str = ""
    # Empty for the official edition; for a build with --set overrides, the line the what-if
    # banner prints on every page, and the paragraph the methodology opens with.
    what_if: str = ""
    what_if_method: str = ""
    # The Monte Carlo rank interval's name, from the uncertainty settings (e.g. "5–95%").
    interval_label: str = "5–95%"
    # The cities of the data that the coverage screen left out, for the methodology.
    screened_note: str = ""


@dataclass(frozen=True)
class CityLabel:
    city_id: str
    name: str
    short_name: str  # for running text, tables and charts
    heading_name: str  # for headings: the full name unless it would take over the page
    name_zh: str
    country: str
    region: str
    population: str


@dataclass(frozen=True)
class FigureView:
    chart_id: str
    alt: str
    caption: str = ""
    css_class: str = ""


@dataclass(frozen=True)
class FindingView:
    kind: str
    city_name: str
    sentence: str
    caveats: tuple[str, ...]
    show_city: bool


@dataclass(frozen=True)
class KeyFigure:
    value: str
    label: str
    css_class: str = ""


@dataclass(frozen=True)
class SourceView:
    number: int
    label: str
    url: str


@dataclass
class ChartBook:
    """Charts of one publication by id; the ids are content hashes of their specs."""

    charts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, chart: Any, alt: str, caption: str = "", css_class: str = "") -> FigureView:
        # Keep the Vega-Lite spec, not the Altair object: specs pickle cheaply to workers and
        # hash to the same id whenever the chart is the same.
        spec = charts.chart_spec(chart)
        chart_id = charts.spec_hash(spec)
        self.charts[chart_id] = dict(spec)
        return FigureView(chart_id=chart_id, alt=alt, caption=caption, css_class=css_class)


# ---------------------------------------------------------------------------------------------
# shared pieces


WHAT_IF_LABEL = "WHAT-IF"


def what_if_sentence(changes: Sequence[str]) -> str:
    """The what-if banner: not the official edition, and which parameters differ from it."""
    if not changes:
        return ""
    return (
        f"{WHAT_IF_LABEL}: not the official edition. Built with {'; '.join(changes)} "
        "instead of the edition file's method."
    )


def what_if_method(changes: Sequence[str], source: str) -> str:
    """The methodology's statement of a what-if: what changed, and how to re-run it."""
    if not changes:
        return ""
    sets = " ".join(f"--set '{c}'" for c in changes)
    return (
        f"This is a what-if build, not the official edition: it departs from the method of "
        f"{Path(source).name} in {'; '.join(changes)}. The steps below and the build printed "
        f"at the end are the ones that ran. The command reportgen build {sets} re-runs it; "
        "reportgen build alone makes the official edition."
    )


def meta_of(result: EditionResult, kind: str) -> Meta:
    edition = result.edition
    n_cities = len(result.scores)
    n_indicators = len(result.index.framework.indicators)
    created = _edition_date(result)
    changes = result.what_if
    # A what-if says so in the running header and footer of every page and in the metadata.
    mark = f" · {WHAT_IF_LABEL}" if changes else ""
    subject = (
        f"{kind} of the {edition.title} {result.year}: {n_cities} cities scored on "
        "Technology Development Potential and Ecosystem Co-Benefit Capacity"
    )
    keywords = tuple(edition.keywords) + (("what-if",) if changes else ())
    return Meta(
        title=edition.title,
        subtitle=edition.subtitle,
        running_title=f"{edition.title} {result.year}{mark}",
        edition=str(result.year),
        edition_line=f"{edition.title} · {result.year} edition{mark}",
        publisher=edition.publisher,
        author=edition.author,
        subject=f"{subject}; what-if build ({'; '.join(changes)})" if changes else subject,
        keywords=", ".join(keywords),
        keyword_list=keywords,
        language=edition.language,
        date=created,
        scope_line=f"{n_cities} cities · {n_indicators} scored indicators · "
        f"{len(result.index.framework.codes_at(2))} pillars · data to {result.year}",
        document_title=f"{edition.title} (what-if)" if changes else edition.title,
        what_if=what_if_sentence(changes),
        what_if_method=what_if_method(changes, edition.source),
        interval_label=result.interval_label,
        screened_note=screened_note(result),
    )


def screened_note(result: EditionResult) -> str:
    """'The coverage screen left out 1 city of the data: Kuala Lumpur (7 of 21 scored
    indicators; 11 needed).' Empty when every city with data is ranked."""
    gone = result.screened_out
    if not gone:
        return ""
    listed = "; ".join(
        f"{s.name} ({s.reported} of {s.scored} scored indicators, {s.needed} needed)"
        if s.reason == "coverage"
        else f"{s.name} ({s.why()})"
        for s in gone
    )
    cities = "city" if len(gone) == 1 else "cities"
    return (
        f"The coverage screen left out {len(gone)} {cities} of the data, which this report "
        f"neither ranks nor counts: {listed}."
    )


def _edition_date(result: EditionResult) -> str:
    # The date printed is the edition's, not the clock's: same inputs, same PDF text.
    return dt.date(result.year, 1, 1).strftime("%Y")


def city_labels(result: EditionResult, with_chinese: bool) -> dict[str, CityLabel]:
    labels = {}
    for city_id, row in result.panel.cities.iterrows():
        population = row.get("population")
        labels[str(city_id)] = CityLabel(
            city_id=str(city_id),
            name=str(row["name"]),
            short_name=formatting.abbreviate(str(row["name"])),
            heading_name=formatting.abbreviate(str(row["name"]), 80),
            name_zh=str(row["name_zh"])
            if with_chinese and isinstance(row.get("name_zh"), str)
            else "",
            country=str(row["country"]),
            region=str(row["region"]),
            population=_population(population),
        )
    return labels


def _population(value: Any) -> str:
    if formatting.is_missing(value) or value == "" or pd.isna(value):
        return ""
    x = float(value)
    return f"{x / 1e6:.1f} million" if x >= 1e6 else f"{x:,.0f}"


def finding_view(finding: Finding, names: Mapping[str, str], show_city: bool) -> FindingView:
    return FindingView(
        kind=finding.kind,
        city_name=names.get(finding.city_id, finding.city_id),
        sentence=finding.sentence,
        caveats=tuple(finding.caveats),
        show_city=show_city,
    )


def stage_classes(result: EditionResult) -> dict[str, str]:
    return {s.id: f"stage-{i + 1}" for i, s in enumerate(result.edition.stages.stages)}


def stage_regions(result: EditionResult) -> list[charts.StageRegion]:
    """Rectangles of the plane per stage, from the rules and the thresholds in force."""
    first = result.stages.iloc[0]
    cut = {"TDP": float(first["tdp_threshold"]), "ECC": float(first["ecc_threshold"])}
    regions = []
    for i, stage in enumerate(result.edition.stages.stages):
        lo_t, hi_t = _band(stage.rule.tdp, cut["TDP"])
        lo_e, hi_e = _band(stage.rule.ecc, cut["ECC"])
        regions.append(
            charts.StageRegion(stage.name, theme.stage_colour(i), lo_t, hi_t, lo_e, hi_e)
        )
    return regions


def _band(band: Any, threshold: float) -> tuple[float, float]:
    if band == "high":
        return threshold, 100.0
    if band == "low":
        return 0.0, threshold
    if band == "any":
        return 0.0, 100.0
    lo, hi = band
    return (0.0 if lo is None else float(lo)), (100.0 if hi is None else float(hi))


def plane_points(result: EditionResult, labels: Mapping[str, CityLabel]) -> pd.DataFrame:
    stages = result.stages
    return pd.DataFrame(
        {
            "city_id": stages.index.astype(str),
            "label": [labels[c].short_name for c in stages.index],
            "TDP": stages["TDP"].to_numpy(float),
            "ECC": stages["ECC"].to_numpy(float),
            "stage": stages["stage_name"].astype(str).to_numpy(),
        }
    )


def plane_figure(
    book: ChartBook,
    result: EditionResult,
    labels: Mapping[str, CityLabel],
    *,
    highlight: str | None = None,
    width: int = charts.FULL_WIDTH,
    height: int = 430,
    title: str = "Cities on the TDP × ECC plane",
    label_all: bool = True,
    css_class: str = "",
) -> FigureView:
    first = result.stages.iloc[0]
    tdp_cut, ecc_cut = float(first["tdp_threshold"]), float(first["ecc_threshold"])
    chart = charts.plane_chart(
        plane_points(result, labels),
        tdp_threshold=tdp_cut,
        ecc_threshold=ecc_cut,
        regions=stage_regions(result),
        title=title,
        subtitle=f"Dashed lines: stage thresholds (TDP {tdp_cut:.1f}, ECC {ecc_cut:.1f})",
        source=source_line(result),
        highlight=highlight,
        width=width,
        height=height,
        label_all=label_all,
    )
    city = labels[highlight].short_name if highlight else ""
    alt = (
        f"Scatter plot of {len(result.stages)} cities by TDP score (horizontal) and ECC score "
        f"(vertical), divided into {len(result.edition.stages.stages)} stage regions"
        + (
            f"; {city} highlighted at TDP {result.stages.at[highlight, 'TDP']:.1f}, "
            f"ECC {result.stages.at[highlight, 'ECC']:.1f}"
            if highlight
            else ""
        )
        + "."
    )
    return book.add(chart, alt, css_class=css_class)


def source_line(result: EditionResult) -> str:
    return f"{result.edition.title} {result.year}, reportgen; indicator sources in the annex"


def indicator_unit(indicators: pd.DataFrame, indicator_id: str) -> str:
    return str(indicators.at[indicator_id, "unit"])


def interval_text(result: EditionResult, code: str, city_id: str) -> str:
    summary = result.rank_interval(code)
    if summary is None or city_id not in summary.index:
        return ""
    low_column, high_column = result.interval_columns
    low, high = summary.at[city_id, low_column], summary.at[city_id, high_column]
    return f"{round(low)}–{round(high)}"


def rank_change_text(result: EditionResult, code: str, city_id: str) -> str:
    if result.previous is None:
        return ""
    before = result.previous.index.ranks
    if city_id not in before.index:
        return "new"
    change = int(before.at[city_id, code]) - int(result.ranks.at[city_id, code])
    if change == 0:
        return "="
    return ("▲ " if change > 0 else "▼ ") + str(abs(change))


# ---------------------------------------------------------------------------------------------
# sources


SourceLabel = Callable[[str, tuple[str, ...]], str]
"""A source entry's label from its URL and the ids of the indicators citing it, in order of use
(e.g. a publisher's citation, looked up in the data)."""


class SourceRegistry:
    """Numbers each distinct source URL once, in order of first use.

    An entry is labelled by every indicator that cites it, never by whichever came first: two
    indicators read from one table share its entry and both are named. ``label`` replaces the
    default wording (publisher plus indicator names).
    """

    def __init__(self, indicators: pd.DataFrame, label: SourceLabel | None = None) -> None:
        self._indicators = indicators
        self._label = label or self.default_label
        # The source each indicator declares, by its URL (observations may cite other URLs).
        self._declared: dict[str, str] = {}
        for indicator_id, row in indicators.iterrows():
            url = row.get("source_url")
            if isinstance(url, str) and url:
                self._declared.setdefault(url, str(row.get("source_name") or indicator_id))
        self._fallback: dict[str, str] = {}
        self.numbers: dict[str, int] = {}
        self.cited_by: dict[str, list[str]] = {}

    def number(self, url: str, fallback_label: str = "", *, indicator_id: str | None = None) -> int:
        """The footnote number of ``url``; ``indicator_id`` is recorded as citing it."""
        if url not in self.numbers:
            self.numbers[url] = len(self.numbers) + 1
            self.cited_by[url] = []
            self._fallback[url] = self._declared.get(url, fallback_label)
        if indicator_id is not None and indicator_id not in self.cited_by[url]:
            self.cited_by[url].append(indicator_id)
        return self.numbers[url]

    @property
    def labels(self) -> dict[str, str]:
        return {url: self.label_of(url) for url in self.numbers}

    def label_of(self, url: str) -> str:
        cited_by = tuple(self.cited_by.get(url, ()))
        return self._label(url, cited_by) if cited_by else self._fallback.get(url, url)

    def default_label(self, url: str, cited_by: tuple[str, ...]) -> str:
        """'Publisher: indicator, indicator' when the citing indicators name one source, else
        the indicator names alone."""
        table = self._indicators
        known = [i for i in cited_by if i in table.index]
        names = ", ".join(
            formatting.abbreviate(str(table.at[i, "short_name"] or table.at[i, "name"]), 44)
            if i in known
            else i
            for i in cited_by
        )
        # One publisher only when every citing indicator names the same: a compilation that
        # several sources reach us through must not credit one of them with all the values.
        publishers = {str(table.at[i, "source_name"] or "") for i in known}
        publisher = publishers.pop() if len(publishers) == 1 and len(known) == len(cited_by) else ""
        return f"{publisher}: {names}" if publisher else names

    def listing(self) -> list[SourceView]:
        return [SourceView(n, self.label_of(url), url) for url, n in self.numbers.items()]


# ---------------------------------------------------------------------------------------------
# indicator rows (brief and spotlight)


@dataclass(frozen=True)
class IndicatorRow:
    pillar: str
    name: str
    value: str
    flag: str
    unit: str
    year: str
    rank: str
    peer_median: str
    footnote: str


IMPUTED_FLAG = "imp."
BOUNDED_FLAG = "≤ list"
OLD_FLAG = "old"
FLAG_NOTE = (
    f"{IMPUTED_FLAG} = missing, imputed for the index (the value shown is the imputed one); "
    f"{BOUNDED_FLAG} = not in a published top-N list, shown as the list's last value, an "
    f"upper bound; {OLD_FLAG} = older than {{age}} years. Ranks are among cities with a "
    "value (1 = best)."
)


def indicator_rows(
    result: EditionResult,
    city_id: str,
    peers: Sequence[str],
    sources: SourceRegistry | None,
) -> list[IndicatorRow]:
    panel = result.panel
    indicators = panel.indicators
    pillar_names = {p.id: p.name for p in result.edition.framework.pillars}
    imputed = result.index.imputed_mask
    bounded = result.index.bound_limited_mask
    rows = []
    order = sorted(
        indicators.index,
        key=lambda i: (
            list(pillar_names).index(indicators.at[i, "pillar"])
            if indicators.at[i, "pillar"] in pillar_names
            else 99,
            indicators.at[i, "role"] != "index",
            str(i),
        ),
    )
    max_age = result.edition.findings.max_data_age
    for indicator_id in order:
        direction = float(indicators.at[indicator_id, "direction"])
        column = panel.values[indicator_id]
        value = column.get(city_id, np.nan)
        unit = indicator_unit(indicators, indicator_id)
        flag = ""
        shown = value
        is_scored = indicator_id in imputed.columns and city_id in imputed.index
        if pd.isna(value) and is_scored and bool(imputed.at[city_id, indicator_id]):
            shown = _imputed_in_raw_units(result, city_id, indicator_id)
            flag = BOUNDED_FLAG if bool(bounded.at[city_id, indicator_id]) else IMPUTED_FLAG
        year = panel.years.at[city_id, indicator_id] if city_id in panel.years.index else pd.NA
        if not pd.isna(year) and result.year - int(year) > max_age and not flag:
            flag = OLD_FLAG
        observed = column.dropna()
        rank = ""
        if not pd.isna(value):
            better = (observed > value).sum() if direction > 0 else (observed < value).sum()
            rank = f"{int(better) + 1} of {len(observed)}"
        peer_values = column.reindex([p for p in peers if p != city_id]).dropna()
        footnote = ""
        url = panel.sources.at[city_id, indicator_id] if city_id in panel.sources.index else None
        if sources is not None and isinstance(url, str) and url:
            footnote = str(
                sources.number(
                    url, str(indicators.at[indicator_id, "name"]), indicator_id=str(indicator_id)
                )
            )
        rows.append(
            IndicatorRow(
                pillar=pillar_names.get(str(indicators.at[indicator_id, "pillar"]), ""),
                name=formatting.abbreviate(
                    str(
                        indicators.at[indicator_id, "short_name"]
                        or indicators.at[indicator_id, "name"]
                    ),
                    44,
                )
                + ("" if indicators.at[indicator_id, "role"] == "index" else " (context)"),
                value=formatting.number(shown),
                flag=flag,
                unit=_short_unit(unit),
                year="" if pd.isna(year) else str(int(year)),
                rank=rank,
                peer_median=formatting.number(peer_values.median())
                if len(peer_values) >= 3
                else "–",
                footnote=footnote,
            )
        )
    return rows


def _imputed_in_raw_units(result: EditionResult, city_id: str, indicator_id: str) -> float:
    """An imputed cell in the indicator's own unit (the engine may impute after dividing by a
    denominator); a city below a top-N list shows the list's last value, its upper bound."""
    bound = result.panel.bounds.at[city_id, indicator_id]
    if bool(result.index.bound_limited_mask.at[city_id, indicator_id]) and not pd.isna(bound):
        return float(bound)
    value = float(result.index.datasets["imputed"].at[city_id, indicator_id])
    denominator = result.index.framework.denominator_map().get(indicator_id)
    if denominator:
        value *= float(result.index.data.units.at[city_id, denominator])
    return value


def _short_unit(unit: str) -> str:
    return unit if len(unit) <= 38 else unit[:36].rstrip() + "…"


def peer_members(result: EditionResult, city_id: str) -> tuple[str, list[str]]:
    """The brief's peer group: the city's own stage (excluding the city itself)."""
    stage_id = result.stages.at[city_id, "stage_id"]
    members = [
        str(c) for c in result.stages.index[result.stages["stage_id"] == stage_id] if c != city_id
    ]
    name = f"{result.stages.at[city_id, 'stage_name']} peers"
    if len(members) < 3:
        top = result.scores["Overall"].sort_values(ascending=False).index[:10]
        members = [str(c) for c in top if c != city_id]
        name = "top-10 cities"
    return name, members


def select_findings(
    result: EditionResult, publication: str, city_id: str | None = None, n: int | None = None
) -> list[Finding]:
    return select(result.findings, publication, n, spec=result.edition.findings, city_id=city_id)
