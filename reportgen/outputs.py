"""What to publish for an edition: the annual report and one brief per city, as render tasks."""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from reportgen.annual import build_annual_context
from reportgen.brief import build_brief_context
from reportgen.errors import InputError, Problem
from reportgen.pipeline import EditionResult
from reportgen.publish import RenderTask, input_hash, safe_target
from reportgen.views import city_labels


@functools.lru_cache(maxsize=1)
def cjk_font_available() -> bool:
    """Whether fontconfig knows a font with Chinese glyphs (e.g. Debian's fonts-noto-cjk)."""
    if shutil.which("fc-list") is None:
        return False
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                               timeout=20, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(found.strip())


def annual_filename(result: EditionResult) -> str:
    return f"annual-{result.year}.pdf"


def brief_filename(city_id: str) -> str:
    return f"briefs/{city_id}.pdf"


def annual_task(result: EditionResult, out_dir: Path, *, pdf_variant: str, write_html: bool,
                with_chinese: bool) -> RenderTask:
    context = build_annual_context(result, with_chinese=with_chinese)
    return RenderTask(
        name="annual", template="annual/report.html", context=context,
        target=safe_target(out_dir, annual_filename(result)),
        input_hash=input_hash(context, pdf_variant), pdf_variant=pdf_variant,
        write_html=write_html,
    )


def select_cities(result: EditionResult, cities: Iterable[str]) -> list[str]:
    """The requested city ids in index order, or all; unknown ids are a user error."""
    known = [str(c) for c in result.scores.index]
    wanted = list(dict.fromkeys(cities))
    unknown = [c for c in wanted if c not in known]
    if unknown:
        import difflib

        problems = []
        for city in unknown:
            close = difflib.get_close_matches(city, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(Problem("--city", f"no ranked city with id {city!r}{hint}",
                                    found=city, expected="a city_id from cities.csv"))
        raise InputError(problems)
    return [c for c in known if c in wanted] if wanted else known


def brief_tasks(result: EditionResult, out_dir: Path, cities: Sequence[str], *,
                pdf_variant: str, write_html: bool, with_chinese: bool) -> list[RenderTask]:
    labels = city_labels(result, with_chinese)
    tasks = []
    for city_id in cities:
        context = build_brief_context(result, city_id, labels=labels)
        tasks.append(RenderTask(
            name=city_id, template="brief/brief.html", context=context,
            target=safe_target(out_dir, brief_filename(city_id)),
            input_hash=input_hash(context, pdf_variant), pdf_variant=pdf_variant,
            write_html=write_html,
        ))
    return tasks
