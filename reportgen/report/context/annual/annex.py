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
    absence_note: str
    unit: str
    direction: str
    years: str
    coverage: str
    source_number: int


@dataclass(frozen=True)
class SourceGroup:
    """The sources of one original publisher, numbered as the tables cite them."""

    publisher: str
    sources: tuple[SourceView, ...]


@dataclass(frozen=True)
class AnnexChapter(Chapter):
    intro: tuple[str, ...]
    indicator_rows: tuple[AnnexRow, ...]
    source_groups: tuple[SourceGroup, ...]


def _text(value: object) -> str:
    """A text cell as printed: empty for a missing one (never 'nan')."""
    return value.strip() if isinstance(value, str) else ""


def group_by_publisher(
    sources: list[SourceView], tr: Translator = ENGLISH
) -> tuple[SourceGroup, ...]:
    """Sources grouped under their original publisher, publishers in order of first citation."""
    other = tr.gettext("Other sources")
    groups: dict[str, list[SourceView]] = {}
    for source in sources:
        groups.setdefault(source.publisher or other, []).append(source)
    return tuple(SourceGroup(name, tuple(items)) for name, items in groups.items())


def annex_chapter(result: EditionResult, number: int, tr: Translator = ENGLISH) -> AnnexChapter:
    _ = tr.gettext
    levels = tr.labels(result.labels)
    panel = result.panel
    indicators = panel.indicators
    registry = SourceRegistry(indicators, tr=tr)
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
        number_ = registry.number(
            url, str(row.get("source_name") or indicator_id), indicator_id=str(indicator_id)
        )
        pillar = str(row["pillar"])
        printed = tr.indicator(str(indicator_id), row)
        rows.append(
            AnnexRow(
                name=printed.name,
                pillar=levels.name(pillar),
                role=_("scored") if row["role"] == "index" else _("context"),
                definition=_text(printed.definition),
                absence_note=_text(printed.absence_note),
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
                    url,
                    str(indicators.at[indicator_id, "source_name"] or indicator_id),
                    indicator_id=str(indicator_id),
                )
    intro = [
        _(
            "Every value in this report comes from the public source listed for it, cited by "
            "its original publisher first and, where the figure was read from another site, by "
            "that site second. Where a city has no value for a scored indicator, the index uses "
            "an estimate (see Methodology), marked as such wherever it is printed."
        ),
        _(
            "Where a ranking publishes only its top N, a city outside it ranks below N: a true "
            "bound, used as such. Where a list is ordered by something else (a combined score, "
            "an ecosystem ranking), absence from it says nothing about the value, which is then "
            "treated as missing; each such indicator's note below says what absence means. "
            "Source addresses are printed, never fetched."
        ),
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
        source_groups=group_by_publisher(registry.listing(), tr),
    )
