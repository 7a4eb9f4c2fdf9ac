"""Session fixtures for the PDF tests: build the bundled edition once, read every PDF once.

Loaded as a plugin (``pytest_plugins = ["pdf_fixtures"]`` in each module that needs it), so
each fixture is registered once and the build is shared by every test in the session.
"""

from __future__ import annotations

import csv
import functools
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_DATA = ROOT / "data"
JOBS = 2

# WeasyPrint hyphenates with U+2010 at the end of a line; re-join such words before searching.
_HYPHEN_BREAK = re.compile("\u2010\n")
_SPACE = re.compile(r"\s+")


def flat(text: str) -> str:
    """Text with hyphenation undone and every run of whitespace as one space."""
    return _SPACE.sub(" ", _HYPHEN_BREAK.sub("", text)).strip()


@functools.lru_cache(maxsize=1)
def bundled_year() -> int:
    """The edition year of the bundled data, read from data/edition.yaml."""
    import yaml

    return int(yaml.safe_load((BUNDLED_DATA / "edition.yaml").read_text(encoding="utf-8"))["year"])


def bundled_cities(column: str = "name") -> list[tuple[str, str]]:
    """(city_id, name) of every city in data/cities.csv, read without the product's loader."""
    with (BUNDLED_DATA / "cities.csv").open(encoding="utf-8", newline="") as handle:
        return [(row["city_id"], row[column]) for row in csv.DictReader(handle)]


# ---------------------------------------------------------------------------------------------
# reading PDFs


@dataclass(frozen=True)
class PdfDoc:
    """One PDF of a build: its path and the text of each page (extracted once)."""

    path: Path
    pages: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.pages)

    def reader(self) -> PdfReader:
        return PdfReader(self.path)


@functools.lru_cache(maxsize=64)
def _reader(path: str) -> PdfReader:
    return PdfReader(path)


def _page_text(job: tuple[str, int]) -> str:
    path, index = job
    return _reader(path).pages[index].extract_text()


def extract_texts(paths: Sequence[Path]) -> dict[Path, tuple[str, ...]]:
    """Text of every page of every PDF, pages spread over two processes (pypdf is the slow part)."""
    jobs = [(str(p), i) for p in paths for i in range(len(PdfReader(p).pages))]
    with ProcessPoolExecutor(max_workers=min(JOBS, os.cpu_count() or 1)) as pool:
        texts = list(pool.map(_page_text, jobs, chunksize=2))
    out: dict[Path, list[str]] = {p: [] for p in paths}
    for (path, _), text in zip(jobs, texts, strict=True):
        out[Path(path)].append(text)
    return {p: tuple(pages) for p, pages in out.items()}


def walk_resources(reader: PdfReader) -> Iterator[DictionaryObject]:
    """Every resource dictionary of the document: pages, form XObjects, patterns, appearances."""
    seen: set[int] = set()
    stack: list[Any] = []
    for page in reader.pages:
        stack.append(page.get("/Resources"))
        for annot in page.get("/Annots") or []:
            appearance = annot.get_object().get("/AP")
            if appearance is not None:
                stack.extend(v for v in appearance.get_object().values())
    while stack:
        item = stack.pop()
        if item is None:
            continue
        if isinstance(item, IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
        obj = item.get_object()
        if not isinstance(obj, DictionaryObject):
            continue
        if "/Resources" in obj:  # a form XObject, pattern or appearance stream
            stack.append(obj["/Resources"])
            continue
        yield obj
        for key in ("/XObject", "/Pattern"):
            for child in (obj.get(key) or {}).values():
                stack.append(child)
        for font in (obj.get("/Font") or {}).values():
            font_obj = font.get_object()
            if "/Resources" in font_obj:  # Type3 glyph procedures may use resources
                stack.append(font_obj["/Resources"])


def xobjects(reader: PdfReader) -> list[DictionaryObject]:
    found: dict[int, DictionaryObject] = {}
    for resources in walk_resources(reader):
        for ref in (resources.get("/XObject") or {}).values():
            obj = ref.get_object()
            found[id(obj) if not isinstance(ref, IndirectObject) else ref.idnum] = obj
    return list(found.values())


def fonts(reader: PdfReader) -> list[DictionaryObject]:
    found: dict[int, DictionaryObject] = {}
    for resources in walk_resources(reader):
        for ref in (resources.get("/Font") or {}).values():
            obj = ref.get_object()
            found[id(obj) if not isinstance(ref, IndirectObject) else ref.idnum] = obj
    return list(found.values())


def font_is_embedded(font: DictionaryObject) -> bool:
    subtype = font.get("/Subtype")
    if subtype == "/Type3":  # glyphs are content streams inside the PDF
        return True
    if subtype == "/Type0":
        descendants = font["/DescendantFonts"]
        return all(font_is_embedded(d.get_object()) for d in descendants)
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return False
    descriptor = descriptor.get_object()
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def structure_elements(reader: PdfReader) -> list[DictionaryObject]:
    """Every element of the tagged-PDF structure tree, depth first."""
    root = reader.trailer["/Root"]
    tree = root.get("/StructTreeRoot")
    if tree is None:
        return []
    out: list[DictionaryObject] = []
    seen: set[int] = set()
    stack: list[Any] = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
        obj = item.get_object()
        if isinstance(obj, ArrayObject):
            stack.extend(reversed(list(obj)))
        elif isinstance(obj, DictionaryObject):
            if "/S" in obj:
                out.append(obj)
            kids = obj.get("/K")
            if kids is not None:
                stack.append(kids)
    return out


def outline_entries(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(level, title, 1-based page) of every bookmark, in document order."""
    entries: list[tuple[int, str, int]] = []

    def walk(items: Sequence[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                entries.append(
                    (level, str(item.title), reader.get_destination_page_number(item) + 1)
                )

    walk(reader.outline, 1)
    return entries


PDFA_NS = "http://www.aiim.org/pdfa/ns/id/"
PDFUA_NS = "http://www.aiim.org/pdfua/ns/id/"


def xmp_properties(reader: PdfReader, namespace: str) -> dict[str, str]:
    """Properties of one XMP namespace, whether written as attributes or as elements."""
    from xml.etree import ElementTree

    metadata = reader.trailer["/Root"].get("/Metadata")
    if metadata is None:
        return {}
    tree = ElementTree.fromstring(metadata.get_object().get_data())
    found: dict[str, str] = {}
    prefix = "{" + namespace + "}"
    for element in tree.iter():
        for key, value in element.attrib.items():
            if key.startswith(prefix):
                found[key.removeprefix(prefix)] = value
        if element.tag.startswith(prefix) and element.text:
            found[element.tag.removeprefix(prefix)] = element.text.strip()
    return found


# ---------------------------------------------------------------------------------------------
# running the CLI


@dataclass(frozen=True)
class CliRun:
    args: tuple[str, ...]
    exit_code: int
    output: str
    exception: BaseException | None

    def explain(self) -> str:
        command = " ".join(self.args)
        return f"reportgen {command} exited {self.exit_code}:\n{self.output}\n{self.exception!r}"


def run_cli(*args: str) -> CliRun:
    """Invoke the real click entry point in this process (what `reportgen ...` runs)."""
    from reportgen.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    return CliRun(tuple(args), result.exit_code, result.output, result.exception)


def console_command() -> list[str]:
    script = Path(sys.executable).with_name("reportgen")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from reportgen.cli import main; main()"]


@dataclass(frozen=True)
class EditionBuild:
    """`reportgen build` of the bundled data, run once per session, and its PDFs' text."""

    out_dir: Path
    run: CliRun

    @property
    def annual_path(self) -> Path:
        return self.out_dir / f"annual-{bundled_year()}.pdf"

    def brief_path(self, city_id: str) -> Path:
        return self.out_dir / "briefs" / f"{city_id}.pdf"


@pytest.fixture(scope="session")
def edition_build(
    tmp_path_factory: pytest.TempPathFactory, annual_rebuild_runner: AnnualRebuildRunner
) -> EditionBuild:
    # The build alone keeps about one core busy (serial planning, then a long annual render);
    # the extra annual builds, when this session needs them, fill the gaps.
    annual_rebuild_runner.start_if_needed()
    out_dir = tmp_path_factory.mktemp("edition")
    run = run_cli("build", "--data", str(BUNDLED_DATA), "--out", str(out_dir), "--jobs", str(JOBS))
    return EditionBuild(out_dir, run)


@pytest.fixture(scope="session")
def built(edition_build: EditionBuild) -> EditionBuild:
    """The build, failing every dependent test at once (with the CLI output) if it failed."""
    if edition_build.run.exit_code != 0:
        pytest.fail(edition_build.run.explain())
    return edition_build


@pytest.fixture(scope="session")
def build_texts(built: EditionBuild) -> Mapping[Path, tuple[str, ...]]:
    """Text per page of every PDF the build wrote (annual and briefs), read once."""
    paths = sorted(built.out_dir.rglob("*.pdf"))
    return extract_texts(paths)


@pytest.fixture(scope="session")
def annual_pdf(built: EditionBuild, build_texts: Mapping[Path, tuple[str, ...]]) -> PdfDoc:
    path = built.annual_path
    if path not in build_texts:
        pytest.fail(f"the build wrote no {path.name}")
    return PdfDoc(path, build_texts[path])


@pytest.fixture(scope="session")
def brief_pdfs(
    built: EditionBuild, build_texts: Mapping[Path, tuple[str, ...]]
) -> dict[str, PdfDoc]:
    """city_id -> brief, for every brief the build wrote."""
    folder = built.out_dir / "briefs"
    return {p.stem: PdfDoc(p, pages) for p, pages in build_texts.items() if p.parent == folder}


@pytest.fixture(scope="session")
def edition_result() -> Any:
    """The engine's own numbers for the bundled data (what the PDFs must print)."""
    from reportgen.app import Inputs, compute

    return compute(Inputs(data=BUNDLED_DATA))


@dataclass(frozen=True)
class AnnualRebuilds:
    """Two more annual-only runs in fresh folders: the default variant again, and PDF/A-3b."""

    again: Path
    again_run: subprocess.CompletedProcess[str]
    archival: Path
    archival_run: subprocess.CompletedProcess[str]


class AnnualRebuildRunner:
    """Starts both annual-only builds at once through the console script; waits for them once."""

    def __init__(self, session: pytest.Session, folder: Path) -> None:
        self.session = session
        self.folder = folder
        self.procs: list[subprocess.Popen[str]] = []
        self.result: AnnualRebuilds | None = None

    def start_if_needed(self) -> None:
        if any(
            "annual_rebuilds" in getattr(item, "fixturenames", ()) for item in self.session.items
        ):
            self.start()

    def start(self) -> None:
        if self.procs:
            return
        command = [*console_command(), "annual", "--data", str(BUNDLED_DATA), "--jobs", "1"]
        for name, extra in (("again", []), ("pdfa", ["--pdf-variant", "pdf/a-3b"])):
            out_dir = self.folder / name
            self.procs.append(
                subprocess.Popen(
                    [*command, "--out", str(out_dir), *extra],
                    cwd=ROOT,
                    text=True,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
            )

    def wait(self) -> AnnualRebuilds:
        if self.result is None:
            self.start()
            done = []
            for proc in self.procs:
                stdout, _ = proc.communicate(timeout=600)
                done.append(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, ""))
            name = f"annual-{bundled_year()}.pdf"
            self.result = AnnualRebuilds(
                self.folder / "again" / name, done[0], self.folder / "pdfa" / name, done[1]
            )
        return self.result

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


@pytest.fixture(scope="session")
def annual_rebuild_runner(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AnnualRebuildRunner]:
    runner = AnnualRebuildRunner(request.session, tmp_path_factory.mktemp("annual-rebuilds"))
    yield runner
    runner.stop()


@pytest.fixture(scope="session")
def annual_rebuilds(annual_rebuild_runner: AnnualRebuildRunner) -> AnnualRebuilds:
    """The annual report built again (same input) and as PDF/A-3b, each in its own folder."""
    return annual_rebuild_runner.wait()
