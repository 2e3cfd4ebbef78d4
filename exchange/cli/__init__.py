"""The ``exchange`` command line: the operator's interface to the node.

Every command documents itself with an example in ``--help``, reports as one
JSON document on stdout with ``--json``, and turns bad input or configuration
into one clear line on stderr with the exit codes of docs/CLI.md.
"""

from __future__ import annotations

import logging
import os
import sys

import click

from exchange.cli.acks import ack
from exchange.cli.common import EXIT_INTERNAL, NodeContext, emit_error, fail_message
from exchange.cli.conflicts import conflicts
from exchange.cli.demo import demo
from exchange.cli.export import export
from exchange.cli.files import import_, validate
from exchange.cli.iswc import iswc
from exchange.cli.ledger import ledger
from exchange.cli.matches import matches
from exchange.cli.operators import operators
from exchange.cli.parties import parties
from exchange.cli.partners import partners
from exchange.cli.registrations import registrations
from exchange.cli.scheduler import scheduler
from exchange.cli.serve import serve
from exchange.cli.store import init
from exchange.cli.sync import sync
from exchange.cli.template import template
from exchange.cli.works import works
from exchange.config import ConfigError
from exchange.errors import EXIT_USAGE, ExchangeError
from exchange.store.database import StoreError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--db",
    metavar="URL",
    help="SQLAlchemy URL of the store (else $EXCHANGE_DB, "
    "the config's [store] url, or sqlite:///exchange.db).",
)
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help="TOML configuration (else $EXCHANGE_CONFIG, else ./exchange.toml if present).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.option("-v", "--verbose", count=True, help="More detail on stderr (repeat for more).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.version_option(package_name="cmo-exchange", prog_name="exchange")
@click.pass_context
def cli(
    ctx: click.Context,
    db: str | None,
    config_path: str | None,
    as_json: bool,
    verbose: int,
    quiet: bool,
) -> None:
    """Work-data exchange node for collective management organisations.

    \b
    Example:
      exchange --db sqlite:///repertoire.db init
      exchange --db sqlite:///repertoire.db works count --json
    """
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    node = ctx.ensure_object(NodeContext)
    node.db_url, node.config_path, node.verbose, node.quiet = db, config_path, verbose, quiet
    node.json = node.json or as_json
    ctx.call_on_close(node.close)
    if config_path or os.environ.get("EXCHANGE_CONFIG"):
        node.config  # noqa: B018 - a configuration named is read (and checked) at once


cli.add_command(init)
cli.add_command(works)
cli.add_command(parties)
cli.add_command(demo)
cli.add_command(export)
cli.add_command(validate)
cli.add_command(import_)
cli.add_command(ack)
cli.add_command(registrations)
cli.add_command(conflicts)
cli.add_command(matches)
cli.add_command(operators)
cli.add_command(partners)
cli.add_command(sync)
cli.add_command(ledger)
cli.add_command(serve)
cli.add_command(scheduler)
cli.add_command(template)
cli.add_command(iswc)


def _wants_json(args: list[str]) -> bool:
    """Whether ``--json`` is among the options (before a ``--``)."""
    return "--json" in (args[: args.index("--")] if "--" in args else args)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``exchange`` console script.

    A failure is one line on stderr; with ``--json`` it is also the JSON document
    ``{"error": {"message": "...", "code": N}}`` on stdout (unless the command had
    written its document already).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = any(a in ("-v", "-vv", "--verbose") for a in args)
    node = NodeContext(json=_wants_json(args))
    message: str | None = None
    try:
        code = cli.main(args=args, prog_name="exchange", standalone_mode=False, obj=node)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, EOFError):  # click turns an EOFError into Abort
            message = f"internal error: EOFError: {exc.__cause__} (run with -v for details)"
            code = EXIT_INTERNAL
            fail_message(message)
        else:  # Ctrl-C, or end of input at a prompt
            message, code = "aborted", 130
            click.echo(message, err=True)
    except click.ClickException as exc:
        exc.show()
        message, code = exc.format_message(), exc.exit_code
    except (ExchangeError, ConfigError, StoreError) as exc:
        message, code = str(exc), getattr(exc, "exit_code", EXIT_USAGE)
        fail_message(message)
    except Exception as exc:  # a bug: say so in one line, details with -v
        if verbose:
            raise
        message = f"internal error: {exc.__class__.__name__}: {exc} (run with -v for details)"
        code = EXIT_INTERNAL
        fail_message(message)
    if message is not None and node.json and not node.emitted:
        emit_error(message, code)
    sys.exit(code or 0)
