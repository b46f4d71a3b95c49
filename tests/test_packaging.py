"""The distribution ships every module of the three code folders, and only under ``mmtkit``."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mmtkit.native import C_EXTENSIONS, COMPILED

ROOT = Path(__file__).resolve().parents[1]
@pytest.fixture(scope="module")
def wheel(built_wheel: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(built_wheel)


def test_wheel_contains_every_module(wheel: zipfile.ZipFile,
                                     package_files: dict[str, Path]) -> None:
    names = set(wheel.namelist())
    missing = set(package_files) - names
    assert not missing, (
        f"not in the wheel (add the sub-package to [tool.setuptools] packages): {sorted(missing)}"
    )
    assert "mmtkit/py.typed" in names


def test_wheel_holds_the_compiled_modules(wheel: zipfile.ZipFile) -> None:
    """Beside their sources (the fallback), the compiled hot path and mypyc's shared
    library; a deliberately pure build (MMTKIT_PURE_PYTHON=1) holds only the sources."""
    names = wheel.namelist()
    compiled = {n for n in names if n.endswith(".so") or n.endswith(".pyd")}
    if os.environ.get("MMTKIT_PURE_PYTHON") == "1":
        assert not compiled
        return
    for module in COMPILED:
        path = module.replace(".", "/")
        assert any(n.startswith(path + ".") for n in compiled), f"{module} not compiled"
        assert f"{path}.py" in names
    for module in C_EXTENSIONS:
        path = module.replace(".", "/")
        assert any(n.startswith(path + ".") for n in compiled), f"{module} not built"
        assert f"{path}.pyi" in names  # its types, for the modules that use it
    assert any(n.startswith("mmtkit__mypyc.") for n in compiled)


def test_wheel_has_no_top_level_sdk_adapters_or_plugins(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    assert not tops & {"sdk", "adapters", "plugins"}


def test_wheel_declares_the_cli_and_builtin_entry_points(wheel: zipfile.ZipFile) -> None:
    (entry_points,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "mmtkit = mmtkit.cli:main" in text
    assert "[mmtkit]" in text


@pytest.mark.parametrize("name", ["sdk", "adapters", "plugins"])
def test_source_folder_names_are_not_importable(name: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {name}"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr


def test_installed_package_is_typed() -> None:
    import mmtkit

    assert (Path(mmtkit.__file__).parent / "py.typed").exists()
