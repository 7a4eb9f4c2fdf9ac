"""Time the COINr ASEM default build (all six steps) after import: median and p90 of 200 runs."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from reportgen.index import Build, run
from reportgen.index.coinr import read_coinr

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "coinr-asem"
REPEATS = 200


def main() -> None:
    data = read_coinr(FIXTURES / "asem_iData.csv", FIXTURES / "asem_iMeta.csv")
    build = Build.from_yaml((FIXTURES / "build.yaml").read_text(encoding="utf-8"))
    run(build, data)  # warm-up: first-call costs (pandas caches, lazy imports) are not per build
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run(build, data)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p90 = times[int(0.9 * REPEATS) - 1]
    print(
        f"engine: ASEM default build (51 units, 49 indicators, 6 steps) x{REPEATS}: "
        f"median {statistics.median(times):.2f} ms, p90 {p90:.2f} ms per build"
    )


if __name__ == "__main__":
    main()
