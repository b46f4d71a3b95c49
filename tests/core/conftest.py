"""A build asked to be pure (MMTKIT_PURE_PYTHON=1) has no C folder to hold to textnorm's
Python forms; tests/core/test_native.py checks that it has none. Every other build runs it."""

from __future__ import annotations

import os

collect_ignore = ["test_folding.py"] if os.environ.get("MMTKIT_PURE_PYTHON") == "1" else []
