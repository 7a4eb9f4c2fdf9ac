"""What to publish for an edition: the annual report and one brief per city, as render tasks.

Each task is keyed by a digest of the inputs its view-model builder declares: a brief by its
``BriefInputs`` (the edition-wide part shared by all briefs, and the city's own part), the
annual report by the whole computed edition. The view-model itself is built by the worker that
renders it (see ``ContextRecipe``) from exactly those inputs, so nothing a brief prints can be
missing from its key, and planning a no-change rebuild stays cheap.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from reportgen.analysis.findings.records import Record
from reportgen.errors import InputError, Problem
from reportgen.index.uncertainty import FloatArray, UncertaintyResult
from reportgen.pipeline import EditionResult
from reportgen.publish.digest import Digest, output_digest
from reportgen.publish.manifest import safe_target
from reportgen.publish.tasks import ContextRecipe, RenderTask, SharedInput
from reportgen.publish.versions import cjk_font_available as cjk_font_available
from reportgen.report.context.inputs import (
    BriefCity,
    BriefInputs,
    BriefShared,
    CityLabel,
    brief_cities,
    brief_shared,
    city_labels,
)
from reportgen.report.i18n import (
    LANGUAGES,
    SOURCE_LANGUAGE,
    catalogue_digest,
    require_fonts,
    translator,
)

if TYPE_CHECKING:
    from reportgen.report.context.annual import AnnualContext
    from reportgen.report.context.brief import BriefContext

ANNUAL_TEMPLATE = "annual/report.html"
BRIEF_TEMPLATE = "brief/brief.html"


def annual_filename(result: EditionResult, lang: str = SOURCE_LANGUAGE) -> str:
    """annual-2026.pdf in English (names unchanged), annual-2026.zh-Hant.pdf in another language."""
    suffix = "" if lang == SOURCE_LANGUAGE else f".{lang}"
    return f"annual-{result.year}{suffix}.pdf"


def brief_filename(city_id: str, lang: str = SOURCE_LANGUAGE) -> str:
    """briefs/CITY.pdf in English, briefs/LANG/CITY.pdf in another language."""
    folder = "briefs" if lang == SOURCE_LANGUAGE else f"briefs/{lang}"
    return f"{folder}/{city_id}.pdf"


def language_key(lang: str) -> tuple[str, ...]:
    """What a translated output adds to its key: the language and its catalogues' content (so
    an edited translation rebuilds what it changes); nothing for the source language."""
    if lang == SOURCE_LANGUAGE:
        return ()
    return (f"lang={lang}:{catalogue_digest(lang) if lang in LANGUAGES else ''}",)


def language_labels(result: EditionResult, with_chinese: bool, lang: str) -> dict[str, CityLabel]:
    """City labels in a language; a language whose fonts are missing stops here (no tofu)."""
    if lang != SOURCE_LANGUAGE:
        require_fonts(lang)
    return city_labels(result, with_chinese, translator(result.edition, lang))


# ---------------------------------------------------------------------------------------------
# what workers receive once, and how they build each view-model from it


@dataclass(frozen=True)
class EditionInputs:
    """The annual report's declared input, the whole computed edition (with the city labels),
    computed once in the main process and sent once to each worker."""

    result: EditionResult
    labels: dict[str, CityLabel]
    with_chinese: bool
    lang: str = SOURCE_LANGUAGE


def build_annual_from(inputs: EditionInputs) -> AnnualContext:
    from reportgen.report.context.annual import build_annual_context

    return build_annual_context(inputs.result, with_chinese=inputs.with_chinese, lang=inputs.lang)


def build_brief_from(shared: BriefShared, city: BriefCity) -> BriefContext:
    from reportgen.report.context.brief import build_brief

    return build_brief(BriefInputs(shared, city))


@dataclass(frozen=True)
class SummarisedUncertainty(UncertaintyResult):
    """The Monte Carlo results that publications print (rank summaries per aggregate, Sobol
    tables) without the replications: what render workers get instead of the draws, which
    grow to gigabytes at a thousand cities. The summaries are computed once, here."""

    summaries: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    @classmethod
    def of(cls, full: UncertaintyResult) -> SummarisedUncertainty:
        kept = {f.name: getattr(full, f.name) for f in fields(UncertaintyResult) if f.init}
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


# ---------------------------------------------------------------------------------------------
# input hashes


def annual_input_hash(
    result: EditionResult, *, pdf_variant: str, with_chinese: bool, lang: str = SOURCE_LANGUAGE
) -> str:
    """The annual report's declared input is the whole computed edition: its key is what the
    edition is computed from (the data set, the edition file and build, the years, code and
    options), plus the headline results, cheap to hash, for editions computed another way; and
    for a translation, the language and its catalogues."""
    dataset = result.dataset
    return (
        output_digest(ANNUAL_TEMPLATE, pdf_variant, f"chinese={with_chinese}", *language_key(lang))
        .add("edition", _edition_digest(result).hexdigest())
        .add("data", dataset.cities, dataset.indicators, dataset.observations)
        .add(
            "results",
            result.scores,
            result.ranks,
            result.stages,
            result.stage_probabilities,
            len(result.findings),
        )
        .hexdigest()
    )


def inputs_digest(inputs: Any, digest: Digest | None = None) -> Digest:
    """A digest of every field of a declared-inputs dataclass (``BriefShared``, ``BriefCity``),
    nested ones field by field: what its builder can read is what its key covers."""
    digest = digest if digest is not None else Digest()
    digest.add(type(inputs).__name__)
    for f in dataclasses.fields(inputs):
        value = getattr(inputs, f.name)
        if _is_inputs(value):
            inputs_digest(value, digest.add(f.name))
        else:
            digest.add(f.name, value)
    return digest


def _is_inputs(value: Any) -> bool:
    # A findings record is hashed whole (its repr), not walked field by field.
    return (
        dataclasses.is_dataclass(value)
        and not isinstance(value, type)
        and not isinstance(value, Record)
    )


def brief_input_hashes(
    shared: BriefShared,
    cities: Mapping[str, BriefCity],
    *,
    pdf_variant: str,
    with_chinese: bool,
) -> dict[str, str]:
    """Per city, the key of its brief: code, templates and options, then the digests of the
    shared and the city's own declared inputs. A change that moves neither leaves the brief
    alone; ``tests/test_publish.py`` checks this against the view-model itself."""
    start = output_digest(
        BRIEF_TEMPLATE, pdf_variant, f"chinese={with_chinese}", *language_key(shared.lang)
    ).add("shared", inputs_digest(shared).hexdigest())
    return {
        city_id: start.copy().add("city", inputs_digest(part).hexdigest()).hexdigest()
        for city_id, part in cities.items()
    }


# ---------------------------------------------------------------------------------------------
# tasks


def assets_dir(out_dir: Path) -> Path:
    """Files the HTML pages of a run share (fonts), copied once into the output folder."""
    return safe_target(out_dir, "assets")


def annual_task(
    result: EditionResult,
    out_dir: Path,
    *,
    pdf_variant: str,
    with_chinese: bool,
    write_html: bool = False,
    formats: Sequence[str] = ("pdf",),
    lang: str = SOURCE_LANGUAGE,
) -> RenderTask:
    labels = language_labels(result, with_chinese, lang)
    return RenderTask(
        name="annual" if lang == SOURCE_LANGUAGE else f"annual.{lang}",
        template=ANNUAL_TEMPLATE,
        target=safe_target(out_dir, annual_filename(result, lang)).with_suffix(f".{formats[0]}"),
        input_hash=annual_input_hash(
            result, pdf_variant=pdf_variant, with_chinese=with_chinese, lang=lang
        ),
        pdf_variant=pdf_variant,
        write_html=write_html,
        formats=tuple(formats),
        assets_dir=assets_dir(out_dir),
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
    with_chinese: bool,
    write_html: bool = False,
    formats: Sequence[str] = ("pdf",),
    lang: str = SOURCE_LANGUAGE,
) -> list[RenderTask]:
    """One task per city, each keyed by and built from its declared ``BriefInputs``: the shared
    part goes to each worker once, the city's part travels with its task."""
    shared = brief_shared(result, language_labels(result, with_chinese, lang), lang)
    parts = brief_cities(result, cities, shared)
    hashes = brief_input_hashes(shared, parts, pdf_variant=pdf_variant, with_chinese=with_chinese)
    shipped = SharedInput(inputs_digest(shared).hexdigest(), shared)
    assets = assets_dir(out_dir)
    return [
        RenderTask(
            name=city_id if lang == SOURCE_LANGUAGE else f"{city_id}.{lang}",
            template=BRIEF_TEMPLATE,
            target=safe_target(out_dir, brief_filename(city_id, lang)).with_suffix(
                f".{formats[0]}"
            ),
            input_hash=hashes[city_id],
            pdf_variant=pdf_variant,
            write_html=write_html,
            formats=tuple(formats),
            assets_dir=assets,
            recipe=ContextRecipe(build_brief_from, shipped, (parts[city_id],)),
        )
        for city_id in cities
    ]
