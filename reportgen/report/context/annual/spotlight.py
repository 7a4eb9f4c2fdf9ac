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
    brief_finding_views,
    flag_note,
    indicator_rows,
    peer_members,
    plane_figure,
    stage_name,
)
from reportgen.report.i18n import ENGLISH, Translator, findings_wording


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


def shared_values_sentence(
    result: EditionResult, city_id: str, name: str, tr: Translator = ENGLISH
) -> str:
    """How far the city's rank depends on the treatment of values shared with other cities."""
    _ = tr.gettext
    ranks = result.shared_ranks
    if ranks is None or city_id not in ranks.index or result.panel.shared_mode not in ranks:
        return ""
    row = ranks.loc[city_id]
    if row.nunique() == 1:
        return ""
    chosen = result.panel.shared_mode
    words = {
        "split": _("with each shared cluster total split by population (this edition's choice)"),
        "whole": _("if each city kept a shared cluster's whole total"),
        "drop": _("if shared cluster values were dropped and estimated"),
    }
    order = [chosen, *(m for m in ("split", "whole", "drop") if m != chosen and m in row)]
    part = _("{rank} {condition}")
    parts = [part.format(rank=tr.ordinal(row[m]), condition=words[m]) for m in order]
    return _(
        "{city} shares its WIPO cluster figures with other cities, and its overall rank depends "
        "on how they are counted: {parts} (see Methodology)."
    ).format(city=name, parts=tr.join_words(parts))


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
    chosen = result.analysis.spotlight if result.analysis is not None else None
    if chosen is not None and chosen.peer_group is not None:
        # The profile, the table and the findings compare with one and the same group.
        group = chosen.peer_group
        if tr.is_source:
            peer_name = group.name if group.name.endswith("peers") else f"{group.name} peers"
        else:
            group_name = findings_wording(tr).group_name(group.name)
            peer_name = _("{group} peers").format(group=group_name)
        peers = [m for m in group.members if m != city_id and m in result.scores.index]
    else:
        peer_name, peers = spotlight_peers(result, city_id, tr)
    views = brief_finding_views(chosen)
    # Gaps lead: the spotlight is read for what holds the city back.
    findings = views.gaps + views.strengths + views.others
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
    intro = [
        _(
            "This edition's spotlight is {city}. Its position, stage and the gaps that separate "
            "it from its peers are computed from the data and would change if the data changed."
        ).format(city=name),
    ]
    shared = shared_values_sentence(result, city_id, name, tr)
    if shared:
        intro.append(shared)
    return SpotlightChapter(
        template="spotlight.html",
        anchor="spotlight",
        title=_("{number}. Spotlight: {city}").format(number=number, city=name),
        sections=(
            ("findings", _("Strengths and gaps against {peers}").format(peers=peer_name)),
            ("indicators", _("Indicators against peers")),
        ),
        intro=tuple(intro),
        key_figures=figures,
        plane=plane,
        profile=profile,
        findings=findings,
        peer_name=peer_name,
        peer_members=tr.join([names.get(p, p) for p in peers]),
        indicator_rows=tuple(indicator_rows(result, city_id, peers, None, tr)),
        flag_note=flag_note(result.edition.findings.max_data_age, tr),
    )
