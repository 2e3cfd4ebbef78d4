"""``exchange operators``: the accounts of the people who use the operator console."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from exchange.cli.common import NodeContext, emit, json_option
from exchange.errors import ExchangeError
from exchange.operators import (
    ROLES,
    Operator,
    add_operator,
    disable_operator,
    list_operators,
    set_password,
)

pass_node = click.make_pass_decorator(NodeContext)


def read_password(name: str) -> str:
    """The password: asked twice at a terminal, else the first line of standard input.

    Never an argument or an option: those end up in the shell's history and in the
    process list.
    """
    if sys.stdin.isatty():
        return click.prompt(
            f"password for {name}",
            hide_input=True,
            confirmation_prompt="repeat it",
            err=True,
        )
    line = sys.stdin.readline()
    if not line:
        raise ExchangeError("no password: give it on standard input (one line) or at a prompt")
    return line.rstrip("\r\n")


def _said(node: NodeContext, operator: Operator, message: str) -> None:
    emit(node, {"operator": operator.as_dict()}, lambda out: out.print(message))


@click.group()
def operators() -> None:
    """The accounts that sign in to the operator console (/console/ of `exchange serve`).

    A viewer reads every page; an operator also decides (confirms matches,
    resolves conflicts), and each decision is recorded under its name. The
    password is read from a prompt, or from standard input when it is not a
    terminal; the store keeps only its argon2 hash.

    \b
    Example:
      exchange operators add alice --role operator
      printf '%s\\n' "$PASSWORD" | exchange operators add bob --role viewer
    """


@operators.command()
@click.argument("name")
@click.option(
    "--role", type=click.Choice(ROLES), required=True, help="viewer reads; operator also decides."
)
@json_option
@pass_node
def add(node: NodeContext, name: str, role: str) -> None:
    """Create the account NAME; its password is asked for (or read from standard input).

    \b
    Example:
      exchange --config node.toml operators add alice --role operator
    """
    store = node.store()
    added = add_operator(store, name, role, read_password(name))
    _said(node, added, f"operator {added.name} added ({added.role})")


@operators.command("list")
@json_option
@pass_node
def list_(node: NodeContext) -> None:
    """List the accounts: role, whether disabled or locked, last sign-in.

    \b
    Example:
      exchange operators list --json | jq -r '.operators[] | select(.disabled | not) | .name'
    """
    found = list_operators(node.store())

    def human(out: Console) -> None:
        if not found:
            out.print("no operators (exchange operators add NAME --role operator)")
            return
        table = Table("name", "role", "state", "last sign-in", box=None)
        for op in found:
            state = "disabled" if op.disabled_at else ("locked" if op.locked() else "active")
            last = op.last_signin_at.strftime("%Y-%m-%d %H:%M") if op.last_signin_at else "never"
            table.add_row(op.name, op.role, state, last)
        out.print(table)

    emit(node, {"operators": [op.as_dict() for op in found]}, human)


@operators.command()
@click.argument("name")
@json_option
@pass_node
def disable(node: NodeContext, name: str) -> None:
    """NAME can no longer sign in; its open sessions end at once.

    \b
    Example:
      exchange operators disable bob
    """
    _said(node, disable_operator(node.store(), name), f"operator {name} disabled")


@operators.command()
@click.argument("name")
@json_option
@pass_node
def passwd(node: NodeContext, name: str) -> None:
    """Set a new password for NAME (asked for, or read from standard input).

    Its open sessions end, and a lockout after failed sign-ins is lifted.

    \b
    Example:
      exchange operators passwd alice
    """
    store = node.store()
    changed = set_password(store, name, read_password(name))
    _said(node, changed, f"operator {name}: password changed, sessions ended")
