"""Stage typology on the TDP x ECC plane: rules, checks, probabilities and levers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from reportgen.analysis.peers import indicator_points
from reportgen.analysis.stages import (
    StagesSpec,
    assign_stages,
    check_stages,
    next_stage_levers,
    stage_probabilities,
    thresholds,
)

# city: TDP, ECC, then pillars (two per dimension)
ROWS = {
    "london": (80, 80, 75, 85, 78, 82),
    "new_york": (85, 75, 85, 85, 72, 78),
    "bay_area": (90, 70, 95, 85, 65, 75),
    "hong_kong": (70, 40, 45, 95, 45, 35),
    "shenzhen": (75, 30, 75, 75, 32, 28),
    "zurich": (40, 90, 35, 45, 92, 88),
    "stockholm": (45, 85, 45, 45, 84, 86),
    "bengaluru": (30, 30, 30, 30, 28, 32),
    "sao_paulo": (35, 20, 30, 40, 25, 15),
}
PILLARS = pd.DataFrame(
    {
        "name": ["Capital", "Firms", "Liveability", "Environment"],
        "dimension": ["TDP"] * 2 + ["ECC"] * 2,
    },
    index=pd.Index(["capital", "firms", "liveability", "environment"], name="pillar"),
)

AXES = ("TDP", "ECC")  # the score columns of the plane in these tests


@pytest.fixture
def scores() -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(
        ROWS, orient="index", columns=["TDP", "ECC", *PILLARS.index], dtype=float
    )
    frame.index.name = "city_id"
    return frame


FIXED = StagesSpec.model_validate({"thresholds": {"tdp": 50, "ecc": 50}})


def test_default_typology_is_four_named_stages() -> None:
    spec = StagesSpec.default()
    assert spec == StagesSpec()
    assert [s.id for s in spec.stages] == [
        "balanced_leader",
        "growth_driven",
        "co_benefit_led",
        "emerging",
    ]
    assert all(s.name and s.description for s in spec.stages)
    assert spec.thresholds.tdp == spec.thresholds.ecc == "median"


def test_default_rules_assign_every_city_exactly_once(scores: pd.DataFrame) -> None:
    spec = StagesSpec()
    stages = assign_stages(scores, spec, axes=AXES)
    assert check_stages(spec, scores, axes=AXES) == []
    assert set(stages["stage_id"]) <= {s.id for s in spec.stages}
    assert stages.index.equals(scores.index)
    median_tdp, median_ecc = scores["TDP"].median(), scores["ECC"].median()
    assert stages["tdp_threshold"].eq(median_tdp).all()
    assert stages["ecc_threshold"].eq(median_ecc).all()
    assert np.allclose(stages["tdp_distance"], scores["TDP"] - median_tdp)


def test_hong_kong_label_comes_from_scores_not_name(scores: pd.DataFrame) -> None:
    stages = assign_stages(scores, FIXED, axes=AXES)
    assert stages.at["hong_kong", "stage_id"] == "growth_driven"
    assert stages.at["hong_kong", "stage_name"] == "Growth-driven"
    lifted = scores.copy()
    lifted.loc["hong_kong", "ECC"] = 60.0
    assert assign_stages(lifted, FIXED, axes=AXES).at["hong_kong", "stage_id"] == "balanced_leader"
    renamed = scores.rename(index={"hong_kong": "somewhere"})
    assert assign_stages(renamed, FIXED, axes=AXES).at["somewhere", "stage_id"] == "growth_driven"


def test_score_on_the_threshold_counts_as_high(scores: pd.DataFrame) -> None:
    on_line = scores.copy()
    on_line.loc["hong_kong", "ECC"] = 50.0
    assert assign_stages(on_line, FIXED, axes=AXES).at["hong_kong", "stage_id"] == "balanced_leader"


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [("median", 70.0), ("mean", 550 / 9), ("p60", 74.0), (55, 55.0), (55.5, 55.5)],
)
def test_relative_and_fixed_thresholds(
    scores: pd.DataFrame, threshold: object, expected: float
) -> None:
    spec = StagesSpec.model_validate({"thresholds": {"tdp": threshold}})
    assert thresholds(scores, spec, axes=AXES)["tdp"] == pytest.approx(expected)


def test_target_stage_and_shortfall(scores: pd.DataFrame) -> None:
    stages = assign_stages(scores, FIXED, axes=AXES)
    hk = stages.loc["hong_kong"]
    assert hk["target_stage_id"] == "balanced_leader"
    assert hk["ecc_shortfall"] == pytest.approx(10.0)
    assert hk["tdp_shortfall"] == 0.0
    assert hk["shortfall"] == pytest.approx(10.0)
    # Emerging cities aim for the adjacent stage they are closest to.
    assert stages.at["bengaluru", "target_stage_id"] in {"growth_driven", "co_benefit_led"}
    assert stages.at["sao_paulo", "target_stage_id"] == "growth_driven"  # TDP 15 short, ECC 30
    assert stages.at["sao_paulo", "shortfall"] == pytest.approx(15.0)
    assert stages.at["london", "target_stage_id"] == ""
    assert np.isnan(stages.at["london", "shortfall"])


def test_explicit_bounds() -> None:
    spec = StagesSpec.model_validate(
        {
            "stages": [
                {"id": "top", "name": "Top", "rule": {"tdp": [60, None]}},
                {"id": "middle", "name": "Middle", "rule": {"tdp": [30, 60]}, "next": ["top"]},
                {"id": "base", "name": "Base", "rule": {"tdp": [None, 30]}, "next": ["middle"]},
            ]
        }
    )
    scores = pd.DataFrame({"TDP": [10.0, 30.0, 59.9, 60.0], "ECC": 50.0}, index=list("abcd"))
    stages = assign_stages(scores, spec, axes=AXES)
    assert list(stages["stage_id"]) == ["base", "middle", "middle", "top"]
    assert stages.at["a", "tdp_shortfall"] == pytest.approx(20.0)
    assert check_stages(spec, scores, axes=AXES) == []


def test_check_stages_reports_unassigned_cities_and_plane_holes(scores: pd.DataFrame) -> None:
    three = StagesSpec(stages=StagesSpec().stages[:3])
    problems = check_stages(three, scores, axes=AXES)
    assert any("bengaluru" in p and "matches no stage rule" in p for p in problems)
    assert any("no stage rule covers" in p for p in problems)
    stages = assign_stages(scores, three, axes=AXES)
    assert stages.at["bengaluru", "stage_id"] == "unassigned"


def test_check_stages_reports_overlaps(scores: pd.DataFrame) -> None:
    spec = StagesSpec.model_validate(
        {
            "stages": [
                {"id": "tech", "name": "Tech", "rule": {"tdp": "high"}},
                {"id": "green", "name": "Green", "rule": {"ecc": "high"}},
                {"id": "other", "name": "Other", "rule": {"tdp": "low", "ecc": "low"}},
            ]
        }
    )
    problems = check_stages(spec, scores, axes=AXES)
    assert any("london" in p and "tech, green" in p for p in problems)
    assert any("overlap" in p for p in problems)
    # First declared rule wins when rules overlap.
    assert assign_stages(scores, spec, axes=AXES).at["london", "stage_id"] == "tech"


def test_plane_hole_reported_even_without_cities_there() -> None:
    spec = StagesSpec.model_validate(
        {
            "thresholds": {"tdp": 50, "ecc": 50},
            "stages": [
                {"id": "a", "name": "A", "rule": {"tdp": [50, None], "ecc": "any"}},
                {"id": "b", "name": "B", "rule": {"tdp": [None, 40], "ecc": "any"}},
            ],
        }
    )
    scores = pd.DataFrame({"TDP": [20.0, 80.0], "ECC": [50.0, 50.0]}, index=["x", "y"])
    assert check_stages(spec, scores, axes=AXES, plane=False) == []
    problems = check_stages(spec, scores, axes=AXES)
    assert len(problems) == 1
    assert "TDP 45.0" in problems[0] or "TDP 40.0" in problems[0]


def test_missing_scores_are_unassigned_and_reported(scores: pd.DataFrame) -> None:
    holed = scores.copy()
    holed.loc["zurich", "ECC"] = np.nan
    stages = assign_stages(holed, StagesSpec(), axes=AXES)
    assert stages.at["zurich", "stage_id"] == "unassigned"
    assert any("zurich" in p for p in check_stages(StagesSpec(), holed, axes=AXES))


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"thresholds": {"tdp": "middle"}}, "not a number nor one of"),
        ({"thresholds": {"tdp": 50, "depth": 3}}, "Extra inputs"),
        (
            {
                "stages": [
                    {"id": "a", "name": "A", "rule": {}},
                    {"id": "a", "name": "B", "rule": {}},
                ]
            },
            "repeated: a",
        ),
        (
            {"stages": [{"id": "a", "name": "A", "rule": {}, "next": ["z"]}]},
            "unknown next stages: z",
        ),
        ({"stages": [{"id": "a", "name": "A", "rule": {"tdp": [60, 40]}}]}, "are empty"),
        ({"stages": [{"id": "a", "name": "A", "rule": {"tdp": "middling"}}]}, "tdp"),
        ({"stages": []}, "at least one stage"),
    ],
)
def test_invalid_sections_are_rejected(section: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        StagesSpec.model_validate(section)


def test_yaml_section_round_trips_to_the_default() -> None:
    dumped = yaml.safe_dump(StagesSpec().model_dump(mode="json"), sort_keys=False)
    assert StagesSpec.model_validate(yaml.safe_load(dumped)) == StagesSpec()


def test_stage_probabilities_sum_to_one_and_match_point_estimate(scores: pd.DataFrame) -> None:
    rng = np.random.default_rng(7)
    reps = 400
    tdp = scores["TDP"].to_numpy()[None, :] + rng.normal(0, 3, (reps, len(scores)))
    ecc = scores["ECC"].to_numpy()[None, :] + rng.normal(0, 3, (reps, len(scores)))
    spec = StagesSpec()
    probs = stage_probabilities(tdp, ecc, spec, city_ids=list(scores.index))
    assert list(probs.columns) == [s.id for s in spec.stages]
    assert np.allclose(probs.sum(axis=1), 1.0)
    modal = probs.idxmax(axis=1)
    stages = assign_stages(scores, spec, axes=AXES)
    # Cities far from both thresholds keep their stage in nearly every replication.
    for city in ("bay_area", "zurich", "bengaluru"):
        assert modal[city] == stages.at[city, "stage_id"]
        assert probs.at[city, stages.at[city, "stage_id"]] > 0.9


def test_stage_probabilities_recompute_relative_thresholds(scores: pd.DataFrame) -> None:
    base_tdp, base_ecc = scores["TDP"].to_numpy(), scores["ECC"].to_numpy()
    # The second replication shifts every city up by 30 points: relative stages do not move.
    tdp = pd.DataFrame([base_tdp, base_tdp + 30], columns=scores.index)
    ecc = pd.DataFrame([base_ecc, base_ecc + 30], columns=scores.index)
    relative = stage_probabilities(tdp, ecc, StagesSpec())
    assert relative.index.tolist() == scores.index.tolist()
    assert relative.max(axis=1).eq(1.0).all()
    fixed = stage_probabilities(tdp, ecc, FIXED)
    assert fixed.at["hong_kong", "growth_driven"] == 0.5
    assert fixed.at["hong_kong", "balanced_leader"] == 0.5


def test_stage_probabilities_report_unassigned_draws(scores: pd.DataFrame) -> None:
    three = StagesSpec(stages=StagesSpec().stages[:3])
    draws = np.tile(scores["TDP"].to_numpy(), (5, 1)), np.tile(scores["ECC"].to_numpy(), (5, 1))
    probs = stage_probabilities(*draws, three, city_ids=list(scores.index))
    assert "unassigned" in probs.columns
    assert probs.at["bengaluru", "unassigned"] == 1.0
    assert np.allclose(probs.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="differ in shape"):
        stage_probabilities(draws[0], draws[1][:, :3], three)


def test_levers_point_to_the_pillars_that_close_the_gap(scores: pd.DataFrame) -> None:
    stages = assign_stages(scores, FIXED, axes=AXES)
    levers = next_stage_levers(scores, stages, PILLARS, axes=AXES)
    hk = levers[levers["city_id"] == "hong_kong"].set_index("pillar")
    assert set(hk.index) == {"liveability", "environment"}  # only ECC falls short
    leaders = ["london", "new_york", "bay_area"]
    env_median = scores.loc[leaders, "environment"].median()
    assert hk.at["environment", "peer_median"] == env_median
    assert hk.at["environment", "dimension_gain"] == pytest.approx((env_median - 35) / 2)
    assert hk.at["environment", "lever_rank"] == 1
    assert bool(hk.at["environment", "closes_shortfall"])
    assert hk.at["environment", "target_level"] == pytest.approx(50.0)
    assert "london" not in set(levers["city_id"])  # top stage: nothing to reach


def test_lever_weights_and_trailing_indicators(scores: pd.DataFrame) -> None:
    stages = assign_stages(scores, FIXED, axes=AXES)
    weights = pd.Series({"capital": 1.0, "firms": 1.0, "liveability": 3.0, "environment": 1.0})
    values = pd.DataFrame(
        {"pm25": [10, 8, 9, 30, 40, 8, 6, 45, 50], "green": [40, 30, 35, 20, 10, 50, 45, 5, 8]},
        index=scores.index,
        dtype=float,
    )
    indicators = pd.DataFrame(
        {"pillar": ["environment", "environment"], "role": ["index", "index"]},
        index=["pm25", "green"],
    )
    points = indicator_points(values, {"pm25": -1, "green": 1})
    levers = next_stage_levers(
        scores,
        stages,
        PILLARS,
        axes=AXES,
        pillar_weights=weights,
        indicator_points=points,
        indicators=indicators,
    )
    hk = levers[levers["city_id"] == "hong_kong"].set_index("pillar")
    assert hk.at["liveability", "weight_share"] == pytest.approx(0.75)
    assert hk.at["liveability", "lever_rank"] == 1
    assert hk.at["environment", "indicators"] == ("pm25", "green")


def test_stage_probabilities_are_fast_for_a_large_run() -> None:
    rng = np.random.default_rng(1)
    tdp, ecc = rng.uniform(0, 100, (2000, 200)), rng.uniform(0, 100, (2000, 200))
    probs = stage_probabilities(tdp, ecc, StagesSpec.model_validate({"thresholds": {"tdp": "p60"}}))
    assert probs.shape == (200, 4)
    assert np.allclose(probs.sum(axis=1), 1.0)


def _many_cities(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(5)
    pillars = rng.uniform(0, 100, (n, 4))
    frame = pd.DataFrame(pillars, columns=list(PILLARS.index))
    frame.insert(0, "TDP", pillars[:, :2].mean(axis=1))
    frame.insert(1, "ECC", pillars[:, 2:].mean(axis=1))
    frame.index = pd.Index([f"c{i:05d}" for i in range(n)], name="city_id")
    points = pd.DataFrame(
        rng.uniform(0, 100, (n, 3)), index=frame.index, columns=["pm25", "green", "air"]
    )
    return frame, points


def test_levers_at_scale_match_a_direct_computation() -> None:
    """At 3,000 cities every lever equals the median of its target stage's members computed
    directly (speed is measured in benchmarks/scale.py, not asserted here)."""
    scores, points = _many_cities(3000)
    stages = assign_stages(scores, FIXED, axes=AXES)
    indicators = pd.DataFrame(
        {"pillar": ["environment", "environment", "environment"], "role": ["index"] * 3},
        index=["pm25", "green", "air"],
    )
    levers = next_stage_levers(
        scores, stages, PILLARS, axes=AXES, indicator_points=points, indicators=indicators
    )
    assert levers["lever_rank"].min() == 1
    for row in levers.sample(40, random_state=1).itertuples():
        members = stages.index[stages["stage_id"] == row.target_stage_id]
        peer = float(np.median(scores.loc[members, row.pillar]))
        assert row.peer_median == peer
        assert row.n_peers == len(members)
        assert row.improvement == max(0.0, peer - scores.at[row.city_id, row.pillar])
        assert row.dimension_gain == pytest.approx(row.improvement / 2)
        if row.pillar == "environment":
            own = points.loc[row.city_id]
            median = points.loc[members].median()
            trailing = sorted((own[i] - median[i], i) for i in points.columns if median[i] > own[i])
            assert row.indicators == tuple(i for _, i in trailing)
        else:
            assert row.indicators == ()
