"""Issue 15, "the first hour of a new analyst": each surprise a newcomer met, reproduced on the
tiny data set (conftest.tiny_data_dir) and pinned.

The screened data set adds Kuala Lumpur with one of the four scored indicators and a coverage
screen that asks for half of them, so the screen removes it, as it removed the city a newcomer
added by following the README's "Adding a city".
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reportgen.app import Inputs, compute
from reportgen.cli import main
from reportgen.report.context import common as views

KL_CITY = (
    "kuala_lumpur,Kuala Lumpur,吉隆坡,Malaysia,MYS,Asia,3.14,101.69,8420000,2020,"
    "https://example.org/wup2018\n"
)
KL_OBSERVATIONS = (
    "kuala_lumpur,safety_index,2023,38.9,https://example.org/numbeo,\n"
    "kuala_lumpur,safety_index,2024,39.5,https://example.org/numbeo,\n"
)
SCREEN_STEP = "  - step: denominate\n  - step: screen\n    dat_thresh: 0.5\n"


def add_text(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def replace_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def screened_dir(tiny_data_dir: Path) -> Path:
    """The tiny data set plus Kuala Lumpur (1 of 4 scored values) and a 50% coverage screen."""
    add_text(tiny_data_dir / "cities.csv", KL_CITY)
    add_text(tiny_data_dir / "observations.csv", KL_OBSERVATIONS)
    replace_text(tiny_data_dir / "edition.yaml", "  - step: denominate\n", SCREEN_STEP)
    return tiny_data_dir


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def err_of(result: Result) -> str:
    return result.stderr if result.stderr_bytes is not None else result.output


# ---------------------------------------------------------------------------------------------
# 1. a new city can vanish without a word


def test_the_screen_removes_the_new_city_and_says_why(screened_dir: Path) -> None:
    result = compute(Inputs(data=screened_dir), uncertainty=False)
    assert "kuala_lumpur" not in result.scores.index
    (gone,) = result.screened_out
    assert gone.city_id == "kuala_lumpur"
    assert (gone.reported, gone.scored, gone.needed) == (1, 4, 2)
    assert gone.reason == "coverage"


def test_publications_read_only_the_ranked_cities(screened_dir: Path) -> None:
    """Every 'of N' and coverage figure is counted over the cities in the index."""
    result = compute(Inputs(data=screened_dir), uncertainty=False)
    assert list(result.panel.values.index) == list(result.scores.index)
    assert list(result.panel.cities.index) == list(result.scores.index)
    meta = views.meta_of(result, "Annual report")
    assert meta.scope_line.startswith("4 cities")
    assert meta.screened_note == (
        "The coverage screen left out 1 city of the data, which this report neither ranks nor "
        "counts: Kuala Lumpur (1 of 4 scored indicators, 2 needed)."
    )
    rows = views.indicator_rows(result, "hong_kong", [], None)
    safety = next(r for r in rows if r.name.startswith("Safety"))
    # Hong Kong's 78.7 is the best of the four ranked cities; Kuala Lumpur's 39.5 is not counted.
    assert safety.rank == "1 of 4"


def test_validate_names_the_screened_city_with_its_coverage_and_a_way_in(
    screened_dir: Path,
) -> None:
    result = run_cli("validate", "--data", str(screened_dir))
    assert result.exit_code == 0, result.output
    text = err_of(result)
    assert "kuala_lumpur" in text
    assert "1 of 4 scored indicators" in text
    assert "needs 2 of 4" in text
    assert "screen.dat_thresh=0.5" in text
    assert "--set 'screen.force_include=[kuala_lumpur]'" in text
    assert "4 ranked" in result.stdout


def test_index_says_which_cities_were_screened(screened_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "index.csv"
    result = run_cli("index", "--data", str(screened_dir), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "kuala_lumpur" in err_of(result)
    assert "kuala_lumpur" not in out.read_text(encoding="utf-8")


def test_the_index_workbook_lists_the_screened_cities(screened_dir: Path, tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "index.xlsx"
    assert run_cli("index", "--data", str(screened_dir), "--out", str(out)).exit_code == 0
    sheet = openpyxl.load_workbook(out)["screened_out"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:6] == ["city_id", "name", "reason", "reported", "scored", "needed"]
    assert rows[1][:6] == ["kuala_lumpur", "Kuala Lumpur", "coverage", 1, 4, 2]
    assert len(rows) == 2


def test_a_brief_for_a_screened_city_says_it_was_screened(
    screened_dir: Path, tmp_path: Path
) -> None:
    result = run_cli(
        "briefs", "--data", str(screened_dir), "--out", str(tmp_path / "o"), "--city",
        "kuala_lumpur",
    )  # fmt: skip
    assert result.exit_code == 1
    text = err_of(result)
    assert "screened out" in text
    assert "1 of 4" in text
    assert "force_include" in text
    assert "found 'kuala_lumpur'" not in text
    assert not (tmp_path / "o").exists()


def test_a_screened_out_spotlight_city_is_a_problem_before_rendering(
    screened_dir: Path, tmp_path: Path
) -> None:
    replace_text(
        screened_dir / "edition.yaml", "spotlight_city: hong_kong", "spotlight_city: kuala_lumpur"
    )
    result = run_cli("validate", "--data", str(screened_dir))
    assert result.exit_code == 1
    assert "spotlight city 'kuala_lumpur' is screened out" in result.output
    assert "edition.yaml:8 column 'spotlight_city'" in result.output
    out = tmp_path / "o"
    result = run_cli("annual", "--data", str(screened_dir), "--out", str(out))
    assert result.exit_code == 1
    assert "spotlight city 'kuala_lumpur' is screened out" in result.output
    assert not out.exists()


def test_force_include_without_brackets_ranks_the_city(screened_dir: Path) -> None:
    result = compute(
        Inputs(data=screened_dir, overrides=("screen.force_include=kuala_lumpur",)),
        uncertainty=False,
    )
    assert "kuala_lumpur" in result.scores.index
    assert result.screened_out == ()


def test_validate_does_not_call_a_screened_peer_unknown(screened_dir: Path) -> None:
    add_text(
        screened_dir / "edition.yaml",
        "findings:\n  named:\n    asean:\n      name: ASEAN peers\n"
        "      members: [singapore, kuala_lumpur, hong_kong, shenzhen]\n",
    )
    result = run_cli("validate", "--data", str(screened_dir))
    assert result.exit_code == 0, result.output
    assert "unknown" not in result.output
    assert "asean" in err_of(result)
    assert "kuala_lumpur" in err_of(result)


# ---------------------------------------------------------------------------------------------
# 2. what-if builds look like what-ifs


def test_an_official_build_is_not_a_what_if(tiny_data_dir: Path) -> None:
    result = compute(Inputs(data=tiny_data_dir), uncertainty=False)
    assert result.what_if == ()
    assert views.meta_of(result, "Annual report").what_if == ""


def test_a_build_with_overrides_is_labelled_a_what_if(tiny_data_dir: Path) -> None:
    overrides = ("aggregate.method=geometric", "normalise.range=1,100")
    result = compute(Inputs(data=tiny_data_dir, overrides=overrides), uncertainty=False)
    assert result.what_if == ("normalise.range=[1, 100]", "aggregate.method=geometric")
    meta = views.meta_of(result, "City brief")
    assert "what-if" in meta.what_if.lower()
    assert "aggregate.method=geometric" in meta.what_if
    assert "what-if" in meta.document_title.lower()
    assert "what-if" in meta.edition_line.lower()  # the running footer of every page
    assert "aggregate.method=geometric" in meta.subject  # the PDF's subject metadata


def test_index_with_overrides_warns_it_is_a_what_if(tiny_data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "index.csv"
    result = run_cli(
        "index", "--data", str(tiny_data_dir), "--set", "impute.method=median", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    assert "warning: what-if build (impute.method=median)" in err_of(result)


def test_an_override_equal_to_the_edition_is_not_a_what_if(tiny_data_dir: Path) -> None:
    result = compute(
        Inputs(data=tiny_data_dir, overrides=("aggregate.method=arithmetic",)), uncertainty=False
    )
    assert result.what_if == ()


def test_the_what_if_banner_is_in_the_html(tiny_data_dir: Path) -> None:
    from reportgen.report import html as report_html
    from reportgen.report.context.brief import build_brief_context

    result = compute(
        Inputs(data=tiny_data_dir, overrides=("normalise.range=[1,100]",)), uncertainty=False
    )
    page = report_html.render_html(
        report_html.make_environment(),
        "brief/brief.html",
        build_brief_context(result, "london", with_chinese=False),
    )
    assert 'class="what-if-banner"' in page
    assert "normalise.range=[1, 100]" in page
    assert "<title>" in page
    assert "what-if" in page.split("<title>")[1].split("</title>")[0]
    official = compute(Inputs(data=tiny_data_dir), uncertainty=False)
    page = report_html.render_html(
        report_html.make_environment(),
        "brief/brief.html",
        build_brief_context(official, "london", with_chinese=False),
    )
    assert "what-if-banner" not in page


# ---------------------------------------------------------------------------------------------
# 3. index --out X.xlsx


def test_index_infers_the_format_from_the_file_name(tiny_data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.xlsx"
    result = run_cli("index", "--data", str(tiny_data_dir), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(out), "an .xlsx file must be a workbook, not CSV text"
    json_out = tmp_path / "scores.json"
    assert run_cli("index", "--data", str(tiny_data_dir), "--out", str(json_out)).exit_code == 0
    assert json_out.read_text(encoding="utf-8").lstrip().startswith("{")


def test_index_format_and_extension_that_disagree_is_a_usage_error(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "scores.xlsx"
    result = run_cli("index", "--data", str(tiny_data_dir), "--format", "csv", "--out", str(out))
    assert result.exit_code == 2
    assert "xlsx" in result.output
    assert not out.exists()


def test_index_default_file_name_matches_the_help(
    tiny_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("index", "--data", str(tiny_data_dir))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "output" / "index-2024.csv").is_file()  # the edition's year
    help_text = run_cli("index", "--help").output
    assert "index-YEAR.FORMAT" in help_text


# ---------------------------------------------------------------------------------------------
# 4. citations


def test_a_source_is_labelled_by_every_indicator_that_cites_it(tiny_data_dir: Path) -> None:
    result = compute(Inputs(data=tiny_data_dir), uncertainty=False)
    registry = views.SourceRegistry(result.panel.indicators)
    shared = "https://example.org/shared-table"
    registry.number(shared, indicator_id="safety_index")
    registry.number(shared, indicator_id="pm25")
    registry.number("https://example.org/gii", indicator_id="pct_patents")
    (first, second) = registry.listing()
    assert first.url == shared
    assert "Safety" in first.label
    assert "PM2.5" in first.label
    assert "PCT" in second.label
    assert "Safety" not in second.label


def test_a_compilation_is_not_credited_to_one_of_its_sources(tiny_data_dir: Path) -> None:
    """Safety (Numbeo) and PM2.5 (WHO) both read from one compilation: no single publisher."""
    result = compute(Inputs(data=tiny_data_dir), uncertainty=False)
    registry = views.SourceRegistry(result.panel.indicators)
    registry.number("https://example.org/numbeo", indicator_id="safety_index")
    registry.number("https://example.org/numbeo", indicator_id="pm25")
    assert registry.listing()[0].label == "Safety, PM2.5"
    registry.number("https://example.org/who", indicator_id="pm25")
    # The original publisher first; the tiny data names no publisher domain, so the page's host
    # is named as the site that republished the figure.
    assert registry.listing()[1].label == (
        "WHO air quality database, PM2.5 annual mean, as republished by example.org: PM2.5"
    )


def test_the_source_label_function_can_be_replaced(tiny_data_dir: Path) -> None:
    result = compute(Inputs(data=tiny_data_dir), uncertainty=False)
    registry = views.SourceRegistry(
        result.panel.indicators, label=lambda url, ids: f"{len(ids)} indicator(s) at {url}"
    )
    registry.number("https://example.org/x", indicator_id="pm25")
    registry.number("https://example.org/x", indicator_id="safety_index")
    assert registry.listing()[0].label == "2 indicator(s) at https://example.org/x"


def test_brief_sources_never_borrow_another_indicators_name(tiny_data_dir: Path) -> None:
    """Two indicators whose observations cite one table: the Sources entry names both."""
    obs = tiny_data_dir / "observations.csv"
    text = obs.read_text(encoding="utf-8")
    text = re.sub(
        r"hong_kong,(safety_index|pm25),2024,([0-9.]+),https://example.org/\w+",
        r"hong_kong,\1,2024,\2,https://example.org/qol-table",
        text,
    )
    obs.write_text(text, encoding="utf-8")
    from reportgen.report.context.brief import build_brief_context

    result = compute(Inputs(data=tiny_data_dir), uncertainty=False)
    brief = build_brief_context(result, "hong_kong", with_chinese=False)
    (entry,) = [s for s in brief.sources if s.url == "https://example.org/qol-table"]
    assert "Safety" in entry.label
    assert "PM2.5" in entry.label


# ---------------------------------------------------------------------------------------------
# 5. --set checks


def test_an_invalid_value_names_the_users_words_and_is_a_usage_error(
    tiny_data_dir: Path,
) -> None:
    result = run_cli(
        "validate", "--data", str(tiny_data_dir), "--set", "aggregate.method=geometrik"
    )
    assert result.exit_code == 2, result.output
    text = result.output
    assert "aggregate.method" in text
    assert "steps." not in text
    assert "did you mean 'geometric'?" in text


def test_a_value_out_of_range_is_a_usage_error(tiny_data_dir: Path) -> None:
    result = run_cli("validate", "--data", str(tiny_data_dir), "--set", "impute.method=mdian")
    assert result.exit_code == 2, result.output
    assert "impute.method" in result.output
    assert "steps." not in result.output


@pytest.mark.parametrize("text", ["screen.force_include=[nowhere]", "screen.force_include=londn"])
def test_force_include_of_an_unknown_city_is_refused(screened_dir: Path, text: str) -> None:
    result = run_cli("validate", "--data", str(screened_dir), "--set", text)
    assert result.exit_code == 2, result.output
    assert "unknown city" in result.output
    if "londn" in text:
        assert "did you mean 'london'?" in result.output


def test_an_unknown_step_is_a_usage_error(tiny_data_dir: Path) -> None:
    result = run_cli("validate", "--data", str(tiny_data_dir), "--set", "agregate.method=x")
    assert result.exit_code == 2
    assert "did you mean 'aggregate'?" in result.output


# ---------------------------------------------------------------------------------------------
# 6. smaller messages


def test_data_folder_not_found_names_the_absolute_path_and_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("validate")
    assert result.exit_code == 1
    text = result.output
    assert str(tmp_path / "data") in text
    assert "--data" in text


def test_a_workbook_without_an_edition_file_hints_at_edition(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    import csv

    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for name in ("cities", "indicators", "observations"):
        sheet = workbook.create_sheet(name)
        with (tiny_data_dir / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            for cells in csv.reader(handle):
                sheet.append(cells)
    book = tmp_path / "cities.xlsx"
    workbook.save(book)
    result = run_cli("validate", "--data", str(book))
    assert result.exit_code == 1
    assert "--edition" in result.output


def test_the_methodology_states_the_override_and_the_screened_city(screened_dir: Path) -> None:
    from reportgen.report import html as report_html
    from reportgen.report.context.annual import build_annual_context

    result = compute(
        Inputs(data=screened_dir, overrides=("impute.method=median",)), uncertainty=False
    )
    page = report_html.render_html(
        report_html.make_environment(),
        "annual/report.html",
        build_annual_context(result, with_chinese=False),
    )
    methodology = page[page.index('id="methodology"') :]
    assert "This is a what-if build, not the official edition" in methodology
    assert "reportgen build --set &#39;impute.method=median&#39;" in methodology
    assert "left out 1 city of the data" in methodology
    assert "Kuala Lumpur (1 of 4 scored indicators, 2 needed)" in methodology
    assert page.count('class="what-if-cover"') == 1


def test_coinr_files_that_do_not_exist_are_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(
        "index", "--coinr-data", str(tmp_path / "iData.csv"), "--coinr-meta", "iMeta.csv",
        "--build", "build.yaml",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "iData.csv" in result.output
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_every_page_of_a_what_if_pdf_says_so(tiny_data_dir: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    from reportgen.app import OutputOptions, publish_edition

    result = compute(
        Inputs(data=tiny_data_dir, overrides=("normalise.range=[1,100]",)), uncertainty=False
    )
    options = OutputOptions(out_dir=tmp_path, jobs=1, quiet=True)
    report = publish_edition(result, options, annual=True, cities=["london"])
    assert not report.failed
    for name in ("annual-2024.pdf", "briefs/london.pdf"):
        reader = PdfReader(tmp_path / name)
        for number, page in enumerate(reader.pages, 1):
            assert "WHAT-IF" in page.extract_text(), f"{name} page {number}"
        info = reader.metadata
        assert info is not None
        assert "what-if" in str(info.get("/Subject")), name
        assert "what-if" in str(info.get("/Keywords")), name
