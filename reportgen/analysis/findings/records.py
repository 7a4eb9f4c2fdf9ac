"""Typed records findings produce: evidence, findings, themes, the edition's story, a spotlight.

Plain frozen dataclasses with slots, not pydantic models: an edition of 1,000 cities makes
hundreds of thousands of them from values the engine has already checked, and validating
each again cost a third of the findings' time. ``Record`` marks them for the output keys
(their ``repr`` is complete and exact) and ``record_dict`` turns one into exported data.

What a finding or theme *says* (its evidence, sentence, clause and caveats) is a ``Words``
record that may be a ``Draft``: made on first use. Selection, themes and salience read only the
numbers, and at 1,000 cities publications print a sixth of the findings, so the rest are
worded only when an export asks for them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from reportgen.analysis.findings.spec import Flag, Kind, SubjectKind
from reportgen.analysis.findings.wording import format_value


class Record:
    """Base of every findings record: frozen, slotted, every field in its ``repr``."""

    __slots__ = ()


R = TypeVar("R", bound=Record)


class Draft(Generic[R]):
    """A record not made yet: ``make(*args)``, called once, on first use, from any thread.

    It stands for what it makes: its ``repr`` (so output keys) and equality are the made
    record's. Pickled once made, it is the record (a brief's task carries its words, made when
    its key was); pickled before, it is the recipe, whose arguments one pickle shares between
    all the drafts that read them (the edition's cache holds thousands of findings no one has
    read: making their words to store them took longer than computing them).
    """

    __slots__ = ("_args", "_made", "_make")

    def __init__(self, make: Callable[..., R], *args: Any) -> None:
        self._make = make
        self._args = args
        self._made: R | None = None

    def get(self) -> R:
        made = self._made
        if made is None:
            made = self._make(*self._args)  # two threads may both make it: the same record
            self._made = made
        return made

    def __repr__(self) -> str:
        return repr(self.get())

    def __eq__(self, other: object) -> bool:
        return self.get() == (other.get() if isinstance(other, Draft) else other)

    def __hash__(self) -> int:
        return hash(self.get())

    def __reduce__(self) -> tuple[Any, ...]:
        if self._made is not None:
            return (made, (self._made,))
        return (Draft, (self._make, *self._args))


def made(value: R | Draft[R]) -> R:
    """The record itself, made now if it was a draft."""
    return value.get() if isinstance(value, Draft) else value


def record_dict(record: Record) -> dict[str, Any]:
    """A record's fields (nested records as dicts), then what it derives (Evidence ``text``,
    Salience ``value``, Contribution ``total``, a finding's words), as an export prints them."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):  # type: ignore[arg-type]
        if f.name != "words":  # the words' fields are listed as the record's own
            out[f.name] = _plain(getattr(record, f.name))
    for name in _DERIVED.get(type(record).__name__, ()):
        out[name] = _plain(getattr(record, name))
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Draft):
        value = value.get()
    if isinstance(value, Record):
        return record_dict(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


_DERIVED = {
    "Evidence": ("text",),
    "Salience": ("value",),
    "Contribution": ("total",),
    "Comparison": ("members",),
    "Finding": ("evidence", "sentence", "clause", "caveats"),
    "Theme": ("sentence", "caveats"),
}


@dataclass(frozen=True, slots=True)
class Evidence(Record):
    """One number a finding rests on, with its unit, year and source."""

    role: str
    label: str
    value: float | None
    unit: str
    year: int | None = None
    source_url: str | None = None
    is_imputed: bool = False
    is_bounded: bool = False
    is_shared: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        # Missing stays missing, and JSON exports stay valid (no NaN tokens); a numpy float
        # becomes a Python float so the record prints and exports the same either way.
        value = self.value
        if value is not None and type(value) is not float:
            value = float(value)
            object.__setattr__(self, "value", value)
        if value is not None and math.isnan(value):
            object.__setattr__(self, "value", None)

    @property
    def text(self) -> str:
        return format_value(self.value, self.unit)


@dataclass(frozen=True, slots=True)
class Words(Record):
    """What a finding says: the numbers it quotes, its sentence, the same fact as a clause of a
    theme, and the caveats it must carry (a theme has a sentence and caveats only)."""

    evidence: tuple[Evidence, ...] = ()
    sentence: str = ""
    clause: str = ""
    caveats: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Pool(Record):
    """Cities a comparison draws its peers from, made once per peer group (and column) and
    shared by every comparison on it: at thousands of cities a stage holds thousands, and a
    copy per finding made findings and their keys grow with the square of the cities.

    Its ``repr`` names the members by a digest of them (complete, and short in an output key).
    """

    members: tuple[str, ...]
    key: str = field(init=False, compare=False)  # always the digest of `members`

    def __post_init__(self) -> None:
        joined = "\x1f".join(self.members).encode("utf-8")
        object.__setattr__(self, "key", hashlib.sha256(joined).hexdigest()[:32])

    def __repr__(self) -> str:
        return f"Pool(key={self.key!r}, n={len(self.members)})"

    def __hash__(self) -> int:
        return hash(self.key)

    def without(self, city_id: str | None) -> tuple[str, ...]:
        """The members less one city (a city is never its own peer)."""
        return tuple(m for m in self.members if m != city_id)


@dataclass(frozen=True, slots=True)
class Comparison(Record):
    """The peers a finding compares a city with: its group's pool, less the city itself."""

    group_id: str
    name: str
    pool: Pool
    left_out: str | None = None

    @property
    def members(self) -> tuple[str, ...]:
        return self.pool.without(self.left_out)


@dataclass(frozen=True, slots=True)
class Salience(Record):
    """Why a finding matters, as documented in `SalienceSpec`: effect x robustness x quality.

    `effect`: points of the city's overall score at stake; `robustness`: share of
    replications where it holds; `quality`: product of data-quality discounts.
    """

    effect: float
    robustness: float = 1.0
    quality: float = 1.0

    @property
    def value(self) -> float:
        return self.effect * self.robustness * self.quality


@dataclass(frozen=True, slots=True)
class Contribution(Record):
    """One indicator's part in a score change between editions (score points).

    `own` comes from the city's own value changing (at this edition's scale), `rescaling` from
    the scale moving as other cities' values changed; they sum to the weighted change in its
    normalised value.
    """

    indicator_id: str
    label: str
    weight: float
    own: float
    rescaling: float
    previous_value: float | None
    value: float | None
    unit: str

    @property
    def total(self) -> float:
        return self.own + self.rescaling


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding(Record):
    """A statement about one city, the numbers that back it and a sentence rendered from them.

    `magnitude` is its size against the finding's threshold (1 = at it); `words` its evidence,
    sentence, clause (the same fact in a theme) and caveats, perhaps a `Draft`; `flags` the
    data-quality flags it rests on; `contributions` (movers) the indicator contributions to the
    score change; `pillar` the subject's pillar, for themes; `in_index` False for context
    indicators.
    """

    kind: Kind
    city_id: str
    subject: str
    subject_kind: SubjectKind
    subject_name: str
    magnitude: float
    comparison: Comparison | None = None
    words: Words | Draft[Words]
    flags: tuple[Flag, ...] = ()
    salience: Salience = field(default_factory=lambda: Salience(effect=0.0))
    contributions: tuple[Contribution, ...] = ()
    pillar: str | None = None
    in_index: bool = True

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return made(self.words).evidence

    @property
    def sentence(self) -> str:
        return made(self.words).sentence

    @property
    def clause(self) -> str:
        return made(self.words).clause

    @property
    def caveats(self) -> tuple[str, ...]:
        return made(self.words).caveats

    def evidence_for(self, role: str) -> Evidence | None:
        return next((e for e in self.evidence if e.role == role), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Theme(Record):
    """Gaps (or strengths) of one city on one pillar against one peer group, merged.

    `findings` holds the pillar finding (if any) first, then its indicators by salience; a
    publication that prints the theme prints none of them as loose lines.
    """

    kind: Kind
    city_id: str
    pillar: str
    pillar_name: str
    comparison: Comparison
    findings: tuple[Finding, ...]
    words: Words | Draft[Words]
    salience: float
    in_index: bool = True

    @property
    def sentence(self) -> str:
        return made(self.words).sentence

    @property
    def caveats(self) -> tuple[str, ...]:
        return made(self.words).caveats

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(e for f in self.findings for e in f.evidence)

    @property
    def subjects(self) -> tuple[str, ...]:
        return tuple(f.subject for f in self.findings)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryItem(Record):
    """One line of a publication's story: a final sentence, what backs it, what limits it."""

    topic: str
    sentence: str
    city_ids: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    caveats: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EditionStory(Record):
    """The executive summary: the edition's story, one item per topic, in reading order."""

    items: tuple[StoryItem, ...]

    def sentences(self) -> list[str]:
        return [i.sentence for i in self.items]


@dataclass(frozen=True, slots=True, kw_only=True)
class BriefFindings(Record):
    """What a city's brief (or the spotlight) prints, already chosen and worded."""

    city_id: str
    peer_group: Comparison | None
    stage: Finding | None
    strengths: tuple[Theme, ...]
    gaps: tuple[Theme, ...]
    movers: tuple[Finding, ...]
    data: Finding | None
    notes: tuple[str, ...] = ()  # what the data cannot yet measure

    def lines(self) -> list[str]:
        """Every sentence in print order: stage, gaps, strengths, movers, data, notes."""
        out = [self.stage.sentence] if self.stage else []
        out += [t.sentence for t in self.gaps] + [t.sentence for t in self.strengths]
        out += [m.sentence for m in self.movers]
        out += [self.data.sentence] if self.data else []
        return out + list(self.notes)
