"""The Chinese edition's texts: a complete, current catalogue; one glossary; locale formats;
languages from the edition file; no tofu (a missing CJK font stops the build)."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.pofile import read_po

from reportgen import formatting
from reportgen.errors import InputError, ReportgenError
from reportgen.report import i18n

ROOT = Path(__file__).resolve().parent.parent
EDITION = ROOT / "data" / "edition.yaml"
ZH = "zh-Hant"


@pytest.fixture(scope="module")
def catalogue() -> Any:
    with i18n.catalogue_path(ZH).open("rb") as handle:
        return read_po(handle, locale="zh_Hant_HK", domain=i18n.DOMAIN)


def messages(catalogue: Any) -> list[Any]:
    return [m for m in catalogue if m.id]


def texts(message: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    ids = tuple(message.id) if isinstance(message.id, list | tuple) else (message.id,)
    strings = (
        tuple(message.string) if isinstance(message.string, list | tuple) else (message.string,)
    )
    return ids, strings


# ---------------------------------------------------------------------------------------------
# the catalogue


def test_every_message_has_a_translation(catalogue: Any) -> None:
    untranslated = [m.id for m in messages(catalogue) if not all(texts(m)[1]) or m.fuzzy]
    assert untranslated == []
    assert not catalogue.fuzzy, "a fuzzy header is dropped when compiling: plurals would break"


def test_catalogue_holds_exactly_the_messages_the_code_and_templates_use(catalogue: Any) -> None:
    # Extracted with Babel now, from the sources as they are: a new or changed message fails
    # here until `python -m reportgen.report.i18n` merges it and it is translated.
    extracted = {
        m.id if isinstance(m.id, str) else tuple(m.id) for m in i18n.extract_messages() if m.id
    }
    stored = {m.id if isinstance(m.id, str) else tuple(m.id) for m in messages(catalogue)}
    assert sorted(map(str, extracted - stored)) == [], "messages missing from the catalogue"
    assert sorted(map(str, stored - extracted)) == [], "stale messages in the catalogue"
    assert len(extracted) > 200


def _placeholders(text: str) -> list[str]:
    braces = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    return sorted(braces + re.findall(r"%\((\w+)\)s", text))


def test_translations_keep_every_placeholder(catalogue: Any) -> None:
    broken = []
    for message in messages(catalogue):
        ids, strings = texts(message)
        wanted = set(_placeholders(ids[-1]))
        for translated in strings:
            if set(_placeholders(translated)) != wanted:
                broken.append((ids[0], translated))
    assert broken == []


def test_compiled_catalogue_translates_and_pluralises() -> None:
    tr = i18n.translator(None, ZH)
    assert tr.gettext("Contents") == "目錄"
    assert tr.ngettext("up {n} place", "up {n} places", 3).format(n=3) == "上升 3 位"
    assert tr.ngettext("up {n} place", "up {n} places", 1).format(n=1) == "上升 1 位"
    assert i18n.ENGLISH.gettext("Contents") == "Contents"


def test_translations_are_traditional_chinese(catalogue: Any) -> None:
    # Characters whose Simplified forms differ: none of the Simplified ones may appear.
    simplified = set("数据发态业资报与个为们这门区经济风险础劳动价创国际环术过尔湾")
    found = {
        (message.id if isinstance(message.id, str) else message.id[0], char)
        for message in messages(catalogue)
        for text in texts(message)[1]
        for char in text
        if char in simplified
    }
    assert found == set()


# ---------------------------------------------------------------------------------------------
# the glossary: one term per concept, everywhere


def _glossary_terms() -> dict[str, str]:
    return dict(i18n.glossary()[ZH]["terms"])


def test_edition_names_are_the_glossarys_terms() -> None:
    edition = yaml.safe_load(EDITION.read_text(encoding="utf-8"))
    english = {d["id"]: d["name"] for d in edition["framework"]["dimensions"]}
    english |= {p["id"]: p["name"] for p in edition["framework"]["pillars"]}
    english |= {"Overall": edition["framework"]["index_name"]}
    english |= {g: v["name"] for g, v in edition["findings"]["named"].items()}
    from reportgen.analysis.stages import DEFAULT_STAGES

    english |= {s.id: s.name for s in DEFAULT_STAGES}
    names = edition["translations"][ZH]["names"]
    terms = _glossary_terms()
    assert set(names) == set(english)
    assert {code: names[code] for code in names} == {c: terms[english[c]] for c in names}
    assert edition["translations"][ZH]["title"] == terms[edition["title"]]


def test_every_catalogue_entry_uses_the_glossarys_terms(catalogue: Any) -> None:
    # Multi-word level names are unambiguous in running text: where a message says one, its
    # translation must say the glossary's term for it.
    terms = {k: v for k, v in _glossary_terms().items() if " " in k or "-" in k}
    off = [
        (message.id, term)
        for message in messages(catalogue)
        for term, chinese in terms.items()
        if isinstance(message.id, str) and term in message.id and chinese not in message.string
    ]
    assert off == []
    assert "Technology Development Potential" in terms


# ---------------------------------------------------------------------------------------------
# locale-aware formatting


@pytest.mark.parametrize(
    ("function", "value", "english", "chinese"),
    [
        (formatting.ordinal, 11, "11th", "第 11 位"),
        (formatting.ordinal, 22, "22nd", "第 22 位"),
        (formatting.number, 153180.0, "153,180", "153,180"),
        (formatting.number, -0.0123, "−0.0123", "−0.0123"),
        (formatting.percent, 0.254, "25%", "25%"),
        (formatting.usd_bn, 1.2, "USD 1.2 bn", "12 億美元"),
        (formatting.usd_bn, 31.2, "USD 31.2 bn", "312 億美元"),
        (formatting.year, 2026, "2026", "2026 年"),
        (formatting.integer, 1000, "1,000", "1,000"),
    ],
)
def test_formatters_print_english_unchanged_and_chinese_by_the_glossary(
    function: Any, value: Any, english: str, chinese: str
) -> None:
    assert function(value) == english
    assert function(value, locale="zh_Hant_HK") == chinese


def test_a_decimal_comma_locale_swaps_the_symbols() -> None:
    assert formatting.number(1234567.0, locale="de_DE") == "1.234.567"
    assert formatting.number(0.125, locale="de_DE") == "0,125"


def test_glossary_fixes_the_currency_and_ordinal_wording() -> None:
    zh = i18n.glossary()[ZH]
    assert zh["currency"] == {"USD bn": "億美元", "scale": formatting.USD_BN_PER_YI}
    assert zh["ordinal"].format(n=11) == formatting.ordinal(11, locale="zh_Hant_HK")


def test_units_in_usd_bn_print_in_yi_with_their_values_scaled() -> None:
    tr = i18n.translator(None, ZH)
    assert tr.unit("USD bn") == ("億美元", 10.0)
    assert tr.unit("USD bn (6-year total)") == ("億美元（六年合計）", 10.0)
    assert tr.unit("µg/m³") == ("微克／立方米", 1.0)
    assert i18n.ENGLISH.unit("USD bn") == ("USD bn", 1.0)


def test_an_indicator_without_a_chinese_name_prints_its_english_name_marked() -> None:
    tr = i18n.translator(None, ZH)
    row = {"name": "Robot density", "short_name": "Robots", "unit": "robots", "definition": ""}
    printed = tr.indicator("robot_density", row)
    assert printed.name == f"Robot density {i18n.UNTRANSLATED_MARK}"
    assert printed.short_name == f"Robots {i18n.UNTRANSLATED_MARK}"
    current = i18n.name_catalogue(ZH)["indicators"]["unicorn_count"]["en"]
    assert tr.indicator("unicorn_count", current).short_name == "獨角獸企業"


def test_a_translation_of_english_the_data_no_longer_has_is_not_printed() -> None:
    tr = i18n.translator(None, ZH)
    entry = i18n.name_catalogue(ZH)["indicators"]["unicorn_count"]
    row = dict(entry["en"], unit="companies")
    assert tr.indicator("unicorn_count", row).definition == entry["definition"]
    row["definition"] = "Companies valued at USD 1 bn or more, by a new rule."
    printed = tr.indicator("unicorn_count", row)
    assert printed.definition == row["definition"]  # stale: the English prints
    assert printed.short_name == entry["short_name"]  # the name's English did not change


def test_no_catalogue_entry_is_stale_for_the_bundled_data() -> None:
    import pandas as pd

    table = pd.read_csv(ROOT / "data" / "indicators.csv", dtype=str).set_index("indicator_id")
    assert i18n.translator(None, ZH).stale_indicators(table) == []


def test_every_bundled_city_and_indicator_has_a_traditional_chinese_name() -> None:
    import csv

    names = i18n.name_catalogue(ZH)
    with (ROOT / "data" / "cities.csv").open(encoding="utf-8") as handle:
        cities = [row["city_id"] for row in csv.DictReader(handle)]
    with (ROOT / "data" / "indicators.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(set(cities) - set(names["cities"])) == []
    assert sorted({r["indicator_id"] for r in rows} - set(names["indicators"])) == []
    assert sorted({r["unit"] for r in rows} - set(names["units"])) == []
    assert names["cities"]["hong_kong"] == "香港"
    assert names["cities"]["sf_bay_area"] == "三藩市灣區"  # Hong Kong usage, not 旧金山湾区


# ---------------------------------------------------------------------------------------------
# languages from the edition file


def _edition(tmp_path: Path, change: Any) -> Path:
    content = yaml.safe_load(EDITION.read_text(encoding="utf-8"))
    change(content)
    path = tmp_path / "edition.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


def test_the_bundled_edition_declares_english_and_traditional_chinese() -> None:
    from reportgen.config import load_edition

    edition = load_edition(EDITION)
    assert edition.languages == ("en", ZH)
    assert i18n.publication_languages(edition) == ("en",)
    assert i18n.publication_languages(edition, ("all",)) == ("en", ZH)
    assert i18n.publication_languages(edition, (ZH,)) == (ZH,)
    with pytest.raises(InputError, match="not published in 'fr'"):
        i18n.publication_languages(edition, ("fr",))


def test_a_declared_language_without_translations_is_refused(tmp_path: Path) -> None:
    from reportgen.config import read_edition

    path = _edition(tmp_path, lambda c: c.pop("translations"))
    edition, problems = read_edition(path)
    assert edition is None
    assert any("zh-Hant have no entry under translations" in str(p) for p in problems)


def test_a_translated_name_for_an_unknown_id_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from reportgen.config import read_edition

    path = _edition(tmp_path, lambda c: c["translations"][ZH]["names"].update(sciense="科學"))
    edition, problems = read_edition(path)
    assert edition is not None
    assert problems == []
    assert "unknown ids: sciense" in caplog.text


def test_translator_names_levels_from_the_edition() -> None:
    from reportgen.config import load_edition
    from reportgen.labels import edition_labels

    edition = load_edition(EDITION)
    labels = i18n.translator(edition, ZH).labels(edition_labels(edition))
    assert labels.name("TDP") == "科技發展潛力"
    assert labels.name("ECC") == "生態共益能力"
    assert labels.name("capital") == "風險投資"
    assert i18n.translator(edition, ZH).name("growth_driven", "Growth-driven") == "增長驅動型"
    assert i18n.translator(edition).labels(edition_labels(edition)).name("TDP") == (
        "Technology Development Potential"
    )


def test_output_names_keep_english_and_add_the_language() -> None:
    from types import SimpleNamespace

    from reportgen.publish.plan import annual_filename, brief_filename

    result: Any = SimpleNamespace(year=2026)
    assert annual_filename(result) == "annual-2026.pdf"
    assert annual_filename(result, ZH) == "annual-2026.zh-Hant.pdf"
    assert brief_filename("hong_kong") == "briefs/hong_kong.pdf"
    assert brief_filename("hong_kong", ZH) == "briefs/zh-Hant/hong_kong.pdf"


# ---------------------------------------------------------------------------------------------
# fonts: no tofu, no silent English


def test_a_chinese_build_without_a_cjk_font_stops_naming_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(i18n, "_fc_families", lambda family: False)
    with pytest.raises(ReportgenError, match="fonts-noto-cjk") as error:
        i18n.require_fonts(ZH)
    assert "Noto Sans CJK TC" in str(error.value)
    i18n.require_fonts("en")  # English needs only the bundled fonts


def test_unknown_language_is_an_error() -> None:
    with pytest.raises(ReportgenError, match="unsupported language 'xx'"):
        i18n.language("xx")


# ---------------------------------------------------------------------------------------------
# finding sentences


@pytest.fixture(scope="module")
def zh_wording() -> Any:
    return i18n.findings_wording(i18n.translator(None, ZH))


def test_english_wording_is_the_findings_own_functions() -> None:
    from reportgen.analysis.findings import wording

    english = wording.ENGLISH
    for value, unit in ((31.2, "USD bn"), (11, "rank"), (0.22, "x"), (4160, "companies")):
        assert english.format_value(value, unit) == wording.format_value(value, unit)
    assert english.join_words(["a", "b", "c"]) == "a, b and c"
    assert english.template("rank") == wording.TEMPLATES["rank"]
    assert english.year_paren(2024) == " (2024)"


@pytest.mark.parametrize(
    ("value", "unit", "printed"),
    [
        (31.2, "USD bn", "312 億美元"),
        (31.2, "USD bn (6-year total)", "312 億美元"),
        (11, "rank (1 = best; top 40 published)", "第 11 位"),
        (7.5, "rank", "第 7.5 位"),
        (0.22, "x", "0.22 倍"),
        (0.86, "share", "86%"),
        (7, "companies", "7 家"),
        (2, "places", "2 位"),
        (None, "score", "不適用"),
    ],
)
def test_chinese_wording_prints_values_by_the_glossary(
    zh_wording: Any, value: Any, unit: str, printed: str
) -> None:
    assert zh_wording.format_value(value, unit) == printed


def test_chinese_wording_translates_every_template_and_caveat(zh_wording: Any) -> None:
    from reportgen.analysis.findings import wording

    same = [k for k, v in wording.TEMPLATES.items() if zh_wording.template(k) == v]
    same += [k for k, v in wording.CAVEATS.items() if zh_wording.caveat(k) == v]
    assert same == []
    assert zh_wording.join_words(["甲", "乙", "3 個"]) == "甲、乙及 3 個"
    assert zh_wording.group_name("top-10") == "前 10 名城市"
