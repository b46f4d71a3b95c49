"""The compiled build: in use, up to date with its sources, and giving the pure build's answers.

``make install`` compiles the compliance hot path with mypyc (``setup.py``). If that build
fell back to pure Python (no compiler, a mypyc error), the checks are slower but still right;
CI must notice, so these tests fail instead of skipping. A deliberately pure build sets
``MMTKIT_PURE_PYTHON=1``, and then the tests expect it.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mmtkit.native import C_EXTENSIONS, COMPILED, compiled_modules

ROOT = Path(__file__).resolve().parents[2]
PURE_WANTED = os.environ.get("MMTKIT_PURE_PYTHON") == "1"
HOW_TO_SEE = ("run `.venv/bin/python setup.py build_ext` to see why mypyc did not build, "
              "then `make install`")


def test_the_build_is_the_one_asked_for() -> None:
    found = compiled_modules()
    assert set(found) == set(COMPILED) | set(C_EXTENSIONS)
    if PURE_WANTED:
        assert not any(found.values()), f"MMTKIT_PURE_PYTHON=1 but compiled: {found}"
    else:
        missing = [name for name, compiled in found.items() if not compiled]
        assert not missing, f"not compiled: {missing}; {HOW_TO_SEE}"


@pytest.mark.parametrize("module", COMPILED)
def test_compiled_module_is_not_older_than_its_source(module: str,
                                                      package_files: dict[str, Path]) -> None:
    """A compiled module shadows its source: an edit after the build would go unseen.

    The compiled code of every module is in mypyc's shared library (``mmtkit__mypyc``); a
    module's own extension only starts it. (A module that another compiled module imports
    first is created by the library, with a ``__file__`` derived from the library's place,
    not always a file: the library is what to compare.)"""
    loaded = Path(importlib.import_module(module).__file__ or "")
    source = package_files[module.replace(".", "/") + ".py"]
    if loaded.suffix == ".py":
        assert PURE_WANTED, f"{module} is not compiled; {HOW_TO_SEE}"
        return
    library = Path(importlib.import_module("mmtkit__mypyc").__file__ or "")
    assert library.stat().st_mtime >= source.stat().st_mtime, (
        f"{source.relative_to(ROOT)} changed after it was compiled; run `make install`"
    )


@pytest.mark.parametrize(("module", "source"), C_EXTENSIONS.items())
def test_c_extension_is_not_older_than_its_source(module: str, source: str) -> None:
    if PURE_WANTED:
        return  # asserted above: nothing is built
    loaded = Path(importlib.import_module(module).__file__ or "")
    assert loaded.stat().st_mtime >= (ROOT / source).stat().st_mtime, (
        f"{source} changed after it was compiled; run `make install`"
    )


_DECISIONS = """
import json, sys
from pathlib import Path
from mmtkit.messages import Channel, Text
from mmtkit.native import compiled_modules
from mmtkit.plugin_manager import PluginManager
from mmtkit.plugins.compliance.evaluation import read_corpus
from mmtkit.policy import AdCreative, PolicyContext, PolicyEngine
engine = PolicyEngine(PluginManager.with_entry_points(env={}).hooks)
ad = AdCreative(brand="Lunaloft", offer="buy 1 get 1 free", price=19.9, currency="MYR", free=True)
rows = []
for path in sys.argv[1:]:
    for line in read_corpus(Path(path)):
        for context in (line.context, PolicyContext(channel=line.context.channel, ad_creative=ad),
                        PolicyContext(channel=Channel.WHATSAPP)):
            decision = engine.check_outbound(Text(line.text), context)
            rows.append([line.id, decision.action.value, [
                [v.rule_id, v.severity.value, v.explanation, [[s.start, s.end] for s in v.spans]]
                for v in decision.violations]])
print(json.dumps({"compiled": compiled_modules(), "rows": rows}))
"""


def _pure_tree(target: Path, package_files: dict[str, Path]) -> Path:
    """The package as plain source files, laid out as installed, data files included (not
    the compiled copies a build leaves beside the sources)."""
    for installed, source in package_files.items():
        destination = target / installed
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
    return target


def _decisions(corpora: list[Path], pythonpath: Path | None) -> dict[str, object]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)  # before the installed package on sys.path
    result = subprocess.run([sys.executable, "-c", _DECISIONS, *map(str, corpora)],
                            capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_compiled_and_pure_builds_decide_alike(tmp_path: Path,
                                               package_files: dict[str, Path]) -> None:
    corpora = sorted((ROOT / "tests/compliance/blind").glob("set_*.jsonl"))[:6]
    assert corpora, "no blind sets found"
    installed = _decisions(corpora, None)
    pure = _decisions(corpora, _pure_tree(tmp_path, package_files))
    assert not any(pure["compiled"].values())  # type: ignore[attr-defined]
    assert installed["compiled"] == compiled_modules()
    assert len(installed["rows"]) > 1000  # type: ignore[arg-type]
    assert installed["rows"] == pure["rows"]
