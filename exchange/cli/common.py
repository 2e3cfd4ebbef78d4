"""What every command shares: the store and configuration it runs against, and output.

Light on purpose: ``exchange --help`` imports this module, so the configuration,
the store (SQLAlchemy) and rich are loaded only when a command asks for them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from functools import cache, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from exchange.store.url import DEFAULT_URL

if TYPE_CHECKING:
    from rich.console import Console

    from exchange.config import NodeConfig
    from exchange.store import Store

EXIT_INTERNAL = 70


@cache
def console(*, stderr: bool = False) -> Console:
    """The rich console on stdout (or stderr), built when first used."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True, markup=False)


class LazyChoice(click.Choice):
    """A choice whose values are asked for (of the format registry, of a module that
    is slow to import...) only when a command takes the option or shows its help."""

    def __init__(
        self, names: Callable[[], Sequence[str]], before: Sequence[str] = (), **kw: Any
    ) -> None:
        self._names, self._before = names, tuple(before)
        super().__init__((), **kw)

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        return (*self._before, *self._names())

    @choices.setter
    def choices(self, _value: Sequence[str]) -> None:
        """click sets the choices it was given (none): they come from the registry."""


def fail_message(message: str) -> None:
    from rich.markup import escape

    console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", markup=True)


@dataclass
class NodeContext:
    db_url: str | None = None
    config_path: str | None = None
    json: bool = False
    verbose: int = 0
    quiet: bool = False
    #: Whether the command's JSON document is written (an error after it adds none).
    emitted: bool = False
    _config: NodeConfig | None = None
    _stores: list[Store] = field(default_factory=list)

    @property
    def config(self) -> NodeConfig:
        if self._config is None:
            from exchange.config import load_config

            self._config = load_config(self.config_path)
        return self._config

    def store_url(self) -> str:
        config = self.config  # a configuration named but missing is an error even with --db
        return self.db_url or os.environ.get("EXCHANGE_DB") or config.store_url or DEFAULT_URL

    def store(self, *, require_schema: bool = True, url: str | None = None) -> Store:
        """The store; one that is only read (``require_schema``) must exist already."""
        from exchange.store import Store

        store = Store(url or self.store_url(), create=not require_schema)
        self._stores.append(store)
        if require_schema:
            store.require_schema()
        return store

    def close(self) -> None:
        for store in self._stores:
            store.close()

    def info(self, message: str) -> None:
        if not self.quiet:
            console(stderr=True).print(message, markup=False)


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--json`` to a command (the global ``--json`` works as well)."""

    @click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
    @wraps(func)
    def wrapper(*args: Any, as_json: bool, **kwargs: Any) -> Any:
        if as_json:
            click.get_current_context().find_object(NodeContext).json = True
        return func(*args, **kwargs)

    return wrapper


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def emit(node: NodeContext, data: dict[str, Any], human: Callable[[Console], None]) -> None:
    """One JSON document with ``--json``, else the human rendering."""
    if node.json:
        sys.stdout.write(json.dumps(data, default=_default, ensure_ascii=False) + "\n")
        node.emitted = True
    else:
        human(console())


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date | Enum | Path):
        return str(_default(value))
    return str(value)


def field_lines(data: dict[str, Any], indent: int = 0) -> list[str]:
    """A document as ``key: value`` lines, nested tables indented under their key.

    For the human rendering of one object (a partner, a ledger entry...).

    >>> for line in field_lines({"code": "058", "send": ["cwr22", "mwn"], "schedule": None,
    ...                          "transport": {"kind": "folder", "inbox": "/in"}}):
    ...     print(line)
    code: 058
    send: cwr22, mwn
    schedule: -
    transport:
      kind: folder
      inbox: /in
    """
    pad = "  " * indent
    lines: list[str] = []
    for key, value in data.items():
        label = str(key).replace("_", " ")
        if isinstance(value, dict):
            lines.append(f"{pad}{label}:" + ("" if value else " -"))
            lines.extend(field_lines(value, indent + 1))
        elif isinstance(value, list | tuple) and any(isinstance(v, dict) for v in value):
            lines.append(f"{pad}{label}:")
            for item in value:
                item_lines = (
                    field_lines(item, indent + 2)
                    if isinstance(item, dict)
                    else [f"{pad}    {_scalar(item)}"]
                )
                lines.append(f"{pad}  - {item_lines[0].lstrip()}")
                lines.extend(item_lines[1:])
        elif isinstance(value, list | tuple):
            lines.append(f"{pad}{label}: {', '.join(_scalar(v) for v in value) or '-'}")
        else:
            lines.append(f"{pad}{label}: {_scalar(value)}")
    return lines


def print_fields(out: Console, data: dict[str, Any]) -> None:
    """Print :func:`field_lines` of ``data``."""
    for line in field_lines(data):
        out.print(line)


def emit_error(message: str, code: int) -> None:
    """The JSON document of a command that failed: the same shape for every command."""
    sys.stdout.write(json.dumps({"error": {"message": message, "code": code}}) + "\n")
