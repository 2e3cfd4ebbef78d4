"""``exchange serve``: run the node's HTTP API."""

from __future__ import annotations

import contextlib
import gc
import ipaddress
import os
import socket
import sys
from pathlib import Path
from typing import Any

import click

from exchange.cli.common import NodeContext

pass_node = click.make_pass_decorator(NodeContext)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _freeze() -> None:
    """Leave what the start built (modules, the app and its routes, the store's
    tables) out of the garbage collector's passes: a full pass over all of it
    takes tens of milliseconds, in which the process answers no request."""
    gc.collect()
    gc.freeze()


def worker_app() -> Any:
    """The API of one worker process of ``serve --workers N``: the node that
    ``$EXCHANGE_DB`` and ``$EXCHANGE_CONFIG`` name (``serve`` sets them for it)."""
    from exchange.console.app import mount_console
    from exchange.http_api import create_app

    node = NodeContext()
    store = node.store()
    app = create_app(store, node.config)
    mount_console(app, store, node.config)
    _freeze()
    return app


def _reuse_port_socket(family: int, address: tuple[Any, ...], backlog: int | None) -> socket.socket:
    """A socket on ``address`` in the group of sockets sharing its port; listening
    unless ``backlog`` is None."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    if backlog is not None:
        sock.listen(backlog)
    return sock


class PortGroup:
    """The port of ``serve --workers N``, which every worker process listens on with a
    socket of its own (Linux's ``SO_REUSEPORT``: the kernel spreads the connections
    over the sockets; through one socket that all share, whichever process wakes first
    accepts every connection waiting, and the others stay idle).

    It holds the port without listening (it takes no connection itself) and stands in
    for the socket uvicorn hands each worker process: what the worker unpickles is a
    new socket on the port, listening.
    """

    def __init__(self, host: str, port: int, backlog: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn binds
        self.held = _reuse_port_socket(family, (host, port), None)
        self.backlog = backlog

    def __reduce__(self) -> tuple[Any, ...]:
        return _reuse_port_socket, (self.held.family, self.held.getsockname(), self.backlog)


#: Whether the kernel spreads connections over the sockets of one port.
SPREADS_CONNECTIONS = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


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
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes answering requests (each with its own connections to the store).",
)
@pass_node
def serve(
    node: NodeContext,
    host: str | None,
    port: int | None,
    ssl_certfile: Path | None,
    ssl_keyfile: Path | None,
    workers: int,
) -> None:
    """Serve the partner HTTP API and the operator console.

    A partner authenticates with the bearer token `exchange partners token`
    gave it. It delivers files into <data_dir>/inbox/<partner>, collects
    those we leave in <data_dir>/outbox/<partner> and can look up works by
    ISWC. GET /v1/health answers without a token; the OpenAPI description is
    at /openapi.json, and shown at /docs (every asset from the node). Tokens
    travel in every request: outside the loopback interface, serve HTTPS (or
    put a TLS proxy in front).

    The operator console is under /console/ (sign-in at /console/login, with
    an account of `exchange operators add`); `[console] enabled = false` in
    the configuration turns it off.

    One process answers requests on one CPU; --workers N starts N of them on
    the same port, for a node with more CPUs than one and a busy API.

    \b
    Example:
      exchange --config node.toml serve
      exchange --config node.toml serve --host 0.0.0.0 --port 8443 \\
          --ssl-certfile tls/node.crt --ssl-keyfile tls/node.key
      exchange --config node.toml serve --workers 4
    """
    import uvicorn

    from exchange.console.app import mount_console
    from exchange.http_api import create_app

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise click.UsageError("--ssl-certfile and --ssl-keyfile go together")
    config = node.config
    host = host or config.http_host
    port = config.http_port if port is None else port
    store = node.store()
    app = create_app(store, config)
    console = mount_console(app, store, config)
    scheme = "https" if ssl_certfile else "http"
    node.info(f"serving {config.name} ({config.society_code}) on {scheme}://{host}:{port}")
    if console:
        node.info(f"operator console: {scheme}://{host}:{port}/console/")
    if scheme == "http" and not _loopback(host):
        node.info("warning: without --ssl-certfile, partners' tokens cross the network in clear")
    level = "warning" if node.quiet or node.verbose == 0 else ("info", "debug")[node.verbose > 1]
    if workers > 1:
        # each worker process opens the same node again, from what these name
        os.environ["EXCHANGE_DB"] = node.store_url()
        if config.path is not None:
            os.environ["EXCHANGE_CONFIG"] = str(Path(config.path).resolve())
        node.info(f"{workers} worker processes")
    else:
        _freeze()
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "ssl_certfile": ssl_certfile,
        "ssl_keyfile": ssl_keyfile,
        "log_level": level,
        "server_header": False,
    }
    target = app if workers == 1 else "exchange.cli.serve:worker_app"
    if workers > 1 and SPREADS_CONNECTIONS:
        from uvicorn.supervisors import Multiprocess

        workers_config = uvicorn.Config(target, factory=True, workers=workers, **options)
        try:
            port_group = PortGroup(host, port, workers_config.backlog)
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        with port_group.held, contextlib.suppress(KeyboardInterrupt):
            Multiprocess(workers_config, sockets=[port_group]).run()  # type: ignore[list-item]
    else:  # elsewhere the workers share one socket
        uvicorn.run(target, factory=workers > 1, workers=workers, **options)
