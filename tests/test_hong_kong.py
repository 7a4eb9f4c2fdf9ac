"""Hong Kong's venture-capital gap comes out of the bundled data, and goes when the data does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from reportgen.analysis.findings import Finding, filter_findings
from reportgen.app import Inputs, compute
from reportgen.pipeline import EditionResult

DATA = Path(__file__).resolve().parent.parent / "data"
VC_INDICATORS = {
    "vc_capital_raised_6y",
    "vc_deal_count_6y",
    "vc_exit_value_6y",
    "vc_ecosystem_rank",
}


@pytest.fixture(scope="module")
def bundled() -> EditionResult:
    return compute(Inputs(DATA), uncertainty=False)


def _vc_gaps(result: EditionResult, group: str = "same_stage") -> list[Finding]:
    return filter_findings(
        result.findings, city_id="hong_kong", kind="gap", subject=VC_INDICATORS, group_id=group
    )


def test_hong_kong_is_growth_driven_by_the_stage_rules(bundled: EditionResult) -> None:
    stages = bundled.stages
    row = stages.loc["hong_kong"]
    assert row["stage_id"] == "growth_driven"
    # The label follows from the scores and the median thresholds, not from a name.
    assert row["TDP"] >= bundled.scores["TDP"].median()
    assert row["ECC"] < bundled.scores["ECC"].median()


def test_venture_capital_gap_uses_the_real_figures(bundled: EditionResult) -> None:
    gaps = {f.subject: f for f in _vc_gaps(bundled)}
    assert "vc_ecosystem_rank" in gaps

    observations = pd.read_csv(DATA / "observations.csv")
    hk_rank = observations.query("city_id == 'hong_kong' and indicator_id == 'vc_ecosystem_rank'")[
        "value"
    ]
    rank = gaps["vc_ecosystem_rank"]
    assert rank.evidence_for("city").value == pytest.approx(float(hk_rank.iloc[-1]))
    assert "26th" in rank.sentence
    peers = [c for c in rank.comparison.members if c != "hong_kong"]
    assert set(peers) <= set(
        bundled.stages.index[bundled.stages["stage_id"] == "growth_driven"]
    ) - {"hong_kong"}
    for evidence in rank.evidence:
        if evidence.role in ("city", "peer_median"):
            assert evidence.text in rank.sentence

    # Hong Kong is absent from PitchBook's top-20 capital table, which is ordered by ranking,
    # not capital: its value is missing and imputed, never a bound, and the pillar says so.
    assert bool(bundled.index.imputed_mask.at["hong_kong", "vc_capital_raised_6y"])
    [pillar] = filter_findings(
        bundled.findings, city_id="hong_kong", kind="gap", subject="capital", group_id="same_stage"
    )
    assert "imputed" in pillar.flags
    assert any(
        c.startswith("Estimates, imputed") and "VC raised, 6 yrs" in c for c in pillar.caveats
    )


def test_gap_disappears_when_hong_kong_reaches_the_peer_median(
    bundled: EditionResult, tmp_path: Path
) -> None:
    targets = {f.subject: f.evidence_for("peer_median").value for f in _vc_gaps(bundled)}
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    observations = pd.read_csv(copy / "observations.csv", dtype=str, keep_default_na=False)
    keep = ~((observations["city_id"] == "hong_kong") & observations["indicator_id"].isin(targets))
    added = pd.DataFrame(
        [
            {
                "city_id": "hong_kong",
                "indicator_id": indicator,
                "year": "2024" if indicator == "vc_ecosystem_rank" else "2023",
                "value": str(round(value) if indicator == "vc_ecosystem_rank" else value),
                "source_url": "test://peer-median",
                "note": "test: set to the peer median",
            }
            for indicator, value in targets.items()
        ]
    )
    pd.concat([observations[keep], added]).to_csv(copy / "observations.csv", index=False)

    changed = compute(Inputs(copy), uncertainty=False)
    assert changed.stages.at["hong_kong", "stage_id"] == "growth_driven"
    assert _vc_gaps(changed) == []
    # The engine saw the new values: Hong Kong's venture-capital pillar rose.
    assert changed.scores.at["hong_kong", "capital"] > bundled.scores.at["hong_kong", "capital"]


def test_hong_kong_brief_leads_with_its_venture_capital_and_firms_themes(
    bundled: EditionResult,
) -> None:
    assert bundled.analysis is not None
    brief = bundled.analysis.briefs["hong_kong"]
    capital = next(t for t in brief.gaps if t.pillar == "capital")
    firms = next(t for t in brief.gaps if t.pillar == "firms")
    assert brief.gaps.index(capital) < 2
    assert brief.gaps.index(firms) < 2
    # Natural units, each against the same named peer median; no loose line repeats a pillar.
    assert "PitchBook VC ecosystem rank: 26th against a median of 7.5th (2024)" in capital.sentence
    assert "against Growth-driven peers" in capital.sentence
    unicorns = next(f for f in firms.findings if f.subject == "unicorn_count")
    ratio = unicorns.evidence_for("ratio")
    assert ratio is not None
    assert f"({ratio.text}, 2024)" in firms.sentence
    subjects = [s for t in brief.gaps + brief.strengths for s in t.subjects]
    assert len(subjects) == len(set(subjects))
    pillars = [t.pillar for t in brief.gaps] + [t.pillar for t in brief.strengths]
    assert len(pillars) == len(set(pillars))
    # The study's third point is said to be unmeasurable, not dropped.
    assert any("Later-stage growth funding" in c for c in capital.caveats)
