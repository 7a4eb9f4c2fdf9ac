"""Chapter 6: the spotlight city against its named peers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reportgen.pipeline import EditionResult
from reportgen.report.context.annual.base import Chapter, short_names
from reportgen.report.context.brief import pillar_profile_figure
from reportgen.report.context.common import (
    ChartBook,
    CityLabel,
    FigureView,
    FindingView,
    IndicatorRow,
    KeyFigure,
    finding_view,
    flag_note,
    indicator_rows,
    peer_members,
    plane_figure,
    select_findings,
    stage_name,
)
from reportgen.report.i18n import ENGLISH, Translator


@dataclass(frozen=True)
class SpotlightChapter(Chapter):
    intro: tuple[str, ...]
    key_figures: tuple[KeyFigure, ...]
    plane: FigureView
    profile: FigureView
    findings: tuple[FindingView, ...]
    peer_name: str
    peer_members: str
    indicator_rows: tuple[IndicatorRow, ...]
    flag_note: str


def spotlight_peers(
    result: EditionResult, city_id: str, tr: Translator = ENGLISH
) -> tuple[str, list[str]]:
    """The spotlight's comparison group: the named group its findings use, else its stage."""
    findings_spec = result.edition.findings
    named = findings_spec.named_groups()
    for group_id in findings_spec.publications.spotlight.peer_groups:
        if group_id in named:
            name, members = named[group_id]
            return tr.gettext("{group} peers").format(group=tr.name(group_id, name)), [
                m for m in members if m != city_id and m in result.scores.index
            ]
    return peer_members(result, city_id, tr)


def spotlight_chapter(
    result: EditionResult,
    labels: Mapping[str, CityLabel],
    book: ChartBook,
    number: int,
    tr: Translator = ENGLISH,
) -> SpotlightChapter | None:
    _ = tr.gettext
    city_id = result.edition.spotlight_city
    if city_id is None or city_id not in result.scores.index:
        return None
    levels = tr.labels(result.labels)
    index_name = levels.name(levels.index)
    names = short_names(labels)
    name = names[city_id]
    scores, ranks, stages = result.scores, result.ranks, result.stages
    n = len(scores)
    dimension_rank = _("{dimension}, rank {rank}")
    figures = (
        KeyFigure(
            f"{scores.at[city_id, levels.index]:.1f}",
            _("{index} score, rank {rank} of {n}").format(
                index=index_name.lower(), rank=ranks.at[city_id, levels.index], n=n
            ),
        ),
        KeyFigure(
            f"{scores.at[city_id, levels.x]:.1f}",
            dimension_rank.format(dimension=levels.x, rank=ranks.at[city_id, levels.x]),
            "tdp",
        ),
        KeyFigure(
            f"{scores.at[city_id, levels.y]:.1f}",
            dimension_rank.format(dimension=levels.y, rank=ranks.at[city_id, levels.y]),
            "ecc",
        ),
        KeyFigure(
            stage_name(result, str(stages.at[city_id, "stage_id"]), tr),
            _("development stage"),
            "hl",
        ),
    )
    peer_name, peers = spotlight_peers(result, city_id, tr)
    findings = tuple(
        finding_view(f, names, False)
        for f in select_findings(result, "spotlight", city_id=city_id, n=8)
    )
    plane = plane_figure(
        book,
        result,
        labels,
        highlight=city_id,
        height=330,
        title=_("{city} on the {plane} plane").format(city=name, plane=levels.plane),
        tr=tr,
    )
    profile = pillar_profile_figure(book, result, city_id, peers, peer_name, name, width=560, tr=tr)
    intro = (
        _(
            "This edition's spotlight is {city}. Its position, stage and the gaps that separate "
            "it from its peers are computed from the data and would change if the data changed."
        ).format(city=name),
    )
    return SpotlightChapter(
        template="spotlight.html",
        anchor="spotlight",
        title=_("{number}. Spotlight: {city}").format(number=number, city=name),
        sections=(
            ("findings", _("Strengths and gaps against {peers}").format(peers=peer_name)),
            ("indicators", _("Indicators against peers")),
        ),
        intro=intro,
        key_figures=figures,
        plane=plane,
        profile=profile,
        findings=findings,
        peer_name=peer_name,
        peer_members=tr.join([names.get(p, p) for p in peers]),
        indicator_rows=tuple(indicator_rows(result, city_id, peers, None, tr)),
        flag_note=flag_note(result.edition.findings.max_data_age, tr),
    )
