"""Token refresh: the TikTok requests and answers, the credential stores, and the
refresh protocol that never loses a rotated refresh token."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from mmtkit.adapter import HttpRequest, HttpResponse, Rejected, RejectionKind, Sent, TokenSet
from mmtkit.adapters.tiktok import TikTokAdapter
from mmtkit.credentials import (
    CredentialsProvider,
    JsonFileCredentials,
    StaticCredentials,
    TokenRefresher,
    needs_refresh,
    refresh,
    refresh_async,
    refresh_plan,
)
from mmtkit.errors import (
    ConfigError,
    CredentialsError,
    ReauthorizationRequired,
    TokenRefreshFailed,
    UnexpectedResponse,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "tiktok"


def adapter(**settings: Any) -> TikTokAdapter:
    return TikTokAdapter(
        **{"client_id": "aw1b2c3d4e5f", "client_secret": "client-secret-example", **settings}
    )


def answer(code: int, data: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    body = {"code": code, "message": "m", "request_id": "r", "data": data or {}}
    return HttpResponse(status=status, body=json.dumps(body).encode())


def rotated(n: int) -> HttpResponse:
    return answer(0, {"access_token": f"act.{n}", "refresh_token": f"rft.{n}", "expires_in": 86400})


# --- the adapter's half ----------------------------------------------------------------------


def test_refresh_request_matches_golden() -> None:
    request = adapter().plan_token_refresh("rft.old")
    golden = json.loads((FIXTURES / "requests" / "token_refresh.json").read_text())
    assert {
        "method": request.method,
        "url": request.url,
        "headers": dict(request.headers),
        "purpose": request.purpose,
        "json": request.json,
    } == golden


def test_refresh_needs_client_credentials() -> None:
    with pytest.raises(ConfigError, match="client_id and client_secret"):
        TikTokAdapter().plan_token_refresh("rft.old")


def test_refresh_answer_becomes_a_token_set() -> None:
    fixture = json.loads((FIXTURES / "responses" / "token_refresh_ok.json").read_text())
    response = HttpResponse(status=200, body=json.dumps(fixture["body"]).encode())
    tokens = adapter().parse_token_response(response)
    assert tokens == TokenSet(access_token="act.new", refresh_token="rft.new", expires_in=86400)
    assert "act.new" not in repr(tokens)


@pytest.mark.parametrize(
    ("response", "error", "retryable"),
    [
        (answer(40103), ReauthorizationRequired, None),
        (answer(40107), ReauthorizationRequired, None),
        (answer(40100), TokenRefreshFailed, True),
        (answer(51065), TokenRefreshFailed, True),
        (answer(40002), TokenRefreshFailed, False),
        (HttpResponse(status=503, body=b"busy"), TokenRefreshFailed, True),
        (HttpResponse(status=200, body=b"{trunc"), TokenRefreshFailed, False),
        (answer(0, {"refresh_token": "rft.x"}), UnexpectedResponse, None),
    ],
)
def test_refresh_failures_say_whether_retrying_can_help(
    response: HttpResponse, error: type[Exception], retryable: bool | None
) -> None:
    with pytest.raises(error) as caught:
        adapter().parse_token_response(response)
    if retryable is not None:
        assert isinstance(caught.value, TokenRefreshFailed)
        assert caught.value.retryable is retryable


def test_only_an_expired_token_outcome_asks_for_a_refresh() -> None:
    classify = TikTokAdapter().classify
    assert needs_refresh(classify(answer(40102)))
    assert needs_refresh(classify(answer(40105)))
    assert not needs_refresh(classify(answer(40103)))  # refresh token itself is dead
    assert not needs_refresh(Rejected(code="x", reason="", kind=RejectionKind.BLOCKED))
    assert not needs_refresh(Sent(message_id="m"))


# --- providers ---------------------------------------------------------------------------------


def test_static_credentials_keep_the_rotated_pair_in_memory() -> None:
    provider = StaticCredentials("act.0", "rft.0")
    provider.save(TokenSet(access_token="act.1", refresh_token="rft.1"))
    assert provider.current().refresh_token == "rft.1"
    assert "act" not in repr(provider)
    assert isinstance(provider, CredentialsProvider)
    assert isinstance(adapter(), TokenRefresher)


def test_file_store_round_trips_privately_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = JsonFileCredentials(tmp_path / "tokens" / "biz.json")
    tokens = TokenSet(access_token="act.1", refresh_token="rft.1", expires_in=86400)
    store.save(tokens)
    assert store.current() == tokens
    assert JsonFileCredentials(store.path).current() == tokens  # survives a restart
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert [p.name for p in store.path.parent.iterdir()] == ["biz.json"]
    assert "act.1" not in repr(store)


def test_file_store_sees_a_pair_written_by_another_process(tmp_path: Path) -> None:
    ours = JsonFileCredentials(tmp_path / "biz.json")
    ours.save(TokenSet(access_token="act.1", refresh_token="rft.1"))
    assert ours.current().access_token == "act.1"
    JsonFileCredentials(tmp_path / "biz.json").save(TokenSet(access_token="act.2"))
    assert ours.current().access_token == "act.2"


def test_a_crash_while_saving_keeps_the_previous_pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JsonFileCredentials(tmp_path / "biz.json")
    store.save(TokenSet(access_token="act.1", refresh_token="rft.1"))

    def crash(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.save(TokenSet(access_token="act.2", refresh_token="rft.2"))
    monkeypatch.undo()
    assert store.current().refresh_token == "rft.1"
    assert [p.name for p in tmp_path.iterdir()] == ["biz.json"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no token file"),
        ("{not json", "not JSON"),
        ("[]", "JSON object"),
        ('{"refresh_token": "r"}', "no access_token"),
        ('{"access_token": "a", "refresh_token": 5}', "refresh_token must be a string"),
        ('{"access_token": "a", "expires_in": "soon"}', "expires_in must be a number"),
    ],
)
def test_unreadable_token_files_raise_credentials_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "biz.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CredentialsError, match=message):
        JsonFileCredentials(path).current()


# --- the refresh protocol ----------------------------------------------------------------------


class Platform:
    """A fake token endpoint that rotates like TikTok: each refresh token works once."""

    def __init__(self) -> None:
        self.valid = "rft.0"
        self.issued = 0
        self.calls = 0

    def perform(self, request: HttpRequest) -> HttpResponse:
        self.calls += 1
        assert request.purpose == "token"
        if request.json["refresh_token"] != self.valid:
            return answer(40107)
        self.issued += 1
        self.valid = f"rft.{self.issued}"
        return rotated(self.issued)


def test_refresh_persists_the_rotated_pair_before_returning_it(tmp_path: Path) -> None:
    store = JsonFileCredentials(tmp_path / "biz.json")
    store.save(TokenSet(access_token="act.0", refresh_token="rft.0"))
    platform = Platform()
    plan = refresh_plan(store, adapter(), failed_token="act.0")
    request = next(plan)
    assert store.current().refresh_token == "rft.0"  # nothing written before the answer
    with pytest.raises(StopIteration) as done:
        plan.send(platform.perform(request))
    assert done.value.value.access_token == "act.1"
    assert JsonFileCredentials(store.path).current().refresh_token == "rft.1"


def test_a_second_caller_with_the_same_expired_token_reuses_the_refresh() -> None:
    provider = StaticCredentials("act.0", "rft.0")
    platform = Platform()
    first = refresh(provider, adapter(), platform.perform, failed_token="act.0")
    second = refresh(provider, adapter(), platform.perform, failed_token="act.0")
    assert first == second
    assert platform.calls == 1


def test_concurrent_threads_refresh_once() -> None:
    provider = StaticCredentials("act.0", "rft.0")
    platform = Platform()
    results: list[TokenSet] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        results.append(refresh(provider, adapter(), platform.perform, failed_token="act.0"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert platform.calls == 1
    assert {r.access_token for r in results} == {"act.1"}


def test_concurrent_tasks_refresh_once() -> None:
    provider = StaticCredentials("act.0", "rft.0")
    platform = Platform()

    async def perform(request: HttpRequest) -> HttpResponse:
        await asyncio.sleep(0)
        return platform.perform(request)

    async def main() -> list[TokenSet]:
        return await asyncio.gather(
            *(refresh_async(provider, adapter(), perform, failed_token="act.0") for _ in range(5))
        )

    assert {t.access_token for t in asyncio.run(main())} == {"act.1"}
    assert asyncio.run(main())[0].access_token == "act.1"  # a new loop gets a new lock
    assert platform.calls == 1


def test_a_platform_that_does_not_rotate_keeps_the_old_refresh_token() -> None:
    provider = StaticCredentials("act.0", "rft.0")

    def perform(request: HttpRequest) -> HttpResponse:
        return answer(0, {"access_token": "act.1", "expires_in": 60})

    tokens = refresh(provider, adapter(), perform, failed_token=None)
    assert (tokens.access_token, tokens.refresh_token) == ("act.1", "rft.0")
    assert provider.current() == tokens


def test_no_refresh_token_or_a_dead_one_means_reauthorisation() -> None:
    platform = Platform()
    with pytest.raises(ReauthorizationRequired):
        refresh(StaticCredentials("act.0"), adapter(), platform.perform, failed_token="act.0")
    stale = StaticCredentials("act.0", "rft.stale")
    with pytest.raises(ReauthorizationRequired):
        refresh(stale, adapter(), platform.perform, failed_token="act.0")
    assert stale.current().refresh_token == "rft.stale"  # nothing overwritten on failure
