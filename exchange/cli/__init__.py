"""The ``exchange`` command line: the operator's interface to the node.

Every command documents itself with an example in ``--help``, reports as one
JSON document on stdout with ``--json``, and turns bad input or configuration
into one clear line on stderr with the exit codes of docs/CLI.md.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Mapping
from typing import NamedTuple

import click

from exchange.cli.common import EXIT_INTERNAL, NodeContext, emit_error, fail_message
from exchange.errors import EXIT_USAGE, ConfigError, ExchangeError, StoreError


class Entry(NamedTuple):
    """Where a command lives, and the line ``exchange --help`` shows for it."""

    module: str
    attribute: str
    help: str


#: The commands of ``exchange``. Each module is imported only when its command runs
#: (or shows its own --help), so ``exchange --help`` and a light command such as
#: ``works count`` load no more than they use (tests/test_cli_startup.py checks it).
#: A new command is one entry here: name -> (module, attribute, one-line help of at
#: most 60 characters, shown instead of the first line of the docstring).
COMMANDS: dict[str, Entry] = {
    "ack": Entry(
        "exchange.cli.acks",
        "ack",
        "Write the ACK file that answers each received CWR file.",
    ),
    "conflicts": Entry(
        "exchange.cli.conflicts",
        "conflicts",
        "Overclaims, counterclaims, ISWC and identity conflicts.",
    ),
    "demo": Entry(
        "exchange.cli.demo",
        "demo",
        "Run a small exchange between three nodes on SQLite.",
    ),
    "export": Entry(
        "exchange.cli.export",
        "export",
        "Write works into CWR, DDEX MWN or spreadsheet files.",
    ),
    "import": Entry(
        "exchange.cli.files",
        "import_",
        "Load registration files, keeping the source of each claim.",
    ),
    "init": Entry(
        "exchange.cli.store",
        "init",
        "Create the store, or upgrade its schema (safe to rerun).",
    ),
    "iswc": Entry(
        "exchange.cli.iswc",
        "iswc",
        "Our works in CISAC's ISWC database, and its notifications.",
    ),
    "ledger": Entry(
        "exchange.cli.ledger",
        "ledger",
        "Files received from or sent to partners, and their state.",
    ),
    "matches": Entry(
        "exchange.cli.matches",
        "matches",
        "The review queue: incoming works like a work of the store.",
    ),
    "operators": Entry(
        "exchange.cli.operators",
        "operators",
        "The accounts that sign in to the operator console.",
    ),
    "parties": Entry(
        "exchange.cli.parties",
        "parties",
        "Interested parties (writers, publishers), also as sheets.",
    ),
    "partners": Entry(
        "exchange.cli.partners",
        "partners",
        "The sister societies, hubs and publishers configured.",
    ),
    "registrations": Entry(
        "exchange.cli.registrations",
        "registrations",
        "Our works' status at partners, from their ACK files.",
    ),
    "scheduler": Entry(
        "exchange.cli.scheduler",
        "scheduler",
        "Exchange with each partner on its schedule.",
    ),
    "serve": Entry(
        "exchange.cli.serve",
        "serve",
        "Serve the partner HTTP API and the operator console.",
    ),
    "sync": Entry(
        "exchange.cli.sync",
        "sync",
        "Exchange with a partner now: collect, import, ACK, deliver.",
    ),
    "template": Entry(
        "exchange.cli.template",
        "template",
        "Write an empty works (or parties) sheet to fill in.",
    ),
    "validate": Entry(
        "exchange.cli.files",
        "validate",
        "Check registration files without writing to the store.",
    ),
    "works": Entry(
        "exchange.cli.works",
        "works",
        "Look at the works in the store.",
    ),
}


class LazyGroup(click.Group):
    """A group whose commands come from a table of :class:`Entry` and are imported when
    first asked for; its --help lists them from the table, importing none."""

    def __init__(self, *args: object, lazy: Mapping[str, Entry], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.lazy.get(cmd_name)
        if entry is not None and cmd_name not in self.commands:
            command = getattr(importlib.import_module(entry.module), entry.attribute)
            command.short_help = entry.help
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            name = getattr(exc, "command_name", None)  # click's NoSuchCommand (8.2 on)
            if name is not None:  # suggest from every command, not the ones imported
                from difflib import get_close_matches

                exc.possibilities = get_close_matches(name, self.list_commands(ctx))  # type: ignore[attr-defined]
            raise

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = [
            n for n in self.list_commands(ctx) if n in self.lazy or not self.commands[n].hidden
        ]
        limit = formatter.width - 6 - max(map(len, names), default=0)
        rows = [
            (n, self.lazy[n].help if n in self.lazy else self.commands[n].get_short_help_str(limit))
            for n in names
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
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
