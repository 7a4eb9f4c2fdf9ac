"""What the pages print, pinned against hand-computed cases (issue 15): rank intervals and the
name of their quantiles, stage probabilities, indicator ranks "N of M" and peer medians.

The Monte Carlo is replaced by hand-made replications on the tiny data set (conftest), so every
expected value below is worked out in the comments, not read back from the code under test.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reportgen.analysis.stages import assign_stages, stage_probabilities
from reportgen.app import Inputs, compute
from reportgen.index.uncertainty import UncertaintyResult, UncertaintySpec
from reportgen.report import html as report_html
from reportgen.report.context import common as views
from reportgen.report.context.annual.rankings import ranking_header

CODES = ("Overall", "TDP", "ECC")

# Hong Kong's Overall rank in 21 replications: 1 twice, 2 seventeen times, 3 once, 4 once.
# Sorted, positions 0-1 hold 1, 2-18 hold 2, 19 holds 3, 20 holds 4. numpy's linear quantile
# sits at position q * 20: q = 0.05 -> position 1 -> 1; q = 0.95 -> position 19 -> 3;
# q = 0.10 -> position 2 -> 2; q = 0.90 -> position 18 -> 2.
HONG_KONG_RANKS = [1] * 2 + [2] * 17 + [3] + [4]


@pytest.fixture
def tiny_result(tiny_data_dir: Path) -> Any:
    return compute(Inputs(data=tiny_data_dir), uncertainty=False)


def with_replications(result: Any, spec: UncertaintySpec) -> Any:
    """The result with a hand-made Monte Carlo: every city keeps its nominal rank and scores in
    every replication, except Hong Kong's Overall rank, which runs through HONG_KONG_RANKS."""
    units = pd.Index(result.scores.index)
    n = len(HONG_KONG_RANKS)
    nominal_ranks = result.ranks[list(CODES)].astype(float)
    ranks = np.repeat(nominal_ranks.to_numpy()[np.newaxis], n, axis=0)
    ranks[:, units.get_loc("hong_kong"), 0] = HONG_KONG_RANKS
    scores = np.repeat(result.scores[list(CODES)].to_numpy()[np.newaxis], n, axis=0)
    fields = {
        "spec": spec,
        "units": units,
        "codes": CODES,
        "nominal_scores": result.scores[list(CODES)],
        "nominal_ranks": result.ranks[list(CODES)],
        "scores": scores,
        "ranks": ranks,
        "choices": pd.DataFrame(index=range(n)),
        "sensitivity": None,
        "sensitivity_by_code": None,
    }
    known = {f.name for f in dataclasses.fields(UncertaintyResult)}
    mc = UncertaintyResult(**{k: v for k, v in fields.items() if k in known})
    edition = result.edition.model_copy(update={"uncertainty": spec})
    return dataclasses.replace(result, uncertainty=mc, edition=edition)


# ---------------------------------------------------------------------------------------------
# rank intervals


def test_rank_interval_is_the_5th_to_95th_percentile_rank(tiny_result: Any) -> None:
    result = with_replications(tiny_result, UncertaintySpec(n=21))
    assert views.interval_text(result, "Overall", "hong_kong") == "1–3"
    # Every other city keeps its rank in every replication: a zero-width interval.
    london = int(tiny_result.ranks.at["london", "Overall"])
    assert views.interval_text(result, "Overall", "london") == f"{london}–{london}"


def test_the_interval_is_named_by_the_uncertainty_settings(tiny_result: Any) -> None:
    result = with_replications(tiny_result, UncertaintySpec(n=21))
    assert views.meta_of(result, "Annual report").interval_label == "5–95%"
    header = _ranking_header(result)
    assert "Rank range<br>(5–95%)" in header


def test_changing_the_quantiles_changes_every_printed_interval(tiny_result: Any) -> None:
    """The check issue 15 asked for: 10/90 instead of 5/95 must change the pages."""
    spec = UncertaintySpec(n=21, quantiles=(0.1, 0.9))
    result = with_replications(tiny_result, spec)
    assert views.interval_text(result, "Overall", "hong_kong") == "2–2"
    assert views.meta_of(result, "Annual report").interval_label == "10–90%"
    assert "Rank range<br>(10–90%)" in _ranking_header(result)
    assert "5–95" not in _ranking_header(result)


def _ranking_header(result: Any) -> str:
    """The ranking table's header as the annual report renders it."""
    env = report_html.make_environment()
    template = env.from_string('{% include "partials/ranking_table.html" %}')
    context = {
        "meta": views.meta_of(result, "Annual report"),
        "ranking_header": ranking_header(result),
        "has_intervals": True,
        "has_previous": False,
        "ranking": (),
    }
    return template.render(
        ctx=_Namespace(context), gettext=lambda s: s, ngettext=lambda s, p, n: s, _=lambda s: s
    )


class _Namespace:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


# ---------------------------------------------------------------------------------------------
# stage probabilities


def test_stage_probability_is_the_share_of_replications_in_the_stage(tiny_result: Any) -> None:
    """Four replications: three at the nominal scores, one where Hong Kong and a city of another
    stage swap their TDP and ECC scores. The medians (the stage thresholds) are the same in
    every replication, so Hong Kong is in its own stage in 3 of 4: 75%."""
    from reportgen.report.context.brief import build_brief_context

    scores = tiny_result.scores
    stages = assign_stages(scores, tiny_result.edition.stages, axes=("TDP", "ECC"))
    own = stages.at["hong_kong", "stage_id"]
    other = next(c for c in stages.index if stages.at[c, "stage_id"] != own)
    tdp = np.repeat(scores["TDP"].to_numpy()[np.newaxis], 4, axis=0)
    ecc = np.repeat(scores["ECC"].to_numpy()[np.newaxis], 4, axis=0)
    hk, ot = scores.index.get_loc("hong_kong"), scores.index.get_loc(other)
    tdp[3, [hk, ot]] = tdp[3, [ot, hk]]
    ecc[3, [hk, ot]] = ecc[3, [ot, hk]]
    probabilities = stage_probabilities(
        tdp, ecc, tiny_result.edition.stages, city_ids=list(scores.index)
    )
    assert probabilities.at["hong_kong", own] == pytest.approx(0.75)
    assert probabilities.loc["hong_kong"].sum() == pytest.approx(1.0)
    result = dataclasses.replace(tiny_result, stage_probabilities=probabilities)
    brief = build_brief_context(result, "hong_kong", with_chinese=False)
    assert brief.stage.probability == "75% of Monte Carlo runs"


# ---------------------------------------------------------------------------------------------
# indicator ranks and peer medians (brief and spotlight tables)


def test_indicator_rank_and_peer_median_by_hand(tiny_result: Any) -> None:
    """Hong Kong against Shenzhen, Singapore and London, 2024 values (conftest):
    safety (higher is better) 78.7 vs 73.0, 77.4, 45.9 -> rank 1 of 4, peer median 73;
    PM2.5 (lower is better) 18.9 vs 20.6, 12.8, 8.8 -> two cleaner, rank 3 of 4, median 12.8;
    PCT 1,300 vs 4,100, 850, 1,450 -> rank 3 of 4, median 1,450;
    VC 2.8 vs 8.7, 5.9 (London is off the list) -> rank 3 of 3, only two peers: no median."""
    peers = ["shenzhen", "singapore", "london"]
    rows = {r.name: r for r in views.indicator_rows(tiny_result, "hong_kong", peers, None)}
    assert (rows["Safety"].rank, rows["Safety"].peer_median) == ("1 of 4", "73")
    assert (rows["PM2.5"].rank, rows["PM2.5"].peer_median) == ("3 of 4", "12.8")
    assert (rows["PCT applications"].rank, rows["PCT applications"].peer_median) == (
        "3 of 4",
        "1,450",
    )
    assert (rows["VC raised"].rank, rows["VC raised"].peer_median) == ("3 of 3", "–")


def test_the_city_itself_is_never_its_own_peer(tiny_result: Any) -> None:
    """Listing Hong Kong among its peers changes nothing: the median stays over the others."""
    peers = ["shenzhen", "singapore", "london"]
    plain = views.indicator_rows(tiny_result, "hong_kong", peers, None)
    with_self = views.indicator_rows(tiny_result, "hong_kong", ["hong_kong", *peers], None)
    assert [r.peer_median for r in plain] == [r.peer_median for r in with_self]
