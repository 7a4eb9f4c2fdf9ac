"""The library calls behind each command, so the CLI stays a thin shell (and notebooks can too)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reportgen.config import Edition
from reportgen.data.load import Dataset
from reportgen.pipeline import EditionResult, compute_edition
from reportgen.publish import Executor, PublishReport, RenderTask, publish
from reportgen.publish.plan import annual_task, brief_tasks, cjk_font_available, select_cities

log = logging.getLogger("reportgen")


@dataclass(frozen=True)
class Inputs:
    data: Path
    edition: Path | None = None
    year: int | None = None
    overrides: tuple[str, ...] = ()

    @property
    def edition_path(self) -> Path:
        if self.edition is not None:
            return self.edition
        base = self.data if self.data.is_dir() else self.data.parent
        return base / "edition.yaml"


def load_inputs(inputs: Inputs) -> tuple[Dataset, Edition]:
    """Read and check every input file; raises InputError listing every problem found."""
    from reportgen.data.validate import load_inputs as load_checked

    return load_checked(inputs.data, inputs.edition_path, inputs.year)


def validate_inputs(inputs: Inputs) -> str:
    """A one-line summary when the inputs are sound; InputError with all problems otherwise.

    Beyond the files themselves, the index is built once so that rules that depend on the
    scores (stage rules leaving cities unassigned or overlapping, peer groups) are checked too.
    """
    from reportgen.analysis.findings import check_findings
    from reportgen.analysis.stages import check_stages
    from reportgen.errors import InputError, Problem

    dataset, edition = load_inputs(inputs)
    year = inputs.year or edition.year
    result = compute_edition(
        dataset,
        edition,
        year=inputs.year,
        overrides=inputs.overrides,
        uncertainty=False,
        previous=False,
    )
    messages = [("stages", m) for m in check_stages(edition.stages, result.scores)]
    messages += [
        ("findings", m)
        for m in check_findings(
            edition.findings, result.scores.index, dataset.indicators["indicator_id"]
        )
    ]
    if messages:
        raise InputError(
            Problem(edition.source, message, row=edition.line_of(section), column=section)
            for section, message in messages
        )
    return (
        f"ok: {len(dataset.cities)} cities, {len(dataset.indicators)} indicators, "
        f"{len(dataset.observations)} observations; edition {edition.title!r} {year} "
        "builds without problems"
    )


def compute(inputs: Inputs, *, uncertainty: bool = True) -> EditionResult:
    dataset, edition = load_inputs(inputs)
    return compute_edition(
        dataset, edition, year=inputs.year, overrides=inputs.overrides, uncertainty=uncertainty
    )


@dataclass(frozen=True)
class OutputOptions:
    out_dir: Path
    pdf_variant: str = "pdf/ua-1"
    write_html: bool = False
    jobs: int | None = None
    force: bool = False
    quiet: bool = False
    executor: str = "local"
    scheduler: str | None = None
    languages: tuple[str, ...] = ()  # tags, or ("all",); empty: the edition's own language


def chinese_names(warn: bool = True) -> bool:
    available = cjk_font_available()
    if not available and warn:
        log.warning(
            "no CJK font found: Chinese city names are left out "
            "(install Debian's fonts-noto-cjk to print them)"
        )
    return available


def plan(
    result: EditionResult,
    options: OutputOptions,
    *,
    annual: bool,
    briefs: bool,
    cities: Sequence[str] = (),
) -> list[RenderTask]:
    from reportgen.report.i18n import publication_languages

    languages = publication_languages(result.edition, options.languages)
    with_chinese = chinese_names()
    tasks: list[RenderTask] = []
    for lang in languages:
        common = {
            "pdf_variant": options.pdf_variant,
            "write_html": options.write_html,
            "with_chinese": with_chinese,
            "lang": lang,
        }
        if annual:
            tasks.append(annual_task(result, options.out_dir, **common))  # type: ignore[arg-type]
        if briefs:
            chosen = select_cities(result, cities)
            tasks.extend(brief_tasks(result, options.out_dir, chosen, **common))  # type: ignore[arg-type]
    return tasks


def publish_edition(
    result: EditionResult,
    options: OutputOptions,
    *,
    annual: bool = True,
    briefs: bool = True,
    cities: Iterable[str] = (),
    executor: Executor | None = None,
) -> PublishReport:
    """Plan and publish the annual report and/or briefs of a computed edition."""
    tasks = plan(result, options, annual=annual, briefs=briefs, cities=tuple(cities))
    return publish(
        tasks,
        options.out_dir,
        executor=executor or make_executor(options),
        force=options.force,
        quiet=options.quiet,
    )


def make_executor(options: OutputOptions) -> Executor:
    """The task runner the options ask for: local process pool, or a Dask cluster."""
    from reportgen.publish import LocalExecutor

    if options.executor == "dask":
        from reportgen.publish import DaskExecutor

        return DaskExecutor(options.scheduler)
    return LocalExecutor(options.jobs)


def coinr_index(
    idata: Path, imeta: Path, build_path: Path, overrides: Iterable[str], fmt: str, out: Path
) -> Path:
    """Build a COINr-layout index (iData/iMeta + a build YAML) and write its Aggregated table."""
    from reportgen.index import Build, run
    from reportgen.index.coinr import read_coinr, write_coinr_aggregated
    from reportgen.pipeline import apply_overrides

    build = apply_overrides(Build.from_yaml(build_path.read_text(encoding="utf-8")), overrides)
    return write_coinr_aggregated(run(build, read_coinr(idata, imeta)), out, fmt)
