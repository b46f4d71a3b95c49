"""Helpers for the sandbox tests: an in-memory client for the ASGI app and a webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from attrs import define, field

from mmtkit.sandbox.inmemory import InMemorySandbox

MakeClient = Callable[..., InMemorySandbox]


@pytest.fixture
def make_client() -> MakeClient:
    """An in-memory client for an emulator built from plain config data."""

    def make(config: dict[str, Any] | None = None) -> InMemorySandbox:
        return InMemorySandbox(config or {})

    return make


@pytest.fixture
def client() -> InMemorySandbox:
    return InMemorySandbox()


@define
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@define
class Receiver:
    """A tiny webhook endpoint: records every POST and answers 200."""

    url: str
    requests: list[Received] = field(factory=list)
    arrived: threading.Condition = field(factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout=timeout)
            return list(self.requests)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            # Recorded before the answer: the sender posts its next webhook once answered, and
            # that one is served on another thread, which could otherwise record it first
            # (seen in CI on a loaded machine: a read receipt before the ad referral).
            rec = box[0]
            with rec.arrived:
                rec.requests.append(Received(self.path, dict(self.headers.items()), body))
                rec.arrived.notify_all()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}/webhooks"))
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield box[0]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """One shared client: creating an httpx.Client per request costs tens of milliseconds."""
    with httpx.Client(timeout=10) as client:
        yield client
