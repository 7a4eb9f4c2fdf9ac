"""View-models: exactly what the templates print, already selected, sorted and formatted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from reportgen import formatting
from reportgen.analysis.findings import Finding, select
from reportgen.config import Edition
from reportgen.pipeline import EditionResult
from reportgen.report import charts, theme
from reportgen.report.context.inputs import (
    BOUNDED_FLAG,
    IMPUTED_FLAG,
    MIN_PEER_VALUES,
    OLD_FLAG,
    CityFacts,
    indicator_facts,
    peer_groups,
)

# Labels live with the brief's inputs (planning reads them without loading the chart library).
from reportgen.report.context.inputs import CityLabel as CityLabel
from reportgen.report.context.inputs import city_labels as city_labels


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


def meta_of(result: EditionResult, kind: str) -> Meta:
    framework = result.index.framework
    return edition_meta(
        result.edition,
        result.year,
        kind,
        n_cities=len(result.scores),
        n_indicators=len(framework.indicators),
        n_pillars=len(framework.codes_at(2)),
    )


def edition_meta(
    edition: Edition, year: int, kind: str, *, n_cities: int, n_indicators: int, n_pillars: int
) -> Meta:
    return Meta(
        title=edition.title,
        subtitle=edition.subtitle,
        running_title=f"{edition.title} {year}",
        edition=str(year),
        edition_line=f"{edition.title} · {year} edition",
        publisher=edition.publisher,
        author=edition.author,
        subject=(
            f"{kind} of the {edition.title} {year}: {n_cities} cities scored on "
            "Technology Development Potential and Ecosystem Co-Benefit Capacity"
        ),
        keywords=", ".join(edition.keywords),
        keyword_list=tuple(edition.keywords),
        language=edition.language,
        date=_edition_date(year),
        scope_line=f"{n_cities} cities · {n_indicators} scored indicators · "
        f"{n_pillars} pillars · data to {year}",
    )


def _edition_date(year: int) -> str:
    # The date printed is the edition's, not the clock's: same inputs, same PDF text.
    return dt.date(year, 1, 1).strftime("%Y")


def finding_view(finding: Finding, names: Mapping[str, str], show_city: bool) -> FindingView:
    return FindingView(
        kind=finding.kind,
        city_name=names.get(finding.city_id, finding.city_id),
        sentence=finding.sentence,
        caveats=tuple(finding.caveats),
        show_city=show_city,
    )


def stage_classes(result: EditionResult) -> dict[str, str]:
    return stage_classes_of(result.edition)


def stage_classes_of(edition: Edition) -> dict[str, str]:
    return {s.id: f"stage-{i + 1}" for i, s in enumerate(edition.stages.stages)}


def stage_regions(result: EditionResult) -> list[charts.StageRegion]:
    return stage_regions_of(result.stages, result.edition)


def stage_regions_of(stages: pd.DataFrame, edition: Edition) -> list[charts.StageRegion]:
    """Rectangles of the plane per stage, from the rules and the thresholds in force."""
    first = stages.iloc[0]
    cut = {"TDP": float(first["tdp_threshold"]), "ECC": float(first["ecc_threshold"])}
    regions = []
    for i, stage in enumerate(edition.stages.stages):
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
    return plane_points_of(result.stages, labels)


def plane_points_of(stages: pd.DataFrame, labels: Mapping[str, CityLabel]) -> pd.DataFrame:
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
    return plane_figure_of(
        book,
        result.stages,
        result.edition,
        result.year,
        labels,
        highlight=highlight,
        width=width,
        height=height,
        title=title,
        label_all=label_all,
        css_class=css_class,
    )


def plane_figure_of(
    book: ChartBook,
    stages: pd.DataFrame,
    edition: Edition,
    year: int,
    labels: Mapping[str, CityLabel],
    *,
    highlight: str | None = None,
    width: int = charts.FULL_WIDTH,
    height: int = 430,
    title: str = "Cities on the TDP × ECC plane",
    label_all: bool = True,
    css_class: str = "",
) -> FigureView:
    first = stages.iloc[0]
    tdp_cut, ecc_cut = float(first["tdp_threshold"]), float(first["ecc_threshold"])
    chart = charts.plane_chart(
        plane_points_of(stages, labels),
        tdp_threshold=tdp_cut,
        ecc_threshold=ecc_cut,
        regions=stage_regions_of(stages, edition),
        title=title,
        subtitle=f"Dashed lines: stage thresholds (TDP {tdp_cut:.1f}, ECC {ecc_cut:.1f})",
        source=source_line_of(edition, year),
        highlight=highlight,
        width=width,
        height=height,
        label_all=label_all,
    )
    city = labels[highlight].short_name if highlight else ""
    alt = (
        f"Scatter plot of {len(stages)} cities by TDP score (horizontal) and ECC score "
        f"(vertical), divided into {len(edition.stages.stages)} stage regions"
        + (
            f"; {city} highlighted at TDP {stages.at[highlight, 'TDP']:.1f}, "
            f"ECC {stages.at[highlight, 'ECC']:.1f}"
            if highlight
            else ""
        )
        + "."
    )
    return book.add(chart, alt, css_class=css_class)


def source_line(result: EditionResult) -> str:
    return source_line_of(result.edition, result.year)


def source_line_of(edition: Edition, year: int) -> str:
    return f"{edition.title} {year}, reportgen; indicator sources in the annex"


def indicator_unit(indicators: pd.DataFrame, indicator_id: str) -> str:
    return str(indicators.at[indicator_id, "unit"])


def interval_text(result: EditionResult, code: str, city_id: str) -> str:
    summary = result.rank_interval(code)
    if summary is None or city_id not in summary.index:
        return ""
    low, high = summary.at[city_id, "p05"], summary.at[city_id, "p95"]
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


class SourceRegistry:
    """Numbers each distinct source URL once, in order of first use."""

    def __init__(self, indicators: pd.DataFrame) -> None:
        self._labels: dict[str, str] = {}
        for indicator_id, row in indicators.iterrows():
            url = row.get("source_url")
            if isinstance(url, str) and url:
                self._labels.setdefault(url, str(row.get("source_name") or indicator_id))
        self.numbers: dict[str, int] = {}
        self.labels: dict[str, str] = {}

    def number(self, url: str, fallback_label: str) -> int:
        if url not in self.numbers:
            self.numbers[url] = len(self.numbers) + 1
            self.labels[url] = self._labels.get(url, fallback_label)
        return self.numbers[url]

    def listing(self) -> list[SourceView]:
        return [SourceView(n, self.labels[url], url) for url, n in self.numbers.items()]


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
    """One city's indicator table against any peer group (the annual report's spotlight)."""
    facts = indicator_facts(result)
    order = list(facts.shown.columns)
    row = CityFacts(
        shown=facts.shown.loc[city_id].to_numpy(float),
        flag=tuple(str(f) for f in facts.flag.loc[city_id]),
        year=facts.year.loc[city_id].to_numpy(float),
        source=tuple(str(s) for s in facts.source.loc[city_id]),
        rank=facts.rank.loc[city_id].to_numpy(float),
        ranked=facts.ranked.to_numpy(int),
        peer_median=_peer_median(facts.observed, [p for p in peers if p != city_id]).to_numpy(
            float
        ),
    )
    pillar_names = {p.id: p.name for p in result.edition.framework.pillars}
    return format_indicator_rows(result.panel.indicators.reindex(order), row, pillar_names, sources)


def _peer_median(observed: pd.DataFrame, peers: Sequence[str]) -> pd.Series:
    values = observed.reindex(list(peers))
    return values.median().where(values.count() >= MIN_PEER_VALUES)


def format_indicator_rows(
    indicators: pd.DataFrame,
    facts: CityFacts,
    pillar_names: Mapping[str, str],
    sources: SourceRegistry | None,
) -> list[IndicatorRow]:
    """Indicator rows as printed, from indicator metadata and one city's facts (same order)."""
    rows = []
    for i, (indicator_id, meta) in enumerate(indicators.iterrows()):
        footnote = ""
        if sources is not None and facts.source[i]:
            footnote = str(sources.number(facts.source[i], str(meta["name"])))
        rank = "" if np.isnan(facts.rank[i]) else f"{int(facts.rank[i])} of {int(facts.ranked[i])}"
        median = facts.peer_median[i]
        rows.append(
            IndicatorRow(
                pillar=pillar_names.get(str(meta["pillar"]), ""),
                name=formatting.abbreviate(str(meta["short_name"] or meta["name"]), 44)
                + ("" if meta["role"] == "index" else " (context)"),
                value=formatting.number(float(facts.shown[i])),
                flag=facts.flag[i],
                unit=_short_unit(indicator_unit(indicators, str(indicator_id))),
                year="" if np.isnan(facts.year[i]) else str(int(facts.year[i])),
                rank=rank,
                peer_median="–" if np.isnan(median) else formatting.number(float(median)),
                footnote=footnote,
            )
        )
    return rows


def _short_unit(unit: str) -> str:
    return unit if len(unit) <= 38 else unit[:36].rstrip() + "…"


def peer_members(result: EditionResult, city_id: str) -> tuple[str, list[str]]:
    """The brief's peer group: the city's own stage (excluding the city itself), or the top ten
    cities when the stage has fewer than three others."""
    name, members = peer_groups(result)[city_id]
    return name, list(members)


def select_findings(
    result: EditionResult, publication: str, city_id: str | None = None, n: int | None = None
) -> list[Finding]:
    return select(result.findings, publication, n, spec=result.edition.findings, city_id=city_id)
