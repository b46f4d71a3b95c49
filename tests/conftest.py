"""Shared fixtures: fake installed distributions for plugin-discovery tests, the files the
distribution ships, and the messages of the repository's blind sets."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

MakeDistribution = Callable[..., Path]

ROOT = Path(__file__).resolve().parents[1]
_WHEEL_BUILD = pytest.StashKey[tuple["subprocess.Popen[bytes]", Path]]()


_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "*.egg-info", "*.so", "__pycache__", ".*_cache", ".hypothesis"
)


def _start_wheel_build() -> tuple[subprocess.Popen[bytes], Path]:
    """``pip wheel`` on a copy of the sources: setuptools builds in the source folder, so two
    builds at once (two test workers, or a test run beside ``make install``) must not share it."""
    out = Path(tempfile.mkdtemp(prefix="mmtkit-wheel-"))
    source = out / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
               "--quiet", "--wheel-dir", str(out), str(source)]
    # The tests read the wheel's contents, not its speed: unoptimised C builds in half the time.
    env = {**os.environ, "MMTKIT_MYPYC_OPT_LEVEL": "0", "CFLAGS": "-O0"}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=env), out


def pytest_collection_finish(session: pytest.Session) -> None:
    """In a single process, start building the wheel (mypyc and an unoptimised C build: about
    25 s) as soon as the packaging tests are known to run, so it builds on the second core while
    the other tests run. Under pytest-xdist every worker collects every test but only one runs
    the packaging file, and the other cores are busy anyway: that worker builds when it needs to."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if any(item.nodeid.startswith("tests/test_packaging.py") for item in session.items):
        session.config.stash[_WHEEL_BUILD] = _start_wheel_build()


# Under pytest-xdist (`make test`) the test files go to the workers in collection order, a
# file at a time: the slowest are put first, so that no worker starts a minute-long file last
# while the others have finished (the packaging tests wait for a wheel build; the delivery
# tests run against the sandbox for a set time). A single process keeps the usual order, which
# gives the wheel build, started at collection, the other tests' time to finish in.
_SLOWEST_FILES = (
    "tests/test_packaging.py",
    "tests/transport/test_delivery_against_sandbox.py",
    "tests/gateway/test_crash.py",
    "tests/compliance/test_model.py",
    "tests/transport/test_crash_resume.py",
    "tests/core/test_native.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rank = {path: order for order, path in enumerate(_SLOWEST_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))


def pytest_sessionfinish(session: pytest.Session) -> None:
    build = session.config.stash.get(_WHEEL_BUILD, None)
    if build is not None:
        process, out = build
        if process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="session")
def built_wheel(request: pytest.FixtureRequest) -> Path:
    """The wheel ``pip wheel`` builds from this repository (started at collection time)."""
    build = request.config.stash.get(_WHEEL_BUILD, None)
    if build is None:
        build = request.config.stash[_WHEEL_BUILD] = _start_wheel_build()
    process, out = build
    output, _ = process.communicate()
    assert process.returncode == 0, output.decode(errors="replace")
    (wheel,) = out.glob("mmtkit-*.whl")
    return wheel


@pytest.fixture
def make_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MakeDistribution]:
    """Install a tiny distribution the way an installer lays it out on disk: modules plus a
    ``*.dist-info`` folder with METADATA and entry_points.txt, on a fresh ``sys.path`` entry."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    added: list[str] = []

    def make(
        name: str, *, entry_points: dict[str, str], modules: dict[str, str], version: str = "1.0"
    ) -> Path:
        for module, source in modules.items():
            (site / f"{module}.py").write_text(textwrap.dedent(source))
            added.append(module)
        info = site / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        lines = "\n".join(f"{k} = {v}" for k, v in entry_points.items())
        (info / "entry_points.txt").write_text(f"[mmtkit]\n{lines}\n")
        importlib.invalidate_caches()
        return site

    yield make
    for module in added:
        sys.modules.pop(module, None)


_PACKAGE_FOLDERS = {"sdk": "mmtkit", "adapters": "mmtkit/adapters", "plugins": "mmtkit/plugins"}
"""Where each part of the ``mmtkit`` package lives in this repository (as in pyproject.toml)."""


@pytest.fixture(scope="session")
def package_files() -> dict[str, Path]:
    """Every file the distribution ships (modules, ``py.typed``, lexicons and data), by its path
    in the installed package (``mmtkit/textnorm.py``), with its source in this repository."""
    files: dict[str, Path] = {}
    for folder, target in _PACKAGE_FOLDERS.items():
        for path in (ROOT / folder).rglob("*"):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            relative = path.relative_to(ROOT / folder)
            if folder == "sdk" and relative.parts[0] in {"adapters", "plugins"}:
                continue
            if path.suffix in {".py", ".pyi", ".typed"} or path.parent.name in {"lexicons", "data"}:
                files[f"{target}/{relative.as_posix()}"] = path
    return files


class BlindMessages(list[str]):
    """Held-out messages: a failing assertion that shows this list shows only its size, so no
    test failure puts a held-out text on screen."""

    def __repr__(self) -> str:
        return f"<{len(self)} blind-set messages, not shown>"


@pytest.fixture(scope="session")
def blind_messages() -> list[str]:
    """The text of every message of the blind sets (read, never shown: a test that fails on
    one names its number, never its text, and the list's repr hides them): what the C
    extensions are compared with their Python forms on (sets of this repository, so the
    comparison needs nothing beside it)."""
    paths = sorted((ROOT / "tests/compliance/blind").glob("set_*.jsonl"))
    lines = [line for path in paths for line in path.read_text(encoding="utf-8").splitlines()]
    texts = BlindMessages(json.loads(line)["text"] for line in lines if line.strip())
    assert len(texts) > 8000
    return texts
