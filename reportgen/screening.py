"""Who the coverage screen left out of the index and why, and the panel of the ranked cities."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from reportgen.data.panel import Panel
from reportgen.index import IndexResult


@dataclass(frozen=True)
class ScreenedOut:
    """A city the coverage screen left out of the index, and why."""

    city_id: str
    name: str
    reason: str  # "coverage", "zeros" or "force_exclude"
    reported: int  # scored indicators with a value, as the screen saw them
    scored: int  # scored indicators
    needed: int  # values the screen asks for (its dat_thresh of `scored`, rounded up)
    dat_thresh: float

    def why(self) -> str:
        """'reports 7 of 21 scored indicators; the screen needs 11 of 21 (...)', or the rule."""
        if self.reason == "force_exclude":
            return "is listed in screen.force_exclude"
        if self.reason == "zeros":
            return "has too many zero values (screen.nonzero_thresh)"
        return (
            f"reports {self.reported} of {self.scored} scored indicators; the screen needs "
            f"{self.needed} of {self.scored} (screen.dat_thresh={self.dat_thresh:g})"
        )

    def describe(self) -> str:
        return f"{self.city_id} ({self.name}): it {self.why()}"


_DATASET_OF = {"denominate": "denominated", "impute": "imputed"}


def screened_out(index: IndexResult, cities: pd.DataFrame) -> tuple[ScreenedOut, ...]:
    """The cities the build's screen step removed, with the coverage the screen judged."""
    spec = index.build.step("screen")
    if spec is None or not index.removed_units:
        return ()
    # The screen judges the data as the step before it left them (raw, denominated or imputed).
    kinds = [s.step for s in index.build.steps]
    before = kinds[: kinds.index("screen")]
    seen = index.datasets[_DATASET_OF.get(before[-1], "raw") if before else "raw"]
    scored = seen.shape[1]
    needed = next(k for k in range(scored + 1) if k / scored >= spec.dat_thresh - 1e-12)
    out = []
    for city_id in index.removed_units:
        reported = int(seen.loc[city_id].notna().sum())
        if city_id in spec.force_exclude:
            reason = "force_exclude"
        elif spec.method in ("byNA", "byNAandzeros") and reported / scored < spec.dat_thresh:
            reason = "coverage"
        else:
            reason = "zeros"
        name = cities["name"].get(city_id, city_id) if "name" in cities else city_id
        out.append(
            ScreenedOut(
                city_id=str(city_id),
                name=str(name),
                reason=reason,
                reported=reported,
                scored=scored,
                needed=needed,
                dat_thresh=float(spec.dat_thresh),
            )
        )
    return tuple(out)


def ranked_panel(panel: Panel, city_ids: pd.Index) -> Panel:
    """The panel restricted to the cities in the index: what publications count and rank."""
    keep = panel.values.index.isin(city_ids)
    return dataclasses.replace(
        panel,
        values=panel.values[keep],
        years=panel.years[keep],
        sources=panel.sources[keep],
        notes=panel.notes[keep],
        bounds=panel.bounds[keep],
        shared_with=panel.shared_with[keep],
        cities=panel.cities[panel.cities.index.isin(city_ids)],
    )
