"""Running the sandbox: in-process start/stop, the ``sandbox`` command, the config file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.errors import ConfigError
from mmtkit.sandbox import (
    Sandbox,
    SandboxConfig,
    SandboxStartError,
    load_config,
    parse_config,
)
from mmtkit.sandbox.cli import command

EXAMPLE = """
gateway_url = "http://127.0.0.1:8000/webhooks"
seed = 42

[tiktok]
app_secret = "my-sandbox-secret"
access_tokens = { "biz-1" = "token-1" }
rate = "5/second"
window_error_code = 40064

[whatsapp]
phone_numbers = { "1065000000" = "15550001111" }
pair_rate = "1 per 6 seconds"

[faults."tiktok.send"]
sequence = ["processed_then_timeout", "ok"]
server_error = 0.05
late_answer_seconds = 30

[webhook_faults]
duplicate = 0.1
"""


def test_an_in_process_sandbox_starts_in_under_a_second_and_stops_cleanly(
    http: httpx.Client,
) -> None:
    started = time.perf_counter()
    sandbox = Sandbox().start()
    elapsed = time.perf_counter() - started
    try:
        assert elapsed < 1.0
        assert http.get(f"{sandbox.base_url}/_sandbox/health").json() == {"ok": True}
        assert sandbox.tiktok_base_url.endswith("/open_api/v1.3/")
        assert any(t.name == "mmtkit-sandbox" for t in threading.enumerate())
    finally:
        sandbox.stop()
    assert not any(t.name == "mmtkit-sandbox" for t in threading.enumerate())
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{sandbox.base_url}/_sandbox/health", timeout=1)


def test_a_taken_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SandboxStartError, match=str(port)):
            Sandbox(port=port).start()


def test_the_example_config_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.toml"
    path.write_text(EXAMPLE)
    config = load_config(path)
    assert config.tiktok.access_tokens == {"biz-1": "token-1"}
    assert config.faults["tiktok.send"].sequence == ("processed_then_timeout", "ok")
    assert config.webhook_url("tiktok") == "http://127.0.0.1:8000/webhooks"
    assert config.webhook_faults.duplicate == 0.1


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"tiktok": {"qps": 10}}, "qps"),
        ({"tiktok": {"rate": "fast"}}, "rate"),
        ({"whatsapp": {"window_hours": "24"}}, "whatsapp.window_hours"),
        ({"faults": {"tiktok.sned": {}}}, "tiktok.sned"),
        ({"faults": {"tiktok.send": {"drop": 1.5}}}, "drop"),
        ({"faults": {"tiktok.send": {"sequence": ["explode"]}}}, "explode"),
        ({"seed": True}, "seed"),
    ],
)
def test_config_errors_name_the_key(data: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        parse_config(data)


def test_a_broken_toml_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[tiktok\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
keys = st.sampled_from(["tiktok", "whatsapp", "faults", "seed", "gateway_url", "x", "messenger"])


@settings(max_examples=100, deadline=None)
@given(data=st.dictionaries(keys, values, max_size=4))
def test_any_config_data_gives_a_config_or_a_config_error(data: dict[str, Any]) -> None:
    try:
        config = parse_config(data)
    except ConfigError:
        return
    assert isinstance(config, SandboxConfig)


def test_the_command_refuses_a_bad_config_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.toml"
    path.write_text('[messenger]\nrate = "lots"\n')
    result = CliRunner().invoke(command, ["--config", str(path)])
    assert result.exit_code == 2
    assert "rate" in result.output
    assert "--config" in result.output


def test_the_command_serves_in_the_foreground(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = tmp_path / "sandbox.toml"
    path.write_text(
        '[tiktok]\napp_secret = "my-sandbox-secret"\naccess_tokens = { "biz-1" = "token-1" }\n'
    )
    code = "from mmtkit.sandbox.cli import command; command()"
    started = time.perf_counter()
    process = subprocess.Popen(  # the command as a user runs it, in its own process
        [sys.executable, "-c", code, "--port", str(port), "--config", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = started + 10
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=0.5)
                break
            except httpx.TransportError:
                assert time.perf_counter() < deadline, "the sandbox command did not start"
                time.sleep(0.02)
        assert health.json() == {"ok": True}
        answer = httpx.post(
            f"http://127.0.0.1:{port}/open_api/v1.3/business/message/send/",
            headers={"Access-Token": "token-1"},
            json={},
        )
        assert answer.json()["code"] == 40002, "the config's token is accepted"
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/open_api/v1.3/" in out.decode()
    assert "my-sandbox-secret" not in out.decode()
