"""Which modules of this installation run compiled.

Every outbound message goes through text normalisation, the lexicon analysis, the rule
index, the entity extractors and the glue of the compliance categories. When mmtkit is built
(``setup.py``), mypyc compiles these modules to C from the same typed source: the default
checks then run about 1.4 times as fast, with the same answers. Five small extensions are
written in C itself (:data:`C_EXTENSIONS`): the lexicon's Aho-Corasick search (with the
filtering of its hits) and the message model's feature sums, laid out for the CPU caches; the
evaluation of the lexicon rules over the hits, on arrays instead of dicts of lists; the
text folding of :func:`mmtkit.textnorm.normalize`, which reads each character's folded form
from a cache of its own; and the slot filling of :func:`mmtkit.trusted.assemble`.
pyahocorasick, the Python loops, sums and rule evaluation, ``str.translate`` and
``object.__setattr__`` stay beside them and give the same answers. A machine without a C
compiler, or a build with ``MMTKIT_PURE_PYTHON=1``, installs the Python forms only.
"""

from __future__ import annotations

import importlib
from importlib.machinery import EXTENSION_SUFFIXES
from types import ModuleType
from typing import Any

__all__ = ["COMPILED", "C_EXTENSIONS", "c_extension", "c_function", "compiled_modules"]

COMPILED = (
    "mmtkit.dispatch",
    "mmtkit.textnorm",
    "mmtkit.trusted",
    "mmtkit.plugins.compliance.analysis",
    "mmtkit.plugins.compliance.check",
    "mmtkit.plugins.compliance.creative_rules",
    "mmtkit.plugins.compliance.entities",
    "mmtkit.plugins.compliance.history_rules",
    "mmtkit.plugins.compliance.link_rules",
    "mmtkit.plugins.compliance.model",
    "mmtkit.plugins.compliance.rules",
)
"""The modules ``setup.py`` compiles (it reads this tuple). A compiled module must not carry
what mypyc cannot compile: pluggy hook implementations (their markers are attributes of a
Python function), attrs ``@x.default`` methods, or descriptors that write ``__dict__``."""


C_EXTENSIONS = {"mmtkit._folding": "sdk/_folding.c",
                "mmtkit._slots": "sdk/_slots.c",
                "mmtkit.plugins.compliance._matching": "plugins/compliance/_matching.c",
                "mmtkit.plugins.compliance._rules": "plugins/compliance/_rules.c",
                "mmtkit.plugins.compliance._scoring": "plugins/compliance/_scoring.c"}
"""The extensions written in C, with their source in the repository (``setup.py`` reads
this dict). Each is optional: its module falls back to Python when it is not built."""


def c_extension(name: str) -> ModuleType | None:
    """The C extension ``name`` (one of :data:`C_EXTENSIONS`), or None in a build without it:
    its users then take their Python form."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def c_function(module: str, name: str) -> Any:
    """The function ``name`` of the C extension ``module``, or None in a build without it:
    its callers then take the Python form."""
    extension = c_extension(module)
    return None if extension is None else getattr(extension, name)


def compiled_modules() -> dict[str, bool]:
    """Each module of :data:`COMPILED` and whether it was loaded from a compiled extension,
    then each of :data:`C_EXTENSIONS` and whether it was built."""
    found: dict[str, bool] = {}
    for name in COMPILED:
        path = getattr(importlib.import_module(name), "__file__", None) or ""
        found[name] = path.endswith(tuple(EXTENSION_SUFFIXES))
    for name in C_EXTENSIONS:
        found[name] = c_extension(name) is not None
    return found
