"""Stage findings: where a city sits on the plane, how sure that is, and its largest lever."""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reportgen.analysis.findings.compare import grouped_caveats
from reportgen.analysis.findings.inputs import FindingInputs, Prepared, code_name, old_mask
from reportgen.analysis.findings.records import (
    Comparison,
    Draft,
    Evidence,
    Finding,
    Pool,
    Salience,
    Words,
)
from reportgen.analysis.findings.spec import FindingsSpec
from reportgen.analysis.findings.wording import ENGLISH, Wording
from reportgen.analysis.peers import indicator_points
from reportgen.analysis.stages import AXIS_KEYS, UNASSIGNED, next_stage_levers


def stage_findings(
    inputs: FindingInputs,
    panel: Prepared,
    stages: pd.DataFrame,
    spec: FindingsSpec,
    weights: pd.DataFrame,
    wording: Wording = ENGLISH,
) -> dict[str, Finding]:
    """City id -> its stage finding (cities without a stage are left out)."""
    directions = dict(zip(panel.ids, panel.directions, strict=True))
    x, y = inputs.dimensions[:2]
    levers = next_stage_levers(
        inputs.scores,
        stages,
        inputs.pillars,
        axes=(x, y),
        pillar_weights=inputs.pillar_weights,
        indicator_points=indicator_points(panel.best_frame(), directions),
        indicators=inputs.indicators,
    )
    first_lever = (
        levers.drop_duplicates("city_id").set_index("city_id") if not levers.empty else levers
    )
    old = old_mask(panel, spec.max_data_age)
    in_index_weights = weights.reindex(index=panel.cities, columns=panel.ids).fillna(0.0)
    # Estimated values that enter the city's score: every stage claim on it says so.
    rests_on = panel.imputed & panel.in_index[None, :] & (in_index_weights.to_numpy() > 0)
    rows = stages.to_dict("index")
    members_of = {
        str(k): Pool(tuple(str(c) for c in v)) for k, v in stages.groupby("stage_id").groups.items()
    }
    context = _StageWording(
        imputation=inputs.imputation,
        panel=panel,
        spec=spec,
        old=old,
        rests_on=rests_on,
        levers=first_lever.to_dict("index") if not first_lever.empty else {},
        axes=(x, y),
        pillar_names={str(p): code_name(inputs, str(p)) for p in inputs.pillars.index},
        wording=wording,
    )
    out: dict[str, Finding] = {}
    for city_id in panel.cities:
        if city_id not in rows:
            continue
        finding = _stage_finding(inputs, context, rows[city_id], members_of, city_id)
        if finding is not None:
            out[city_id] = finding
    return out


@dataclass(frozen=True)
class _StageWording:
    """What a stage finding's words read, shared by its drafts (nothing of the Monte Carlo)."""

    imputation: str
    panel: Prepared
    spec: FindingsSpec
    old: np.ndarray
    rests_on: np.ndarray
    levers: dict[Hashable, dict[str, Any]]  # each city's first lever, by city_id
    axes: tuple[str, str]
    pillar_names: dict[str, str]
    wording: Wording


def _shortfalls(row: dict[Hashable, Any], axes: tuple[str, str]) -> list[tuple[str, float]]:
    """(dimension, points) the city lacks on each axis to reach its target stage."""
    out = []
    for key, dim in zip(AXIS_KEYS, axes, strict=True):
        need = float(row[f"{key}_shortfall"])
        if need > 0 and math.isfinite(need):
            out.append((dim, need))
    return out


def _probability(inputs: FindingInputs, city_id: str, stage_id: str) -> float | None:
    probabilities = inputs.stage_probabilities
    if (
        probabilities is None
        or city_id not in probabilities.index
        or stage_id not in probabilities.columns
    ):
        return None
    return float(probabilities.at[city_id, stage_id])


def _stage_finding(
    inputs: FindingInputs,
    context: _StageWording,
    row: dict[Hashable, Any],
    members_of: dict[str, Pool],
    city_id: str,
) -> Finding | None:
    if row["stage_id"] == UNASSIGNED:
        return None
    probability = _probability(inputs, city_id, str(row["stage_id"]))
    target = row["target_stage_id"]
    needs = _shortfalls(row, context.axes) if isinstance(target, str) and target else []
    comparison = None
    if needs:
        comparison = Comparison(
            group_id="next_stage",
            name=str(row["target_stage_name"]),
            pool=members_of.get(str(target), Pool(())),
        )
    magnitude = 0.0
    for _, need in needs:
        magnitude += need
    imputed = bool(context.rests_on[context.panel.position[city_id]].any())
    return Finding(
        kind="stage",
        city_id=city_id,
        subject=str(row["stage_id"]),
        subject_kind="stage",
        subject_name=str(row["stage_name"]),
        magnitude=magnitude,
        comparison=comparison,
        words=Draft(_stage_words, context, row, city_id, probability),
        flags=("imputed",) if imputed else (),
        salience=Salience(
            effect=magnitude,
            robustness=1.0 if probability is None else probability,
            quality=context.spec.salience.discount(["imputed"]) if imputed else 1.0,
        ),
    )


def _stage_words(
    context: _StageWording, row: dict[Hashable, Any], city_id: str, probability: float | None
) -> Words:
    panel, spec, wording = context.panel, context.spec, context.wording
    levers = context.levers
    city = panel.city_names[city_id]
    x, y = context.axes
    evidence = []
    # The stage table names its threshold columns by the spec's axis keys.
    for key, code in zip(AXIS_KEYS, (x, y), strict=True):
        evidence += [
            Evidence(role=key, label=code, value=float(row[code]), unit="score"),
            Evidence(
                role=f"{key}_threshold",
                label=f"{code} threshold",
                value=float(row[f"{key}_threshold"]),
                unit="score",
            ),
        ]
    text = {e.role: wording.text(e) for e in evidence}
    fill = {
        "city": city,
        "x": x,
        "y": y,
        "stage": row["stage_name"],
        "tdp": text["tdp"],
        "tdp_threshold": text["tdp_threshold"],
        "ecc": text["ecc"],
        "ecc_threshold": text["ecc_threshold"],
    }
    borderline = probability is not None and probability < spec.borderline_probability
    if probability is not None:
        record = Evidence(
            role="probability",
            label="Share of replications in this stage",
            value=probability,
            unit="share",
        )
        evidence.append(record)
        fill["probability"] = wording.text(record)
    sentence = wording.template("stage_borderline" if borderline else "stage").format(**fill)
    target = row["target_stage_id"]
    caveats: list[str] = []
    needs = _shortfalls(row, context.axes) if isinstance(target, str) and target else []
    if needs:
        target_name = str(row["target_stage_name"])
        texts = []
        for dim, need in needs:
            record = Evidence(
                role=f"shortfall_{dim}",
                label=f"{dim} points to {target_name}",
                value=need,
                unit="score",
            )
            evidence.append(record)
            texts.append(
                wording.template("stage_need").format(need=wording.text(record), dimension=dim)
            )
        sentence += wording.template("stage_target").format(
            target=target_name, needs=wording.gettext(" and ").join(texts)
        )
        top = levers.get(city_id)
        if top is not None and float(top["dimension_gain"]) > 0:
            pillar_name = context.pillar_names.get(str(top["pillar"]), str(top["pillar"]))
            lever = [
                Evidence(
                    role="lever_score",
                    label=f"{pillar_name} score",
                    value=float(top["pillar_score"]),
                    unit="score",
                ),
                Evidence(
                    role="lever_peer",
                    label=f"Median of {target_name} members",
                    value=float(top["peer_median"]),
                    unit="score",
                ),
                Evidence(
                    role="lever_gain",
                    label=f"{top['dimension']} gain",
                    value=float(top["dimension_gain"]),
                    unit="score",
                ),
            ]
            evidence.extend(lever)
            named = [panel.labels[i] for i in top["indicators"][:2] if i in panel.labels]
            sentence += wording.template("stage_lever").format(
                pillar=pillar_name,
                score=wording.text(lever[0]),
                target=target_name,
                peer=wording.text(lever[1]),
                gain=wording.text(lever[2]),
                dimension=top["dimension"],
                chiefly=(
                    wording.template("stage_lever_indicators").format(
                        names=wording.gettext(" and ").join(named)
                    )
                    if named
                    else ""
                ),
            )
            caveats.append(wording.caveat("weights"))
        sentence += wording.sentence_end()
    # A stage held in most replications is stated plainly (its share stays in the evidence);
    # only a borderline one says how often it holds, in its first words.
    # A stage rests on both dimensions: every estimated value in the index says so.
    r = panel.position[city_id]
    imputed_columns = [int(j) for j in np.flatnonzero(context.rests_on[r])]
    caveats += grouped_caveats(
        context.imputation, panel, spec, context.old, r, imputed_columns, wording
    )
    return Words(evidence=tuple(evidence), sentence=sentence, caveats=tuple(caveats))
