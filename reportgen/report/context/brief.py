"""A city brief's view-model: two A4 pages on one city, against its peers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from reportgen import formatting
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
    city_labels,
    finding_view,
    flag_note,
    indicator_rows,
    interval_text,
    meta_of,
    peer_members,
    plane_figure,
    select_findings,
    source_line,
    stage_classes,
    stage_name,
)
from reportgen.report.i18n import ENGLISH, Translator, translator


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
    _ = tr.gettext
    framework = result.index.framework
    pillars = [p for p in result.edition.framework.pillars if p.id in framework.codes_at(2)]
    scores = result.scores
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
        source=source_line(result, tr),
        width=width,
        label_width=105 if compact else 175,
        tr=tr,
    )
    alt = _("Dot plot of {city}'s {n} pillar scores against the median of {peers}: {pairs}.")
    pair = _("{pillar} {city} vs {peers}")
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


def _change(result: EditionResult, code: str, city_id: str, tr: Translator = ENGLISH) -> str:
    _ = tr.gettext
    if result.previous is None:
        return ""
    before_s, before_r = result.previous.index.scores, result.previous.index.ranks
    if city_id not in before_s.index:
        return _("not ranked in {year}").format(year=result.previous.year)
    rank_change = int(before_r.at[city_id, code]) - int(result.ranks.at[city_id, code])
    score_change = float(result.scores.at[city_id, code] - before_s.at[city_id, code])
    if rank_change == 0:
        places = _("no change in rank")
    elif rank_change > 0:
        places = tr.ngettext("up {n} place", "up {n} places", rank_change)
    else:
        places = tr.ngettext("down {n} place", "down {n} places", -rank_change)
    return _("{places}, {change} pts since {year}").format(
        places=places.format(n=abs(rank_change)),
        change=formatting.signed(score_change),
        year=result.previous.year,
    )


def build_brief_context(
    result: EditionResult,
    city_id: str,
    *,
    with_chinese: bool = True,
    labels: dict[str, CityLabel] | None = None,
    lang: str = "en",
) -> BriefContext:
    """A city's brief in one language (``lang``: a tag of the edition's ``languages``)."""
    tr = translator(result.edition, lang)
    _ = tr.gettext
    labels = labels if labels is not None else city_labels(result, with_chinese, tr)
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
            change=_change(result, code, city_id, tr),
        )
        for code, label, css in (
            ("Overall", _("Overall"), ""),
            ("TDP", _("TDP · Technology potential"), "tdp"),
            ("ECC", _("ECC · Co-benefit capacity"), "ecc"),
        )
    )
    stage_id = str(stages.at[city_id, "stage_id"])
    probability = ""
    if result.stage_probabilities is not None and city_id in result.stage_probabilities.index:
        p = float(result.stage_probabilities.at[city_id, stage_id])
        probability = _("{share} of Monte Carlo runs").format(share=tr.percent(p))
    badge = StageBadge(
        stage_name(result, stage_id, tr),
        stage_classes(result).get(stage_id, "stage-6"),
        probability,
    )
    peer_name, peers = peer_members(result, city_id, tr)
    chosen = select_findings(result, "brief", city_id=city_id)
    strengths = tuple(finding_view(f, names, False) for f in chosen if f.kind == "strength")
    gaps = tuple(finding_view(f, names, False) for f in chosen if f.kind == "gap")
    others = tuple(
        finding_view(f, names, False) for f in chosen if f.kind not in ("strength", "gap")
    )
    registry = SourceRegistry(result.panel.indicators, tr)
    rows = indicator_rows(result, city_id, peers, registry, tr)
    summary = _(
        "{city} ranks {overall} of {n} cities overall, {tdp} on Technology Development "
        "Potential and {ecc} on Ecosystem Co-Benefit Capacity, which places it in the "
        "{stage} stage."
    ).format(
        city=city.short_name,
        overall=tr.ordinal(ranks.at[city_id, "Overall"]),
        n=n,
        tdp=tr.ordinal(ranks.at[city_id, "TDP"]),
        ecc=tr.ordinal(ranks.at[city_id, "ECC"]),
        stage=badge.name,
    )
    return BriefContext(
        meta=meta_of(result, _("City brief for {city}").format(city=city.name), tr),
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
            title=_("Position on the TDP × ECC plane"),
            label_all=False,
            tr=tr,
        ),
        profile=pillar_profile_figure(
            book, result, city_id, peers, peer_name, city.short_name, tr=tr
        ),
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
        flag_note=flag_note(result.edition.findings.max_data_age, tr),
        peer_name=peer_name,
        peer_members=tr.join([names.get(p, p) for p in peers]),
        sources=tuple(registry.listing()),
        charts=book.charts,
    )


__all__ = ["BriefContext", "build_brief_context", "pillar_profile_figure", "source_line"]
