"""Gaps and strengths: a city's indicators, pillars and dimensions against its peers' median."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from reportgen.analysis import peers
from reportgen.analysis.findings.inputs import (
    FindingInputs,
    Prepared,
    ScoreDraws,
    code_name,
    log,
    old_mask,
)
from reportgen.analysis.findings.peerstats import PeerStats, peer_stats
from reportgen.analysis.findings.records import (
    Comparison,
    Evidence,
    Finding,
    Salience,
)
from reportgen.analysis.findings.spec import FindingsSpec, Flag, Kind, SubjectKind
from reportgen.analysis.findings.wording import (
    CAVEATS,
    TEMPLATES,
    capitalise,
    difference_text,
    display_unit,
    join_words,
    verb,
)
from reportgen.analysis.peers import PeerGroup

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def resolve_groups(
    group_id: str, inputs: FindingInputs, stages: pd.DataFrame, spec: FindingsSpec
) -> dict[str, PeerGroup]:
    """Each scored city's peer group `group_id` (cities it does not apply to are left out)."""
    city_ids = [str(c) for c in inputs.scores.index]
    options: dict[str, Any] = {
        "stages": stages,
        "cities": inputs.cities,
        "ranks": inputs.ranks,
        "top_n": spec.top_n,
        "named": spec.named_groups(),
    }
    # The batch resolver reads the columns once; older peers modules resolve city by city.
    batch = getattr(peers, "resolve_groups", None)
    if batch is not None:
        found = batch(group_id, city_ids, **options)
    else:
        found = {c: peers.resolve_group(group_id, c, **options) for c in city_ids}
    return {c: g for c, g in found.items() if g is not None}


def _member_rows(
    groups: Mapping[str, PeerGroup], position: Mapping[str, int]
) -> dict[int, list[int]]:
    return {
        position[c]: [position[m] for m in g.members if m in position]
        for c, g in groups.items()
        if c in position
    }


@dataclass(frozen=True)
class Verdicts:
    """Per city x column: the finding's kind (0 none, 1 gap, 2 strength), size and measure."""

    kind: npt.NDArray[np.int8]
    magnitude: FloatArray
    peer: FloatArray
    ratio: FloatArray  # NaN where compared in points
    gap_points: FloatArray  # |difference| on the 0-100 scale


def _scaled(x: FloatArray, lo: FloatArray, hi: FloatArray, directions: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        span = np.where(hi > lo, hi - lo, np.nan)
        out = (x - lo) / span * 100.0
    return np.where(directions > 0, out, 100.0 - out)


def classify(
    value: FloatArray,
    stats: PeerStats,
    valid: BoolArray,
    censored: BoolArray,
    ratio_scale: BoolArray,
    directions: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    spec: FindingsSpec,
) -> Verdicts:
    """A gap must hold against the peers' worst-case median, a strength against their best case;
    a censored city enters at its best case, so it can show a gap but never a strength."""
    points_value = _scaled(value, lo, hi, directions)

    def compare(peer: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        with np.errstate(invalid="ignore", divide="ignore"):
            use_ratio = ratio_scale & (value > 0) & (peer > 0) & np.isfinite(peer)
            ratio = np.where(use_ratio, value / peer, np.nan)
            oriented = np.where(directions > 0, ratio, 1.0 / ratio)
            diff = points_value - _scaled(peer, lo, hi, directions)
        return ratio, oriented, np.where(use_ratio, np.nan, diff)

    ratio_w, oriented_w, diff_w = compare(stats.worst)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap_ratio = oriented_w <= spec.gap_ratio
        gap_pts = diff_w <= -spec.gap_points
        gap = valid & np.isfinite(stats.worst) & (gap_ratio | gap_pts)
        gap_size = np.where(
            gap_ratio, np.log(oriented_w) / math.log(spec.gap_ratio), -diff_w / spec.gap_points
        )
        ratio_v, oriented_v, diff_v = compare(stats.value)
        strong_ratio = oriented_v >= spec.strength_ratio
        strong_pts = diff_v >= spec.strength_points
        strength = valid & ~gap & ~censored & (strong_ratio | strong_pts)
        strength_size = np.where(
            strong_ratio,
            np.log(oriented_v) / math.log(spec.strength_ratio),
            diff_v / spec.strength_points,
        )
        kind = np.where(gap, 1, np.where(strength, 2, 0)).astype(np.int8)
        peer = np.where(gap, stats.worst, stats.value)
        gap_points = np.abs(points_value - _scaled(peer, lo, hi, directions))
    return Verdicts(
        kind=kind,
        magnitude=np.where(gap, gap_size, np.where(strength, strength_size, 0.0)),
        peer=peer,
        ratio=np.where(gap, ratio_w, ratio_v),
        gap_points=np.where(np.isfinite(gap_points), gap_points, 0.0),
    )


# ---------------------------------------------------------------------------------------------
# indicators


def _flags(panel: Prepared, old: BoolArray, r: int, j: int) -> tuple[Flag, ...]:
    flags: list[Flag] = []
    if panel.shared[r, j]:
        flags.append("shared")
    if panel.imputed[r, j]:
        flags.append("imputed")
    if panel.censored[r, j]:
        flags.append("bounded")
    if old[r, j]:
        flags.append("old")
    if panel.perception[j]:
        flags.append("perception")
    return tuple(flags)


def value_caveats(
    inputs: FindingInputs, panel: Prepared, spec: FindingsSpec, old: BoolArray, r: int, j: int
) -> list[str]:
    """The caveats a statement about city row r's value on indicator column j must carry."""
    city = panel.city_names[panel.cities[r]]
    label = panel.labels[panel.ids[j]]
    out: list[str] = []
    if panel.imputed[r, j]:
        out.append(CAVEATS["imputed"].format(label=label, city=city, how=inputs.imputation))
    if panel.shared[r, j]:
        others = [s for s in str(panel.shared_with[r, j] or "").split(";") if s]
        names = [panel.city_names.get(o, o) for o in others] or ["other cities"]
        out.append(
            CAVEATS["shared"].format(label=label, city=city, cities=join_words([city, *names]))
        )
    if panel.censored[r, j]:
        out.append(CAVEATS["censored"].format(label=label, city=city))
    if old[r, j]:
        out.append(
            CAVEATS["old"].format(
                label=label,
                city=city,
                year=int(panel.years[r, j]),
                age=spec.max_data_age,
                reference=panel.reference_year,
            )
        )
    if panel.perception[j]:
        out.append(CAVEATS["perception"].format(label=label))
    return out


def _indicator_sentence(
    panel: Prepared,
    j: int,
    kind: Kind,
    censored: bool,
    fill: dict[str, str],
) -> tuple[str, str]:
    indicator_id = panel.ids[j]
    lower_better = panel.directions[j] < 0
    rank_like = display_unit(panel.raw_units[indicator_id]).lower().startswith("rank")
    if fill["ratio"]:
        template = "ratio_censored" if censored else "ratio"
        if censored and panel.per_capita[indicator_id]:
            template += "_per_capita"
        if lower_better:
            template += "_lower_better"
        clause = "clause_censored" if censored else "clause_ratio"
    elif rank_like:
        template = "rank_censored" if censored else "rank"
        clause = "clause_censored" if censored else "clause_rank"
    else:
        template = "points_censored" if censored else "points"
        if lower_better and not censored:
            template = "points_lower_better"
        clause = "clause_censored" if censored else "clause_points"
    return (
        capitalise(TEMPLATES[template].format(**fill)),
        TEMPLATES[clause].format(**fill),
    )


def indicator_findings(
    inputs: FindingInputs,
    panel: Prepared,
    spec: FindingsSpec,
    groups: Mapping[str, PeerGroup],
    weights: pd.DataFrame,
) -> list[Finding]:
    rows = _member_rows(groups, panel.position)
    usable = ~np.isnan(panel.best)
    if not spec.include_imputed_peers:
        usable &= ~panel.imputed
    stats = peer_stats(
        panel.best,
        rows,
        censored=panel.censored,
        usable=usable,
        directions=panel.directions,
        years=panel.years,
    )
    in_group = np.zeros(len(panel.cities), bool)
    in_group[list(rows)] = True
    has_value = ~np.isnan(panel.best) & in_group[:, None]
    thin = has_value & (stats.n < spec.min_peers)
    for j in np.flatnonzero(thin.any(axis=0)):
        log.info(
            "no %s finding for %d cities vs %s: fewer than %d peers with data",
            panel.ids[j],
            int(thin[:, j].sum()),
            next(iter(groups.values())).id if groups else "",
            spec.min_peers,
        )
    valid = has_value & ~thin
    with np.errstate(invalid="ignore"):
        lo = np.nanmin(np.where(np.isnan(panel.best), np.inf, panel.best), axis=0)
        hi = np.nanmax(np.where(np.isnan(panel.best), -np.inf, panel.best), axis=0)
    verdicts = classify(
        panel.best,
        stats,
        valid,
        panel.censored,
        panel.ratio_scale,
        panel.directions,
        lo,
        hi,
        spec,
    )
    # A gap that holds against the best-case median but not the worst case rests on peers
    # outside a published list: it is not asserted.
    old = old_mask(panel, spec.max_data_age)
    w = weights.reindex(index=panel.cities, columns=panel.ids).to_numpy(float)
    w = np.where(panel.in_index[None, :], np.nan_to_num(w), spec.salience.context_effect)
    member_ids = {c: np.array(g.members, dtype=object) for c, g in groups.items()}
    member_rows = {
        c: np.array([panel.position.get(m, -1) for m in g.members], dtype=np.intp)
        for c, g in groups.items()
    }
    # One comparison record per (city, set of peers with data): most indicators share it.
    comparisons: dict[tuple[str, bytes], Comparison] = {}
    out: list[Finding] = []
    for r, j in zip(*np.nonzero(verdicts.kind), strict=True):
        city_id = panel.cities[r]
        group = groups[city_id]
        peers_rows = member_rows[city_id]
        kept = peers_rows >= 0
        kept[kept] = usable[peers_rows[kept], j]
        key = (city_id, np.packbits(kept).tobytes())
        comparison = comparisons.get(key)
        if comparison is None:
            comparison = Comparison(
                group_id=group.id, name=group.name, members=tuple(member_ids[city_id][kept])
            )
            comparisons[key] = comparison
        out.append(
            _indicator_finding(
                inputs,
                panel,
                spec,
                old,
                verdicts,
                stats,
                w,
                int(r),
                int(j),
                comparison,
            )
        )
    return out


def _indicator_finding(
    inputs: FindingInputs,
    panel: Prepared,
    spec: FindingsSpec,
    old: BoolArray,
    verdicts: Verdicts,
    stats: PeerStats,
    weights: FloatArray,
    r: int,
    j: int,
    comparison: Comparison,
) -> Finding:
    city_id, indicator_id = panel.cities[r], panel.ids[j]
    kind: Kind = "gap" if verdicts.kind[r, j] == 1 else "strength"
    censored = bool(panel.censored[r, j])
    city = panel.city_names[city_id]
    unit, label = panel.units[indicator_id], panel.labels[indicator_id]
    value, peer = float(panel.best[r, j]), float(verdicts.peer[r, j])
    year = None if math.isnan(panel.years[r, j]) else int(panel.years[r, j])
    source_url = str(panel.sources[r, j] or "") or None
    ymin, ymax = stats.year_min[r, j], stats.year_max[r, j]
    if censored:
        # No row for the city: the list it is missing from dates and sources the bound.
        year = year if year is not None else (None if math.isnan(ymax) else int(ymax))
        source_url = source_url or panel.indicator_urls[indicator_id]
    exact = stats.worst[r, j] == stats.value[r, j]
    evidence = [
        Evidence(
            role="city",
            label=city,
            value=value,
            unit=unit,
            year=year,
            source_url=source_url,
            is_imputed=bool(panel.imputed[r, j]),
            is_bounded=censored,
            is_shared=bool(panel.shared[r, j]),
            note=("not in the published list; best case" if censored else ""),
        ),
        Evidence(
            role="peer_median",
            label=f"Median of {comparison.name} peers",
            value=peer,
            unit=unit,
            year=int(ymin) if ymin == ymax and not math.isnan(ymin) else None,
            source_url=panel.indicator_urls[indicator_id],
            is_bounded=not exact,
            note="" if exact else "bounded by peers outside the published list",
        ),
        Evidence(
            role="normalised_gap",
            label="Gap on a 0-100 scale of the cities' values",
            value=float(verdicts.gap_points[r, j]),
            unit="points",
        ),
    ]
    ratio = float(verdicts.ratio[r, j])
    if not math.isnan(ratio):
        evidence.append(Evidence(role="ratio", label="Ratio to peer median", value=ratio, unit="x"))
    difference = difference_text(value, peer, unit)
    evidence.append(
        Evidence(
            role="difference",
            label="Difference to the peer median, as printed",
            value=abs(float(difference.replace(",", ""))),
            unit=unit if not display_unit(unit).lower().startswith("rank") else "places",
        )
    )
    if censored and panel.per_capita[indicator_id]:
        evidence.append(
            Evidence(
                role="bound",
                label="Lowest value in the published list",
                value=float(panel.bound_raw[r, j]),
                unit=panel.raw_units[indicator_id],
                year=year,
                source_url=source_url,
                is_bounded=True,
            )
        )
    texts = {
        e.role: e.text for e in evidence if e.role in ("city", "peer_median", "ratio", "bound")
    }
    higher = value > peer
    fill = {
        "label": label,
        "city": city,
        "group": comparison.name,
        "value": texts["city"],
        "peer": texts["peer_median"],
        "year": f" ({year})" if year is not None else "",
        "year_paren": f" ({year})" if year is not None else "",
        "ratio": texts.get("ratio", ""),
        "difference": difference,
        "bound": texts.get("bound", texts["city"]),
        "side": "higher" if higher else "lower",
    }
    if fill["ratio"] and year is not None:
        fill["year"] = f" ({year})"
    clause_fill = dict(fill, year=f", {year}" if year is not None else "")
    sentence, _ = _indicator_sentence(panel, j, kind, censored, fill)
    _, clause = _indicator_sentence(panel, j, kind, censored, clause_fill)
    caveats = value_caveats(inputs, panel, spec, old, r, j)
    if stats.n_censored[r, j]:
        k = int(stats.n_censored[r, j])
        caveats.append(CAVEATS["peer_censored"].format(k=k, n=int(stats.n[r, j]), verb=verb(k)))
    if not math.isnan(ymin) and ymin != ymax:
        caveats.append(CAVEATS["peer_years"].format(first=int(ymin), last=int(ymax)))
    flags = _flags(panel, old, r, j)
    return Finding(
        kind=kind,
        city_id=city_id,
        subject=indicator_id,
        subject_kind="indicator",
        subject_name=label,
        magnitude=float(verdicts.magnitude[r, j]),
        comparison=comparison,
        evidence=tuple(evidence),
        sentence=sentence,
        clause=clause,
        caveats=tuple(caveats),
        flags=flags,
        salience=Salience(
            effect=float(weights[r, j] * verdicts.gap_points[r, j]),
            robustness=1.0,
            quality=spec.salience.discount(flags),
        ),
        pillar=panel.pillars[indicator_id] or None,
        in_index=bool(panel.in_index[j]),
    )


# ---------------------------------------------------------------------------------------------
# pillars and dimensions


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
    for flag, mask in (
        ("shared", panel.shared[:, columns]),
        ("imputed", panel.imputed[:, columns]),
        ("bounded", panel.censored[:, columns]),
        ("old", old[:, columns]),
        ("perception", np.broadcast_to(panel.perception[columns], discount.shape)),
    ):
        discount = np.where(mask, discount * float(getattr(s, flag)), discount)
    w = weights.reindex(index=panel.cities, columns=[panel.ids[j] for j in columns])
    w = np.nan_to_num(w.to_numpy(float))
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        quality = np.where(total > 0, (w * discount).sum(axis=1) / total, 1.0)
    return quality, columns


def _flagged(panel: Prepared, old: BoolArray, r: int, columns: list[int]) -> BoolArray:
    return (
        panel.shared[r, columns]
        | panel.imputed[r, columns]
        | panel.censored[r, columns]
        | old[r, columns]
        | panel.perception[columns]
    )


def holds_on_unflagged(
    panel: Prepared,
    weights: FloatArray,
    old: BoolArray,
    r: int,
    columns: list[int],
    peer_rows: list[int],
    is_gap: bool,
    spec: FindingsSpec,
) -> bool:
    """Whether a pillar finding still holds on the city's unflagged indicators alone: their
    weighted mean on the 0-100 scale against the peers' median of the same mean. A finding that
    does rests on no flagged value, so its salience is not discounted."""
    unflagged = [
        j
        for j, bad in zip(columns, _flagged(panel, old, r, columns), strict=True)
        if not bad and not np.isnan(panel.points[r, j])
    ]
    if not unflagged or not peer_rows:
        return False
    w = weights[r, unflagged]
    if not w.sum() > 0:
        return False
    own = float((w * panel.points[r, unflagged]).sum() / w.sum())
    peers = panel.points[np.ix_(peer_rows, unflagged)]
    present = ~np.isnan(peers)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (np.where(present, peers, 0.0) * w).sum(axis=1) / (present * w).sum(axis=1)
    means = means[np.isfinite(means)]
    if means.size < spec.min_peers:
        return False
    diff = own - float(np.median(means))
    return diff <= -spec.gap_points if is_gap else diff >= spec.strength_points


def score_findings(
    inputs: FindingInputs,
    panel: Prepared,
    spec: FindingsSpec,
    groups: Mapping[str, PeerGroup],
    weights: pd.DataFrame,
    draws: ScoreDraws | None,
) -> list[Finding]:
    codes = score_codes(inputs, spec)
    if not codes:
        return []
    rows = _member_rows(groups, panel.position)
    columns = [panel.score_codes.index(c) for c, _ in codes]
    values = panel.scores[:, columns]
    stats = peer_stats(values, rows)
    in_group = np.zeros(len(panel.cities), bool)
    in_group[list(rows)] = True
    valid = ~np.isnan(values) & in_group[:, None] & (stats.n >= spec.min_peers)
    with np.errstate(invalid="ignore"):
        diff = values - stats.value
    gap = valid & (diff <= -spec.gap_points)
    strength = valid & (diff >= spec.strength_points)
    old = old_mask(panel, spec.max_data_age)
    indicator_weights = np.nan_to_num(
        weights.reindex(index=panel.cities, columns=panel.ids).to_numpy(float)
    )
    member_ids = {c: np.array(g.members, dtype=object) for c, g in groups.items()}
    member_rows = {
        c: np.array([panel.position.get(m, -1) for m in g.members], dtype=np.intp)
        for c, g in groups.items()
    }
    out: list[Finding] = []
    for k, (code, subject_kind) in enumerate(codes):
        hits = np.flatnonzero(gap[:, k] | strength[:, k])
        if hits.size == 0:
            continue
        quality, indicator_columns = _pillar_quality(
            inputs, panel, spec, weights, old, code, subject_kind
        )
        robust = _robustness(draws, code, panel.cities, rows, hits, gap[:, k], spec)
        code_weight = (
            weights[code].reindex(panel.cities).fillna(0.0).to_numpy(float)
            if code in weights.columns
            else np.zeros(len(panel.cities))
        )
        label = code_name(inputs, code)
        for r in hits:
            city_id = panel.cities[r]
            group = groups[city_id]
            kind: Kind = "gap" if gap[r, k] else "strength"
            quality_r = float(quality[r])
            if quality_r < 1.0 and holds_on_unflagged(
                panel,
                indicator_weights,
                old,
                int(r),
                indicator_columns,
                rows[int(r)],
                bool(gap[r, k]),
                spec,
            ):
                quality_r = 1.0
            peer_rows = member_rows[city_id]
            kept = peer_rows >= 0
            kept[kept] = ~np.isnan(values[peer_rows[kept], k])
            members = tuple(member_ids[city_id][kept])
            caveats: list[str] = []
            flags: set[Flag] = set()
            for j in indicator_columns:
                caveats += value_caveats(inputs, panel, spec, old, int(r), j)
                flags.update(_flags(panel, old, int(r), j))
            out.append(
                _score_finding(
                    panel,
                    code,
                    subject_kind,
                    label,
                    kind,
                    int(r),
                    float(values[r, k]),
                    float(stats.value[r, k]),
                    group,
                    members,
                    tuple(caveats),
                    tuple(
                        f
                        for f in ("shared", "imputed", "bounded", "old", "perception")
                        if f in flags
                    ),
                    Salience(
                        effect=float(code_weight[r] * abs(diff[r, k])),
                        robustness=float(robust.get(int(r), 1.0)),
                        quality=quality_r,
                    ),
                    spec,
                )
            )
    return out


def _score_finding(
    panel: Prepared,
    code: str,
    subject_kind: SubjectKind,
    label: str,
    kind: Kind,
    r: int,
    value: float,
    peer: float,
    group: PeerGroup,
    members: tuple[str, ...],
    caveats: tuple[str, ...],
    flags: tuple[Flag, ...],
    salience: Salience,
    spec: FindingsSpec,
) -> Finding:
    city_id = panel.cities[r]
    city = panel.city_names[city_id]
    difference = difference_text(value, peer, "score")
    evidence = (
        Evidence(role="city", label=city, value=value, unit="score"),
        Evidence(
            role="peer_median", label=f"Median of {group.name} peers", value=peer, unit="score"
        ),
        Evidence(
            role="difference",
            label="Difference in points, as printed",
            value=float(difference),
            unit="points",
        ),
    )
    named = f"the {label} pillar" if subject_kind == "pillar" else label
    fill = {
        "city": city,
        "label": named,
        "value": evidence[0].text,
        "peer": evidence[1].text,
        "group": group.name,
        "difference": difference,
        "side": "lower" if kind == "gap" else "higher",
    }
    return Finding(
        kind=kind,
        city_id=city_id,
        subject=code,
        subject_kind=subject_kind,
        subject_name=label,
        magnitude=abs(value - peer) / (spec.gap_points if kind == "gap" else spec.strength_points),
        pillar=code if subject_kind == "pillar" else None,
        comparison=Comparison(group_id=group.id, name=group.name, members=members),
        evidence=evidence,
        sentence=capitalise(TEMPLATES["score"].format(**fill)),
        clause=TEMPLATES["clause_score"].format(
            label=label, value=evidence[0].text, peer=evidence[1].text
        ),
        caveats=caveats,
        flags=flags,
        salience=salience,
    )


def _robustness(
    draws: ScoreDraws | None,
    code: str,
    cities: list[str],
    rows: Mapping[int, Sequence[int]],
    hits: npt.NDArray[np.intp],
    is_gap: BoolArray,
    spec: FindingsSpec,
) -> dict[int, float]:
    """Share of Monte Carlo replications in which each hit city's gap or strength holds."""
    if draws is None:
        return {}
    replicated = draws.frame_order(code, cities)
    if replicated is None:
        return {}
    wanted = {int(r): rows[int(r)] for r in hits if int(r) in rows}
    # Replications as columns: the same leave-one-out medians, one per replication.
    stats = peer_stats(replicated.T, wanted)
    out: dict[int, float] = {}
    for r in wanted:
        with np.errstate(invalid="ignore"):
            diff = replicated[:, r] - stats.value[r]
            holds = diff <= -spec.gap_points if is_gap[r] else diff >= spec.strength_points
        out[r] = float(np.mean(holds))
    return out
