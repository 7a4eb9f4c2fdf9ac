"""What a finding says is made on first use: selection reads numbers, words come when read."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from reportgen.analysis.findings import Finding
from reportgen.analysis.findings.records import Draft, Words, made, record_dict
from reportgen.app import Inputs, compute
from reportgen.pipeline import EditionResult
from reportgen.report.i18n import translated_analysis

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def bundled() -> EditionResult:
    return compute(Inputs(DATA), uncertainty=False)


def _unmade(findings: tuple[Finding, ...]) -> list[Finding]:
    return [f for f in findings if isinstance(f.words, Draft) and f.words._made is None]


def test_findings_no_publication_prints_are_never_worded(bundled: EditionResult) -> None:
    assert bundled.analysis is not None
    findings = bundled.analysis.findings
    # Computing the edition (themes, every brief's selection, the summary) worded a minority.
    assert len(_unmade(findings)) > len(findings) / 2
    printed = set()
    for brief in bundled.analysis.briefs.values():
        assert brief.lines()  # what the brief prints, worded now
        printed |= {id(f) for t in brief.gaps + brief.strengths for f in t.findings}
        printed |= {id(f) for f in brief.movers}
    left = _unmade(findings)
    assert left  # findings no brief prints are still not worded
    assert not printed & {id(f) for f in left}
    finding = left[0]
    assert finding.sentence  # reading makes it, once
    assert isinstance(finding.words, Draft)
    assert finding.words._made is not None
    assert finding.words.get() is finding.words.get()


def test_a_draft_stands_for_its_words_in_keys_equality_exports_and_pickles(
    bundled: EditionResult,
) -> None:
    assert bundled.analysis is not None
    unread, read = _unmade(bundled.analysis.findings)[-2:]
    # Unread, a finding travels as its recipe, and makes the same words where it lands.
    travelled = pickle.loads(pickle.dumps(unread))
    assert isinstance(travelled.words, Draft)
    assert travelled.words._made is None
    words = made(read.words)
    assert isinstance(words, Words)
    # An output key hashes the repr: it must hold the sentence and every caveat.
    text = repr(read)
    assert words.sentence in text
    assert all(c in text for c in words.caveats)
    assert "Draft" not in text
    exported = record_dict(read)
    assert exported["sentence"] == words.sentence
    assert [e["role"] for e in exported["evidence"]] == [e.role for e in words.evidence]
    assert "words" not in exported
    # Read, it travels as its words, never the arrays they were made from.
    shipped = pickle.loads(pickle.dumps(read))
    assert shipped == read
    assert isinstance(shipped.words, Words)
    assert len(pickle.dumps(read)) < 20_000
    assert travelled.sentence == unread.sentence
    assert travelled == unread


def test_the_cached_edition_keeps_unread_findings_as_recipes_without_the_monte_carlo() -> None:
    result = compute(Inputs(DATA))  # with the Monte Carlo
    assert result.uncertainty is not None
    assert result.analysis is not None
    payload = pickle.dumps(result.analysis.findings)
    # Recipes read the panel and peer statistics, never the replications (a pickle names the
    # class of every object it holds).
    assert b"UncertaintyResult" not in payload
    assert b"ScoreDraws" not in payload
    assert b"FindingInputs" not in payload
    assert len(payload) < result.uncertainty.scores.nbytes
    loaded = pickle.loads(payload)
    assert [f.sentence for f in loaded] == [f.sentence for f in result.analysis.findings]


def test_a_translated_finding_travels_unread_and_is_worded_in_its_language(
    bundled: EditionResult,
) -> None:
    # The Chinese edition's findings carry a translator (a compiled catalogue cannot be
    # pickled): a worker rebuilds it from the language's tag and words them the same.
    translated = translated_analysis(bundled, "zh-Hant")
    unread = _unmade(translated.findings)
    assert unread
    travelled = pickle.loads(pickle.dumps(unread[:50]))
    assert [f.sentence for f in travelled] == [f.sentence for f in unread[:50]]
    assert any("。" in f.sentence or "的" in f.sentence for f in travelled)
