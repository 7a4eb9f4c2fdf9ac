"""A city brief's view-model: two A4 pages on one city, against its peers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reportgen import formatting
from reportgen.config import Edition
from reportgen.labels import edition_labels
from reportgen.pipeline import EditionResult
from reportgen.report import charts
from reportgen.report.context.common import (
    ChartBook,
    CityLabel,
    FigureView,
    FindingView,
    IndicatorRow,
    Meta,
    SourceRegistry,
    SourceView,
    brief_finding_views,
    city_labels,
    edition_meta,
    flag_note,
    format_indicator_rows,
    peer_group_name,
    plane_figure_of,
    source_line,
    source_line_of,
    stage_classes_of,
    stage_name_of,
)
from reportgen.report.context.inputs import BriefCity, BriefInputs, BriefShared, brief_inputs
from reportgen.report.i18n import (
    ENGLISH,
    SOURCE_LANGUAGE,
    Translator,
    translated_edition,
    translator,
)


@dataclass(frozen=True)
class ScoreCard:
    label: str
    css_class: str
    score: str
    rank: str
    interval: str
    change: str


@dataclass(frozen=True)
class StageBadge:
    name: str
    css_class: str
    probability: str


@dataclass(frozen=True)
class BriefContext:
    meta: Meta
    city: CityLabel
    city_count: int
    stage: StageBadge
    scorecard: tuple[ScoreCard, ...]
    summary: str
    plane: FigureView
    profile: FigureView
    strengths: tuple[FindingView, ...]
    gaps: tuple[FindingView, ...]
    other_findings: tuple[FindingView, ...]
    no_strengths: str
    no_gaps: str
    indicator_rows: tuple[IndicatorRow, ...]
    flag_note: str
    peer_name: str
    peer_members: str
    sources: tuple[SourceView, ...]
    charts: dict[str, Any]


def pillar_profile_figure(
    book: ChartBook,
    result: EditionResult,
    city_id: str,
    peers: list[str],
    peer_name: str,
    city_name: str,
    width: int = 300,
    tr: Translator = ENGLISH,
) -> FigureView:
    """Dot plot: the city's pillar scores against its peer-group median."""
    return pillar_profile_of(
        book,
        result.edition,
        result.index.framework.codes_at(2),
        result.scores,
        source_line(result, tr),
        city_id,
        peers,
        peer_name,
        city_name,
        width,
        tr,
    )


def pillar_profile_of(
    book: ChartBook,
    edition: Edition,
    pillar_ids: Sequence[str],
    scores: pd.DataFrame,
    source: str,
    city_id: str,
    peers: Sequence[str],
    peer_name: str,
    city_name: str,
    width: int = 300,
    tr: Translator = ENGLISH,
) -> FigureView:
    _ = tr.gettext
    pillars = [p for p in edition.framework.pillars if p.id in pillar_ids]
    peer_scores = scores.loc[[p for p in peers if p in scores.index]]
    compact = width < 400
    profile = pd.DataFrame(
        {
            # Narrow charts name the pillar only; its dimension is the first word of the wide label.
            "pillar": [
                tr.name(p.id, p.name) if compact else f"{p.dimension} · {tr.name(p.id, p.name)}"
                for p in pillars
            ],
            "dimension": [p.dimension for p in pillars],
            "city": [float(scores.at[city_id, p.id]) for p in pillars],
            "peers": [float(peer_scores[p.id].median()) for p in pillars],
        }
    )
    chart = charts.profile_chart(
        profile,
        city_label=city_name,
        peer_label=_("median of {peers}").format(peers=peer_name),
        title=_("Pillar profile"),
        source=source,
        width=width,
        label_width=105 if compact else 175,
        tr=tr,
    )
    pair = _("{pillar} {city} vs {peers}")
    alt = _("Dot plot of {city}'s {n} pillar scores against the median of {peers}: {pairs}.")
    alt = alt.format(
        city=city_name,
        n=len(pillars),
        peers=peer_name,
        pairs=_("; ").join(
            pair.format(pillar=r.pillar, city=f"{r.city:.0f}", peers=f"{r.peers:.0f}")
            for r in profile.itertuples()
        ),
    )
    return book.add(chart, alt)


def _change(shared: BriefShared, city: BriefCity, code: str, tr: Translator = ENGLISH) -> str:
    _ = tr.gettext
    if shared.previous_year is None:
        return ""
    if city.previous is None:
        return _("not ranked in {year}").format(year=shared.previous_year)
    city_id = city.city_id
    score_before, rank_before = city.previous[shared.scorecard.index(code)]
    rank_change = int(rank_before) - int(shared.ranks.at[city_id, code])
    score_change = float(shared.scores.at[city_id, code] - score_before)
    if rank_change == 0:
        places = _("no change in rank")
    elif rank_change > 0:
        places = tr.ngettext("up {n} place", "up {n} places", rank_change)
    else:
        places = tr.ngettext("down {n} place", "down {n} places", -rank_change)
    return _("{places}, {change} pts since {year}").format(
        places=places.format(n=abs(rank_change)),
        change=formatting.signed(score_change),
        year=shared.previous_year,
    )


def _interval(shared: BriefShared, city: BriefCity, code: str) -> str:
    if city.rank_intervals is None or code not in shared.scorecard:
        return ""
    low, high = city.rank_intervals[shared.scorecard.index(code)]
    return "" if np.isnan(low) else f"{round(low)}–{round(high)}"


def build_brief_context(
    result: EditionResult,
    city_id: str,
    *,
    with_chinese: bool = True,
    labels: Mapping[str, CityLabel] | None = None,
    lang: str = SOURCE_LANGUAGE,
    charts: bool = True,
) -> BriefContext:
    """One city's brief straight from a computed edition (notebooks, tests), in ``lang``."""
    tr = translator(result.edition, lang)
    result = translated_edition(result, lang)
    labels = labels if labels is not None else city_labels(result, with_chinese, tr)
    return build_brief(brief_inputs(result, [city_id], labels, lang)[city_id], charts=charts)


def brief_profile(inputs: BriefInputs, book: ChartBook, tr: Translator = ENGLISH) -> FigureView:
    """The brief's pillar profile: the city against its peers' median, pillar by pillar."""
    shared, city = inputs.shared, inputs.city
    peer_name = city.peer_name
    if not tr.is_source:
        peer_name = peer_group_name(shared.edition, shared.stages, city.city_id, city.peers, tr)
    return pillar_profile_of(
        book,
        shared.edition,
        shared.levels[1],
        shared.scores,
        source_line_of(shared.edition, shared.year, tr),
        city.city_id,
        city.peers,
        peer_name,
        shared.labels[city.city_id].short_name,
        tr=tr,
    )


NO_FIGURE = FigureView(chart_id="", alt="")


def build_brief(inputs: BriefInputs, *, charts: bool = True) -> BriefContext:
    """A brief's view-model from its declared inputs, and nothing else: the publishing plan
    keys the brief by a digest of exactly this object. It prints in ``shared.lang``.

    ``charts=False`` leaves out the plane and the profile (``NO_FIGURE``, no specs): building
    them is most of a brief's cost, and the web edition draws its own.
    """
    shared, city = inputs.shared, inputs.city
    tr = translator(shared.edition, shared.lang)
    _ = tr.gettext
    city_id = city.city_id
    labels = shared.labels
    names = {k: v.short_name for k, v in labels.items()}
    label = labels[city_id]
    scores, ranks, stages = shared.scores, shared.ranks, shared.stages
    levels = tr.labels(edition_labels(shared.edition))
    n = len(scores)
    book = ChartBook()
    cards = tuple(
        ScoreCard(
            label=card_label,
            css_class=css,
            score=formatting.score(scores.at[city_id, code]),
            rank=formatting.rank(ranks.at[city_id, code]),
            interval=_interval(shared, city, code),
            change=_change(shared, city, code, tr),
        )
        for code, card_label, css in (
            (levels.index, levels.name(levels.index), ""),
            (levels.x, f"{levels.x} · {levels.name(levels.x)}", "tdp"),
            (levels.y, f"{levels.y} · {levels.name(levels.y)}", "ecc"),
        )
    )
    stage_id = str(stages.at[city_id, "stage_id"])
    probability = ""
    if city.stage_probability is not None:
        probability = _("{share} of Monte Carlo runs").format(
            share=tr.percent(city.stage_probability)
        )
    badge = StageBadge(
        str(stages.at[city_id, "stage_name"])
        if tr.is_source
        else stage_name_of(shared.edition, stage_id, tr),
        stage_classes_of(shared.edition).get(stage_id, "stage-6"),
        probability,
    )
    peer_name, peers = city.peer_name, city.peers
    if not tr.is_source:
        peer_name = peer_group_name(shared.edition, stages, city_id, peers, tr)
    views = brief_finding_views(city.findings)
    strengths, gaps, others = views.strengths, views.gaps, views.others
    registry = SourceRegistry(shared.indicators, tr=tr)
    pillar_names = {p.id: tr.name(p.id, p.name) for p in shared.edition.framework.pillars}
    rows = format_indicator_rows(shared.indicators, city.facts, pillar_names, registry, tr)
    summary = _(
        "{city} ranks {overall} of {n} cities overall, {x_rank} on {x_name} and {y_rank} on "
        "{y_name}, which places it in the {stage} stage."
    ).format(
        city=label.short_name,
        overall=tr.ordinal(ranks.at[city_id, levels.index]),
        n=n,
        x_rank=tr.ordinal(ranks.at[city_id, levels.x]),
        x_name=levels.name(levels.x),
        y_rank=tr.ordinal(ranks.at[city_id, levels.y]),
        y_name=levels.name(levels.y),
        stage=badge.name,
    )
    codes = shared.levels
    plane = NO_FIGURE
    if charts:
        plane = plane_figure_of(
            book,
            stages,
            shared.edition,
            shared.year,
            labels,
            highlight=city_id,
            width=300,
            height=250,
            title=_("Position on the {plane} plane").format(plane=levels.plane),
            label_all=False,
            tr=tr,
        )
    return BriefContext(
        meta=edition_meta(
            shared.edition,
            shared.year,
            _("City brief for {city}").format(city=label.name),
            n_cities=n,
            n_indicators=len(codes[0]),
            n_pillars=len(codes[1]),
            what_if=shared.what_if,
            data_span=shared.data_span,
            tr=tr,
        ),
        city=label,
        city_count=n,
        stage=badge,
        scorecard=cards,
        summary=summary,
        plane=plane,
        profile=brief_profile(inputs, book, tr) if charts else NO_FIGURE,
        strengths=strengths,
        gaps=gaps,
        other_findings=others,
        no_strengths=_("No indicator or pillar is well above the {peers} median.").format(
            peers=peer_name
        ),
        no_gaps=_("No indicator or pillar is well below the {peers} median.").format(
            peers=peer_name
        ),
        indicator_rows=tuple(rows),
        flag_note=flag_note(shared.edition.findings.max_data_age, tr),
        peer_name=peer_name,
        peer_members=tr.join([names.get(p, p) for p in peers]),
        sources=tuple(registry.listing()),
        charts=book.charts,
    )


__all__ = [
    "NO_FIGURE",
    "BriefContext",
    "BriefInputs",
    "brief_profile",
    "build_brief",
    "build_brief_context",
    "pillar_profile_figure",
    "source_line",
]
