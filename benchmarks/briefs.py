"""Publishing speed: briefs per second on 1 and 2 workers, a no-change rebuild against a full
build, a brief against WeasyPrint alone on its final HTML, and time and memory at scale.

    .venv/bin/python benchmarks/briefs.py                  # everything (several minutes)
    .venv/bin/python benchmarks/briefs.py --briefs 8 --sizes 30,300 --sample 4   # quicker

Every figure is measured in this run and printed side by side at the end. Not a timed test.
"""

from __future__ import annotations

import argparse
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


def _clock() -> float:
    return time.perf_counter()


def _tasks(result: Any, out: Path, cities: Sequence[str] | None, annual: bool) -> list[Any]:
    from reportgen.publish.plan import annual_task, brief_tasks, select_cities

    common: dict[str, Any] = {"pdf_variant": "pdf/ua-1", "write_html": False, "with_chinese": False}
    tasks = [annual_task(result, out, **common)] if annual else []
    chosen = select_cities(result, cities or ())
    return tasks + brief_tasks(result, out, chosen, **common)


def _publish(tasks: Sequence[Any], out: Path, jobs: int, force: bool = True) -> tuple[float, Any]:
    from reportgen.publish import LocalExecutor, publish

    started = _clock()
    report = publish(tasks, out, executor=LocalExecutor(jobs), force=force)
    if report.failed:
        raise SystemExit(f"failed: {[o.error for o in report.failed]}")
    return _clock() - started, report


# ---------------------------------------------------------------------------------------------
# bundled data: workers, rebuild, overhead


def bundled(n_briefs: int, overhead_sample: int, cli: bool) -> dict[str, Any]:
    from reportgen.app import Inputs, compute

    work = Path(tempfile.mkdtemp(prefix="reportgen-bench-"))
    started = _clock()
    result = compute(Inputs(data=ROOT / "data"))
    figures: dict[str, Any] = {"compute_s": _clock() - started}
    cities = [str(c) for c in result.scores.index][:n_briefs]

    # Briefs per second: the same briefs, rendered from scratch on 1 and on 2 workers.
    for jobs in (1, 2):
        out = work / f"jobs{jobs}"
        started = _clock()
        tasks = _tasks(result, out, cities, annual=False)
        planned = _clock() - started
        seconds, _ = _publish(tasks, out, jobs)
        figures[f"briefs_per_s_{jobs}"] = len(tasks) / (planned + seconds)
        figures[f"briefs_wall_s_{jobs}"] = planned + seconds
        print(
            f"  {len(tasks)} briefs on {jobs} worker(s): {planned + seconds:.1f} s "
            f"(plan {planned:.2f} s)",
            flush=True,
        )

    # Full build (annual + every brief, 2 workers) and a rebuild with nothing changed.
    out = work / "full"
    started = _clock()
    _publish(_tasks(result, out, None, annual=True), out, 2)
    figures["full_build_s"] = _clock() - started
    started = _clock()
    seconds, report = _publish(_tasks(result, out, None, annual=True), out, 2, force=False)
    figures["rebuild_s"] = _clock() - started
    assert len(report.skipped) == len(report.outcomes), "a no-change rebuild rendered something"
    print(
        f"  full build {figures['full_build_s']:.1f} s, no-change rebuild "
        f"{figures['rebuild_s']:.2f} s (after compute)",
        flush=True,
    )
    if cli:
        out = work / "cli"
        for label, extra in (("cli_full_s", ["--force"]), ("cli_rebuild_s", [])):
            started = _clock()
            subprocess.run(
                [
                    *CLI,
                    "build",
                    "--data",
                    str(ROOT / "data"),
                    "--out",
                    str(out),
                    "--jobs",
                    "2",
                    "--quiet",
                    *extra,
                ],
                check=True,
                cwd=ROOT,
                stderr=subprocess.DEVNULL,
            )
            figures[label] = _clock() - started
        print(
            f"  CLI: build {figures['cli_full_s']:.1f} s, rebuild {figures['cli_rebuild_s']:.1f} s",
            flush=True,
        )

    figures.update(overhead(result, work / "overhead", cities[:overhead_sample]))
    return figures


def overhead(result: Any, out: Path, cities: Sequence[str]) -> dict[str, Any]:
    """Per brief: reportgen's whole path (view-model, HTML, charts, PDF) against WeasyPrint
    alone laying out and writing the same final HTML with the same charts and fonts."""

    from reportgen.publish import render_output
    from reportgen.report import charts

    tasks = _tasks(result, out, cities, annual=False)
    # Warm-up on another city (fonts, vl-convert, WeasyPrint caches).
    spare = [str(c) for c in result.scores.index if str(c) not in cities][-1]
    render_output(_tasks(result, out, [spare], annual=False)[0])
    ours, alone, phases = [], [], []

    for i, task in enumerate(tasks):
        # Alternate which goes first (the second run of a document finds warmer caches), and
        # let no brief find its charts already converted by an earlier run in this process.
        charts._SVG_CACHE.clear()
        if i % 2:
            alone.append(weasyprint_alone(task))
            charts._SVG_CACHE.clear()
            rendered = render_output(task)
        else:
            rendered = render_output(task)
            alone.append(weasyprint_alone(task))
        ours.append(rendered.outcome.seconds)
        phases.append(dict(rendered.outcome.phases))
    mean_phase = {
        k: statistics.mean(p.get(k, 0.0) for p in phases)
        for k in ("context", "html", "charts", "pdf")
    }
    print(
        f"  per brief ({len(tasks)}): reportgen {statistics.mean(ours):.2f} s, WeasyPrint alone "
        f"{statistics.mean(alone):.2f} s; phases "
        + ", ".join(f"{k} {v:.2f}" for k, v in mean_phase.items()),
        flush=True,
    )
    return {
        "brief_s": statistics.mean(ours),
        "weasyprint_s": statistics.mean(alone),
        "phases": mean_phase,
    }


# ---------------------------------------------------------------------------------------------
# scale: one child process per size, for a clean peak-memory figure


def scale_child(n_cities: int, sample: int) -> dict[str, Any]:
    from reportgen.app import Inputs, compute
    from reportgen.data.demo import write_demo_data

    work = Path(tempfile.mkdtemp(prefix=f"reportgen-scale-{n_cities}-"))
    figures: dict[str, Any] = {"cities": n_cities}
    started = _clock()
    write_demo_data(work / "data", n_cities=n_cities, seed=7)
    figures["generate_s"] = _clock() - started
    started = _clock()
    result = compute(Inputs(data=work / "data"))
    figures["compute_s"] = _clock() - started
    figures["rss_after_compute_mb"] = _peak_mb(resource.RUSAGE_SELF)
    out = work / "out"
    started = _clock()
    tasks = _tasks(result, out, None, annual=True)  # every output's key: a no-change rebuild
    figures["plan_s"] = _clock() - started
    figures["outputs"] = len(tasks)
    # Render a fixed sample of briefs (the strongest, a middle and the weakest cities).
    briefs = tasks[1:]
    step = max(1, len(briefs) // sample)
    chosen = briefs[::step][:sample]
    seconds, report = _publish(chosen, out, 2)
    figures["sample"] = len(chosen)
    figures["sample_wall_s"] = seconds
    figures["brief_cpu_s"] = statistics.mean(o.seconds for o in report.written)
    figures["context_s"] = statistics.mean(dict(o.phases)["context"] for o in report.written)
    figures["peak_main_mb"] = _peak_mb(resource.RUSAGE_SELF)
    figures["peak_worker_mb"] = max(o.peak_memory_mb for o in report.written)
    return figures


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def scale(sizes: Sequence[int], sample: int) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        started = _clock()
        child = subprocess.run(
            [sys.executable, __file__, "--scale-child", str(n), "--sample", str(sample)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        row = json.loads(child.stdout.strip().splitlines()[-1])
        row["total_s"] = _clock() - started
        print(
            f"  {n} cities: compute {row['compute_s']:.1f} s, plan {row['plan_s']:.1f} s, "
            f"brief {row['brief_cpu_s']:.2f} s, peak {row['peak_main_mb']:.0f} MB",
            flush=True,
        )
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--briefs", type=int, default=30, help="briefs for the worker test")
    parser.add_argument("--overhead", type=int, default=8, help="briefs for the overhead test")
    parser.add_argument("--sizes", default="30,300,1000", help="synthetic city counts")
    parser.add_argument("--sample", type=int, default=4, help="briefs rendered per size")
    parser.add_argument("--no-cli", action="store_true", help="skip the end-to-end CLI runs")
    parser.add_argument("--scale-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale_child:
        print(json.dumps(scale_child(args.scale_child, args.sample)))
        return

    from reportgen.publish import code_hash

    code_at_start = code_hash()
    print(f"reportgen publishing benchmark ({os.cpu_count()} cores)", flush=True)
    print("bundled data:", flush=True)
    b = bundled(args.briefs, args.overhead, not args.no_cli)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print("synthetic data:", flush=True)
    rows = scale(sizes, args.sample)

    if code_hash() != code_at_start:
        print(
            "WARNING: reportgen's code changed during this run (a changed code hash rebuilds "
            "everything): the figures mix versions, run again"
        )
    speedup = b["briefs_per_s_2"] / b["briefs_per_s_1"]
    rebuild = b["rebuild_s"] / b["full_build_s"]
    ratio = b["brief_s"] / b["weasyprint_s"]
    print("\n=== results ===")
    print(
        f"briefs/s, {args.briefs} briefs: 1 worker {b['briefs_per_s_1']:.2f}, "
        f"2 workers {b['briefs_per_s_2']:.2f}  -> speed-up {speedup:.2f}x (target >= 1.7x)"
    )
    print(
        f"no-change rebuild / full build (after compute): {b['rebuild_s']:.2f} s / "
        f"{b['full_build_s']:.1f} s = {rebuild:.1%} (target <= 10%)"
    )
    if "cli_full_s" in b:
        print(
            f"  end to end (CLI, with import and compute): {b['cli_rebuild_s']:.1f} s / "
            f"{b['cli_full_s']:.1f} s = {b['cli_rebuild_s'] / b['cli_full_s']:.1%}"
        )
    print(
        f"per brief vs WeasyPrint alone on its final HTML: {b['brief_s']:.2f} s / "
        f"{b['weasyprint_s']:.2f} s = {ratio:.2f}x (target <= 1.3x); phases "
        + ", ".join(f"{k} {v:.2f} s" for k, v in b["phases"].items())
    )
    print(f"scale (synthetic; briefs: a fixed sample of {args.sample} per size, 2 workers):")
    print(
        f"  {'cities':>6} {'generate':>9} {'compute':>8} {'plan/keys':>9} {'per brief':>9} "
        f"{'context':>8} {'peak main':>10} {'peak worker':>11}"
    )
    for r in rows:
        print(
            f"  {r['cities']:>6} {r['generate_s']:>8.1f}s {r['compute_s']:>7.1f}s "
            f"{r['plan_s']:>8.1f}s {r['brief_cpu_s']:>8.2f}s {r['context_s']:>7.2f}s "
            f"{r['peak_main_mb']:>8.0f}MB {r['peak_worker_mb']:>9.0f}MB"
        )
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        factor = last["cities"] / first["cities"]
        print(
            f"  growth {first['cities']} -> {last['cities']} cities (x{factor:.0f}): compute "
            f"x{last['compute_s'] / first['compute_s']:.1f}, plan "
            f"x{last['plan_s'] / max(first['plan_s'], 1e-3):.1f}, per brief "
            f"x{last['brief_cpu_s'] / first['brief_cpu_s']:.1f}, peak memory "
            f"x{last['peak_main_mb'] / first['peak_main_mb']:.1f}"
        )


if __name__ == "__main__":
    main()
