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
from reportgen.report.i18n import ENGLISH, Translator, edition_translation


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


def what_if_label(tr: Translator = ENGLISH) -> str:
    """WHAT_IF_LABEL in ``tr``'s language (a literal msgid, so extraction finds it)."""
    return tr.gettext("WHAT-IF")


def what_if_sentence(changes: Sequence[str], tr: Translator = ENGLISH) -> str:
    """The what-if banner: not the official edition, and which parameters differ from it."""
    if not changes:
        return ""
    return tr.gettext(
        "{label}: not the official edition. Built with {changes} instead of the edition "
        "file's method."
    ).format(label=what_if_label(tr), changes="; ".join(changes))


def what_if_method(changes: Sequence[str], source: str, tr: Translator = ENGLISH) -> str:
    """The methodology's statement of a what-if: what changed, and how to re-run it."""
    if not changes:
        return ""
    sets = " ".join(f"--set '{c}'" for c in changes)
    return tr.gettext(
        "This is a what-if build, not the official edition: it departs from the method of "
        "{file} in {changes}. The steps below and the build printed at the end are the ones "
        "that ran. The command reportgen build {sets} re-runs it; reportgen build alone makes "
        "the official edition."
    ).format(file=Path(source).name, changes="; ".join(changes), sets=sets)


def edition_texts(edition: Edition, tr: Translator = ENGLISH) -> dict[str, Any]:
    """The edition's title, subtitle, publisher, author and keywords in ``tr``'s language."""
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


def meta_of(result: EditionResult, kind: str, tr: Translator = ENGLISH) -> Meta:
    """The publication's metadata; ``kind`` ('Annual report') is already in ``tr``'s language."""
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
        screened_note=screened_note(result, tr),
        tr=tr,
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
    tr: Translator = ENGLISH,
) -> Meta:
    """The document's metadata and running strings; a what-if says so in the running header and
    footer of every page and in the PDF metadata."""
    _ = tr.gettext
    mark = f" · {what_if_label(tr)}" if what_if else ""
    levels = tr.labels(edition_labels(edition))
    texts = edition_texts(edition, tr)
    title = texts["title"]
    subject = _("{kind} of the {title} {year}: {n} cities scored on {dimensions}").format(
        kind=kind,
        title=title,
        year=year,
        n=n_cities,
        dimensions=_(" and ").join(levels.name(d) for d in levels.dimensions),
    )
    keywords = tuple(texts["keywords"]) + (("what-if",) if what_if else ())
    return Meta(
        title=title,
        subtitle=texts["subtitle"],
        running_title=_("{title} {year}").format(title=title, year=year) + mark,
        edition=str(year),
        edition_line=_("{title} · {year} edition").format(title=title, year=year) + mark,
        publisher=texts["publisher"],
        author=texts["author"],
        subject=_("{subject}; what-if build ({changes})").format(
            subject=subject, changes="; ".join(what_if)
        )
        if what_if
        else subject,
        keywords=", ".join(keywords),
        keyword_list=keywords,
        language=edition.language if tr.is_source else tr.tag,
        date=_edition_date(year),
        scope_line=_(
            "{n} cities · {indicators} scored indicators · {pillars} pillars · {years}"
        ).format(
            n=n_cities,
            indicators=n_indicators,
            pillars=n_pillars,
            years=data_years_text(data_span, year, tr),
        ),
        document_title=_("{title} (what-if)").format(title=title) if what_if else title,
        what_if=what_if_sentence(what_if, tr),
        what_if_method=what_if_method(what_if, edition.source, tr),
        interval_label=interval_label,
        screened_note=screened_note,
    )


def screened_note(result: EditionResult, tr: Translator = ENGLISH) -> str:
    """'The coverage screen left out 1 city of the data: Kuala Lumpur (7 of 21 scored
    indicators; 11 needed).' Empty when every city with data is ranked."""
    _ = tr.gettext
    gone = result.screened_out
    if not gone:
        return ""
    coverage = _("{city} ({reported} of {scored} scored indicators, {needed} needed)")
    other = _("{city} ({why})")
    listed = _("; ").join(
        coverage.format(city=s.name, reported=s.reported, scored=s.scored, needed=s.needed)
        if s.reason == "coverage"
        else other.format(city=s.name, why=s.why())
        for s in gone
    )
    return tr.ngettext(
        "The coverage screen left out {n} city of the data, which this report neither ranks "
        "nor counts: {listed}.",
        "The coverage screen left out {n} cities of the data, which this report neither ranks "
        "nor counts: {listed}.",
        len(gone),
    ).format(n=len(gone), listed=listed)


def data_years_text(span: tuple[int, int] | None, year: int, tr: Translator = ENGLISH) -> str:
    """'data 2016–2025': the years the scored values actually come from, not the edition's."""
    _ = tr.gettext
    if span is None:
        return _("{year} edition").format(year=year)
    first, last = span
    if first == last:
        return _("data {year}").format(year=first)
    return _("data {first}–{last}").format(first=first, last=last)


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
        caveats=tuple(c for c in dict.fromkeys(theme.caveats) if c not in notes),
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


def stage_name(result: EditionResult, stage_id: str, tr: Translator = ENGLISH) -> str:
    """A stage's printed name in ``tr``'s language (the edition's name for its id)."""
    return stage_name_of(result.edition, stage_id, tr)


def stage_name_of(edition: Edition, stage_id: str, tr: Translator = ENGLISH) -> str:
    names = edition.stages.names
    if stage_id not in names:
        return tr.gettext("Unassigned")
    return tr.name(stage_id, names[stage_id])


def stage_regions(result: EditionResult, tr: Translator = ENGLISH) -> list[charts.StageRegion]:
    return stage_regions_of(result.stages, result.edition, tr)


def stage_regions_of(
    stages: pd.DataFrame, edition: Edition, tr: Translator = ENGLISH
) -> list[charts.StageRegion]:
    """Rectangles of the plane per stage, from the rules and the thresholds in force."""
    first = stages.iloc[0]
    x_cut, y_cut = float(first["tdp_threshold"]), float(first["ecc_threshold"])
    regions = []
    for i, stage in enumerate(edition.stages.stages):
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
    return plane_points_of(result.stages, result.edition, labels, tr)


def plane_points_of(
    stages: pd.DataFrame,
    edition: Edition,
    labels: Mapping[str, CityLabel],
    tr: Translator = ENGLISH,
) -> pd.DataFrame:
    """One row per city: its label, its two axis scores as x and y, and its stage."""
    levels = edition_labels(edition)
    return pd.DataFrame(
        {
            "city_id": stages.index.astype(str),
            "label": [labels[c].short_name for c in stages.index],
            "x": stages[levels.x].to_numpy(float),
            "y": stages[levels.y].to_numpy(float),
            "stage": stages["stage_name"].astype(str).to_numpy()
            if tr.is_source
            else [stage_name_of(edition, str(s), tr) for s in stages["stage_id"]],
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
        tr=tr,
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
    tr: Translator = ENGLISH,
) -> FigureView:
    _ = tr.gettext
    levels = tr.labels(edition_labels(edition))
    x, y = levels.x, levels.y
    first = stages.iloc[0]
    x_cut, y_cut = float(first["tdp_threshold"]), float(first["ecc_threshold"])
    axis_title = _("{name} ({code} score, 0-100)")
    chart = charts.plane_chart(
        plane_points_of(stages, edition, labels, tr),
        x_threshold=x_cut,
        y_threshold=y_cut,
        x_title=axis_title.format(name=levels.name(x), code=x),
        y_title=axis_title.format(name=levels.name(y), code=y),
        regions=stage_regions_of(stages, edition, tr),
        title=title or _("Cities on the {plane} plane").format(plane=levels.plane),
        subtitle=_("Dashed lines: stage thresholds ({x} {x_cut}, {y} {y_cut})").format(
            x=x, x_cut=f"{x_cut:.1f}", y=y, y_cut=f"{y_cut:.1f}"
        ),
        source=source_line_of(edition, year, tr),
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
        n=len(stages),
        x=x,
        y=y,
        stages=len(edition.stages.stages),
        city=labels[highlight].short_name if highlight else "",
        x_score=f"{stages.at[highlight, x]:.1f}" if highlight else "",
        y_score=f"{stages.at[highlight, y]:.1f}" if highlight else "",
    )
    if charts.plane_uses_density(len(stages)):
        # The chart draws the cities as counted cells at this size: say so to a screen reader.
        shaded = (
            _(
                "Cities other than {city} are shown as shaded cells, darker where more of them "
                "fall in a {cell} × {cell}-point cell."
            )
            if highlight
            else _(
                "Cities are shown as shaded cells, darker where more of them fall in a "
                "{cell} × {cell}-point cell."
            )
        )
        cell = f"{charts.PLANE_CELL:g}"
        city = labels[highlight].short_name if highlight else ""
        alt = alt + " " + shaded.format(city=city, cell=cell)
    return book.add(chart, alt, css_class=css_class)


def source_line(result: EditionResult, tr: Translator = ENGLISH) -> str:
    return source_line_of(result.edition, result.year, tr)


def source_line_of(edition: Edition, year: int, tr: Translator = ENGLISH) -> str:
    return tr.gettext("{title} {year}, reportgen; indicator sources in the annex").format(
        title=edition_texts(edition, tr)["title"], year=year
    )


def indicator_unit(indicators: pd.DataFrame, indicator_id: str) -> str:
    return str(indicators.at[indicator_id, "unit"])


def interval_text(result: EditionResult, code: str, city_id: str) -> str:
    summary = result.rank_interval(code)
    if summary is None or city_id not in summary.index:
        return ""
    low_column, high_column = result.interval_columns
    low, high = summary.at[city_id, low_column], summary.at[city_id, high_column]
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


SourceLabel = Callable[[str, tuple[str, ...]], str]
"""A source entry's label from its URL and the ids of the indicators citing it, in order of use
(e.g. a publisher's citation, looked up in the data)."""


class SourceRegistry:
    """Numbers each distinct source URL once, in order of first use.

    An entry is labelled by every indicator that cites it, never by whichever came first: two
    indicators read from one table share its entry and both are named. ``label`` replaces the
    default wording (publisher plus indicator names).
    """

    def __init__(
        self, indicators: pd.DataFrame, label: SourceLabel | None = None, tr: Translator = ENGLISH
    ) -> None:
        self._indicators = indicators
        self._tr = tr
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
        table, tr = self._indicators, self._tr
        known = [i for i in cited_by if i in table.index]
        names = tr.join(
            [
                formatting.abbreviate(
                    str(table.at[i, "short_name"] or table.at[i, "name"])
                    if tr.is_source
                    else tr.indicator(i, table.loc[i]).short_name,
                    44,
                )
                if i in known
                else i
                for i in cited_by
            ]
        )
        if not known:
            return names
        cites = {(c.publisher, c.title, c.republished_by) for c in self._citations(url, known)}
        # One publisher only when every citing indicator names the same: a compilation that
        # several sources reach us through must not credit one of them with all the values.
        if len(cites) != 1 or len(known) != len(cited_by):
            return names
        # Publishers and titles are cited as published (in their own language).
        publisher, title, republished_by = cites.pop()
        if republished_by:
            return tr.gettext("{publisher}, {title}, as republished by {via}: {names}").format(
                publisher=publisher, title=title, via=republished_by, names=names
            )
        return tr.gettext("{publisher}, {title}: {names}").format(
            publisher=publisher, title=title, names=names
        )

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


def flag_words(tr: Translator = ENGLISH) -> dict[str, str]:
    """Each flag (as the facts record it) as printed in ``tr``'s language."""
    _ = tr.gettext
    # Literal msgids (extraction cannot read constants); each equals its constant.
    return {
        "": "",
        IMPUTED_FLAG: _("imp."),
        BOUNDED_FLAG: _("≤ list"),
        OLD_FLAG: _("old"),
        SHARED_FLAG: _("shared"),
        SPLIT_FLAG: _("est. share"),
    }


def flag_note(age: int, tr: Translator = ENGLISH) -> str:
    """What the flags mean (and, in a translation, what † marks)."""
    if tr.is_source:
        return FLAG_NOTE.format(age=age)
    words = flag_words(tr)
    note = tr.gettext(
        "{imputed} = missing, estimated for the index (the value shown is the estimate); "
        "{bounded} = below a published top-N ranking, shown as its last rank, a true bound; "
        "{split} = a multi-city unit's total (e.g. one WIPO cluster for several cities) split "
        "by population share, an estimate; {shared} = the unit's whole total; {old} = older "
        "than {age} years. Ranks are among cities with a value (1 = best)."
    ).format(
        imputed=words[IMPUTED_FLAG],
        bounded=words[BOUNDED_FLAG],
        split=words[SPLIT_FLAG],
        shared=words[SHARED_FLAG],
        old=words[OLD_FLAG],
        age=age,
    )
    return note + tr.gettext(" † = no translated name; the original name is shown.")


def indicator_rows(
    result: EditionResult,
    city_id: str,
    peers: Sequence[str],
    sources: SourceRegistry | None,
    tr: Translator = ENGLISH,
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
    pillar_names = {p.id: tr.name(p.id, p.name) for p in result.edition.framework.pillars}
    indicators = result.panel.indicators.reindex(order)
    return format_indicator_rows(indicators, row, pillar_names, sources, tr)


def _peer_median(observed: pd.DataFrame, peers: Sequence[str]) -> pd.Series:
    values = observed.reindex(list(peers))
    return values.median().where(values.count() >= MIN_PEER_VALUES)


def format_indicator_rows(
    indicators: pd.DataFrame,
    facts: CityFacts,
    pillar_names: Mapping[str, str],
    sources: SourceRegistry | None,
    tr: Translator = ENGLISH,
) -> list[IndicatorRow]:
    """Indicator rows as printed, from indicator metadata and one city's facts (same order), in
    ``tr``'s language (names, units and flags; USD bn printed as 億美元 with values scaled)."""
    _ = tr.gettext
    words = flag_words(tr)
    rows = []
    for i, (indicator_id, meta) in enumerate(indicators.iterrows()):
        if meta["role"] != "index" and pd.isna(facts.shown[i]):
            continue  # a context indicator the city has no value for says nothing about it
        printed = tr.indicator(str(indicator_id), meta)
        footnote = ""
        if sources is not None and facts.source[i]:
            footnote = str(
                sources.number(facts.source[i], str(meta["name"]), indicator_id=str(indicator_id))
            )
        rank = (
            ""
            if np.isnan(facts.rank[i])
            else _("{rank} of {n}").format(rank=int(facts.rank[i]), n=int(facts.ranked[i]))
        )
        median = facts.peer_median[i]
        short_name = str(meta["short_name"] or meta["name"]) if tr.is_source else printed.short_name
        unit = indicator_unit(indicators, str(indicator_id)) if tr.is_source else printed.unit
        rows.append(
            IndicatorRow(
                pillar=pillar_names.get(str(meta["pillar"]), ""),
                name=formatting.abbreviate(short_name, 44)
                + ("" if meta["role"] == "index" else _(" (context)")),
                value=tr.number(float(facts.shown[i]) * printed.scale),
                flag=words.get(facts.flag[i], facts.flag[i]),
                unit=_short_unit(unit),
                year="" if np.isnan(facts.year[i]) else str(int(facts.year[i])),
                rank=rank,
                peer_median="–" if np.isnan(median) else tr.number(float(median) * printed.scale),
                footnote=footnote,
                value_class="estimate" if facts.flag[i] in ESTIMATE_FLAGS else "",
            )
        )
    return rows


def _short_unit(unit: str) -> str:
    return unit if len(unit) <= 38 else unit[:36].rstrip() + "…"


def peer_members(
    result: EditionResult, city_id: str, tr: Translator = ENGLISH
) -> tuple[str, list[str]]:
    """The brief's peer group: the city's own stage (excluding the city itself), or the top ten
    cities when the stage has fewer than three others."""
    name, pool = peer_groups(result)[city_id]
    members = pool.without(city_id)
    if not tr.is_source:
        name = peer_group_name(result.edition, result.stages, city_id, members, tr)
    return name, list(members)


def peer_group_name(
    edition: Edition,
    stages: pd.DataFrame,
    city_id: str,
    members: Sequence[str],
    tr: Translator = ENGLISH,
) -> str:
    """A city's peer group named in ``tr``'s language: its stage's peers when the members are
    the rest of its stage, the top ten cities otherwise (inputs.peer_groups' two cases)."""
    stage_id = str(stages.at[city_id, "stage_id"])
    same_stage = {str(c) for c in stages.index[stages["stage_id"].astype(str) == stage_id]}
    if set(members) == same_stage - {city_id}:
        return tr.gettext("{stage} peers").format(stage=stage_name_of(edition, stage_id, tr))
    return tr.gettext("top-10 cities")


def select_findings(
    result: EditionResult, publication: str, city_id: str | None = None, n: int | None = None
) -> list[Finding]:
    return select(result.findings, publication, n, spec=result.edition.findings, city_id=city_id)
