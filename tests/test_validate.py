"""The edition file model and the cross-file rules, on valid inputs and on their edges."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reportgen.config import Edition, load_edition, read_edition_parts
from reportgen.data.load import load_dataset
from reportgen.data.validate import check_inputs, load_inputs, validate
from reportgen.errors import InputError

BUNDLED = Path(__file__).resolve().parents[1] / "data"


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# --------------------------------------------------------------------------- the edition


def test_load_edition(tiny_data_dir: Path) -> None:
    edition = load_edition(tiny_data_dir / "edition.yaml")
    assert isinstance(edition, Edition)
    assert edition.year == 2024
    assert edition.previous_year == 2023
    assert edition.spotlight_city == "hong_kong"
    assert [d.id for d in edition.framework.dimensions] == ["TDP", "ECC"]
    assert [p.id for p in edition.framework.pillars] == ["innovation", "capital", "liveability"]
    assert edition.max_data_age == 5
    assert edition.keywords == ("technology", "cities")


def test_edition_knows_where_its_keys_are(tiny_data_dir: Path) -> None:
    edition = load_edition(tiny_data_dir / "edition.yaml")
    assert edition.source == str(tiny_data_dir / "edition.yaml")
    assert edition.line_of("spotlight_city") == 8
    assert edition.line_of("framework.pillars[1]") == 23
    assert edition.line_of("framework.pillars[1].name") == 25
    assert edition.line_of("build[2].method") == 34
    assert edition.line_of("nowhere") is None


def test_edition_is_frozen(tiny_data_dir: Path) -> None:
    edition = load_edition(tiny_data_dir / "edition.yaml")
    with pytest.raises(ValueError, match="frozen"):
        edition.year = 2025  # type: ignore[misc]


def test_edition_with_a_bom_is_read(tiny_data_dir: Path) -> None:
    path = tiny_data_dir / "edition.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_edition(path).title == "Tiny Tech Cities Index"


def test_load_edition_reports_every_problem(tiny_data_dir: Path) -> None:
    edit(tiny_data_dir, "edition.yaml", "year: 2024", "year: twenty")
    edit(tiny_data_dir, "edition.yaml", "max_data_age: 5", "max_data_age: -1")
    edit(tiny_data_dir, "edition.yaml", "language: en", "langauge: en")
    with pytest.raises(InputError) as info:
        load_edition(tiny_data_dir / "edition.yaml")
    columns = [p.column for p in info.value.problems]
    assert sorted(c or "" for c in columns) == ["langauge", "max_data_age", "year"]
    assert str(info.value).count("\n") == 2


def test_empty_edition_file(tiny_data_dir: Path) -> None:
    (tiny_data_dir / "edition.yaml").write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(InputError, match="the edition file is empty"):
        load_edition(tiny_data_dir / "edition.yaml")


def test_edition_that_is_a_list(tiny_data_dir: Path) -> None:
    (tiny_data_dir / "edition.yaml").write_text("- title: x\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a mapping"):
        load_edition(tiny_data_dir / "edition.yaml")


def test_unknown_key_in_a_build_step_is_located(tiny_data_dir: Path) -> None:
    edit(tiny_data_dir, "edition.yaml", "method: arithmetic", "methd: arithmetic")
    _, _, problems = read_edition_parts(tiny_data_dir / "edition.yaml")
    assert len(problems) == 1
    assert problems[0].row == 36
    assert problems[0].column == "build[3].methd"
    assert "did you mean 'method'?" in str(problems[0])


def test_invalid_edition_still_yields_the_parts_it_can(tiny_data_dir: Path) -> None:
    edit(tiny_data_dir, "edition.yaml", "year: 2024", "year: twenty")
    edition, parts, problems = read_edition_parts(tiny_data_dir / "edition.yaml")
    assert edition is None
    assert parts is not None
    assert parts.year is None
    assert parts.spotlight_city == "hong_kong"
    assert parts.framework is not None
    assert len(problems) == 1


def test_misspelt_key_is_read_as_the_key_it_resembles_for_later_checks(tiny_data_dir: Path) -> None:
    edit(tiny_data_dir, "edition.yaml", "      name: Capital", "      nmae: Capital")
    edition, parts, problems = read_edition_parts(tiny_data_dir / "edition.yaml")
    assert edition is None
    assert parts is not None
    assert parts.framework is not None
    assert parts.framework.pillars[1].name == "Capital"
    assert [p.column for p in problems] == ["framework.pillars[1].nmae"]


# --------------------------------------------------------------------------- cross-file rules


def test_valid_inputs_have_no_problems(tiny_data_dir: Path) -> None:
    dataset = load_dataset(tiny_data_dir)
    edition = load_edition(tiny_data_dir / "edition.yaml")
    assert validate(dataset, edition) == []
    assert validate(dataset, edition, year=2023) == []
    assert check_inputs(tiny_data_dir)[2] == []


def test_load_inputs_returns_the_checked_pair(tiny_data_dir: Path) -> None:
    dataset, edition = load_inputs(tiny_data_dir)
    assert edition.year == 2024
    assert len(dataset.cities) == 4


def test_edition_elsewhere(tiny_data_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "edition-2024.yaml"
    (tiny_data_dir / "edition.yaml").rename(other)
    assert check_inputs(tiny_data_dir, other)[2] == []


def test_year_argument_overrides_the_edition_year(tiny_data_dir: Path) -> None:
    dataset, edition = load_inputs(tiny_data_dir)
    problems = validate(dataset, edition, year=2040)
    assert len(problems) == 1
    assert "no observations for 2040" in str(problems[0])


def test_validate_on_an_edition_built_in_code(tiny_data_dir: Path) -> None:
    dataset, edition = load_inputs(tiny_data_dir)
    copy = Edition.model_validate(edition.model_dump())
    bad = copy.model_copy(update={"spotlight_city": "atlantis"})
    problems = validate(dataset, bad)
    assert len(problems) == 1
    assert problems[0].file == "edition.yaml"  # no file behind it: a generic name, no line
    assert problems[0].row is None


def test_context_indicator_may_be_sparse(tiny_data_dir: Path) -> None:
    """Zero variance and missing values only matter for indicators that enter the index."""
    path = tiny_data_dir / "indicators.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(",0.5,index,", ",0.5,context,"), encoding="utf-8"
    )
    obs = tiny_data_dir / "observations.csv"
    lines = obs.read_text(encoding="utf-8").splitlines()
    obs.write_text("\n".join(ln for ln in lines if ",pm25," not in ln) + "\n", "utf-8")
    assert check_inputs(tiny_data_dir)[2] == []


def test_problems_come_in_file_order(tiny_data_dir: Path) -> None:
    edit(tiny_data_dir, "edition.yaml", "spotlight_city: hong_kong", "spotlight_city: atlantis")
    edit(tiny_data_dir, "observations.csv", "london,pm25,2024,8.8", "london,pm25,2024,x")
    edit(tiny_data_dir, "cities.csv", "London,伦敦", "London,伦敦,extra")
    problems = check_inputs(tiny_data_dir)[2]
    names = [Path(p.file).name for p in problems]
    assert names == sorted(names, key=["cities.csv", "observations.csv", "edition.yaml"].index)


@pytest.mark.skipif(not (BUNDLED / "edition.yaml").exists(), reason="no bundled edition")
def test_bundled_data_and_edition_are_valid() -> None:
    _, _, problems = check_inputs(BUNDLED)
    assert problems == [], "\n".join(str(p) for p in problems)


def test_yaml_alias_bomb_is_not_expanded(tiny_data_dir: Path) -> None:
    """Nested aliases would make a naive walk of the document exponential."""
    bomb = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    bomb += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = tiny_data_dir / "edition.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n".join(bomb) + "\n", encoding="utf-8")
    _, _, problems = read_edition_parts(path)
    assert {p.column for p in problems} == {f"a{i}" for i in range(9)}
    assert all("unknown key" in p.message for p in problems)


# --------------------------------------------------------------------------- shared values


@pytest.fixture
def bundled_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(BUNDLED, folder)
    return folder


def _row(folder: Path, prefix: str) -> tuple[int, str]:
    lines = (folder / "observations.csv").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if line.startswith(prefix):
            return number, line
    raise AssertionError(prefix)


def _replace_row(folder: Path, prefix: str, old: str, new: str) -> int:
    number, line = _row(folder, prefix)
    assert line.count(old) == 1, line
    edit(folder, "observations.csv", line, line.replace(old, new))
    return number


def _problems(folder: Path) -> list[str]:
    return [str(p) for p in check_inputs(folder)[2]]


def test_bundled_shared_values_are_consistent(bundled_copy: Path) -> None:
    assert _problems(bundled_copy) == []


def test_shared_with_an_unknown_city(bundled_copy: Path) -> None:
    row = _replace_row(
        bundled_copy, "hong_kong,gii_cluster_pct,", ",shenzhen;guangzhou,", ",shenzen;guangzhou,"
    )
    problems = _problems(bundled_copy)
    assert any(
        f"observations.csv:{row} column 'shared_with': unknown city id in shared_with; did you "
        "mean 'shenzhen'?; found 'shenzen'" in p
        for p in problems
    ), problems


def test_shared_with_not_symmetric(bundled_copy: Path) -> None:
    row = _replace_row(
        bundled_copy, "guangzhou,gii_cluster_pct,", ",shenzhen;hong_kong,", ",shenzhen,"
    )
    problems = [p for p in _problems(bundled_copy) if "not symmetric" in p]
    assert problems, _problems(bundled_copy)
    # reported where the odd list is, with the list expected there
    assert any(
        f"observations.csv:{row} column 'shared_with'" in p
        and "found 'shenzhen'; expected hong_kong;shenzhen" in p
        for p in problems
    ), problems


def test_shared_value_differs_within_the_unit(bundled_copy: Path) -> None:
    row = _replace_row(bundled_copy, "guangzhou,gii_cluster_pct,", ",113482,", ",113483,")
    problems = [p for p in _problems(bundled_copy) if "differs within its unit" in p]
    assert len(problems) == 1, problems  # one problem, not one per pair
    assert f"observations.csv:{row} column 'value'" in problems[0]
    assert "found '113483'; expected 113482, the unit total every member carries" in problems[0]


def test_shared_value_partner_missing_or_in_another_year(bundled_copy: Path) -> None:
    row = _replace_row(bundled_copy, "guangzhou,gii_cluster_pct,", ",2023,", ",2022,")
    problems = _problems(bundled_copy)
    missing = [p for p in problems if "which has no 'gii_cluster_pct' row for 2023" in p]
    assert len(missing) == 2, problems  # Shenzhen's and Hong Kong's rows name Guangzhou
    assert any(f"observations.csv:{row}" in p for p in problems), problems


def test_split_needs_the_population_of_every_member(bundled_copy: Path) -> None:
    text = (bundled_copy / "cities.csv").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("hong_kong,"))
    cells = line.split(",")
    cells[8] = ""
    edit(bundled_copy, "cities.csv", line, ",".join(cells))
    problems = _problems(bundled_copy)
    assert any(
        "column 'population': no population for 'hong_kong', which shares values" in p
        for p in problems
    ), problems


def test_weights_not_summing_to_one_warn_with_the_weights_used(bundled_copy: Path) -> None:
    from reportgen.data.validate import weight_warnings

    dataset = load_dataset(bundled_copy)
    assert weight_warnings(dataset) == []
    text = (bundled_copy / "indicators.csv").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("numbeo_safety_index,"))
    edit(bundled_copy, "indicators.csv", line, line.replace(",1,0.5,index,", ",1,0.7,index,"))
    dataset = load_dataset(bundled_copy)
    assert check_inputs(bundled_copy)[2] == []  # relative weights: not an error
    (warning,) = weight_warnings(dataset)
    assert warning.column == "weight"
    assert warning.found == "1.2"
    assert "sum to 1.2, not 1" in warning.message
    assert "numbeo_safety_index 0.583, numbeo_health_care_index 0.417" in warning.message
