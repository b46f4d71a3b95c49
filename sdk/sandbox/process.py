"""The sandbox in a process of its own, steered over its HTTP control API.

The in-process :class:`~mmtkit.sandbox.Sandbox` shares the interpreter lock with the code
under test; that is fine for correctness tests but halves what a load test or benchmark can
measure. :class:`SandboxProcess` starts the same emulator with ``python -m
mmtkit.sandbox.process`` on a free loopback port and offers the same steering (base URLs,
simulated customers, faults, ledger) through ``/_sandbox/...``.

    with SandboxProcess({"tiktok": {"rate": "200/second"}}) as sb:
        opened = sb.customer("tiktok_message", text="hi")
        ...
        entries = sb.ledger(platform="tiktok", direction="outbound")
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any, Self

import httpx

from mmtkit.sandbox.server import Sandbox, SandboxAddresses, SandboxStartError
from mmtkit.serving import Running

__all__ = ["SandboxProcess"]


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class SandboxProcess(SandboxAddresses, Running):
    """A sandbox in a child process. ``config`` is the same plain data :class:`Sandbox`
    takes. Stopping it kills the child; nothing survives it."""

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        host: str = "127.0.0.1",
        start_timeout: float = 15.0,
    ) -> None:
        self._config = dict(config or {})
        self._host = host
        self._start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._port = 0
        self._http = httpx.Client(timeout=30.0)

    def start(self) -> Self:
        if self._process is not None:
            return self
        self._port = _free_port(self._host)
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mmtkit.sandbox.process",
                self._host,
                str(self._port),
                json.dumps(self._config),
            ],
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + self._start_timeout
        while True:
            if self._process.poll() is not None:
                raise SandboxStartError(
                    f"the sandbox process exited with {self._process.returncode}; see its output"
                )
            try:
                if self._http.get(f"{self.base_url}/_sandbox/health").status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SandboxStartError(
                    f"the sandbox process did not answer within {self._start_timeout} s"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.send_signal(signal.SIGTERM)
                try:
                    self._process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            self._process = None
        self._http.close()

    # -- where to point clients ----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self._port}"

    # -- steering ------------------------------------------------------------------------------

    def customer(self, action: str, **arguments: Any) -> dict[str, Any]:
        """Play a simulated customer (``tiktok_message``, ``whatsapp_message``, ...)."""
        response = self._http.post(f"{self.base_url}/_sandbox/customers/{action}", json=arguments)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def set_faults(self, route: str, **faults: Any) -> None:
        self._http.put(f"{self.base_url}/_sandbox/faults/{route}", json=faults).raise_for_status()

    def ledger(self, **filters: str) -> list[dict[str, Any]]:
        response = self._http.get(f"{self.base_url}/_sandbox/ledger", params=filters)
        response.raise_for_status()
        entries: list[dict[str, Any]] = response.json()["entries"]
        return entries


def _serve(host: str, port: int, config: dict[str, Any]) -> None:
    sandbox = Sandbox(config, host=host, port=port).start()
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping:
            time.sleep(0.1)
    finally:
        sandbox.stop()


if __name__ == "__main__":  # pragma: no cover - exercised through SandboxProcess
    _serve(sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]))
    os._exit(0)
