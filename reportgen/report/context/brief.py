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
    FLAG_NOTE,
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
    format_indicator_rows,
    plane_figure_of,
    source_line,
    source_line_of,
    stage_classes_of,
)
from reportgen.report.context.inputs import BriefCity, BriefInputs, BriefShared, brief_inputs


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
) -> FigureView:
    """Dot plot: the city's pillar scores against its peer-group median."""
    return pillar_profile_of(
        book,
        result.edition,
        result.index.framework.codes_at(2),
        result.scores,
        source_line(result),
        city_id,
        peers,
        peer_name,
        city_name,
        width,
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
) -> FigureView:
    pillars = [p for p in edition.framework.pillars if p.id in pillar_ids]
    peer_scores = scores.loc[[p for p in peers if p in scores.index]]
    compact = width < 400
    profile = pd.DataFrame(
        {
            # Narrow charts name the pillar only; its dimension is the first word of the wide label.
            "pillar": [p.name if compact else f"{p.dimension} · {p.name}" for p in pillars],
            "dimension": [p.dimension for p in pillars],
            "city": [float(scores.at[city_id, p.id]) for p in pillars],
            "peers": [float(peer_scores[p.id].median()) for p in pillars],
        }
    )
    chart = charts.profile_chart(
        profile,
        city_label=city_name,
        peer_label=f"median of {peer_name}",
        title="Pillar profile",
        source=source,
        width=width,
        label_width=105 if compact else 175,
    )
    alt = (
        f"Dot plot of {city_name}'s {len(pillars)} pillar scores against the median of "
        f"{peer_name}: "
        + "; ".join(f"{r.pillar} {r.city:.0f} vs {r.peers:.0f}" for r in profile.itertuples())
        + "."
    )
    return book.add(chart, alt)


def _change(shared: BriefShared, city: BriefCity, code: str) -> str:
    if shared.previous_year is None:
        return ""
    if city.previous is None:
        return f"not ranked in {shared.previous_year}"
    city_id = city.city_id
    score_before, rank_before = city.previous[shared.scorecard.index(code)]
    rank_change = int(rank_before) - int(shared.ranks.at[city_id, code])
    score_change = float(shared.scores.at[city_id, code] - score_before)
    places = (
        "no change in rank"
        if rank_change == 0
        else (
            f"{'up' if rank_change > 0 else 'down'} {abs(rank_change)} "
            f"place{'s' if abs(rank_change) > 1 else ''}"
        )
    )
    return f"{places}, {formatting.signed(score_change)} pts since {shared.previous_year}"


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
    charts: bool = True,
) -> BriefContext:
    """One city's brief straight from a computed edition (notebooks, tests)."""
    labels = labels if labels is not None else city_labels(result, with_chinese)
    return build_brief(brief_inputs(result, [city_id], labels)[city_id], charts=charts)


def brief_profile(inputs: BriefInputs, book: ChartBook) -> FigureView:
    """The brief's pillar profile: the city against its peers' median, pillar by pillar."""
    shared, city = inputs.shared, inputs.city
    return pillar_profile_of(
        book,
        shared.edition,
        shared.levels[1],
        shared.scores,
        source_line_of(shared.edition, shared.year),
        city.city_id,
        city.peers,
        city.peer_name,
        shared.labels[city.city_id].short_name,
    )


NO_FIGURE = FigureView(chart_id="", alt="")


def build_brief(inputs: BriefInputs, *, charts: bool = True) -> BriefContext:
    """A brief's view-model from its declared inputs, and nothing else: the publishing plan
    keys the brief by a digest of exactly this object.

    ``charts=False`` leaves out the plane and the profile (``NO_FIGURE``, no specs): building
    them is most of a brief's cost, and the web edition draws its own.
    """
    shared, city = inputs.shared, inputs.city
    city_id = city.city_id
    labels = shared.labels
    names = {k: v.short_name for k, v in labels.items()}
    label = labels[city_id]
    scores, ranks, stages = shared.scores, shared.ranks, shared.stages
    levels = edition_labels(shared.edition)
    n = len(scores)
    book = ChartBook()
    cards = tuple(
        ScoreCard(
            label=card_label,
            css_class=css,
            score=formatting.score(scores.at[city_id, code]),
            rank=formatting.rank(ranks.at[city_id, code]),
            interval=_interval(shared, city, code),
            change=_change(shared, city, code),
        )
        for code, card_label, css in (
            (levels.index, levels.index, ""),
            (levels.x, f"{levels.x} · {levels.name(levels.x)}", "tdp"),
            (levels.y, f"{levels.y} · {levels.name(levels.y)}", "ecc"),
        )
    )
    stage_id = str(stages.at[city_id, "stage_id"])
    probability = ""
    if city.stage_probability is not None:
        probability = f"{city.stage_probability:.0%} of Monte Carlo runs"
    badge = StageBadge(
        str(stages.at[city_id, "stage_name"]),
        stage_classes_of(shared.edition).get(stage_id, "stage-6"),
        probability,
    )
    peer_name, peers = city.peer_name, city.peers
    views = brief_finding_views(city.findings)
    strengths, gaps, others = views.strengths, views.gaps, views.others
    registry = SourceRegistry(shared.indicators)
    pillar_names = {p.id: p.name for p in shared.edition.framework.pillars}
    rows = format_indicator_rows(shared.indicators, city.facts, pillar_names, registry)
    summary = (
        f"{label.short_name} ranks {formatting.ordinal(ranks.at[city_id, levels.index])} of {n} "
        f"cities overall, {formatting.ordinal(ranks.at[city_id, levels.x])} on "
        f"{levels.name(levels.x)} and {formatting.ordinal(ranks.at[city_id, levels.y])} on "
        f"{levels.name(levels.y)}, which places it in the {badge.name} stage."
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
            title=f"Position on the {levels.plane} plane",
            label_all=False,
        )
    return BriefContext(
        meta=edition_meta(
            shared.edition,
            shared.year,
            f"City brief for {label.name}",
            n_cities=n,
            n_indicators=len(codes[0]),
            n_pillars=len(codes[1]),
            what_if=shared.what_if,
            data_span=shared.data_span,
        ),
        city=label,
        city_count=n,
        stage=badge,
        scorecard=cards,
        summary=summary,
        plane=plane,
        profile=brief_profile(inputs, book) if charts else NO_FIGURE,
        strengths=strengths,
        gaps=gaps,
        other_findings=others,
        no_strengths=f"No indicator or pillar is well above the {peer_name} median.",
        no_gaps=f"No indicator or pillar is well below the {peer_name} median.",
        indicator_rows=tuple(rows),
        flag_note=FLAG_NOTE.format(age=shared.edition.findings.max_data_age),
        peer_name=peer_name,
        peer_members=", ".join(names.get(p, p) for p in peers),
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
