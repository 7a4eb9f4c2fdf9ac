"""A city brief's view-model: two A4 pages on one city, against its peers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from reportgen import formatting
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
    city_labels,
    finding_view,
    indicator_rows,
    interval_text,
    meta_of,
    peer_members,
    plane_figure,
    select_findings,
    source_line,
    stage_classes,
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
) -> FigureView:
    """Dot plot: the city's pillar scores against its peer-group median."""
    framework = result.index.framework
    pillars = [p for p in result.edition.framework.pillars if p.id in framework.codes_at(2)]
    scores = result.scores
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
        source=source_line(result),
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


def _change(result: EditionResult, code: str, city_id: str) -> str:
    if result.previous is None:
        return ""
    before_s, before_r = result.previous.index.scores, result.previous.index.ranks
    if city_id not in before_s.index:
        return f"not ranked in {result.previous.year}"
    rank_change = int(before_r.at[city_id, code]) - int(result.ranks.at[city_id, code])
    score_change = float(result.scores.at[city_id, code] - before_s.at[city_id, code])
    places = (
        "no change in rank"
        if rank_change == 0
        else (
            f"{'up' if rank_change > 0 else 'down'} {abs(rank_change)} "
            f"place{'s' if abs(rank_change) > 1 else ''}"
        )
    )
    return f"{places}, {formatting.signed(score_change)} pts since {result.previous.year}"


def build_brief_context(
    result: EditionResult,
    city_id: str,
    *,
    with_chinese: bool = True,
    labels: dict[str, CityLabel] | None = None,
) -> BriefContext:
    labels = labels if labels is not None else city_labels(result, with_chinese)
    names = {k: v.short_name for k, v in labels.items()}
    city = labels[city_id]
    scores, ranks, stages = result.scores, result.ranks, result.stages
    n = len(scores)
    book = ChartBook()
    cards = tuple(
        ScoreCard(
            label=label,
            css_class=css,
            score=formatting.score(scores.at[city_id, code]),
            rank=formatting.rank(ranks.at[city_id, code]),
            interval=interval_text(result, code, city_id),
            change=_change(result, code, city_id),
        )
        for code, label, css in (
            ("Overall", "Overall", ""),
            ("TDP", "TDP · Technology potential", "tdp"),
            ("ECC", "ECC · Co-benefit capacity", "ecc"),
        )
    )
    stage_id = str(stages.at[city_id, "stage_id"])
    probability = ""
    if result.stage_probabilities is not None and city_id in result.stage_probabilities.index:
        p = float(result.stage_probabilities.at[city_id, stage_id])
        probability = f"{p:.0%} of Monte Carlo runs"
    badge = StageBadge(
        str(stages.at[city_id, "stage_name"]),
        stage_classes(result).get(stage_id, "stage-6"),
        probability,
    )
    peer_name, peers = peer_members(result, city_id)
    chosen = select_findings(result, "brief", city_id=city_id)
    strengths = tuple(finding_view(f, names, False) for f in chosen if f.kind == "strength")
    gaps = tuple(finding_view(f, names, False) for f in chosen if f.kind == "gap")
    others = tuple(
        finding_view(f, names, False) for f in chosen if f.kind not in ("strength", "gap")
    )
    registry = SourceRegistry(result.panel.indicators)
    rows = indicator_rows(result, city_id, peers, registry)
    summary = (
        f"{city.short_name} ranks {formatting.ordinal(ranks.at[city_id, 'Overall'])} of {n} "
        f"cities overall, {formatting.ordinal(ranks.at[city_id, 'TDP'])} on Technology "
        f"Development Potential and {formatting.ordinal(ranks.at[city_id, 'ECC'])} on "
        f"Ecosystem Co-Benefit Capacity, which places it in the {badge.name} stage."
    )
    return BriefContext(
        meta=meta_of(result, f"City brief for {city.name}"),
        city=city,
        city_count=n,
        stage=badge,
        scorecard=cards,
        summary=summary,
        plane=plane_figure(
            book,
            result,
            labels,
            highlight=city_id,
            width=300,
            height=250,
            title="Position on the TDP × ECC plane",
            label_all=False,
        ),
        profile=pillar_profile_figure(book, result, city_id, peers, peer_name, city.short_name),
        strengths=strengths,
        gaps=gaps,
        other_findings=others,
        no_strengths=f"No indicator or pillar is well above the {peer_name} median.",
        no_gaps=f"No indicator or pillar is well below the {peer_name} median.",
        indicator_rows=tuple(rows),
        flag_note=FLAG_NOTE.format(age=result.edition.findings.max_data_age),
        peer_name=peer_name,
        peer_members=", ".join(names.get(p, p) for p in peers),
        sources=tuple(registry.listing()),
        charts=book.charts,
    )


__all__ = ["BriefContext", "build_brief_context", "pillar_profile_figure", "source_line"]
