"""What a publication prints: findings and themes picked by salience, and the CSV/JSON export."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from reportgen.analysis.findings.records import BriefFindings, Finding, Theme, record_dict
from reportgen.analysis.findings.spec import (
    KINDS,
    FindingsSpec,
    Kind,
    Publication,
    PublicationRule,
)


def filter_findings(
    findings: Iterable[Finding],
    *,
    city_id: str | None = None,
    kind: Kind | None = None,
    subject: str | Iterable[str] | None = None,
    group_id: str | None = None,
) -> list[Finding]:
    """The findings matching every criterion given (e.g. Hong Kong's gaps on VC indicators)."""
    subjects = {subject} if isinstance(subject, str) else None if subject is None else set(subject)
    return [
        f
        for f in findings
        if (city_id is None or f.city_id == city_id)
        and (kind is None or f.kind == kind)
        and (subjects is None or f.subject in subjects)
        and (group_id is None or (f.comparison is not None and f.comparison.group_id == group_id))
    ]


def _order(finding: Finding, rule: PublicationRule) -> tuple[int, float, float, str, str, int, str]:
    lead = rule.lead.index(finding.kind) if finding.kind in rule.lead else len(rule.lead)
    group = finding.comparison.group_id if finding.comparison is not None else ""
    return (
        lead,
        -round(finding.salience.value, 12),
        -round(finding.magnitude, 12),
        finding.subject,
        finding.city_id,
        KINDS.index(finding.kind),
        group,
    )


def select(
    findings: Iterable[Finding],
    publication: Publication | str,
    n: int | None = None,
    *,
    spec: FindingsSpec | None = None,
    city_id: str | None = None,
    kinds: Sequence[Kind] | None = None,
) -> list[Finding]:
    """The loose findings a publication prints: filtered by its rule, one per (city, kind,
    subject), at most `max_per_pillar` gaps (strengths) per pillar.

    Order: the rule's `lead` kinds first, then salience (largest first), magnitude, subject id,
    city id, kind and peer group, so ties resolve the same way every run and in any input order.
    """
    rule = (spec or FindingsSpec()).publications.rule(publication)
    allowed = tuple(kinds) if kinds is not None else rule.kinds
    limit = rule.n if n is None else n
    best: dict[tuple[str, str, str], Finding] = {}
    for finding in findings:
        if finding.kind not in allowed or (city_id is not None and finding.city_id != city_id):
            continue
        if rule.index_only and not finding.in_index:
            continue
        if (
            finding.kind in ("gap", "strength")
            and rule.peer_groups
            and (finding.comparison is None or finding.comparison.group_id not in rule.peer_groups)
        ):
            continue
        key = (finding.city_id, finding.kind, finding.subject)
        held = best.get(key)
        if held is None or _order(finding, rule) < _order(held, rule):
            best[key] = finding
    chosen: list[Finding] = []
    per_kind: dict[str, int] = {}
    per_city: dict[str, int] = {}
    per_pillar: dict[tuple[str, str, str], int] = {}
    for finding in sorted(best.values(), key=lambda f: _order(f, rule)):
        if len(chosen) >= limit:
            break
        cap = rule.max_per_kind.get(finding.kind)
        if cap is not None and per_kind.get(finding.kind, 0) >= cap:
            continue
        if rule.max_per_city is not None and per_city.get(finding.city_id, 0) >= rule.max_per_city:
            continue
        pillar_key = (finding.city_id, finding.kind, finding.pillar or "")
        pillar_capped = finding.kind in ("gap", "strength") and finding.pillar is not None
        if (
            pillar_capped
            and rule.max_per_pillar is not None
            and per_pillar.get(pillar_key, 0) >= rule.max_per_pillar
        ):
            continue
        chosen.append(finding)
        per_kind[finding.kind] = per_kind.get(finding.kind, 0) + 1
        per_city[finding.city_id] = per_city.get(finding.city_id, 0) + 1
        per_pillar[pillar_key] = per_pillar.get(pillar_key, 0) + 1
    return chosen


def select_movers(
    findings: Iterable[Finding], n: int = 8, *, min_robustness: float = 0.5
) -> list[Finding]:
    """The changes chapter's movers: those that hold in at least `min_robustness` of the Monte
    Carlo replications, most salient first, one per city (its most salient move)."""
    movers = sorted(
        (f for f in findings if f.kind == "mover" and f.salience.robustness >= min_robustness),
        key=lambda f: (-round(f.salience.value, 12), -round(f.magnitude, 12), f.city_id, f.subject),
    )
    picked: dict[str, Finding] = {}
    for f in movers:
        picked.setdefault(f.city_id, f)
    return list(picked.values())[:n]


def publication_group(spec: FindingsSpec, publication: str, themes: Iterable[Theme]) -> str | None:
    """The peer group a publication's themes compare with: its rule's first group with themes."""
    rule = spec.publications.rule(publication)
    available = {t.comparison.group_id for t in themes}
    for group_id in rule.peer_groups or spec.peer_groups:
        if group_id in available:
            return group_id
    return None


def select_themes(
    themes: Iterable[Theme],
    publication: Publication | str,
    *,
    spec: FindingsSpec,
    city_id: str,
    kind: Kind,
    n: int | None = None,
) -> list[Theme]:
    """A city's themes of one kind for a publication: its peer group, most salient first."""
    rule = spec.publications.rule(publication)
    own = [t for t in themes if t.city_id == city_id and t.kind == kind]
    group_id = publication_group(spec, publication, own)
    picked = [
        t for t in own if t.comparison.group_id == group_id and (t.in_index or not rule.index_only)
    ]
    picked.sort(key=lambda t: (-round(t.salience, 12), t.pillar))
    limit = n if n is not None else rule.max_per_kind.get(kind, rule.n)
    return picked[:limit]


def brief_findings(
    findings: Sequence[Finding],
    themes: Sequence[Theme],
    publication: Publication | str,
    *,
    spec: FindingsSpec,
    city_id: str,
) -> BriefFindings:
    """Everything a city's brief (or the spotlight) prints, chosen and worded.

    Gaps and strengths come as themes only, so a pillar never appears twice; movers are those
    that hold in at least half the Monte Carlo replications, most salient first.
    """
    rule = spec.publications.rule(publication)
    own = [f for f in findings if f.city_id == city_id]
    stage = next((f for f in own if f.kind == "stage"), None) if "stage" in rule.kinds else None
    gaps = select_themes(themes, publication, spec=spec, city_id=city_id, kind="gap")
    strengths = select_themes(themes, publication, spec=spec, city_id=city_id, kind="strength")
    movers = sorted(
        (f for f in own if f.kind == "mover" and f.salience.robustness >= 0.5),
        key=lambda f: _order(f, rule),
    )[: rule.max_per_kind.get("mover", 1)]
    data = next((f for f in own if f.kind == "data"), None) if "data" in rule.kinds else None
    group = (gaps or strengths)[0].comparison if (gaps or strengths) else None
    notes = tuple(
        dict.fromkeys(spec.unmeasured[t.pillar] for t in gaps if t.pillar in spec.unmeasured)
    )
    return BriefFindings(
        city_id=city_id,
        peer_group=group,
        stage=stage,
        strengths=tuple(strengths),
        gaps=tuple(gaps),
        movers=tuple(movers) if "mover" in rule.kinds else (),
        data=data,
        notes=notes,
    )


FRAME_COLUMNS: tuple[str, ...] = (
    "city_id",
    "kind",
    "subject",
    "subject_kind",
    "subject_name",
    "magnitude",
    "salience",
    "effect",
    "robustness",
    "quality",
    "flags",
    "value",
    "peer_value",
    "unit",
    "year",
    "comparison_id",
    "comparison_name",
    "comparison_members",
    "sentence",
    "caveats",
    "evidence",
)


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """One row per finding, for CSV/JSON export; `evidence` holds the records as JSON."""
    rows = []
    for f in findings:
        city = f.evidence_for("city")
        peer = f.evidence_for("peer_median")
        rows.append(
            {
                "city_id": f.city_id,
                "kind": f.kind,
                "subject": f.subject,
                "subject_kind": f.subject_kind,
                "subject_name": f.subject_name,
                "magnitude": f.magnitude,
                "salience": f.salience.value,
                "effect": f.salience.effect,
                "robustness": f.salience.robustness,
                "quality": f.salience.quality,
                "flags": ";".join(f.flags),
                "value": city.value if city else np.nan,
                "peer_value": peer.value if peer else np.nan,
                "unit": city.unit if city else "",
                "year": city.year if city and city.year is not None else pd.NA,
                "comparison_id": f.comparison.group_id if f.comparison else "",
                "comparison_name": f.comparison.name if f.comparison else "",
                "comparison_members": ";".join(f.comparison.members) if f.comparison else "",
                "sentence": f.sentence,
                "caveats": " | ".join(f.caveats),
                "evidence": json.dumps([record_dict(e) for e in f.evidence], ensure_ascii=False),
            }
        )
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    frame["year"] = frame["year"].astype("Int64")
    return frame
