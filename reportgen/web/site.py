"""Write the site: pages from their contexts, downloads, assets; into a temp folder, then swap."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from reportgen.errors import OutputError
from reportgen.pipeline import EditionResult
from reportgen.publish.plan import annual_filename, brief_filename
from reportgen.report import exports
from reportgen.report.context.inputs import BriefInputs, brief_inputs
from reportgen.report.html import make_environment
from reportgen.web import context as web
from reportgen.web.assets import REUSABLE_PREFIXES, static_assets, vega_bundle_name

# Nothing outside the site folder: scripts, styles, fonts and images load from it ('self'), and
# no request may leave it (connect-src, form-action). Vega compiles its expressions with
# Function(), hence 'unsafe-eval'; vl-convert's bundle has no CSP-safe interpreter.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self'; "
    "img-src 'self'; font-src 'self'; connect-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)


@dataclass(frozen=True)
class SiteReport:
    out_dir: Path
    pages: tuple[str, ...]
    files: int
    bytes: int


def default_pdf_links(result: EditionResult, site_dir: Path | None = None) -> web.PdfLinks:
    """Links to the PDFs `reportgen build` writes beside the site (the site in OUT/site/, the
    PDFs in OUT/). With ``site_dir``, only PDFs that exist there are linked."""
    annual = "../" + annual_filename(result)
    briefs = {str(c): "../" + brief_filename(str(c)) for c in result.scores.index}
    if site_dir is not None:
        # The site folder may not exist yet, so "site/../x" is resolved by hand.
        beside = site_dir.parent
        annual = annual if (beside / annual.removeprefix("../")).is_file() else ""
        briefs = {c: r for c, r in briefs.items() if (beside / r.removeprefix("../")).is_file()}
    return web.PdfLinks(annual=annual, briefs=briefs)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{max(1, round(n / 1e3))} kB"


DOWNLOADS = (
    (
        "index",
        "Index",
        "Scores, ranks and 5–95% rank intervals per city: overall and dimensions, "
        "pillars, and every indicator (raw value, year, source, imputation flag, normalised "
        "value).",
    ),
    ("findings", "Findings", "Every computed finding with its evidence and sources."),
    (
        "audit",
        "Audit",
        "Statistical audit and uncertainty tables: coverage, skew and kurtosis, "
        "correlations, Cronbach's alpha, PCA, effective weights, rank intervals, sensitivity.",
    ),
)


# Files above this are offered zipped (findings with their evidence run to megabytes as text),
# which keeps the 30-city site within its 5 MB budget; XLSX is compressed already.
ZIP_ABOVE = 512_000


def _zipped(path: Path) -> tuple[Path, int]:
    target = path.with_name(path.name + ".zip")
    # A fixed timestamp: the same table gives the same archive, byte for byte.
    info = zipfile.ZipInfo(path.name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr(info, path.read_bytes(), compresslevel=9)
    unzipped = path.stat().st_size
    path.unlink()
    return target, unzipped


def _write_downloads(result: EditionResult, root: Path) -> list[web.Download]:
    """The analysts' tables, written by the same functions as `reportgen index/findings/audit`."""
    tables = {
        "index": exports.index_tables(result),
        "findings": {"findings": exports.findings_table(result)},
        "audit": exports.audit_tables(result),
    }
    downloads = []
    for key, title, description in DOWNLOADS:
        files = []
        for fmt in exports.FORMATS:
            target = root / "data" / f"{key}-{result.year}.{fmt}"
            written = exports.write_tables(tables[key], target, fmt)
            for path, name in zip(written, tables[key], strict=False):
                label = fmt.upper() if len(written) == 1 else f"{fmt.upper()}: {name}"
                size = _size(path.stat().st_size)
                if path.suffix != ".xlsx" and path.stat().st_size > ZIP_ABOVE:
                    path, unzipped = _zipped(path)
                    label += " (zip)"
                    size = f"{_size(path.stat().st_size)}, {_size(unzipped)} unzipped"
                files.append(web.DownloadFile(label, path.relative_to(root).as_posix(), size))
        downloads.append(web.Download(title, description, tuple(files)))
    return downloads


def _render(
    env: jinja2.Environment, template: str, kind: str, ctx: Any, data: Mapping[str, Any]
) -> bytes:
    html = env.get_template(template).render(
        ctx=ctx,
        page_kind=kind,
        page_data=data,
        csp=CONTENT_SECURITY_POLICY,
        vega_bundle=vega_bundle_name(),
    )
    return html.encode("utf-8")


def _write(root: Path, rel: str, payload: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)


def render_assets(root: Path, previous: Path | None) -> None:
    """Stylesheet, scripts, fonts and the Vega bundle; the slow ones reused from ``previous``."""
    for asset in static_assets():
        old = previous / asset.path if previous is not None else None
        reuse = old is not None and asset.path.startswith(REUSABLE_PREFIXES) and old.is_file()
        _write(root, asset.path, old.read_bytes() if old is not None and reuse else asset.make())


@dataclass(frozen=True)
class SitePlan:
    """What every page needs to link to the others."""

    labels: Mapping[str, web.CityLabel]
    pages: Mapping[str, str]
    pdfs: web.PdfLinks
    order: tuple[str, ...]  # city ids in ranking order (the city pages' previous/next)


def plan_site(result: EditionResult, pdfs: web.PdfLinks) -> SitePlan:
    ranked = result.scores[result.labels.index].sort_values(ascending=False, kind="stable").index
    return SitePlan(
        labels=web.labels_for(result),
        pages=web.city_pages(result),
        pdfs=pdfs,
        order=tuple(str(c) for c in ranked),
    )


def render_home(env: jinja2.Environment, result: EditionResult, plan: SitePlan, root: Path) -> str:
    home = web.build_home_context(result, plan.labels, plan.pages, plan.pdfs)
    data = {"charts": home.charts, "whatif": home.whatif}
    _write(root, "index.html", _render(env, "web/index.html", "home", home, data))
    return "index.html"


def render_city(
    env: jinja2.Environment,
    result: EditionResult,
    plan: SitePlan,
    root: Path,
    city_id: str,
    inputs: BriefInputs | None = None,
) -> str:
    """A city's page; ``inputs`` (its brief's inputs) when already computed for every city."""
    city = web.build_city_context(
        result, city_id, plan.labels, plan.pages, plan.pdfs, plan.order, inputs
    )
    path = plan.pages[city_id]
    _write(root, path, _render(env, "web/city.html", "city", city, {"charts": city.charts}))
    return path


def render_methodology(env: jinja2.Environment, result: EditionResult, root: Path) -> str:
    methodology = web.build_methodology_context(result)
    page = _render(env, "web/methodology.html", "methodology", methodology, {"charts": {}})
    _write(root, "methodology.html", page)
    return "methodology.html"


def render_data(env: jinja2.Environment, result: EditionResult, plan: SitePlan, root: Path) -> str:
    """The downloads (written first, so the page can give their sizes) and their page."""
    downloads = _write_downloads(result, root)
    data = web.build_data_context(result, downloads, plan.pdfs, plan.labels)
    _write(root, "data.html", _render(env, "web/data.html", "data", data, {"charts": {}}))
    return "data.html"


def render_site(
    result: EditionResult, root: Path, pdfs: web.PdfLinks, previous: Path | None
) -> list[str]:
    """Write every page, download and asset under ``root``; return the pages' paths."""
    render_assets(root, previous)
    env = make_environment()
    plan = plan_site(result, pdfs)
    written = [render_home(env, result, plan, root)]
    # The briefs' inputs in one pass: their city x indicator tables are computed once for all.
    briefs = brief_inputs(result, plan.order, dict(plan.labels))
    written += [
        render_city(env, result, plan, root, city_id, briefs[city_id]) for city_id in plan.order
    ]
    written.append(render_methodology(env, result, root))
    written.append(render_data(env, result, plan, root))
    return written


def write_site(
    result: EditionResult, out_dir: Path, *, pdf_links: web.PdfLinks | None = None
) -> SiteReport:
    """The web edition of a computed edition in ``out_dir``, replaced whole or not at all."""
    out_dir = Path(out_dir)
    pdfs = pdf_links if pdf_links is not None else web.PdfLinks()
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    except OSError as exc:
        raise OutputError(f"cannot write {out_dir}: {exc.strerror or exc}") from exc
    try:
        pages = render_site(result, staging, pdfs, out_dir if out_dir.is_dir() else None)
        os.chmod(staging, 0o755)
        files = [p for p in staging.rglob("*") if p.is_file()]
        total = sum(p.stat().st_size for p in files)
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            os.replace(out_dir, old)
        os.replace(staging, out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        raise OutputError(f"cannot write {out_dir}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(staging)
    return SiteReport(out_dir=out_dir, pages=tuple(pages), files=len(files), bytes=total)
