"""Rules across the input files (ids, framework, duplicates, ranges, coverage) as problems."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from reportgen.config import Edition, EditionParts, FrameworkSpec, did_you_mean, read_edition_parts
from reportgen.data.load import EXCEL_SUFFIXES, TABLES, Dataset, in_file_order, read_dataset
from reportgen.data.panel import make_panel, select_observations
from reportgen.errors import InputError, Problem


def validate(dataset: Dataset, edition: Edition, year: int | None = None) -> list[Problem]:
    """Every cross-file problem; empty when the inputs can be built for `year` (default: the
    edition's year). Problems within one file are load_dataset's and load_edition's; this
    assumes they were reported and tolerates what they leave (missing cells, raw bad ids)."""
    return in_file_order(cross_file_problems(dataset, edition.parts(), year), _files(dataset))


def cross_file_problems(
    dataset: Dataset, edition: EditionParts, year: int | None = None
) -> list[Problem]:
    """validate() on what could be read of an edition: checks needing a missing part are skipped."""
    checks = _Checks(dataset)
    problems = data_problems(dataset)
    if edition.framework is not None:
        problems += checks.indicator_framework(edition, edition.framework)
        problems += checks.empty_pillars(edition, edition.framework)
    problems += checks.spotlight(edition)
    year = edition.year if year is None else year
    max_age = edition.max_data_age
    if year is None or max_age is None:
        return problems
    year_problems = checks.year_covered(edition, year, max_age, None)
    if edition.previous_year is not None:
        year_problems += checks.year_covered(
            edition, edition.previous_year, max_age, "previous_year"
        )
    problems += year_problems
    if not year_problems or all(p.column == "previous_year" for p in year_problems):
        problems += checks.coverage(year, max_age)
    return problems


def data_problems(dataset: Dataset) -> list[Problem]:
    """The rules that need no edition: duplicates, unknown ids, ranges, weights, populations."""
    checks = _Checks(dataset)
    return [
        *checks.duplicate_cities(),
        *checks.duplicate_indicators(),
        *checks.indicator_weights(),
        *checks.observation_ids(),
        *checks.duplicate_observations(),
        *checks.ranges(),
        *checks.denominators(),
        *checks.shared_values(),
    ]


def weight_warnings(dataset: Dataset) -> list[Problem]:
    """Pillars whose index indicators' weights do not sum to 1 (indicators.csv's convention).

    Not an error: weights are relative and the engine divides by their sum within the pillar,
    so 0.6 + 0.6 means 0.5 each. But a sum other than 1 is usually a re-balancing slip, so the
    caller prints these as warnings with the weights that will actually be used.
    """
    index = _Checks(dataset).index_indicators
    warnings: list[Problem] = []
    for pillar, group in index.groupby("pillar", sort=False):
        weights = group["weight"].dropna().astype(float)
        total = float(weights.sum())
        if total <= 0 or abs(total - 1) <= 1e-9:
            continue
        used = ", ".join(
            f"{i} {w / total:.3g}" for i, w in zip(group["indicator_id"], weights, strict=False)
        )
        warnings.append(
            Problem(
                dataset.file("indicators"),
                f"the weights of pillar {pillar!r}'s index indicators sum to {total:g}, not 1; "
                f"they are relative, so the index uses {used}",
                row=int(group.index[0]),
                column="weight",
                found=f"{total:g}",
                expected="weights summing to 1 within the pillar (or accept the normalised ones)",
            )
        )
    return warnings


def check_inputs(
    data: Path, edition: Path | None = None, year: int | None = None
) -> tuple[Dataset | None, Edition | None, list[Problem]]:
    """Read and check the data and the edition file in one pass: every problem in every file.

    `edition` defaults to edition.yaml in the data folder (beside a workbook). The dataset and
    edition are returned whenever they could be read, even with problems.
    """
    data = Path(data)
    if edition is None:
        folder = data.parent if data.suffix.lower() in EXCEL_SUFFIXES else data
        edition = folder / "edition.yaml"
    dataset, problems = read_dataset(data)
    config, parts, edition_problems = read_edition_parts(edition)
    problems += edition_problems
    if dataset is not None and parts is not None:
        problems += cross_file_problems(dataset, parts, year)
    elif dataset is not None:  # the edition is unreadable: still report what the data alone shows
        problems += data_problems(dataset)
    return dataset, config, in_file_order(problems, _files(dataset))


def load_inputs(
    data: Path, edition: Path | None = None, year: int | None = None
) -> tuple[Dataset, Edition]:
    """The checked dataset and edition; raises InputError with every problem found."""
    dataset, config, problems = check_inputs(data, edition, year)
    if problems or dataset is None or config is None:
        raise InputError(problems)
    return dataset, config


# --------------------------------------------------------------------------- the rules


def _files(dataset: Dataset | None) -> list[str]:
    return [dataset.file(t) for t in TABLES] if dataset is not None else []


def _rows(frame: pd.DataFrame, columns: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """(row number, *values) per row, values as Python scalars (missing as NaN or NA)."""
    yield from zip(frame.index, *(frame[c].tolist() for c in columns), strict=True)


def _present(value: Any) -> bool:
    # Called per cell of the observations: the common types answered without pandas.
    if isinstance(value, str):
        return True
    if isinstance(value, float):
        return not math.isnan(value)
    return value is not None and bool(pd.notna(value))


def _g(value: Any) -> str:
    return f"{float(value):g}"


class _Checks:
    def __init__(self, dataset: Dataset) -> None:
        self.data = dataset
        self.cities_file = dataset.file("cities")
        self.indicators_file = dataset.file("indicators")
        self.observations_file = dataset.file("observations")
        self.city_ids = [c for c in dataset.cities["city_id"].tolist() if _present(c)]
        self.indicator_ids = [i for i in dataset.indicators["indicator_id"].tolist() if _present(i)]
        indicators = dataset.indicators
        # An unreadable role (already reported) counts as index, so nothing else cascades from it.
        context = (indicators["role"] == "context").fillna(False).astype(bool)
        self.index_indicators = indicators[~context]

    @staticmethod
    def _edition_problem(edition: EditionParts, path: str, message: str, **kw: str) -> Problem:
        return Problem(edition.source, message, row=edition.line_of(path), column=path, **kw)

    def duplicate_cities(self) -> Iterator[Problem]:
        first: dict[str, int] = {}
        for row, city in _rows(self.data.cities, ["city_id"]):
            if not _present(city):
                continue
            if city in first:
                yield Problem(
                    self.cities_file,
                    f"city {city!r} appears twice (first at row {first[city]})",
                    row=row,
                    column="city_id",
                    found=city,
                    expected="each city on one row",
                )
            first.setdefault(city, row)

    def duplicate_indicators(self) -> Iterator[Problem]:
        first: dict[str, tuple[int, Any]] = {}
        for row, indicator, pillar in _rows(self.data.indicators, ["indicator_id", "pillar"]):
            if not _present(indicator):
                continue
            if indicator in first:
                first_row, first_pillar = first[indicator]
                if _present(pillar) and _present(first_pillar) and pillar != first_pillar:
                    yield Problem(
                        self.indicators_file,
                        f"indicator {indicator!r} is in two pillars: {first_pillar!r} "
                        f"(row {first_row}) and {pillar!r}",
                        row=row,
                        column="pillar",
                        found=pillar,
                        expected="each indicator in exactly one pillar, on one row",
                    )
                else:
                    yield Problem(
                        self.indicators_file,
                        f"indicator {indicator!r} appears twice (first at row {first_row})",
                        row=row,
                        column="indicator_id",
                        found=indicator,
                        expected="each indicator on one row",
                    )
            first.setdefault(indicator, (row, pillar))

    def indicator_framework(
        self, edition: EditionParts, framework: FrameworkSpec
    ) -> Iterator[Problem]:
        """Each indicator's dimension and pillar are declared in the framework, and agree."""
        dimensions = [d.id for d in framework.dimensions]
        by_id = {p.id: p for p in framework.pillars}
        declared = ", ".join(dimensions)
        pillars = list(by_id)
        for row, dimension, pillar in _rows(self.data.indicators, ["dimension", "pillar"]):
            if _present(dimension) and dimension not in dimensions:
                yield Problem(
                    self.indicators_file,
                    "unknown dimension" + did_you_mean(dimension, dimensions),
                    row=row,
                    column="dimension",
                    found=dimension,
                    expected=f"one of {declared} (framework.dimensions in {edition.source})",
                )
            if not _present(pillar):
                continue
            if pillar not in by_id:
                yield Problem(
                    self.indicators_file,
                    f"pillar is not declared in {edition.source}" + did_you_mean(pillar, pillars),
                    row=row,
                    column="pillar",
                    found=pillar,
                    expected="one of " + ", ".join(pillars),
                )
            elif (
                _present(dimension)
                and dimension in dimensions
                and by_id[pillar].dimension in dimensions  # else reported in the edition
                and by_id[pillar].dimension != dimension
            ):
                yield Problem(
                    self.indicators_file,
                    f"dimension differs from that of pillar {pillar!r}",
                    row=row,
                    column="dimension",
                    found=dimension,
                    expected=by_id[pillar].dimension,
                )

    def indicator_weights(self) -> Iterator[Problem]:
        index = self.index_indicators
        for pillar, group in index.groupby("pillar", sort=False):
            weights = group["weight"].dropna()
            if len(weights) and (weights == 0).all():
                yield Problem(
                    self.indicators_file,
                    f"the weights of pillar {pillar!r}'s index indicators are all zero",
                    row=int(group.index[0]),
                    column="weight",
                    found="0",
                    expected="at least one positive weight in the pillar",
                )

    def empty_pillars(self, edition: EditionParts, framework: FrameworkSpec) -> Iterator[Problem]:
        used = set(self.index_indicators["pillar"].dropna())
        for i, pillar in enumerate(framework.pillars):
            if pillar.id not in used:
                yield self._edition_problem(
                    edition,
                    f"framework.pillars[{i}]",
                    f"pillar {pillar.id!r} has no index indicators in "
                    f"{Path(self.indicators_file).name}",
                    expected=f"at least one indicator with pillar {pillar.id} and role index",
                )

    def observation_ids(self) -> Iterator[Problem]:
        """Ids in observations that cities or indicators lack: one problem per unknown id, at
        its first row, listing the other rows (a misspelt id usually repeats)."""
        for column, ids, table in (
            ("city_id", self.city_ids, "cities"),
            ("indicator_id", self.indicator_ids, "indicators"),
        ):
            frame = self.data.observations
            # Only the rows with an unknown id are read one by one.
            unknown = frame[column].notna() & ~frame[column].isin(set(ids))
            rows: dict[str, list[int]] = {}
            for row, value in _rows(frame[unknown.to_numpy()], [column]):
                if _present(value):
                    rows.setdefault(value, []).append(row)
            article = "an" if column == "indicator_id" else "a"
            for value, where in rows.items():
                also = ""
                if len(where) > 1:
                    listed = ", ".join(str(r) for r in where[1:11])
                    more = f" and {len(where) - 11} more" if len(where) > 11 else ""
                    also = f" (also rows {listed}{more})"
                yield Problem(
                    self.observations_file,
                    f"unknown {column.removesuffix('_id')} id{also}" + did_you_mean(value, ids),
                    row=where[0],
                    column=column,
                    found=value,
                    expected=f"{article} {column} listed in {Path(self.data.file(table)).name}",
                )

    def duplicate_observations(self) -> Iterator[Problem]:
        key_columns = ["city_id", "indicator_id", "year"]
        obs = self.data.observations
        keyed = obs[obs[key_columns].notna().all(axis=1).to_numpy()]
        # Only the keys that repeat are read row by row (their first row named in the message).
        repeated = keyed[keyed.duplicated(key_columns, keep=False).to_numpy()]
        first: dict[tuple[Any, Any, Any], int] = {}
        for row, city, indicator, year in _rows(repeated, key_columns):
            key = (city, indicator, year)
            if key in first:
                yield Problem(
                    self.observations_file,
                    f"duplicate observation of {indicator!r} for {city!r} in {year} "
                    f"(first at row {first[key]})",
                    row=row,
                    found=f"{city},{indicator},{year}",
                    expected="one row per city, indicator and year",
                )
            first.setdefault(key, row)

    def ranges(self) -> Iterator[Problem]:
        bounds = self.data.indicators.drop_duplicates("indicator_id").set_index("indicator_id")[
            ["min", "max"]
        ]
        obs = self.data.observations.join(bounds, on="indicator_id")
        if all(pd.api.types.is_float_dtype(obs[c]) for c in ("value", "min", "max")):
            # Only rows outside a range are read one by one (NaN compares False: no bound).
            value, low, high = obs["value"], obs["min"], obs["max"]
            obs = obs[((value < low) | (value > high)).to_numpy()]
        for row, indicator, value, low, high in _rows(obs, ["indicator_id", "value", "min", "max"]):
            if not _present(value):
                continue
            if _present(low) and _present(high) and not low < high:
                continue  # the range itself is wrong, reported once on indicators.csv
            below = _present(low) and value < low
            above = _present(high) and value > high
            if below or above:
                if _present(low) and _present(high):
                    expected = f"a value between {_g(low)} and {_g(high)}"
                else:
                    expected = f"a value >= {_g(low)}" if below else f"a value <= {_g(high)}"
                yield Problem(
                    self.observations_file,
                    f"value outside the declared range of {indicator!r}",
                    row=row,
                    column="value",
                    found=_g(value),
                    expected=expected + " (min and max in indicators)",
                )

    def denominators(self) -> Iterator[Problem]:
        """A value divided by population needs the city's population."""
        per_capita = set(
            self.data.indicators.loc[
                (self.data.indicators["denominator"] == "population").fillna(False).astype(bool),
                "indicator_id",
            ]
        )
        if not per_capita:
            return
        obs = self.data.observations
        used = obs[obs["indicator_id"].isin(per_capita).fillna(False).astype(bool)]
        needing: dict[str, list[str]] = {}
        for city, indicator in zip(
            used["city_id"].tolist(), used["indicator_id"].tolist(), strict=True
        ):
            if indicator not in needing.setdefault(city, []):
                needing[city].append(indicator)
        seen: set[str] = set()
        for row, city, population in _rows(self.data.cities, ["city_id", "population"]):
            if city in needing and not _present(population) and city not in seen:
                seen.add(city)
                yield Problem(
                    self.cities_file,
                    f"no population for {city!r}, but {', '.join(needing[city])} is divided "
                    "by population",
                    row=row,
                    column="population",
                    found="",
                    expected="the city's population",
                )

    def shared_values(self) -> Iterator[Problem]:
        """shared_with names known other cities, and every member of the unit has a row of the
        same indicator and year with the same value that lists the others back; the split key
        (population) is known for every member."""
        obs = self.data.observations
        if "shared_with" not in obs:
            return
        known = set(self.city_ids)
        populations = dict(
            zip(self.data.cities["city_id"], self.data.cities["population"], strict=True)
        )
        # Only the rows of cities in a shared unit are read: those that list others, and
        # those they list.
        listing = obs["shared_with"].map(lambda v: isinstance(v, str) and bool(v)).astype(bool)
        named = {c for v in obs.loc[listing, "shared_with"] for c in str(v).split(";")}
        involved = set(obs.loc[listing, "city_id"]) | named
        rows = {
            (city, indicator, year): (row, value, others)
            for row, city, indicator, year, value, others in _rows(
                obs[obs["city_id"].isin(involved).to_numpy()],
                ["city_id", "indicator_id", "year", "value", "shared_with"],
            )
            if _present(city) and _present(indicator) and _present(year)
        }
        no_population: set[str] = set()
        value_reported: set[int] = set()
        for (city, indicator, year), (row, value, others) in rows.items():
            if not (isinstance(others, str) and others):
                continue
            members = others.split(";")
            where = {"row": row, "column": "shared_with"}
            if city in members:
                yield Problem(
                    self.observations_file,
                    "a city cannot share a value with itself",
                    found=others,
                    expected="the other cities of the unit, not " + city,
                    **where,
                )
                continue
            unit = {city, *members}
            for other in members:
                if other not in known:
                    yield Problem(
                        self.observations_file,
                        "unknown city id in shared_with" + did_you_mean(other, self.city_ids),
                        found=other,
                        expected=f"a city_id listed in {Path(self.cities_file).name}",
                        **where,
                    )
                    continue
                partner = rows.get((other, indicator, year))
                if partner is None:
                    yield Problem(
                        self.observations_file,
                        f"{city!r} shares this {indicator!r} value with {other!r}, which has no "
                        f"{indicator!r} row for {year}",
                        found=others,
                        expected=f"a row {other},{indicator},{year} with value {_g(value)} and "
                        f"shared_with {';'.join(sorted(unit - {other}))}",
                        **where,
                    )
                    continue
                partner_row, partner_value, partner_others = partner
                listed = (
                    set(partner_others.split(";")) if isinstance(partner_others, str) else set()
                )
                if listed | {other} != unit and (city not in listed or row < partner_row):
                    # both rows see a pair that lists each other: report it once, at the later
                    yield Problem(
                        self.observations_file,
                        f"shared_with is not symmetric: row {row} ({city}) shares "
                        f"{indicator!r} with {others}, but {other!r}'s row lists "
                        f"{partner_others if listed else 'no city'}",
                        row=partner_row,
                        column="shared_with",
                        found=partner_others if listed else "",
                        expected=";".join(sorted(unit - {other})),
                    )
                elif (
                    _present(value)
                    and _present(partner_value)
                    and value != partner_value
                    and row < partner_row  # one problem per pair, at the later row
                    and partner_row not in value_reported  # and one per row
                ):
                    value_reported.add(partner_row)
                    yield Problem(
                        self.observations_file,
                        f"a shared {indicator!r} value differs within its unit: {city!r} "
                        f"has {_g(value)} (row {row})",
                        row=partner_row,
                        column="value",
                        found=_g(partner_value),
                        expected=f"{_g(value)}, the unit total every member carries",
                    )
            for member in sorted(unit):
                if member in known and not _present(populations.get(member)):
                    no_population.add(member)
        for row, city in _rows(self.data.cities, ["city_id"]):
            if city in no_population:
                no_population.discard(city)
                yield Problem(
                    self.cities_file,
                    f"no population for {city!r}, which shares values with other cities "
                    "(shared_values: split divides them by population)",
                    row=row,
                    column="population",
                    found="",
                    expected="the city's population",
                )

    def spotlight(self, edition: EditionParts) -> Iterator[Problem]:
        city = edition.spotlight_city
        if city is not None and city not in self.city_ids:
            yield self._edition_problem(
                edition,
                "spotlight_city",
                "unknown spotlight city" + did_you_mean(city, self.city_ids),
                found=city,
                expected=f"a city_id listed in {Path(self.cities_file).name}",
            )

    def year_covered(
        self, edition: EditionParts, year: int, max_age: int, key: str | None
    ) -> list[Problem]:
        """The data holds index observations dated within max_data_age years up to `year`."""
        obs = self.data.observations
        index_obs = obs[
            obs["indicator_id"]
            .isin(self.index_indicators["indicator_id"])
            .fillna(False)
            .astype(bool)
        ]
        years = index_obs["year"].dropna()
        if ((years >= year - max_age) & (years <= year)).any():
            return []
        covered = (
            f"the data covers {years.min()}–{years.max()}"
            if len(years)
            else "the data has no dated observations"
        )
        message = f"no observations for {year} or the {max_age} years before it; {covered}"
        if key is None:
            return [
                Problem(
                    self.observations_file,
                    message,
                    column="year",
                    found=str(year),
                    expected=f"observations dated {year - max_age}–{year} (max_data_age {max_age})",
                )
            ]
        return [
            self._edition_problem(
                edition, key, message, found=str(year), expected="a year the data covers"
            )
        ]

    def coverage(self, year: int, max_age: int) -> list[Problem]:
        """In the panel of `year`: index indicators with no values or one value for every city;
        cities with no values."""
        problems: list[Problem] = []
        panel = make_panel(self.data, year, max_age)
        window = f"{year - max_age}–{year}"
        index_ids = set(self.index_indicators["indicator_id"].dropna())
        n_cities = len(dict.fromkeys(self.city_ids))
        checked: set[str] = set()
        for row, indicator, threshold in _rows(
            self.index_indicators, ["indicator_id", "list_threshold"]
        ):
            if not _present(indicator) or indicator in checked:
                continue
            checked.add(indicator)
            values = (
                panel.values[indicator].dropna()
                if indicator in panel.values
                else pd.Series(dtype="float64")
            )
            considered = set(values.tolist())
            if _present(threshold) and len(values) < n_cities:
                considered.add(float(threshold))
            if not len(values):
                below = " (every city is below its list threshold)" if _present(threshold) else ""
                problems.append(
                    Problem(
                        self.indicators_file,
                        f"index indicator has no values for {year}{below}",
                        row=row,
                        column="indicator_id",
                        found=indicator,
                        expected=f"values dated {window} for at least two cities",
                    )
                )
            elif len(considered) < 2:
                problems.append(
                    Problem(
                        self.indicators_file,
                        f"index indicator has zero variance in {year}: every city with a value has "
                        f"{_g(values.iloc[0])}",
                        row=row,
                        column="indicator_id",
                        found=indicator,
                        expected="at least two different values (otherwise it cannot rank cities)",
                    )
                )
        obs = self.data.observations
        chosen = select_observations(self.data, year, max_age)
        with_index_values = set(chosen.loc[chosen["indicator_id"].isin(index_ids), "city_id"])
        seen: set[Hashable] = set()
        for row, city in _rows(self.data.cities, ["city_id"]):
            if not _present(city) or city in with_index_values or city in seen:
                continue
            seen.add(city)
            own = obs[(obs["city_id"] == city).fillna(False).astype(bool)]
            if own.empty:
                message = "city has no observations"
            elif own["indicator_id"].isin(index_ids).any():
                latest = own["year"].max()
                message = (
                    f"city has no values for {year} (observations dated {window} count; "
                    f"its latest is {latest})"
                )
            else:
                message = "city has values only for context indicators, none for index indicators"
            problems.append(
                Problem(
                    self.cities_file,
                    message,
                    row=row,
                    column="city_id",
                    found=city,
                    expected=f"at least one index value dated {window} in "
                    f"{Path(self.observations_file).name}",
                )
            )
        return problems
