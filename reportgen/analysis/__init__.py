"""Stages, findings: what the numbers say."""

from reportgen.analysis.findings import (
    Comparison,
    Evidence,
    Finding,
    FindingInputs,
    FindingsSpec,
    check_findings,
    compute_findings,
    filter_findings,
    findings_frame,
    format_value,
    peer_median_of,
    select,
)
from reportgen.analysis.peers import PeerGroup, PeerMedian, indicator_points, peer_median
from reportgen.analysis.stages import (
    StagesSpec,
    assign_stages,
    check_stages,
    next_stage_levers,
    stage_probabilities,
)

__all__ = [
    "Comparison",
    "Evidence",
    "Finding",
    "FindingInputs",
    "FindingsSpec",
    "PeerGroup",
    "PeerMedian",
    "StagesSpec",
    "assign_stages",
    "check_findings",
    "check_stages",
    "compute_findings",
    "filter_findings",
    "findings_frame",
    "format_value",
    "indicator_points",
    "next_stage_levers",
    "peer_median",
    "peer_median_of",
    "select",
    "stage_probabilities",
]
