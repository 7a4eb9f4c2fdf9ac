"""Composite-indicator engine: pure pandas/numpy, no I/O."""

from reportgen.index.build import Build, parse_override, run
from reportgen.index.framework import Framework, IndexData
from reportgen.index.result import DATASET_NAMES, IndexResult, competition_ranks
from reportgen.index.steps import (
    AGGREGATORS,
    IMPUTERS,
    NORMALISERS,
    SCREENERS,
    TREATMENTS,
    AggregateSpec,
    DenominateSpec,
    ImputeSpec,
    Method,
    NormaliseSpec,
    ScreenSpec,
    TreatSpec,
    registry_for,
)

__all__ = [
    "AGGREGATORS",
    "DATASET_NAMES",
    "IMPUTERS",
    "NORMALISERS",
    "SCREENERS",
    "TREATMENTS",
    "AggregateSpec",
    "Build",
    "DenominateSpec",
    "Framework",
    "ImputeSpec",
    "IndexData",
    "IndexResult",
    "Method",
    "NormaliseSpec",
    "ScreenSpec",
    "TreatSpec",
    "competition_ranks",
    "parse_override",
    "registry_for",
    "run",
]
