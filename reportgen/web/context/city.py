"""A city page's view-model: the brief's content, the plane and findings with evidence."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reportgen.pipeline import EditionResult
from reportgen.report.context.brief import BriefContext, brief_profile, build_brief
from reportgen.report.context.common import (
    ChartBook,
    CityLabel,
    select_findings,
)
from reportgen.report.context.inputs import BriefInputs, brief_inputs
from reportgen.web import charts as web_charts
from reportgen.web.context.common import Figure, NavLink, PageMeta, PdfLinks, page_meta, plane


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
    plane_title: str
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


def _is_web_address(url: str) -> bool:
    return re.match(r"https?://[^\s]+$", url, flags=re.IGNORECASE) is not None


def build_city_context(
    result: EditionResult,
    city_id: str,
    labels: Mapping[str, CityLabel],
    pages: Mapping[str, str],
    pdfs: PdfLinks,
    order: Sequence[str],
    inputs: BriefInputs | None = None,
) -> CityContext:
    """``inputs``: the city's brief inputs, when the caller built them for every city at once."""
    if inputs is None:
        inputs = brief_inputs(result, [city_id], dict(labels))[city_id]
    # The brief's text without its charts: the page draws its own plane, and only the profile
    # is the PDF's (restyled for a screen below); the brief's plane would cost most of the page.
    brief = build_brief(inputs, charts=False)
    root = "../"
    label = labels[city_id]
    meta = page_meta(result, f"{label.heading_name}: city profile", "", root)
    hrefs = {c: root + p for c, p in pages.items()}
    figure, specs = plane(result, labels, hrefs, highlight=city_id)
    # The brief's own pillar profile, restyled for a screen: the same chart as the PDF's.
    book = ChartBook()
    profile = brief_profile(inputs, book)
    specs[profile.chart_id] = web_charts.for_screen(book.charts[profile.chart_id])
    numbers = {s.url: s.number for s in brief.sources}
    items = _finding_items(result, city_id, numbers)
    position = list(order).index(city_id)
    previous = order[position - 1] if position > 0 else None
    following = order[position + 1] if position + 1 < len(order) else None
    return CityContext(
        meta=meta,
        brief=brief,
        plane_title=f"Position on the {result.labels.plane} plane",
        plane=figure,
        profile=Figure(profile.chart_id, profile.alt, "profile"),
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
