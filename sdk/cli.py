"""The ``mmtkit`` command line.

Core commands live here; plugins add theirs through ``mmt_register_commands``. Output meant for
programs (``--json``, ``inspect-webhook``) goes to stdout alone; warnings and errors go to
stderr as single readable lines, and exit codes are documented per command.
"""

from __future__ import annotations

import importlib
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import click

from mmtkit import __version__
from mmtkit.errors import MalformedWebhook, MmtkitError, SignatureError
from mmtkit.messages import Channel, InboundEvent
from mmtkit.plugin_manager import PluginManager

__all__ = ["build_cli", "cli", "core_cli", "main"]

EXIT_SIGNATURE = 3
EXIT_MALFORMED = 4

# Keys every event object printed by inspect-webhook carries, null when not applicable.
_EVENT_KEYS = ("type", "platform_message_id", "conversation_id", "customer_id", "text", "timestamp")
_REFERRAL_KEYS = ("ad_id", "advertiser_id", "click_id", "source")


def _manager(ctx: click.Context) -> PluginManager:
    manager = ctx.find_object(PluginManager)
    if manager is None:  # invoked without main(), e.g. from CliRunner on the bare group
        manager = _load_plugins()
        ctx.obj = manager
    return manager


def _load_plugins() -> PluginManager:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        manager = PluginManager.with_entry_points()
    for warning in caught:
        click.echo(f"warning: {warning.message}", err=True)
    return manager


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@click.pass_context
def plugins_command(ctx: click.Context, as_json: bool) -> None:
    """List plugins: distribution, version, hooks implemented and load failures."""
    rows = _manager(ctx).info()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "name": r.name,
                        "status": r.status,
                        "distribution": r.distribution,
                        "version": r.version,
                        "builtin": r.builtin,
                        "hooks": list(r.hooks),
                        "error": r.error,
                    }
                    for r in rows
                ],
                indent=2,
            )
        )
        return
    if not rows:
        click.echo("no plugins found (entry-point group 'mmtkit')")
        return
    width = max(len(r.name) for r in rows)
    for r in rows:
        origin = f"{r.distribution or '?'} {r.version or ''}".strip()
        detail = ", ".join(r.hooks) if r.status == "loaded" else (r.error or "")
        click.echo(f"{r.name:<{width}}  {r.status:<8}  {origin:<20}  {detail}")


def _parse_header(
    _: click.Context, __: click.Parameter, values: tuple[str, ...]
) -> list[tuple[str, str]]:
    headers = []
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected 'Name: value', got {value!r}")
        headers.append((name.strip(), content.strip()))
    return headers


def event_summary(event: InboundEvent) -> dict[str, Any]:
    """The JSON object inspect-webhook prints: the wire form plus the documented keys."""
    from mmtkit.wire import converter

    data: dict[str, Any] = json.loads(
        json.dumps(converter.unstructure(event, unstructure_as=InboundEvent))
    )
    for key in _EVENT_KEYS:
        data.setdefault(key, None)
    if data["type"] == "ad_referral":
        for key in _REFERRAL_KEYS:
            data.setdefault(key, None)
    return data


@click.command("inspect-webhook")
@click.option(
    "--channel", required=True, type=click.Choice([c.value for c in Channel]), help="Platform."
)
@click.option(
    "--body",
    "body_file",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="File with the raw request body ('-' for stdin).",
)
@click.option(
    "--header",
    "headers",
    multiple=True,
    callback=_parse_header,
    help="A request header 'Name: value'; repeat for several.",
)
@click.option("--secret", help="App secret: verify the signature before parsing.")
@click.option("--business-id", help="The business account id (TikTok business_id, ...).")
@click.option("--now", type=float, help="Unix time to check signature freshness against.")
@click.pass_context
def inspect_webhook_command(
    ctx: click.Context,
    channel: str,
    body_file: Path,
    headers: list[tuple[str, str]],
    secret: str | None,
    business_id: str | None,
    now: float | None,
) -> None:
    """Verify and parse a webhook body; print its events as a JSON array.

    Exit codes: 0 parsed; 3 bad, missing or stale signature; 4 malformed body.
    """
    import httpx  # a case-insensitive header mapping, as a server would pass

    body = sys.stdin.buffer.read() if str(body_file) == "-" else body_file.read_bytes()
    settings: dict[str, Any] = {}
    if secret is not None:
        settings["app_secret"] = secret
    if business_id is not None:
        settings["account_id"] = business_id
    try:
        adapter = _manager(ctx).create_adapter(channel, **settings)
    except MmtkitError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        if secret is not None:
            adapter.verify_webhook(httpx.Headers(headers), body, now=now)
        events = adapter.parse_webhook(body)
    except SignatureError as exc:
        click.echo(f"error: signature check failed: {exc}", err=True)
        ctx.exit(EXIT_SIGNATURE)
    except MalformedWebhook as exc:
        click.echo(f"error: malformed webhook body: {exc}", err=True)
        ctx.exit(EXIT_MALFORMED)
    click.echo(json.dumps([event_summary(e) for e in events], indent=2, ensure_ascii=False))


@click.command("demo")
@click.option(
    "--app",
    "app",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("examples/shop_assistant.py"),
    show_default=True,
    help="The MMT app (a plugin module) that answers the customers.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the results as JSON to this file.",
)
def demo_command(app: Path, report: Path | None) -> None:
    """Run the sandbox, the gateway and an example app end to end."""
    from mmtkit.demo import run_demo

    try:
        run_demo(app, report, echo=click.echo)
    except MmtkitError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("serve")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("mmtkit.toml"),
    show_default=True,
)
@click.option("--host", help="Overrides gateway.host.")
@click.option("--port", type=int, help="Overrides gateway.port.")
def serve_command(config_path: Path, host: str | None, port: int | None) -> None:
    """Run the webhook gateway (uvicorn) with a configuration file."""
    import uvicorn

    from mmtkit.config import load_config
    from mmtkit.gateway import create_app

    try:
        config = load_config(config_path)
        app = create_app(config)
    except MmtkitError as exc:
        raise click.ClickException(str(exc)) from None
    uvicorn.run(
        app,
        host=host or config.gateway.host,
        port=port if port is not None else config.gateway.port,
        log_level="info",
    )


def core_cli() -> click.Group:
    """A fresh ``mmtkit`` group with the core commands only."""

    @click.group(context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="mmtkit")
    def group() -> None:
        """mmtkit: build Messaging Partner tools for TikTok, WhatsApp and Messenger."""

    group.add_command(plugins_command)
    group.add_command(inspect_webhook_command)
    group.add_command(serve_command)
    group.add_command(demo_command)
    group.add_command(
        _LazyCommand("sandbox", "mmtkit.sandbox.cli", "Run the local platform emulator.")
    )
    return group


class _LazyCommand(click.Command):
    """A core command whose module (and its dependencies, e.g. uvicorn) is imported only when
    the command runs, so ``mmtkit --help`` and ``mmtkit plugins`` stay fast."""

    def __init__(self, name: str, module: str, short_help: str) -> None:
        super().__init__(name, short_help=short_help, add_help_option=False)
        self._module = module

    def _real(self) -> click.Command:
        command = importlib.import_module(self._module).command
        if not isinstance(command, click.Command):  # pragma: no cover - a packaging error
            raise TypeError(f"{self._module}.command is not a click command")
        return command

    def main(self, *args: Any, **kwargs: Any) -> Any:
        return self._real().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        return self._real().invoke(ctx)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return self._real().parse_args(ctx, args)

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return self._real().get_params(ctx)

    def get_help(self, ctx: click.Context) -> str:
        return self._real().get_help(ctx)


cli = core_cli()
"""The core group, for embedding and tests; :func:`main` adds the plugins' commands."""


def build_cli(manager: PluginManager) -> click.Group:
    """A fresh ``mmtkit`` group with the core commands and every plugin's commands."""
    group = core_cli()
    manager.hooks.register_commands(group)
    return group


def main(argv: list[str] | None = None) -> None:
    manager = _load_plugins()
    build_cli(manager).main(args=argv, prog_name="mmtkit", obj=manager)


if __name__ == "__main__":
    main()
