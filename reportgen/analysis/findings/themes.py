"""Themes: a city's gaps (or strengths) on one pillar against one peer group, told once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from reportgen.analysis.findings.records import Comparison, Draft, Finding, Theme, Words
from reportgen.analysis.findings.spec import FindingsSpec
from reportgen.analysis.findings.wording import ENGLISH, Wording

MAX_CLAUSES = 2  # the theme's most salient indicators; the rest stay in its findings


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


def build_themes(
    findings: Iterable[Finding],
    spec: FindingsSpec,
    city_names: Mapping[str, str],
    pillar_names: Mapping[str, str],
    wording: Wording = ENGLISH,
) -> list[Theme]:
    """Every gap and strength merged by (city, kind, peer group, pillar), most salient first
    within each (city, kind, peer group)."""
    buckets: dict[tuple[str, str, str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.kind not in ("gap", "strength") or f.comparison is None:
            continue
        pillar = f.pillar or f.subject
        buckets[(f.city_id, f.kind, f.comparison.group_id, pillar)].append(f)
    drafts: dict[tuple[str, str, str], list[tuple[float, str, list[Finding]]]] = defaultdict(list)
    for (city_id, kind, group_id, pillar), members in buckets.items():
        head = [f for f in members if f.subject == pillar and f.subject_kind != "indicator"]
        rest = sorted(
            (f for f in members if f.subject_kind == "indicator"),
            key=lambda f: (-f.salience.value, -f.magnitude, f.subject),
        )
        ordered = head + rest
        salience = head[0].salience.value if head else sum(f.salience.value for f in rest)
        drafts[(city_id, kind, group_id)].append((salience, pillar, ordered))
    themes: list[Theme] = []
    for (city_id, kind, _), entries in drafts.items():
        entries.sort(key=lambda e: (-e[0], e[1]))
        for position, (salience, pillar, ordered) in enumerate(entries):
            themes.append(
                _theme(
                    spec,
                    city_names,
                    pillar_names,
                    kind,
                    city_id,
                    pillar,
                    ordered,
                    salience,
                    first=position == 0,
                    wording=wording,
                )
            )
    return themes


def _theme(
    spec: FindingsSpec,
    city_names: Mapping[str, str],
    pillar_names: Mapping[str, str],
    kind: str,
    city_id: str,
    pillar: str,
    ordered: list[Finding],
    salience: float,
    *,
    first: bool,
    wording: Wording = ENGLISH,
) -> Theme:
    comparison = ordered[0].comparison
    assert comparison is not None
    pillar_name = pillar_names.get(pillar, pillar)
    return Theme(
        kind="gap" if kind == "gap" else "strength",
        city_id=city_id,
        pillar=pillar,
        pillar_name=pillar_name,
        comparison=comparison,
        findings=tuple(ordered),
        words=Draft(
            _theme_words,
            spec,
            city_names.get(city_id, city_id),
            pillar_name,
            kind,
            pillar,
            comparison,
            ordered,
            first,
            wording,
        ),
        salience=salience,
        in_index=any(f.in_index for f in ordered),
    )


def _theme_words(
    spec: FindingsSpec,
    city: str,
    pillar_name: str,
    kind: str,
    pillar: str,
    comparison: Comparison,
    ordered: list[Finding],
    first: bool,
    wording: Wording,
) -> Words:
    head = ordered[0] if ordered[0].subject_kind != "indicator" else None
    indicators = [f for f in ordered if f.subject_kind == "indicator"][:MAX_CLAUSES]
    clauses = [f.clause for f in indicators]
    semicolon = wording.semicolon()
    kinds = {"gap": wording.gettext("gap"), "strength": wording.gettext("strength")}
    fill = {
        "pillar": pillar_name,
        "city": city,
        "kind": kinds.get(kind, kind),
        "group": wording.group_name(comparison.name),
        "clauses": semicolon.join(clauses),
        "rest": "".join(f"{semicolon}{c}" for c in clauses),
    }
    if head is not None:
        city_value, peer_value = head.evidence_for("city"), head.evidence_for("peer_median")
        fill["value"] = wording.text(city_value) if city_value else ""
        fill["peer"] = wording.text(peer_value) if peer_value else ""
    key = ("first" if first else "other") + ("_pillar" if head is not None else "_indicators")
    sentence = wording.capitalise(wording.template(f"theme_{key}").format(**fill))
    caveats = [c for f in ordered for c in f.caveats]
    if kind == "gap" and pillar in spec.unmeasured:
        caveats.append(spec.unmeasured[pillar])
    return Words(sentence=sentence, caveats=_dedupe(caveats))
