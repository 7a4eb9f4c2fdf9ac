"""The annual report's view-model: chapters, tables and figures, formatted for the templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reportgen import formatting
from reportgen.pipeline import EditionResult
from reportgen.report import charts, theme
from reportgen.report.context.common import (
    FLAG_NOTE,
    ChartBook,
    CityLabel,
    KeyFigure,
    Meta,
    SourceRegistry,
    city_labels,
    finding_view,
    indicator_rows,
    interval_text,
    meta_of,
    peer_members,
    plane_figure,
    rank_change_text,
    select_findings,
    source_line,
    stage_classes,
)
from reportgen.report.methodology import compact_build_yaml, describe_build


@dataclass(frozen=True)
class ContentsEntry:
    anchor: str
    title: str
    level: int


@dataclass(frozen=True)
class RankRow:
    rank: str
    city: CityLabel
    stage: str
    stage_class: str
    overall: str
    interval: str
    tdp: str
    tdp_rank: str
    ecc: str
    ecc_rank: str
    change: str
    is_spotlight: bool


@dataclass(frozen=True)
class Chapter:
    """One chapter: its template, anchor and title, and the fields that template prints."""

    template: str
    anchor: str
    title: str
    sections: tuple[tuple[str, str], ...]  # (anchor suffix, title) for contents and bookmarks
    fields: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        # Only called for names that are not attributes; guard 'fields' itself for unpickling.
        if name.startswith("__") or name == "fields":
            raise AttributeError(name)
        try:
            return self.fields[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class AnnualContext:
    meta: Meta
    contents: tuple[ContentsEntry, ...]
    chapters: tuple[Chapter, ...]
    ranking: tuple[RankRow, ...]
    has_intervals: bool
    has_previous: bool
    charts: dict[str, Any]


def _ranking_rows(result: EditionResult, labels: dict[str, CityLabel]) -> list[RankRow]:
    scores, ranks, stages = result.scores, result.ranks, result.stages
    classes = stage_classes(result)
    order = (
        scores.assign(_r=ranks["Overall"], _n=[labels[c].name for c in scores.index])
        .sort_values(["_r", "_n"])
        .index
    )
    spotlight = result.edition.spotlight_city
    rows = []
    for city_id in order:
        rows.append(
            RankRow(
                rank=formatting.rank(ranks.at[city_id, "Overall"]),
                city=labels[city_id],
                stage=str(stages.at[city_id, "stage_name"]),
                stage_class=classes.get(str(stages.at[city_id, "stage_id"]), "stage-6"),
                overall=formatting.score(scores.at[city_id, "Overall"]),
                interval=interval_text(result, "Overall", city_id),
                tdp=formatting.score(scores.at[city_id, "TDP"]),
                tdp_rank=formatting.rank(ranks.at[city_id, "TDP"]),
                ecc=formatting.score(scores.at[city_id, "ECC"]),
                ecc_rank=formatting.rank(ranks.at[city_id, "ECC"]),
                change=rank_change_text(result, "Overall", city_id),
                is_spotlight=city_id == spotlight,
            )
        )
    return rows


def _names(labels: dict[str, CityLabel]) -> dict[str, str]:
    return {k: v.short_name for k, v in labels.items()}


def _summary_chapter(
    result: EditionResult, labels: dict[str, CityLabel], book: ChartBook, number: int
) -> Chapter:
    scores, stages = result.scores, result.stages
    names = _names(labels)
    leader = scores["Overall"].idxmax()
    tdp_leader, ecc_leader = scores["TDP"].idxmax(), scores["ECC"].idxmax()
    counts = stages["stage_name"].value_counts()
    stage_list = ", ".join(f"{n} {name}" for name, n in counts.items())
    corr = scores["TDP"].corr(scores["ECC"], method="spearman")
    lead = [
        f"{names[leader]} leads the {result.year} edition with an overall score of "
        f"{scores.at[leader, 'Overall']:.1f}. {names[tdp_leader]} has the highest Technology "
        f"Development Potential ({scores.at[tdp_leader, 'TDP']:.1f}) and {names[ecc_leader]} the "
        f"highest Ecosystem Co-Benefit Capacity ({scores.at[ecc_leader, 'ECC']:.1f}).",
        f"Across the {len(scores)} cities the two dimensions are only loosely related (Spearman "
        f"rank correlation {corr:.2f}): a large technology base does not by itself bring "
        f"prosperity, affordability and liveability. The cities fall into {len(counts)} "
        f"development stages: {stage_list}.",
    ]
    spotlight = result.edition.spotlight_city
    figures = [
        KeyFigure(str(len(scores)), "cities scored"),
        KeyFigure(str(len(result.index.framework.indicators)), "indicators in the index"),
        KeyFigure(f"{corr:.2f}", "rank correlation of TDP and ECC", "tdp"),
    ]
    if spotlight is not None and spotlight in stages.index:
        figures.append(
            KeyFigure(str(stages.at[spotlight, "stage_name"]), f"stage of {names[spotlight]}", "hl")
        )
    findings = [finding_view(f, names, False) for f in select_findings(result, "executive_summary")]
    plane = plane_figure(book, result, labels, highlight=spotlight, height=560)
    return Chapter(
        "summary.html",
        "summary",
        f"{number}. Executive summary",
        (("findings", "Key findings"), ("plane", "The TDP × ECC plane")),
        {"lead": lead, "key_figures": figures, "findings": findings, "plane": plane},
    )


def _rankings_chapter(
    result: EditionResult, labels: dict[str, CityLabel], book: ChartBook, number: int
) -> Chapter:
    scores = result.scores
    frame = pd.DataFrame(
        {
            "city_id": scores.index,
            "label": [labels[c].short_name for c in scores.index],
            "Overall": scores["Overall"].to_numpy(),
            "TDP": scores["TDP"].to_numpy(),
            "ECC": scores["ECC"].to_numpy(),
        }
    )
    chart = charts.ranking_chart(
        frame, source=source_line(result), highlight=result.edition.spotlight_city
    )
    fig = book.add(
        chart,
        "Bar chart of the overall score of every city, best first, with its TDP "
        "and ECC scores as dots.",
    )
    intro = [
        "Cities are ranked by the overall score, the weighted mean of the two dimensions. Ranks "
        "are competition ranks: tied cities share the better rank.",
    ]
    note = "Scores run from 0 to 100 within this edition's set of cities."
    if result.uncertainty is not None:
        note += (
            " The rank range is the 5th to 95th percentile of the city's rank over "
            f"{result.uncertainty.spec.n:,} Monte Carlo replications of the modelling "
            "choices (see Robustness)."
        )
    if result.previous is not None:
        note += f" Change: places gained (▲) or lost (▼) since the {result.previous.year} edition."
    return Chapter(
        "rankings.html",
        "rankings",
        f"{number}. Rankings",
        (("table", "Ranking table"), ("chart", "Scores at a glance")),
        {"intro": intro, "table_note": note, "chart": fig},
    )


@dataclass(frozen=True)
class PillarRow:
    name: str
    description: str
    weight: str
    indicators: tuple[str, ...]
    leaders: tuple[str, ...]
    median: str


def _dimension_chapter(
    result: EditionResult,
    dimension: str,
    labels: dict[str, CityLabel],
    book: ChartBook,
    number: int,
) -> Chapter:
    spec = next(d for d in result.edition.framework.dimensions if d.id == dimension)
    framework = result.index.framework
    pillars = [
        p
        for p in result.edition.framework.pillars
        if p.dimension == dimension and p.id in framework.codes_at(2)
    ]
    names = _names(labels)
    scores = result.scores
    indicator_names = result.panel.indicators["short_name"]
    rows = []
    for pillar in pillars:
        top = scores[pillar.id].sort_values(ascending=False).head(3)
        rows.append(
            PillarRow(
                name=pillar.name,
                description=pillar.description,
                weight=f"{pillar.weight:g}",
                indicators=tuple(
                    str(indicator_names.get(i, i)) for i in framework.children(pillar.id)
                ),
                leaders=tuple(f"{names[c]} ({v:.0f})" for c, v in top.items()),
                median=formatting.score(scores[pillar.id].median()),
            )
        )
    order = scores.sort_values(dimension, ascending=False).index
    matrix = scores.loc[order, [p.id for p in pillars] + [dimension]].copy()
    matrix.index = [names[c] for c in order]
    matrix.columns = [p.name for p in pillars] + [dimension]
    heat = charts.heatmap_chart(
        matrix,
        title=f"{dimension} pillar scores by city",
        source=source_line(result),
        value_title="Score (0-100)",
        cell_height=12,
    )
    fig = book.add(
        heat,
        f"Heatmap of {len(pillars)} {dimension} pillar scores and the {dimension} "
        f"score for {len(order)} cities, sorted by {dimension}.",
    )
    leader = scores[dimension].idxmax()
    intro = [
        spec.description,
        f"{names[leader]} leads {dimension} with {scores.at[leader, dimension]:.1f}; the median "
        f"city scores {scores[dimension].median():.1f}. The dimension combines "
        f"{len(pillars)} pillars with the weights below.",
    ]
    return Chapter(
        "dimension.html",
        dimension.lower(),
        f"{number}. {spec.name}",
        (("pillars", "Pillars and leaders"), ("heatmap", "Pillar scores by city")),
        {
            "intro": intro,
            "pillars": rows,
            "heatmap": fig,
            "short": dimension,
            "css_class": f"dim-{dimension.lower()}",
        },
    )


@dataclass(frozen=True)
class StageRow:
    name: str
    css_class: str
    rule: str
    description: str
    members: str


@dataclass(frozen=True)
class LeverRow:
    city: str
    stage: str
    target: str
    shortfall: str
    text: str


def _lever_rows(result: EditionResult, names: dict[str, str]) -> list[LeverRow]:
    """Per city below the top stage: points short of the next stage and the two largest levers."""
    from reportgen.analysis.stages import next_stage_levers

    pillars = pd.DataFrame(
        [
            {"pillar": p.id, "name": p.name, "dimension": p.dimension, "weight": p.weight}
            for p in result.edition.framework.pillars
            if p.id in result.scores.columns
        ]
    ).set_index("pillar")
    levers = next_stage_levers(result.scores, result.stages, pillars)
    stages = result.stages
    rows = []
    for city_id in result.scores["Overall"].sort_values(ascending=False).index:
        target = str(stages.at[city_id, "target_stage_name"] or "")
        mine = levers[(levers["city_id"] == city_id) & (levers["dimension_gain"] > 0.05)]
        if not target or mine.empty:
            continue
        top = mine.sort_values("lever_rank").head(2)
        text = "; ".join(
            f"{pillars.at[r.pillar, 'name']} {r.pillar_score:.0f} → {r.peer_median:.0f} "
            f"(+{r.dimension_gain:.1f} {r.dimension})"
            for r in top.itertuples()
        )
        shortfall = " + ".join(
            f"{v:.1f} {d}"
            for d, v in (
                ("TDP", stages.at[city_id, "tdp_shortfall"]),
                ("ECC", stages.at[city_id, "ecc_shortfall"]),
            )
            if pd.notna(v) and v > 0
        )
        rows.append(
            LeverRow(names[city_id], str(stages.at[city_id, "stage_name"]), target, shortfall, text)
        )
    return rows


def _rule_text(band: Any, axis: str, threshold: float) -> str:
    if band == "high":
        return f"{axis} ≥ {threshold:.1f}"
    if band == "low":
        return f"{axis} < {threshold:.1f}"
    if band == "any":
        return f"any {axis}"
    lo, hi = band
    return f"{axis} in [{lo}, {hi})"


def _stages_chapter(
    result: EditionResult, labels: dict[str, CityLabel], book: ChartBook, number: int
) -> Chapter:
    stages_spec = result.edition.stages
    stages = result.stages
    names = _names(labels)
    classes = stage_classes(result)
    cut_t = float(stages["tdp_threshold"].iloc[0])
    cut_e = float(stages["ecc_threshold"].iloc[0])
    rows = []
    for stage in stages_spec.stages:
        members = stages.index[stages["stage_id"] == stage.id]
        ordered = result.scores.loc[members, "Overall"].sort_values(ascending=False).index
        rows.append(
            StageRow(
                name=stage.name,
                css_class=classes[stage.id],
                rule=(
                    f"{_rule_text(stage.rule.tdp, 'TDP', cut_t)}; "
                    f"{_rule_text(stage.rule.ecc, 'ECC', cut_e)}"
                ),
                description=stage.description,
                members=", ".join(names[c] for c in ordered) or "none this edition",
            )
        )
    thresholds = stages_spec.thresholds
    intro = [
        "Each city's stage follows from where it sits on the TDP × ECC plane. The typology is "
        f"declared in the edition file: the TDP axis is cut at the {thresholds.tdp} "
        f"({cut_t:.1f}) and the ECC axis at the {thresholds.ecc} ({cut_e:.1f}) of this "
        "edition's cities, so a stage describes a city's position relative to its peers.",
    ]
    if result.stage_probabilities is not None:
        intro.append(
            "The probability that each city belongs to its stage, over the Monte Carlo "
            "replications of the modelling choices, is printed in its brief."
        )
    levers = _lever_rows(result, names)
    plane = plane_figure(
        book, result, labels, height=430, title="Development stages on the TDP × ECC plane"
    )
    return Chapter(
        "stages.html",
        "stages",
        f"{number}. Development stages",
        (("typology", "The stages"),)
        + ((("levers", "What separates cities from the next stage"),) if levers else ()),
        {
            "intro": intro,
            "plane": plane,
            "stages": rows,
            "levers": levers,
            "levers_note": "Each lever raises one pillar to the median of the cities "
            "already in the next stage and shows how much the dimension "
            "score would gain (weighted arithmetic mean of pillars).",
        },
    )


def _spotlight_chapter(
    result: EditionResult, labels: dict[str, CityLabel], book: ChartBook, number: int
) -> Chapter | None:
    from reportgen.report.context.brief import pillar_profile_figure

    city_id = result.edition.spotlight_city
    if city_id is None or city_id not in result.scores.index:
        return None
    names = _names(labels)
    name = names[city_id]
    scores, ranks, stages = result.scores, result.ranks, result.stages
    n = len(scores)
    figures = [
        KeyFigure(
            f"{scores.at[city_id, 'Overall']:.1f}",
            f"overall score, rank {ranks.at[city_id, 'Overall']} of {n}",
        ),
        KeyFigure(
            f"{scores.at[city_id, 'TDP']:.1f}", f"TDP, rank {ranks.at[city_id, 'TDP']}", "tdp"
        ),
        KeyFigure(
            f"{scores.at[city_id, 'ECC']:.1f}", f"ECC, rank {ranks.at[city_id, 'ECC']}", "ecc"
        ),
        KeyFigure(str(stages.at[city_id, "stage_name"]), "development stage", "hl"),
    ]
    peer_name, peers = spotlight_peers(result, city_id)
    findings = [
        finding_view(f, names, False)
        for f in select_findings(result, "spotlight", city_id=city_id, n=8)
    ]
    plane = plane_figure(
        book, result, labels, highlight=city_id, height=330, title=f"{name} on the TDP × ECC plane"
    )
    profile = pillar_profile_figure(book, result, city_id, peers, peer_name, name, width=560)
    intro = [
        f"This edition's spotlight is {name}. Its position, stage and the gaps that separate it "
        f"from its peers are computed from the data and would change if the data changed."
    ]
    return Chapter(
        "spotlight.html",
        "spotlight",
        f"{number}. Spotlight: {name}",
        (
            ("findings", f"Strengths and gaps against {peer_name}"),
            ("indicators", "Indicators against peers"),
        ),
        {
            "intro": intro,
            "key_figures": figures,
            "plane": plane,
            "profile": profile,
            "findings": findings,
            "peer_name": peer_name,
            "peer_members": ", ".join(names.get(p, p) for p in peers),
            "indicator_rows": indicator_rows(result, city_id, peers, None),
            "flag_note": FLAG_NOTE.format(age=result.edition.findings.max_data_age),
        },
    )


def spotlight_peers(result: EditionResult, city_id: str) -> tuple[str, list[str]]:
    """The spotlight's comparison group: the named group its findings use, else its stage."""
    findings_spec = result.edition.findings
    named = findings_spec.named_groups()
    for group_id in findings_spec.publications.spotlight.peer_groups:
        if group_id in named:
            name, members = named[group_id]
            return f"{name} peers", [
                m for m in members if m != city_id and m in result.scores.index
            ]
    return peer_members(result, city_id)


@dataclass(frozen=True)
class ChangeRow:
    city: str
    rank_before: str
    rank_now: str
    rank_change: str
    score_before: str
    score_now: str
    tdp_change: str
    ecc_change: str


def _changes_chapter(
    result: EditionResult, labels: dict[str, CityLabel], number: int
) -> Chapter | None:
    if result.previous is None:
        return None
    names = _names(labels)
    before_s, before_r = result.previous.index.scores, result.previous.index.ranks
    now_s, now_r = result.scores, result.ranks
    rows = []
    common = [c for c in now_s.sort_values("Overall", ascending=False).index if c in before_s.index]
    for c in common:
        rows.append(
            ChangeRow(
                city=names[c],
                rank_before=str(before_r.at[c, "Overall"]),
                rank_now=str(now_r.at[c, "Overall"]),
                rank_change=formatting.signed_int(
                    int(before_r.at[c, "Overall"]) - int(now_r.at[c, "Overall"])
                ),
                score_before=formatting.score(before_s.at[c, "Overall"]),
                score_now=formatting.score(now_s.at[c, "Overall"]),
                tdp_change=formatting.signed(now_s.at[c, "TDP"] - before_s.at[c, "TDP"]),
                ecc_change=formatting.signed(now_s.at[c, "ECC"] - before_s.at[c, "ECC"]),
            )
        )
    movers = [finding_view(f, names, False) for f in result.findings if f.kind == "mover"]
    movers = movers[:8]
    intro = [
        f"The {result.previous.year} edition is recomputed with the same build on the data "
        f"available then, so the changes below come from new data, not from a change of "
        "method."
    ]
    return Chapter(
        "changes.html",
        "changes",
        f"{number}. Changes since {result.previous.year}",
        ((("movers", "Movers"),) if movers else ())
        + (("table", f"Ranks in {result.previous.year} and {result.year}"),),
        {
            "intro": intro,
            "findings": movers,
            "rows": rows,
            "previous_year": result.previous.year,
            "year": result.year,
            "note": "Rank change: places gained (+) or lost (−). Score changes are in points "
            "of the 0-100 scale, which is re-anchored each edition.",
        },
    )


@dataclass(frozen=True)
class SensitivityRow:
    name: str
    alternatives: str
    first: str
    total: str


@dataclass(frozen=True)
class ConsistencyRow:
    name: str
    count: str
    alpha: str
    pc1: str
    flags: str


@dataclass(frozen=True)
class WeightRow:
    name: str
    parent: str
    nominal: str
    effective: str


FACTOR_LABELS = {
    "imputation": "Imputation method",
    "winsorisation": "Winsorisation limit",
    "normalisation": "Normalisation method",
    "weights": "Weights (random noise)",
    "aggregation": "Aggregation method",
    "drop_indicator": "Dropping one indicator",
}


def _alternatives_text(spec: Any, factor: str) -> str:
    value = getattr(spec, factor)
    if factor == "weights" and value is not None:
        return f"±{value.noise:.0%} uniform at levels {', '.join(str(x) for x in value.levels)}"
    if factor == "drop_indicator":
        return "each scored indicator in turn"
    if factor == "winsorisation":
        return ", ".join(str(v) for v in value)
    return "; ".join(", ".join(f"{k}={v}" for k, v in alt.items()) for alt in value)


def _robustness_chapter(
    result: EditionResult, labels: dict[str, CityLabel], book: ChartBook, number: int
) -> Chapter:
    from reportgen.index.stats import audit

    names = _names(labels)
    code_names = _code_names(result)
    intro: list[str] = []
    fields: dict[str, Any] = {
        "intervals": None,
        "sensitivity_rows": [],
        "sensitivity_note": "",
        "correlations": None,
    }
    mc = result.uncertainty
    sections: list[tuple[str, str]] = []
    if mc is not None:
        spec = mc.spec
        summary = mc.rank_summary("Overall")
        frame = pd.DataFrame(
            {
                "city_id": summary.index.astype(str),
                "label": [names[c] for c in summary.index],
                "nominal": summary["nominal"].to_numpy(float),
                "median": summary["median"].to_numpy(float),
                "low": summary["p05"].to_numpy(float),
                "high": summary["p95"].to_numpy(float),
            }
        )
        widths = frame["high"] - frame["low"]
        factors = ", ".join(FACTOR_LABELS[f].lower() for f in spec.factors())
        intro.append(
            f"A rank depends on choices that reasonable analysts could make differently. The "
            f"index was rebuilt {spec.n:,} times (seed {spec.seed}), each time drawing at random "
            f"among the alternatives for: {factors}. The median city's 5-95% rank range spans "
            f"{widths.median():.0f} places; the widest spans {widths.max():.0f} "
            f"({names[frame.loc[widths.idxmax(), 'city_id']]})."
        )
        chart = charts.interval_chart(
            frame,
            title="Overall rank and its 5-95% interval",
            source=source_line(result),
            highlight=result.edition.spotlight_city,
        )
        fields["intervals"] = book.add(
            chart,
            "Chart of each city's nominal and median overall rank with a bar from its "
            "5th to its 95th percentile rank across the Monte Carlo replications.",
        )
        sections.append(("intervals", "Rank intervals"))
        if mc.sensitivity is not None and not mc.sensitivity.empty:
            table = mc.sensitivity
            rows = []
            for factor, row in table.iterrows():
                rows.append(
                    SensitivityRow(
                        name=FACTOR_LABELS.get(str(factor), str(factor)),
                        alternatives=_alternatives_text(spec, str(factor)),
                        first=f"{row['first_order']:.2f}",
                        total=f"{row['total_order']:.2f}",
                    )
                )
            fields["sensitivity_rows"] = rows
            fields["sensitivity_note"] = (
                "Sobol sensitivity indices of the mean absolute rank shift from the nominal "
                "ranking (Saltelli design, Jansen estimators). First order: share of the variance "
                "due to the choice alone; total order: including its interactions."
            )
            sections.append(("sensitivity", "Which choices move the ranks"))
    else:
        intro.append(
            "The uncertainty analysis was not run for this build (no uncertain inputs "
            "declared in the edition file)."
        )

    audit_result = audit(result.index)
    consistency = audit_result.consistency
    pillar_rows = []
    for _, row in consistency[consistency["level"] == 2].iterrows():
        flags = []
        if row["n_indicators"] > 1 and not row["alpha_ok"]:
            flags.append("α below 0.7")
        pillar_rows.append(
            ConsistencyRow(
                name=code_names.get(str(row["code"]), str(row["code"])),
                count=str(row["n_indicators"]),
                alpha=formatting.score(row["cronbach_alpha"], 2)
                if row["n_indicators"] > 1
                else "–",
                pc1=formatting.percent(row["pc1_share"]) if row["n_indicators"] > 1 else "–",
                flags="; ".join(flags),
            )
        )
    parent = audit_result.parent_correlations
    framework = result.index.framework
    # A pillar's only indicator trivially correlates 1 with it: judge pillars of two or more.
    shared = parent["parent"].map(lambda p: len(framework.children(str(p))) > 1)
    weak = parent[(parent["flag"] == "weak") & (parent["level"] == 1) & shared]
    redundant = parent[(parent["flag"] == "redundant") & (parent["level"] == 1) & shared]
    treated = result.index.treatment_log
    n_treated = int((treated.get("treatment", pd.Series(dtype=str)).fillna("none") != "none").sum())
    audit_text = [
        f"The audit follows JRC practice. {n_treated} indicators were treated for outliers (see "
        f"Methodology). {len(weak)} indicators correlate weakly with their pillar (r < 0.3): "
        f"{_list(code_names, weak['code'])}. {len(redundant)} are nearly redundant with it "
        f"(r > 0.92): {_list(code_names, redundant['code'])}.",
        "Pillars with several indicators should be internally consistent (Cronbach's α ≥ 0.7) "
        "and dominated by one principal component.",
    ]
    ew = audit_result.effective_weights
    weight_rows = []
    for _, row in ew[(ew["level"] == 2) & (ew["parent_level"] == 3)].iterrows():
        code = str(row["code"])
        weight_rows.append(
            WeightRow(
                code_names.get(code, code),
                code_names.get(str(row["parent"]), str(row["parent"])),
                formatting.percent(row["nominal"]),
                formatting.percent(row["effective"]),
            )
        )
    corr = result.scores[[*list(result.index.framework.codes_at(2)), "TDP", "ECC"]].corr()
    corr.index = [code_names.get(str(c), str(c)) for c in corr.index]
    corr.columns = corr.index
    heat = charts.heatmap_chart(
        corr,
        title="Correlations between pillars and dimensions",
        source=source_line(result),
        value_title="Pearson r",
        domain=(-1, 1),
        scheme=theme.DIVERGING_SCHEME,
        decimals=2,
        cell_height=22,
        width=560,
    )
    fields["correlations"] = book.add(
        heat, "Heatmap of Pearson correlations between the pillar scores and the two dimensions."
    )
    sections.append(("audit", "Statistical audit"))
    fields.update(
        {
            "intro": intro,
            "audit_text": audit_text,
            "pillar_rows": pillar_rows,
            "weight_rows": weight_rows,
        }
    )
    return Chapter(
        "robustness.html", "robustness", f"{number}. Robustness and audit", tuple(sections), fields
    )


def _list(code_names: dict[str, str], codes: Any) -> str:
    items = [code_names.get(str(c), str(c)) for c in codes]
    return ", ".join(items) if items else "none"


def _code_names(result: EditionResult) -> dict[str, str]:
    names = {str(k): str(v) for k, v in result.panel.indicators["short_name"].items()}
    names.update({p.id: p.name for p in result.edition.framework.pillars})
    names.update({d.id: d.id for d in result.edition.framework.dimensions})
    names[result.edition.framework.index_name] = result.edition.framework.index_name
    return names


@dataclass(frozen=True)
class FrameworkRow:
    dimension: str
    pillar: str
    indicator: str
    direction: str
    weight: str
    role: str


@dataclass(frozen=True)
class TreatedRow:
    name: str
    skew0: str
    kurt0: str
    treatment: str
    skew1: str
    kurt1: str


def _methodology_chapter(result: EditionResult, number: int) -> Chapter:
    indicators = result.panel.indicators
    pillar_names = {p.id: p.name for p in result.edition.framework.pillars}
    pillar_order = list(pillar_names)
    rows = []
    ordered = sorted(
        indicators.index,
        key=lambda i: (
            pillar_order.index(indicators.at[i, "pillar"])
            if indicators.at[i, "pillar"] in pillar_names
            else 99,
            indicators.at[i, "role"] != "index",
            str(i),
        ),
    )
    for indicator_id in ordered:
        row = indicators.loc[indicator_id]
        scored = row["role"] == "index" and float(row["weight"]) > 0
        rows.append(
            FrameworkRow(
                dimension=str(row["dimension"]),
                pillar=pillar_names.get(str(row["pillar"]), ""),
                indicator=str(row["name"]),
                direction="+" if float(row["direction"]) > 0 else "−",
                weight=f"{float(row['weight']):g}" if scored else "–",
                role="scored" if scored else "context only",
            )
        )
    log = result.index.treatment_log
    treated_rows = []
    if "treatment" in log.columns:
        names = _code_names(result)
        for _, row in log[log["treatment"].fillna("none") != "none"].iterrows():
            code = str(row["iCode"])
            treatment = str(row["treatment"])
            if treatment == "winsorise":
                treatment = f"winsorised ({int(row['winsorise.nwin'])} points)"
            elif treatment == "log_ct":
                treatment = "log transform"
            skew1 = row.get("check_SkewKurt1.Skew")
            kurt1 = row.get("check_SkewKurt1.Kurt")
            if "check_SkewKurt2.Skew" in log.columns and not pd.isna(
                row.get("check_SkewKurt2.Skew")
            ):
                skew1, kurt1 = row["check_SkewKurt2.Skew"], row["check_SkewKurt2.Kurt"]
            treated_rows.append(
                TreatedRow(
                    names.get(str(code), str(code)),
                    formatting.score(row["check_SkewKurt0.Skew"], 2),
                    formatting.score(row["check_SkewKurt0.Kurt"], 2),
                    treatment,
                    formatting.score(skew1, 2),
                    formatting.score(kurt1, 2),
                )
            )
    framework = result.edition.framework
    dims = "; ".join(f"{d.id} weight {d.weight:g}" for d in framework.dimensions)
    intro = [
        "The index follows the OECD/JRC Handbook on Constructing Composite Indicators, and its "
        "engine reproduces the COINr reference implementation to within 10⁻⁹ on COINr's own "
        "example. Indicators are grouped into pillars, pillars into the two dimensions, and the "
        f"dimensions into the overall score ({dims}).",
        "Context indicators are printed in the briefs and the annex but do not enter the scores: "
        "their coverage is too low, or they overlap with a scored indicator.",
    ]
    steps = describe_build(result.build)
    return Chapter(
        "methodology.html",
        "methodology",
        f"{number}. Methodology",
        (("framework", "Framework and weights"), ("steps", "How the index is built")),
        {
            "intro": intro,
            "framework_rows": rows,
            "steps": steps,
            "treated_rows": treated_rows,
            "build_yaml": compact_build_yaml(result.build),
        },
    )


@dataclass(frozen=True)
class AnnexRow:
    name: str
    pillar: str
    role: str
    definition: str
    unit: str
    direction: str
    years: str
    coverage: str
    source_number: int


def _annex_chapter(result: EditionResult, number: int) -> Chapter:
    panel = result.panel
    indicators = panel.indicators
    registry = SourceRegistry(indicators)
    pillar_names = {p.id: p.name for p in result.edition.framework.pillars}
    rows = []
    n_cities = len(panel.values)
    for indicator_id, row in indicators.iterrows():
        years = panel.years[indicator_id].dropna().astype(int)
        year_text = (
            (f"{years.min()}" if years.min() == years.max() else f"{years.min()}–{years.max()}")
            if len(years)
            else "–"
        )
        url = str(row.get("source_url") or "")
        number_ = registry.number(url, str(row.get("source_name") or indicator_id))
        rows.append(
            AnnexRow(
                name=str(row["name"]),
                pillar=pillar_names.get(str(row["pillar"]), str(row["pillar"])),
                role="scored" if row["role"] == "index" else "context",
                definition=str(row.get("definition") or ""),
                unit=str(row["unit"]),
                direction="+" if float(row["direction"]) > 0 else "−",
                years=year_text,
                coverage=f"{panel.values[indicator_id].notna().sum()}/{n_cities}",
                source_number=number_,
            )
        )
    for city_id in panel.sources.index:
        for indicator_id in panel.sources.columns:
            url = panel.sources.at[city_id, indicator_id]
            if isinstance(url, str) and url:
                registry.number(
                    url, str(indicators.at[indicator_id, "source_name"] or indicator_id)
                )
    intro = [
        "Every value in this report comes from the public source listed for it; no value "
        "is estimated. Where a source publishes only a top-N list, cities outside it are "
        "recorded as below the list's last value. Source addresses are printed, never "
        "fetched."
    ]
    return Chapter(
        "annex.html",
        "annex",
        f"{number}. Data annex",
        (("indicators", "Indicators"), ("sources", "Sources")),
        {"intro": intro, "indicator_rows": rows, "sources": registry.listing()},
    )


def build_annual_context(result: EditionResult, *, with_chinese: bool = True) -> AnnualContext:
    """Everything the annual report prints, in reading order."""
    labels = city_labels(result, with_chinese)
    book = ChartBook()
    builders: list[Any] = [
        lambda n: _summary_chapter(result, labels, book, n),
        lambda n: _rankings_chapter(result, labels, book, n),
        lambda n: _dimension_chapter(result, "TDP", labels, book, n),
        lambda n: _dimension_chapter(result, "ECC", labels, book, n),
        lambda n: _stages_chapter(result, labels, book, n),
        lambda n: _spotlight_chapter(result, labels, book, n),
        lambda n: _changes_chapter(result, labels, n),
        lambda n: _robustness_chapter(result, labels, book, n),
        lambda n: _methodology_chapter(result, n),
        lambda n: _annex_chapter(result, n),
    ]
    chapters: list[Chapter] = []
    for builder in builders:
        chapter = builder(len(chapters) + 1)
        if chapter is not None:
            chapters.append(chapter)
    contents = []
    for chapter in chapters:
        contents.append(ContentsEntry(chapter.anchor, chapter.title, 1))
        contents.extend(
            ContentsEntry(f"{chapter.anchor}-{suffix}", title, 2)
            for suffix, title in chapter.sections
        )
    return AnnualContext(
        meta=meta_of(result, "Annual report"),
        contents=tuple(contents),
        chapters=tuple(chapters),
        ranking=tuple(_ranking_rows(result, labels)),
        has_intervals=result.uncertainty is not None,
        has_previous=result.previous is not None,
        charts=book.charts,
    )
