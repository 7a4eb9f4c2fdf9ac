"""Nothing is lost when writing fails (issue 8, item 4).

Every output is written to a temporary file and renamed into place (``files.atomic_path``):
a failed, interrupted or killed run leaves the previous file intact; two runs into one output
folder take turns (``publish.output_lock``); a full disk or a read-only folder is one clear
error line and exit code 1.

PDF layout is stubbed out (``report_pdf.html_to_pdf``, ``charts.to_svg``) where a test is about
writing, not rendering, so the whole module runs in seconds.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import TINY_FILES

from reportgen.cli import main
from reportgen.errors import OutputError
from reportgen.files import atomic_path, write_bytes_atomic
from reportgen.publish import MANIFEST, LocalExecutor, RenderTask, publish
from reportgen.report import charts
from reportgen.report import pdf as report_pdf

OLD = b"%PDF-1.7 last year's report\n" * 100
NEW = b"%PDF-1.7 this year's report\n" * 100
FAKE_PDF = b"%PDF-1.7 stub\n"


# --------------------------------------------------------------------------- helpers


def leftovers(folder: Path) -> list[str]:
    """Temporary files anywhere under ``folder`` (atomic_path names them .NAME.XXXX.tmp)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.tmp"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_consistent(out: Path) -> dict[str, Any]:
    """The manifest parses, lists exactly the PDFs on disk, and each entry's sha256 is the
    file's; no temporary file is left behind."""
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    files = manifest["files"]
    on_disk = sorted(str(p.relative_to(out)) for p in out.rglob("*.pdf"))
    assert sorted(files) == on_disk
    for name, entry in files.items():
        assert entry["sha256"] == sha256(out / name), name
    assert leftovers(out) == []
    return dict(files)


def disk_full_after_half(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes to temporary files get half-way, then the disk is full."""
    write_bytes = Path.write_bytes

    def full(self: Path, data: Any) -> int:
        if not self.name.endswith(".tmp"):
            return write_bytes(self, data)
        write_bytes(self, bytes(data)[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_bytes", full)


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    target = tmp_path / "out" / "annual-2024.pdf"
    target.parent.mkdir()
    target.write_bytes(OLD)
    return target


def chattr(flag: str, *paths: Path) -> None:
    subprocess.run(["chattr", flag, *map(str, paths)], check=True, capture_output=True)


@pytest.fixture
def immutable(tmp_path: Path) -> Iterator[Callable[..., None]]:
    """Make folders read-only even for root (chattr +i); undone after the test."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed; root ignores chmod, so no read-only folder")
    probe = tmp_path / "probe"
    probe.mkdir()
    try:
        chattr("+i", probe)
    except subprocess.CalledProcessError:
        pytest.skip("this file system does not support the immutable attribute")
    chattr("-i", probe)
    frozen: list[Path] = []

    def freeze(*paths: Path) -> None:
        chattr("+i", *paths)
        frozen.extend(paths)

    try:
        yield freeze
    finally:
        if frozen:
            chattr("-i", *frozen)


# --------------------------------------------------------------------------- atomic_path


def test_a_successful_write_replaces_the_file_and_leaves_nothing_else(previous: Path) -> None:
    write_bytes_atomic(previous, NEW)
    assert previous.read_bytes() == NEW
    assert sorted(p.name for p in previous.parent.iterdir()) == [previous.name]


@pytest.mark.parametrize(
    "failure",
    [RuntimeError("layout failed"), KeyboardInterrupt(), MemoryError()],
    ids=["error", "ctrl-c", "out-of-memory"],
)
def test_a_failure_inside_the_write_keeps_the_previous_file(
    previous: Path, failure: BaseException
) -> None:
    def write_then_fail() -> None:
        with atomic_path(previous) as tmp:
            tmp.write_bytes(NEW[: len(NEW) // 3])
            raise failure

    with pytest.raises(type(failure)):
        write_then_fail()
    assert previous.read_bytes() == OLD
    assert leftovers(previous.parent) == []


def test_disk_full_is_an_output_error_and_keeps_the_previous_file(
    previous: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk_full_after_half(monkeypatch)
    with pytest.raises(OutputError, match=r"annual-2024\.pdf: No space left on device"):
        write_bytes_atomic(previous, NEW)
    assert previous.read_bytes() == OLD
    assert leftovers(previous.parent) == []


@pytest.mark.parametrize(
    "error",
    [
        PermissionError(errno.EACCES, os.strerror(errno.EACCES)),
        OSError(errno.EXDEV, os.strerror(errno.EXDEV)),
        OSError(errno.EROFS, os.strerror(errno.EROFS)),
    ],
    ids=["permission", "cross-device", "read-only-fs"],
)
def test_a_refused_rename_is_an_output_error_and_keeps_the_previous_file(
    previous: Path, monkeypatch: pytest.MonkeyPatch, error: OSError
) -> None:
    def refuse(*args: Any) -> None:
        raise error

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OutputError, match=rf"cannot write .*annual-2024\.pdf: {error.strerror}"):
        write_bytes_atomic(previous, NEW)
    assert previous.read_bytes() == OLD
    assert leftovers(previous.parent) == []


def test_a_read_only_folder_is_an_output_error(
    previous: Path, immutable: Callable[..., None]
) -> None:
    immutable(previous.parent)
    with pytest.raises(
        OutputError, match=r"cannot write .*annual-2024\.pdf: Operation not permitted"
    ):
        write_bytes_atomic(previous, NEW)
    assert previous.read_bytes() == OLD


def test_a_target_that_is_a_folder_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "briefs" / "hong_kong.pdf").mkdir(parents=True)
    with pytest.raises(OutputError, match=r"hong_kong\.pdf"):
        write_bytes_atomic(tmp_path / "briefs" / "hong_kong.pdf", NEW)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_written_files_get_the_usual_permissions(tmp_path: Path, umask: int) -> None:
    """Not the 0600 of a temporary file: a published report is readable as the umask says."""
    old = os.umask(umask)
    try:
        write_bytes_atomic(tmp_path / "annual-2024.pdf", NEW)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "annual-2024.pdf").stat().st_mode) == 0o666 & ~umask


def test_the_new_file_is_on_disk_before_it_replaces_the_old_one(
    previous: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fsync, then rename: after a power cut the target is the old file or the whole new one,
    never an empty file under the final name (the rename can reach the disk first)."""
    events: list[tuple[str, str]] = []
    fsync, replace = os.fsync, os.replace

    def record_fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        fsync(fd)

    def record_replace(source: Any, target: Any) -> None:
        events.append(("replace", str(source)))
        replace(source, target)

    monkeypatch.setattr(os, "fsync", record_fsync)
    monkeypatch.setattr(os, "replace", record_replace)
    write_bytes_atomic(previous, NEW)
    renamed = [i for i, (kind, _) in enumerate(events) if kind == "replace"]
    assert len(renamed) == 1
    temporary = events[renamed[0]][1]
    assert ("fsync", temporary) in events[: renamed[0]]
    assert previous.read_bytes() == NEW


# --------------------------------------------------------------------------- killed runs

KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from reportgen.files import atomic_path

    with atomic_path(Path(sys.argv[1])) as tmp:
        tmp.write_bytes(b"%PDF-1.7 half a file")
        print("writing", flush=True)
        time.sleep(60)
    """
)


@pytest.fixture
def killed_run(previous: Path) -> Path:
    """A run killed (SIGKILL: no clean-up code runs) half-way through writing ``previous``."""
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(previous)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "writing"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
    return previous


def test_a_killed_run_leaves_the_previous_file_intact(killed_run: Path) -> None:
    assert killed_run.read_bytes() == OLD
    assert len(leftovers(killed_run.parent)) == 1  # the killed writer's, nobody could remove it


def test_the_next_run_removes_temporary_files_of_a_killed_run(killed_run: Path) -> None:
    out = killed_run.parent
    publish([], out, executor=LocalExecutor(1))
    assert leftovers(out) == []


# --------------------------------------------------------------------------- publish


def stub_rendering(monkeypatch: pytest.MonkeyPatch, payload: bytes = FAKE_PDF) -> None:
    monkeypatch.setattr(
        report_pdf, "html_to_pdf", lambda html, **kw: report_pdf.RenderedPdf(payload, 2, ())
    )
    monkeypatch.setattr(charts, "to_svg", lambda spec: "<svg xmlns='http://www.w3.org/2000/svg'/>")


@pytest.fixture(scope="module")
def tiny_result(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from reportgen.app import Inputs, compute

    folder = tmp_path_factory.mktemp("tiny") / "data"
    folder.mkdir()
    for name, text in TINY_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return compute(Inputs(data=folder), uncertainty=False)


def brief_tasks_for(result: Any, out: Path) -> list[RenderTask]:
    from reportgen.publish.plan import brief_tasks

    return brief_tasks(
        result,
        out,
        ["hong_kong", "london"],
        pdf_variant="pdf/ua-1",
        write_html=False,
        with_chinese=False,
    )


@pytest.fixture
def published(tiny_result: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An output folder after one good run: two briefs and their manifest."""
    out = tmp_path / "out"
    with monkeypatch.context() as mp:
        stub_rendering(mp, OLD)
        report = publish(brief_tasks_for(tiny_result, out), out, executor=LocalExecutor(1))
    assert not report.failed
    return out


def test_a_failing_render_keeps_the_previous_outputs_and_manifest(
    published: Path, tiny_result: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = assert_consistent(published)

    def fail(html: str, **kwargs: Any) -> Any:
        raise RuntimeError("layout failed")

    monkeypatch.setattr(report_pdf, "html_to_pdf", fail)
    report = publish(
        brief_tasks_for(tiny_result, published), published, executor=LocalExecutor(1), force=True
    )
    assert len(report.failed) == 2
    assert all("layout failed" in outcome.error for outcome in report.failed)
    assert assert_consistent(published) == before
    assert (published / "briefs" / "hong_kong.pdf").read_bytes() == OLD


def test_disk_full_through_publish_keeps_the_previous_outputs(
    published: Path, tiny_result: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PDFs fail to write, then so does the manifest: an OutputError, and the folder is
    exactly as the last good run left it."""
    before = assert_consistent(published)
    stub_rendering(monkeypatch, NEW)
    disk_full_after_half(monkeypatch)
    with pytest.raises(OutputError, match=r"manifest\.json: No space left on device"):
        publish(
            brief_tasks_for(tiny_result, published),
            published,
            executor=LocalExecutor(1),
            force=True,
        )
    monkeypatch.undo()
    assert assert_consistent(published) == before
    assert (published / "briefs" / "london.pdf").read_bytes() == OLD


def test_one_output_that_cannot_be_written_does_not_lose_the_others(
    published: Path, tiny_result: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub_rendering(monkeypatch, NEW)
    replace = os.replace

    def refuse_london(source: Any, target: Any) -> None:
        if Path(target).name == "london.pdf":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        replace(source, target)

    monkeypatch.setattr(os, "replace", refuse_london)
    report = publish(
        brief_tasks_for(tiny_result, published), published, executor=LocalExecutor(1), force=True
    )
    monkeypatch.undo()
    [failed] = report.failed
    assert failed.name == "london"
    assert "Permission denied" in failed.error
    files = assert_consistent(published)
    assert (published / "briefs" / "hong_kong.pdf").read_bytes() == NEW
    assert (published / "briefs" / "london.pdf").read_bytes() == OLD
    assert files["briefs/london.pdf"]["sha256"] == hashlib.sha256(OLD).hexdigest()


# --------------------------------------------------------------------------- two runs at once

CONCURRENT_RUN = textwrap.dedent(
    """
    import hashlib, sys, time
    from pathlib import Path
    from reportgen.report import pdf as report_pdf
    from reportgen import files
    from reportgen.publish import RenderTask, TaskOutcome, publish

    out, run, log = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])

    def note(line):
        with log.open("a") as f:
            f.write(line + "\\n")

    class SlowWriter:
        # Writes each output in turn, slowly, so that an unlocked second run would interleave.
        def run(self, tasks):
            note(run + " start")
            for task in tasks:
                payload = (f"%PDF-1.7 run {run} {task.name}\\n" * 2000).encode()
                time.sleep(0.03)
                files.write_bytes_atomic(task.target, payload)
                yield TaskOutcome(name=task.name, target=task.target, ok=True, pages=1,
                                  sha256=hashlib.sha256(payload).hexdigest(),
                                  input_hash=task.input_hash)
            note(run + " end")

    names = [f"shared-{i}" for i in range(6)] + [f"{run}-{i}" for i in range(3)]
    tasks = [RenderTask(name=n, template="brief/brief.html", target=out / "briefs" / f"{n}.pdf",
                        input_hash=run) for n in names]
    (out.parent / f"ready-{run}").touch()
    while not all((out.parent / f"ready-{r}").exists() for r in ("a", "b")):
        time.sleep(0.005)
    report = publish(tasks, out, executor=SlowWriter())
    sys.exit(1 if report.failed else 0)
    """
)


@pytest.mark.slow
def test_two_runs_into_one_folder_take_turns(tmp_path: Path) -> None:
    out, log = tmp_path / "out", tmp_path / "log"
    out.mkdir()
    runs = {
        run: subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_RUN, str(out), run, str(log)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for run in ("a", "b")
    }
    errors = {run: process.communicate(timeout=120)[1] for run, process in runs.items()}
    assert {run: p.returncode for run, p in runs.items()} == {"a": 0, "b": 0}, errors
    # One run waited for the other (and said so); their writing never overlapped.
    assert sum("in use by another reportgen run" in e for e in errors.values()) == 1, errors
    order = log.read_text().split("\n")[:-1]
    first, second = order[0].split()[0], order[2].split()[0]
    assert order == [f"{first} start", f"{first} end", f"{second} start", f"{second} end"]
    # The manifest lists both runs' outputs, each matching the file on disk; the outputs both
    # runs wrote are all the later run's, none a mix.
    files = assert_consistent(out)
    own = {f"briefs/{run}-{i}.pdf" for run in ("a", "b") for i in range(3)}
    shared = {f"briefs/shared-{i}.pdf" for i in range(6)}
    assert set(files) == own | shared
    for name in shared:
        assert (out / name).read_bytes().startswith(f"%PDF-1.7 run {second} ".encode()), name
        assert files[name]["input_hash"] == second


# --------------------------------------------------------------------------- the command line


@pytest.fixture
def cli(
    tiny_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """Run ``reportgen briefs --city hong_kong`` into tmp_path/out, inline, with layout stubbed."""
    stub_rendering(monkeypatch)

    def invoke(*extra: str, out: Path | None = None) -> Result:
        args = ["briefs", "--city", "hong_kong", "--jobs", "1", "--quiet"]
        args += ["--data", str(tiny_data_dir), "--out", str(out or tmp_path / "out"), *extra]
        return CliRunner().invoke(main, args)

    return invoke


def one_error_line(result: Result) -> str:
    assert result.exit_code == 1, (result.output, result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


def test_cli_read_only_output_folder_is_one_error_line(
    cli: Callable[..., Result], tmp_path: Path, immutable: Callable[..., None]
) -> None:
    out = tmp_path / "out"
    assert cli().exit_code == 0
    immutable(out, out / "briefs")
    line = one_error_line(cli("--force"))
    assert str(out) in line
    assert "Operation not permitted" in line
    assert (out / "briefs" / "hong_kong.pdf").read_bytes() == FAKE_PDF


def test_cli_read_only_briefs_folder_is_one_error_line_naming_the_file(
    cli: Callable[..., Result], tmp_path: Path, immutable: Callable[..., None]
) -> None:
    out = tmp_path / "out"
    assert cli().exit_code == 0
    immutable(out / "briefs")
    line = one_error_line(cli("--force"))
    assert "hong_kong.pdf" in line
    assert "Operation not permitted" in line
    assert leftovers(out) == []


def test_cli_disk_full_is_one_error_line(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli().exit_code == 0
    disk_full_after_half(monkeypatch)
    line = one_error_line(cli("--force"))
    assert "No space left on device" in line
    assert (tmp_path / "out" / "briefs" / "hong_kong.pdf").read_bytes() == FAKE_PDF
    assert leftovers(tmp_path / "out") == []


def test_cli_output_folder_under_a_file_is_one_error_line(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    (tmp_path / "report.pdf").write_bytes(OLD)
    line = one_error_line(cli(out=tmp_path / "report.pdf" / "out"))
    assert "Not a directory" in line
    assert (tmp_path / "report.pdf").read_bytes() == OLD
