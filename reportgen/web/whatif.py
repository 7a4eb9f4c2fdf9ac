"""What the browser needs to recompute the index under other weights: the engine's last step."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from reportgen.index import IndexResult
from reportgen.labels import Labels


@dataclass(frozen=True)
class WeightSlider:
    """One adjustable weight (a dimension or a pillar) as the what-if panel shows it."""

    code: str
    label: str
    group: str  # the dimension a pillar belongs to; the index name for dimensions
    weight: float  # the edition's weight, where reset returns
    css_class: str


def _number(value: float) -> float | None:
    # JSON has no NaN: a missing normalised value travels as null.
    return None if math.isnan(value) else float(value)


def whatif_model(index: IndexResult, labels: Labels) -> dict[str, Any]:
    """The normalised indicators, the hierarchy and the weights, as plain JSON-ready data.

    The browser repeats the engine's aggregation (``aggregate_level_kernel``): per level, each
    parent is the weighted mean of its available children, missing children dropped with their
    weights; zero-weight children take no part; ``dat_thresh`` voids a parent with too few
    children. Levels are listed bottom-up so the browser folds over them in order.

    ``axes`` carries the edition's codes, which the page uses for its cells and its plane:
    ``index`` (the table's first rank), ``x`` and ``y`` (the plane's axes) and ``columns`` (the
    aggregates the ranking table prints, index first).
    """
    framework = index.framework
    spec = index.build.step("aggregate")
    method = spec.method if spec is not None else "arithmetic"
    overrides = dict(spec.weights or {}) if spec is not None else {}
    dat_thresh = spec.dat_thresh if spec is not None else None
    indicators = list(framework.indicators)
    normalised = index.datasets["normalised"].reindex(index=index.scores.index, columns=indicators)
    levels = []
    for level in range(2, framework.n_levels + 1):
        levels.append(
            {
                "level": level,
                "parents": [
                    {"code": parent, "children": list(framework.children(parent))}
                    for parent in framework.aggregation_order(level)
                ],
            }
        )
    codes = [
        code for level in range(1, framework.n_levels + 1) for code in framework.codes_at(level)
    ]
    weights = {
        code: float(overrides.get(code, framework.meta.at[code, "weight"])) for code in codes
    }
    return {
        "method": method,
        "datThresh": dat_thresh,
        "top": framework.top,
        "units": [str(u) for u in normalised.index],
        "indicators": indicators,
        "values": [[_number(v) for v in row] for row in normalised.to_numpy(dtype=float)],
        "levels": levels,
        "weights": weights,
        "axes": {
            "index": labels.index,
            "x": labels.x,
            "y": labels.y,
            "columns": list(labels.levels),
        },
    }
