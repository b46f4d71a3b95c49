"""pytest plugin for mmtkit users: a running sandbox and scrubbed cassettes.

Installed with mmtkit (entry point ``pytest11``), so these fixtures are available in any test
suite without a ``conftest.py``:

* ``mmtkit_sandbox`` -- a :class:`~mmtkit.sandbox.Sandbox` running on a free loopback port for
  the test, configured by the ``mmtkit_sandbox_config`` fixture (override it to change limits,
  faults or credentials).
* ``mmtkit_vcr_config`` -- keyword arguments for ``vcr.VCR`` that scrub secrets
  (``Access-Token``, ``Authorization``, signatures, ``access_token``, ``appsecret_proof``,
  app secrets), phone numbers and user ids from cassettes, match requests without host and
  port (the sandbox's port changes per run) and replay only (``record_mode="none"``) unless
  ``MMTKIT_RECORD_CASSETTES=1`` is set (``make cassettes``).
* ``mmtkit_vcr`` -- a ``vcr.VCR`` built from that configuration, storing cassettes in the
  ``mmtkit_cassette_dir`` ini option (default ``tests/cassettes``).

* ``mmtkit_client`` -- a :class:`~mmtkit.client.MessagingClient` for TikTok, WhatsApp and
  Messenger pointed at ``mmtkit_sandbox`` with the credentials it accepts (outbox in memory,
  the installed compliance plugins active); closed after the test.

Nothing heavy is imported at plugin load: the sandbox (Starlette, uvicorn) and vcrpy load only
when a test asks for their fixture, and vcrpy is optional (a clear failure if it is missing).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mmtkit.testing.scrub import (
    SECRET_HEADERS,
    SECRET_QUERY_PARAMETERS,
    scrub_body,
)

if TYPE_CHECKING:
    from mmtkit.client import MessagingClient
    from mmtkit.sandbox import Sandbox, SandboxConfig

__all__ = [
    "RECORD_ENV",
    "make_vcr",
    "mmtkit_client",
    "mmtkit_sandbox",
    "mmtkit_sandbox_config",
    "mmtkit_vcr",
    "mmtkit_vcr_config",
    "scrub_request",
    "scrub_response",
]

RECORD_ENV = "MMTKIT_RECORD_CASSETTES"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "mmtkit_cassette_dir",
        "Directory (relative to the rootdir) where mmtkit_vcr keeps cassettes.",
        default="tests/cassettes",
    )


@pytest.fixture
def mmtkit_sandbox_config() -> SandboxConfig | dict[str, Any] | None:
    """Override to configure the sandbox; None means the defaults."""
    return None


@pytest.fixture
def mmtkit_sandbox(
    mmtkit_sandbox_config: SandboxConfig | dict[str, Any] | None,
) -> Iterator[Sandbox]:
    """A sandbox running for this test, stopped after it."""
    from mmtkit.sandbox import Sandbox

    with Sandbox(mmtkit_sandbox_config) as sandbox:
        yield sandbox


@pytest.fixture
def mmtkit_client(mmtkit_sandbox: Sandbox) -> Iterator[MessagingClient]:
    """A blocking client wired to this test's sandbox, closed after the test."""
    from mmtkit.client import MessagingClient
    from mmtkit.testing.sandbox_client import channel_setups

    with MessagingClient(channel_setups(mmtkit_sandbox)) as client:
        yield client


def scrub_request(request: Any) -> Any:
    """vcrpy ``before_record_request``: scrub the body (headers and query are filtered by vcr)."""
    request.body = scrub_body(request.body)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """vcrpy ``before_record_response``: scrub the body and secret headers."""
    body = response.get("body") or {}
    if "string" in body:
        body["string"] = scrub_body(body["string"])
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in {h.lower() for h in SECRET_HEADERS}:
            headers[name] = ["<scrubbed>"]
    return response


@pytest.fixture
def mmtkit_vcr_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Keyword arguments for ``vcr.VCR``; also suits pytest-recording's ``vcr_config``."""
    directory = Path(str(request.config.rootpath)) / str(
        request.config.getini("mmtkit_cassette_dir")
    )
    recording = os.environ.get(RECORD_ENV, "") not in ("", "0")
    return {
        "cassette_library_dir": str(directory),
        "record_mode": "all" if recording else "none",
        "match_on": ("method", "scheme", "path", "query"),
        "filter_headers": [(name, "<scrubbed>") for name in SECRET_HEADERS],
        "filter_query_parameters": [(name, "<scrubbed>") for name in SECRET_QUERY_PARAMETERS],
        "filter_post_data_parameters": [(name, "<scrubbed>") for name in SECRET_QUERY_PARAMETERS],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
    }


def make_vcr(config: dict[str, Any]) -> Any:
    """A ``vcr.VCR`` from ``config``; fails the test with a clear message without vcrpy."""
    try:
        vcr = importlib.import_module("vcr")  # optional, and untyped
    except ImportError:
        pytest.fail(
            "the mmtkit_vcr fixture needs vcrpy: pip install 'vcrpy>=6' (mmtkit does not "
            "install it, since only test suites need it)",
            pytrace=False,
        )
    return vcr.VCR(**config)


@pytest.fixture
def mmtkit_vcr(mmtkit_vcr_config: dict[str, Any]) -> Any:
    """A ``vcr.VCR`` with the scrubbing configuration (needs vcrpy installed)."""
    return make_vcr(mmtkit_vcr_config)
