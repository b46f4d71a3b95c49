"""What the core tests share."""

from __future__ import annotations

import os

# A build asked to be pure (MMTKIT_PURE_PYTHON=1) has no C extensions to hold to their Python
# forms; tests/core/test_native.py checks that it has none. Every other build runs these.
collect_ignore = (["test_folding.py", "test_slots.py"]
                  if os.environ.get("MMTKIT_PURE_PYTHON") == "1" else [])
