"""The site's static files: Vega bundle, subset web fonts, the stylesheet and the scripts."""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from reportgen.report import theme
from reportgen.report.html import TEMPLATES_DIR, font_directories

STATIC_DIR = Path(__file__).resolve().parent / "static"
STYLESHEET = TEMPLATES_DIR / "web.css"
VEGA_LITE_VERSION = "6.4"  # the Vega-Lite the bundled vega-embed compiles (Altair 6 emits v6)
SCRIPTS = ("site.js", "whatif.js")

# Faces the site uses; the PDFs embed more weights, the web needs these four.
FACES = (
    (theme.BODY_FONT, "SourceSansPro-Regular", 400, "normal"),
    (theme.BODY_FONT, "SourceSansPro-It", 400, "italic"),
    (theme.BODY_FONT, "SourceSansPro-Semibold", 600, "normal"),
    (theme.BODY_FONT, "SourceSansPro-Bold", 700, "normal"),
    (theme.HEADING_FONT, "SourceSerifPro-Semibold", 600, "normal"),
)
# Basic Latin, Latin-1, Latin Extended-A, general punctuation, arrows, maths, geometric shapes:
# every character the templates and formatting print. Other scripts fall back to the reader's
# fonts (CJK city names among them).
UNICODE_RANGE = "U+0000-017F,U+2000-206F,U+20AC,U+2190-2193,U+2212,U+2264-2265,U+25B2-25BC"


def vega_bundle_name() -> str:
    return f"vega-{version('vl-convert-python')}-vl{VEGA_LITE_VERSION}.js"


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed in one script (built by vl-convert: seconds, so cached)."""
    import vl_convert as vlc

    # The stub marks the snippet as required; vl-convert defaults it (globals vega, vegaEmbed).
    bundle: str = vlc.javascript_bundle(vl_version=VEGA_LITE_VERSION)  # type: ignore[call-arg]
    return bundle


def _unicodes() -> list[int]:
    codes: list[int] = []
    for part in UNICODE_RANGE.split(","):
        low, _, high = part.removeprefix("U+").partition("-")
        codes.extend(range(int(low, 16), int(high or low, 16) + 1))
    return codes


@functools.cache
def web_font(stem: str) -> bytes | None:
    """A bundled face subset to UNICODE_RANGE as WOFF2 (about a tenth of the TTF)."""
    from fontTools import subset

    path = next(
        (d / f"{stem}.ttf" for d in font_directories() if (d / f"{stem}.ttf").is_file()), None
    )
    if path is None:
        return None
    options = subset.Options()  # default layout features: kerning, ligatures, marks
    options.flavor = "woff2"
    font = subset.load_font(str(path), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_unicodes())
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return buffer.getvalue()


@dataclass(frozen=True)
class Asset:
    """A file of the site; its name changes whenever its content would, so a file of the same
    name in the previous site can be reused instead of rebuilt (the bundle and fonts take
    seconds to make)."""

    path: str  # relative to the site root
    make: Callable[[], bytes]


def _font_key() -> str:
    versions = [version(p) for p in ("font-source-sans-pro", "font-source-serif-pro", "fonttools")]
    return hashlib.sha256("|".join([*versions, UNICODE_RANGE]).encode()).hexdigest()[:10]


def font_path(stem: str) -> str:
    return f"assets/fonts/{stem}.{_font_key()}.woff2"


def stylesheet() -> str:
    """@font-face rules for the faces shipped, the palette as CSS variables, then web.css."""
    rules = [
        f"@font-face{{font-family:'{family}';"
        f"src:url('{font_path(stem).removeprefix('assets/')}') format('woff2');"
        f"font-weight:{weight};font-style:{style};font-display:swap;"
        f"unicode-range:{UNICODE_RANGE};}}"
        for family, stem, weight, style in FACES
        if _has_font(stem)
    ]
    return "\n".join([*rules, theme.css_root_block(), STYLESHEET.read_text(encoding="utf-8")])


def _has_font(stem: str) -> bool:
    return any((d / f"{stem}.ttf").is_file() for d in font_directories())


def _font_maker(stem: str) -> Callable[[], bytes]:
    def make() -> bytes:
        payload = web_font(stem)
        assert payload is not None
        return payload

    return make


def _file_maker(path: Path) -> Callable[[], bytes]:
    return path.read_bytes


def static_assets() -> list[Asset]:
    """Everything every site holds, whatever the edition."""
    fonts = [
        Asset(font_path(stem), _font_maker(stem)) for _f, stem, _w, _s in FACES if _has_font(stem)
    ]
    scripts = [Asset(f"assets/{name}", _file_maker(STATIC_DIR / name)) for name in SCRIPTS]
    return [
        *fonts,
        Asset("assets/site.css", lambda: stylesheet().encode("utf-8")),
        *scripts,
        Asset(f"assets/{vega_bundle_name()}", lambda: vega_bundle().encode("utf-8")),
    ]


REUSABLE_PREFIXES = ("assets/fonts/", "assets/vega-")
