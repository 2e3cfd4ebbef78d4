"""``exchange partners``: the partners of the configuration, checked and given tokens."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from exchange.cli.common import NodeContext, emit, json_option, print_fields
from exchange.model import Partner
from exchange.partner_tokens import issue_token, parse_expiry, revoke_tokens

pass_node = click.make_pass_decorator(NodeContext)


def _partner_view(partner: Partner) -> dict[str, object]:
    transport = {k: v for k, v in partner.transport.items() if "token" not in k}
    return {
        "code": partner.code,
        "name": partner.name,
        "send": list(partner.send),
        "max_works_per_file": partner.max_works_per_file,
        "schedule": partner.schedule,
        "timezone": partner.timezone,
        "transport": transport,
        "conflict_deadline_days": partner.conflict_deadline_days,
    }


@click.group()
def partners() -> None:
    """The sister societies, hubs and publishers of the configuration.

    \b
    Example:
      exchange --config node.toml partners list
      exchange --config node.toml partners check 058
    """


@partners.command("list")
@json_option
@pass_node
def list_(node: NodeContext) -> None:
    """List the configured partners.

    \b
    Example:
      exchange partners list --json
    """
    found = list(node.config.partners.values())

    def human(out: Console) -> None:
        if not found:
            out.print("no partners configured")
            return
        table = Table("code", "name", "sends", "transport", "schedule", box=None)
        for p in found:
            kind = str(p.transport.get("kind", "-"))
            table.add_row(p.code, p.name, ", ".join(p.send), kind, p.schedule or "")
        out.print(table)

    emit(node, {"partners": [_partner_view(p) for p in found]}, human)


@partners.command()
@click.argument("code")
@json_option
@pass_node
def show(node: NodeContext, code: str) -> None:
    """One partner's settings (secrets are never in the configuration).

    \b
    Example:
      exchange partners show 058
    """
    partner = node.config.partner(code)
    view = _partner_view(partner)
    emit(node, {"partner": view}, lambda out: print_fields(out, view))


@partners.command()
@click.argument("code")
@json_option
@pass_node
def check(node: NodeContext, code: str) -> None:
    """Connect to a partner, authenticate, list its folders: change nothing.

    For SFTP it shows the server's host key fingerprint; an unknown or changed
    host key is refused (exit code 3), never accepted.

    \b
    Example:
      exchange partners check 058
    """
    from exchange.transports.kinds import open_transport  # SFTP and HTTP libraries

    partner = node.config.partner(code)
    with open_transport(partner, node.config) as transport:
        described = transport.describe()
    emit(
        node,
        {"partner": code, "check": described},
        lambda out: print_fields(out, {"partner": code, **described}),
    )


@partners.command()
@click.argument("code")
@click.option(
    "--expires",
    metavar="WHEN",
    help="The token stops working after WHEN: a duration (90d, 12w, 36h) or an ISO date "
    "(through that day, UTC) or date and time.",
)
@click.option(
    "--keep", is_flag=True, help="Keep the partner's earlier tokens working (a handover)."
)
@click.option("--revoke", is_flag=True, help="Revoke every token of the partner; issue none.")
@json_option
@pass_node
def token(node: NodeContext, code: str, expires: str | None, keep: bool, revoke: bool) -> None:
    """Issue (or revoke) the bearer token with which partner CODE reaches our HTTP API.

    The token is printed once: the store keeps only its SHA-256, so a lost
    token cannot be shown again (issue a new one). A new token replaces the
    partner's earlier ones, which stop working at once, unless --keep is given.
    Hand it to the partner over a safe channel; its node reads it from the
    environment variable of its [partners.transport] token_env (by default
    EXCHANGE_TOKEN_<our code>).

    \b
    Example:
      exchange --config node.toml partners token 058 --expires 90d
      exchange --config node.toml partners token 058 --json | jq -r .token
      exchange --config node.toml partners token 058 --revoke
    """
    if revoke:
        if expires or keep:
            raise click.UsageError("--revoke takes neither --expires nor --keep")
        revoked = revoke_tokens(node.store(), code)
        said = f"partner {code}: {revoked} token{'s' if revoked != 1 else ''} revoked"
        emit(node, {"partner": code, "revoked": revoked}, lambda out: out.print(said))
        return
    config = node.config
    config.partner(code)  # only a configured partner gets a token
    expires_at = parse_expiry(expires) if expires else None
    issued = issue_token(node.store(), code, expires_at=expires_at, keep=keep)
    from exchange.transports.http import default_token_env

    variable = default_token_env(config.society_code)

    def human(out: Console) -> None:
        out.print(issued.token)
        until = f"until {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else "until revoked"
        replaced = f"; {issued.replaced} earlier token(s) revoked" if issued.replaced else ""
        node.info(
            f"token for partner {code}, valid {until}{replaced}; shown only this once. "
            f"Its node reads it from ${variable} unless its configuration names another "
            "variable"
        )

    data = {
        "partner": code,
        "token": issued.token,
        "expires": expires_at,
        "replaced": issued.replaced,
    }
    emit(node, data, human)
