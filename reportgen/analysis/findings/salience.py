"""Salience: each code's effective weight in the index, and the method as printed sentences."""

from __future__ import annotations

import pandas as pd

from reportgen.analysis.findings.decompose import effective_weights
from reportgen.analysis.findings.inputs import FindingInputs, text
from reportgen.analysis.findings.spec import FindingsSpec
from reportgen.analysis.findings.wording import ENGLISH, Wording


def finding_weights(inputs: FindingInputs) -> pd.DataFrame:
    """City x code: each indicator's, pillar's and dimension's effective weight in the index.

    From the engine's result where there is one; otherwise from the weight columns of
    `indicators` and `pillars` (equal weights where absent), the same for every city.
    """
    cities = [str(c) for c in inputs.scores.index]
    if inputs.index is not None:
        return effective_weights(inputs.index).reindex(cities).fillna(0.0)
    pillars = inputs.pillars
    pillar_weight = (
        inputs.pillar_weights
        if inputs.pillar_weights is not None
        else (pillars["weight"] if "weight" in pillars.columns else pd.Series(1.0, pillars.index))
    ).astype(float)
    dims = pillars["dimension"] if "dimension" in pillars.columns else pd.Series("", pillars.index)
    n_dims = max(dims.nunique(), 1)
    row: dict[str, float] = {}
    for dim in dims.unique():
        members = dims.index[dims == dim]
        total = float(pillar_weight.reindex(members).fillna(0.0).sum()) or 1.0
        row[str(dim)] = 1.0 / n_dims
        for p in members:
            row[str(p)] = float(pillar_weight.get(p, 0.0)) / total / n_dims
    meta = inputs.indicators
    in_index = (
        meta["role"].astype(str) != "context"
        if "role" in meta.columns
        else pd.Series(True, meta.index)
    )
    weight = (
        pd.to_numeric(meta["weight"], errors="coerce").fillna(1.0)
        if "weight" in meta.columns
        else pd.Series(1.0, meta.index)
    )
    pillar_of = meta["pillar"].map(text) if "pillar" in meta.columns else pd.Series("", meta.index)
    for p, ids in pillar_of[in_index].groupby(pillar_of[in_index]).groups.items():
        total = float(weight.reindex(ids).sum()) or 1.0
        for i in ids:
            row[str(i)] = row.get(str(p), 0.0) * float(weight[i]) / total
    return pd.DataFrame([row] * len(cities), index=cities)


def salience_method(spec: FindingsSpec, wording: Wording = ENGLISH) -> tuple[str, ...]:
    """The salience formula and its parameters in plain words, for the methodology chapter."""
    s = spec.salience
    _ = wording.gettext
    discount = _("{value} {times}")
    discounts = [
        discount.format(value=name, times=wording.format_value(getattr(s, key), "x"))
        for key, name in (
            ("shared", _("a value shared by several cities")),
            ("imputed", _("an imputed value")),
            ("bounded", _("a value bounded by a published top-N list")),
            ("old", _("a value more than {age} years old").format(age=spec.max_data_age)),
            ("perception", _("a perception survey")),
        )
    ]
    return (
        _(
            "Each finding is ranked by its salience: what it is worth to the city's overall "
            "score, how robust it is, and how sound the data behind it are."
        ),
        _(
            "Worth: the effective weight of the indicator or pillar in the overall index times "
            "the city's distance from the peer median on a 0-100 scale, i.e. the overall points "
            "at stake."
        ),
        _(
            "Robustness: the share of Monte Carlo replications in which a pillar finding or a "
            "move still holds; a finding on a value censored by a published list is made only "
            "where it holds at both ends of the bound."
        ),
        _(
            "Data quality: the worth is multiplied by {discounts}; a pillar's discount is the "
            "weighted mean of its indicators', and none applies where the finding holds on the "
            "pillar's unflagged indicators alone."
        ).format(discounts=wording.join_words(discounts)),
        _(
            "A stage held in fewer than {share} of replications is called borderline wherever "
            "it is mentioned."
        ).format(share=wording.format_value(spec.borderline_probability, "share")),
    )
