"""Stage findings: where a city sits on the plane, how sure that is, and its largest lever."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from reportgen.analysis.findings.compare import grouped_caveats
from reportgen.analysis.findings.inputs import FindingInputs, Prepared, code_name, old_mask
from reportgen.analysis.findings.records import (
    Comparison,
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
    out: dict[str, Finding] = {}
    for city_id in panel.cities:
        if city_id not in rows:
            continue
        finding = _stage_finding(
            inputs,
            panel,
            rows[city_id],
            members_of,
            first_lever,
            spec,
            rests_on,
            old,
            city_id,
            wording,
        )
        if finding is not None:
            out[city_id] = finding
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
    panel: Prepared,
    row: dict[Hashable, Any],
    members_of: dict[str, Pool],
    levers: pd.DataFrame,
    spec: FindingsSpec,
    rests_on: np.ndarray,
    old: np.ndarray,
    city_id: str,
    wording: Wording = ENGLISH,
) -> Finding | None:
    if row["stage_id"] == UNASSIGNED:
        return None
    city = panel.city_names[city_id]
    x, y = inputs.dimensions[:2]
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
    probability = _probability(inputs, city_id, str(row["stage_id"]))
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
    comparison = None
    caveats: list[str] = []
    magnitude = 0.0
    if isinstance(target, str) and target:
        target_name = str(row["target_stage_name"])
        needs: list[str] = []
        for key, dim in zip(AXIS_KEYS, (x, y), strict=True):
            need = float(row[f"{key}_shortfall"])
            if not (need > 0 and math.isfinite(need)):
                continue
            magnitude += need
            record = Evidence(
                role=f"shortfall_{dim}",
                label=f"{dim} points to {target_name}",
                value=need,
                unit="score",
            )
            evidence.append(record)
            needs.append(
                wording.template("stage_need").format(need=wording.text(record), dimension=dim)
            )
        if needs:
            sentence += wording.template("stage_target").format(
                target=target_name, needs=wording.gettext(" and ").join(needs)
            )
        if needs and city_id in levers.index:
            top = levers.loc[city_id]
            if float(top["dimension_gain"]) > 0:
                lever = [
                    Evidence(
                        role="lever_score",
                        label=f"{code_name(inputs, str(top['pillar']))} score",
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
                    pillar=code_name(inputs, str(top["pillar"])),
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
        if needs:
            sentence += wording.sentence_end()
            comparison = Comparison(
                group_id="next_stage", name=target_name, pool=members_of.get(str(target), Pool(()))
            )
    # A stage held in most replications is stated plainly (its share stays in the evidence);
    # only a borderline one says how often it holds, in its first words.
    # A stage rests on both dimensions: every estimated value in the index says so.
    r = panel.position[city_id]
    imputed_columns = list(np.flatnonzero(rests_on[r]))
    caveats += grouped_caveats(
        inputs.imputation, panel, spec, old, r, [int(j) for j in imputed_columns], wording
    )
    quality = spec.salience.discount(["imputed"]) if imputed_columns else 1.0
    return Finding(
        kind="stage",
        city_id=city_id,
        subject=str(row["stage_id"]),
        subject_kind="stage",
        subject_name=str(row["stage_name"]),
        magnitude=magnitude,
        comparison=comparison,
        words=Words(evidence=tuple(evidence), sentence=sentence, caveats=tuple(caveats)),
        flags=("imputed",) if imputed_columns else (),
        salience=Salience(
            effect=magnitude,
            robustness=1.0 if probability is None else probability,
            quality=quality,
        ),
    )
