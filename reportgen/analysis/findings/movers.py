"""Movers: rank and score changes between editions that clear the uncertainty, explained."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from reportgen.analysis.findings.decompose import Decomposition, decompose
from reportgen.analysis.findings.inputs import FindingInputs, Prepared, code_name
from reportgen.analysis.findings.records import (
    Contribution,
    Draft,
    Evidence,
    Finding,
    Salience,
    Words,
)
from reportgen.analysis.findings.spec import FindingsSpec, SubjectKind
from reportgen.analysis.findings.wording import (
    ENGLISH,
    Wording,
    as_printed,
    difference_text,
    quantile_label,
    signed_points,
)
from reportgen.index.kernels import nanquantile_kernel

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# A contribution smaller than this (score points) is not worth naming as a driver.
_NEGLIGIBLE = 0.05


def printed_ranks(
    scores: pd.DataFrame, ranks: pd.DataFrame | None = None, decimals: int = 1
) -> pd.DataFrame:
    """Ranks as a reader sees them: cities that print the same score (1 decimal) share the best
    rank among them, so 43.2 is never ranked 13th and 14th. `ranks` defaults to ranking the
    scores."""
    rounded = scores.select_dtypes("number").round(decimals)
    if ranks is None:
        return rounded.rank(ascending=False, method="min", na_option="keep")
    out = ranks.astype(float).copy()
    for code in out.columns:
        if code not in rounded.columns:
            continue
        printed = rounded[code].reindex(out.index)
        best = out[code].groupby(printed).transform("min")
        out[code] = best.where(printed.notna(), out[code])
    return out


def ties(ranks: pd.DataFrame) -> dict[str, set[str]]:
    """Per code, the cities that share their rank with another city."""
    return {
        str(code): {str(c) for c in column.index[column.duplicated(keep=False) & column.notna()]}
        for code, column in ranks.items()
    }


def mover_codes(inputs: FindingInputs, spec: FindingsSpec) -> list[tuple[str, SubjectKind]]:
    codes: list[tuple[str, SubjectKind]] = []
    if "overall" in spec.mover_subjects:
        codes.append((inputs.top, "overall"))
    if "dimension" in spec.mover_subjects:
        codes.extend((d, "dimension") for d in inputs.dimensions)
    if "pillar" in spec.mover_subjects:
        codes.extend((str(p), "pillar") for p in inputs.pillars.index)
    previous = inputs.previous_ranks
    if previous is None:
        return []
    return [(c, k) for c, k in codes if c in inputs.ranks.columns and c in previous.columns]


def _column(frame: pd.DataFrame | None, code: str, cities: list[str]) -> FloatArray:
    if frame is None or code not in frame.columns:
        return np.full(len(cities), np.nan)
    return pd.to_numeric(frame[code].reindex(cities), errors="coerce").to_numpy(float)


def _replicated_ranks(draws: FloatArray) -> FloatArray:
    """Competition ranks (1 = best) within each replication (row)."""
    filled = np.where(np.isnan(draws), -np.inf, draws)
    order = np.argsort(-filled, axis=1, kind="stable")
    sorted_ = np.take_along_axis(filled, order, axis=1)
    first = np.ones(sorted_.shape, dtype=np.intp)
    first[:, 1:] = np.where(sorted_[:, 1:] == sorted_[:, :-1], 0, 1)
    positions = np.arange(1, draws.shape[1] + 1)[None, :]
    run_start = np.maximum.accumulate(np.where(first == 1, positions, 0), axis=1)
    ranks = np.empty_like(run_start, dtype=float)
    np.put_along_axis(ranks, order, run_start.astype(float), axis=1)
    return np.where(np.isnan(draws), np.nan, ranks)


def mover_findings(
    inputs: FindingInputs,
    panel: Prepared,
    spec: FindingsSpec,
    weights: pd.DataFrame,
    wording: Wording = ENGLISH,
) -> list[Finding]:
    """Every mover of every city, in (city, code) order."""
    if inputs.previous_ranks is None:
        return []
    cities = panel.cities
    now_ranks = printed_ranks(inputs.scores, inputs.ranks)
    then_ranks = (
        printed_ranks(inputs.previous_scores, inputs.previous_ranks)
        if inputs.previous_scores is not None
        else inputs.previous_ranks
    )
    tied_now, tied_then = ties(now_ranks), ties(then_ranks)
    by_city: dict[str, list[Finding]] = {c: [] for c in cities}
    for code, subject_kind in mover_codes(inputs, spec):
        for finding in _code_movers(
            inputs,
            panel,
            spec,
            weights,
            code,
            subject_kind,
            now_ranks,
            then_ranks,
            tied_now,
            tied_then,
            wording,
        ):
            by_city[finding.city_id].append(finding)
    return [f for c in cities for f in by_city[c]]


def _code_movers(
    inputs: FindingInputs,
    panel: Prepared,
    spec: FindingsSpec,
    weights: pd.DataFrame,
    code: str,
    subject_kind: SubjectKind,
    now_ranks: pd.DataFrame,
    then_ranks: pd.DataFrame,
    tied_now: dict[str, set[str]],
    tied_then: dict[str, set[str]],
    wording: Wording = ENGLISH,
) -> list[Finding]:
    cities = panel.cities
    rank = _column(now_ranks, code, cities)
    previous = _column(then_ranks, code, cities)
    score = _column(inputs.scores, code, cities)
    previous_score = _column(inputs.previous_scores, code, cities)
    low, high = _column(inputs.rank_low, code, cities), _column(inputs.rank_high, code, cities)
    places = previous - rank
    change = np.array(
        [
            as_printed(s, "score") - as_printed(p, "score")
            if not (math.isnan(s) or math.isnan(p))
            else np.nan
            for s, p in zip(score, previous_score, strict=True)
        ]
    )
    has_interval = ~np.isnan(low) & ~np.isnan(high)
    collapsed = has_interval & (low == high)
    draws = inputs.draws.frame_order(code, cities) if inputs.draws is not None else None
    q_lo, q_hi = inputs.rank_quantiles
    # Half the replicated score range, read only where the rank interval collapsed to a point
    # (quantiles sort every replication of a column: for those columns alone).
    spread = np.full(len(cities), np.nan)
    if draws is not None and collapsed.any():
        spread[collapsed] = (
            np.subtract(*nanquantile_kernel(draws[:, collapsed], (q_hi, q_lo))) / 2.0
        )
    with np.errstate(invalid="ignore"):
        outside = has_interval & ~collapsed & ((previous < low) | (previous > high))
        beyond_spread = collapsed & (np.abs(change) > spread) & (places != 0)
        same_rank = collapsed & np.isnan(spread) & (np.abs(places) >= spec.mover_min_rank_change)
        by_rank = ~has_interval & (np.abs(places) >= spec.mover_min_rank_change)
        by_score = ~has_interval & (np.abs(change) >= spec.mover_min_score_change)
    moved = (
        ~np.isnan(rank)
        & ~np.isnan(previous)
        & (outside | beyond_spread | same_rank | by_rank | by_score)
    )
    if not moved.any():
        return []
    decomposition = (
        _Arrays.of(decompose(inputs.index, inputs.previous_index, code))
        if inputs.index is not None and inputs.previous_index is not None
        else None
    )
    replicated_ranks = inputs.draws.rank_order(code, cities) if inputs.draws is not None else None
    if replicated_ranks is None and draws is not None:
        replicated_ranks = _replicated_ranks(draws)
    code_weight = (
        weights[code].reindex(cities).fillna(0.0).to_numpy(float)
        if code in weights.columns
        else np.ones(len(cities))
    )
    label = code_name(inputs, code)
    if subject_kind == "overall":
        label = wording.template("index_name").format(name=label)
    interval = quantile_label(q_lo, q_hi)
    # A move told by its rank (else by its score): the rank changed and not only the score.
    rank_moved_all = (places != 0) & ~(by_score & ~by_rank)
    robustness = _mover_robustness(
        replicated_ranks, draws, moved, previous, previous_score, rank_moved_all, spec
    )
    context = _MoverWording(
        city_names=panel.city_names,
        label=label,
        interval=interval,
        rank=rank,
        previous=previous,
        score=score,
        previous_score=previous_score,
        low=low,
        high=high,
        spread=spread,
        places=places,
        change=change,
        outside=outside,
        beyond_spread=beyond_spread,
        same_rank=same_rank,
        rank_moved=rank_moved_all,
        tied_now=frozenset(tied_now.get(code, ())),
        tied_then=frozenset(tied_then.get(code, ())),
        wording=wording,
    )
    out = []
    for r in np.flatnonzero(moved).tolist():
        city_id = cities[r]
        has_scores = not math.isnan(change[r])
        contributions: tuple[Contribution, ...] = ()
        if decomposition is not None and city_id in decomposition.row:
            contributions = _contributions(decomposition, panel, city_id)
        magnitude = abs(places[r]) / spec.mover_min_rank_change
        if has_scores:
            magnitude = max(magnitude, abs(change[r]) / spec.mover_min_score_change)
        out.append(
            Finding(
                kind="mover",
                city_id=city_id,
                subject=code,
                subject_kind=subject_kind,
                subject_name=label,
                magnitude=float(magnitude),
                pillar=code if subject_kind == "pillar" else None,
                words=Draft(_mover_words, context, r, city_id, contributions),
                contributions=contributions,
                salience=Salience(
                    effect=float(code_weight[r] * (abs(change[r]) if has_scores else 0.0)),
                    robustness=float(robustness[r]),
                ),
            )
        )
    return out


@dataclass(frozen=True)
class _MoverWording:
    """What a mover's words read: one code's arrays (city rows), shared by its drafts."""

    city_names: dict[str, str]
    label: str
    interval: str
    rank: FloatArray
    previous: FloatArray
    score: FloatArray
    previous_score: FloatArray
    low: FloatArray
    high: FloatArray
    spread: FloatArray
    places: FloatArray
    change: FloatArray
    outside: BoolArray
    beyond_spread: BoolArray
    same_rank: BoolArray
    rank_moved: BoolArray
    tied_now: frozenset[str]
    tied_then: frozenset[str]
    wording: Wording


def _mover_words(
    context: _MoverWording, r: int, city_id: str, contributions: tuple[Contribution, ...]
) -> Words:
    c, wording = context, context.wording
    previous, rank, score, previous_score = c.previous, c.rank, c.score, c.previous_score
    places, change, interval, label = c.places, c.change, c.interval, c.label
    city = c.city_names[city_id]
    evidence = [
        Evidence(role="previous_rank", label="Previous rank", value=previous[r], unit="rank"),
        Evidence(role="rank", label="Rank", value=rank[r], unit="rank"),
        Evidence(
            role="previous_score",
            label="Previous score",
            value=previous_score[r],
            unit="score",
        ),
        Evidence(role="score", label="Score", value=score[r], unit="score"),
    ]
    text = {e.role: wording.text(e) for e in evidence}
    previous_text = wording.rank_text(previous[r], city_id in c.tied_then)
    current_text = wording.rank_text(rank[r], city_id in c.tied_now)
    rank_moved = bool(c.rank_moved[r])
    caveats: list[str] = []
    if c.outside[r]:
        records = [
            Evidence(
                role="rank_low",
                label=f"Rank interval ({interval}), best",
                value=c.low[r],
                unit="rank",
            ),
            Evidence(
                role="rank_high",
                label=f"Rank interval ({interval}), worst",
                value=c.high[r],
                unit="rank",
            ),
        ]
        evidence.extend(records)
        reason = wording.template("mover_reason_interval").format(
            interval=interval, low=wording.text(records[0]), high=wording.text(records[1])
        )
    elif c.beyond_spread[r]:
        record = Evidence(
            role="score_spread",
            label=f"Half the {interval} range of the score",
            value=float(c.spread[r]),
            unit="points",
        )
        evidence.append(record)
        reason = wording.template("mover_reason_spread").format(
            score_change=difference_text(score[r], previous_score[r], "score"),
            spread=wording.text(record),
        )
    elif c.same_rank[r]:
        reason = wording.template("mover_reason_same_rank")
    else:
        record = Evidence(role="places", label="Places moved", value=abs(places[r]), unit="places")
        evidence.append(record)
        reason = wording.template("mover_reason_places").format(places=wording.text(record))
    verb = wording.gettext("rose") if places[r] > 0 else wording.gettext("fell")
    has_scores = not math.isnan(change[r])
    if rank_moved and has_scores and change[r] == 0:
        sentence = wording.template("mover_unchanged").format(
            city=city,
            verb=verb,
            previous=previous_text,
            current=current_text,
            label=label,
            score=text["score"],
        )
    elif rank_moved:
        template = "mover_rank" if has_scores else "mover_rank_no_scores"
        sentence = wording.template(template).format(
            city=city,
            verb=verb,
            previous=previous_text,
            current=current_text,
            label=label,
            previous_score=text["previous_score"],
            score=text["score"],
            reason=reason,
        )
    else:
        record = Evidence(
            role="score_change",
            label="Score change, as printed",
            value=abs(change[r]),
            unit="points",
        )
        evidence.append(record)
        caveats.append(wording.caveat("score_scale"))
        sentence = wording.template("mover_score").format(
            city=city,
            label=label,
            verb=wording.gettext("rose") if change[r] > 0 else wording.gettext("fell"),
            previous_score=text["previous_score"],
            score=text["score"],
            score_change=wording.text(record),
            current=current_text,
        )
    sentence += _driver_sentence(contributions, wording)
    return Words(
        evidence=tuple(evidence),
        sentence=wording.capitalise(sentence),
        caveats=tuple(caveats),
    )


def _mover_robustness(
    replicated_ranks: FloatArray | None,
    draws: FloatArray | None,
    moved: BoolArray,
    previous_rank: FloatArray,
    previous_score: FloatArray,
    rank_moved: BoolArray,
    spec: FindingsSpec,
) -> FloatArray:
    """Per city, the share of replications in which its move holds (1 without a Monte Carlo,
    NaN where it did not move): a rank move by the replicated ranks, a score move by the
    replicated scores."""
    out = np.full(moved.shape, np.nan)
    out[moved] = 1.0
    by_rank = moved & rank_moved if replicated_ranks is not None else np.zeros_like(moved)
    if replicated_ranks is not None and by_rank.any():
        ranks = replicated_ranks[:, by_rank]
        before = previous_rank[by_rank]
        rose = nanquantile_kernel(ranks, 0.5) < before
        holds = np.where(rose, ranks < before, ranks > before)
        out[by_rank] = holds.mean(axis=0)
    by_score = moved & ~by_rank & ~np.isnan(previous_score)
    if draws is not None and by_score.any():
        change = draws[:, by_score] - previous_score[by_score]
        sign = np.sign(nanquantile_kernel(change, 0.5))
        with np.errstate(invalid="ignore"):
            holds = (np.sign(change) == sign) & (np.abs(change) >= spec.mover_min_score_change)
        out[by_score] = holds.mean(axis=0)
    return out


@dataclass(frozen=True)
class _Arrays:
    """A decomposition's frames as arrays, read once per code rather than once per city."""

    row: dict[str, int]
    ids: list[str]
    own: FloatArray
    rescaling: FloatArray
    weights: FloatArray
    raw: FloatArray
    previous_raw: FloatArray

    @classmethod
    def of(cls, d: Decomposition) -> _Arrays:
        return cls(
            row={str(c): k for k, c in enumerate(d.own.index)},
            ids=[str(i) for i in d.own.columns],
            own=d.own.to_numpy(float),
            rescaling=d.rescaling.to_numpy(float),
            weights=d.weights.to_numpy(float),
            raw=d.raw.to_numpy(float),
            previous_raw=d.previous_raw.to_numpy(float),
        )


def _contributions(arrays: _Arrays, panel: Prepared, city_id: str) -> tuple[Contribution, ...]:
    row = arrays.row[city_id]
    own, rescaling = arrays.own[row], arrays.rescaling[row]
    total = np.abs(own + rescaling)
    out = []
    for k in np.argsort(-total, kind="stable"):
        if total[k] == 0:
            break
        indicator_id = arrays.ids[k]
        label = panel.labels.get(indicator_id, indicator_id)
        out.append(
            Contribution(
                indicator_id=indicator_id,
                label=label.removesuffix(" per capita").removesuffix(" per million people"),
                weight=float(arrays.weights[row, k]),
                own=float(own[k]),
                rescaling=float(rescaling[k]),
                previous_value=_maybe(arrays.previous_raw[row, k]),
                value=_maybe(arrays.raw[row, k]),
                unit=panel.raw_units.get(indicator_id, ""),
            )
        )
    return tuple(out)


def _maybe(value: object) -> float | None:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _driver_sentence(contributions: tuple[Contribution, ...], wording: Wording = ENGLISH) -> str:
    """' Main driver: X, a to b (−10.0 points); ...' from the decomposition."""
    if not contributions:
        return ""
    rescaling = sum(c.rescaling for c in contributions)
    driver = max(contributions, key=lambda c: abs(c.own))
    if abs(driver.own) < _NEGLIGIBLE:
        if abs(rescaling) < _NEGLIGIBLE:
            return ""
        return wording.template("mover_rescaled").format(rescaling=signed_points(rescaling))
    fill = {
        "label": driver.label,
        "previous_value": wording.format_value(driver.previous_value, driver.unit),
        "value": wording.format_value(driver.value, driver.unit),
        "contribution": signed_points(driver.own),
        "rescaling": signed_points(rescaling),
    }
    # The rescaling is named beside the driver only where it is a sizeable part of the move.
    if abs(rescaling) >= max(_NEGLIGIBLE, 0.25 * abs(driver.own)):
        return wording.template("mover_driver_rescaled").format(**fill)
    return wording.template("mover_driver").format(**fill)
