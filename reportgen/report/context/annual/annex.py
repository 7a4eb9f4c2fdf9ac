"""Chapter 10: the data annex, every indicator with its definition, coverage and sources."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.pipeline import EditionResult
from reportgen.report.context.annual.base import Chapter
from reportgen.report.context.common import SourceRegistry, SourceView
from reportgen.report.i18n import ENGLISH, Translator


@dataclass(frozen=True)
class AnnexRow:
    name: str
    pillar: str
    role: str
    definition: str
    unit: str
    direction: str
    years: str
    coverage: str
    source_number: int


@dataclass(frozen=True)
class AnnexChapter(Chapter):
    intro: tuple[str, ...]
    indicator_rows: tuple[AnnexRow, ...]
    sources: tuple[SourceView, ...]


def annex_chapter(result: EditionResult, number: int, tr: Translator = ENGLISH) -> AnnexChapter:
    _ = tr.gettext
    levels = tr.labels(result.labels)
    panel = result.panel
    indicators = panel.indicators
    registry = SourceRegistry(indicators, tr)
    rows = []
    n_cities = len(panel.values)
    for indicator_id, row in indicators.iterrows():
        years = panel.years[indicator_id].dropna().astype(int)
        year_text = (
            (f"{years.min()}" if years.min() == years.max() else f"{years.min()}–{years.max()}")
            if len(years)
            else "–"
        )
        url = str(row.get("source_url") or "")
        number_ = registry.number(url, str(row.get("source_name") or indicator_id))
        pillar = str(row["pillar"])
        printed = tr.indicator(str(indicator_id), row)
        rows.append(
            AnnexRow(
                name=printed.name,
                pillar=levels.name(pillar),
                role=_("scored") if row["role"] == "index" else _("context"),
                definition=printed.definition,
                unit=printed.unit,
                direction="+" if float(row["direction"]) > 0 else "−",
                years=year_text,
                coverage=f"{panel.values[indicator_id].notna().sum()}/{n_cities}",
                source_number=number_,
            )
        )
    for city_id in panel.sources.index:
        for indicator_id in panel.sources.columns:
            url = panel.sources.at[city_id, indicator_id]
            if isinstance(url, str) and url:
                registry.number(
                    url, str(indicators.at[indicator_id, "source_name"] or indicator_id)
                )
    intro = [
        _(
            "Every value in this report comes from the public source listed for it. Where a "
            "city has no value for a scored indicator, the index uses an estimate (see "
            "Methodology), marked as such wherever it is printed. Where a source publishes only "
            "a top-N list, cities outside it are recorded as below the list's last value. "
            "Source addresses are printed, never fetched."
        )
    ]
    if not tr.is_source:
        intro.append(
            _(
                "Definitions and source titles are given in their original English where no "
                "translation has been made; † marks an indicator name left in English."
            )
        )
    return AnnexChapter(
        template="annex.html",
        anchor="annex",
        title=_("{number}. Data annex").format(number=number),
        sections=(("indicators", _("Indicators")), ("sources", _("Sources"))),
        intro=tuple(intro),
        indicator_rows=tuple(rows),
        sources=tuple(registry.listing()),
    )
