"""Command line: parse options, call one library function, report. No logic lives here."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reportgen.errors import InputError, ReportgenError, UsageError

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_DATA = Path("data")


def data_options(func: F) -> F:
    """--data, --edition, --year, --set: every command that builds the index takes these."""
    func = click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="STEP.PARAM=VALUE",
        help="Override a build parameter without editing files, e.g. --set normalise.method=zscore "
        "(repeatable).",
    )(func)
    func = click.option(
        "--year", type=int, default=None, help="Edition year (default: the edition file's year)."
    )(func)
    func = click.option(
        "--edition",
        "edition_path",
        type=click.Path(path_type=Path),
        default=None,
        help="Edition file (default: DATA/edition.yaml).",
    )(func)
    return click.option(
        "--data",
        "data_path",
        type=click.Path(path_type=Path),
        default=DEFAULT_DATA,
        show_default=True,
        help="Folder with cities.csv, indicators.csv, observations.csv, or an "
        ".xlsx workbook with those sheets.",
    )(func)


def output_options(func: F) -> F:
    func = click.option(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler address, with --executor dask (e.g. tcp://host:8786).",
    )(func)
    func = click.option(
        "--executor",
        type=click.Choice(["local", "dask"]),
        default="local",
        show_default=True,
        help="Where briefs render: this machine's cores, or a Dask cluster "
        "(needs the reportgen[dask] extra).",
    )(func)
    func = click.option("--quiet", is_flag=True, help="Print nothing but errors.")(func)
    func = click.option("--force", is_flag=True, help="Rebuild outputs even if unchanged.")(func)
    func = click.option(
        "--jobs",
        type=int,
        default=None,
        help="Parallel workers for briefs (default: number of cores).",
    )(func)
    func = click.option(
        "--pdf-variant",
        type=click.Choice(["pdf/ua-1", "pdf/a-3b", "pdf/a-3u", "none"]),
        default="pdf/ua-1",
        show_default=True,
        help="Tagged accessible PDF (pdf/ua-1) or archival PDF/A.",
    )(func)
    func = click.option(
        "--html",
        "write_html",
        is_flag=True,
        help="Also write each publication as an HTML page beside its PDF (stylesheet and "
        "charts inline), to look at in a browser.",
    )(func)
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(path_type=Path),
        default=Path("output"),
        show_default=True,
        help="Output folder.",
    )(func)


def language_option(func: F) -> F:
    return click.option(
        "--lang",
        "langs",
        multiple=True,
        metavar="TAG",
        help="Publish in this language (repeatable; a tag of the edition's languages, e.g. "
        "zh-Hant, or 'all'); default: the edition's own language.",
    )(func)


def reports_errors(func: F) -> F:
    """Turn user errors into one line each on stderr and exit code 1, without a traceback
    (a wrong --set is a usage error: exit 2)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return func(*args, **kwargs)
        except UsageError as exc:
            # e.g. a --set the user typed is wrong: exit 2, as the README promises.
            if debug:
                raise
            raise click.UsageError(str(exc)) from None
        except InputError as exc:
            if debug:
                raise
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            click.echo(f"{len(exc.problems)} problem(s) found; nothing was written.", err=True)
            sys.exit(1)
        except ReportgenError as exc:
            if debug:
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(package_name="reportgen")
def main(debug: bool) -> None:
    """reportgen: a two-dimension index of leading tech cities, published as PDF.

    \b
    Example:
      reportgen build                 # everything into output/
      reportgen briefs --city hong_kong --city singapore
    """


def _inputs(
    data_path: Path, edition_path: Path | None, year: int | None, overrides: tuple[str, ...]
) -> Any:
    from reportgen.app import Inputs

    return Inputs(data=data_path, edition=edition_path, year=year, overrides=overrides)


def _options(
    out_dir: Path,
    write_html: bool,
    pdf_variant: str,
    jobs: int | None,
    force: bool,
    quiet: bool,
    executor: str = "local",
    scheduler: str | None = None,
    langs: tuple[str, ...] = (),
) -> Any:
    from reportgen.app import OutputOptions

    return OutputOptions(
        languages=langs,
        out_dir=out_dir,
        pdf_variant=pdf_variant,
        write_html=write_html,
        jobs=jobs,
        force=force,
        quiet=quiet,
        executor=executor,
        scheduler=scheduler,
    )


def _warn(result: Any) -> None:
    """What a user should know before reading the outputs: a what-if build, cities the
    screen left out."""
    from reportgen.app import run_notes

    for line in run_notes(result):
        click.echo(f"warning: {line}", err=True)


def _outcome_line(outcome: Any) -> str:
    if outcome.skipped:
        return f"{outcome.target} (unchanged)"
    return f"{outcome.target} ({outcome.pages} pages, {outcome.seconds:.1f} s)"


def _echo_outcome(outcome: Any) -> None:
    """One line per output as it finishes: without a terminal (a CI log) there is no progress
    bar, and this is how the log shows the run is alive."""
    if outcome.ok:
        click.echo(_outcome_line(outcome))
        _echo_warnings(outcome)
    else:
        click.echo(f"error: {outcome.target.name}: {outcome.error}", err=True)


def _site_line(site: Any) -> str:
    return (
        f"{site.out_dir / 'index.html'} ({len(site.pages)} pages, {site.files} files, "
        f"{site.bytes / 1e6:.1f} MB)"
    )


def _echo_warnings(outcome: Any) -> None:
    """What the layout engine complained about (an unknown CSS property, a missing glyph): a
    publication with warnings may look wrong, so they are never swallowed."""
    for message in getattr(outcome, "warnings", ()):
        click.echo(f"warning: {outcome.target.name}: {message}", err=True)


def _streams(quiet: bool) -> bool:
    """Whether finished outputs are printed as they finish (no terminal), not at the end."""
    return not quiet and not sys.stderr.isatty()


def _report(report: Any, quiet: bool, streamed: bool = False) -> None:
    for outcome in report.outcomes:
        if streamed and not outcome.skipped:
            continue  # printed as it finished
        if not outcome.ok:
            click.echo(f"error: {outcome.target.name}: {outcome.error}", err=True)
        elif not quiet:
            click.echo(_outcome_line(outcome))
            _echo_warnings(outcome)
    if not quiet:
        click.echo(
            f"{len(report.written)} written, {len(report.skipped)} unchanged, "
            f"{len(report.failed)} failed"
        )
    if report.failed:
        sys.exit(1)


def _publish(
    data_path: Path,
    edition_path: Path | None,
    year: int | None,
    overrides: tuple[str, ...],
    out_dir: Path,
    write_html: bool,
    pdf_variant: str,
    jobs: int | None,
    force: bool,
    quiet: bool,
    executor: str,
    scheduler: str | None,
    *,
    annual: bool,
    briefs: bool,
    cities: tuple[str, ...] = (),
    site: bool = False,
    langs: tuple[str, ...] = (),
) -> None:
    from reportgen.app import publish_inputs

    options = _options(
        out_dir, write_html, pdf_variant, jobs, force, quiet, executor, scheduler, langs
    )
    streamed = _streams(quiet)
    report = publish_inputs(
        _inputs(data_path, edition_path, year, overrides),
        options,
        annual=annual,
        briefs=briefs,
        cities=cities,
        on_outcome=_echo_outcome if streamed else None,
        on_result=None if quiet else _warn,
    )
    if site and not report.failed:
        from reportgen.app import publish_site

        written = publish_site(_inputs(data_path, edition_path, year, overrides), options)
        if not quiet:
            where = options.out_dir / "site" / "index.html"
            click.echo(f"{where} (unchanged)" if written is None else _site_line(written))
    _report(report, quiet, streamed)


@main.command()
@data_options
@output_options
@language_option
@reports_errors
def build(
    data_path: Path,
    edition_path: Path | None,
    year: int | None,
    overrides: tuple[str, ...],
    out_dir: Path,
    write_html: bool,
    pdf_variant: str,
    jobs: int | None,
    force: bool,
    quiet: bool,
    executor: str,
    scheduler: str | None,
    langs: tuple[str, ...],
) -> None:
    """Publish everything: the annual report, one brief per city and the web edition (OUT/site).

    \b
    Example:
      reportgen build --data data --out output
      reportgen build --set aggregate.method=geometric --set normalise.range=1,100 --out what-if
      reportgen build --lang zh-Hant
    """
    _publish(
        data_path,
        edition_path,
        year,
        overrides,
        out_dir,
        write_html,
        pdf_variant,
        jobs,
        force,
        quiet,
        executor,
        scheduler,
        annual=True,
        briefs=True,
        site=True,
        langs=langs,
    )


@main.command()
@data_options
@output_options
@language_option
@reports_errors
def annual(
    data_path: Path,
    edition_path: Path | None,
    year: int | None,
    overrides: tuple[str, ...],
    out_dir: Path,
    write_html: bool,
    pdf_variant: str,
    jobs: int | None,
    force: bool,
    quiet: bool,
    executor: str,
    scheduler: str | None,
    langs: tuple[str, ...],
) -> None:
    """Publish the annual report only (output/annual-YEAR.pdf).

    \b
    Example:
      reportgen annual --year 2026 --pdf-variant pdf/a-3b
    """
    _publish(
        data_path,
        edition_path,
        year,
        overrides,
        out_dir,
        write_html,
        pdf_variant,
        jobs,
        force,
        quiet,
        executor,
        scheduler,
        annual=True,
        briefs=False,
        langs=langs,
    )


@main.command()
@data_options
@output_options
@language_option
@click.option(
    "--city",
    "cities",
    multiple=True,
    metavar="ID",
    help="Only this city (repeatable); default: every ranked city.",
)
@reports_errors
def briefs(
    data_path: Path,
    edition_path: Path | None,
    year: int | None,
    overrides: tuple[str, ...],
    out_dir: Path,
    write_html: bool,
    pdf_variant: str,
    jobs: int | None,
    force: bool,
    quiet: bool,
    executor: str,
    scheduler: str | None,
    langs: tuple[str, ...],
    cities: tuple[str, ...],
) -> None:
    """Publish two-page city briefs (output/briefs/CITY.pdf), in parallel.

    \b
    Example:
      reportgen briefs --city hong_kong --city singapore --jobs 2
    """
    _publish(
        data_path,
        edition_path,
        year,
        overrides,
        out_dir,
        write_html,
        pdf_variant,
        jobs,
        force,
        quiet,
        executor,
        scheduler,
        annual=False,
        briefs=True,
        cities=cities,
        langs=langs,
    )


@main.command()
@data_options
@reports_errors
def validate(
    data_path: Path, edition_path: Path | None, year: int | None, overrides: tuple[str, ...]
) -> None:
    """Check the data and edition files and report every problem found, not just the first.

    \b
    Example:
      reportgen validate --data data
    """
    from reportgen.app import validate as validate_all

    checked = validate_all(_inputs(data_path, edition_path, year, overrides))
    for line in checked.warnings:
        click.echo(f"warning: {line}", err=True)
    click.echo(checked.summary)


@main.command("demo-data")
@click.option(
    "--cities",
    "n_cities",
    type=int,
    default=100,
    show_default=True,
    help="How many synthetic cities.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder to write cities.csv, indicators.csv, observations.csv, edition.yaml.",
)
@reports_errors
def demo_data(n_cities: int, seed: int, out_dir: Path) -> None:
    """Write a SYNTHETIC data set of N cities (labelled as such) to exercise reportgen at scale.

    \b
    Example:
      reportgen demo-data --cities 1000 --out /tmp/demo
      reportgen briefs --data /tmp/demo --out /tmp/demo-out --jobs 2
    """
    from reportgen.data.demo import write_demo_data

    summary = write_demo_data(out_dir, n_cities=n_cities, seed=seed)
    click.echo(summary)


def _export(
    kind: str,
    data_path: Path,
    edition_path: Path | None,
    year: int | None,
    overrides: tuple[str, ...],
    fmt: str | None,
    out: Path | None,
    default_format: str = "csv",
) -> list[Path]:
    """Compute and write one kind of table; the format follows --format, else --out's
    extension; without --out the file is output/KIND-YEAR.FORMAT."""
    from reportgen.app import compute
    from reportgen.report import exports

    try:
        fmt = exports.infer_format(out, fmt, default_format)
    except ValueError as err:
        raise click.UsageError(str(err)) from None
    result = compute(
        _inputs(data_path, edition_path, year, overrides), uncertainty=kind != "findings"
    )
    _warn(result)
    if kind == "index":
        tables = exports.index_tables(result)
    elif kind == "findings":
        tables = {"findings": exports.findings_table(result)}
    else:
        tables = exports.audit_tables(result)
    target = out or Path("output") / f"{kind}-{result.year}.{fmt}"
    return exports.write_tables(tables, target, fmt)


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "json"]),
    default=None,
    help="Output format (default: the --out file's extension: .csv, .xlsx or .json).",
)


@main.command()
@data_options
@FORMAT_OPTION
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output file (default: output/index-YEAR.FORMAT).",
)
@click.option(
    "--coinr-data",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="COINr iData table (CSV or XLSX): build a COINr index instead of ours.",
)
@click.option(
    "--coinr-meta",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="COINr iMeta table, with --coinr-data.",
)
@click.option(
    "--build",
    "build_path",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Build YAML (list of steps), with --coinr-data.",
)
@reports_errors
def index(
    data_path: Path,
    edition_path: Path | None,
    year: int | None,
    overrides: tuple[str, ...],
    fmt: str | None,
    out: Path | None,
    coinr_data: Path | None,
    coinr_meta: Path | None,
    build_path: Path | None,
) -> None:
    """Compute the index and export scores, ranks, pillar values and imputation flags.

    \b
    Examples:
      reportgen index --format xlsx --out output/index.xlsx
      reportgen index --coinr-data iData.csv --coinr-meta iMeta.csv --build build.yaml \\
        --format csv --out aggregated.csv
    """
    if coinr_data is not None:
        from reportgen.app import coinr_index

        if coinr_meta is None or build_path is None:
            raise click.UsageError("--coinr-data needs --coinr-meta and --build")
        from reportgen.report.exports import infer_format

        try:
            fmt = infer_format(out, fmt)
        except ValueError as err:
            raise click.UsageError(str(err)) from None
        target = out or Path(f"aggregated.{fmt}")
        click.echo(coinr_index(coinr_data, coinr_meta, build_path, overrides, fmt, target))
        return
    for path in _export("index", data_path, edition_path, year, overrides, fmt, out):
        click.echo(path)


@main.command()
@data_options
@FORMAT_OPTION
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output file (default: output/findings-YEAR.FORMAT).",
)
@reports_errors
def findings(
    data_path: Path,
    edition_path: Path | None,
    year: int | None,
    overrides: tuple[str, ...],
    fmt: str | None,
    out: Path | None,
) -> None:
    """Export every computed finding (stage, gaps, strengths, movers, data caveats) with evidence.

    \b
    Example:
      reportgen findings --format json --out output/findings.json
    """
    for path in _export("findings", data_path, edition_path, year, overrides, fmt, out):
        click.echo(path)


@main.command()
@data_options
@FORMAT_OPTION
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output file (default: output/audit-YEAR.xlsx; CSV: one file per table beside it).",
)
@reports_errors
def audit(
    data_path: Path,
    edition_path: Path | None,
    year: int | None,
    overrides: tuple[str, ...],
    fmt: str | None,
    out: Path | None,
) -> None:
    """Statistical audit and uncertainty tables: coverage, skew/kurtosis, correlations,
    Cronbach's alpha, PCA, effective weights, rank intervals, sensitivity indices.

    \b
    Example:
      reportgen audit --format xlsx --out output/audit.xlsx
    """
    for path in _export("audit", data_path, edition_path, year, overrides, fmt, out, "xlsx"):
        click.echo(path)


@main.command()
@data_options
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("output/site"),
    show_default=True,
    help="Folder of the site (replaced whole; PDFs found in its parent folder are linked).",
)
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@reports_errors
def web(
    data_path: Path,
    edition_path: Path | None,
    year: int | None,
    overrides: tuple[str, ...],
    out_dir: Path,
    quiet: bool,
) -> None:
    """Write the web edition: a static, offline site with the plane, the sortable ranking,
    what-if weights, a page per city, methodology and downloads. Open OUT/index.html.

    \b
    Example:
      reportgen web --out output/site
    """
    from reportgen.app import compute
    from reportgen.web import default_pdf_links, write_site

    result = compute(_inputs(data_path, edition_path, year, overrides))
    site = write_site(result, out_dir, pdf_links=default_pdf_links(result, out_dir))
    if not quiet:
        click.echo(_site_line(site))
