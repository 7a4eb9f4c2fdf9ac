"""HTML from templates: Jinja with autoescape, strict undefined names and formatting filters."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import jinja2

from reportgen import formatting
from reportgen.report import i18n, theme

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"


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
        extensions=["jinja2.ext.i18n"],
    )
    env.filters.update(formatting.FILTERS)
    return env


def render_html(env: jinja2.Environment, template: str, context: Any) -> str:
    """Fill a template with a view-model; data never becomes template source. The template's
    strings are translated into the view-model's language (``meta.language``): the gettext
    functions travel with each render, so one environment serves every language."""
    tag = getattr(getattr(context, "meta", None), "language", i18n.SOURCE_LANGUAGE)
    translations = i18n.translator(None, tag if tag in i18n.LANGUAGES else "en").translations
    stylesheet = f"print.{tag}.css"
    folders = getattr(env.loader, "searchpath", [str(TEMPLATES_DIR)])
    has_stylesheet = any((Path(folder) / stylesheet).is_file() for folder in folders)
    return env.get_template(template).render(
        ctx=context,
        font_faces=font_face_css(),
        css_root=theme.css_root_block(),
        language_css=stylesheet if has_stylesheet else "",
        gettext=translations.gettext,
        ngettext=translations.ngettext,
        _=translations.gettext,
    )


# ---------------------------------------------------------------------------------------------
# a page for the browser: the print HTML with its stylesheet, fonts and charts made to resolve

_STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)">')
_FONT_URL = re.compile(r"url\('(file:[^']+)'\)")
_CHART = re.compile(r'<img src="chart:([^"]+)" alt="([^"]*)">')
_SVG_OPEN = re.compile(r"<svg\b")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>\s*")

ASSETS_FONTS = "fonts"


def font_files() -> dict[str, Path]:
    """The bundled font files the @font-face rules use, by file name."""
    by_stem = {p.stem: p for d in font_directories() for p in d.glob("*.ttf")}
    return {by_stem[stem].name: by_stem[stem] for _, stem, _, _ in _FACES if stem in by_stem}


def copy_html_assets(assets_dir: Path) -> list[Path]:
    """Copy the fonts standalone pages link to into ``assets_dir/fonts`` (once: a file already
    there with the same size is kept). Returns the files written."""
    from reportgen import files

    written = []
    for name, source in font_files().items():
        target = assets_dir / ASSETS_FONTS / name
        if target.is_file() and target.stat().st_size == source.stat().st_size:
            continue
        files.write_bytes_atomic(target, source.read_bytes())
        written.append(target)
    return written


def render_standalone_html(
    html: str,
    svgs: Mapping[str, str],
    *,
    assets_url: str | None = None,
    templates_dir: Path | None = None,
) -> str:
    """The print HTML as a page a browser opens from disk: the stylesheet inlined, each
    ``chart:ID`` image replaced by its SVG (alt text kept as the SVG's label), and the fonts
    linked relative to the page under ``assets_url`` (see ``copy_html_assets``), or embedded as
    data: URLs when ``assets_url`` is None (larger, but one self-contained file)."""
    root = (templates_dir or TEMPLATES_DIR).resolve()

    def stylesheet(match: re.Match[str]) -> str:
        path = (root / match.group(1)).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise ValueError(f"stylesheet {match.group(1)!r} is not a packaged template file")
        return "<style>\n" + path.read_text(encoding="utf-8") + "\n</style>"

    def font(match: re.Match[str]) -> str:
        name = Path(match.group(1)).name
        source = font_files().get(name)
        if source is None:
            raise ValueError(f"font {match.group(1)!r} is not a bundled font")
        if assets_url is not None:
            return f"url('{assets_url}/{ASSETS_FONTS}/{name}')"
        encoded = base64.b64encode(source.read_bytes()).decode("ascii")
        return f"url('data:font/ttf;base64,{encoded}')"

    def chart(match: re.Match[str]) -> str:
        chart_id, alt = match.group(1), match.group(2)
        svg = svgs.get(chart_id)
        if svg is None:
            raise ValueError(f"chart {chart_id!r} was not rendered")
        svg = _XML_DECLARATION.sub("", svg)
        # alt is already attribute-escaped by the template.
        return _SVG_OPEN.sub(f'<svg role="img" aria-label="{alt}"', svg, count=1)

    html = _STYLESHEET.sub(stylesheet, html)
    html = _FONT_URL.sub(font, html)
    return _CHART.sub(chart, html)
