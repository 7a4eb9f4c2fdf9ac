"""What every annual chapter has: its template, anchor, title and the sections the contents list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reportgen.report.context.common import CityLabel


@dataclass(frozen=True)
class Chapter:
    """The head of a chapter; each chapter's dataclass adds the typed fields its template prints."""

    template: str
    anchor: str
    title: str
    sections: tuple[tuple[str, str], ...]  # (anchor suffix, title) for contents and bookmarks


def short_names(labels: Mapping[str, CityLabel]) -> dict[str, str]:
    return {k: v.short_name for k, v in labels.items()}
