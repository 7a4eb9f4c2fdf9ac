"""The site's view-models: one typed context per page, everything already chosen and formatted."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reportgen import formatting
from reportgen.brief import BriefContext, build_brief_context
from reportgen.methodology import StepText, compact_build_yaml, describe_build
from reportgen.pipeline import EditionResult
from reportgen.views import (
    CityLabel,
    city_labels,
    interval_text,
    meta_of,
    select_findings,
    stage_classes,
    stage_regions,
)
from reportgen.web import charts as web_charts
from reportgen.web.whatif import WeightSlider, whatif_model

DIMENSION_CLASSES = {"TDP": "tdp", "ECC": "ecc"}


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    current: bool


@dataclass(frozen=True)
class PageMeta:
    """What every page's layout prints: title, language, links and the path back to the root."""

    title: str
    description: str
    language: str
    root: str  # "" on top-level pages, "../" on city pages
    site_title: str
    edition_line: str
    nav: tuple[NavLink, ...]


@dataclass(frozen=True)
class Figure:
    """A chart the page embeds (its spec travels in the page's JSON block) and its text."""

    chart_id: str
    alt: str
    css_class: str = ""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool
    description: str
    group: str = ""  # the heading it sits under (Overall, TDP, ECC); "" spans both rows
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


@dataclass(frozen=True)
class EvidenceItem:
    label: str
    text: str
    year: str
    source_number: str
    flag: str


@dataclass(frozen=True)
class FindingItem:
    kind: str
    sentence: str
    caveats: tuple[str, ...]
    evidence: tuple[EvidenceItem, ...]


@dataclass(frozen=True)
class SourceLink:
    number: int
    label: str
    url: str
    href: str  # the URL when it is a web address; sources are data, so nothing else is linked


@dataclass(frozen=True)
class CityContext:
    meta: PageMeta
    brief: BriefContext
    plane: Figure
    profile: Figure
    strengths: tuple[FindingItem, ...]
    gaps: tuple[FindingItem, ...]
    other_findings: tuple[FindingItem, ...]
    sources: tuple[SourceLink, ...]
    brief_pdf: str
    previous: NavLink | None
    next: NavLink | None
    charts: dict[str, Any]


@dataclass(frozen=True)
class WeightRow:
    code: str
    name: str
    weight: str
    description: str
    css_class: str
    indicators: tuple[str, ...] = ()


@dataclass(frozen=True)
class StageRow:
    name: str
    css_class: str
    description: str
    cities: str


@dataclass(frozen=True)
class MethodologyContext:
    meta: PageMeta
    steps: tuple[StepText, ...]
    build_yaml: str
    dimensions: tuple[WeightRow, ...]
    pillars: tuple[WeightRow, ...]
    stages: tuple[StageRow, ...]
    uncertainty: str


@dataclass(frozen=True)
class DownloadFile:
    label: str
    href: str
    size: str


@dataclass(frozen=True)
class Download:
    title: str
    description: str
    files: tuple[DownloadFile, ...]


@dataclass(frozen=True)
class DataContext:
    meta: PageMeta
    downloads: tuple[Download, ...]
    pdfs: tuple[DownloadFile, ...]


@dataclass(frozen=True)
class PdfLinks:
    """Where the PDFs are, relative to the site folder; empty when none were published."""

    annual: str = ""
    briefs: Mapping[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------


def city_slug(city_id: str) -> str:
    """A file name for a city page: ids are data, so anything beyond [a-z0-9_-] is replaced."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", city_id.lower()).strip("-")
    return slug or "city"


def city_pages(result: EditionResult) -> dict[str, str]:
    """city_id -> page path relative to the site root, unique even when slugs collide."""
    pages: dict[str, str] = {}
    taken: set[str] = set()
    for city_id in result.scores.index.astype(str):
        slug, n = city_slug(city_id), 2
        candidate = slug
        while candidate in taken:
            candidate, n = f"{slug}-{n}", n + 1
        taken.add(candidate)
        pages[city_id] = f"cities/{candidate}.html"
    return pages


def page_meta(result: EditionResult, title: str, current: str, root: str) -> PageMeta:
    meta = meta_of(result, "Web edition")
    links = (("Ranking", "index.html"), ("Methodology", "methodology.html"), ("Data", "data.html"))
    return PageMeta(
        title=title,
        description=meta.subject,
        language=meta.language,
        root=root,
        site_title=meta.running_title,
        edition_line=meta.edition_line,
        nav=tuple(NavLink(label, root + href, href == current) for label, href in links),
    )


def _number_text(value: Any) -> str:
    return "" if formatting.is_missing(value) or pd.isna(value) else repr(float(value))


def ranking_columns(result: EditionResult) -> tuple[Column, ...]:
    columns = [
        Column("rank", "Rank", True, "Overall rank (1 = best)"),
        Column("city", "City", False, ""),
        Column("region", "Region", False, ""),
        Column("stage", "Stage", False, "Development stage on the TDP × ECC plane"),
    ]
    for code in ("Overall", "TDP", "ECC"):
        css = DIMENSION_CLASSES.get(code, "overall")
        columns.append(Column(f"{code}-score", "Score", True, f"{code} score, 0-100", code, css))
        if code != "Overall":
            columns.append(Column(f"{code}-rank", "Rank", True, f"Rank on {code}", code, css))
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
    summaries = {code: result.rank_interval(code) for code in ("Overall", "TDP", "ECC")}
    rows = []
    for city_id in scores.sort_values("Overall", ascending=False, kind="stable").index:
        cid = str(city_id)
        label = labels[cid]
        stage_id = str(stages.at[city_id, "stage_id"])
        cells = [
            Cell(
                "rank",
                formatting.rank(ranks.at[city_id, "Overall"]),
                _number_text(ranks.at[city_id, "Overall"]),
            ),
            Cell("city", label.short_name, label.name.casefold()),
            Cell("region", label.region, label.region.casefold()),
            Cell(
                "stage",
                str(stages.at[city_id, "stage_name"]),
                str(order.index(stage_id) if stage_id in order else len(order)),
            ),
        ]
        for code in ("Overall", "TDP", "ECC"):
            cells.append(
                Cell(
                    f"{code}-score",
                    formatting.score(scores.at[city_id, code]),
                    _number_text(scores.at[city_id, code]),
                )
            )
            if code != "Overall":
                cells.append(
                    Cell(
                        f"{code}-rank",
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


def plane_points(result: EditionResult, labels: Mapping[str, CityLabel]) -> pd.DataFrame:
    stages = result.stages
    return pd.DataFrame(
        {
            "city_id": stages.index.astype(str),
            "label": [labels[str(c)].short_name for c in stages.index],
            "name": [labels[str(c)].name for c in stages.index],
            "TDP": stages["TDP"].to_numpy(float),
            "ECC": stages["ECC"].to_numpy(float),
            "stage": stages["stage_name"].astype(str).to_numpy(),
            "rank": result.ranks["Overall"].reindex(stages.index).to_numpy(),
        }
    )


def plane(
    result: EditionResult,
    labels: Mapping[str, CityLabel],
    hrefs: Mapping[str, str],
    highlight: str | None = None,
) -> tuple[Figure, dict[str, Any]]:
    first = result.stages.iloc[0]
    tdp_cut, ecc_cut = float(first["tdp_threshold"]), float(first["ecc_threshold"])
    spec = web_charts.plane_spec(
        plane_points(result, labels),
        tdp_threshold=tdp_cut,
        ecc_threshold=ecc_cut,
        regions=stage_regions(result),
        hrefs=hrefs,
        highlight=highlight,
    )
    n = len(result.stages)
    alt = (
        f"Scatter plot of {n} cities by TDP score (horizontal) and ECC score (vertical), with "
        f"stage thresholds at TDP {tdp_cut:.1f} and ECC {ecc_cut:.1f}"
        + (
            f"; {labels[highlight].short_name} highlighted at TDP "
            f"{result.stages.at[highlight, 'TDP']:.1f}, "
            f"ECC {result.stages.at[highlight, 'ECC']:.1f}"
            if highlight
            else ". The ranking table below lists the same scores"
        )
        + "."
    )
    chart_id = "plane"
    return Figure(chart_id, alt, "plane"), {chart_id: spec}


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
            DIMENSION_CLASSES.get(code, ""),
        )
        for code in framework.codes_at(framework.n_levels - 1)
    )
    pillars = tuple(
        WeightSlider(
            code,
            pillar_names.get(code, code),
            str(framework.parent(code)),
            float(weights[code]),
            DIMENSION_CLASSES.get(str(framework.parent(code)), ""),
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
    ranks = result.ranks["Overall"]
    leader = labels[str(ranks.idxmin())].short_name
    figure, specs = plane(result, labels, pages)
    model = whatif_model(result.index)
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
            "Each city is scored from 0 to 100 on Technology Development Potential (TDP) and "
            "Ecosystem Co-Benefit Capacity (ECC); the overall score combines the two. Hover a "
            "city on the plane for its scores, click it for its profile, or sort and filter the "
            "ranking below, which lists every number the chart shows."
        ),
        key_figures=(
            KeyFigure(str(n), "cities"),
            KeyFigure(str(len(framework.indicators)), "scored indicators"),
            KeyFigure(str(len(framework.codes_at(2))), "pillars"),
            KeyFigure(str(len(stages)), "stages"),
        ),
        key_findings=tuple(f.sentence for f in findings),
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
            f"Moving a slider recomputes the dimension and overall scores and ranks in your "
            f"browser with the edition's {method} mean, from the same normalised indicator "
            f"values as the published index. Stages and 5–95% rank intervals stay those of the "
            f"published weights."
        ),
        annual_pdf=pdfs.annual,
        charts=specs,
        whatif=model,
    )


def _finding_items(
    result: EditionResult, city_id: str, source_numbers: Mapping[str, int]
) -> list[FindingItem]:
    items = []
    for finding in select_findings(result, "brief", city_id=city_id):
        evidence = tuple(
            EvidenceItem(
                label=e.label,
                text=e.text,
                year="" if e.year is None else str(e.year),
                source_number=str(source_numbers.get(e.source_url or "", "")),
                flag="imputed" if e.is_imputed else ("upper bound" if e.is_bounded else ""),
            )
            for e in finding.evidence
        )
        items.append(FindingItem(finding.kind, finding.sentence, tuple(finding.caveats), evidence))
    return items


def build_city_context(
    result: EditionResult,
    city_id: str,
    labels: Mapping[str, CityLabel],
    pages: Mapping[str, str],
    pdfs: PdfLinks,
    order: Sequence[str],
) -> CityContext:
    brief = build_brief_context(result, city_id, labels=dict(labels))
    root = "../"
    label = labels[city_id]
    meta = page_meta(result, f"{label.heading_name}: city profile", "", root)
    hrefs = {c: root + p for c, p in pages.items()}
    figure, specs = plane(result, labels, hrefs, highlight=city_id)
    # The brief's own pillar profile, restyled for a screen: the same chart as the PDF's.
    profile_id = brief.profile.chart_id
    specs[profile_id] = web_charts.for_screen(brief.charts[profile_id])
    numbers = {s.url: s.number for s in brief.sources}
    items = _finding_items(result, city_id, numbers)
    position = list(order).index(city_id)
    previous = order[position - 1] if position > 0 else None
    following = order[position + 1] if position + 1 < len(order) else None
    return CityContext(
        meta=meta,
        brief=brief,
        plane=figure,
        profile=Figure(profile_id, brief.profile.alt, "profile"),
        strengths=tuple(i for i in items if i.kind == "strength"),
        gaps=tuple(i for i in items if i.kind == "gap"),
        other_findings=tuple(i for i in items if i.kind not in ("strength", "gap")),
        sources=tuple(
            SourceLink(s.number, s.label, s.url, s.url if _is_web_address(s.url) else "")
            for s in brief.sources
        ),
        brief_pdf=root + pdfs.briefs[city_id] if city_id in pdfs.briefs else "",
        previous=NavLink(labels[previous].short_name, root + pages[previous], False)
        if previous
        else None,
        next=NavLink(labels[following].short_name, root + pages[following], False)
        if following
        else None,
        charts=specs,
    )


def _is_web_address(url: str) -> bool:
    return re.match(r"https?://[^\s]+$", url, flags=re.IGNORECASE) is not None


def build_methodology_context(result: EditionResult) -> MethodologyContext:
    framework = result.index.framework
    edition = result.edition.framework
    used = set(framework.codes_at(2))
    indicator_names = {
        str(i): str(row["short_name"] or row["name"])
        for i, row in result.panel.indicators.iterrows()
    }
    dimensions = tuple(
        WeightRow(d.id, d.name, f"{d.weight:g}", d.description, DIMENSION_CLASSES.get(d.id, ""))
        for d in edition.dimensions
    )
    pillars = tuple(
        WeightRow(
            p.id,
            p.name,
            f"{p.weight:g}",
            p.description,
            DIMENSION_CLASSES.get(p.dimension, ""),
            tuple(
                f"{indicator_names.get(i, i)} (weight {framework.meta.at[i, 'weight']:g})"
                for i in framework.children(p.id)
            ),
        )
        for p in edition.pillars
        if p.id in used
    )
    classes = stage_classes(result)
    stages = tuple(
        StageRow(
            s.name,
            classes.get(s.id, "stage-6"),
            s.description,
            ", ".join(
                str(result.panel.cities.at[c, "name"])
                for c in result.stages.index[result.stages["stage_id"] == s.id]
            ),
        )
        for s in result.edition.stages.stages
    )
    spec = result.edition.uncertainty
    uncertainty = (
        f"Ranks carry 5–95% intervals from {result.uncertainty.spec.n:,} Monte Carlo runs of the "
        "build with its uncertain choices varied (seed "
        f"{result.uncertainty.spec.seed}); a city whose interval is wide should not be read by its "
        "single rank."
        if result.uncertainty is not None
        else f"No uncertainty analysis was run for this build ({spec.n:,} runs configured); ranks "
        "are shown without intervals."
    )
    return MethodologyContext(
        meta=page_meta(result, "Methodology", "methodology.html", ""),
        steps=tuple(describe_build(result.build)),
        build_yaml=compact_build_yaml(result.build),
        dimensions=dimensions,
        pillars=pillars,
        stages=stages,
        uncertainty=uncertainty,
    )


def build_data_context(
    result: EditionResult,
    downloads: Sequence[Download],
    pdfs: PdfLinks,
    labels: Mapping[str, CityLabel],
) -> DataContext:
    pdf_files = []
    if pdfs.annual:
        pdf_files.append(DownloadFile(f"Annual report {result.year}", pdfs.annual, "PDF"))
    briefs = sorted(
        (labels[c].short_name, href) for c, href in pdfs.briefs.items() if c in labels
    )
    pdf_files += [DownloadFile(f"City brief: {name}", href, "PDF") for name, href in briefs]
    return DataContext(
        meta=page_meta(result, "Data and downloads", "data.html", ""),
        downloads=tuple(downloads),
        pdfs=tuple(pdf_files),
    )


def labels_for(result: EditionResult) -> dict[str, CityLabel]:
    # Browsers fall back to the reader's CJK fonts, so Chinese names are always printed.
    return city_labels(result, with_chinese=True)
