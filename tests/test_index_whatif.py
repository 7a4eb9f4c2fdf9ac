"""Issue 15 item 2: the README's geometric what-if on the bundled data. The nominal build is
never shifted behind the user's back: the error names the override that fixes it."""

from __future__ import annotations

import pytest

from reportgen.config import load_edition
from reportgen.data.demo import BUNDLED_DATA
from reportgen.data.load import load_dataset
from reportgen.errors import MethodError
from reportgen.pipeline import compute_edition


def test_geometric_what_if_names_its_fix_and_runs_with_it() -> None:
    edition = load_edition(BUNDLED_DATA / "edition.yaml")
    dataset = load_dataset(BUNDLED_DATA)
    hint = (
        r"gii_cluster_pubs is 0 \(min-max to \[0, 100\] puts each indicator's lowest unit at 0\); "
        r"start the range above 0: --set normalise.range=1,100"
    )
    with pytest.raises(MethodError, match=hint):
        compute_edition(
            dataset, edition, overrides=["aggregate.method=geometric"], uncertainty=False
        )
    fixed = compute_edition(
        dataset,
        edition,
        overrides=["aggregate.method=geometric", "normalise.range=1,100"],
        uncertainty=False,
    )
    assert fixed.build.step("aggregate").method == "geometric"  # type: ignore[union-attr]
    assert fixed.build.step("normalise").range == (1.0, 100.0)  # type: ignore[union-attr]
    assert fixed.scores["Overall"].notna().all()
    assert (fixed.scores.drop(columns="Overall") >= 1.0).all().all()  # geometric means of >= 1
