"""Findings computed from the numbers: gaps and strengths against peers, movers, stages, data,
merged into themes, ranked by salience, and chosen for each publication.

Modules: `spec` (the edition file's section), `records` (typed outputs), `inputs` (what findings
read), `peerstats` (leave-one-out peer medians), `compare` (gaps and strengths on indicators),
`pillars` (on pillars and dimensions), `movers` and `decompose` (changes between editions),
`stage`, `coverage` (data findings), `salience`, `themes`, `selection`, `story` (executive
summary), `wording` (every sentence template), `compute` (the pass over all of them).
"""

from reportgen.analysis.findings.compute import (
    EarlyFindings,
    FindingsResult,
    analyse,
    compute_findings,
    findings_before_monte_carlo,
    peer_median_of,
)
from reportgen.analysis.findings.decompose import Decomposition, decompose, effective_weights
from reportgen.analysis.findings.inputs import FindingInputs, ScoreDraws
from reportgen.analysis.findings.movers import printed_ranks
from reportgen.analysis.findings.records import (
    BriefFindings,
    Comparison,
    Contribution,
    EditionStory,
    Evidence,
    Finding,
    Salience,
    StoryItem,
    Theme,
)
from reportgen.analysis.findings.salience import finding_weights, salience_method
from reportgen.analysis.findings.selection import (
    FRAME_COLUMNS,
    brief_findings,
    filter_findings,
    findings_frame,
    select,
    select_movers,
    select_themes,
)
from reportgen.analysis.findings.spec import (
    DEFAULT_PUBLICATIONS,
    FLAGS,
    KINDS,
    FindingsSpec,
    Flag,
    Kind,
    NamedGroupSpec,
    Publication,
    PublicationRule,
    PublicationsSpec,
    SalienceSpec,
    Scale,
    SubjectKind,
    check_findings,
)
from reportgen.analysis.findings.wording import (
    CAVEATS,
    TEMPLATES,
    difference_text,
    format_value,
    per_capita_unit,
    printed_difference,
)

__all__ = [
    "CAVEATS",
    "DEFAULT_PUBLICATIONS",
    "FLAGS",
    "FRAME_COLUMNS",
    "KINDS",
    "TEMPLATES",
    "BriefFindings",
    "Comparison",
    "Contribution",
    "Decomposition",
    "EarlyFindings",
    "EditionStory",
    "Evidence",
    "Finding",
    "FindingInputs",
    "FindingsResult",
    "FindingsSpec",
    "Flag",
    "Kind",
    "NamedGroupSpec",
    "Publication",
    "PublicationRule",
    "PublicationsSpec",
    "Salience",
    "SalienceSpec",
    "Scale",
    "ScoreDraws",
    "StoryItem",
    "SubjectKind",
    "Theme",
    "analyse",
    "brief_findings",
    "check_findings",
    "compute_findings",
    "decompose",
    "difference_text",
    "effective_weights",
    "filter_findings",
    "finding_weights",
    "findings_before_monte_carlo",
    "findings_frame",
    "format_value",
    "peer_median_of",
    "per_capita_unit",
    "printed_difference",
    "printed_ranks",
    "salience_method",
    "select",
    "select_movers",
    "select_themes",
]
