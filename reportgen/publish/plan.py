"""What to publish for an edition: the annual report and one brief per city, as render tasks.

Each task is keyed by a hash of what its output prints, computed here from the edition's
results without building the view-model; the view-model itself is built by the worker that
renders it (see ``ContextRecipe``), so planning a no-change rebuild stays cheap.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd

from reportgen.errors import InputError, Problem
from reportgen.index.uncertainty import FloatArray, UncertaintyResult
from reportgen.pipeline import EditionResult
from reportgen.publish import (
    ContextRecipe,
    Digest,
    RenderTask,
    SharedInput,
    output_digest,
    safe_target,
)
from reportgen.report.context.annual import AnnualContext, build_annual_context
from reportgen.report.context.brief import BriefContext, build_brief_context
from reportgen.report.context.common import (
    CityLabel,
    SourceRegistry,
    city_labels,
    indicator_rows,
    peer_members,
)
from reportgen.report.i18n import SOURCE_LANGUAGE, catalogue_digest, require_fonts, translator

ANNUAL_TEMPLATE = "annual/report.html"
BRIEF_TEMPLATE = "brief/brief.html"


@functools.lru_cache(maxsize=1)
def cjk_font_available() -> bool:
    """Whether fontconfig knows a font with Chinese glyphs (e.g. Debian's fonts-noto-cjk)."""
    if shutil.which("fc-list") is None:
        return False
    try:
        found = subprocess.run(
            ["fc-list", ":lang=zh", "family"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(found.strip())


def annual_filename(result: EditionResult, lang: str = SOURCE_LANGUAGE) -> str:
    """annual-2026.pdf in English (names unchanged), annual-2026.zh-Hant.pdf in another language."""
    suffix = "" if lang == SOURCE_LANGUAGE else f".{lang}"
    return f"annual-{result.year}{suffix}.pdf"


def brief_filename(city_id: str, lang: str = SOURCE_LANGUAGE) -> str:
    """briefs/CITY.pdf in English, briefs/LANG/CITY.pdf in another language."""
    folder = "briefs" if lang == SOURCE_LANGUAGE else f"briefs/{lang}"
    return f"{folder}/{city_id}.pdf"


# ---------------------------------------------------------------------------------------------
# what workers receive once, and how they build each view-model from it


@dataclass(frozen=True)
class EditionInputs:
    """Computed once in the main process and sent once to each worker: the edition's results
    (index, uncertainty, stages, findings) and the city labels."""

    result: EditionResult
    labels: dict[str, CityLabel]
    with_chinese: bool
    lang: str = SOURCE_LANGUAGE


def build_annual_from(inputs: EditionInputs) -> AnnualContext:
    return build_annual_context(inputs.result, with_chinese=inputs.with_chinese, lang=inputs.lang)


def build_brief_from(inputs: EditionInputs, city_id: str) -> BriefContext:
    return build_brief_context(inputs.result, city_id, labels=inputs.labels, lang=inputs.lang)


@dataclass(frozen=True)
class SummarisedUncertainty(UncertaintyResult):
    """The Monte Carlo results that publications print (rank summaries per aggregate, Sobol
    tables) without the replications: what render workers get instead of the draws, which
    grow to gigabytes at a thousand cities. The summaries are computed once, here."""

    summaries: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    @classmethod
    def of(cls, full: UncertaintyResult) -> SummarisedUncertainty:
        kept = {f.name: getattr(full, f.name) for f in fields(UncertaintyResult)}
        kept["scores"] = kept["ranks"] = np.empty((0, 0, 0))
        return cls(**kept, summaries={code: full.rank_summary(code) for code in full.codes})

    def draws(self, code: str) -> FloatArray:
        raise RuntimeError(
            "Monte Carlo draws are not sent to render workers; add what the "
            "publication needs to SummarisedUncertainty"
        )

    def rank_draws(self, code: str) -> FloatArray:
        return self.draws(code)

    def rank_summary(self, code: str) -> pd.DataFrame:
        return self.summaries[code].copy()


def for_workers(result: EditionResult) -> EditionResult:
    """The computed edition as render workers receive it: Monte Carlo summarised."""
    if result.uncertainty is None or isinstance(result.uncertainty, SummarisedUncertainty):
        return result
    return replace(result, uncertainty=SummarisedUncertainty.of(result.uncertainty))


def _edition_digest(result: EditionResult) -> Digest:
    """The edition file (framework, build, stages, findings rules, uncertainty) and years."""
    return Digest().add(
        "edition",
        result.edition,
        result.build.to_list(),
        result.year,
        None if result.previous is None else result.previous.year,
        result.uncertainty is None,
    )


def _shared_input(
    result: EditionResult,
    labels: dict[str, CityLabel],
    with_chinese: bool,
    lang: str = SOURCE_LANGUAGE,
) -> SharedInput:
    # Keyed by content, so the annual's and the briefs' tasks share one copy per worker.
    key = (
        _edition_digest(result)
        .add("results", result.scores, result.stages, with_chinese, lang)
        .hexdigest()
    )
    return SharedInput(key, EditionInputs(for_workers(result), labels, with_chinese, lang))


def _language_key(lang: str) -> str:
    """What a translated output adds to its hash: the language and its catalogues' content."""
    return "" if lang == SOURCE_LANGUAGE else f"lang={lang}:{catalogue_digest(lang)}"


# ---------------------------------------------------------------------------------------------
# input hashes


def annual_input_hash(
    result: EditionResult, *, pdf_variant: str, with_chinese: bool, lang: str = SOURCE_LANGUAGE
) -> str:
    """Everything the annual report can print: the whole data set and edition, and the results
    (which are a function of them; hashed too, for results computed some other way)."""
    dataset = result.dataset
    extra = (_language_key(lang),) if lang != SOURCE_LANGUAGE else ()
    return (
        output_digest(ANNUAL_TEMPLATE, pdf_variant, f"chinese={with_chinese}", *extra)
        .add("edition", _edition_digest(result).hexdigest())
        .add("data", dataset.cities, dataset.indicators, dataset.observations)
        .add(
            "results",
            result.scores,
            result.ranks,
            result.stages,
            result.stage_probabilities,
            list(result.findings),
        )
        .hexdigest()
    )


def _city_table(result: EditionResult) -> pd.DataFrame:
    """Per city, the results a brief prints about that city only: the previous edition's
    scores and ranks, Monte Carlo rank intervals and stage probabilities."""
    index = result.scores.index
    parts: list[pd.DataFrame] = []
    if result.previous is not None:
        before = result.previous.index
        parts += [
            before.scores.add_prefix("previous score "),
            before.ranks.astype("float64").add_prefix("previous rank "),
        ]
    if result.uncertainty is not None:
        for code in result.uncertainty.codes:
            summary = result.uncertainty.rank_summary(code)
            parts.append(summary.add_prefix(f"mc {code} "))
    if result.stage_probabilities is not None:
        parts.append(result.stage_probabilities.add_prefix("p(stage) "))
    if not parts:
        return pd.DataFrame(index=index)
    table = pd.concat([p.reindex(index) for p in parts], axis=1)
    return table.astype("float64")


def brief_input_hashes(
    result: EditionResult,
    cities: Sequence[str],
    *,
    pdf_variant: str,
    with_chinese: bool,
    labels: Mapping[str, CityLabel] | None = None,
    lang: str = SOURCE_LANGUAGE,
) -> dict[str, str]:
    """Per city, a hash of everything its brief prints, without building its view-model.

    Shared by every brief: code, templates, options, the edition file, every city's label,
    scores, ranks and stage (the plane chart, the peer groups and their medians), indicator
    metadata. The city's own: its previous scores, rank intervals, stage probabilities,
    findings, and its indicator table exactly as printed (value, flag, year, rank among all
    cities, peer median, sources). A change elsewhere that moves none of these leaves the
    brief alone; ``tests/test_publish.py`` checks this against the view-model itself.
    """
    labels = labels if labels is not None else city_labels(result, with_chinese)
    panel = result.panel
    extra = (_language_key(lang),) if lang != SOURCE_LANGUAGE else ()
    shared = (
        output_digest(BRIEF_TEMPLATE, pdf_variant, f"chinese={with_chinese}", *extra)
        .add("edition", _edition_digest(result).hexdigest())
        .add("labels", labels)
        .add("results", result.scores, result.ranks, result.stages)
        .add("indicators", panel.indicators)
    )
    table = _city_table(result)
    row_hashes = (
        pd.util.hash_pandas_object(table.round(10), index=True)
        if len(table.columns)
        else pd.Series(0, index=table.index, dtype="uint64")
    )
    findings: dict[str, list[object]] = {}
    for finding in result.findings:
        findings.setdefault(finding.city_id, []).append(finding)
    hashes = {}
    for city_id in cities:
        peer_name, peers = peer_members(result, city_id)
        registry = SourceRegistry(panel.indicators)
        rows = indicator_rows(result, city_id, peers, registry)
        hashes[city_id] = (
            shared.copy()
            .add("city", city_id, int(row_hashes.get(city_id, 0)))
            .add("findings", findings.get(city_id, []))
            .add("table", peer_name, peers, rows, registry.listing())
            .hexdigest()
        )
    return hashes


# ---------------------------------------------------------------------------------------------
# tasks


def _language_labels(result: EditionResult, with_chinese: bool, lang: str) -> dict[str, CityLabel]:
    """City labels in a language; a language whose fonts are missing stops here (no tofu)."""
    if lang != SOURCE_LANGUAGE:
        require_fonts(lang)
    return city_labels(result, with_chinese, translator(result.edition, lang))


def annual_task(
    result: EditionResult,
    out_dir: Path,
    *,
    pdf_variant: str,
    write_html: bool,
    with_chinese: bool,
    lang: str = SOURCE_LANGUAGE,
) -> RenderTask:
    labels = _language_labels(result, with_chinese, lang)
    return RenderTask(
        name="annual" if lang == SOURCE_LANGUAGE else f"annual.{lang}",
        template=ANNUAL_TEMPLATE,
        target=safe_target(out_dir, annual_filename(result, lang)),
        input_hash=annual_input_hash(
            result, pdf_variant=pdf_variant, with_chinese=with_chinese, lang=lang
        ),
        pdf_variant=pdf_variant,
        write_html=write_html,
        recipe=ContextRecipe(build_annual_from, _shared_input(result, labels, with_chinese, lang)),
    )


def select_cities(result: EditionResult, cities: Iterable[str]) -> list[str]:
    """The requested city ids in index order, or all; unknown ids are a user error."""
    known = [str(c) for c in result.scores.index]
    wanted = list(dict.fromkeys(cities))
    unknown = [c for c in wanted if c not in known]
    if unknown:
        from reportgen.config import did_you_mean

        problems = [
            Problem(
                "--city",
                f"no ranked city with id {city!r}{did_you_mean(city, known)}",
                found=city,
                expected="a city_id from cities.csv",
            )
            for city in unknown
        ]
        raise InputError(problems)
    return [c for c in known if c in wanted] if wanted else known


def brief_tasks(
    result: EditionResult,
    out_dir: Path,
    cities: Sequence[str],
    *,
    pdf_variant: str,
    write_html: bool,
    with_chinese: bool,
    lang: str = SOURCE_LANGUAGE,
) -> list[RenderTask]:
    labels = _language_labels(result, with_chinese, lang)
    shared = _shared_input(result, labels, with_chinese, lang)
    # Hashed from the workers' copy: its Monte Carlo summaries are computed once, not per city.
    hashes = brief_input_hashes(
        shared.value.result,
        cities,
        pdf_variant=pdf_variant,
        with_chinese=with_chinese,
        labels=labels,
        lang=lang,
    )
    return [
        RenderTask(
            name=city_id if lang == SOURCE_LANGUAGE else f"{city_id}.{lang}",
            template=BRIEF_TEMPLATE,
            target=safe_target(out_dir, brief_filename(city_id, lang)),
            input_hash=hashes[city_id],
            pdf_variant=pdf_variant,
            write_html=write_html,
            recipe=ContextRecipe(build_brief_from, shared, (city_id,)),
        )
        for city_id in cities
    ]
