"""Citations that name the original publisher first and the site a value was read from second."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import pandas as pd

from reportgen.data.load import Dataset

# Readable names of the sites that republished a source's figures. A site missing here is
# still cited, by its bare host name, so this list only improves wording and never hides one.
REPUBLISHER_NAMES: Mapping[str, str] = {
    "beckershospitalreview.com": "Becker's Hospital Review",
    "hoodline.com": "Hoodline",
    "zerohedge.com": "ZeroHedge",
    "fliphtml5.com": "FlipHTML5",
    "business-standard.com": "Business Standard",
    "scribd.com": "Scribd",
    "businessoutreach.in": "Business Outreach",
    "axios.com": "Axios",
    "treehugger.com": "Treehugger",
    "bebeez.eu": "BeBeez",
    "thehansindia.com": "The Hans India",
    "brushwoodmedianetwork.com": "Brushwood Media Network",
    "betakit.com": "BetaKit",
    "sciencebusiness.net": "Science|Business",
    "hitechconnect.ch": "HiTech Connect",
    "techleap.nl": "Techleap.nl",
    "creationsforu.com": "Creations For U",
    "newskarnataka.com": "News Karnataka",
}


@dataclass(frozen=True)
class Citation:
    """Where a value comes from: the original publisher and publication, the year of the
    figure, the URL it was read from and, when that URL is not the publisher's own site,
    who republished it."""

    publisher: str
    title: str
    year: int | None
    url: str
    republished_by: str | None = None

    def __str__(self) -> str:
        # The data year, unless the title already names an edition year (GII 2023).
        dated = self.year is None or re.search(r"\b(19|20)\d\d\b", self.title)
        year = "" if dated else f", {self.year}"
        via = f", as republished by {self.republished_by}" if self.republished_by else ""
        return f"{self.publisher}, {self.title}{year}{via}, {self.url}"


def host(url: str) -> str:
    """The URL's host without a leading 'www.' ('' for a URL without one)."""
    netloc = urlparse(url).netloc.lower()
    return netloc.removeprefix("www.")


def _on_domain(name: str, domains: list[str]) -> bool:
    return any(name == d or name.endswith("." + d) for d in domains)


def republisher(url: str, publisher_domains: str | None) -> str | None:
    """Who republished the page at `url`, or None when it is on one of the publisher's domains
    (';'-separated). A GitHub file is named by its repository."""
    name = host(url)
    if not name:
        return None
    domains = [d.strip().lower() for d in (publisher_domains or "").split(";") if d.strip()]
    if _on_domain(name, domains):
        return None
    if name in ("github.com", "raw.githubusercontent.com"):
        parts = [p for p in urlparse(url).path.split("/") if p]
        repo = "/".join(parts[:2]) if len(parts) >= 2 else ""
        return f"the GitHub repository {repo}" if repo else "GitHub"
    for domain, readable in REPUBLISHER_NAMES.items():
        if _on_domain(name, [domain]):
            return readable
    return name


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def citation(
    indicator: Mapping[str, Any] | pd.Series,
    url: str,
    year: int | None = None,
    publisher: str | None = None,
) -> Citation:
    """The citation of one value of `indicator` (a row of indicators.csv) read at `url`.

    `publisher` overrides the indicator's publisher for one observation (a row's own
    ``publisher``, e.g. the census office behind one city's foreign-born share). Without a
    publisher column the indicator's source_name stands in, so older data still cites.
    """
    name = (
        _text(publisher) or _text(indicator.get("publisher")) or _text(indicator.get("source_name"))
    )
    title = _text(indicator.get("publication")) or _text(indicator.get("name")) or ""
    return Citation(
        publisher=name or "unknown publisher",
        title=title,
        year=None if year is None or pd.isna(year) else int(year),
        url=url,
        republished_by=republisher(url, _text(indicator.get("publisher_domain"))),
    )


def observation_citations(dataset: Dataset) -> pd.Series:
    """A Citation for every row of observations.csv (same index)."""
    indicators = dataset.indicators.drop_duplicates("indicator_id").set_index("indicator_id")
    obs = dataset.observations
    own = obs["publisher"] if "publisher" in obs else pd.Series(pd.NA, index=obs.index)
    cites = [
        citation(indicators.loc[i] if i in indicators.index else {}, url, year, pub)
        for i, url, year, pub in zip(
            obs["indicator_id"], obs["source_url"], obs["year"], own, strict=True
        )
    ]
    return pd.Series(cites, index=obs.index, dtype=object)
