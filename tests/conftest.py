"""Shared fixtures: COINr's ASEM example (inputs and build, for the oracle tests) and a tiny valid
data set (4 cities, 4 indicators, 2 years) with its edition."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.index import Build, IndexData, IndexResult, run
from reportgen.index.coinr import read_coinr

ASEM = Path(__file__).parent / "fixtures" / "coinr-asem"
# COINr's level names in the ASEM example (the oracle files print them).
ASEM_LEVEL_NAMES = ("Indicator", "Pillar", "Sub-index", "Index")


@pytest.fixture(scope="session")
def asem_data() -> IndexData:
    """COINr's ASEM input data (iData and iMeta), as the oracle's steps start from it."""
    return read_coinr(ASEM / "asem_iData.csv", ASEM / "asem_iMeta.csv", ASEM_LEVEL_NAMES)


@pytest.fixture(scope="session")
def asem_build() -> Build:
    """The build recipe of COINr's ASEM example (see fixtures/coinr-asem/README.md)."""
    return Build.from_yaml((ASEM / "build.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def asem_result(asem_build: Build, asem_data: IndexData) -> IndexResult:
    return run(asem_build, asem_data)


TINY_CITIES = """\
city_id,name,name_zh,country,iso3,region,lat,lon,population,population_year,population_source_url
hong_kong,Hong Kong,香港,China,HKG,Asia,22.32,114.17,7490000,2020,https://example.org/wup2018
shenzhen,Shenzhen,深圳,China,CHN,Asia,22.54,114.06,12357000,2020,https://example.org/wup2018
singapore,Singapore,新加坡,Singapore,SGP,Asia,1.35,103.82,5935000,2020,https://example.org/wup2018
london,London,伦敦,United Kingdom,GBR,Europe,51.51,-0.13,9304000,2020,https://example.org/wup2018
"""

TINY_INDICATORS = (
    "indicator_id,dimension,pillar,name,short_name,unit,direction,weight,role,denominator,"
    "min,max,list_threshold,definition,source_name,source_url\n"
    "pct_patents,TDP,innovation,PCT patent applications by inventors in the city's cluster,"
    "PCT applications,applications (5-year total),1,1,index,,0,,,"
    "PCT applications with an inventor in the city's cluster,WIPO GII clusters,"
    "https://example.org/gii\n"
    "vc_capital,TDP,capital,Venture capital raised,VC raised,USD bn,1,1,index,population,0,,2.5,"
    "Venture capital raised by start-ups in the metro area; top-20 list,PitchBook VC ecosystems,"
    "https://example.org/pitchbook\n"
    "safety_index,ECC,liveability,Safety index,Safety,index 0-100,1,1,index,,0,100,,"
    "Perceived safety from crime,Numbeo,https://example.org/numbeo\n"
    "pm25,ECC,liveability,PM2.5 annual mean,PM2.5,µg/m³,-1,0.5,index,,0,,,"
    "Annual mean concentration of fine particulate matter,WHO air quality database,"
    "https://example.org/who\n"
)

# London is not on the venture-capital top-20 list: no value, bounded by list_threshold.
TINY_OBSERVATIONS = """\
city_id,indicator_id,year,value,source_url,note
hong_kong,pct_patents,2023,1200,https://example.org/gii,cluster value
shenzhen,pct_patents,2023,3900,https://example.org/gii,
singapore,pct_patents,2023,800,https://example.org/gii,
london,pct_patents,2023,1500,https://example.org/gii,
hong_kong,pct_patents,2024,1300,https://example.org/gii,cluster value
shenzhen,pct_patents,2024,4100,https://example.org/gii,
singapore,pct_patents,2024,850,https://example.org/gii,
london,pct_patents,2024,1450,https://example.org/gii,
hong_kong,vc_capital,2023,3.1,https://example.org/pitchbook,
shenzhen,vc_capital,2023,9.4,https://example.org/pitchbook,
singapore,vc_capital,2023,6.2,https://example.org/pitchbook,
hong_kong,vc_capital,2024,2.8,https://example.org/pitchbook,
shenzhen,vc_capital,2024,8.7,https://example.org/pitchbook,
singapore,vc_capital,2024,5.9,https://example.org/pitchbook,
hong_kong,safety_index,2023,78.4,https://example.org/numbeo,
shenzhen,safety_index,2023,72.1,https://example.org/numbeo,
singapore,safety_index,2023,77.9,https://example.org/numbeo,
london,safety_index,2023,46.5,https://example.org/numbeo,
hong_kong,safety_index,2024,78.7,https://example.org/numbeo,
shenzhen,safety_index,2024,73.0,https://example.org/numbeo,
singapore,safety_index,2024,77.4,https://example.org/numbeo,
london,safety_index,2024,45.9,https://example.org/numbeo,
hong_kong,pm25,2023,19.8,https://example.org/who,
shenzhen,pm25,2023,21.4,https://example.org/who,
singapore,pm25,2023,13.2,https://example.org/who,
london,pm25,2023,9.1,https://example.org/who,
hong_kong,pm25,2024,18.9,https://example.org/who,
shenzhen,pm25,2024,20.6,https://example.org/who,
singapore,pm25,2024,12.8,https://example.org/who,
london,pm25,2024,8.8,https://example.org/who,
"""

TINY_EDITION = """\
title: Tiny Tech Cities Index
year: 2024
previous_year: 2023
publisher: Test Publisher
author: Test Author
language: en
keywords: [technology, cities]
spotlight_city: hong_kong
max_data_age: 5
framework:
  index_name: Overall
  dimensions:
    - id: TDP
      name: Technology Development Potential
      weight: 1
    - id: ECC
      name: Ecosystem Co-Benefit Capacity
      weight: 1
  pillars:
    - id: innovation
      dimension: TDP
      name: Innovation
    - id: capital
      dimension: TDP
      name: Capital
    - id: liveability
      dimension: ECC
      name: Liveability
build:
  - step: denominate
  - step: impute
    method: mean
  - step: normalise
    method: minmax
  - step: aggregate
    method: arithmetic
stages: {}
"""

TINY_FILES = {
    "cities.csv": TINY_CITIES,
    "indicators.csv": TINY_INDICATORS,
    "observations.csv": TINY_OBSERVATIONS,
    "edition.yaml": TINY_EDITION,
}


@pytest.fixture
def tiny_data_dir(tmp_path: Path) -> Path:
    """A folder with a tiny valid data set: cities.csv, indicators.csv, observations.csv and
    edition.yaml (4 cities, 4 index indicators in 3 pillars, years 2023 and 2024; London has
    no venture-capital value: it is below that top-20 list's threshold, 2.5)"""
    folder = tmp_path / "data"
    folder.mkdir()
    for name, text in TINY_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
