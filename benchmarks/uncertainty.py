"""Time COINr's ASEM sensitivity set-up (ms per replication at N=1,000 and 10,000, Sobol, memory),
and the bundled edition's set-up (Sobol included) on 1,000 synthetic cities."""

from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from reportgen.index import Build, IndexData
from reportgen.index.coinr import read_coinr
from reportgen.index.uncertainty import UncertaintySpec, WeightNoiseSpec, run_uncertainty

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "coinr-asem"
COINR_MS_PER_REPLICATION = 104.0  # COINr 1.1.14: 10.4 s for N=100 on this machine (issue 9)
REPEATS = 3

# COINr vignette: winmax 1..5, minmax(1,100) or zscore(10,2), weight noise ±25% at levels 2 and
# 3, arithmetic or geometric mean.
VIGNETTE = UncertaintySpec(
    winsorisation=(1, 2, 3, 4, 5),
    normalisation=(
        {"method": "minmax", "range": [1, 100]},
        {"method": "zscore", "mean_sd": [10, 2]},
    ),
    weights=WeightNoiseSpec(levels=(2, 3), noise=0.25),
    aggregation=({"method": "arithmetic"}, {"method": "geometric"}),
)


def _best_seconds(build: Build, data: IndexData, spec: UncertaintySpec) -> float:
    """Median wall time of a few complete analyses (upstream builds included, nothing cached)."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run_uncertainty(build, data, spec)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    data = read_coinr(FIXTURES / "asem_iData.csv", FIXTURES / "asem_iMeta.csv")
    build = Build.from_yaml((FIXTURES / "build.yaml").read_text(encoding="utf-8"))
    run_uncertainty(build, data, VIGNETTE.model_copy(update={"n": 10}))  # warm-up (imports)

    for n in (1_000, 10_000):
        seconds = _best_seconds(build, data, VIGNETTE.model_copy(update={"n": n}))
        per = seconds / n * 1000
        print(
            f"uncertainty: ASEM vignette set-up, N={n:,}: {seconds * 1000:.0f} ms in all, "
            f"{per:.4f} ms per replication ({COINR_MS_PER_REPLICATION / per:,.0f}x COINr)"
        )
    sobol = VIGNETTE.model_copy(update={"n": 1_000, "sensitivity": True})
    d = len(sobol.factors())
    seconds = _best_seconds(build, data, sobol)
    print(
        f"sensitivity: Sobol, N=1,000 base samples x (d+2={d + 2}) = {1_000 * (d + 2):,} builds: "
        f"{seconds * 1000:.0f} ms"
    )

    tracemalloc.start()
    run_uncertainty(build, data, VIGNETTE.model_copy(update={"n": 10_000}))
    run_uncertainty(build, data, sobol)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (
        1024 if sys.platform != "darwin" else 1024**2
    )
    print(
        f"memory: peak {peak / 2**20:.0f} MiB allocated by numpy/Python during N=10,000 and Sobol "
        f"(tracemalloc); process peak RSS {rss:.0f} MiB"
    )


def thousand_cities() -> None:
    """The edition's own Monte Carlo (N=1,000, Sobol, geometric beside z-scores) at 1,000
    synthetic cities, keeping score draws for the two dimensions only, as the pipeline does."""
    from reportgen.config import load_edition
    from reportgen.data.demo import BUNDLED_DATA, write_demo_data
    from reportgen.data.load import load_dataset
    from reportgen.pipeline import compute_year

    with tempfile.TemporaryDirectory() as folder:
        write_demo_data(Path(folder), n_cities=1000, seed=7)
        edition = load_edition(Path(folder) / "edition.yaml")
        index = compute_year(load_dataset(Path(folder)), edition, edition.build, edition.year).index
    spec = load_edition(BUNDLED_DATA / "edition.yaml").uncertainty
    tracemalloc.start()
    start = time.perf_counter()
    result = run_uncertainty(index.build, index.data, spec, keep_scores=("TDP", "ECC"))
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    shifted = int((result.choices["positive_shift"] > 0).sum())
    print(
        f"1,000 synthetic cities, bundled set-up (N={spec.n:,}, Sobol, d={len(spec.factors())}): "
        f"{seconds:.1f} s, peak {peak / 2**20:.0f} MiB allocated; kept ranks "
        f"{result.ranks.nbytes / 2**20:.0f} MiB, scores {result.scores.nbytes / 2**20:.0f} MiB; "
        f"{shifted} of {spec.n:,} replications shifted to positive for a geometric mean"
    )


if __name__ == "__main__":
    main()
    thousand_cities()
