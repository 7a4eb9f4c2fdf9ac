"""The executive summary's story: the leader, the two dimensions, the stages, the movers and
the spotlight, each one sentence with its evidence and caveats."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from reportgen import formatting
from reportgen.analysis.findings.inputs import FindingInputs, code_name, text
from reportgen.analysis.findings.movers import printed_ranks
from reportgen.analysis.findings.records import (
    BriefFindings,
    EditionStory,
    Evidence,
    Finding,
    StoryItem,
)
from reportgen.analysis.findings.salience import finding_weights
from reportgen.analysis.findings.spec import FindingsSpec
from reportgen.analysis.findings.wording import (
    ENGLISH,
    Wording,
    difference_text,
)

MAX_MOVERS = 3
# The spotlight's largest gaps the executive summary names, in natural units.
SPOTLIGHT_GAPS = 3


def _names(inputs: FindingInputs) -> dict[str, str]:
    if "name" not in inputs.cities.columns:
        return {}
    return {
        str(c): formatting.abbreviate(text(n, str(c))) for c, n in inputs.cities["name"].items()
    }


def edition_story(
    inputs: FindingInputs,
    stages: pd.DataFrame,
    spec: FindingsSpec,
    findings: Sequence[Finding],
    spotlight: BriefFindings | None,
    wording: Wording = ENGLISH,
) -> EditionStory:
    """The executive summary: at most one item per topic, each city in at most one item
    besides the spotlight city."""
    names = _names(inputs)
    used: set[str] = set()
    items: list[StoryItem] = []
    for build in (_leader, _dimensions, _stages):
        item = build(inputs, stages, spec, names, wording)
        if item is not None:
            items.append(item)
            used.update(item.city_ids)
    spotlight_city = spotlight.city_id if spotlight is not None else None
    movers = _movers(inputs, findings, names, used - {spotlight_city or ""}, wording)
    if movers is not None:
        items.append(movers)
    if spotlight is not None:
        item = _spotlight(spotlight, names, spec, wording)
        if item is not None:
            items.append(item)
    if wording.chinese:  # the printed form of every sentence (see Wording.capitalise)
        items = [replace(i, sentence=wording.capitalise(i.sentence)) for i in items]
    return EditionStory(items=tuple(items))


def _leader(
    inputs: FindingInputs,
    stages: pd.DataFrame,
    spec: FindingsSpec,
    names: dict[str, str],
    wording: Wording = ENGLISH,
) -> StoryItem | None:
    code = inputs.top
    if code not in inputs.scores.columns:
        return None
    scores = inputs.scores[code].dropna().sort_values(ascending=False, kind="stable")
    if len(scores) < 2:
        return None
    ranks = printed_ranks(inputs.scores[[code]])[code]
    leaders = [str(c) for c in ranks.index[ranks == 1]]
    leader = leaders[0] if len(leaders) == 1 else None
    pillars = [str(p) for p in inputs.pillars.index if p in inputs.scores.columns]
    weights = finding_weights(inputs)
    evidence: list[Evidence] = []
    if leader is None:
        record = Evidence(
            role="score", label="Lead score", value=float(scores.iloc[0]), unit="score"
        )
        return StoryItem(
            topic="leader",
            sentence=wording.template("story_joint_lead").format(
                cities=wording.join_words([names.get(c, c) for c in leaders]),
                index=code_name(inputs, code),
                score=wording.text(record),
            ),
            city_ids=tuple(leaders),
            evidence=(record,),
        )
    runner = str(scores.index[1])
    top = Evidence(
        role="score", label=names.get(leader, leader), value=float(scores.iloc[0]), unit="score"
    )
    second = Evidence(
        role="runner_up", label=names.get(runner, runner), value=float(scores.iloc[1]), unit="score"
    )
    evidence += [top, second]
    medians = inputs.scores[pillars].median()
    margin = (inputs.scores.loc[leader, pillars] - medians) * weights.loc[leader].reindex(
        pillars
    ).fillna(0.0)
    standout = [
        p for p in margin.sort_values(ascending=False, kind="stable").index[:2] if margin[p] > 0
    ]
    parts = []
    for p in standout:
        own = Evidence(
            role=f"pillar_{p}",
            label=code_name(inputs, p),
            value=float(inputs.scores.at[leader, p]),
            unit="score",
        )
        median = Evidence(
            role=f"median_{p}",
            label=f"Median of all cities, {code_name(inputs, p)}",
            value=float(medians[p]),
            unit="score",
        )
        evidence += [own, median]
        parts.append(
            wording.template("story_leader_pillar").format(
                pillar=code_name(inputs, p), value=wording.text(own), median=wording.text(median)
            )
        )
    sentence = wording.template("story_leader").format(
        city=names.get(leader, leader),
        index=code_name(inputs, code),
        score=wording.text(top),
        difference=difference_text(top.value or 0.0, second.value or 0.0, "score"),
        runner=names.get(runner, runner),
        runner_score=wording.text(second),
        n=len(scores),
        standout=wording.join_words(parts),
    )
    return StoryItem(
        topic="leader",
        sentence=sentence,
        city_ids=(leader, runner),
        evidence=tuple(evidence),
    )


def _strength_words(r: float) -> str:
    size = abs(r)
    if size < 0.1:
        return "no clear"
    if size < 0.3:
        return "a weak"
    if size < 0.5:
        return "a moderate"
    if size < 0.7:
        return "a fairly strong"
    return "a strong"


def _relation(words: str, r: float, wording: Wording) -> str:
    """'a weak positive relation': the strength words, the sign and the noun, in the language."""
    if not wording.chinese:
        direction = "" if words == "no clear" else (" positive" if r > 0 else " negative")
        return f"{words}{direction} relation"
    _ = wording.gettext
    strength = {
        "no clear": _("no clear"),
        "a weak": _("a weak"),
        "a moderate": _("a moderate"),
        "a fairly strong": _("a fairly strong"),
        "a strong": _("a strong"),
    }[words]
    if words == "no clear":
        return _("{strength} relation").format(strength=strength)
    sign = _("positive") if r > 0 else _("negative")
    return _("{strength} {sign} relation").format(strength=strength, sign=sign)


def _dimensions(
    inputs: FindingInputs,
    stages: pd.DataFrame,
    spec: FindingsSpec,
    names: dict[str, str],
    wording: Wording = ENGLISH,
) -> StoryItem | None:
    if len(inputs.dimensions) < 2:
        return None
    x, y = inputs.dimensions[:2]
    if not {x, y} <= set(inputs.scores.columns):
        return None
    both = inputs.scores[[x, y]].dropna()
    if len(both) < 3:
        return None
    r = float(np.corrcoef(both[x], both[y])[0, 1])
    if math.isnan(r):
        return None
    record = Evidence(
        role="correlation", label=f"Pearson correlation of {x} and {y}", value=r, unit=""
    )
    words = _strength_words(r)
    if words in ("no clear", "a weak"):
        meaning = wording.template("story_dimensions_apart")
    elif r > 0:
        meaning = wording.template("story_dimensions_together")
    else:
        meaning = wording.template("story_dimensions_against")
    sentence = wording.template("story_dimensions").format(
        n=len(both),
        tdp=code_name(inputs, x),
        ecc=code_name(inputs, y),
        relation=_relation(words, r, wording),
        r=f"{r:.2f}".replace("-", "\u2212"),
        meaning=meaning,
    )
    return StoryItem(
        topic="dimensions",
        sentence=sentence,
        evidence=(record,),
        caveats=(wording.template("story_dimensions_caveat"),),
    )


def _stages(
    inputs: FindingInputs,
    stages: pd.DataFrame,
    spec: FindingsSpec,
    names: dict[str, str],
    wording: Wording = ENGLISH,
) -> StoryItem | None:
    assigned = stages[stages["stage_id"].astype(str) != "unassigned"]
    if assigned.empty:
        return None
    axes = [d for d in inputs.dimensions[:2] if d in assigned.columns]
    level = assigned.groupby("stage_id")[axes].mean().sum(axis=1)
    order = level.sort_values(ascending=False, kind="stable").index
    counts = assigned["stage_id"].value_counts()
    stage_names = assigned.groupby("stage_id")["stage_name"].first()
    evidence = [
        Evidence(role=f"count_{s}", label=str(stage_names[s]), value=float(counts[s]), unit="count")
        for s in order
    ]
    part = wording.gettext("{stage} ({count})")
    parts = [
        part.format(stage=stage_names[s], count=wording.text(e))
        for s, e in zip(order, evidence, strict=True)
    ]
    sentence = wording.template("story_stages").format(
        n=len(assigned), k=len(order), parts=wording.join_words(list(parts))
    )
    borderline: list[str] = []
    probabilities = inputs.stage_probabilities
    if probabilities is not None:
        for city_id, row in assigned.iterrows():
            stage_id = str(row["stage_id"])
            if city_id in probabilities.index and stage_id in probabilities.columns:
                p = float(probabilities.at[city_id, stage_id])
                if p < spec.borderline_probability:
                    record = Evidence(
                        role=f"probability_{city_id}",
                        label=f"{names.get(str(city_id), city_id)} in its stage",
                        value=p,
                        unit="share",
                    )
                    evidence.append(record)
                    borderline.append(
                        wording.template("story_borderline_city").format(
                            city=names.get(str(city_id), str(city_id)),
                            stage=row["stage_name"],
                            probability=wording.text(record),
                        )
                    )
    city_ids: tuple[str, ...] = ()
    if borderline:
        threshold = wording.format_value(spec.borderline_probability, "share")
        if wording.chinese:
            who = wording.gettext("{n} cities hold their stage").format(n=len(borderline))
        else:
            who = (
                "One city holds its stage"
                if len(borderline) == 1
                else f"{_count_words(len(borderline))} hold their stage"
            )
        sentence += wording.template("story_borderline").format(
            who=who,
            cities=wording.join_words(borderline),
            threshold=threshold,
        )
        opening = "（" if wording.chinese else " ("
        city_ids = tuple(
            str(c)
            for c in assigned.index
            if any(f"{names.get(str(c), str(c))}{opening}" in b for b in borderline)
        )
    return StoryItem(topic="stages", sentence=sentence, city_ids=city_ids, evidence=tuple(evidence))


_COUNT_WORDS = (
    "No city",
    "One city",
    "Two cities",
    "Three cities",
    "Four cities",
    "Five cities",
    "Six cities",
    "Seven cities",
    "Eight cities",
    "Nine cities",
    "Ten cities",
)


def _count_words(n: int) -> str:
    return _COUNT_WORDS[n] if n < len(_COUNT_WORDS) else f"{n} cities"


def _mover_clause(finding: Finding, names: dict[str, str], wording: Wording = ENGLISH) -> str:
    rank, previous = finding.evidence_for("rank"), finding.evidence_for("previous_rank")
    assert rank is not None
    assert previous is not None
    _ = wording.gettext
    verb = _("rose") if (previous.value or 0) > (rank.value or 0) else _("fell")
    label = (
        _("overall")
        if finding.subject_kind == "overall"
        else _("on {subject}").format(subject=finding.subject_name)
    )
    clause = wording.template("story_mover").format(
        city=names.get(finding.city_id, finding.city_id),
        verb=verb,
        label=label,
        previous=wording.rank_text(previous.value or 0, False),
        current=wording.rank_text(rank.value or 0, False),
    )
    own = [c for c in finding.contributions if abs(c.own) >= 0.05]
    if own:
        driver = max(own, key=lambda c: abs(c.own))
        clause += wording.template("story_mover_driver").format(
            label=driver.label,
            previous_value=wording.format_value(driver.previous_value, driver.unit),
            value=wording.format_value(driver.value, driver.unit),
        )
    elif finding.contributions:
        clause += wording.template("story_mover_others")
    return clause


def _rank_moved(finding: Finding) -> bool:
    blank = Evidence(role="", label="", value=0, unit="")
    rank = finding.evidence_for("rank") or blank
    return rank.value != (finding.evidence_for("previous_rank") or blank).value


def _movers(
    inputs: FindingInputs,
    findings: Sequence[Finding],
    names: dict[str, str],
    used: set[str],
    wording: Wording = ENGLISH,
) -> StoryItem | None:
    if inputs.previous_ranks is None:
        return None
    # One move per city: its overall move if it has one, else its largest dimension move;
    # then overall moves first, by salience. Going down that order, the first move of each city
    # is the one kept, so only the moves looked at need their words (to check the rank moved).
    ordered = sorted(
        (
            f
            for f in findings
            if f.kind == "mover"
            and f.subject_kind in ("overall", "dimension")
            and f.salience.robustness >= 0.5
            and f.city_id not in used
        ),
        key=lambda f: (f.subject_kind != "overall", -round(f.salience.value, 12), f.city_id),
    )
    picked: dict[str, Finding] = {}
    for f in ordered:
        if len(picked) == MAX_MOVERS:
            break
        if f.city_id not in picked and _rank_moved(f):
            picked[f.city_id] = f
    candidates = list(picked.values())
    if not candidates:
        return StoryItem(topic="movers", sentence=wording.template("story_no_movers"))
    clauses = [_mover_clause(f, names, wording) for f in candidates]
    return StoryItem(
        topic="movers",
        sentence=wording.capitalise(
            wording.template("story_movers").format(clauses=wording.semicolon().join(clauses))
        ),
        city_ids=tuple(f.city_id for f in candidates),
        evidence=tuple(e for f in candidates for e in f.evidence),
        caveats=tuple(dict.fromkeys(c for f in candidates for c in f.caveats)),
    )


def _spotlight(
    spotlight: BriefFindings,
    names: dict[str, str],
    spec: FindingsSpec,
    wording: Wording = ENGLISH,
) -> StoryItem | None:
    city = names.get(spotlight.city_id, spotlight.city_id)
    stage = spotlight.stage
    if stage is None:
        return None
    probability = stage.evidence_for("probability")
    borderline = (
        probability is not None
        and probability.value is not None
        and probability.value < spec.borderline_probability
    )
    stage_phrase = (
        wording.template("story_spotlight_borderline").format(
            stage=stage.subject_name, probability=wording.text(probability) if probability else ""
        )
        if borderline
        else wording.template("story_spotlight_stage").format(stage=stage.subject_name)
    )
    gaps = spotlight.gaps[:SPOTLIGHT_GAPS]
    evidence = list(stage.evidence)
    # The stage's data caveats travel; its note on how levers are computed stays in the brief.
    caveats = [c for c in stage.caveats if c != wording.caveat("weights")]
    if gaps:
        details = []
        for theme in gaps:
            indicators = [f for f in theme.findings if f.subject_kind == "indicator"]
            # The most salient value the city has, before one only bounded by a list.
            lead = next((f for f in indicators if "bounded" not in f.flags), None) or next(
                iter(indicators), None
            )
            head = theme.findings[0] if theme.findings[0].subject_kind != "indicator" else None
            parts = [head.clause] if head is not None else []
            parts += [lead.clause] if lead is not None else []
            with_ = wording.gettext(", with ")
            details.append(
                wording.template("story_spotlight_detail").format(
                    pillar=theme.pillar_name, parts=with_.join(parts)
                )
                if head is None
                else with_.join(parts)
            )
            # What is printed carries its caveats: the pillar's and the quoted indicator's, and
            # what the data cannot measure; the theme's other indicators are not in the line.
            for f in (head, lead):
                evidence += list(f.evidence) if f is not None else []
                caveats += list(f.caveats) if f is not None else []
            if theme.pillar in spec.unmeasured:
                caveats.append(spec.unmeasured[theme.pillar])
        sentence = wording.template("story_spotlight").format(
            city=city,
            stage=stage_phrase,
            group=wording.group_name(gaps[0].comparison.name),
            pillars=wording.join_words([t.pillar_name for t in gaps]),
            details=wording.semicolon().join(details),
        )
    else:
        sentence = wording.template("story_spotlight_no_gaps").format(city=city, stage=stage_phrase)
    return StoryItem(
        topic="spotlight",
        sentence=sentence,
        city_ids=(spotlight.city_id,),
        evidence=tuple(evidence),
        caveats=tuple(dict.fromkeys(caveats)),
    )
