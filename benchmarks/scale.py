"""Scale: compute, plan, render per brief and peak memory from 30 to 10,000 synthetic cities,
with the growth between sizes; a brief and the annual report against WeasyPrint alone on their
final HTML; a no-change rebuild against a full build; Dask on two workers against one.

    .venv/bin/python benchmarks/scale.py                         # everything (long)
    .venv/bin/python benchmarks/scale.py --sizes 30,300 --no-dask --no-annual   # quicker

Each size runs in a child process (a clean peak-memory figure). Synthetic data comes from
``reportgen demo-data``. Every figure is measured in this run; this is not a timed test.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from weasyprint_alone import weasyprint_alone

ROOT = Path(__file__).resolve().parent.parent
CLI = [str(Path(sys.executable).parent / "reportgen")]
NO_RENDER_ABOVE = 1_000  # 10,000 cities: compute and plan only


def _clock() -> float:
    return time.perf_counter()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _tasks(result: Any, out: Path, cities: Sequence[str] | None, annual: bool) -> list[Any]:
    from reportgen.publish.plan import annual_task, brief_tasks, select_cities

    common: dict[str, Any] = {"pdf_variant": "pdf/ua-1", "with_chinese": False}
    tasks = [annual_task(result, out, **common)] if annual else []
    return tasks + brief_tasks(result, out, select_cities(result, cities or ()), **common)


def _sample(cities: Sequence[str], n: int) -> list[str]:
    """A fixed spread of cities: the strongest, some in between, the weakest."""
    if n >= len(cities):
        return list(cities)
    step = (len(cities) - 1) / max(n - 1, 1)
    return [cities[round(i * step)] for i in range(n)]


# ---------------------------------------------------------------------------------------------
# one size, in a child process


def size_child(n_cities: int, sample: int, render: bool) -> dict[str, Any]:
    from reportgen.app import Inputs, compute
    from reportgen.data.demo import write_demo_data
    from reportgen.publish import LocalExecutor, publish
    from reportgen.publish.cache import read_cached, write_cached
    from reportgen.publish.plan import for_workers

    work = Path(tempfile.mkdtemp(prefix=f"reportgen-scale-{n_cities}-"))
    row: dict[str, Any] = {"cities": n_cities}
    write_demo_data(work / "data", n_cities=n_cities, seed=7)
    started = _clock()
    result = for_workers(compute(Inputs(data=work / "data")))
    row["compute_s"] = _clock() - started
    row["ranked"] = len(result.scores)
    out = work / "out"
    started = _clock()
    tasks = _tasks(result, out, None, annual=True)  # every output's key
    row["plan_s"] = _clock() - started
    # What a no-change rebuild reads instead of computing.
    write_cached(out, "bench", result)
    started = _clock()
    assert read_cached(out, "bench") is not None
    row["cache_read_s"] = _clock() - started
    row["peak_mb"] = _peak_mb()
    if render:
        chosen = _sample([t.name for t in tasks[1:]], sample)
        briefs = [t for t in tasks if t.name in chosen]
        report = publish(briefs, out, executor=LocalExecutor(1))
        if report.failed:
            raise SystemExit(f"failed: {[o.error for o in report.failed]}")
        row["brief_s"] = statistics.mean(o.seconds for o in report.written)
        row["brief_context_s"] = statistics.mean(dict(o.phases)["context"] for o in report.written)
        started = _clock()
        again = publish(briefs, out, executor=LocalExecutor(1))
        row["skip_check_s"] = _clock() - started
        assert len(again.skipped) == len(briefs)
        row["peak_mb"] = _peak_mb()
    return row


def sizes_table(sizes: Sequence[int], sample: int) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        render = n <= NO_RENDER_ABOVE
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--size-child",
                str(n),
                "--sample",
                str(sample),
                *([] if render else ["--no-render"]),
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        row = json.loads(child.stdout.strip().splitlines()[-1])
        brief = f"brief {row['brief_s']:.2f} s" if "brief_s" in row else "no rendering"
        print(
            f"  {n} cities: compute {row['compute_s']:.1f} s, plan {row['plan_s']:.2f} s, "
            f"{brief}, peak {row['peak_mb']:.0f} MB",
            flush=True,
        )
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------
# reportgen against WeasyPrint alone, on the bundled data


def against_weasyprint(annual: bool, briefs: int) -> dict[str, Any]:
    """reportgen's whole path (view-model, HTML, charts, PDF) against WeasyPrint alone laying
    out and writing the same final HTML with the same charts and fonts."""

    from reportgen.app import Inputs, compute
    from reportgen.publish import render_output
    from reportgen.publish.plan import for_workers
    from reportgen.report import charts

    result = for_workers(compute(Inputs(data=ROOT / "data")))
    out = Path(tempfile.mkdtemp(prefix="reportgen-vs-weasyprint-"))
    cities = [str(c) for c in result.scores.index]
    tasks = _tasks(result, out, _sample(cities, briefs), annual=annual)
    # Warm-up: both kinds once on each side, so neither pays a cold start for its code paths.
    for task in _tasks(result, out, [cities[len(cities) // 2]], annual=annual):
        render_output(task)
        weasyprint_alone(task)

    figures: dict[str, list[float]] = {}
    for rep in range(2):
        for i, task in enumerate(tasks):
            kind = "annual" if task.name == "annual" else "brief"
            # Alternate which goes first (by task and by pass), let no run find its charts
            # already converted, and collect garbage before each side.
            charts._SVG_CACHE.clear()
            gc.collect()
            if (i + rep) % 2:
                alone = weasyprint_alone(task)
                charts._SVG_CACHE.clear()
                gc.collect()
                ours = render_output(task).outcome.seconds
            else:
                ours = render_output(task).outcome.seconds
                charts._SVG_CACHE.clear()
                gc.collect()
                alone = weasyprint_alone(task)
            figures.setdefault(f"{kind}_s", []).append(ours)
            figures.setdefault(f"{kind}_weasyprint_s", []).append(alone)
    return {k: statistics.mean(v) for k, v in figures.items()}


# ---------------------------------------------------------------------------------------------
# no-change rebuild against a full build (the CLI, end to end)


def rebuild_ratio() -> dict[str, float]:
    out = Path(tempfile.mkdtemp(prefix="reportgen-rebuild-"))
    command = [*CLI, "build", "--data", str(ROOT / "data"), "--out", str(out), "--jobs", "2"]
    times = {}
    for label in ("full_s", "rebuild_s"):
        started = _clock()
        subprocess.run([*command, "--quiet"], check=True, cwd=ROOT, stderr=subprocess.DEVNULL)
        times[label] = _clock() - started
    started = _clock()
    subprocess.run([*CLI, "--help"], check=True, capture_output=True)
    times["help_s"] = _clock() - started
    started = _clock()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    times["python_s"] = _clock() - started
    return times


# ---------------------------------------------------------------------------------------------
# Dask: two workers against one, at 1,000 cities


def dask_speedup(n_cities: int, briefs: int) -> dict[str, float]:
    from distributed import LocalCluster

    from reportgen.app import Inputs, compute
    from reportgen.data.demo import write_demo_data
    from reportgen.publish import DaskExecutor, publish
    from reportgen.publish.plan import for_workers

    work = Path(tempfile.mkdtemp(prefix="reportgen-dask-"))
    write_demo_data(work / "data", n_cities=n_cities, seed=7)
    result = for_workers(compute(Inputs(data=work / "data")))
    cities = _sample([str(c) for c in result.scores.index], briefs)
    figures = {}
    for workers in (1, 2):
        with LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster:
            executor = DaskExecutor(cluster.scheduler_address)
            # Steady state: every worker renders a brief (imports, fonts, the chart engine)
            # before the clock starts; the executor deals tasks out to the workers in turn.
            warm = _tasks(result, work / f"warm{workers}", cities[:workers], annual=False)
            publish(warm, work / f"warm{workers}", executor=executor)
            out = work / f"out{workers}"
            started = _clock()
            report = publish(_tasks(result, out, cities, annual=False), out, executor=executor)
            figures[f"wall_{workers}_s"] = _clock() - started
            if report.failed:
                raise SystemExit(f"failed: {[o.error for o in report.failed]}")
    return figures


# ---------------------------------------------------------------------------------------------


def _growth(rows: Sequence[dict[str, Any]]) -> None:
    for before, after in itertools.pairwise(rows):
        factor = after["cities"] / before["cities"]
        parts = [
            f"compute x{after['compute_s'] / before['compute_s']:.1f}",
            f"plan x{after['plan_s'] / max(before['plan_s'], 1e-3):.1f}",
            f"peak memory x{after['peak_mb'] / before['peak_mb']:.1f}",
        ]
        if "brief_s" in after and "brief_s" in before:
            parts.insert(2, f"per brief x{after['brief_s'] / before['brief_s']:.2f}")
        print(
            f"  {before['cities']} -> {after['cities']} cities (x{factor:.0f}): " + ", ".join(parts)
        )


# The targets on this machine: compute + plan (seconds) by size, peak memory (MB).
COMPUTE_PLAN_TARGET_S = {1000: 10.0, 10000: 120.0}
PEAK_TARGET_MB = {1000: 1536.0}


def _targets(rows: Sequence[dict[str, Any]]) -> None:
    print("targets:")
    for r in rows:
        n, total = r["cities"], r["compute_s"] + r["plan_s"]
        if n in COMPUTE_PLAN_TARGET_S:
            limit = COMPUTE_PLAN_TARGET_S[n]
            verdict = "met" if total < limit else "MISSED"
            print(f"  {n} cities: compute + plan {total:.1f} s (target < {limit:.0f} s): {verdict}")
        if n in PEAK_TARGET_MB:
            limit = PEAK_TARGET_MB[n]
            verdict = "met" if r["peak_mb"] < limit else "MISSED"
            print(
                f"  {n} cities: peak RSS {r['peak_mb']:.0f} MB (target < {limit:.0f} MB): {verdict}"
            )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="30,300,1000,10000", help="synthetic city counts")
    parser.add_argument("--sample", type=int, default=4, help="briefs rendered per size")
    parser.add_argument("--briefs", type=int, default=4, help="briefs against WeasyPrint alone")
    parser.add_argument("--no-annual", action="store_true", help="skip annual vs WeasyPrint")
    parser.add_argument("--no-dask", action="store_true", help="skip Dask 2 workers vs 1")
    parser.add_argument("--dask-cities", type=int, default=1000)
    parser.add_argument("--dask-briefs", type=int, default=8)
    parser.add_argument("--size-child", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--no-render", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.size_child:
        print(json.dumps(size_child(args.size_child, args.sample, not args.no_render)))
        return

    print(f"reportgen scale benchmark ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print("synthetic data, one child process per size:", flush=True)
    rows = sizes_table(sizes, args.sample)
    print("bundled data:", flush=True)
    rebuild = rebuild_ratio()
    versus = against_weasyprint(not args.no_annual, args.briefs)
    dask = None if args.no_dask else dask_speedup(args.dask_cities, args.dask_briefs)

    print("\n=== results ===")
    print(
        f"  {'cities':>6} {'compute':>8} {'plan':>7} {'cache read':>10} {'per brief':>9} "
        f"{'context':>8} {'skip check':>10} {'peak RSS':>9}"
    )
    for r in rows:
        brief = f"{r['brief_s']:>8.2f}s" if "brief_s" in r else f"{'-':>9}"
        context = f"{r['brief_context_s']:>7.2f}s" if "brief_s" in r else f"{'-':>8}"
        skip = f"{r['skip_check_s']:>9.2f}s" if "brief_s" in r else f"{'-':>10}"
        print(
            f"  {r['cities']:>6} {r['compute_s']:>7.1f}s {r['plan_s']:>6.2f}s "
            f"{r['cache_read_s']:>9.2f}s {brief} {context} {skip} {r['peak_mb']:>7.0f}MB"
        )
    print("growth between sizes:")
    _growth(rows)
    _targets(rows)
    print(
        f"no-change rebuild / full build (CLI, bundled data, with start-up): "
        f"{rebuild['rebuild_s']:.2f} s / {rebuild['full_s']:.1f} s = "
        f"{rebuild['rebuild_s'] / rebuild['full_s']:.1%} (targets <= 3% and < 1 s); "
        f"reportgen --help {rebuild['help_s']:.2f} s (python alone {rebuild['python_s']:.2f} s)"
    )
    for kind in ("brief", "annual"):
        if f"{kind}_s" in versus:
            ours, alone = versus[f"{kind}_s"], versus[f"{kind}_weasyprint_s"]
            print(
                f"{kind} vs WeasyPrint alone on its final HTML: {ours:.2f} s / {alone:.2f} s = "
                f"{ours / alone:.2f}x (target <= 1.2x)"
            )
    if dask is not None:
        print(
            f"Dask, {args.dask_briefs} briefs at {args.dask_cities} cities: 1 worker "
            f"{dask['wall_1_s']:.1f} s, 2 workers {dask['wall_2_s']:.1f} s = "
            f"{dask['wall_1_s'] / dask['wall_2_s']:.2f}x (target >= 1.7x)"
        )


if __name__ == "__main__":
    main()
