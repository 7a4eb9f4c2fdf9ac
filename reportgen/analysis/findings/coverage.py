"""The data finding: how many of a city's values are estimated, bounded, shared, old or surveyed."""

from __future__ import annotations

import numpy as np

from reportgen.analysis.findings.inputs import FindingInputs, Prepared, flag_masks, old_mask
from reportgen.analysis.findings.records import Evidence, Finding, Salience, Words
from reportgen.analysis.findings.spec import FindingsSpec
from reportgen.analysis.findings.wording import ENGLISH, Wording


def data_findings(
    inputs: FindingInputs, panel: Prepared, spec: FindingsSpec, wording: Wording = ENGLISH
) -> dict[str, Finding]:
    """City id -> its data finding, for cities with at least one flagged value.

    Perception surveys are a property of the indicator, said wherever a finding rests on one;
    this line is about the city's own values: estimated, bounded, shared or old.
    """
    observed = ~np.isnan(panel.best)
    # An imputed value has no raw value: it is one of the city's index values all the same.
    has = observed | panel.imputed
    flags = dict(flag_masks(panel, old_mask(panel, spec.max_data_age)))
    masks = {"imputed": flags["imputed"]}
    masks |= {flag: flags[flag] & observed for flag in ("bounded", "shared", "old")}
    flagged = masks["imputed"] | masks["bounded"] | masks["shared"] | masks["old"]
    totals = has.sum(axis=1)
    out: dict[str, Finding] = {}
    for r in np.flatnonzero(flagged.any(axis=1) & (totals > 0)):
        city_id = panel.cities[int(r)]
        out[city_id] = _data_finding(panel, spec, city_id, int(r), int(totals[r]), masks, wording)
    return out


def _data_finding(
    panel: Prepared,
    spec: FindingsSpec,
    city_id: str,
    r: int,
    total: int,
    masks: dict[str, np.ndarray],
    wording: Wording = ENGLISH,
) -> Finding:
    evidence = [Evidence(role="total", label="Indicator values", value=float(total), unit="count")]
    age = Evidence(
        role="max_age", label="Maximum data age", value=float(spec.max_data_age), unit="years"
    )
    labels = {
        "imputed": "Imputed values",
        "bounded": "Values below a list's threshold",
        "shared": "Values shared with other cities",
        "old": "Old values",
    }
    roles = {"bounded": "censored"}
    parts: list[str] = []
    flagged = 0
    for key in ("imputed", "bounded", "shared", "old"):
        columns = np.flatnonzero(masks[key][r])
        if columns.size == 0:
            continue  # no "0 indicators ...: none" clause
        flagged += int(columns.size)
        record = Evidence(
            role=roles.get(key, key), label=labels[key], value=float(columns.size), unit="count"
        )
        evidence.append(record)
        if key == "old":
            evidence.append(age)
        parts.append(
            wording.template(f"data_{key}").format(
                count=wording.text(record),
                verb=wording.verb(int(columns.size)),
                names=wording.semicolon().join(panel.labels[panel.ids[j]] for j in columns),
                age=wording.text(age),
            )
        )
    sentence = wording.template("data").format(
        city=panel.city_names[city_id],
        total=wording.text(evidence[0]),
        parts=wording.join_words(parts),
    )
    return Finding(
        kind="data",
        city_id=city_id,
        subject="data",
        subject_kind="overall",
        subject_name="Data coverage",
        magnitude=flagged / total,
        words=Words(evidence=tuple(evidence), sentence=sentence),
        salience=Salience(effect=0.0),
    )
