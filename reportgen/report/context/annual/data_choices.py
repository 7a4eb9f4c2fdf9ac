"""The methodology's account of the data choices a critical reader asks about first: values
shared by several cities, estimates for missing values, top-N lists, and the age of the data."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reportgen.pipeline import EditionResult
from reportgen.report.i18n import ENGLISH, Translator


@dataclass(frozen=True)
class ChoiceText:
    title: str
    text: str


@dataclass(frozen=True)
class DataYearRow:
    pillar: str
    dimension: str
    years: str
    max_age: str


SHARED_MODE_TEXT = {
    "split": (
        "splits each total among the cities by their share of the unit's population (UN World "
        "Urbanization Prospects): an estimate, printed in italics and marked 'est. share'"
    ),
    "whole": (
        "gives each city the unit's whole total, marked 'shared' wherever it is printed: the "
        "unit is then counted once per city"
    ),
    "drop": "treats the values as missing and estimates them like any other gap",
}


def shared_mode_text(tr: Translator = ENGLISH) -> dict[str, str]:
    """SHARED_MODE_TEXT in ``tr``'s language (literal msgids, so extraction finds them)."""
    _ = tr.gettext
    return {
        "split": _(
            "splits each total among the cities by their share of the unit's population (UN "
            "World Urbanization Prospects): an estimate, printed in italics and marked 'est. "
            "share'"
        ),
        "whole": _(
            "gives each city the unit's whole total, marked 'shared' wherever it is printed: the "
            "unit is then counted once per city"
        ),
        "drop": _("treats the values as missing and estimates them like any other gap"),
    }


def _city_name(result: EditionResult, city_id: str, tr: Translator) -> str:
    cities = result.panel.cities
    if city_id not in cities.index:
        return city_id
    name = str(cities.at[city_id, "name"])
    if tr.is_source:
        return name
    name_zh = cities.at[city_id, "name_zh"] if "name_zh" in cities.columns else None
    return tr.city_name(city_id, name_zh if isinstance(name_zh, str) and name_zh else name)


def _names(result: EditionResult, city_ids: list[str], tr: Translator = ENGLISH) -> str:
    names = [_city_name(result, c, tr) for c in city_ids if c in result.panel.cities.index]
    return tr.join_words(names)


def _short_names(result: EditionResult, ids: list[str], tr: Translator, lower: bool) -> list[str]:
    table = result.panel.indicators
    if tr.is_source:
        names = [str(table.at[i, "short_name"] or table.at[i, "name"]) for i in ids]
        return [n.lower() for n in names] if lower else names
    return [tr.indicator(i, table.loc[i]).short_name for i in ids]


def shared_values_text(result: EditionResult, tr: Translator = ENGLISH) -> ChoiceText | None:
    _ = tr.gettext
    panel = result.panel
    shared = panel.shared
    if not shared.to_numpy().any():
        return None
    cities = [str(c) for c in shared.index[shared.any(axis=1)]]
    indicators = [str(i) for i in shared.columns[shared.any(axis=0)]]
    indicator_names = tr.join_words(_short_names(result, indicators, tr, lower=True))
    text = _(
        "Some sources publish one figure for a unit that spans several cities: {indicators} "
        "come from one WIPO science and technology cluster covering {cities}. Counting the "
        "unit's total for each of them would count it {times}. This edition {mode}."
    ).format(
        indicators=indicator_names,
        cities=_names(result, cities, tr),
        times=tr.times(len(cities)),
        mode=shared_mode_text(tr)[panel.shared_mode],
    )
    ranks = result.shared_ranks
    spotlight = result.edition.spotlight_city
    if ranks is not None and spotlight in ranks.index:
        row = ranks.loc[spotlight]
        text += _(
            " The choice matters: {city} ranks {split} overall with the split, {whole} if each "
            "city kept the whole total and {drop} if the values were dropped and estimated."
        ).format(
            city=_city_name(result, str(spotlight), tr),
            split=tr.ordinal(row["split"]),
            whole=tr.ordinal(row["whole"]),
            drop=tr.ordinal(row["drop"]),
        )
    return ChoiceText(_("Values shared by several cities"), text)


def estimates_text(result: EditionResult, tr: Translator = ENGLISH) -> ChoiceText:
    index = result.index
    scored = list(index.framework.indicators)
    mask = index.imputed_mask.reindex(columns=scored, fill_value=False)
    mask = mask.reindex(index=result.scores.index, fill_value=False).astype(bool)
    n_missing, n_cells = int(mask.to_numpy().sum()), mask.size
    worst = mask.sum(axis=0).sort_values(ascending=False)
    worst = worst[worst > 0].head(3)
    _ = tr.gettext
    short = _short_names(result, [str(i) for i in worst.index], tr, False)
    names = dict(zip(worst.index, short, strict=True))
    most = tr.join_words(
        [_("{name} ({n} cities)").format(name=names[i], n=n) for i, n in worst.items()]
    )
    counts = {
        "n": n_missing,
        "cells": tr.integer(n_cells),
        "share": tr.percent(n_missing / n_cells),
    }
    if most:
        text = _(
            "{n} of the {cells} scored values ({share}) are missing and estimated as the build's "
            "imputation step says (see below); most of them in {most}."
        ).format(most=most, **counts)
    else:
        text = _(
            "{n} of the {cells} scored values ({share}) are missing and estimated as the build's "
            "imputation step says (see below)."
        ).format(**counts)
    text += _(
        " An estimate is never printed as an observed value: tables show it in italics with "
        "'imp.', and a finding that rests on one says so and weighs less in the selection."
    )
    return ChoiceText(_("Estimates for missing values"), text)


def lists_text(result: EditionResult, tr: Translator = ENGLISH) -> ChoiceText | None:
    indicators = result.panel.indicators
    scored = indicators[indicators["role"] == "index"]
    bounded = scored[pd.to_numeric(scored["list_threshold"], errors="coerce").notna()]
    noted = scored[scored.get("absence_note", pd.Series("", index=scored.index)).fillna("") != ""]
    noted = noted[~noted.index.isin(bounded.index)]
    if bounded.empty and noted.empty:
        return None
    _ = tr.gettext
    parts = []
    if not bounded.empty:
        parts.append(
            _(
                "A city outside a published top-N ranking is known to rank below its last "
                "place, a true bound, used as one for {names}."
            ).format(
                names=tr.join_words(
                    _short_names(result, [str(i) for i in bounded.index], tr, False)
                )
            )
        )
    if not noted.empty:
        parts.append(
            _(
                "Lists ordered by something else bound nothing: absence from the WIPO cluster "
                "table (ranked on a combined score) or from PitchBook's top 20 (ranked by its "
                "ecosystem ranking, not by capital) says nothing about the value, which is "
                "treated as missing for {names}."
            ).format(
                names=tr.join_words(_short_names(result, [str(i) for i in noted.index], tr, False))
            )
        )
    return ChoiceText(_("Top-N lists"), tr.sentences(parts))


def data_year_rows(result: EditionResult, tr: Translator = ENGLISH) -> tuple[DataYearRow, ...]:
    table = result.data_years
    if table is None:
        return ()
    levels = tr.labels(result.labels)
    rows = []
    for pillar, row in table.iterrows():
        first, last = row["first_year"], row["last_year"]
        years = "–" if pd.isna(first) else (f"{first}" if first == last else f"{first}–{last}")
        rows.append(
            DataYearRow(
                levels.name(str(pillar)),
                str(row["dimension"]),
                years,
                "–"
                if pd.isna(row["max_age"])
                else tr.gettext("{n} years").format(n=int(row["max_age"])),
            )
        )
    return tuple(rows)


def recency_text(result: EditionResult, tr: Translator = ENGLISH) -> ChoiceText:
    _ = tr.gettext
    span = result.data_span
    when = (
        _("from {first} to {last}").format(first=span[0], last=span[1])
        if span
        else _("of various years")
    )
    return ChoiceText(
        _("Age of the data"),
        _(
            "This is the {year} edition; its scored values date {when}, pillar by pillar as the "
            "table shows. Each indicator has a maximum age: an older value is not used, and "
            "values older than {age} years are marked 'old'. Newer figures that use another "
            "price basis (OECD metropolitan GDP, World Bank GDP for the city-states) are shown "
            "as context indicators rather than spliced into an older series."
        ).format(year=result.year, when=when, age=result.edition.findings.max_data_age),
    )


def data_choices(result: EditionResult, tr: Translator = ENGLISH) -> tuple[ChoiceText, ...]:
    found = (
        shared_values_text(result, tr),
        estimates_text(result, tr),
        lists_text(result, tr),
        recency_text(result, tr),
    )
    return tuple(c for c in found if c is not None)
