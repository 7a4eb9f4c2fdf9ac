"""All findings of an edition, in one pass over the arrays, and the bundle publications read."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reportgen import formatting
from reportgen.analysis.findings.compare import indicator_findings, resolve_groups
from reportgen.analysis.findings.coverage import data_findings
from reportgen.analysis.findings.inputs import FindingInputs, Prepared, code_name, prepare
from reportgen.analysis.findings.movers import mover_findings
from reportgen.analysis.findings.peerstats import peer_stats
from reportgen.analysis.findings.pillars import score_findings, with_robustness
from reportgen.analysis.findings.records import BriefFindings, EditionStory, Finding, Theme
from reportgen.analysis.findings.salience import finding_weights, salience_method
from reportgen.analysis.findings.selection import brief_findings
from reportgen.analysis.findings.spec import FindingsSpec
from reportgen.analysis.findings.stage import stage_findings
from reportgen.analysis.findings.story import edition_story
from reportgen.analysis.findings.themes import build_themes
from reportgen.analysis.findings.wording import ENGLISH, Wording
from reportgen.analysis.peers import PeerGroup, PeerMedian


@dataclass(frozen=True)
class EarlyFindings:
    """What findings make without the Monte Carlo: the prepared panel and finding weights, every
    peer group, the indicator gaps and strengths, and the pillar and dimension ones before
    their robustness. The pipeline makes them while the Monte Carlo runs and hands them to
    `compute_findings`."""

    panel: Prepared
    weights: pd.DataFrame
    groups: dict[str, dict[str, PeerGroup]]
    indicators: dict[str, list[Finding]]
    scores: dict[str, list[Finding]]


def findings_before_monte_carlo(
    inputs: FindingInputs,
    stages: pd.DataFrame,
    spec: FindingsSpec,
    wording: Wording = ENGLISH,
) -> EarlyFindings:
    """The findings' work that reads nothing of the Monte Carlo (`inputs` may lack it)."""
    panel = prepare(inputs, spec)
    weights = finding_weights(inputs)
    groups = {g: resolve_groups(g, inputs, stages, spec) for g in spec.computed_groups()}
    indicators = (
        {
            g: indicator_findings(inputs, panel, spec, found, weights, wording)
            for g, found in groups.items()
        }
        if "indicator" in spec.subjects
        else {}
    )
    scores = {
        g: score_findings(inputs, panel, spec, found, weights, wording)
        for g, found in groups.items()
    }
    return EarlyFindings(panel, weights, groups, indicators, scores)


def compute_findings(
    inputs: FindingInputs,
    stages: pd.DataFrame,
    spec: FindingsSpec,
    wording: Wording = ENGLISH,
    *,
    early: EarlyFindings | None = None,
) -> list[Finding]:
    """Every finding the data supports, for every city; `stages` is `assign_stages`' output;
    `early` is `findings_before_monte_carlo`'s output when it was made beforehand (from the
    same data and stages).

    Pure: the same inputs give the same list in the same order: cities in score order; for each,
    its stage, then gaps and strengths per peer group (indicators, then pillars and
    dimensions), movers and the data finding.
    """
    if early is None:
        early = findings_before_monte_carlo(inputs, stages, spec, wording)
    panel, weights = early.panel, early.weights
    stage = stage_findings(inputs, panel, stages, spec, weights, wording)
    compared: dict[str, list[Finding]] = {c: [] for c in panel.cities}
    scored = with_robustness(early.scores, inputs, panel, spec, early.groups)
    for group_id in spec.computed_groups():
        for finding in (*early.indicators.get(group_id, []), *scored.get(group_id, [])):
            compared[finding.city_id].append(finding)
    movers: dict[str, list[Finding]] = {c: [] for c in panel.cities}
    for finding in mover_findings(inputs, panel, spec, weights, wording):
        movers[finding.city_id].append(finding)
    data = data_findings(inputs, panel, spec, wording)
    out: list[Finding] = []
    for city_id in panel.cities:
        if city_id in stage:
            out.append(stage[city_id])
        out += compared[city_id]
        out += movers[city_id]
        if city_id in data:
            out.append(data[city_id])
    return out


def peer_median_of(
    inputs: FindingInputs,
    stages: pd.DataFrame,
    spec: FindingsSpec,
    city_id: str,
    indicator_id: str,
    group_id: str = "same_stage",
    *,
    raw: bool = False,
) -> PeerMedian:
    """The peer median a finding on this city and indicator compares with.

    In the units of findings (per capita where the indicator is) or, with `raw`, converted back
    to the city's raw units, ready for `FindingInputs.with_value`.
    """
    panel = prepare(inputs, spec)
    groups = resolve_groups(group_id, inputs, stages, spec)
    if city_id not in groups:
        raise ValueError(f"peer group {group_id!r} does not apply to {city_id!r}")
    r, j = panel.position[city_id], panel.column[indicator_id]
    usable = ~panel.imputed if not spec.include_imputed_peers else None
    rows = {r: [panel.position[m] for m in groups[city_id].members if m in panel.position]}
    stats = peer_stats(
        panel.best[:, [j]],
        rows,
        censored=panel.censored[:, [j]],
        usable=None if usable is None else usable[:, [j]],
        directions=panel.directions[[j]],
    )
    value, worst = float(stats.value[r, 0]), float(stats.worst[r, 0])
    if raw and panel.per_capita[indicator_id]:
        population = float(inputs.cities.at[city_id, "population"])
        scale = population / panel.factors[indicator_id]
        value, worst = value * scale, worst * scale
    n, k = int(stats.n[r, 0]), int(stats.n_censored[r, 0])
    return PeerMedian(value, n, k, value == worst, worst)


@dataclass(frozen=True)
class FindingsResult:
    """Everything publications print from findings, computed once.

    `briefs` maps every city to its brief's findings; `spotlight` is the spotlight city's,
    compared with the spotlight rule's peer group; `story` is the executive summary;
    `salience_method` the methodology chapter's sentences on how findings are ranked.
    """

    findings: tuple[Finding, ...]
    themes: tuple[Theme, ...]
    briefs: dict[str, BriefFindings]
    spotlight: BriefFindings | None
    story: EditionStory
    salience_method: tuple[str, ...]


def analyse(
    inputs: FindingInputs,
    stages: pd.DataFrame,
    spec: FindingsSpec,
    *,
    spotlight_city: str | None = None,
    findings: list[Finding] | None = None,
    wording: Wording = ENGLISH,
    early: EarlyFindings | None = None,
) -> FindingsResult:
    """Findings, themes, every brief's selection, the spotlight and the executive summary,
    worded in ``wording``'s language (the numbers and the selection are the same in all)."""
    if findings is None:
        findings = compute_findings(inputs, stages, spec, wording, early=early)
    # Sentences name a city by its short form, as tables and charts do (a long name would
    # take over a brief's page).
    panel_names = {
        str(c): formatting.abbreviate(str(n))
        for c, n in (inputs.cities["name"].items() if "name" in inputs.cities.columns else [])
    }
    pillar_names = {str(p): code_name(inputs, str(p)) for p in inputs.pillars.index}
    themes = build_themes(findings, spec, panel_names, pillar_names, wording)
    cities = [str(c) for c in inputs.scores.index]
    own: dict[str, list[Finding]] = {c: [] for c in cities}
    for f in findings:
        own.setdefault(f.city_id, []).append(f)
    own_themes: dict[str, list[Theme]] = {c: [] for c in cities}
    for t in themes:
        own_themes.setdefault(t.city_id, []).append(t)
    briefs = {
        c: brief_findings(own[c], own_themes[c], "brief", spec=spec, city_id=c) for c in cities
    }
    spotlight = (
        brief_findings(
            own[spotlight_city],
            own_themes[spotlight_city],
            "spotlight",
            spec=spec,
            city_id=spotlight_city,
        )
        if spotlight_city is not None and spotlight_city in cities
        else None
    )
    story = edition_story(inputs, stages, spec, findings, spotlight, wording)
    return FindingsResult(
        findings=tuple(findings),
        themes=tuple(themes),
        briefs=briefs,
        spotlight=spotlight,
        story=story,
        salience_method=salience_method(spec, wording),
    )


__all__ = [
    "EarlyFindings",
    "FindingsResult",
    "analyse",
    "compute_findings",
    "findings_before_monte_carlo",
    "peer_median_of",
]
