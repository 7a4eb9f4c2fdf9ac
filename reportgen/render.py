"""HTML from templates (Jinja, autoescaped) and PDF from HTML (WeasyPrint, offline)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import jinja2

from reportgen import formatting, theme
from reportgen.errors import OutputError

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b", "pdf/a-3u", "none")
DEFAULT_PDF_VARIANT = "pdf/ua-1"


def font_directories() -> tuple[Path, ...]:
    """Folders of the bundled fonts (installed from PyPI with the package)."""
    dirs = []
    for package in ("font_source_sans_pro", "font_source_serif_pro"):
        spec = find_spec(package)
        if spec is not None and spec.origin is not None:
            dirs.append(Path(spec.origin).parent / "files")
    return tuple(dirs)


_FACES = (
    # family, file stem, weight, style
    (theme.BODY_FONT, "SourceSansPro-Regular", 400, "normal"),
    (theme.BODY_FONT, "SourceSansPro-It", 400, "italic"),
    (theme.BODY_FONT, "SourceSansPro-Semibold", 600, "normal"),
    (theme.BODY_FONT, "SourceSansPro-Bold", 700, "normal"),
    (theme.BODY_FONT, "SourceSansPro-BoldIt", 700, "italic"),
    (theme.BODY_FONT, "SourceSansPro-Light", 300, "normal"),
    (theme.HEADING_FONT, "SourceSerifPro-Regular", 400, "normal"),
    (theme.HEADING_FONT, "SourceSerifPro-Semibold", 600, "normal"),
    (theme.HEADING_FONT, "SourceSerifPro-Bold", 700, "normal"),
    (theme.HEADING_FONT, "SourceSerifPro-It", 400, "italic"),
)


def font_face_css() -> str:
    """@font-face rules for the bundled fonts, so every machine typesets the same way."""
    files = {p.stem: p for d in font_directories() for p in d.glob("*.ttf")}
    rules = []
    for family, stem, weight, style in _FACES:
        path = files.get(stem)
        if path is not None:
            rules.append(
                f"@font-face{{font-family:'{family}';src:url('{path.as_uri()}');"
                f"font-weight:{weight};font-style:{style};}}"
            )
    return "\n".join(rules)


def make_environment(templates_dir: Path = TEMPLATES_DIR) -> jinja2.Environment:
    """Jinja environment: autoescape everything, fail on undefined names, formatting filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(formatting.FILTERS)
    return env


def render_html(env: jinja2.Environment, template: str, context: Mapping[str, Any]) -> str:
    """Fill a template with a view-model; data never becomes template source."""
    return env.get_template(template).render(
        ctx=context, font_faces=font_face_css(), css_root=theme.css_root_block()
    )


@dataclass
class AssetFetcher:
    """WeasyPrint URL fetcher that serves packaged assets and generated charts, nothing else.

    Data files carry source URLs (http:, file:, data:); they are printed, never fetched.
    """

    charts: Mapping[str, str]
    roots: tuple[Path, ...]
    refused: list[str] = field(default_factory=list)

    def response(self, url: str) -> Any:
        from weasyprint.urls import URLFetcherResponse

        if url.startswith("chart:"):
            svg = self.charts.get(url.removeprefix("chart:"))
            if svg is not None:
                return URLFetcherResponse(
                    url, svg.encode("utf-8"), {"Content-Type": "image/svg+xml"}
                )
        elif url.startswith("file:"):
            path = self.packaged_file(url)
            if path is not None:
                mime = {
                    ".css": "text/css",
                    ".ttf": "font/ttf",
                    ".otf": "font/otf",
                    ".svg": "image/svg+xml",
                    ".png": "image/png",
                }.get(path.suffix, "")
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        # Every refusal is recorded, whatever the reason, so a test can assert there was none.
        self.refused.append(url)
        raise ValueError(f"reportgen does not fetch {url!r}: only packaged assets and charts")

    def packaged_file(self, url: str) -> Path | None:
        """The file a local ``file:`` URL names, if it is a file inside one of the roots once
        ``..`` and symlinks are resolved; None for anything else (other hosts, relative or
        unresolvable paths, NUL bytes, folders)."""
        from urllib.parse import urlsplit
        from urllib.request import url2pathname

        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(url2pathname(parts.path))
            if not path.is_absolute():
                return None
            path = path.resolve(strict=True)
        except (OSError, ValueError, RuntimeError):
            return None
        inside = any(path.is_relative_to(root.resolve()) for root in self.roots)
        return path if inside and path.is_file() else None


def _weasy_fetcher(fetcher: AssetFetcher) -> Any:
    from weasyprint.urls import URLFetcher

    class _Fetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            return fetcher.response(url)

    return _Fetcher()


@dataclass(frozen=True)
class PdfMetadata:
    title: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    language: str


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it into place only on success.

    A failed or interrupted run leaves the previous file intact and no partial file.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates 0600 files; published outputs get the usual umask-derived mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        # On disk before the rename: after a crash or power cut the target is then the old
        # file or the complete new one, never an empty or partial file under the final name.
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
        with contextlib.suppress(OSError):  # the rename itself; not every file system can
            folder = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes_atomic(target: Path, payload: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(payload)


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@dataclass(frozen=True)
class RenderedPdf:
    payload: bytes
    pages: int
    warnings: tuple[str, ...]


def html_to_pdf(
    html: str,
    *,
    charts: Mapping[str, str],
    metadata: PdfMetadata,
    variant: str = DEFAULT_PDF_VARIANT,
    templates_dir: Path = TEMPLATES_DIR,
    on_document: Callable[[Any], None] | None = None,
) -> RenderedPdf:
    """Lay out and write a PDF in memory (tagged PDF/UA by default, or PDF/A for archives)."""
    import weasyprint

    fetcher = AssetFetcher(charts=charts, roots=(templates_dir, *font_directories()))
    collector = _WarningCollector()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        document = weasyprint.HTML(
            string=html, base_url=templates_dir.as_uri() + "/", url_fetcher=_weasy_fetcher(fetcher)
        ).render()
        document.metadata.title = metadata.title
        document.metadata.authors = [metadata.author]
        document.metadata.description = metadata.subject
        document.metadata.keywords = list(metadata.keywords)
        document.metadata.lang = metadata.language
        document.metadata.generator = "reportgen (WeasyPrint)"
        created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        document.metadata.created = document.metadata.modified = created
        if on_document is not None:
            on_document(document)
        buffer = io.BytesIO()
        options: dict[str, Any] = {"pdf_identifier": metadata.title.encode("utf-8")[:32]}
        if variant != "none":
            options["pdf_variant"] = variant
        document.write_pdf(buffer, **options)
    finally:
        logger.removeHandler(collector)
    return RenderedPdf(buffer.getvalue(), len(document.pages), tuple(collector.messages))
