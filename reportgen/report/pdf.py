"""PDF from HTML: WeasyPrint, offline, with a URL fetcher that serves packaged assets only."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.report.html import TEMPLATES_DIR, font_directories

PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b", "pdf/a-3u", "none")
DEFAULT_PDF_VARIANT = "pdf/ua-1"


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


# ---------------------------------------------------------------------------------------------
# fonts: one WeasyPrint font configuration per set of declared fonts, kept for the process

_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
_LINKED_STYLESHEET = re.compile(r"<link\b[^>]*\brel=\"stylesheet\"[^>]*>")
_FONT_CONFIGURATIONS = threading.local()  # per thread: a Pango font map is not thread-safe
_MAX_FONT_CONFIGURATIONS = 8


def font_key(html: str) -> tuple[str, ...]:
    """What decides which fonts a document can use: its @font-face rules and the stylesheets
    it links (which could declare more)."""
    return (*_FONT_FACE.findall(html), *_LINKED_STYLESHEET.findall(html))


def shared_font_configuration(html: str) -> Any:
    """The WeasyPrint ``FontConfiguration`` for documents declaring these fonts, made once per
    thread and reused by every later document that declares the same ones.

    A new configuration per document (WeasyPrint's default) rebuilds the Fontconfig set and
    the Pango font map, and starts Pango's font and shaping caches cold: about a tenth of a
    brief's layout time. Documents that declare the same fonts resolve every family to the
    same files either way, so the PDF is the same (tests/test_render_speed_pdf.py).
    """
    from weasyprint.text.fonts import FontConfiguration

    cache: dict[tuple[str, ...], Any] | None = getattr(_FONT_CONFIGURATIONS, "by_key", None)
    if cache is None:
        cache = _FONT_CONFIGURATIONS.by_key = {}
    key = font_key(html)
    config = cache.get(key)
    if config is None:
        if len(cache) >= _MAX_FONT_CONFIGURATIONS:
            cache.clear()
        config = cache[key] = FontConfiguration()
    return config


def clear_font_configurations() -> None:
    """Forget this thread's font configurations (the next document builds its own)."""
    _FONT_CONFIGURATIONS.by_key = {}


@dataclass(frozen=True)
class PdfMetadata:
    title: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    language: str


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
        ).render(font_config=shared_font_configuration(html))
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
