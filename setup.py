"""Build step: compile the compliance hot path with mypyc, when this machine can.

Every outbound message runs through text normalisation, the lexicon analysis, the rule index,
the entity extractors and the category glue. Compiled to C by mypyc (the same typed source,
no second implementation), these modules make the default checks about 1.4 times as fast.

Five small extensions are written in C (``mmtkit.native.C_EXTENSIONS``: the lexicon search,
the lexicon rules' evaluation, the message model's feature sums, the text folding and the slot
filling of trusted objects),
with their Python forms beside them.
The pure-Python package is complete on its own: a machine without a C compiler, or a build with
``MMTKIT_PURE_PYTHON=1``, installs the same modules uncompiled, with the same answers.
``mmtkit.native.compiled_modules()`` tells which build is running.

``MMTKIT_MYPYC_OPT_LEVEL`` (default ``3``) is the C compiler's optimisation level for the mypyc
modules: ``0`` builds in about half the time, with the same modules and answers but slower
checks; the packaging tests build their wheel so, as they look only at its contents.

Everything else is declared in ``pyproject.toml``.
"""

from __future__ import annotations

import ast
import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

from setuptools import Extension, setup

ROOT = Path(__file__).resolve().parent


def _native_setting(name: str) -> Any:
    """A constant of ``sdk/native.py`` (read, not imported: the build environment does not
    have mmtkit's dependencies)."""
    tree = ast.parse((ROOT / "sdk" / "native.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if getattr(target, "id", None) == name and node.value is not None:
                return ast.literal_eval(node.value)
    raise RuntimeError(f"sdk/native.py defines no {name}")


def _compiled_paths() -> list[str]:
    """The modules listed in ``mmtkit.native.COMPILED``, as paths under the staging folder."""
    return [name.replace(".", "/") + ".py" for name in _native_setting("COMPILED")]


def _c_extensions() -> list[Any]:
    """The extensions written in C (``mmtkit.native.C_EXTENSIONS``); optional, as the mypyc
    ones: without a compiler, their modules' Python forms are used."""
    return [Extension(name, sources=[source], optional=True)
            for name, source in _native_setting("C_EXTENSIONS").items()]


# Where each part of the mmtkit package lives in this repository (as in pyproject.toml).
PACKAGE_DIRS = {"mmtkit": "sdk", "mmtkit/adapters": "adapters", "mmtkit/plugins": "plugins"}
STAGING = ROOT / "build" / "mypyc-src"


def _stage() -> None:
    """mypyc names a module after its path, so the sources are copied under the package
    names they install as (``sdk/textnorm.py`` is ``mmtkit/textnorm.py``), with the stubs of
    the C extensions (``sdk/_folding.pyi``), which give the compiled modules their types."""
    shutil.rmtree(STAGING, ignore_errors=True)
    for package, folder in PACKAGE_DIRS.items():
        source = ROOT / folder
        for path in [*source.rglob("*.py"), *source.rglob("*.pyi")]:
            relative = path.relative_to(source)
            if folder == "sdk" and relative.parts[0] in {"adapters", "plugins"}:
                continue
            target = STAGING / package / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def _extensions() -> list[Any]:
    if os.environ.get("MMTKIT_PURE_PYTHON") == "1":
        return []
    return _c_extensions() + _mypyc_extensions()


def _mypyc_extensions() -> list[Any]:
    try:
        from mypyc.build import mypycify
    except ImportError:
        warnings.warn("mypyc is not installed: building mmtkit as pure Python", stacklevel=1)
        return []
    opt_level = os.environ.get("MMTKIT_MYPYC_OPT_LEVEL", "3")
    if opt_level not in {"0", "1", "2", "3"}:
        raise SystemExit(f"MMTKIT_MYPYC_OPT_LEVEL must be 0, 1, 2 or 3, not {opt_level!r}")
    _stage()
    cwd = os.getcwd()
    os.chdir(STAGING)  # module names come from the paths, relative to here
    try:
        extensions = mypycify(
            # Only the compiled modules must type-check here; the rest of mmtkit and the
            # libraries it imports are read for their types when present.
            ["--follow-imports=silent", "--ignore-missing-imports", "--no-warn-unused-ignores",
             *_compiled_paths()],
            opt_level=opt_level,
            group_name="mmtkit",  # the shared library is the top-level module mmtkit__mypyc
            target_dir=str(STAGING / "c"),
        )
    except (Exception, SystemExit) as exc:  # noqa: BLE001 (mypyc exits on a type error)
        warnings.warn(f"mypyc failed ({exc!r}): building mmtkit as pure Python", stacklevel=1)
        return []
    finally:
        os.chdir(cwd)
    for extension in extensions:
        # The C files were written relative to the staging folder.
        extension.sources = [str(STAGING / s) if not os.path.isabs(s) else s
                             for s in extension.sources]
        extension.include_dirs = [str(STAGING / d) if not os.path.isabs(d) else d
                                  for d in extension.include_dirs]
        extension.optional = True  # no C compiler: the pure-Python modules are used
    return extensions


# Only the commands that build code compile (not the metadata steps of a PEP 517 build).
_BUILDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"}
setup(ext_modules=_extensions() if _BUILDS & set(sys.argv) else [])
