"""The home page's view-model: headline, plane, what-if sliders and the ranking table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from reportgen import formatting
from reportgen.pipeline import EditionResult
from reportgen.report.context.common import (
    CityLabel,
    interval_text,
    select_findings,
    stage_classes,
)
from reportgen.web.context.common import (
    Figure,
    PageMeta,
    PdfLinks,
    level_class,
    page_meta,
    plane,
)
from reportgen.web.whatif import WeightSlider, whatif_model


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool
    description: str
    group: str = ""  # the heading it sits under (the index, a dimension); "" spans both rows
    css_class: str = ""


@dataclass(frozen=True)
class ColumnGroup:
    label: str
    span: int
    css_class: str


@dataclass(frozen=True)
class Cell:
    key: str
    text: str
    sort: str  # what the column sorts by: a number as text, or the text itself


@dataclass(frozen=True)
class RankingRow:
    city_id: str
    href: str
    name: str
    name_zh: str
    region: str
    stage: str
    stage_class: str
    cells: tuple[Cell, ...]  # rank, city, region, stage, then the numeric columns


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class KeyFigure:
    value: str
    label: str


@dataclass(frozen=True)
class HomeContext:
    meta: PageMeta
    headline: str
    summary: str
    key_figures: tuple[KeyFigure, ...]
    key_findings: tuple[str, ...]
    plane_title: str
    plane: Figure
    columns: tuple[Column, ...]
    column_groups: tuple[ColumnGroup, ...]
    ranking_note: str
    rows: tuple[RankingRow, ...]
    regions: tuple[Option, ...]
    stages: tuple[Option, ...]
    dimension_sliders: tuple[WeightSlider, ...]
    pillar_sliders: tuple[WeightSlider, ...]
    whatif_note: str
    annual_pdf: str
    charts: dict[str, Any]
    whatif: dict[str, Any]


def _number_text(value: Any) -> str:
    return "" if formatting.is_missing(value) or pd.isna(value) else repr(float(value))


def score_key(code: str) -> str:
    return f"{code}-score"


def rank_key(result: EditionResult, code: str) -> str:
    """The rank on the index is the table's first column; the dimensions' sit in their group."""
    return "rank" if code == result.labels.index else f"{code}-rank"


def ranking_columns(result: EditionResult) -> tuple[Column, ...]:
    levels = result.labels
    columns = [
        Column("rank", "Rank", True, f"{levels.index} rank (1 = best)"),
        Column("city", "City", False, ""),
        Column("region", "Region", False, ""),
        Column("stage", "Stage", False, f"Development stage on the {levels.plane} plane"),
    ]
    for code in levels.levels:
        css = level_class(code)
        columns.append(Column(score_key(code), "Score", True, f"{code} score, 0-100", code, css))
        if code != levels.index:
            rank = Column(rank_key(result, code), "Rank", True, f"Rank on {code}", code, css)
            columns.append(rank)
        if result.uncertainty is not None:
            columns.append(
                Column(
                    f"{code}-interval",
                    "5–95%",
                    True,
                    f"5th to 95th percentile of the {code} rank over the Monte Carlo runs",
                    code,
                    css,
                )
            )
    return tuple(columns)


def column_groups(columns: Sequence[Column]) -> tuple[ColumnGroup, ...]:
    groups: list[ColumnGroup] = []
    for column in columns:
        if not column.group:
            continue
        if groups and groups[-1].label == column.group:
            last = groups[-1]
            groups[-1] = ColumnGroup(last.label, last.span + 1, last.css_class)
        else:
            groups.append(ColumnGroup(column.group, 1, column.css_class))
    return tuple(groups)


def ranking_rows(
    result: EditionResult, labels: Mapping[str, CityLabel], pages: Mapping[str, str], root: str
) -> tuple[RankingRow, ...]:
    scores, ranks, stages = result.scores, result.ranks, result.stages
    classes = stage_classes(result)
    order = [s.id for s in result.edition.stages.stages]
    levels = result.labels
    summaries = {code: result.rank_interval(code) for code in levels.levels}
    rows = []
    for city_id in scores.sort_values(levels.index, ascending=False, kind="stable").index:
        cid = str(city_id)
        label = labels[cid]
        stage_id = str(stages.at[city_id, "stage_id"])
        cells = [
            Cell(
                "rank",
                formatting.rank(ranks.at[city_id, levels.index]),
                _number_text(ranks.at[city_id, levels.index]),
            ),
            Cell("city", label.short_name, label.name.casefold()),
            Cell("region", label.region, label.region.casefold()),
            Cell(
                "stage",
                str(stages.at[city_id, "stage_name"]),
                str(order.index(stage_id) if stage_id in order else len(order)),
            ),
        ]
        for code in levels.levels:
            cells.append(
                Cell(
                    score_key(code),
                    formatting.score(scores.at[city_id, code]),
                    _number_text(scores.at[city_id, code]),
                )
            )
            if code != levels.index:
                cells.append(
                    Cell(
                        rank_key(result, code),
                        formatting.rank(ranks.at[city_id, code]),
                        _number_text(ranks.at[city_id, code]),
                    )
                )
            summary = summaries[code]
            if result.uncertainty is not None:
                low = (
                    summary.at[city_id, "p05"]
                    if summary is not None and city_id in summary.index
                    else None
                )
                cells.append(
                    Cell(f"{code}-interval", interval_text(result, code, cid), _number_text(low))
                )
        rows.append(
            RankingRow(
                city_id=cid,
                href=root + pages[cid],
                name=label.short_name,
                name_zh=label.name_zh,
                region=label.region,
                stage=str(stages.at[city_id, "stage_name"]),
                stage_class=classes.get(stage_id, "stage-6"),
                cells=tuple(cells),
            )
        )
    return tuple(rows)


def weight_sliders(
    result: EditionResult, model: Mapping[str, Any]
) -> tuple[tuple[WeightSlider, ...], tuple[WeightSlider, ...]]:
    framework = result.index.framework
    weights = model["weights"]
    dimension_names = {d.id: d.name for d in result.edition.framework.dimensions}
    pillar_names = {p.id: p.name for p in result.edition.framework.pillars}
    dimensions = tuple(
        WeightSlider(
            code,
            dimension_names.get(code, code),
            framework.top,
            float(weights[code]),
            level_class(code),
        )
        for code in framework.codes_at(framework.n_levels - 1)
    )
    pillars = tuple(
        WeightSlider(
            code,
            pillar_names.get(code, code),
            str(framework.parent(code)),
            float(weights[code]),
            level_class(str(framework.parent(code))),
        )
        for code in framework.codes_at(2)
    )
    return dimensions, pillars


def build_home_context(
    result: EditionResult,
    labels: Mapping[str, CityLabel],
    pages: Mapping[str, str],
    pdfs: PdfLinks,
) -> HomeContext:
    meta = page_meta(result, result.edition.title, "index.html", "")
    n = len(result.scores)
    levels = result.labels
    ranks = result.ranks[levels.index]
    leader = labels[str(ranks.idxmin())].short_name
    figure, specs = plane(result, labels, pages)
    model = whatif_model(result.index, levels)
    dimensions, pillars = weight_sliders(result, model)
    stages = [s for s in result.edition.stages.stages if (result.stages["stage_id"] == s.id).any()]
    framework = result.index.framework
    method = model["method"]
    findings = select_findings(result, "executive_summary", n=4)
    columns = ranking_columns(result)
    return HomeContext(
        meta=meta,
        headline=f"{leader} leads the {result.year} index of {n} tech cities",
        summary=(
            f"Each city is scored from 0 to 100 on {levels.name(levels.x)} ({levels.x}) and "
            f"{levels.name(levels.y)} ({levels.y}); the {levels.index} score combines the two. "
            "Hover a city on the plane for its scores, click it for its profile, or sort and "
            "filter the ranking below, which lists every number the chart shows."
        ),
        key_figures=(
            KeyFigure(str(n), "cities"),
            KeyFigure(str(len(framework.indicators)), "scored indicators"),
            KeyFigure(str(len(framework.codes_at(2))), "pillars"),
            KeyFigure(str(len(stages)), "stages"),
        ),
        key_findings=tuple(f.sentence for f in findings),
        plane_title=f"Cities on the {levels.plane} plane",
        plane=figure,
        columns=columns,
        column_groups=column_groups(columns),
        ranking_note="Scores 0-100; ranks 1 = best"
        + (
            "; 5–95%: the range of ranks over the Monte Carlo runs of the uncertainty analysis"
            if result.uncertainty is not None
            else ""
        )
        + ". Sort by any column with its heading. This table is the text version of the plane.",
        rows=ranking_rows(result, labels, pages, ""),
        regions=tuple(Option(r, r) for r in sorted({lb.region for lb in labels.values()})),
        stages=tuple(Option(s.name, s.name) for s in stages),
        dimension_sliders=dimensions,
        pillar_sliders=pillars,
        whatif_note=(
            "Weights count relative to their siblings: a pillar's against the other pillars of "
            "its dimension, a dimension's against the other. Moving a slider recomputes the "
            "dimension and overall scores and ranks in your browser with the edition's "
            f"{method} mean, from the same normalised indicator values as the published index. "
            + (
                "Stages and 5–95% rank intervals stay those of the published weights."
                if result.uncertainty is not None
                else "Stages stay those of the published weights."
            )
        ),
        annual_pdf=pdfs.annual,
        charts=specs,
        whatif=model,
    )
