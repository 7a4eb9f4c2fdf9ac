"""Gaps and strengths on pillars and dimensions: scores against the peers' median, with the
data-quality discount of the indicators they rest on and their Monte Carlo robustness."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from reportgen.analysis.findings.compare import (
    group_rows,
    grouped_caveats,
    pools_with_data,
)
from reportgen.analysis.findings.inputs import (
    FindingInputs,
    Prepared,
    ScoreDraws,
    code_name,
    flag_masks,
    old_mask,
)
from reportgen.analysis.findings.peerstats import PeerSets, peer_medians, peer_stats
from reportgen.analysis.findings.records import (
    Comparison,
    Draft,
    Evidence,
    Finding,
    Salience,
    Words,
)
from reportgen.analysis.findings.spec import FindingsSpec, Flag, Kind, SubjectKind
from reportgen.analysis.findings.wording import ENGLISH, Wording, difference_text
from reportgen.analysis.peers import PeerGroup

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def score_codes(inputs: FindingInputs, spec: FindingsSpec) -> list[tuple[str, SubjectKind]]:
    codes: list[tuple[str, SubjectKind]] = []
    if "pillar" in spec.subjects:
        codes.extend((str(p), "pillar") for p in inputs.pillars.index if p in inputs.scores.columns)
    if "dimension" in spec.subjects:
        codes.extend((d, "dimension") for d in inputs.dimensions if d in inputs.scores.columns)
    return codes


def _pillar_quality(
    inputs: FindingInputs,
    panel: Prepared,
    spec: FindingsSpec,
    weights: pd.DataFrame,
    old: BoolArray,
    code: str,
    subject_kind: SubjectKind,
) -> tuple[FloatArray, list[int]]:
    """Per city, the weighted mean discount of the code's indicators, and their columns."""
    if subject_kind == "pillar":
        columns = [j for j, i in enumerate(panel.ids) if panel.pillars[i] == code]
    else:
        dims = inputs.pillars["dimension"] if "dimension" in inputs.pillars.columns else None
        pillars = set() if dims is None else {str(p) for p, d in dims.items() if d == code}
        columns = [j for j, i in enumerate(panel.ids) if panel.pillars[i] in pillars]
    columns = [j for j in columns if panel.in_index[j]]
    if not columns:
        return np.ones(len(panel.cities)), columns
    s = spec.salience
    discount = np.ones((len(panel.cities), len(columns)))
    for flag, mask in flag_masks(panel, old):
        discount = np.where(mask[:, columns], discount * float(getattr(s, flag)), discount)
    w = weights.reindex(index=panel.cities, columns=[panel.ids[j] for j in columns])
    w = np.nan_to_num(w.to_numpy(float))
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        quality = np.where(total > 0, (w * discount).sum(axis=1) / total, 1.0)
    return quality, columns


def _unflagged(panel: Prepared, old: BoolArray, columns: list[int]) -> BoolArray:
    """Per city and column: an observed value with no flag (cities x columns)."""
    flagged = np.isnan(panel.points[:, columns])
    for _, mask in flag_masks(panel, old):
        flagged |= mask[:, columns]
    return ~flagged


def holds_on_unflagged(
    panel: Prepared,
    weights: FloatArray,
    r: int,
    unflagged: list[int],
    peer_rows: npt.NDArray[np.intp],
    is_gap: bool,
    spec: FindingsSpec,
    means: dict[tuple[tuple[int, ...], bytes], FloatArray] | None = None,
) -> bool:
    """Whether a pillar finding still holds on the city's unflagged indicators (columns
    `unflagged`) alone: their weighted mean on the 0-100 scale against the peers' median of the
    same mean. A finding that does rests on no flagged value, so its salience is not discounted.

    `means` keeps every city's mean per (columns, weights) across calls: cities with the same
    unflagged indicators share it, so a stage of thousands is not averaged once per member.
    """
    if not unflagged or peer_rows.size == 0:
        return False
    w = weights[r, unflagged]
    if not w.sum() > 0:
        return False
    own = float((w * panel.points[r, unflagged]).sum() / w.sum())
    key = (tuple(unflagged), w.tobytes())
    every = None if means is None else means.get(key)
    if every is None:
        block = panel.points[:, unflagged]
        present = ~np.isnan(block)
        with np.errstate(invalid="ignore", divide="ignore"):
            every = (np.where(present, block, 0.0) * w).sum(axis=1) / (present * w).sum(axis=1)
        if means is not None:
            means[key] = every
    peers = every[peer_rows]
    peers = peers[np.isfinite(peers)]
    if peers.size < spec.min_peers:
        return False
    diff = own - float(np.median(peers))
    return diff <= -spec.gap_points if is_gap else diff >= spec.strength_points


def score_findings(
    inputs: FindingInputs,
    panel: Prepared,
    spec: FindingsSpec,
    groups: Mapping[str, PeerGroup],
    weights: pd.DataFrame,
    wording: Wording = ENGLISH,
) -> list[Finding]:
    """Pillar and dimension gaps and strengths against each city's peer group, before their
    Monte Carlo robustness (1 here; `with_robustness` gives it once the replications exist)."""
    codes = score_codes(inputs, spec)
    if not codes:
        return []
    sets = PeerSets.of_groups(groups, panel.position)
    columns = [panel.score_codes.index(c) for c, _ in codes]
    values = panel.scores[:, columns]
    stats = peer_stats(values, sets)
    in_group = group_rows(groups, panel.position)
    valid = ~np.isnan(values) & in_group[:, None] & (stats.n >= spec.min_peers)
    with np.errstate(invalid="ignore"):
        diff = values - stats.value
    gap = valid & (diff <= -spec.gap_points)
    strength = valid & (diff >= spec.strength_points)
    old = old_mask(panel, spec.max_data_age)
    indicator_weights = np.nan_to_num(
        weights.reindex(index=panel.cities, columns=panel.ids).to_numpy(float)
    )
    pools = pools_with_data(groups, panel.position, ~np.isnan(values))
    unflagged_means: dict[tuple[tuple[int, ...], bytes], FloatArray] = {}
    context = _ScoreWording(inputs.imputation, panel, spec, old, wording)
    out: list[Finding] = []
    for k, (code, subject_kind) in enumerate(codes):
        hits = np.flatnonzero(gap[:, k] | strength[:, k])
        if hits.size == 0:
            continue
        quality, indicator_columns = _pillar_quality(
            inputs, panel, spec, weights, old, code, subject_kind
        )
        code_weight = (
            weights[code].reindex(panel.cities).fillna(0.0).to_numpy(float)
            if code in weights.columns
            else np.zeros(len(panel.cities))
        )
        label = code_name(inputs, code)
        flags_of = _flags_of(panel, old, hits, indicator_columns)
        clean = _unflagged(panel, old, indicator_columns)
        is_gap = gap[hits, k]
        size = np.abs(diff[hits, k])
        magnitude = size / np.where(is_gap, spec.gap_points, spec.strength_points)
        for r, gap_r, magnitude_r, effect, value, peer, quality_r in zip(
            hits.tolist(),
            is_gap.tolist(),
            magnitude.tolist(),
            (code_weight[hits] * size).tolist(),
            values[hits, k].tolist(),
            stats.value[hits, k].tolist(),
            quality[hits].tolist(),
            strict=True,
        ):
            city_id = panel.cities[r]
            group = groups[city_id]
            kind: Kind = "gap" if gap_r else "strength"
            if quality_r < 1.0 and holds_on_unflagged(
                panel,
                indicator_weights,
                r,
                [j for j, ok in zip(indicator_columns, clean[r].tolist(), strict=True) if ok],
                sets.peers_of(r),
                gap_r,
                spec,
                unflagged_means,
            ):
                quality_r = 1.0
            comparison = Comparison(
                group_id=group.id,
                name=group.name,
                pool=pools[(group.pool_key, k)],
                left_out=city_id,
            )
            out.append(
                Finding(
                    kind=kind,
                    city_id=city_id,
                    subject=code,
                    subject_kind=subject_kind,
                    subject_name=label,
                    magnitude=magnitude_r,
                    pillar=code if subject_kind == "pillar" else None,
                    comparison=comparison,
                    words=Draft(
                        _score_words,
                        context,
                        code,
                        subject_kind,
                        label,
                        kind,
                        r,
                        value,
                        peer,
                        comparison,
                        indicator_columns,
                    ),
                    flags=flags_of[r],
                    salience=Salience(effect=effect, robustness=1.0, quality=quality_r),
                )
            )
    return out


@dataclass(frozen=True)
class _ScoreWording:
    """What a pillar or dimension finding's words read, shared by its drafts (and pickled with
    them: nothing of the Monte Carlo)."""

    imputation: str
    panel: Prepared
    spec: FindingsSpec
    old: BoolArray
    wording: Wording


def _flags_of(
    panel: Prepared, old: BoolArray, rows: npt.NDArray[np.intp], columns: list[int]
) -> dict[int, tuple[Flag, ...]]:
    """Per city row, the flags of any of the indicators a score rests on, in `FLAGS` order."""
    at = np.ix_(rows, np.asarray(columns, dtype=np.intp))
    masks = [(flag, np.asarray(mask[at].any(axis=1))) for flag, mask in flag_masks(panel, old)]
    return {int(r): tuple(name for name, mask in masks if mask[i]) for i, r in enumerate(rows)}


def _score_words(
    context: _ScoreWording,
    code: str,
    subject_kind: SubjectKind,
    label: str,
    kind: Kind,
    r: int,
    value: float,
    peer: float,
    comparison: Comparison,
    columns: list[int],
) -> Words:
    panel, wording = context.panel, context.wording
    city_id = panel.cities[r]
    city = panel.city_names[city_id]
    difference = difference_text(value, peer, "score")
    evidence = (
        Evidence(role="city", label=city, value=value, unit="score"),
        Evidence(
            role="peer_median",
            label=f"Median of {comparison.name} peers",
            value=peer,
            unit="score",
        ),
        Evidence(
            role="difference",
            label="Difference in points, as printed",
            value=float(difference),
            unit="points",
        ),
    )
    named = wording.gettext("the {label} pillar").format(label=label)
    named = named if subject_kind == "pillar" else label
    fill = {
        "city": city,
        "label": named,
        "value": wording.text(evidence[0]),
        "peer": wording.text(evidence[1]),
        "group": wording.group_name(comparison.name),
        "difference": difference,
        "side": wording.gettext("lower") if kind == "gap" else wording.gettext("higher"),
    }
    caveats = grouped_caveats(
        context.imputation, panel, context.spec, context.old, r, columns, wording
    )
    return Words(
        evidence=evidence,
        sentence=wording.capitalise(wording.template("score").format(**fill)),
        clause=wording.template("clause_score").format(
            label=label, value=fill["value"], peer=fill["peer"]
        ),
        caveats=tuple(caveats),
    )


def with_robustness(
    findings: Mapping[str, list[Finding]],
    inputs: FindingInputs,
    panel: Prepared,
    spec: FindingsSpec,
    groups: Mapping[str, Mapping[str, PeerGroup]],
) -> dict[str, list[Finding]]:
    """`score_findings` of each peer group, made without the Monte Carlo, given their
    robustness now: the pipeline makes them while the Monte Carlo runs. A code's replications
    are read once for every group (one finding per city, code and group)."""
    if inputs.draws is None:
        return dict(findings)
    out = {group_id: list(found) for group_id, found in findings.items()}
    at: dict[str, dict[str, list[int]]] = {}  # code -> group -> positions in its list
    for group_id, found in findings.items():
        for i, f in enumerate(found):
            at.setdefault(f.subject, {}).setdefault(group_id, []).append(i)
    sets = {group_id: PeerSets.of_groups(groups[group_id], panel.position) for group_id in findings}
    for code, by_group in at.items():
        nominal = inputs.scores[code].reindex(panel.cities).to_numpy(float)
        replicated = _replicated(inputs.draws, code, panel.cities, nominal)
        for group_id, positions in by_group.items():
            found = findings[group_id]
            rows = np.asarray([panel.position[found[i].city_id] for i in positions], dtype=np.intp)
            is_gap = np.zeros(len(panel.cities), bool)
            is_gap[rows] = [found[i].kind == "gap" for i in positions]
            robust = _robustness(replicated, sets[group_id], rows, is_gap, spec)
            for i, r in zip(positions, rows.tolist(), strict=True):
                salience = replace(found[i].salience, robustness=float(robust.get(r, 1.0)))
                out[group_id][i] = replace(found[i], salience=salience)
    return out


def _replicated(
    draws: ScoreDraws | None, code: str, cities: list[str], nominal: FloatArray
) -> tuple[FloatArray, FloatArray] | None:
    """A code's replicated scores (replications x cities), and each replication's spread of
    scores over the published one's (None without replications of the code)."""
    replicated = None if draws is None else draws.frame_order(code, cities)
    if replicated is None:
        return None
    with np.errstate(invalid="ignore"):
        published = float(np.nanstd(nominal))
        spread = np.nanstd(replicated, axis=1)
        scale = spread / published if published > 0 else np.ones_like(spread)
    return replicated, scale


def _robustness(
    replicated: tuple[FloatArray, FloatArray] | None,
    sets: PeerSets,
    hits: npt.NDArray[np.intp],
    is_gap: BoolArray,
    spec: FindingsSpec,
) -> dict[int, float]:
    """Share of Monte Carlo replications in which each hit city's gap or strength holds.

    The threshold (``gap_points``) is in points of the published scale; a replication that
    normalises otherwise (z-scores around 10, a 1-100 range) spreads the cities differently, so
    the threshold is scaled by the replication's spread of scores over the published one's.
    """
    if replicated is None:
        return {}
    draws, scale = replicated
    wanted = sets.only(hits)
    # Replications as columns: the same leave-one-out medians, one per replication.
    medians = peer_medians(draws.T, wanted)
    rows = np.asarray(wanted.rows(), dtype=np.intp)
    with np.errstate(invalid="ignore"):
        diff = draws[:, rows] - medians[rows].T
        holds = np.where(
            is_gap[rows],
            diff <= -spec.gap_points * scale[:, None],
            diff >= spec.strength_points * scale[:, None],
        )
    return dict(zip(rows.tolist(), holds.mean(axis=0).tolist(), strict=True))
