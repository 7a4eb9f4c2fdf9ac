"""The annual report's view-model: one module per chapter, each a typed dataclass."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reportgen.pipeline import EditionResult
from reportgen.report.context.annual.annex import annex_chapter
from reportgen.report.context.annual.base import Chapter
from reportgen.report.context.annual.changes import changes_chapter
from reportgen.report.context.annual.dimension import dimension_chapter
from reportgen.report.context.annual.methodology import methodology_chapter
from reportgen.report.context.annual.rankings import (
    RankingHeader,
    RankRow,
    ranking_header,
    ranking_rows,
    rankings_chapter,
)
from reportgen.report.context.annual.robustness import robustness_chapter
from reportgen.report.context.annual.spotlight import spotlight_chapter, spotlight_peers
from reportgen.report.context.annual.stages import stages_chapter
from reportgen.report.context.annual.summary import summary_chapter
from reportgen.report.context.common import ChartBook, Meta, city_labels, meta_of
from reportgen.report.i18n import translated_edition, translator


@dataclass(frozen=True)
class ContentsEntry:
    anchor: str
    title: str
    level: int


@dataclass(frozen=True)
class AnnualContext:
    meta: Meta
    contents: tuple[ContentsEntry, ...]
    chapters: tuple[Chapter, ...]
    ranking: tuple[RankRow, ...]
    ranking_header: RankingHeader
    dimension_names: tuple[tuple[str, str], ...]  # (code, name) for the cover
    has_intervals: bool
    has_previous: bool
    charts: dict[str, Any]


def build_annual_context(
    result: EditionResult, *, with_chinese: bool = True, lang: str = "en"
) -> AnnualContext:
    """Everything the annual report prints, in reading order, in one language (``lang``)."""
    tr = translator(result.edition, lang)
    result = translated_edition(result, lang)
    labels = city_labels(result, with_chinese, tr)
    book = ChartBook()
    levels = tr.labels(result.labels)
    builders: list[Callable[[int], Chapter | None]] = [
        lambda n: summary_chapter(result, labels, book, n, tr),
        lambda n: rankings_chapter(result, labels, book, n, tr),
        *(
            (lambda n, d=dimension: dimension_chapter(result, d, labels, book, n, tr))
            for dimension in levels.dimensions
        ),
        lambda n: stages_chapter(result, labels, book, n, tr),
        lambda n: spotlight_chapter(result, labels, book, n, tr),
        lambda n: changes_chapter(result, labels, n, tr),
        lambda n: robustness_chapter(result, labels, book, n, tr),
        lambda n: methodology_chapter(result, n, tr),
        lambda n: annex_chapter(result, n, tr),
    ]
    chapters: list[Chapter] = []
    for builder in builders:
        chapter = builder(len(chapters) + 1)
        if chapter is not None:
            chapters.append(chapter)
    contents = []
    for chapter in chapters:
        contents.append(ContentsEntry(chapter.anchor, chapter.title, 1))
        contents.extend(
            ContentsEntry(f"{chapter.anchor}-{suffix}", title, 2)
            for suffix, title in chapter.sections
        )
    return AnnualContext(
        meta=meta_of(result, tr.gettext("Annual report"), tr),
        contents=tuple(contents),
        chapters=tuple(chapters),
        ranking=ranking_rows(result, labels, tr),
        ranking_header=ranking_header(result, tr),
        dimension_names=tuple((d, levels.name(d)) for d in levels.dimensions),
        has_intervals=result.uncertainty is not None,
        has_previous=result.previous is not None,
        charts=book.charts,
    )


__all__ = ["AnnualContext", "ContentsEntry", "build_annual_context", "spotlight_peers"]
