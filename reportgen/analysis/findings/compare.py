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
    flag_masks,
    log,
    old_mask,
)
from reportgen.analysis.findings.peerstats import PeerSets, PeerStats, peer_stats
from reportgen.analysis.findings.records import (
    Comparison,
    Draft,
    Evidence,
    Finding,
    Pool,
    Salience,
    Words,
)
from reportgen.analysis.findings.spec import FLAGS, FindingsSpec, Kind
from reportgen.analysis.findings.wording import (
    ENGLISH,
    Wording,
    difference_text,
    display_unit,
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


def group_rows(groups: Mapping[str, PeerGroup], position: Mapping[str, int]) -> BoolArray:
    """Which rows of the panel have a peer group (whether or not it has members with data)."""
    out = np.zeros(len(position), bool)
    out[[position[c] for c in groups if c in position]] = True
    return out


def pools_with_data(
    groups: Mapping[str, PeerGroup], position: Mapping[str, int], has_data: BoolArray
) -> dict[tuple[str, int], Pool]:
    """Per (pool, column): the pool's cities in the panel with data in that column, one shared
    record for every comparison on it (identical ones shared across columns too)."""
    out: dict[tuple[str, int], Pool] = {}
    made: dict[tuple[str, ...], Pool] = {}
    seen: dict[str, tuple[str, ...]] = {}
    for group in groups.values():
        seen.setdefault(group.pool_key, group.pool)
    for pool_id, pool in seen.items():
        ids = [m for m in pool if m in position]
        rows = np.array([position[m] for m in ids], dtype=np.intp)
        for j in range(has_data.shape[1]):
            kept = has_data[rows, j] if rows.size else np.zeros(0, bool)
            members = tuple(m for m, k in zip(ids, kept, strict=True) if k)
            if members not in made:
                made[members] = Pool(members)
            out[(pool_id, j)] = made[members]
    return out


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


def value_caveats(
    imputation: str,
    panel: Prepared,
    spec: FindingsSpec,
    old: BoolArray,
    r: int,
    j: int,
    wording: Wording = ENGLISH,
) -> list[str]:
    """The caveats a statement about city row r's value on indicator column j must carry
    (`imputation` names how missing values were estimated)."""
    city = panel.city_names[panel.cities[r]]
    label = panel.labels[panel.ids[j]]
    out: list[str] = []
    if panel.imputed[r, j]:
        out.append(
            wording.caveat("imputed").format(
                label=label, city=city, how=wording.gettext(imputation)
            )
        )
    if panel.shared[r, j]:
        others = [s for s in str(panel.shared_with[r, j] or "").split(";") if s]
        names = [panel.city_names.get(o, o) for o in others] or [wording.gettext("other cities")]
        out.append(
            wording.caveat("shared").format(
                label=label, city=city, cities=wording.join_words([city, *names])
            )
        )
    if panel.censored[r, j]:
        out.append(wording.caveat("censored").format(label=label, city=city))
    if old[r, j]:
        out.append(
            wording.caveat("old").format(
                label=label,
                city=city,
                year=int(panel.years[r, j]),
                age=spec.max_data_age,
                reference=panel.reference_year,
            )
        )
    if panel.perception[j]:
        out.append(wording.caveat("perception").format(label=label))
    return out


def grouped_caveats(
    imputation: str,
    panel: Prepared,
    spec: FindingsSpec,
    old: BoolArray,
    r: int,
    columns: Sequence[int],
    wording: Wording = ENGLISH,
) -> list[str]:
    """The caveats of a statement resting on several indicators (a pillar, a stage): one line per
    kind of flag naming the indicators, and a line per shared value (it names its cities)."""
    city = panel.city_names[panel.cities[r]]
    out: list[str] = []

    def labels(mask: Sequence[bool], years: bool = False) -> str:
        named = [
            panel.labels[panel.ids[j]]
            + (wording.year_paren(int(panel.years[r, j])) if years else "")
            for j, hit in zip(columns, mask, strict=True)
            if hit
        ]
        return wording.join_words(named)

    at = np.asarray(columns, dtype=np.intp)
    imputed = panel.imputed[r, at].tolist()
    if any(imputed):
        out.append(
            wording.caveat("group_imputed").format(
                how=wording.gettext(imputation), labels=labels(imputed)
            )
        )
    for j in at[panel.shared[r, at]].tolist():
        others = [s for s in str(panel.shared_with[r, j] or "").split(";") if s]
        names = [panel.city_names.get(o, o) for o in others] or [wording.gettext("other cities")]
        out.append(
            wording.caveat("shared").format(
                label=panel.labels[panel.ids[j]],
                city=city,
                cities=wording.join_words([city, *names]),
            )
        )
    censored = panel.censored[r, at].tolist()
    if any(censored):
        out.append(wording.caveat("group_censored").format(labels=labels(censored)))
    aged = old[r, at].tolist()
    if any(aged):
        out.append(
            wording.caveat("group_old").format(
                age=spec.max_data_age,
                reference=panel.reference_year,
                labels=labels(aged, years=True),
            )
        )
    surveyed = panel.perception[at].tolist()
    if any(surveyed):
        out.append(wording.caveat("group_perception").format(labels=labels(surveyed)))
    return out


def _indicator_sentence(
    panel: Prepared,
    j: int,
    kind: Kind,
    censored: bool,
    fill: dict[str, str],
    wording: Wording = ENGLISH,
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
        wording.capitalise(wording.template(template).format(**fill)),
        wording.template(clause).format(**fill),
    )


def indicator_findings(
    inputs: FindingInputs,
    panel: Prepared,
    spec: FindingsSpec,
    groups: Mapping[str, PeerGroup],
    weights: pd.DataFrame,
    wording: Wording = ENGLISH,
) -> list[Finding]:
    usable = ~np.isnan(panel.best)
    if not spec.include_imputed_peers:
        usable &= ~panel.imputed
    stats = peer_stats(
        panel.best,
        PeerSets.of_groups(groups, panel.position),
        censored=panel.censored,
        usable=usable,
        directions=panel.directions,
        years=panel.years,
    )
    in_group = group_rows(groups, panel.position)
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
    pools = pools_with_data(groups, panel.position, usable)
    context = _IndicatorWording(inputs.imputation, panel, spec, old, verdicts, stats, wording)
    rows, columns = np.nonzero(verdicts.kind)
    # Each finding's flags as bits (FLAGS order), turned into its flags and discount by table.
    bits = np.zeros(rows.size, dtype=np.int64)
    for k, (_, mask) in enumerate(flag_masks(panel, old)):
        bits |= mask[rows, columns].astype(np.int64) << k
    flags_of = [tuple(f for k, f in enumerate(FLAGS) if b >> k & 1) for b in range(1 << len(FLAGS))]
    discount_of = [spec.salience.discount(f) for f in flags_of]
    effect = w[rows, columns] * verdicts.gap_points[rows, columns]
    pillars = [panel.pillars[i] or None for i in panel.ids]
    comparisons: dict[tuple[str, int], Comparison] = {}  # (city, pool): one record
    out: list[Finding] = []
    for r, j, kind, magnitude, effect_rj, b in zip(
        rows.tolist(),
        columns.tolist(),
        verdicts.kind[rows, columns].tolist(),
        verdicts.magnitude[rows, columns].tolist(),
        effect.tolist(),
        bits.tolist(),
        strict=True,
    ):
        city_id, indicator_id = panel.cities[r], panel.ids[j]
        group = groups[city_id]
        pool = pools[(group.pool_key, j)]
        comparison = comparisons.get((city_id, id(pool)))
        if comparison is None:
            comparison = comparisons[(city_id, id(pool))] = Comparison(
                group_id=group.id, name=group.name, pool=pool, left_out=city_id
            )
        out.append(
            Finding(
                kind="gap" if kind == 1 else "strength",
                city_id=city_id,
                subject=indicator_id,
                subject_kind="indicator",
                subject_name=panel.labels[indicator_id],
                magnitude=magnitude,
                comparison=comparison,
                words=Draft(_indicator_words, context, r, j, comparison),
                flags=flags_of[b],
                salience=Salience(effect=effect_rj, robustness=1.0, quality=discount_of[b]),
                pillar=pillars[j],
                in_index=bool(panel.in_index[j]),
            )
        )
    return out


@dataclass(frozen=True)
class _IndicatorWording:
    """What an indicator finding's words read: one per peer group, shared by its drafts (and
    pickled with them: nothing of the Monte Carlo)."""

    imputation: str
    panel: Prepared
    spec: FindingsSpec
    old: BoolArray
    verdicts: Verdicts
    stats: PeerStats
    wording: Wording


def _indicator_words(context: _IndicatorWording, r: int, j: int, comparison: Comparison) -> Words:
    panel, spec = context.panel, context.spec
    old, verdicts, stats, wording = context.old, context.verdicts, context.stats, context.wording
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
        e.role: wording.text(e)
        for e in evidence
        if e.role in ("city", "peer_median", "ratio", "bound")
    }
    higher = value > peer
    difference_printed = difference
    if wording.chinese:
        difference_printed = wording.text(next(e for e in evidence if e.role == "difference"))
    fill = {
        "label": label,
        "city": city,
        "group": wording.group_name(comparison.name),
        "value": texts["city"],
        "peer": texts["peer_median"],
        "year": wording.year_paren(year),
        "year_paren": wording.year_paren(year),
        "ratio": texts.get("ratio", ""),
        "difference": difference_printed,
        "bound": texts.get("bound", texts["city"]),
        "side": wording.gettext("higher") if higher else wording.gettext("lower"),
    }
    clause_fill = dict(fill, year=wording.year_clause(year))
    sentence, _ = _indicator_sentence(panel, j, kind, censored, fill, wording)
    _, clause = _indicator_sentence(panel, j, kind, censored, clause_fill, wording)
    caveats = value_caveats(context.imputation, panel, spec, old, r, j, wording)
    if stats.n_censored[r, j]:
        k = int(stats.n_censored[r, j])
        caveats.append(
            wording.caveat("peer_censored").format(k=k, n=int(stats.n[r, j]), verb=wording.verb(k))
        )
    if not math.isnan(ymin) and ymin != ymax:
        caveats.append(wording.caveat("peer_years").format(first=int(ymin), last=int(ymax)))
    return Words(evidence=tuple(evidence), sentence=sentence, clause=clause, caveats=tuple(caveats))
