"""The methodology and data pages' view-models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reportgen.pipeline import EditionResult
from reportgen.report.context.common import (
    CityLabel,
    stage_classes,
)
from reportgen.report.methodology import StepText, build_rows, describe_build
from reportgen.web.context.common import PageMeta, PdfLinks, level_class, page_meta


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
    build_rows: tuple[tuple[str, str, str], ...]  # step, method, parameters
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


def build_methodology_context(result: EditionResult) -> MethodologyContext:
    framework = result.index.framework
    edition = result.edition.framework
    used = set(framework.codes_at(2))
    indicator_names = {
        str(i): str(row["short_name"] or row["name"])
        for i, row in result.panel.indicators.iterrows()
    }
    dimensions = tuple(
        WeightRow(d.id, d.name, f"{d.weight:g}", d.description, level_class(d.id))
        for d in edition.dimensions
    )
    pillars = tuple(
        WeightRow(
            p.id,
            p.name,
            f"{p.weight:g}",
            p.description,
            level_class(p.dimension),
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
        build_rows=tuple(build_rows(result.build)),
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
    briefs = sorted((labels[c].short_name, href) for c, href in pdfs.briefs.items() if c in labels)
    pdf_files += [DownloadFile(f"City brief: {name}", href, "PDF") for name, href in briefs]
    return DataContext(
        meta=page_meta(result, "Data and downloads", "data.html", ""),
        downloads=tuple(downloads),
        pdfs=tuple(pdf_files),
    )
