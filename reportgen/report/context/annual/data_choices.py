"""The methodology's account of the data choices a critical reader asks about first: values
shared by several cities, estimates for missing values, top-N lists, and the age of the data."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reportgen import formatting
from reportgen.pipeline import EditionResult


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


def _names(result: EditionResult, city_ids: list[str]) -> str:
    names = [
        str(result.panel.cities.at[c, "name"]) for c in city_ids if c in result.panel.cities.index
    ]
    return formatting.join_words(names)


def shared_values_text(result: EditionResult) -> ChoiceText | None:
    panel = result.panel
    shared = panel.shared
    if not shared.to_numpy().any():
        return None
    cities = [str(c) for c in shared.index[shared.any(axis=1)]]
    indicators = [str(i) for i in shared.columns[shared.any(axis=0)]]
    indicator_names = formatting.join_words(
        [
            str(panel.indicators.at[i, "short_name"] or panel.indicators.at[i, "name"]).lower()
            for i in indicators
        ]
    )
    text = (
        f"Some sources publish one figure for a unit that spans several cities: {indicator_names} "
        f"come from one WIPO science and technology cluster covering {_names(result, cities)}. "
        f"Counting the unit's total for each of them would count it "
        f"{formatting.times(len(cities))}. This "
        f"edition {SHARED_MODE_TEXT[panel.shared_mode]}."
    )
    ranks = result.shared_ranks
    spotlight = result.edition.spotlight_city
    if ranks is not None and spotlight in ranks.index:
        name = (
            str(panel.cities.at[spotlight, "name"])
            if spotlight in panel.cities.index
            else spotlight
        )
        row = ranks.loc[spotlight]
        text += (
            f" The choice matters: {name} ranks {formatting.ordinal(row['split'])} overall with "
            f"the split, {formatting.ordinal(row['whole'])} if each city kept the whole total and "
            f"{formatting.ordinal(row['drop'])} if the values were dropped and estimated."
        )
    return ChoiceText("Values shared by several cities", text)


def estimates_text(result: EditionResult) -> ChoiceText:
    index = result.index
    scored = list(index.framework.indicators)
    mask = index.imputed_mask.reindex(columns=scored, fill_value=False)
    mask = mask.reindex(index=result.scores.index, fill_value=False).astype(bool)
    n_missing, n_cells = int(mask.to_numpy().sum()), mask.size
    worst = mask.sum(axis=0).sort_values(ascending=False)
    worst = worst[worst > 0].head(3)
    names = result.panel.indicators["short_name"]
    most = formatting.join_words([f"{names.get(i, i)} ({n} cities)" for i, n in worst.items()])
    text = (
        f"{n_missing} of the {n_cells:,} scored values ({n_missing / n_cells:.0%}) are missing and "
        "estimated as the build's imputation step says (see below)"
        + (f"; most of them in {most}" if most else "")
        + ". An estimate is never printed as an observed value: tables show it in italics with "
        "'imp.', and a finding that rests on one says so and weighs less in the selection."
    )
    return ChoiceText("Estimates for missing values", text)


def lists_text(result: EditionResult) -> ChoiceText | None:
    indicators = result.panel.indicators
    scored = indicators[indicators["role"] == "index"]
    bounded = scored[pd.to_numeric(scored["list_threshold"], errors="coerce").notna()]
    noted = scored[scored.get("absence_note", pd.Series("", index=scored.index)).fillna("") != ""]
    noted = noted[~noted.index.isin(bounded.index)]
    if bounded.empty and noted.empty:
        return None
    parts = []
    if not bounded.empty:
        parts.append(
            "A city outside a published top-N ranking is known to rank below its last place, "
            "a true bound, used as one for "
            + formatting.join_words([str(n) for n in bounded["short_name"]])
            + "."
        )
    if not noted.empty:
        parts.append(
            "Lists ordered by something else bound nothing: absence from the WIPO cluster table "
            "(ranked on a combined score) or from PitchBook's top 20 (ranked by its ecosystem "
            "ranking, not by capital) says nothing about the value, which is treated as missing "
            "for " + formatting.join_words([str(n) for n in noted["short_name"]]) + "."
        )
    return ChoiceText("Top-N lists", " ".join(parts))


def data_year_rows(result: EditionResult) -> tuple[DataYearRow, ...]:
    table = result.data_years
    if table is None:
        return ()
    levels = result.labels
    rows = []
    for pillar, row in table.iterrows():
        first, last = row["first_year"], row["last_year"]
        years = "–" if pd.isna(first) else (f"{first}" if first == last else f"{first}–{last}")
        rows.append(
            DataYearRow(
                levels.name(str(pillar)),
                str(row["dimension"]),
                years,
                "–" if pd.isna(row["max_age"]) else f"{int(row['max_age'])} years",
            )
        )
    return tuple(rows)


def recency_text(result: EditionResult) -> ChoiceText:
    span = result.data_span
    when = f"from {span[0]} to {span[1]}" if span else "of various years"
    return ChoiceText(
        "Age of the data",
        f"This is the {result.year} edition; its scored values date {when}, pillar by pillar as "
        "the table shows. Each indicator has a maximum age: an older value is not used, and "
        f"values older than {result.edition.findings.max_data_age} years are marked 'old'. "
        "Newer figures that use another price "
        "basis (OECD metropolitan GDP, World Bank GDP for the city-states) are shown as context "
        "indicators rather than spliced into an older series.",
    )


def data_choices(result: EditionResult) -> tuple[ChoiceText, ...]:
    found = (
        shared_values_text(result),
        estimates_text(result),
        lists_text(result),
        recency_text(result),
    )
    return tuple(c for c in found if c is not None)
