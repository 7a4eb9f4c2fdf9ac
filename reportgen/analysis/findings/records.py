"""Typed records findings produce: evidence, findings, themes, the edition's story, a spotlight."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from reportgen.analysis.findings.spec import Flag, Kind, SubjectKind
from reportgen.analysis.findings.wording import format_value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
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

    @field_validator("value", mode="before")
    @classmethod
    def _nan_is_none(cls, value: Any) -> Any:
        # Missing stays missing, and JSON exports stay valid (no NaN tokens).
        if isinstance(value, float | np.floating) and math.isnan(value):
            return None
        return value

    @computed_field  # type: ignore[prop-decorator]
    @property
    def text(self) -> str:
        return format_value(self.value, self.unit)


class Comparison(_Frozen):
    group_id: str
    name: str
    members: tuple[str, ...]


class Salience(_Frozen):
    """Why a finding matters, as documented in `SalienceSpec`: effect x robustness x quality."""

    effect: float = Field(description="points of the city's overall score at stake")
    robustness: float = Field(default=1.0, description="share of replications where it holds")
    quality: float = Field(default=1.0, description="product of data-quality discounts")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def value(self) -> float:
        return self.effect * self.robustness * self.quality


class Contribution(_Frozen):
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

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> float:
        return self.own + self.rescaling


class Finding(_Frozen):
    """A statement about one city, the numbers that back it and a sentence rendered from them."""

    kind: Kind
    city_id: str
    subject: str
    subject_kind: SubjectKind
    subject_name: str
    magnitude: float = Field(description="size against the finding's threshold (1 = at it)")
    comparison: Comparison | None = None
    evidence: tuple[Evidence, ...] = ()
    sentence: str
    clause: str = Field(default="", description="the same fact as a clause of a theme")
    caveats: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = Field(default=(), description="data-quality flags it rests on")
    salience: Salience = Salience(effect=0.0)
    contributions: tuple[Contribution, ...] = Field(
        default=(), description="movers: the indicator contributions to the score change"
    )
    pillar: str | None = Field(default=None, description="the subject's pillar, for themes")
    in_index: bool = Field(default=True, description="False for context indicators")

    def evidence_for(self, role: str) -> Evidence | None:
        return next((e for e in self.evidence if e.role == role), None)


class Theme(_Frozen):
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
    sentence: str
    caveats: tuple[str, ...] = ()
    salience: float
    in_index: bool = True

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(e for f in self.findings for e in f.evidence)

    @property
    def subjects(self) -> tuple[str, ...]:
        return tuple(f.subject for f in self.findings)


class StoryItem(_Frozen):
    """One line of a publication's story: a final sentence, what backs it, what limits it."""

    topic: str
    sentence: str
    city_ids: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    caveats: tuple[str, ...] = ()


class EditionStory(_Frozen):
    """The executive summary: the edition's story, one item per topic, in reading order."""

    items: tuple[StoryItem, ...]

    def sentences(self) -> list[str]:
        return [i.sentence for i in self.items]


class BriefFindings(_Frozen):
    """What a city's brief (or the spotlight) prints, already chosen and worded."""

    city_id: str
    peer_group: Comparison | None
    stage: Finding | None
    strengths: tuple[Theme, ...]
    gaps: tuple[Theme, ...]
    movers: tuple[Finding, ...]
    data: Finding | None
    notes: tuple[str, ...] = Field(default=(), description="what the data cannot yet measure")

    def lines(self) -> list[str]:
        """Every sentence in print order: stage, gaps, strengths, movers, data, notes."""
        out = [self.stage.sentence] if self.stage else []
        out += [t.sentence for t in self.gaps] + [t.sentence for t in self.strengths]
        out += [m.sentence for m in self.movers]
        out += [self.data.sentence] if self.data else []
        return out + list(self.notes)
