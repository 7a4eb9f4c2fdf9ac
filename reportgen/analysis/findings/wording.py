"""Every sentence findings print: templates, caveats and the number formats they are filled with.

Placeholders are filled with names and with `Evidence.text`, so every number a sentence prints
is an evidence record's. Templates are built so that their grammar holds for any indicator name
(a noun phrase used as a name: "On Unicorns, ...", never "Unicorns is ...").
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportgen import formatting


def N_(message: str) -> str:  # noqa: N802 - the gettext convention extraction looks for
    """Marks a template for the message catalogues (extraction reads N_ calls); `Wording`
    translates it when a sentence is written."""
    return message


TEMPLATES: dict[str, str] = {
    # gaps and strengths on an indicator
    "ratio": N_(
        "On {label}, {city} stands at {ratio} the median of {group} peers: {value} against "
        "{peer}{year}."
    ),
    "ratio_lower_better": N_(
        "On {label}, where lower is better, {city} stands at {ratio} the median "
        "of {group} peers: {value} against {peer}{year}."
    ),
    "ratio_censored": N_(
        "On {label}, {city} stands at most at {ratio} the median of {group} peers: "
        "it is not in the published list, whose lowest value is {value}, against a median of "
        "{peer}{year}."
    ),
    "ratio_censored_per_capita": N_(
        "On {label}, {city} stands at most at {ratio} the median of "
        "{group} peers: at most {value} against {peer}{year}, as it is not in the published list, "
        "whose lowest value is {bound}."
    ),
    "ratio_censored_lower_better": N_(
        "On {label}, where lower is better, {city} stands at least at "
        "{ratio} the median of {group} peers: it is not in the published list, whose last value is "
        "{value}, against a median of {peer}{year}."
    ),
    "ratio_censored_per_capita_lower_better": N_(
        "On {label}, where lower is better, {city} stands "
        "at least at {ratio} the median of {group} peers: at least {value} against "
        "{peer}{year}, as it is not in the published list, whose last value is {bound}."
    ),
    "rank": N_(
        "{city} ranks {value} in {label} against a median of {peer} among {group} peers{year}."
    ),
    "rank_censored": N_(
        "{city} ranks below {value} in {label}, outside the published list, against "
        "a median of {peer} among {group} peers{year}."
    ),
    "points": N_(
        "On {label}, {city} is at {value} against a median of {peer} among {group} "
        "peers{year}, {difference} {side}."
    ),
    "points_lower_better": N_(
        "On {label}, where lower is better, {city} is at {value} against a "
        "median of {peer} among {group} peers{year}, {difference} {side}."
    ),
    "points_censored": N_(
        "On {label}, {city} is at best {value}, as it is not in the published "
        "list, against a median of {peer} among {group} peers{year}."
    ),
    # gaps and strengths on a pillar or dimension
    "score": N_(
        "{city} scores {value} on {label} against a median of {peer} among {group} peers, "
        "{difference} points {side}."
    ),
    # the same facts as clauses of a theme (the theme names the city and the peer group)
    "clause_ratio": N_("{label}: {value} against a median of {peer} ({ratio}{year})"),
    "clause_rank": N_("{label}: {value} against a median of {peer}{year_paren}"),
    "clause_censored": N_(
        "{label}: not in the published list (below {bound}), against a median of {peer}{year_paren}"
    ),
    "clause_points": N_("{label}: {value} against a median of {peer}{year_paren}"),
    "clause_score": N_("{label} scores {value} against a median of {peer}"),
    # themes: one pillar's findings for one city and peer group
    "theme_first_pillar": N_(
        "The {pillar} pillar is {city}'s largest {kind} against {group} "
        "peers: it scores {value} against a median of {peer}{rest}."
    ),
    "theme_first_indicators": N_(
        "{city}'s largest {kind} against {group} peers is in the {pillar} pillar: {clauses}."
    ),
    "theme_other_pillar": N_(
        "The {pillar} pillar is also a {kind} for {city} against {group} "
        "peers: it scores {value} against a median of {peer}{rest}."
    ),
    "theme_other_indicators": N_(
        "{city} also shows a {kind} against {group} peers in the {pillar} pillar: {clauses}."
    ),
    # movers
    "mover_rank": N_(
        "{city} {verb} from {previous} to {current} in {label} (score {previous_score} "
        "to {score}), {reason}."
    ),
    "mover_rank_no_scores": N_("{city} {verb} from {previous} to {current} in {label}, {reason}."),
    "mover_unchanged": N_(
        "{city} {verb} from {previous} to {current} in {label} with its score "
        "unchanged at {score}: other cities moved."
    ),
    "mover_score": N_(
        "{city}'s score in {label} {verb} from {previous_score} to {score}, "
        "{score_change} points; its rank is {current}."
    ),
    "mover_reason_interval": N_(
        "outside this edition's {interval} rank interval of {low} to {high}"
    ),
    "mover_reason_spread": N_(
        "a change of {score_change} points, beyond the {spread}-point spread "
        "of its score across the uncertainty analysis"
    ),
    "mover_reason_same_rank": N_(
        "a rank that every replication of the uncertainty analysis confirms"
    ),
    "mover_reason_places": N_("a move of {places}"),
    "mover_driver": N_(
        " Main driver: {label}, {previous_value} to {value} ({contribution} points)."
    ),
    "mover_rescaled": N_(
        " Its own values barely changed: {rescaling} points come from other "
        "cities' values moving the scale."
    ),
    "mover_driver_rescaled": N_(
        " Main driver: {label}, {previous_value} to {value} "
        "({contribution} points); the rescaling as other cities' values moved adds "
        "{rescaling} points."
    ),
    # stages
    "index_name": N_("the {name} index"),
    "stage": N_(
        "{city} is in the {stage} stage: {x} {tdp} against a threshold of {tdp_threshold}, "
        "{y} {ecc} against a threshold of {ecc_threshold}."
    ),
    "stage_borderline": N_(
        "{city}'s stage, {stage}, is borderline ({probability} of runs): {x} "
        "{tdp} against a threshold of {tdp_threshold}, {y} {ecc} against a threshold of "
        "{ecc_threshold}."
    ),
    "stage_target": N_(" Reaching the {target} stage takes {needs}"),
    "stage_need": N_("{need} more {dimension} points"),
    "stage_lever": N_(
        "; the largest lever is the {pillar} pillar, {score} against a {target} median "
        "of {peer}, worth {gain} {dimension} points{chiefly}"
    ),
    "stage_lever_indicators": N_(" (chiefly {names})"),
    # the executive summary's story (each template used once)
    "story_leader": N_(
        "{city} leads the {index} index with {score}, {difference} points ahead of "
        "{runner} ({runner_score}); among the {n} cities it stands out on {standout}."
    ),
    "story_leader_pillar": N_("{pillar} ({value} against a median of {median})"),
    "story_joint_lead": N_("{cities} share the lead of the {index} index with {score}."),
    "story_dimensions": N_(
        "Across the {n} cities, {tdp} and {ecc} show {relation} (correlation {r}): {meaning}."
    ),
    "story_dimensions_apart": N_(
        "a large technology base does not by itself bring the co-benefits, "
        "which is why the report reads cities on both axes"
    ),
    "story_dimensions_together": N_("cities strong in one tend to be strong in the other"),
    "story_dimensions_against": N_("cities strong in one tend to be weaker in the other"),
    "story_dimensions_caveat": N_(
        "A correlation across this edition's cities describes them; it does not show a cause."
    ),
    "story_stages": N_("The {n} cities fall into {k} stages: {parts}."),
    "story_borderline": N_(
        " {who} in fewer than {threshold} of the uncertainty analysis's runs, "
        "so the stage is borderline: {cities}."
    ),
    "story_borderline_city": N_("{city} ({stage}, {probability})"),
    "story_movers": N_("The largest moves that clear the uncertainty: {clauses}."),
    "story_mover": N_("{city} {verb} from {previous} to {current} {label}"),
    "story_mover_driver": N_(", chiefly on {label} ({previous_value} to {value})"),
    "story_mover_others": N_(", as other cities' values moved"),
    "story_no_movers": N_(
        "No city's overall or dimension rank moved beyond the uncertainty of this edition."
    ),
    "story_spotlight": N_(
        "{city}, this edition's spotlight, {stage}; its largest gaps against "
        "{group} peers are in {pillars}: {details}."
    ),
    "story_spotlight_no_gaps": N_(
        "{city}, this edition's spotlight, {stage}, with no large gap against its peers."
    ),
    "story_spotlight_detail": N_("{pillar}, {parts}"),
    "story_spotlight_stage": N_("is in the {stage} stage"),
    "story_spotlight_borderline": N_("is borderline {stage} ({probability} of runs)"),
    # data coverage
    "data": N_("Of {city}'s {total} indicator values, {parts}."),
    "data_imputed": N_("{count} {verb} estimated by imputation ({names})"),
    "data_bounded": N_("{count} {verb} only known to lie below a list's last value ({names})"),
    "data_old": N_("{count} {verb} more than {age} old ({names})"),
    "data_shared": N_("{count} {verb} shared with other cities ({names})"),
}

CAVEATS: dict[str, str] = {
    "imputed": N_("{label}: {city}'s value is an estimate, imputed ({how}), not observed."),
    "shared": N_("{label}: one published value covers {cities}; it is not {city}'s own."),
    "censored": N_(
        "{label}: {city} is not in the source's published list; the list's lowest value "
        "is used as its best case."
    ),
    "old": N_(
        "{label}: {city}'s value dates from {year}, more than {age} years before {reference}."
    ),
    "perception": N_("{label}: a perception survey, not a measurement."),
    # a pillar's flagged indicators, one line per kind of flag
    "group_imputed": N_("Estimates, imputed ({how}), not observed: {labels}."),
    "group_censored": N_(
        "Not in the source's published list, its lowest value used as the best case: {labels}."
    ),
    "group_old": N_("More than {age} years older than {reference}: {labels}."),
    "group_perception": N_("Perception surveys, not measurements: {labels}."),
    "peer_censored": N_(
        "{k} of {n} peers {verb} not in the published list; the peer median is taken "
        "at the bound least favourable to this finding."
    ),
    "peer_years": N_("Peer values date from {first} to {last}."),
    "score_scale": N_(
        "Scores are rescaled in each edition; a score change partly reflects other cities."
    ),
    "weights": N_("Gains assume a weighted arithmetic mean of pillars."),
}


# ---------------------------------------------------------------------------------------------
# numbers: one format for the whole product, so sentences print what tables print

_MINUS = "\u2212"
_SCALE_WORDS: dict[str, float] = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "billion": 1e9,
    "tn": 1e12,
    "trillion": 1e12,
}
_CURRENCY = re.compile(
    r"^(?P<cur>USD|US\$|EUR|GBP|CNY|RMB|HKD|JPY|SGD)\s*"
    r"(?:(?P<scale>bn|billion|mn|m|million|k|thousand|tn|trillion)\b)?\s*(?P<rest>.*)$"
)
_DROPPED_REST = ("per capita", "per person", "per million people")
SIGNIFICANT = 3
_NOT_PLURAL = frozenset({"mbps", "gbps", "kbps"})


@functools.lru_cache(maxsize=1024)
def display_unit(unit: str) -> str:
    return re.sub(r"\s*\([^)]*\)", "", unit or "").strip()


@functools.lru_cache(maxsize=1024)
def _currency(unit: str) -> tuple[str, str] | None:
    """(prefix, suffix) around the number for a money unit ('USD', ' bn'), else None."""
    match = _CURRENCY.match(unit)
    if not match:
        return None
    currency = "USD" if match["cur"] == "US$" else match["cur"]
    scale = f" {match['scale']}" if match["scale"] else ""
    rest = match["rest"].strip()
    if rest.startswith("PPP"):
        scale += " (PPP)"
        rest = rest[3:].strip()
    if rest in _DROPPED_REST:
        rest = ""
    return f"{currency} ", f"{scale}{' ' + rest if rest else ''}"


def _number(value: float, significant: int = SIGNIFICANT) -> str:
    return formatting.number(value, significant)


def ordinal(value: float) -> str:
    if value != round(value):
        return f"{_number(value)}th"
    n = round(value)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# Pure and called for every number of every finding (hundreds of thousands at 1,000 cities,
# with many repeats: peer medians, scores): memoised.
@functools.lru_cache(maxsize=1 << 16)
def format_value(value: float | None, unit: str) -> str:
    """A value as a reader expects it: 'USD 1.2 bn', '31%', '26th', '0.22x', '4,160'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    x = float(value)
    u = display_unit(unit)
    low = u.lower()
    if low.startswith("rank"):
        return ordinal(x)
    if low in ("x", "ratio to peer median"):
        return f"{_number(x, 2)}x"
    if low == "share":
        return f"{_number(100 * x, 2)}%"
    if low.startswith("%"):
        return f"{_number(x)}%"
    if low in ("score", "points"):
        return formatting.score(x).replace("-", _MINUS)
    if low in ("places", "years"):
        word = low if abs(x) != 1 else low[:-1]
        return f"{_number(x)} {word}"
    if abs(x) == 1 and re.fullmatch(r"[A-Za-z ]*[a-z]{3}s", u) and low not in _NOT_PLURAL:
        u = singular(u)
    money = _currency(u)
    if money is not None:
        return f"{money[0]}{_number(x)}{money[1]}"
    if not u or low.startswith(("count", "index", "ratio", "per million")):
        return _number(x)
    return f"{_number(x)} {u}"


def printed_decimals(value: float, unit: str) -> int:
    """Decimals `format_value` prints for this value (the rounding every printed number uses)."""
    low = display_unit(unit).lower()
    if low in ("score", "points"):
        return 1
    x = abs(float(value))
    if x == 0 or not math.isfinite(x) or x >= 10 ** (SIGNIFICANT - 1):
        return 0
    return max(SIGNIFICANT - 1 - math.floor(math.log10(x)), 0)


def as_printed(value: float, unit: str) -> float:
    """The value a reader sees, as a number: a difference of two is the printed difference."""
    return round(float(value), printed_decimals(value, unit))


def printed_difference(a: float, b: float, unit: str) -> float:
    """a - b as the reader would compute it from the two printed values."""
    decimals = max(printed_decimals(a, unit), printed_decimals(b, unit))
    return round(as_printed(a, unit) - as_printed(b, unit), decimals)


@functools.lru_cache(maxsize=1 << 16)
def difference_text(a: float, b: float, unit: str) -> str:
    """|a - b| printed with the precision of the two printed values."""
    # printed_difference, with each value's decimals found once
    a_decimals, b_decimals = printed_decimals(a, unit), printed_decimals(b, unit)
    decimals = max(a_decimals, b_decimals)
    diff = abs(round(round(float(a), a_decimals) - round(float(b), b_decimals), decimals))
    if display_unit(unit).lower() in ("score", "points"):
        return f"{diff:.1f}"
    text = f"{diff:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def singular(unit: str) -> str:
    """'universities' -> 'university', 'PCT applications' -> 'PCT application'."""
    head, _, last = unit.rpartition(" ")
    word = last[:-3] + "y" if last.endswith("ies") else last[:-1]
    return f"{head} {word}".strip()


def per_capita_unit(unit: str) -> tuple[float, str, str]:
    """(factor, unit, label suffix) to express an indicator per inhabitant.

    Money becomes '<currency> per capita' (a 'USD bn' value is multiplied by 1e9 before dividing
    by population); other amounts become 'per million people'.
    """
    match = _CURRENCY.match(display_unit(unit))
    if match:
        currency = "USD" if match["cur"] == "US$" else match["cur"]
        factor = _SCALE_WORDS.get(match["scale"] or "", 1.0)
        return factor, f"{currency} per capita", "per capita"
    return 1e6, "per million people", "per million people"


# ---------------------------------------------------------------------------------------------
# grammar


def capitalise(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def verb(count: int) -> str:
    return "is" if count == 1 else "are"


def join_words(parts: Sequence[str], conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [p for p in parts if p]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def rank_text(rank: float, tied: bool) -> str:
    """'13th', or 'joint 13th' when another city prints the same value."""
    text = format_value(rank, "rank")
    return f"joint {text}" if tied else text


def quantile_label(low: float, high: float) -> str:
    """'5-95%' from the quantiles the uncertainty analysis uses."""
    return f"{_number(100 * low)}-{_number(100 * high)}%"


def signed_points(value: float) -> str:
    """'+3.2', '−1.0': a contribution in score points."""
    return formatting.signed(value)


# ---------------------------------------------------------------------------------------------
# the language findings are worded in


def _same(message: str) -> str:
    return message


def _no_unit(unit: str) -> tuple[str, float]:
    return unit, 1.0


_SPACE_BEFORE_ORDINAL = re.compile(r"(?<=[\u3400-\u9fff\uff08\uff1a]) (?=第 )")
_ZH_MONEY_SCALE = {"": (1.0, "美元"), "mn": (100.0, "萬美元"), "bn": (10.0, "億美元")}


@dataclass(frozen=True)
class Wording:
    """The language of the sentences: translated templates (``gettext`` over the English ones,
    which are the catalogue's msgids) and the grammar they need: numbers with units, ordinals,
    lists, plural verbs. English by default, where every method is the module function above,
    so English sentences are unchanged. ``unit_name`` gives a unit in the language and the
    factor its values take (USD bn as 億美元: x10)."""

    language: str = "en"
    gettext: Callable[[str], str] = field(default=_same, compare=False)
    unit_name: Callable[[str], tuple[str, float]] = field(default=_no_unit, compare=False)

    @property
    def chinese(self) -> bool:
        return self.language.startswith("zh")

    def template(self, key: str) -> str:
        return self.gettext(TEMPLATES[key])

    def caveat(self, key: str) -> str:
        return self.gettext(CAVEATS[key])

    def text(self, evidence: Any) -> str:
        """An evidence record's value as this language prints it (`Evidence.text` in English)."""
        return self.format_value(evidence.value, str(evidence.unit))

    def format_value(self, value: float | None, unit: str) -> str:
        if not self.chinese:
            return format_value(value, unit)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "不適用"
        x = float(value)
        u = display_unit(unit)
        low = u.lower()
        if low.startswith("rank"):
            return self.ordinal(x)
        if low in ("x", "ratio to peer median"):
            return f"{_number(x, 2)} 倍"
        if low == "share":
            return f"{_number(100 * x, 2)}%"
        if low.startswith("%"):
            return f"{_number(x)}%"
        if low in ("score", "points"):
            return formatting.score(x).replace("-", _MINUS)
        if low == "places":
            return f"{_number(x)} 位"
        if low == "years":
            return f"{_number(x)} 年"
        match = _CURRENCY.match(u)
        if match and match["cur"] in ("USD", "US$"):
            factor, name = _ZH_MONEY_SCALE.get(match["scale"] or "", (1.0, "美元"))
            rest = match["rest"].strip()
            suffix = "（購買力平價）" if rest.startswith("PPP") else ""
            return f"{_number(x * factor)} {name}{suffix}"
        if not u or low.startswith(("count", "index", "ratio", "per million")):
            return _number(x)
        name, factor = self.unit_name(unit)
        if name == unit:
            name, factor = self.unit_name(u)
        return f"{_number(x * factor)} {name}"

    def ordinal(self, value: float) -> str:
        if not self.chinese:
            return ordinal(value)
        return f"第 {_number(value) if value != round(value) else round(value)} 位"

    def rank_text(self, rank: float, tied: bool) -> str:
        if not self.chinese:
            return rank_text(rank, tied)
        text = self.ordinal(rank)
        return f"並列{text}" if tied else text

    def join_words(self, parts: Sequence[str], conjunction: str = "and") -> str:
        if not self.chinese:
            return join_words(parts, conjunction)
        items = [p for p in parts if p]
        if len(items) <= 1:
            return "".join(items)
        word = "或" if conjunction == "or" else "及"
        # A space between a Han character and a figure or Latin word (as everywhere).
        last = items[-1]
        joint = f"{word} " if last[:1].isascii() and last[:1].isalnum() else word
        return "、".join(items[:-1]) + joint + last

    def verb(self, count: int) -> str:
        return "" if self.chinese else verb(count)

    def capitalise(self, sentence: str) -> str:
        """The sentence as printed: a capital first letter in English; in Chinese, no space
        between a Han character and an ordinal (為第 10 位, not 為 第 10 位)."""
        if self.chinese:
            return _SPACE_BEFORE_ORDINAL.sub("", sentence)
        return capitalise(sentence)

    def year_paren(self, year: int | None) -> str:
        """' (2024)' after a value; '（2024 年）' in Chinese; '' without a year."""
        if year is None:
            return ""
        return f"（{year} 年）" if self.chinese else f" ({year})"

    def year_clause(self, year: int | None) -> str:
        """', 2024' inside brackets; '，2024 年' in Chinese."""
        if year is None:
            return ""
        return f"，{year} 年" if self.chinese else f", {year}"

    def group_name(self, name: str) -> str:
        """A peer group's name: stage and named groups arrive translated with the inputs; the
        built-in 'top-N' and 'all' are worded here."""
        if not self.chinese:
            return name
        top = re.fullmatch(r"top-(\d+)", name)
        if top:
            return f"前 {top.group(1)} 名城市"
        return "所有城市" if name == "all" else name

    def semicolon(self) -> str:
        return "；" if self.chinese else "; "

    def sentence_end(self) -> str:
        return "。" if self.chinese else "."


ENGLISH = Wording()
