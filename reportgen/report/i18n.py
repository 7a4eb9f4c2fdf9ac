"""Languages of the publications: message catalogues, edition names, name catalogues, fonts."""

from __future__ import annotations

import functools
import gettext as gettext_module
import io
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from reportgen import formatting
from reportgen.errors import ReportgenError

if TYPE_CHECKING:
    from reportgen.config import Edition
    from reportgen.labels import Labels

SOURCE_LANGUAGE = "en"
DOMAIN = "reportgen"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
GLOSSARY_PATH = LOCALE_DIR / "glossary.yaml"
# Marks a name printed in English because the name catalogue has no translation for it.
UNTRANSLATED_MARK = "†"


@dataclass(frozen=True)
class Language:
    """A publication language: its tag (file names, --lang, html lang), Babel locale, catalogue
    folder, and the font families that print it (None: the bundled Latin fonts)."""

    tag: str
    locale: str
    folder: str
    body_fonts: tuple[str, ...] = ()
    heading_fonts: tuple[str, ...] = ()
    font_package: str = ""

    @property
    def needs_cjk(self) -> bool:
        return bool(self.body_fonts)


LANGUAGES: Mapping[str, Language] = {
    "en": Language("en", "en", "en"),
    "zh-Hant": Language(
        "zh-Hant",
        "zh_Hant_HK",
        "zh_Hant",
        body_fonts=("Noto Sans CJK TC",),
        heading_fonts=("Noto Serif CJK TC",),
        font_package="fonts-noto-cjk",
    ),
}


def language(tag: str) -> Language:
    """The language a tag names; a ReportgenError listing the supported tags otherwise."""
    found = LANGUAGES.get(tag)
    if found is None:
        raise ReportgenError(
            f"unsupported language {tag!r}: reportgen publishes in {', '.join(LANGUAGES)}"
        )
    return found


def publication_languages(edition: Edition, requested: Sequence[str] = ()) -> tuple[str, ...]:
    """The languages to publish: the requested tags (or all the edition's with 'all'), else the
    edition's own language; a tag the edition does not declare is a user error."""
    from reportgen.errors import InputError, Problem

    declared = tuple(edition.languages) or (edition.language,)
    if not requested:
        return (edition.language,)
    if "all" in requested:
        return declared
    unknown = [t for t in requested if t not in declared]
    if unknown:
        raise InputError(
            Problem(
                "--lang",
                f"the edition is not published in {t!r}",
                found=t,
                expected=f"one of {', '.join(declared)} or 'all' (edition.yaml: languages)",
            )
            for t in unknown
        )
    for tag in requested:
        language(tag)
    return tuple(dict.fromkeys(requested))


def catalogue_path(tag: str) -> Path:
    """The gettext catalogue (.po) of a language; the source language has none."""
    return LOCALE_DIR / language(tag).folder / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.lru_cache(maxsize=8)
def _translations(tag: str) -> gettext_module.NullTranslations:
    """The compiled catalogue of a language, compiled from the .po in memory with Babel: the
    repository holds only .po files and a fresh editable install needs no build step."""
    if tag == SOURCE_LANGUAGE:
        return gettext_module.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = catalogue_path(tag)
    if not path.is_file():
        raise ReportgenError(f"no message catalogue for {tag!r} (expected {path})")
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=language(tag).locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


@functools.lru_cache(maxsize=8)
def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    return content if isinstance(content, dict) else {}


@functools.lru_cache(maxsize=8)
def catalogue_digest(tag: str) -> str:
    """A hash of everything a language's texts come from (catalogue, names, glossary), so an
    edited translation rebuilds the outputs it changes."""
    import hashlib

    digest = hashlib.sha256(tag.encode())
    folder = LOCALE_DIR / language(tag).folder
    for path in (catalogue_path(tag), folder / "names.yaml", GLOSSARY_PATH):
        digest.update(path.read_bytes() if path.is_file() else b"-")
    return digest.hexdigest()[:16]


def glossary() -> dict[str, Any]:
    """The fixed terms of the index in every language (glossary.yaml)."""
    return _read_yaml(GLOSSARY_PATH)


def name_catalogue(tag: str) -> dict[str, Any]:
    """Names of cities, indicators, units and sources in a language (names.yaml), by id."""
    if tag == SOURCE_LANGUAGE:
        return {}
    return _read_yaml(LOCALE_DIR / language(tag).folder / "names.yaml")


@dataclass(frozen=True)
class IndicatorNames:
    name: str
    short_name: str
    unit: str
    definition: str
    scale: float = 1.0  # printed value = value in the source unit x scale (USD bn -> 億美元)
    absence_note: str = ""


INDICATOR_TEXTS = ("name", "short_name", "definition", "absence_note")


@dataclass(frozen=True)
class Translator:
    """Everything a view-model needs to print in one language: gettext, the edition's level
    names, the name catalogue and locale-aware formatters. Passed down explicitly; no globals."""

    lang: Language
    translations: gettext_module.NullTranslations = field(repr=False)
    names: Mapping[str, str] = field(default_factory=dict)
    descriptions: Mapping[str, str] = field(default_factory=dict)
    catalogue: Mapping[str, Any] = field(default_factory=dict, repr=False)
    terms: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        # A compiled catalogue cannot be pickled (its plural rule is a generated function):
        # a worker compiles its own from the language's tag (once, it is cached).
        fields = (dict(self.names), dict(self.descriptions), dict(self.catalogue), dict(self.terms))
        return (_unpickled_translator, (self.lang.tag, *fields))

    # --- messages -------------------------------------------------------------------------
    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    @property
    def tag(self) -> str:
        return self.lang.tag

    @property
    def is_source(self) -> bool:
        return self.lang.tag == SOURCE_LANGUAGE

    @property
    def locale(self) -> str | None:
        """The Babel locale of the formatters; None keeps the source language's own formats."""
        return None if self.is_source else self.lang.locale

    # --- names ----------------------------------------------------------------------------
    def name(self, code: str, default: str) -> str:
        """A level's, stage's or peer group's name in this language (from the edition file)."""
        return self.names.get(code, default)

    def description(self, code: str, default: str) -> str:
        return self.descriptions.get(code, default)

    def labels(self, labels: Labels) -> Labels:
        """The edition's labels with names and descriptions in this language."""
        from dataclasses import replace

        if self.is_source:
            return labels
        names = {code: self.names.get(code, name) for code, name in labels.names.items()}
        descriptions = {
            code: self.descriptions.get(code, text) for code, text in labels.descriptions.items()
        }
        return replace(labels, names=names, descriptions=descriptions)

    def city_name(self, city_id: str, default: str) -> str:
        """A city's name: the catalogue's, else ``default`` (cities.csv's name_zh or name)."""
        found = self.catalogue.get("cities", {}).get(city_id)
        return str(found) if found else default

    def indicator(self, indicator_id: str, row: Mapping[str, Any]) -> IndicatorNames:
        """An indicator's printed names, unit and notes. A translation is used only while the
        English it was made from (the catalogue's ``en``) is still the data's; otherwise, or
        without one, the English prints, names marked with † (a definition needs no mark: the
        annex says definitions may be in English)."""
        english = {key: _text(row.get(key)) for key in INDICATOR_TEXTS}
        english["name"] = english["name"] or indicator_id
        english["short_name"] = english["short_name"] or english["name"]
        unit = _text(row.get("unit"))
        if self.is_source:
            return IndicatorNames(
                english["name"],
                english["short_name"],
                unit,
                english["definition"],
                absence_note=english["absence_note"],
            )
        found = self.catalogue.get("indicators", {}).get(indicator_id) or {}
        source = found.get("en") or {}

        def current(key: str) -> str:
            translated = _text(found.get(key))
            fresh = key not in source or _text(source.get(key)) == english[key]
            return translated if translated and fresh else ""

        mark = f" {UNTRANSLATED_MARK}"
        name = current("name") or english["name"] + mark
        short = current("short_name") or current("name") or english["short_name"] + mark
        printed_unit, scale = self.unit(unit)
        return IndicatorNames(
            name,
            short,
            printed_unit,
            current("definition") or english["definition"],
            scale,
            current("absence_note") or english["absence_note"],
        )

    def stale_indicators(self, indicators: Any) -> list[str]:
        """Catalogue entries translated from English the data no longer has (indicators.csv
        rows as a DataFrame indexed by id): what a translator must update."""
        stale = []
        for indicator_id, row in indicators.iterrows():
            found = self.catalogue.get("indicators", {}).get(str(indicator_id)) or {}
            source = found.get("en") or {}
            for key in INDICATOR_TEXTS:
                if key in source and _text(source[key]) != _text(row.get(key)):
                    stale.append(f"{indicator_id}.{key}")
        return stale

    def unit(self, english: str) -> tuple[str, float]:
        """A unit in this language and the factor values take on printing (1 unless the
        glossary rewrites the unit, as USD bn becomes 億美元: x10)."""
        if self.is_source or not english:
            return english, 1.0
        found = self.catalogue.get("units", {}).get(english)
        if isinstance(found, Mapping):
            return str(found.get("unit", english)), float(found.get("scale", 1.0))
        if found:
            return str(found), 1.0
        return english, 1.0

    def source_name(self, english: str) -> str:
        """A source's title: the catalogue's translation, else the original title."""
        if self.is_source:
            return english
        found = self.catalogue.get("sources", {}).get(english)
        return str(found) if found else english

    # --- formatting -----------------------------------------------------------------------
    def number(self, value: Any, significant: int = 3) -> str:
        return formatting.number(value, significant, locale=self.locale)

    def score(self, value: Any, decimals: int = 1) -> str:
        return formatting.score(value, decimals)

    def percent(self, value: Any, decimals: int = 0) -> str:
        return formatting.percent(value, decimals, locale=self.locale)

    def ordinal(self, value: Any) -> str:
        return formatting.ordinal(value, locale=self.locale)

    def integer(self, value: int) -> str:
        """A count with thousands separators: '1,000'."""
        return formatting.integer(value, locale=self.locale)

    def usd_bn(self, value: Any) -> str:
        """An amount in USD billions: 'USD 1.2 bn' / '12億美元' (wording from the glossary)."""
        return formatting.usd_bn(value, locale=self.locale)

    def join(self, items: Sequence[str]) -> str:
        """A plain list: 'a, b, c' in English, 'a、b、c' in Chinese."""
        return (", " if self.is_source else "、").join(items)

    def join_words(self, items: list[str]) -> str:
        """'a, b and c' in English; 'a、b及c' in Chinese."""
        if self.is_source or len(items) <= 1:
            return formatting.join_words(items)
        return "、".join(items[:-1]) + "及" + items[-1]

    def times(self, n: int) -> str:
        """'twice' in English; '2 次' in Chinese."""
        return formatting.times(n) if self.is_source else f"{n} 次"

    def sentences(self, parts: Sequence[str]) -> str:
        """Sentences run together: a space between them in English, none in Chinese."""
        return (" " if self.is_source else "").join(parts)

    def year(self, year: int) -> str:
        return formatting.year(year, locale=self.locale)


def _text(value: Any) -> str:
    """A cell as text: '' for None, NaN and empty cells."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _unpickled_translator(
    tag: str,
    names: Mapping[str, str],
    descriptions: Mapping[str, str],
    catalogue: Mapping[str, Any],
    terms: Mapping[str, Any],
) -> Translator:
    return Translator(language(tag), _translations(tag), names, descriptions, catalogue, terms)


def translator(edition: Edition | None = None, tag: str = SOURCE_LANGUAGE) -> Translator:
    """The translator of one language for an edition (its level names in that language)."""
    lang = language(tag)
    names: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    if edition is not None and tag != SOURCE_LANGUAGE:
        found = edition_translation(edition, tag)
        names = dict(found.get("names", {}))
        descriptions = dict(found.get("descriptions", {}))
    return Translator(
        lang,
        _translations(tag),
        names=names,
        descriptions=descriptions,
        catalogue=name_catalogue(tag),
        terms=glossary().get(tag, {}) if tag != SOURCE_LANGUAGE else {},
    )


def edition_translation(edition: Edition, tag: str) -> dict[str, Any]:
    """The edition file's texts in another language (title, names), as plain data."""
    translations = getattr(edition, "translations", {}) or {}
    found = translations.get(tag)
    if found is None:
        return {}
    return found.model_dump() if hasattr(found, "model_dump") else dict(found)


ENGLISH = Translator(LANGUAGES[SOURCE_LANGUAGE], gettext_module.NullTranslations())


# ---------------------------------------------------------------------------------------------
# fonts


@functools.lru_cache(maxsize=8)
def _fc_families(family: str) -> bool:
    if shutil.which("fc-list") is None:
        return False
    try:
        found = subprocess.run(
            ["fc-list", f"{family}", "family"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(found.strip())


def missing_fonts(tag: str) -> list[str]:
    """The font families a language prints with that fontconfig cannot find."""
    lang = language(tag)
    return [f for f in (*lang.body_fonts, *lang.heading_fonts) if not _fc_families(f)]


def require_fonts(tag: str) -> None:
    """Stop before rendering a language whose fonts are missing: never tofu, never English."""
    missing = missing_fonts(tag)
    if missing:
        package = language(tag).font_package
        raise ReportgenError(
            f"cannot publish in {tag}: font {', '.join(missing)} not found; install "
            f"Debian's {package} (apt-get install {package}) or another package providing it"
        )


@functools.lru_cache(maxsize=8)
def chart_font_directories(family: str) -> tuple[str, ...]:
    """The folder of the font file fontconfig picks for a family (empty when it has none)."""
    if shutil.which("fc-match") is None or not _fc_families(family):
        return ()
    try:
        found = subprocess.run(
            ["fc-match", "--format=%{file}", family],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return (str(Path(found).parent),) if found else ()


# ---------------------------------------------------------------------------------------------
# catalogue maintenance (Babel): what the tests check and translators run

PACKAGE_DIR = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def extract_messages(templates_dir: Path | None = None) -> Any:
    """Every translatable message in the code and the templates, as a Babel Catalog."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    from reportgen.report.html import TEMPLATES_DIR

    catalogue = Catalog(project="reportgen", domain=DOMAIN)
    sources = (
        (PACKAGE_DIR, [("**.py", "python")]),
        (templates_dir or TEMPLATES_DIR, [("**.html", "jinja2.ext:babel_extract")]),
    )
    for folder, method_map in sources:
        for filename, lineno, message, comments, context in extract_from_dir(
            str(folder), method_map, keywords=KEYWORDS, strip_comment_tags=True
        ):
            catalogue.add(
                message,
                None,
                [(f"{folder.name}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalogue


def update_catalogue(tag: str) -> Path:
    """Merge the extracted messages into a language's .po: new ones empty, gone ones dropped,
    translations kept. Run after changing a message: python -m reportgen.report.i18n zh-Hant"""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = catalogue_path(tag)
    template = extract_messages()
    if path.is_file():
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale=language(tag).locale, domain=DOMAIN)
    else:
        catalogue = Catalog(locale=language(tag).locale, project="reportgen", domain=DOMAIN)
    catalogue.update(template, no_fuzzy_matching=True, update_header_comment=False)
    catalogue.obsolete.clear()
    catalogue.fuzzy = False  # a fuzzy header is left out of the compiled catalogue
    catalogue.project, catalogue.version = "reportgen", ""
    catalogue.msgid_bugs_address = catalogue.last_translator = catalogue.language_team = ""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        # No line numbers: the catalogue changes when a message does, not when code moves.
        write_po(handle, catalogue, width=100, include_lineno=False, sort_output=False)
    return path


if __name__ == "__main__":  # pragma: no cover - a maintenance entry point
    import sys

    for argument in sys.argv[1:] or [t for t in LANGUAGES if t != SOURCE_LANGUAGE]:
        print(update_catalogue(argument))


# ---------------------------------------------------------------------------------------------
# findings in another language: the same numbers and selection, worded again


def findings_wording(tr: Translator) -> Any:
    """The findings' `Wording` for a translator: its catalogue and its unit names."""
    from reportgen.analysis.findings.wording import Wording

    # Bound methods, not closures: findings not yet worded travel with their wording.
    return Wording(language=tr.tag, gettext=tr.gettext, unit_name=tr.unit)


def imputation_words(description: str, tr: Translator) -> str:
    """An imputation method's description (the engine's registry) in ``tr``'s language."""
    _ = tr.gettext
    known = {
        "mean of the indicator's observed values": _("mean of the indicator's observed values"),
        "median of the indicator's observed values": _("median of the indicator's observed values"),
        "mean of the observed values in the unit's group": _(
            "mean of the observed values in the unit's group"
        ),
        "median of the observed values in the unit's group": _(
            "median of the observed values in the unit's group"
        ),
    }
    return known.get(description, description)


def translated_analysis(result: Any, lang: str) -> Any:
    """The edition's findings, themes, briefs' selections and story worded in ``lang`` (names
    from the edition file and the name catalogue): the numbers, the selection and the order are
    the source language's, only the words change. Needs the full Monte Carlo (the findings'
    robustness reads its draws), so it runs before the result is summarised for workers."""
    import dataclasses

    from reportgen.analysis.findings import analyse
    from reportgen.pipeline import finding_inputs_of

    tr = translator(result.edition, lang)
    inputs = finding_inputs_of(result)
    cities = inputs.cities.copy()
    if "name" in cities.columns:
        name_zh = cities["name_zh"] if "name_zh" in cities.columns else None
        cities["name"] = [
            tr.city_name(
                str(c),
                str(name_zh[c]) if name_zh is not None and isinstance(name_zh[c], str) else str(n),
            )
            for c, n in cities["name"].items()
        ]
    indicators = inputs.indicators.copy()
    printed = {str(i): tr.indicator(str(i), row) for i, row in indicators.iterrows()}
    if "short_name" in indicators.columns:
        indicators["short_name"] = [printed[str(i)].short_name for i in indicators.index]
    if "name" in indicators.columns:
        indicators["name"] = [printed[str(i)].name for i in indicators.index]
    pillars = inputs.pillars.copy()
    if "name" in pillars.columns:
        pillars["name"] = [tr.name(str(p), str(n)) for p, n in pillars["name"].items()]
    localised = dataclasses.replace(
        inputs,
        cities=cities,
        indicators=indicators,
        pillars=pillars,
        dimension_names={
            # The index's own name too: code_name() falls back to the code, 'Overall'.
            **({inputs.top: tr.name(inputs.top, inputs.top)} if inputs.top else {}),
            **{d: tr.name(d, n) for d, n in inputs.dimension_names.items()},
        },
        imputation=imputation_words(inputs.imputation, tr),
    )
    stages = result.stages.copy()
    for column, ids in (("stage_name", "stage_id"), ("target_stage_name", "target_stage_id")):
        if column in stages.columns and ids in stages.columns:
            stages[column] = [
                tr.name(str(i), str(n)) if isinstance(i, str) and i else n
                for i, n in zip(stages[ids], stages[column], strict=True)
            ]
    spec = result.edition.findings
    named = {
        group_id: group.model_copy(update={"name": tr.name(group_id, group.name)})
        if hasattr(group, "model_copy")
        else group
        for group_id, group in spec.named.items()
    }
    texts = edition_translation(result.edition, lang).get("texts", {})
    unmeasured = {
        pillar: texts.get(f"findings.unmeasured.{pillar}", note)
        for pillar, note in spec.unmeasured.items()
    }
    return analyse(
        localised,
        stages,
        spec.model_copy(update={"named": named, "unmeasured": unmeasured}),
        spotlight_city=result.edition.spotlight_city,
        wording=findings_wording(tr),
    )


def with_translations(result: Any) -> Any:
    """The computed edition with its analysis worded in every other language it declares."""
    import dataclasses

    if result.analysis is None:
        return result
    tags = [t for t in result.edition.languages if t != SOURCE_LANGUAGE]
    if not tags:
        return result
    return dataclasses.replace(
        result, translations={tag: translated_analysis(result, tag) for tag in tags}
    )


def translated_edition(result: Any, lang: str) -> Any:
    """The computed edition as a publication in ``lang`` prints it: its findings, themes,
    selections and story in that language (from ``result.translations``, or worded now when
    the full Monte Carlo is at hand). The source language returns ``result`` itself."""
    import dataclasses

    if lang == SOURCE_LANGUAGE or result.analysis is None:
        return result
    analysis = result.translations.get(lang)
    if analysis is None:
        analysis = translated_analysis(result, lang)
    return dataclasses.replace(result, findings=analysis.findings, analysis=analysis)


def catalogues_key() -> str:
    """Every catalogue's digest: part of the key of a cached edition, whose findings are
    worded with them."""
    return ";".join(f"{t}={catalogue_digest(t)}" for t in LANGUAGES if t != SOURCE_LANGUAGE)
