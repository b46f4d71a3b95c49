"""How much ``import mmtkit`` costs against ``import httpx``, measured in the same run.

Each figure is the median over fresh interpreters of the cumulative import time that
``python -X importtime`` reports for the top-level module, so interpreter start-up is left
out and the machine's noise hits both sides alike. The target (issue 2) is a ratio <= 1.5.

    .venv/bin/python bench/import_time.py [--runs 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys


def import_cost_us(statement: str) -> int:
    """Microseconds of imports in a fresh interpreter: the cumulative time of every top-level
    import, so a module already loaded at start-up costs nothing here."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    total = 0
    for line in result.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        if not name.startswith("  ") and cumulative.strip().isdigit():
            total += int(cumulative)
    return total


def median_cost(statement: str, runs: int) -> float:
    """Median over ``runs`` fresh interpreters, less the imports of an empty program."""
    base = statistics.median(import_cost_us("pass") for _ in range(runs))
    return statistics.median(import_cost_us(statement) for _ in range(runs)) - base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    httpx = median_cost("import httpx", args.runs)
    mmtkit = median_cost("import mmtkit", args.runs)
    # What an application using the typed core pays (no adapters or plugins), for context.
    core = median_cost("import mmtkit.conversation, mmtkit.policy, mmtkit.wire", args.runs)
    print(f"runs per figure: {args.runs} fresh interpreters (median)")
    print(f"import httpx                  {httpx / 1000:7.2f} ms")
    print(
        f"import mmtkit                 {mmtkit / 1000:7.2f} ms  "
        f"ratio {mmtkit / httpx:.2f}x httpx (target <= 1.5x)"
    )
    print(
        f"import the typed core modules {core / 1000:7.2f} ms  "
        f"ratio {core / httpx:.2f}x httpx (informative)"
    )
    if mmtkit / httpx > 1.5:
        sys.exit("import mmtkit is more than 1.5x import httpx")


if __name__ == "__main__":
    main()
