"""mmtkit.toml: validated on load, secrets only from the environment, errors that name the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mmtkit.config import load_config, parse_config
from mmtkit.errors import ConfigError
from mmtkit.messages import Channel
from mmtkit.policy import Severity

TIKTOK = {"account_id": "7123", "app_secret_env": "SECRET", "access_token_env": "TOKEN"}
ENV = {"SECRET": "s3cret", "TOKEN": "tk-7f3a9"}


def parse(data: dict[str, Any], env: dict[str, str] = ENV) -> Any:
    return parse_config(data, env=env)


def test_a_full_configuration_is_read() -> None:
    config = parse(
        {
            "store": {"path": ":memory:", "synchronous": "FULL"},
            "gateway": {"port": 9000, "lease_seconds": 5},
            "channels": {"tiktok": TIKTOK},
            "policy": {"disabled": ["unsolicited_marketing"], "severities": {"harassment": "warn"}},
            "features": {"welcome": {"text": "hi"}},
        }
    )
    assert config.gateway.lease_seconds == 5
    assert config.store.synchronous == "FULL"
    tiktok = config.channels[Channel.TIKTOK]
    assert tiktok.adapter_settings() == {"account_id": "7123", "app_secret": "s3cret"}
    assert tiktok.secrets["access_token"] == "tk-7f3a9"
    assert "s3cret" not in repr(config)
    assert "tk-7f3a9" not in repr(config)
    assert config.policy.severities["harassment"] is Severity.WARN
    assert config.features == {"welcome": {"text": "hi"}}


@pytest.mark.parametrize(
    ("data", "env", "message"),
    [
        ({"chanels": {}}, ENV, r"^chanels: unknown key"),
        ({"channels": {"telegram": TIKTOK}}, ENV, r"^channels\.telegram: unknown channel"),
        (
            {"channels": {"tiktok": TIKTOK}},
            {"TOKEN": "t"},
            r"^channels\.tiktok\.app_secret_env: environment variable SECRET is not set$",
        ),
        (
            {"channels": {"tiktok": {**TIKTOK, "app_secret": "oops"}}},
            ENV,
            r"^channels\.tiktok\.app_secret: secrets do not go in the file",
        ),
        ({"channels": {"tiktok": {"account_id": "1"}}}, ENV, r"set access_token_env or token_file"),
        ({"gateway": {"port": 70000}}, ENV, r"^gateway\.port: must be 0-65535"),
        ({"gateway": {"lease_seconds": 0}}, ENV, r"^gateway\.lease_seconds: must be a positive"),
        ({"store": {"synchronous": "OFF"}}, ENV, r"^store\.synchronous"),
        (
            {"policy": {"severities": {"harassment": "loud"}}},
            ENV,
            r"^policy\.severities\.harassment",
        ),
    ],
)
def test_errors_name_the_key(data: dict[str, Any], env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse(data, env)


def test_files_are_toml_and_errors_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "mmtkit.toml"
    broken.write_text("[store\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "missing.toml")
