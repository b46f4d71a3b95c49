"""docs/sandbox.md's Python examples run as written (all blocks of the page in one script)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from mmtkit.sandbox import load_config

PAGE = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_the_sandbox_page_examples_run(tmp_path: Path) -> None:
    blocks = BLOCK.findall(PAGE.read_text())
    assert len(blocks) >= 4
    script = tmp_path / "example.py"
    script.write_text("\n".join(blocks))
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_the_sandbox_page_config_example_is_valid(tmp_path: Path) -> None:
    [toml] = re.findall(r"^```toml\n(.*?)^```", PAGE.read_text(), re.S | re.M)
    path = tmp_path / "sandbox.toml"
    path.write_text(toml)
    config = load_config(path)
    assert config.faults["tiktok.send"].throttle == 0.05
