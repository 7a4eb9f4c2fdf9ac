"""Chapter 7: what changed since the previous edition."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reportgen import formatting
from reportgen.analysis.findings import select_movers
from reportgen.pipeline import EditionResult
from reportgen.report.context.annual.base import Chapter, short_names
from reportgen.report.context.common import CityLabel, FindingView, finding_view
from reportgen.report.i18n import ENGLISH, Translator

MOVERS_PRINTED = 8


@dataclass(frozen=True)
class ChangeRow:
    city: str
    rank_before: str
    rank_now: str
    rank_change: str
    score_before: str
    score_now: str
    tdp_change: str
    ecc_change: str


@dataclass(frozen=True)
class ChangesHeader:
    index: str
    x: str
    y: str


@dataclass(frozen=True)
class ChangesChapter(Chapter):
    intro: tuple[str, ...]
    findings: tuple[FindingView, ...]
    rows: tuple[ChangeRow, ...]
    header: ChangesHeader
    previous_year: int
    year: int
    note: str


def changes_chapter(
    result: EditionResult, labels: Mapping[str, CityLabel], number: int, tr: Translator = ENGLISH
) -> ChangesChapter | None:
    _ = tr.gettext
    if result.previous is None:
        return None
    levels = result.labels
    index, x, y = levels.index, levels.x, levels.y
    names = short_names(labels)
    before_s, before_r = result.previous.index.scores, result.previous.index.ranks
    now_s, now_r = result.scores, result.ranks
    common = [c for c in now_s.sort_values(index, ascending=False).index if c in before_s.index]
    rows = tuple(
        ChangeRow(
            city=names[c],
            rank_before=str(before_r.at[c, index]),
            rank_now=str(now_r.at[c, index]),
            rank_change=formatting.signed_int(int(before_r.at[c, index]) - int(now_r.at[c, index])),
            score_before=formatting.score(before_s.at[c, index]),
            score_now=formatting.score(now_s.at[c, index]),
            tdp_change=formatting.signed(now_s.at[c, x] - before_s.at[c, x]),
            ecc_change=formatting.signed(now_s.at[c, y] - before_s.at[c, y]),
        )
        for c in common
    )
    movers = tuple(
        finding_view(f, names, True) for f in select_movers(result.findings, n=MOVERS_PRINTED)
    )
    intro = (
        _(
            "The {year} edition is recomputed with the same build on the data available then "
            "(each series' previous release). Scores run from 0 to 100 within each edition's set "
            "of cities, so the scale is re-anchored every edition: a city's score can fall "
            "because other cities' values rose, and a change in rank is the clearer signal."
        ).format(year=result.previous.year),
    )
    table_title = _("Ranks in {before} and {now}").format(
        before=result.previous.year, now=result.year
    )
    return ChangesChapter(
        template="changes.html",
        anchor="changes",
        title=_("{number}. Changes since {year}").format(number=number, year=result.previous.year),
        sections=((("movers", _("Movers")),) if movers else ()) + (("table", table_title),),
        intro=intro,
        findings=movers,
        rows=rows,
        header=ChangesHeader(tr.name(index, index), x, y),
        previous_year=result.previous.year,
        year=result.year,
        note=_(
            "Rank change: places gained (+) or lost (−). Score changes are in points of the "
            "0-100 scale, which is re-anchored each edition."
        ),
    )
