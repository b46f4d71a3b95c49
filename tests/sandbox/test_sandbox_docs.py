"""docs/sandbox.md's Python examples run as written (all blocks of the page in one script)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from mmtkit.sandbox import load_config

PAGE = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_the_sandbox_page_examples_run() -> None:
    blocks = BLOCK.findall(PAGE.read_text())
    assert len(blocks) >= 4
    exec(compile("\n".join(blocks), str(PAGE), "exec"), {"__name__": "sandbox_docs"})


def test_the_sandbox_page_config_example_is_valid(tmp_path: Path) -> None:
    [toml] = re.findall(r"^```toml\n(.*?)^```", PAGE.read_text(), re.S | re.M)
    path = tmp_path / "sandbox.toml"
    path.write_text(toml)
    config = load_config(path)
    assert config.faults["tiktok.send"].throttle == 0.05


def test_the_testing_page_examples_pass_as_a_user_s_test_suite(tmp_path: Path) -> None:
    page = PAGE.with_name("testing.md").read_text()
    (tmp_path / "test_from_docs.py").write_text("\n\n".join(BLOCK.findall(page)))
    # One run, recording (the committed-cassette replay path is covered by test_sandbox_cassettes);
    # plugins this suite does not use are left out to keep the run short.
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "no:hypothesispytest", "-p", "no:anyio", str(tmp_path)]
    env = os.environ | {"MMTKIT_RECORD_CASSETTES": "1"}
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "tests" / "cassettes" / "my_send.yaml").exists()
