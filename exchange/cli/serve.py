"""``exchange serve``: run the node's HTTP API; ``exchange partners token``: let a partner in."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click
from rich.console import Console

from exchange.cli.common import NodeContext, emit, json_option
from exchange.errors import ExchangeError
from exchange.transports.http import default_token_env

pass_node = click.make_pass_decorator(NodeContext)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command()
@click.option("--host", metavar="HOST", help="Address to listen on (else [http] host, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(0, 65535), help="Port to listen on (else [http] port, 8080)."
)
@click.option(
    "--ssl-certfile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM certificate (chain) to serve HTTPS; needs --ssl-keyfile.",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM private key of the certificate.",
)
@pass_node
def serve(
    node: NodeContext,
    host: str | None,
    port: int | None,
    ssl_certfile: Path | None,
    ssl_keyfile: Path | None,
) -> None:
    """Serve the HTTP API through which partners exchange files with this node.

    A partner authenticates with the bearer token `exchange partners token`
    gave it. It delivers files into <data_dir>/inbox/<partner>, collects
    those we leave in <data_dir>/outbox/<partner> and can look up works by
    ISWC. GET /v1/health answers without a token; the OpenAPI description is
    at /openapi.json. Tokens travel in every request: outside the loopback
    interface, serve HTTPS (or put a TLS proxy in front).

    \b
    Example:
      exchange --config node.toml serve
      exchange --config node.toml serve --host 0.0.0.0 --port 8443 \\
          --ssl-certfile tls/node.crt --ssl-keyfile tls/node.key
    """
    import uvicorn

    from exchange.http_api import create_app

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise click.UsageError("--ssl-certfile and --ssl-keyfile go together")
    config = node.config
    host = host or config.http_host
    port = config.http_port if port is None else port
    app = create_app(node.store(), config)
    scheme = "https" if ssl_certfile else "http"
    node.info(f"serving {config.name} ({config.society_code}) on {scheme}://{host}:{port}")
    if scheme == "http" and not _loopback(host):
        node.info("warning: without --ssl-certfile, partners' tokens cross the network in clear")
    level = "warning" if node.quiet or node.verbose == 0 else ("info", "debug")[node.verbose > 1]
    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        log_level=level,
        server_header=False,
    )


@click.command()
@click.argument("code")
@json_option
@pass_node
def token(node: NodeContext, code: str) -> None:
    """Issue a bearer token with which partner CODE reaches this node's HTTP API.

    The token is printed once: the store keeps only its SHA-256, so a lost
    token cannot be shown again (issue a new one). Hand it to the partner
    over a safe channel; its node reads it from the environment variable of
    its [partners.transport] token_env (by default EXCHANGE_TOKEN_<our code>).

    \b
    Example:
      exchange --config node.toml partners token 058
      exchange --config node.toml partners token 058 --json | jq -r .token
    """
    from exchange.http_api import issue_token

    config = node.config
    if code not in config.partners:
        known = ", ".join(sorted(config.partners)) or "none configured"
        raise ExchangeError(f"unknown partner {code!r} (known: {known})")
    secret = issue_token(node.store(), code)
    variable = default_token_env(config.society_code)

    def human(out: Console) -> None:
        out.print(secret)
        node.info(
            f"token for partner {code}, shown only this once; its node reads it from "
            f"${variable} unless its configuration names another variable"
        )

    emit(node, {"partner": code, "token": secret}, human)
