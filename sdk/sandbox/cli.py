"""``mmtkit sandbox``: run the emulator in the foreground until interrupted."""

from __future__ import annotations

from pathlib import Path

import click
import uvicorn

from mmtkit.errors import ConfigError
from mmtkit.sandbox.app import build_app
from mmtkit.sandbox.config import SandboxConfig, load_config

__all__ = ["command"]


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8900, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file with limits, faults, credentials and the gateway URL.",
)
def command(host: str, port: int, config_path: Path | None) -> None:
    """Run a local emulator of TikTok, WhatsApp, Messenger and the conversion APIs."""
    try:
        config = load_config(config_path) if config_path else SandboxConfig()
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--config") from None
    app = build_app(config)
    base = f"http://{host}:{port}"
    click.echo(f"mmtkit sandbox on {base}")
    click.echo(f"  TikTok base URL: {base}/open_api/v1.3/")
    click.echo(f"  Graph base URL:  {base}/")
    click.echo(f"  ledger:          {base}/_sandbox/ledger")
    if config.gateway_url:
        click.echo(f"  webhooks to:     {config.gateway_url}")
    # A late answer (processed_then_timeout) must not hold Ctrl-C hostage for long.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
