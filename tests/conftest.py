"""Shared fixtures: fake installed distributions for plugin-discovery tests, and the files the
distribution ships."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

MakeDistribution = Callable[..., Path]


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
    root = Path(__file__).resolve().parents[1]
    files: dict[str, Path] = {}
    for folder, target in _PACKAGE_FOLDERS.items():
        for path in (root / folder).rglob("*"):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            relative = path.relative_to(root / folder)
            if folder == "sdk" and relative.parts[0] in {"adapters", "plugins"}:
                continue
            if path.suffix in {".py", ".typed"} or path.parent.name in {"lexicons", "data"}:
                files[f"{target}/{relative.as_posix()}"] = path
    return files
