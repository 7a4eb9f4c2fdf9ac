"""The library calls behind each command, so the CLI stays a thin shell (and notebooks can too)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.errors import InputError, Problem

# Only types at import time: a no-change rebuild is answered without loading pandas, and the
# publishing side (Jinja, Altair, WeasyPrint) loads only when publishing.
if TYPE_CHECKING:
    from reportgen.config import Edition
    from reportgen.data.load import Dataset
    from reportgen.pipeline import EditionResult
    from reportgen.publish import Executor, PublishReport, RenderTask, TaskOutcome
    from reportgen.screening import ScreenedOut
    from reportgen.web import SiteReport

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

    missing = missing_input_problems(inputs)
    if missing:
        raise InputError(missing)
    return load_checked(inputs.data, inputs.edition_path, inputs.year)


def missing_input_problems(inputs: Inputs) -> list[Problem]:
    """A missing data folder or edition file, named by its absolute path with the option that
    points elsewhere: a newcomer running from another folder reads where reportgen looked."""
    data = inputs.data.absolute()
    if not data.exists():
        return [
            Problem(
                str(data),
                "data folder or workbook not found",
                expected="a folder with cities.csv, indicators.csv, observations.csv and "
                "edition.yaml, or an .xlsx workbook; pass --data PATH",
            )
        ]
    edition = inputs.edition_path.absolute()
    if edition.exists():
        return []
    if inputs.edition is not None:
        expected = "a YAML file; check the --edition path"
    elif data.is_file():
        expected = (
            "edition.yaml beside the workbook; pass --edition FILE to use one elsewhere "
            "(e.g. --edition data/edition.yaml)"
        )
    else:
        expected = "edition.yaml in the data folder; pass --edition FILE to use one elsewhere"
    return [Problem(str(edition), "edition file not found", expected=expected)]


@dataclass(frozen=True)
class Validation:
    """What `validate` reports when the inputs are sound: a summary and warnings to read."""

    summary: str
    warnings: tuple[str, ...] = ()


def validate_inputs(inputs: Inputs) -> str:
    """A one-line summary when the inputs are sound; InputError with all problems otherwise."""
    return validate(inputs).summary


def validate(inputs: Inputs) -> Validation:
    """Check the inputs; InputError with all problems, else a summary and the warnings (cities
    the coverage screen leaves out, and named peers among them).

    Beyond the files themselves, the index is built once so that rules that depend on the
    scores (stage rules leaving cities unassigned or overlapping, peer groups) are checked too.
    """
    from reportgen.analysis.findings import check_findings
    from reportgen.analysis.stages import check_stages
    from reportgen.errors import InputError, Problem
    from reportgen.pipeline import compute_edition

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
    screened = [s.city_id for s in result.screened_out]
    axes = (result.labels.x, result.labels.y)
    messages = [("stages", m) for m in check_stages(edition.stages, result.scores, axes=axes)]
    # A screened-out city is known, just not ranked: a warning below, not "unknown".
    messages += [
        ("findings", m)
        for m in check_findings(
            edition.findings,
            [*result.scores.index, *screened],
            dataset.indicators["indicator_id"],
        )
    ]
    messages += [("spotlight_city", m) for m in spotlight_problems(result)]
    if messages:
        raise InputError(
            Problem(edition.source, message, row=edition.line_of(section), column=section)
            for section, message in messages
        )
    warnings = screen_notes(result)
    for group_id, (_, members) in edition.findings.named_groups().items():
        left_out = [m for m in members if m in screened]
        if left_out:
            warnings.append(
                f"named peer group {group_id!r}: {', '.join(left_out)} screened out, so the "
                f"group compares with {len(members) - len(left_out)} of its "
                f"{len(members)} members"
            )
    ranked = len(result.scores)
    cities = f"{len(dataset.cities)} cities ({ranked} ranked"
    cities += f", {len(screened)} screened out)" if screened else ")"
    return Validation(
        summary=(
            f"ok: {cities}, {len(dataset.indicators)} indicators, "
            f"{len(dataset.observations)} observations; edition {edition.title!r} {year} "
            "builds without problems"
        ),
        warnings=tuple(warnings),
    )


def spotlight_problems(result: EditionResult) -> list[str]:
    """The annual report's spotlight city must be ranked: a screened-out spotlight is a
    problem of the edition, said before any rendering starts."""
    spotlight = result.edition.spotlight_city
    gone = {s.city_id: s for s in result.screened_out}
    if spotlight is None or spotlight not in gone:
        return []
    return [
        f"the spotlight city {spotlight!r} is screened out of the index, as it "
        f"{gone[spotlight].why()}; {force_include_hint(result, [gone[spotlight]])}, "
        "or choose another spotlight_city"
    ]


def run_notes(result: EditionResult) -> list[str]:
    """What a user should read before the outputs: a what-if build, and the screened-out
    cities (see screen_notes)."""
    notes = []
    if result.what_if:
        notes.append(
            f"what-if build ({'; '.join(result.what_if)}): not the official edition; every "
            "page, the PDF metadata and the methodology say so"
        )
    return notes + screen_notes(result)


def screen_notes(result: EditionResult) -> list[str]:
    """One line per city the coverage screen left out of the index, then how to rank them
    anyway; empty when every city with data is ranked."""
    gone = result.screened_out
    if not gone:
        return []
    lines = [f"the coverage screen leaves out {s.describe()}" for s in gone]
    return [*lines, force_include_hint(result, gone)]


def force_include_hint(result: EditionResult, gone: Sequence[ScreenedOut]) -> str:
    """How to rank screened-out cities anyway: the --set (keeping any ids the edition already
    forces in) or the edition file."""
    screen = result.build.step("screen")
    already = list(screen.force_include) if screen is not None else []
    ids = [*already, *(s.city_id for s in gone if s.city_id not in already)]
    it, its = ("it", "its") if len(gone) == 1 else ("them", "their")
    return (
        f"to rank {it} anyway, add {its} values, or pass "
        f"--set 'screen.force_include=[{', '.join(ids)}]', or list {it} under force_include "
        f"in the screen step of {result.edition.source}"
    )


def compute(inputs: Inputs, *, uncertainty: bool = True) -> EditionResult:
    from reportgen.pipeline import compute_edition

    dataset, edition = load_inputs(inputs)
    return compute_edition(
        dataset, edition, year=inputs.year, overrides=inputs.overrides, uncertainty=uncertainty
    )


def edition_cache_key(inputs: Inputs) -> str | None:
    """The key of the computed edition in the output folder's cache (None: an input is missing,
    and loading will say so)."""
    from reportgen.publish.cache import edition_key
    from reportgen.report.i18n import catalogues_key

    try:
        key = edition_key(
            inputs.data,
            inputs.edition_path,
            year=inputs.year,
            overrides=inputs.overrides,
            uncertainty=True,
        )
    except OSError:
        return None
    # The translated findings are worded with the catalogues: an edited one recomputes.
    return f"{key}:{catalogues_key()}"


def compute_for_publishing(
    inputs: Inputs, out_dir: Path, key: str | None = None, *, store: bool = True
) -> EditionResult:
    """The computed edition as publishing reads it (Monte Carlo summarised), from the output
    folder's cache when the input files, code and options are the ones it was computed from;
    with ``store`` False a new computation is not cached (see ``publish_inputs``)."""
    return edition_for_publishing(inputs, out_dir, key, store=store)[0]


def edition_for_publishing(
    inputs: Inputs, out_dir: Path, key: str | None = None, *, store: bool = True
) -> tuple[EditionResult, bool]:
    """``compute_for_publishing`` and whether the edition came from the cache."""
    from reportgen.publish.cache import cached_edition
    from reportgen.publish.plan import for_workers
    from reportgen.report.i18n import with_translations

    # Findings are worded in every language while the full Monte Carlo is at hand.
    def computed() -> EditionResult:
        return for_workers(with_translations(compute(inputs)))

    key = key or edition_cache_key(inputs)
    if key is None:
        return computed(), False
    return cached_edition(out_dir, key, computed, store=store)


@dataclass(frozen=True)
class OutputOptions:
    out_dir: Path
    pdf_variant: str = "pdf/ua-1"
    write_html: bool = False  # also write each publication as a standalone HTML page
    jobs: int | None = None
    force: bool = False
    quiet: bool = False
    executor: str = "local"
    scheduler: str | None = None
    languages: tuple[str, ...] = ()  # tags, or ("all",); empty: the edition's own language

    @property
    def formats(self) -> tuple[str, ...]:
        return ("pdf", "html") if self.write_html else ("pdf",)


def chinese_names(warn: bool = True) -> bool:
    from reportgen.publish.versions import cjk_font_available

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
    from reportgen.publish.plan import annual_task, brief_tasks, select_cities
    from reportgen.report.i18n import publication_languages, translated_edition

    languages = publication_languages(result.edition, options.languages)
    with_chinese = chinese_names()
    tasks: list[RenderTask] = []
    out_dir, variant, formats = options.out_dir, options.pdf_variant, options.formats
    if annual:
        edition = result.edition
        problems = spotlight_problems(result)
        if problems:
            row = edition.line_of("spotlight_city")
            raise InputError(
                Problem(edition.source, m, row=row, column="spotlight_city") for m in problems
            )
    if briefs:
        check_cities(result, cities)
    for lang in languages:
        # The findings worded in the language (worded while computing; see with_translations).
        worded = translated_edition(result, lang)
        if annual:
            tasks.append(
                annual_task(
                    worded,
                    out_dir,
                    pdf_variant=variant,
                    with_chinese=with_chinese,
                    formats=formats,
                    lang=lang,
                )
            )
        if briefs:
            chosen = select_cities(result, cities)
            tasks.extend(
                brief_tasks(
                    worded,
                    out_dir,
                    chosen,
                    pdf_variant=variant,
                    with_chinese=with_chinese,
                    formats=formats,
                    lang=lang,
                )
            )
    return tasks


def check_cities(result: EditionResult, cities: Sequence[str]) -> None:
    """Every --city asked for is ranked; otherwise say why not (screened out, no data for the
    year, unknown) in one InputError."""
    ranked = set(result.scores.index)
    screened = {s.city_id: s for s in result.screened_out}
    known = [str(c) for c in result.dataset.cities["city_id"]]
    problems = []
    for city in dict.fromkeys(cities):
        expected: str | None
        if city in ranked:
            continue
        if city in screened:
            message = (
                f"no brief for {city!r}: it is screened out of the index, as it "
                f"{screened[city].why()}; {force_include_hint(result, [screened[city]])}"
            )
            expected = None
        elif city in known:
            message = f"no brief for {city!r}: it has no values for {result.year}"
            expected = f"observations dated up to {result.edition.max_data_age} years before"
        else:
            from reportgen.config import did_you_mean

            message = f"unknown city {city!r}{did_you_mean(city, known)}"
            expected = "a city_id from cities.csv"
        problems.append(Problem("--city", message, expected=expected))
    if problems:
        raise InputError(problems)


def publish_edition(
    result: EditionResult,
    options: OutputOptions,
    *,
    annual: bool = True,
    briefs: bool = True,
    cities: Iterable[str] = (),
    executor: Executor | None = None,
    on_outcome: Callable[[TaskOutcome], None] | None = None,
) -> PublishReport:
    """Plan and publish the annual report and/or briefs of a computed edition; ``on_outcome``
    hears of each rendered output as it finishes."""
    tasks = plan(result, options, annual=annual, briefs=briefs, cities=tuple(cities))
    return publish_tasks(tasks, options, executor=executor, on_outcome=on_outcome)


def make_executor(options: OutputOptions) -> Executor:
    """The task runner the options ask for: local process pool, or a Dask cluster."""
    from reportgen.publish import LocalExecutor

    if options.executor == "dask":
        from reportgen.publish import DaskExecutor

        return DaskExecutor(options.scheduler)
    return LocalExecutor(options.jobs)


def publish_inputs(
    inputs: Inputs,
    options: OutputOptions,
    *,
    annual: bool = True,
    briefs: bool = True,
    cities: Iterable[str] = (),
    on_outcome: Callable[[TaskOutcome], None] | None = None,
    on_result: Callable[[EditionResult], None] | None = None,
) -> PublishReport:
    """Compute (or read from the cache), plan and publish. A rebuild with nothing changed is
    answered from the plan's cache and the manifest, without loading the edition or pandas.
    ``on_result`` hears of the computed edition before anything renders (to warn about it)."""
    from reportgen.publish.cache import plan_key, read_plan, write_plan
    from reportgen.publish.run import publish_unchanged

    cities = tuple(cities)
    key = edition_cache_key(inputs)
    planned_key = None
    if key is not None:
        planned_key = plan_key(
            key,
            options.out_dir,
            pdf_variant=options.pdf_variant,
            formats=options.formats,
            with_chinese=chinese_names(warn=False),
            selection=(annual, briefs, cities, options.languages),
        )
        planned = None if options.force else read_plan(options.out_dir, planned_key)
        if planned is not None:
            report = publish_unchanged(planned, options.out_dir)
            if report is not None:
                return report
    # Nothing is written before the edition proved publishable: planning may still refuse it
    # (a screened-out spotlight city, a --city that is not ranked).
    result, cached = edition_for_publishing(inputs, options.out_dir, key, store=False)
    if on_result is not None:
        on_result(result)
    tasks = plan(result, options, annual=annual, briefs=briefs, cities=cities)
    if key is not None and not cached:
        from reportgen.publish.cache import remember_edition

        remember_edition(options.out_dir, key, result)
    if planned_key is not None:
        write_plan(options.out_dir, planned_key, tasks)
    return publish_tasks(tasks, options, on_outcome=on_outcome)


SITE_FOLDER = "site"
SITE_KEY_FILE = ".reportgen-site-key"


def publish_site(inputs: Inputs, options: OutputOptions) -> SiteReport | None:
    """Write the web edition into OUT/site (linking the PDFs beside it); None when the site on
    disk was made from the same inputs, code and templates (rebuilt with ``force``)."""
    import hashlib

    from reportgen.publish.versions import code_hash, templates_hash

    site_dir = options.out_dir / SITE_FOLDER
    key = edition_cache_key(inputs)
    site_key = (
        None
        if key is None
        else hashlib.sha256(f"{key}\0{code_hash()}\0{templates_hash()}".encode()).hexdigest()
    )
    marker = site_dir / SITE_KEY_FILE
    if (
        not options.force
        and site_key is not None
        and (site_dir / "index.html").is_file()
        and marker.is_file()
        and marker.read_text(encoding="utf-8").strip() == site_key
    ):
        return None
    # Only now the site's libraries: a no-change rebuild stays free of pandas and Jinja.
    from reportgen.web import default_pdf_links, write_site

    result = compute_for_publishing(inputs, options.out_dir, key)
    report = write_site(result, site_dir, pdf_links=default_pdf_links(result, site_dir))
    if site_key is not None:
        from reportgen.files import write_bytes_atomic

        write_bytes_atomic(marker, site_key.encode("utf-8"))
    return report


def publish_tasks(
    tasks: Sequence[RenderTask],
    options: OutputOptions,
    *,
    executor: Executor | None = None,
    on_outcome: Callable[[TaskOutcome], None] | None = None,
) -> PublishReport:
    from reportgen.publish import publish

    return publish(
        tasks,
        options.out_dir,
        executor=executor or make_executor(options),
        force=options.force,
        quiet=options.quiet,
        on_outcome=on_outcome,
    )


def coinr_index(
    idata: Path, imeta: Path, build_path: Path, overrides: Iterable[str], fmt: str, out: Path
) -> Path:
    """Build a COINr-layout index (iData/iMeta + a build YAML) and write its Aggregated table."""
    from reportgen.index import Build, run
    from reportgen.index.coinr import read_coinr, write_coinr_aggregated
    from reportgen.pipeline import apply_overrides

    build = apply_overrides(Build.from_yaml(build_path.read_text(encoding="utf-8")), overrides)
    return write_coinr_aggregated(run(build, read_coinr(idata, imeta)), out, fmt)
