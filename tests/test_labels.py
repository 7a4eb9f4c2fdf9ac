"""Level names come from the edition file: no "TDP", "ECC" or "Overall" literal in the code, and an
edition that renames them is printed with its own names."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from reportgen.config import load_edition
from reportgen.data.load import load_dataset
from reportgen.labels import edition_labels
from reportgen.pipeline import compute_edition

PACKAGE = Path(__file__).resolve().parent.parent / "reportgen"
DATA = Path(__file__).resolve().parent.parent / "data"
LEVEL_WORDS = re.compile(r"\b(TDP|ECC|Overall)\b")
# The one place a default is allowed: the edition model's default index name.
ALLOWED = {("config.py", "Overall")}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def level_literals() -> list[str]:
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
            ):
                for word in LEVEL_WORDS.findall(node.value):
                    if (path.name, word) not in ALLOWED:
                        hits.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {word!r}")
    return hits


def test_no_level_name_is_written_into_the_code() -> None:
    assert level_literals() == []


def test_labels_follow_the_edition_file() -> None:
    labels = edition_labels(load_edition(DATA / "edition.yaml"))
    assert labels.index == "Overall"
    assert (labels.x, labels.y) == ("TDP", "ECC")
    assert labels.name("TDP") == "Technology Development Potential"
    assert labels.name("capital") == "Venture capital"
    assert labels.pillars_of("ECC")[0] == "prosperity"


@pytest.mark.slow
def test_a_renamed_edition_prints_its_own_names(tmp_path: Path) -> None:
    from reportgen.report.context.annual import build_annual_context
    from reportgen.report.html import make_environment, render_html

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    rename = {"TDP": "TECH", "ECC": "LIFE"}
    indicators = pd.read_csv(data / "indicators.csv", dtype=str, keep_default_na=False)
    indicators["dimension"] = indicators["dimension"].replace(rename)
    indicators.to_csv(data / "indicators.csv", index=False)
    edition = yaml.safe_load((data / "edition.yaml").read_text(encoding="utf-8"))
    edition["framework"]["index_name"] = "Composite"
    for dimension in edition["framework"]["dimensions"]:
        dimension["id"] = rename[dimension["id"]]
    for pillar in edition["framework"]["pillars"]:
        pillar["dimension"] = rename[pillar["dimension"]]
    edition["uncertainty"]["n"] = 20
    edition["uncertainty"]["sensitivity"] = False
    (data / "edition.yaml").write_text(yaml.safe_dump(edition, allow_unicode=True), "utf-8")

    result = compute_edition(load_dataset(data), load_edition(data / "edition.yaml"))
    assert {"Composite", "TECH", "LIFE"} <= set(result.scores.columns)
    page = render_html(make_environment(), "annual/report.html", build_annual_context(result))
    assert "TECH × LIFE plane" in page
    assert "Composite" in page
    assert re.search(r"\bTDP\b|\bECC\b", page) is None
