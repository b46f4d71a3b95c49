"""Kill -9 the gateway in the middle of a burst of webhooks, restart it: every webhook that
was acknowledged 200 is processed exactly once, and duplicate deliveries add nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

from mmtkit.messages import Channel
from mmtkit.sandbox import Sandbox
from mmtkit.store.sqlite import SqliteStore

BURST = 240
CONVERSATIONS = 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_gateway(config: Path, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mmtkit.cli", "serve", "--config", str(config), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the gateway did not start")


def drained(port: int) -> bool:
    state = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
    return not state["inbox"].get("pending") and not state["inbox"].get("processing")


def test_kill_9_mid_burst(tmp_path: Path) -> None:
    database = tmp_path / "gateway.sqlite3"
    port = free_port()
    with Sandbox({"webhook_faults": {"duplicate": 0.3}}) as sandbox:
        config = tmp_path / "mmtkit.toml"
        config.write_text(
            f'[store]\npath = "{database}"\n\n'
            # A row the killed gateway had claimed is taken over once its lease runs out.
            "[gateway]\nlease_seconds = 2\n\n"
            "[channels.tiktok]\n"
            f'base_url = "{sandbox.tiktok_base_url}"\n'
            'account_id = "sandbox-business"\n'
            'app_secret_env = "TIKTOK_APP_SECRET"\n'
            'access_token_env = "TIKTOK_ACCESS_TOKEN"\n'
        )
        env = {
            **os.environ,
            "TIKTOK_APP_SECRET": sandbox.config.tiktok.app_secret,
            "TIKTOK_ACCESS_TOKEN": "tt-sandbox-token",
        }
        sandbox.set_gateway(f"http://127.0.0.1:{port}/webhooks/tiktok")
        gateway = start_gateway(config, port, env)
        acknowledged: list[str] = []
        sent: list[str] = []
        for i in range(BURST):
            if i == BURST // 3:
                gateway.send_signal(signal.SIGKILL)
                gateway.wait()
            if i == 2 * BURST // 3:
                gateway = start_gateway(config, port, env)
            action = sandbox.customers.tiktok_message(
                f"burst {i}",
                conversation_id=f"conv-{i % CONVERSATIONS}",
                user_id=f"user-{i % CONVERSATIONS}",
            )
            sent.append(action.message_id)
            if any(a.status == 200 for a in action.attempts):
                acknowledged.append(action.message_id)
        # Generous: on a loaded machine the restarted worker needs a while to catch up.
        deadline = time.monotonic() + 120
        while not drained(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert drained(port), "the restarted gateway did not process its backlog"
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(timeout=10)
    assert 0 < len(acknowledged) < len(sent), "some webhooks must have failed while it was down"
    with SqliteStore(database) as store:
        logged = Counter(
            m.platform_message_id
            for n in range(CONVERSATIONS)
            for m in store.messages.list(Channel.TIKTOK, f"conv-{n}")
        )
    missing = [m for m in acknowledged if logged[m] != 1]
    assert missing == [], f"acknowledged but not processed exactly once: {missing[:5]}"
    assert max(logged.values()) == 1
