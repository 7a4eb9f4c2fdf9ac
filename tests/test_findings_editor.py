"""What the bundled edition's findings say, read as an editor would: themes, story, movers,
caveats, rounding, salience (issue 16)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen.analysis.findings import (
    TEMPLATES,
    FindingsSpec,
    analyse,
    compute_findings,
    decompose,
    findings_before_monte_carlo,
    salience_method,
)
from reportgen.analysis.findings.wording import as_printed
from reportgen.app import Inputs, compute, load_inputs
from reportgen.pipeline import EditionResult, compute_edition, finding_inputs, finding_inputs_of

DATA = Path(__file__).resolve().parent.parent / "data"
CLUSTER = ("gii_cluster_pubs", "gii_cluster_pct")
GBA = ("hong_kong", "shenzhen", "guangzhou")
SAME_ENDS = re.compile(r"\b(\d+)(?:st|nd|rd|th) to \1(?:st|nd|rd|th)\b")
NUMBER = re.compile(r"−?\d[\d,]*(?:\.\d+)?")


@pytest.fixture(scope="module")
def bundled() -> EditionResult:
    return compute(Inputs(DATA), uncertainty=False)


@pytest.fixture(scope="module")
def with_monte_carlo() -> EditionResult:
    # A short Monte Carlo: enough replications for intervals that collapse and stages that split.
    dataset, edition = load_inputs(Inputs(DATA))
    edition = edition.model_copy(
        update={"uncertainty": edition.uncertainty.model_copy(update={"n": 64})}
    )
    return compute_edition(dataset, edition)


def _sentences(result: EditionResult) -> list[str]:
    analysis = result.analysis
    assert analysis is not None
    out = [f.sentence for f in analysis.findings] + [t.sentence for t in analysis.themes]
    out += analysis.story.sentences()
    for brief in analysis.briefs.values():
        out += brief.lines()
    return out


def _number(text: str) -> float:
    match = NUMBER.search(text)
    assert match is not None, text
    return float(match.group().replace(",", "").replace("−", "-"))


# ---------------------------------------------------------------------------------------------
# Hong Kong: the study's story comes out of the data


def test_hong_kong_leads_with_venture_capital_and_high_growth_firms(bundled: EditionResult) -> None:
    analysis = bundled.analysis
    assert analysis is not None
    brief = analysis.briefs["hong_kong"]
    assert {t.pillar for t in brief.gaps[:2]} == {"capital", "firms"}
    assert all(t.comparison.name == "Growth-driven" for t in brief.gaps)
    spotlight = analysis.spotlight
    assert spotlight is not None
    assert {t.pillar for t in spotlight.gaps[:2]} == {"capital", "firms"}
    # The part of the study's finding the data cannot reach is said, not dropped.
    assert any("Later-stage growth funding" in note for note in spotlight.notes)
    [item] = [i for i in analysis.story.items if i.topic == "spotlight"]
    assert "Venture capital" in item.sentence
    assert "Tech firms" in item.sentence
    assert "Growth-driven peers" in item.sentence
    assert any("Later-stage growth funding" in c for c in item.caveats)


def _observations_with(
    copy: Path, city_id: str, values: Mapping[str, float | None], year: str = "2024"
) -> None:
    observations = pd.read_csv(copy / "observations.csv", dtype=str, keep_default_na=False)
    keep = ~((observations["city_id"] == city_id) & observations["indicator_id"].isin(values))
    added = pd.DataFrame(
        [
            {
                "city_id": city_id,
                "indicator_id": indicator,
                "year": year,
                "value": str(value),
                "source_url": "test://profile",
                "note": "test",
            }
            for indicator, value in values.items()
            if value is not None
        ]
    )
    pd.concat([observations[keep], added]).to_csv(copy / "observations.csv", index=False)


def _capital_gap_cities(result: EditionResult) -> set[str]:
    assert result.analysis is not None
    return {
        t.city_id
        for t in result.analysis.themes
        if t.kind == "gap" and t.pillar == "capital" and t.comparison.group_id == "same_stage"
    }


def _capital_indicators(result: EditionResult) -> list[str]:
    meta = result.panel.indicators
    return [str(i) for i in meta.index if meta.at[i, "pillar"] == "capital"]


def test_venture_capital_theme_goes_with_the_data(bundled: EditionResult, tmp_path: Path) -> None:
    assert "hong_kong" in _capital_gap_cities(bundled)
    peers = bundled.stages.index[
        (bundled.stages["stage_id"] == "growth_driven") & (bundled.stages.index != "hong_kong")
    ]
    # Every venture-capital value, scored or context, at the Growth-driven peers' median.
    medians = {
        i: float(bundled.panel.values.loc[peers, i].median()) for i in _capital_indicators(bundled)
    }
    copy = tmp_path / "median"
    shutil.copytree(DATA, copy)
    _observations_with(copy, "hong_kong", medians)
    changed = compute(Inputs(copy), uncertainty=False)
    assert changed.stages.at["hong_kong", "stage_id"] == "growth_driven"
    assert "hong_kong" not in _capital_gap_cities(changed)


def test_hong_kong_venture_capital_profile_makes_the_theme_elsewhere(
    bundled: EditionResult, tmp_path: Path
) -> None:
    # Shanghai, in Hong Kong's stage, shows no venture-capital gap; given Hong Kong's values
    # (missing where Hong Kong's are), it does.
    target = "shanghai"
    assert bundled.stages.at[target, "stage_id"] == "growth_driven"
    assert target not in _capital_gap_cities(bundled)
    profile = {
        i: (None if np.isnan(v) else float(v))
        for i, v in bundled.panel.values.loc["hong_kong", _capital_indicators(bundled)].items()
    }
    copy = tmp_path / "profile"
    shutil.copytree(DATA, copy)
    _observations_with(copy, target, profile)
    changed = compute(Inputs(copy), uncertainty=False)
    assert target in _capital_gap_cities(changed)


# ---------------------------------------------------------------------------------------------
# shared values: one WIPO cluster is never three cities' own strength


def test_cluster_values_carry_the_shared_caveat(bundled: EditionResult) -> None:
    inputs = finding_inputs(bundled.current, bundled.previous, bundled.edition, None, None, None)
    plain = analyse(
        replace(inputs, shared=None, shared_with=None),
        bundled.stages,
        bundled.edition.findings,
        spotlight_city="hong_kong",
    )
    shared = pd.DataFrame(False, index=inputs.values.index, columns=inputs.values.columns)
    shared_with = pd.DataFrame("", index=inputs.values.index, columns=inputs.values.columns)
    for city in GBA:
        for indicator in CLUSTER:
            shared.loc[city, indicator] = True
            shared_with.loc[city, indicator] = ";".join(c for c in GBA if c != city)
    inputs = replace(inputs, shared=shared, shared_with=shared_with)
    spec = bundled.edition.findings
    result = analyse(inputs, bundled.stages, spec, spotlight_city="hong_kong")
    pillars = {"science", "innovation"}
    checked = 0
    for finding in result.findings:
        if finding.city_id not in GBA:
            continue
        if finding.subject in CLUSTER or finding.subject in pillars:
            checked += 1
            assert "shared" in finding.flags, finding.sentence
            assert any("one published value covers" in c for c in finding.caveats)
            assert finding.salience.quality <= spec.salience.shared + 1e-12
    assert checked >= 3
    # Hong Kong's Innovation strength (its cluster's PCT count) says whose value it is, and
    # weighs a quarter of what it would as Hong Kong's own.
    innovation = [t for t in result.themes if t.city_id == "hong_kong" and t.pillar == "innovation"]
    assert innovation
    for theme in innovation:
        assert any("covers Hong Kong, Shenzhen and Guangzhou" in c for c in theme.caveats)
        unshared = [t for t in plain.themes if t.city_id == "hong_kong"]
        before = next(
            t
            for t in unshared
            if (t.kind, t.pillar, t.comparison.group_id)
            == (theme.kind, theme.pillar, theme.comparison.group_id)
        )
        assert theme.salience == pytest.approx(before.salience * spec.salience.shared)


# ---------------------------------------------------------------------------------------------
# words: no degenerate ranges, printed differences add up, caveats travel


def test_no_rank_range_with_equal_ends(with_monte_carlo: EditionResult) -> None:
    for sentence in _sentences(with_monte_carlo):
        assert not SAME_ENDS.search(sentence), sentence
        assert "normalised points" not in sentence
        assert not re.search(r"\b0 (?:is|are)\b", sentence), sentence


def test_borderline_stages_say_so(with_monte_carlo: EditionResult) -> None:
    analysis = with_monte_carlo.analysis
    probabilities = with_monte_carlo.stage_probabilities
    assert analysis is not None
    assert probabilities is not None
    threshold = with_monte_carlo.edition.findings.borderline_probability
    for finding in analysis.findings:
        if finding.kind != "stage":
            continue
        p = float(probabilities.at[finding.city_id, finding.subject])
        assert ("borderline" in finding.sentence) == (p < threshold), finding.sentence


def test_the_quantile_label_comes_from_the_uncertainty_settings(bundled: EditionResult) -> None:
    inputs = finding_inputs(bundled.current, bundled.previous, bundled.edition, None, None, None)
    low = bundled.scores.rank(ascending=False, method="min") - 0.0
    moved = replace(
        inputs,
        rank_low=low - 1,
        rank_high=low + 1,
        rank_quantiles=(0.1, 0.9),
        previous_ranks=inputs.ranks + 5,
    )
    result = analyse(moved, bundled.stages, bundled.edition.findings)
    text = " ".join(f.sentence for f in result.findings if f.kind == "mover")
    assert "10-90% rank interval" in text
    assert "5-95%" not in text


def test_printed_changes_equal_the_difference_of_printed_values(bundled: EditionResult) -> None:
    analysis = bundled.analysis
    assert analysis is not None
    checked = 0
    for finding in analysis.findings:
        city, peer = finding.evidence_for("city"), finding.evidence_for("peer_median")
        difference = finding.evidence_for("difference")
        if city and peer and difference and city.unit == "score":
            assert difference.text in finding.sentence
            assert _number(difference.text) == pytest.approx(
                abs(_number(city.text) - _number(peer.text)), abs=1e-9
            )
            checked += 1
        previous, score = finding.evidence_for("previous_score"), finding.evidence_for("score")
        change = finding.evidence_for("score_change")
        if previous and score and change:
            assert _number(change.text) == pytest.approx(
                abs(_number(score.text) - _number(previous.text)), abs=1e-9
            )
            checked += 1
    assert checked > 20


def test_every_flagged_value_carries_its_caveat(bundled: EditionResult) -> None:
    analysis = bundled.analysis
    assert analysis is not None
    words = {
        "imputed": ("imputed",),
        "old": ("dates from", "years older than"),
        "perception": ("perception survey",),
        "bounded": ("not in the source's published list",),
        "shared": ("one published value covers",),
    }
    for finding in analysis.findings:
        for flag in finding.flags:
            said = [w for w in words[flag] for c in finding.caveats if w in c.lower()]
            assert said, (flag, finding.sentence, finding.caveats)
    # An estimated value behind a strength, gap or stage is always said.
    for finding in analysis.findings:
        if finding.kind in ("gap", "strength") and finding.subject_kind == "indicator":
            city = finding.evidence_for("city")
            if city is not None and city.is_imputed:
                assert any("an estimate, imputed" in c for c in finding.caveats)
    frame_caveats = " ".join(c for f in analysis.findings for c in f.caveats if "imputed (" in c)
    assert "median of the indicator's observed values" in frame_caveats or not frame_caveats


# ---------------------------------------------------------------------------------------------
# movers explained


def test_mover_decomposition_sums_to_the_score_change(bundled: EditionResult) -> None:
    assert bundled.previous is not None
    for code in bundled.scores.columns:
        d = decompose(bundled.current.index, bundled.previous.index, str(code))
        total = d.own.sum(axis=1) + d.rescaling.sum(axis=1) + d.reweighting + d.residual
        np.testing.assert_allclose(total, d.change, atol=1e-9, rtol=0)
        # Arithmetic means leave nothing unexplained.
        assert float(d.residual.abs().max()) < 1e-9
    analysis = bundled.analysis
    assert analysis is not None
    movers = [f for f in analysis.findings if f.kind == "mover" and f.contributions]
    assert movers
    for mover in movers:
        change = float(
            bundled.scores.at[mover.city_id, mover.subject]
            - bundled.previous.index.scores.at[mover.city_id, mover.subject]
        )
        explained = sum(c.total for c in mover.contributions)
        assert explained == pytest.approx(change, abs=1e-9)


def test_a_mover_sentence_names_its_driver_with_raw_values(bundled: EditionResult) -> None:
    analysis = bundled.analysis
    assert analysis is not None
    [boston] = [
        f
        for f in analysis.findings
        if f.kind == "mover" and f.city_id == "boston" and f.subject == "talent"
    ]
    assert "Main driver: ARWU top-200 universities, 4 universities to 3 universities" in (
        boston.sentence
    )
    assert "other cities' values moved" in boston.sentence


# ---------------------------------------------------------------------------------------------
# the executive summary


def test_executive_summary_tells_the_story_once(bundled: EditionResult) -> None:
    analysis = bundled.analysis
    assert analysis is not None
    story = analysis.story
    topics = [i.topic for i in story.items]
    assert topics == ["leader", "dimensions", "stages", "movers", "spotlight"]
    assert len(set(story.sentences())) == len(story.items)
    leader = bundled.scores["Overall"].idxmax()
    names = bundled.panel.cities["name"]
    assert story.items[0].sentence.startswith(str(names[leader]))
    r = float(np.corrcoef(bundled.scores["TDP"], bundled.scores["ECC"])[0, 1])
    assert f"{abs(r):.2f}" in story.items[1].sentence
    # At most one line per city besides the spotlight city.
    seen: dict[str, int] = {}
    for item in story.items:
        for city in set(item.city_ids) - {"hong_kong"}:
            seen[city] = seen.get(city, 0) + 1
    assert all(n == 1 for n in seen.values()), seen
    # No template twice: each story template is used by one item only.
    used = [k for k in TEMPLATES if k.startswith("story_") and k.count("_") == 1]
    assert len(used) >= 5


def test_methodology_prints_the_salience_parameters() -> None:
    spec = FindingsSpec.model_validate({"salience": {"shared": 0.2, "perception": 0.9}})
    text = " ".join(salience_method(spec))
    assert "0.2x" in text
    assert "0.9x" in text
    assert "effective weight" in text


def test_spec_rejects_discounts_out_of_range() -> None:
    with pytest.raises(ValueError, match="less than or equal to 1"):
        FindingsSpec.model_validate({"salience": {"shared": 1.5}})


def test_a_discount_is_the_same_bits_in_any_order_of_its_flags() -> None:
    # Products round in the order they are taken: the flags of a value multiply in one fixed
    # order, whatever order they come in (a set's order varies with the hash seed).
    import itertools

    spec = FindingsSpec.model_validate(
        {"salience": {"shared": 0.3, "imputed": 0.7, "bounded": 0.9, "old": 0.7, "perception": 0.8}}
    ).salience
    flags = ("shared", "imputed", "bounded", "old", "perception")
    found = {spec.discount(p) for p in itertools.permutations(flags)}
    assert found == {0.3 * 0.7 * 0.9 * 0.7 * 0.8}
    assert spec.discount(("old", "old", "imputed")) == 0.7 * 0.7


def test_as_printed_is_the_printed_number() -> None:
    assert as_printed(71.94, "index") == 71.9
    assert as_printed(66.0, "index") == 66.0
    assert as_printed(92.46, "score") == 92.5


def test_changes_chapter_movers_are_robust_and_one_per_city(
    with_monte_carlo: EditionResult,
) -> None:
    from reportgen.analysis.findings import select_movers

    analysis = with_monte_carlo.analysis
    assert analysis is not None
    movers = select_movers(analysis.findings, 8)
    assert movers
    assert len({m.city_id for m in movers}) == len(movers)
    assert all(m.salience.robustness >= 0.5 for m in movers)
    values = [m.salience.value for m in movers]
    assert values == sorted(values, reverse=True)


def test_findings_made_before_the_monte_carlo_are_the_same(
    with_monte_carlo: EditionResult,
) -> None:
    # The pipeline makes indicator findings, and pillar findings before their robustness, while
    # the Monte Carlo runs, from inputs without it: with the robustness added afterwards they
    # must be the very findings the full inputs give in one go.
    result = with_monte_carlo
    full = finding_inputs_of(result)
    without = finding_inputs(result.current, result.previous, result.edition, None, None, None)
    spec = result.edition.findings
    early = findings_before_monte_carlo(without, result.stages, spec)
    assert sum(len(v) for v in early.indicators.values()) > 50
    made_early = [f for found in early.scores.values() for f in found]
    assert len(made_early) > 20
    assert {f.salience.robustness for f in made_early} == {1.0}  # not known yet
    at_once = compute_findings(full, result.stages, spec)
    assert compute_findings(full, result.stages, spec, early=early) == at_once
    scored = [f for f in at_once if f.subject_kind in ("pillar", "dimension") and f.comparison]
    assert any(f.salience.robustness < 1.0 for f in scored)  # the robustness was applied
    assert early.indicators == findings_before_monte_carlo(full, result.stages, spec).indicators


def test_the_spotlight_line_carries_the_caveats_of_what_it_prints(bundled: EditionResult) -> None:
    # The executive summary quotes each gap's pillar and one indicator: its caveats are theirs
    # (and the stage's, and what cannot be measured), not those of indicators it leaves out.
    assert bundled.analysis is not None
    item = next(i for i in bundled.analysis.story.items if i.topic == "spotlight")
    spotlight = bundled.analysis.spotlight
    assert spotlight is not None
    assert spotlight.stage is not None
    allowed = set(spotlight.stage.caveats) | set(bundled.edition.findings.unmeasured.values())
    quoted = [
        f for t in spotlight.gaps for f in t.findings if f.clause and f.clause in item.sentence
    ]
    assert quoted
    for f in quoted:
        allowed |= set(f.caveats)
    assert set(item.caveats) <= allowed
    left_out = {c for t in spotlight.gaps for f in t.findings if f not in quoted for c in f.caveats}
    assert left_out - allowed  # some theme caveat belongs only to an unquoted indicator
