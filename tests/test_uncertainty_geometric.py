"""The bundled uncertainty set-up (geometric aggregation beside z-scores) at 1,000 synthetic
cities: no replication fails; the ones that met values <= 0 are shifted and say so."""

from __future__ import annotations

import numpy as np
import pytest

from reportgen.config import load_edition
from reportgen.data.demo import BUNDLED_DATA, write_demo_data
from reportgen.data.load import load_dataset
from reportgen.index import AggregateSpec, IndexResult, run
from reportgen.index.steps import aggregate
from reportgen.index.uncertainty import run_uncertainty
from reportgen.pipeline import compute_year


@pytest.fixture(scope="module")
def thousand(tmp_path_factory: pytest.TempPathFactory) -> IndexResult:
    folder = tmp_path_factory.mktemp("geometric") / "thousand"
    write_demo_data(folder, n_cities=1000, seed=7)
    edition = load_edition(folder / "edition.yaml")
    return compute_year(load_dataset(folder), edition, edition.build, edition.year).index


def test_bundled_set_up_never_fails_at_a_thousand_cities(thousand: IndexResult) -> None:
    bundled = load_edition(BUNDLED_DATA / "edition.yaml").uncertainty
    assert {a["method"] for a in bundled.aggregation} == {"arithmetic", "geometric"}
    # n lowered from 1,000 to keep the suite fast; every (upstream, aggregation) group occurs.
    spec = bundled.model_copy(update={"n": 200, "sensitivity": False})
    result = run_uncertainty(thousand.build, thousand.data, spec, keep_scores=("TDP", "ECC"))
    shift = result.choices["positive_shift"]
    geometric = result.choices["aggregation"] == "method=geometric"
    zscore = result.choices["normalisation"].str.contains("zscore")
    assert (shift[~geometric] == 0).all()  # arithmetic means never need it
    assert (shift[geometric & ~zscore] == 0).all()  # min-max to [1, 100] is positive already
    assert (shift[geometric & zscore] > 1).mean() > 0.5  # skewed z-scores go below 0
    assert np.isfinite(result.ranks).all()


def test_a_shifted_replication_is_the_geometric_mean_of_the_shifted_values(
    thousand: IndexResult,
) -> None:
    """Hand-built: run the upstream steps with the z-score alternative, add 1 - min to every
    normalised value, aggregate geometrically; the replication's scores are those, exactly."""
    bundled = load_edition(BUNDLED_DATA / "edition.yaml").uncertainty
    spec = bundled.model_copy(
        update={
            "n": 4,
            "imputation": (),
            "winsorisation": (),
            "weights": None,
            "normalisation": ({"method": "zscore", "mean_sd": [10, 2]},),
            "aggregation": ({"method": "geometric"},),
            "sensitivity": False,
        }
    )
    result = run_uncertainty(thousand.build, thousand.data, spec)
    upstream = thousand.build.with_overrides(
        {"normalise.method": "zscore", "normalise.mean_sd": [10, 2]}
    )
    normalised = run(upstream, thousand.data).datasets["normalised"]
    minimum = float(np.nanmin(normalised.to_numpy()))
    assert minimum <= 0  # the case the issue reports
    assert (result.choices["positive_shift"] == 1 - minimum).all()
    expected = aggregate(
        normalised + (1 - minimum), AggregateSpec(method="geometric"), thousand.framework
    )
    expected = expected.reindex(result.units)[list(result.codes)].to_numpy()
    np.testing.assert_allclose(result.scores[0], expected, rtol=0, atol=1e-12)
