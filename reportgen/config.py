"""The edition file: what is published, from which framework, with which methods (frozen models)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from reportgen.analysis.findings import FindingsSpec
from reportgen.analysis.stages import StagesSpec
from reportgen.index.build import Build
from reportgen.index.uncertainty import UncertaintySpec


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DimensionSpec(Frozen):
    id: str  # "TDP" or "ECC"
    name: str
    description: str = ""
    weight: float = 1.0


class PillarSpec(Frozen):
    id: str
    dimension: str
    name: str
    description: str = ""
    weight: float = 1.0


class FrameworkSpec(Frozen):
    """Levels above the indicators; indicator weights live in indicators.csv."""

    index_name: str = "Overall"
    dimensions: tuple[DimensionSpec, ...]
    pillars: tuple[PillarSpec, ...]


class Edition(Frozen):
    title: str
    subtitle: str = ""
    year: int
    previous_year: int | None = None
    publisher: str
    author: str
    language: str = "en"
    keywords: tuple[str, ...] = ()
    spotlight_city: str | None = None
    max_data_age: int = Field(default=10, description="oldest observation used, in years before `year`")
    framework: FrameworkSpec
    build: Build
    stages: StagesSpec
    findings: FindingsSpec = FindingsSpec()
    uncertainty: UncertaintySpec = UncertaintySpec()


def load_edition(path: Path) -> Edition:
    """Read and validate an edition file (error reporting is refined in the data layer)."""
    return Edition.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
