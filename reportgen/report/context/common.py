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
from reportgen.pipeline import EditionResult
from reportgen.report import charts, theme
from reportgen.report.i18n import ENGLISH, Translator


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


def meta_of(result: EditionResult, kind: str, tr: Translator = ENGLISH) -> Meta:
    """The publication's metadata; ``kind`` ('Annual report') is already in ``tr``'s language."""
    _ = tr.gettext
    edition = result.edition
    n_cities = len(result.scores)
    n_indicators = len(result.index.framework.indicators)
    created = _edition_date(result)
    texts = edition_texts(result, tr)
    levels = tr.labels(result.labels)
    dimensions = _(" and ").join(levels.name(d) for d in levels.dimensions)
    return Meta(
        title=texts["title"],
        subtitle=texts["subtitle"],
        running_title=_("{title} {year}").format(title=texts["title"], year=result.year),
        edition=str(result.year),
        edition_line=_("{title} · {year} edition").format(title=texts["title"], year=result.year),
        publisher=texts["publisher"],
        author=texts["author"],
        subject=_("{kind} of the {title} {year}: {n} cities scored on {dimensions}").format(
            kind=kind, title=texts["title"], year=result.year, n=n_cities, dimensions=dimensions
        ),
        keywords=", ".join(texts["keywords"]),
        keyword_list=tuple(texts["keywords"]),
        language=edition.language if tr.is_source else tr.tag,
        date=created,
        scope_line=_(
            "{n} cities · {indicators} scored indicators · {pillars} pillars · data to {year}"
        ).format(
            n=n_cities,
            indicators=n_indicators,
            pillars=len(result.index.framework.codes_at(2)),
            year=result.year,
        ),
    )


def edition_texts(result: EditionResult, tr: Translator) -> dict[str, Any]:
    """The edition's title, subtitle, publisher, author and keywords in ``tr``'s language."""
    from reportgen.report.i18n import edition_translation

    edition = result.edition
    texts: dict[str, Any] = {
        "title": edition.title,
        "subtitle": edition.subtitle,
        "publisher": edition.publisher,
        "author": edition.author,
        "keywords": tuple(edition.keywords),
    }
    if not tr.is_source:
        found = edition_translation(edition, tr.tag)
        texts.update({k: v for k, v in found.items() if k in texts and v})
    return texts


def _edition_date(result: EditionResult) -> str:
    # The date printed is the edition's, not the clock's: same inputs, same PDF text.
    return dt.date(result.year, 1, 1).strftime("%Y")


def city_labels(
    result: EditionResult, with_chinese: bool, tr: Translator = ENGLISH
) -> dict[str, CityLabel]:
    """Every city's printed names. In Chinese the Chinese name is the name (the name catalogue's,
    else cities.csv's name_zh, else the English one) and no second name is printed."""
    labels = {}
    countries = tr.catalogue.get("countries", {})
    regions = tr.catalogue.get("regions", {})
    for city_id, row in result.panel.cities.iterrows():
        population = row.get("population")
        name = str(row["name"])
        name_zh = str(row["name_zh"]) if isinstance(row.get("name_zh"), str) else ""
        if not tr.is_source:
            name = tr.city_name(str(city_id), name_zh or name)
        labels[str(city_id)] = CityLabel(
            city_id=str(city_id),
            name=name,
            short_name=formatting.abbreviate(name),
            heading_name=formatting.abbreviate(name, 80),
            name_zh=name_zh if with_chinese and tr.is_source else "",
            country=str(countries.get(str(row["country"]), row["country"])),
            region=str(regions.get(str(row["region"]), row["region"])),
            population=_population(population, tr),
        )
    return labels


def _population(value: Any, tr: Translator = ENGLISH) -> str:
    if formatting.is_missing(value) or value == "" or pd.isna(value):
        return ""
    x = float(value)
    if not tr.is_source:
        # Chinese counts in 萬 (10^4): 7,490,000 is 749萬.
        return tr.gettext("{n} ten-thousand").format(n=tr.number(round(x / 1e4)))
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


def stage_name(result: EditionResult, stage_id: str, tr: Translator = ENGLISH) -> str:
    """A stage's printed name in ``tr``'s language (the edition's name for its id)."""
    names = result.edition.stages.names
    if stage_id not in names:
        return tr.gettext("Unassigned")
    return tr.name(stage_id, names[stage_id])


def stage_regions(result: EditionResult, tr: Translator = ENGLISH) -> list[charts.StageRegion]:
    """Rectangles of the plane per stage, from the rules and the thresholds in force."""
    first = result.stages.iloc[0]
    x_cut, y_cut = float(first["tdp_threshold"]), float(first["ecc_threshold"])
    regions = []
    for i, stage in enumerate(result.edition.stages.stages):
        x_low, x_high = _band(stage.rule.tdp, x_cut)
        y_low, y_high = _band(stage.rule.ecc, y_cut)
        regions.append(
            charts.StageRegion(
                tr.name(stage.id, stage.name), theme.stage_colour(i), x_low, x_high, y_low, y_high
            )
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


def plane_points(
    result: EditionResult, labels: Mapping[str, CityLabel], tr: Translator = ENGLISH
) -> pd.DataFrame:
    stages, levels = result.stages, result.labels
    return pd.DataFrame(
        {
            "city_id": stages.index.astype(str),
            "label": [labels[c].short_name for c in stages.index],
            "x": result.scores.loc[stages.index, levels.x].to_numpy(float),
            "y": result.scores.loc[stages.index, levels.y].to_numpy(float),
            "stage": [stage_name(result, str(s), tr) for s in stages["stage_id"]],
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
    tr: Translator = ENGLISH,
) -> FigureView:
    _ = tr.gettext
    levels = tr.labels(result.labels)
    x, y = levels.x, levels.y
    first = result.stages.iloc[0]
    x_cut, y_cut = float(first["tdp_threshold"]), float(first["ecc_threshold"])
    axis_title = _("{name} ({code} score, 0-100)")
    chart = charts.plane_chart(
        plane_points(result, labels, tr),
        x_threshold=x_cut,
        y_threshold=y_cut,
        x_title=axis_title.format(name=levels.name(x), code=x),
        y_title=axis_title.format(name=levels.name(y), code=y),
        regions=stage_regions(result, tr),
        title=title or _("Cities on the {plane} plane").format(plane=levels.plane),
        subtitle=_("Dashed lines: stage thresholds ({x} {x_cut}, {y} {y_cut})").format(
            x=x, x_cut=f"{x_cut:.1f}", y=y, y_cut=f"{y_cut:.1f}"
        ),
        source=source_line(result, tr),
        highlight=highlight,
        width=width,
        height=height,
        label_all=label_all,
        tr=tr,
    )
    alt = _(
        "Scatter plot of {n} cities by {x} score (horizontal) and {y} score (vertical), "
        "divided into {stages} stage regions."
    )
    if highlight:
        alt = _(
            "Scatter plot of {n} cities by {x} score (horizontal) and {y} score (vertical), "
            "divided into {stages} stage regions; {city} highlighted at {x} {x_score}, "
            "{y} {y_score}."
        )
    alt = alt.format(
        n=len(result.stages),
        x=x,
        y=y,
        stages=len(result.edition.stages.stages),
        city=labels[highlight].short_name if highlight else "",
        x_score=f"{result.scores.at[highlight, x]:.1f}" if highlight else "",
        y_score=f"{result.scores.at[highlight, y]:.1f}" if highlight else "",
    )
    return book.add(chart, alt, css_class=css_class)


def source_line(result: EditionResult, tr: Translator = ENGLISH) -> str:
    return tr.gettext("{title} {year}, reportgen; indicator sources in the annex").format(
        title=edition_texts(result, tr)["title"], year=result.year
    )


def indicator_unit(indicators: pd.DataFrame, indicator_id: str) -> str:
    return str(indicators.at[indicator_id, "unit"])


def interval_text(result: EditionResult, code: str, city_id: str) -> str:
    summary = result.rank_interval(code)
    if summary is None or city_id not in summary.index:
        return ""
    low, high = summary.at[city_id, "p05"], summary.at[city_id, "p95"]
    return f"{round(low)}–{round(high)}"


def rank_change_text(
    result: EditionResult, code: str, city_id: str, tr: Translator = ENGLISH
) -> str:
    if result.previous is None:
        return ""
    before = result.previous.index.ranks
    if city_id not in before.index:
        return tr.gettext("new")
    change = int(before.at[city_id, code]) - int(result.ranks.at[city_id, code])
    if change == 0:
        return "="
    return ("▲ " if change > 0 else "▼ ") + str(abs(change))


# ---------------------------------------------------------------------------------------------
# sources


class SourceRegistry:
    """Numbers each distinct source URL once, in order of first use."""

    def __init__(self, indicators: pd.DataFrame, tr: Translator = ENGLISH) -> None:
        self._labels: dict[str, str] = {}
        for indicator_id, row in indicators.iterrows():
            url = row.get("source_url")
            if isinstance(url, str) and url:
                label = tr.source_name(str(row.get("source_name") or indicator_id))
                self._labels.setdefault(url, label)
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


IMPUTED_FLAG = "imp."
BOUNDED_FLAG = "≤ list"
OLD_FLAG = "old"
FLAG_NOTE = (
    f"{IMPUTED_FLAG} = missing, imputed for the index (the value shown is the imputed one); "
    f"{BOUNDED_FLAG} = not in a published top-N list, shown as the list's last value, an "
    f"upper bound; {OLD_FLAG} = older than {{age}} years. Ranks are among cities with a "
    "value (1 = best)."
)


def flags(tr: Translator = ENGLISH) -> tuple[str, str, str]:
    """The imputed, bounded and old flags of the indicator tables in ``tr``'s language."""
    _ = tr.gettext
    # Literal msgids (extraction cannot read constants); they equal the constants above.
    return _("imp."), _("≤ list"), _("old")


def flag_note(age: int, tr: Translator = ENGLISH) -> str:
    """What the flags mean (and, in a translation, what † marks)."""
    _ = tr.gettext
    imputed, bounded, old = flags(tr)
    note = _(
        "{imputed} = missing, imputed for the index (the value shown is the imputed one); "
        "{bounded} = not in a published top-N list, shown as the list's last value, an upper "
        "bound; {old} = older than {age} years. Ranks are among cities with a value (1 = best)."
    ).format(imputed=imputed, bounded=bounded, old=old, age=age)
    if not tr.is_source:
        note += _(" † = no translated name; the original name is shown.")
    return note


def indicator_rows(
    result: EditionResult,
    city_id: str,
    peers: Sequence[str],
    sources: SourceRegistry | None,
    tr: Translator = ENGLISH,
) -> list[IndicatorRow]:
    _ = tr.gettext
    imputed_flag, bounded_flag, old_flag = flags(tr)
    panel = result.panel
    indicators = panel.indicators
    pillar_names = {p.id: tr.name(p.id, p.name) for p in result.edition.framework.pillars}
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
        printed = tr.indicator(str(indicator_id), indicators.loc[indicator_id])
        flag = ""
        shown = value
        is_scored = indicator_id in imputed.columns and city_id in imputed.index
        if pd.isna(value) and is_scored and bool(imputed.at[city_id, indicator_id]):
            shown = _imputed_in_raw_units(result, city_id, indicator_id)
            flag = bounded_flag if bool(bounded.at[city_id, indicator_id]) else imputed_flag
        year = panel.years.at[city_id, indicator_id] if city_id in panel.years.index else pd.NA
        if not pd.isna(year) and result.year - int(year) > max_age and not flag:
            flag = old_flag
        observed = column.dropna()
        rank = ""
        if not pd.isna(value):
            better = (observed > value).sum() if direction > 0 else (observed < value).sum()
            rank = _("{rank} of {n}").format(rank=int(better) + 1, n=len(observed))
        peer_values = column.reindex([p for p in peers if p != city_id]).dropna()
        footnote = ""
        url = panel.sources.at[city_id, indicator_id] if city_id in panel.sources.index else None
        if sources is not None and isinstance(url, str) and url:
            footnote = str(sources.number(url, printed.name))
        rows.append(
            IndicatorRow(
                pillar=pillar_names.get(str(indicators.at[indicator_id, "pillar"]), ""),
                name=formatting.abbreviate(printed.short_name, 44)
                + ("" if indicators.at[indicator_id, "role"] == "index" else _(" (context)")),
                value=tr.number(shown * printed.scale),
                flag=flag,
                unit=_short_unit(printed.unit),
                year="" if pd.isna(year) else str(int(year)),
                rank=rank,
                peer_median=tr.number(peer_values.median() * printed.scale)
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


def peer_members(
    result: EditionResult, city_id: str, tr: Translator = ENGLISH
) -> tuple[str, list[str]]:
    """The brief's peer group: the city's own stage (excluding the city itself)."""
    stage_id = result.stages.at[city_id, "stage_id"]
    members = [
        str(c) for c in result.stages.index[result.stages["stage_id"] == stage_id] if c != city_id
    ]
    name = tr.gettext("{stage} peers").format(stage=stage_name(result, str(stage_id), tr))
    if len(members) < 3:
        top = result.scores[result.labels.index].sort_values(ascending=False).index[:10]
        members = [str(c) for c in top if c != city_id]
        name = tr.gettext("top-10 cities")
    return name, members


def select_findings(
    result: EditionResult, publication: str, city_id: str | None = None, n: int | None = None
) -> list[Finding]:
    return select(result.findings, publication, n, spec=result.edition.findings, city_id=city_id)
