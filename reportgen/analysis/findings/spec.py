"""The edition file's `findings:` section: peers, thresholds, salience and publication rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reportgen.analysis.peers import BUILTIN_GROUPS

Kind = Literal["gap", "strength", "mover", "stage", "data"]
SubjectKind = Literal["indicator", "pillar", "dimension", "overall", "stage"]
Scale = Literal["ratio", "points"]
Publication = Literal["brief", "executive_summary", "spotlight"]
Flag = Literal["shared", "imputed", "bounded", "old", "perception"]
KINDS: tuple[Kind, ...] = ("stage", "gap", "strength", "mover", "data")
FLAGS: tuple[Flag, ...] = ("shared", "imputed", "bounded", "old", "perception")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NamedGroupSpec(_Frozen):
    name: str
    members: tuple[str, ...]


class SalienceSpec(_Frozen):
    """How important a finding is: effect x robustness x data-quality discount.

    effect = the subject's effective weight in the overall index x the city's gap to the peer
    median in normalised points (0-100), i.e. points of the overall score at stake;
    robustness = the share of Monte Carlo replications in which the finding holds (1 without
    a Monte Carlo; a value censored by a top-N list counts only where the finding holds at both
    ends of the bound); each flag on a value the finding rests on multiplies it by its discount.
    """

    shared: float = Field(
        default=0.25, ge=0, le=1, description="value of a unit shared by several cities"
    )
    imputed: float = Field(default=0.5, ge=0, le=1, description="value estimated by imputation")
    bounded: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="value bounded by a top-N list; 1 because a finding on it is only made where "
        "it holds at both ends of the bound",
    )
    old: float = Field(default=0.7, ge=0, le=1, description="value older than max_data_age")
    perception: float = Field(default=0.8, ge=0, le=1, description="perception survey")
    context_effect: float = Field(
        default=0.0,
        ge=0,
        description="effective weight given to context indicators (not in the index)",
    )

    def discount(self, flags: Iterable[str]) -> float:
        out = 1.0
        # Each flag once, always in FLAGS order: a product's last bit depends on its order, and
        # a set's order changes with the hash seed from run to run.
        for f in sorted(
            set(flags), key=lambda f: (FLAGS.index(f) if f in FLAGS else len(FLAGS), f)
        ):
            out *= float(getattr(self, f))
        return out


class PublicationRule(_Frozen):
    """How one publication picks findings: by salience, `lead` kinds first, with caps."""

    n: int = Field(default=5, ge=0)
    kinds: tuple[Kind, ...] = KINDS
    lead: tuple[Kind, ...] = ()
    max_per_kind: dict[Kind, int] = Field(default_factory=dict)
    max_per_city: int | None = Field(default=None, ge=1)
    max_per_pillar: int | None = Field(
        default=None, ge=1, description="gaps (and strengths) per pillar, for variety"
    )
    index_only: bool = Field(default=False, description="leave out context indicators")
    peer_groups: tuple[str, ...] = Field(
        default=(), description="groups whose gaps and strengths qualify; empty for any"
    )


DEFAULT_PUBLICATIONS: dict[str, PublicationRule] = {
    "brief": PublicationRule(
        n=7,
        kinds=("stage", "gap", "strength", "mover", "data"),
        lead=("stage",),
        # Two pages: the two largest gaps and strengths, one move, one line on the data.
        max_per_kind={"gap": 2, "strength": 2, "mover": 1, "data": 1},
        max_per_pillar=1,
        peer_groups=("same_stage",),
    ),
    "executive_summary": PublicationRule(
        n=8,
        kinds=("gap", "strength", "mover"),
        max_per_city=1,
        index_only=True,
        peer_groups=("same_stage",),
    ),
    "spotlight": PublicationRule(
        n=6,
        kinds=("stage", "gap", "strength", "mover", "data"),
        lead=("stage",),
        max_per_kind={"data": 1},
        max_per_pillar=1,
    ),
}


class PublicationsSpec(_Frozen):
    brief: PublicationRule = DEFAULT_PUBLICATIONS["brief"]
    executive_summary: PublicationRule = DEFAULT_PUBLICATIONS["executive_summary"]
    spotlight: PublicationRule = DEFAULT_PUBLICATIONS["spotlight"]

    @field_validator("brief", "executive_summary", "spotlight", mode="before")
    @classmethod
    def _over_default(cls, value: Any, info: Any) -> Any:
        # A partial rule in the edition file changes only the keys it names.
        if isinstance(value, Mapping):
            return {**DEFAULT_PUBLICATIONS[info.field_name].model_dump(), **value}
        return value

    def rule(self, publication: str) -> PublicationRule:
        if publication not in type(self).model_fields:
            raise ValueError(
                f"unknown publication {publication!r}; "
                f"expected one of {', '.join(type(self).model_fields)}"
            )
        rule: PublicationRule = getattr(self, publication)
        return rule


class FindingsSpec(_Frozen):
    """The findings section of the edition file (`findings:`): peers, thresholds, selection."""

    peer_groups: tuple[str, ...] = ("same_stage", "top_n")
    top_n: int = Field(default=10, ge=1)
    named: dict[str, NamedGroupSpec | tuple[str, ...]] = Field(default_factory=dict)
    min_peers: int = Field(default=3, ge=1)
    include_imputed_peers: bool = False
    subjects: tuple[Literal["indicator", "pillar", "dimension"], ...] = ("indicator", "pillar")
    scales: dict[str, Scale] = Field(
        default_factory=dict, description="per indicator; default from its unit and sign"
    )
    gap_ratio: float = Field(default=0.5, gt=0, lt=1)
    strength_ratio: float = Field(default=2.0, gt=1)
    gap_points: float = Field(default=15.0, gt=0)
    strength_points: float = Field(default=15.0, gt=0)
    per_capita: bool = True
    max_data_age: int = Field(default=5, ge=0)
    perception_indicators: tuple[str, ...] = Field(
        default=(), description="indicators read from perception surveys"
    )
    borderline_probability: float = Field(
        default=0.6,
        gt=0,
        le=1,
        description="a stage held in fewer replications than this is called borderline",
    )
    unmeasured: dict[str, str] = Field(
        default_factory=dict,
        description="per pillar, what the data cannot yet measure; printed with its themes",
    )
    salience: SalienceSpec = SalienceSpec()
    mover_subjects: tuple[Literal["overall", "dimension", "pillar"], ...] = (
        "overall",
        "dimension",
        "pillar",
    )
    mover_min_rank_change: int = Field(default=3, ge=1)
    mover_min_score_change: float = Field(default=5.0, gt=0)
    publications: PublicationsSpec = PublicationsSpec()

    @model_validator(mode="after")
    def _groups_known(self) -> FindingsSpec:
        clash = sorted(set(self.named) & set(BUILTIN_GROUPS))
        if clash:
            raise ValueError(f"named peer groups reuse built-in names: {', '.join(clash)}")
        known = set(BUILTIN_GROUPS) | set(self.named)
        unknown = [g for g in self.peer_groups if g not in known]
        if unknown:
            raise ValueError(
                f"unknown peer groups {', '.join(unknown)}; "
                f"expected one of {', '.join(sorted(known))}"
            )
        for publication in type(self.publications).model_fields:
            strange = [g for g in self.publications.rule(publication).peer_groups if g not in known]
            if strange:
                raise ValueError(
                    f"publication '{publication}' reads unknown peer groups {', '.join(strange)}"
                )
        return self

    def computed_groups(self) -> tuple[str, ...]:
        """`peer_groups`, then any group a publication reads that they leave out."""
        groups = list(self.peer_groups)
        for publication in type(self.publications).model_fields:
            groups += [
                g for g in self.publications.rule(publication).peer_groups if g not in groups
            ]
        return tuple(groups)

    def named_groups(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        out: dict[str, tuple[str, tuple[str, ...]]] = {}
        for group_id, group in self.named.items():
            if isinstance(group, NamedGroupSpec):
                out[group_id] = (group.name, group.members)
            else:
                out[group_id] = (group_id.replace("_", " ").capitalize(), tuple(group))
        return out


def check_findings(
    spec: FindingsSpec, city_ids: Iterable[str], indicator_ids: Iterable[str] | None = None
) -> list[str]:
    """Problems of the findings section given the data's cities and indicators (for `validate`)."""
    known = set(city_ids)
    problems: list[str] = []
    if indicator_ids is not None:
        ids = set(indicator_ids)
        for key, named in (
            ("scales", spec.scales),
            ("perception_indicators", spec.perception_indicators),
        ):
            unknown_ids = sorted(set(named) - ids)
            if unknown_ids:
                problems.append(
                    f"findings.{key} names unknown indicators: {', '.join(unknown_ids)}"
                )
    for group_id, (_, members) in spec.named_groups().items():
        unknown = [m for m in members if m not in known]
        if unknown:
            problems.append(
                f"named peer group '{group_id}' lists unknown cities: {', '.join(unknown)}"
            )
        if len(set(members) & known) < spec.min_peers:
            problems.append(
                f"named peer group '{group_id}' has fewer than "
                f"min_peers={spec.min_peers} known cities"
            )
    return problems
