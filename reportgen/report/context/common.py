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
from reportgen.analysis.findings import BriefFindings, Finding, Theme, select
from reportgen.config import Edition
from reportgen.data.citation import Citation, citation
from reportgen.labels import edition_labels
from reportgen.pipeline import EditionResult
from reportgen.report import charts, theme
from reportgen.report.context.inputs import (
    BOUNDED_FLAG,
    IMPUTED_FLAG,
    MIN_PEER_VALUES,
    OLD_FLAG,
    SHARED_FLAG,
    SPLIT_FLAG,
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
    publisher: str = ""


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
    framework = result.index.framework
    return edition_meta(
        result.edition,
        result.year,
        kind,
        n_cities=len(result.scores),
        n_indicators=len(framework.indicators),
        n_pillars=len(framework.codes_at(2)),
        what_if=result.what_if,
        data_span=result.data_span,
        interval_label=result.interval_label,
        screened_note=screened_note(result),
    )


def edition_meta(
    edition: Edition,
    year: int,
    kind: str,
    *,
    n_cities: int,
    n_indicators: int,
    n_pillars: int,
    what_if: Sequence[str] = (),
    data_span: tuple[int, int] | None = None,
    interval_label: str = "",
    screened_note: str = "",
) -> Meta:
    """The document's metadata and running strings; a what-if says so in the running header and
    footer of every page and in the PDF metadata."""
    mark = f" · {WHAT_IF_LABEL}" if what_if else ""
    levels = edition_labels(edition)
    subject = f"{kind} of the {edition.title} {year}: {n_cities} cities scored on " + " and ".join(
        levels.name(d) for d in levels.dimensions
    )
    keywords = tuple(edition.keywords) + (("what-if",) if what_if else ())
    return Meta(
        title=edition.title,
        subtitle=edition.subtitle,
        running_title=f"{edition.title} {year}{mark}",
        edition=str(year),
        edition_line=f"{edition.title} · {year} edition{mark}",
        publisher=edition.publisher,
        author=edition.author,
        subject=f"{subject}; what-if build ({'; '.join(what_if)})" if what_if else subject,
        keywords=", ".join(keywords),
        keyword_list=keywords,
        language=edition.language,
        date=_edition_date(year),
        scope_line=f"{n_cities} cities · {n_indicators} scored indicators · "
        f"{n_pillars} pillars · {data_years_text(data_span, year)}",
        document_title=f"{edition.title} (what-if)" if what_if else edition.title,
        what_if=what_if_sentence(what_if),
        what_if_method=what_if_method(what_if, edition.source),
        interval_label=interval_label,
        screened_note=screened_note,
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


def data_years_text(span: tuple[int, int] | None, year: int) -> str:
    """'data 2016–2025': the years the scored values actually come from, not the edition's."""
    if span is None:
        return f"{year} edition"
    first, last = span
    return f"data {first}" if first == last else f"data {first}–{last}"


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


def theme_view(theme: Theme, notes: Sequence[str] = ()) -> FindingView:
    """A theme as one finding line; caveats already printed as notes are not repeated."""
    return FindingView(
        kind=theme.kind,
        city_name="",
        sentence=theme.sentence,
        caveats=tuple(c for c in theme.caveats if c not in notes),
        show_city=False,
    )


@dataclass(frozen=True)
class BriefFindingViews:
    strengths: tuple[FindingView, ...]
    gaps: tuple[FindingView, ...]
    others: tuple[FindingView, ...]  # the stage, movers, data notes, what cannot be measured


def brief_finding_views(chosen: BriefFindings | None) -> BriefFindingViews:
    """A brief's (or the spotlight's) findings as printed lines: gaps and strengths as themes,
    then the stage, the movers, the data note and what the data cannot yet measure."""
    if chosen is None:
        return BriefFindingViews((), (), ())
    notes = tuple(chosen.notes)
    others = [finding_view(f, {}, False) for f in (chosen.stage, *chosen.movers, chosen.data) if f]
    others += [FindingView("note", "", note, (), False) for note in notes]
    return BriefFindingViews(
        strengths=tuple(theme_view(t, notes) for t in chosen.strengths),
        gaps=tuple(theme_view(t, notes) for t in chosen.gaps),
        others=tuple(others),
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
    x_cut, y_cut = float(first["tdp_threshold"]), float(first["ecc_threshold"])
    regions = []
    for i, stage in enumerate(edition.stages.stages):
        x_low, x_high = _band(stage.rule.tdp, x_cut)
        y_low, y_high = _band(stage.rule.ecc, y_cut)
        regions.append(
            charts.StageRegion(stage.name, theme.stage_colour(i), x_low, x_high, y_low, y_high)
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
    return plane_points_of(result.stages, result.edition, labels)


def plane_points_of(
    stages: pd.DataFrame, edition: Edition, labels: Mapping[str, CityLabel]
) -> pd.DataFrame:
    """One row per city: its label, its two axis scores as x and y, and its stage."""
    levels = edition_labels(edition)
    return pd.DataFrame(
        {
            "city_id": stages.index.astype(str),
            "label": [labels[c].short_name for c in stages.index],
            "x": stages[levels.x].to_numpy(float),
            "y": stages[levels.y].to_numpy(float),
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
    title: str = "",
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
    title: str = "",
    label_all: bool = True,
    css_class: str = "",
) -> FigureView:
    levels = edition_labels(edition)
    x, y = levels.x, levels.y
    first = stages.iloc[0]
    x_cut, y_cut = float(first["tdp_threshold"]), float(first["ecc_threshold"])
    chart = charts.plane_chart(
        plane_points_of(stages, edition, labels),
        x_threshold=x_cut,
        y_threshold=y_cut,
        x_title=f"{levels.name(x)} ({x} score, 0-100)",
        y_title=f"{levels.name(y)} ({y} score, 0-100)",
        regions=stage_regions_of(stages, edition),
        title=title or f"Cities on the {levels.plane} plane",
        subtitle=f"Dashed lines: stage thresholds ({x} {x_cut:.1f}, {y} {y_cut:.1f})",
        source=source_line_of(edition, year),
        highlight=highlight,
        width=width,
        height=height,
        label_all=label_all,
    )
    city = labels[highlight].short_name if highlight else ""
    alt = (
        f"Scatter plot of {len(stages)} cities by {x} score (horizontal) and {y} score "
        f"(vertical), divided into {len(edition.stages.stages)} stage regions"
        + (
            f"; {city} highlighted at {x} {stages.at[highlight, x]:.1f}, "
            f"{y} {stages.at[highlight, y]:.1f}"
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
        """The original publisher and publication first, then who republished the page, then
        the indicators read from it: 'PitchBook, Global VC Ecosystem Rankings 2024, as
        republished by Becker's Hospital Review: VC raised, VC deals'."""
        table = self._indicators
        known = [i for i in cited_by if i in table.index]
        names = ", ".join(
            formatting.abbreviate(str(table.at[i, "short_name"] or table.at[i, "name"]), 44)
            if i in known
            else i
            for i in cited_by
        )
        if not known:
            return names
        cites = {(c.publisher, c.title, c.republished_by) for c in self._citations(url, known)}
        # One publisher only when every citing indicator names the same: a compilation that
        # several sources reach us through must not credit one of them with all the values.
        if len(cites) != 1 or len(known) != len(cited_by):
            return names
        publisher, title, republished_by = cites.pop()
        via = f", as republished by {republished_by}" if republished_by else ""
        return f"{publisher}, {title}{via}: {names}"

    def _citations(self, url: str, indicator_ids: list[str]) -> list[Citation]:
        return [citation(self._indicators.loc[i], url) for i in indicator_ids]

    def publisher_of(self, url: str) -> str:
        """The original publisher of a source, when all the indicators citing it agree."""
        known = [i for i in self.cited_by.get(url, ()) if i in self._indicators.index]
        publishers = {c.publisher for c in self._citations(url, known)}
        return publishers.pop() if len(publishers) == 1 else ""

    def listing(self) -> list[SourceView]:
        return [
            SourceView(n, self.label_of(url), url, self.publisher_of(url))
            for url, n in self.numbers.items()
        ]


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
    value_class: str = ""  # "estimate" where the value printed is not an observed one


# Flags whose value is an estimate, printed unlike observed values (the rest mark observed ones).
ESTIMATE_FLAGS = frozenset({IMPUTED_FLAG, SPLIT_FLAG})


FLAG_NOTE = (
    f"{IMPUTED_FLAG} = missing, estimated for the index (the value shown is the estimate); "
    f"{BOUNDED_FLAG} = below a published top-N ranking, shown as its last rank, a true "
    f"bound; {SPLIT_FLAG} = a multi-city unit's total (e.g. one WIPO cluster for several "
    f"cities) split by population share, an estimate; {SHARED_FLAG} = the unit's whole total; "
    f"{OLD_FLAG} = older than {{age}} years. Ranks are among cities with a value (1 = best)."
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
        if meta["role"] != "index" and pd.isna(facts.shown[i]):
            continue  # a context indicator the city has no value for says nothing about it
        footnote = ""
        if sources is not None and facts.source[i]:
            footnote = str(
                sources.number(facts.source[i], str(meta["name"]), indicator_id=str(indicator_id))
            )
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
                value_class="estimate" if facts.flag[i] in ESTIMATE_FLAGS else "",
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
