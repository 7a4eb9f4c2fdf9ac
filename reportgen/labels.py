"""Names of the index's levels, read from the edition file: the one place that knows which code is
the index, which dimensions span the plane, and what each is called."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reportgen.config import Edition


@dataclass(frozen=True)
class Labels:
    """Codes and printed names of the index, its dimensions and pillars.

    ``x`` and ``y`` are the plane's axes: the first and second dimension in the edition file.
    """

    index: str
    x: str
    y: str
    dimensions: tuple[str, ...]
    pillars: tuple[str, ...]
    names: Mapping[str, str] = field(default_factory=dict)
    descriptions: Mapping[str, str] = field(default_factory=dict)
    pillar_dimension: Mapping[str, str] = field(default_factory=dict)

    def name(self, code: str) -> str:
        """The printed name of a level's code (pillar, dimension, index); the code if unknown."""
        return self.names.get(code, code)

    @property
    def plane(self) -> str:
        """How the report calls the plane, e.g. 'TDP × ECC'."""
        return f"{self.x} × {self.y}"

    @property
    def levels(self) -> tuple[str, ...]:
        """The index and its dimensions, in the order tables print them."""
        return (self.index, *self.dimensions)

    def dimension_of(self, pillar: str) -> str:
        return self.pillar_dimension[pillar]

    def pillars_of(self, dimension: str) -> tuple[str, ...]:
        return tuple(p for p in self.pillars if self.pillar_dimension.get(p) == dimension)


def edition_labels(edition: Edition) -> Labels:
    framework = edition.framework
    dimensions = tuple(d.id for d in framework.dimensions)
    names = {framework.index_name: framework.index_name}
    names.update({d.id: d.name for d in framework.dimensions})
    names.update({p.id: p.name for p in framework.pillars})
    descriptions = {d.id: d.description for d in framework.dimensions}
    descriptions.update({p.id: p.description for p in framework.pillars})
    return Labels(
        index=framework.index_name,
        x=dimensions[0],
        y=dimensions[1] if len(dimensions) > 1 else dimensions[0],
        dimensions=dimensions,
        pillars=tuple(p.id for p in framework.pillars),
        names=names,
        descriptions=descriptions,
        pillar_dimension={p.id: p.dimension for p in framework.pillars},
    )
