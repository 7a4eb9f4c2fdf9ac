"""HTML from templates: Jinja with autoescape, strict undefined names and formatting filters."""

from __future__ import annotations

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
