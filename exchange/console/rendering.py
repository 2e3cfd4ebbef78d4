"""The console's Jinja2 environment: the templates of ``templates/`` and their filters.

Pages render through :func:`exchange.console.layout.page`; a file written outside the
console (an HTML report) renders with :func:`render`, from the same templates.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from exchange.identifiers import InvalidIdentifier
from exchange.identifiers import iswc as iswc_id
from exchange.shares import percentage

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def when(value: datetime | date | str | None) -> str:
    """A moment as people read it: ``2026-12-02 08:30`` (UTC), a day as ``2026-12-02``.

    >>> from datetime import UTC
    >>> when(datetime(2026, 12, 2, 8, 30, 12, tzinfo=UTC))
    '2026-12-02 08:30'
    >>> when(None)
    ''
    """
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def size(value: int | None) -> str:
    """A file size in bytes, kB or MB.

    >>> size(512), size(20480), size(3 * 1024 * 1024)
    ('512 B', '20 kB', '3.0 MB')
    """
    if value is None:
        return ""
    if value < 1024:
        return f"{value} B"
    if value < 1024 * 1024:
        return f"{value // 1024} kB"
    return f"{value / (1024 * 1024):.1f} MB"


def day(value: datetime | date | None) -> str:
    """The day of a moment: ``2026-12-02``."""
    return "" if value is None else f"{value:%Y-%m-%d}"


def pct(value: int | None) -> str:
    """A share in hundredths of a percent, with two decimals: ``15000`` is ``150.00``."""
    return "" if value is None else percentage(value)


def iswc_text(value: str | None) -> str:
    """An ISWC in its display form (``T-034.524.680-1``); what is no ISWC, as it came.

    >>> iswc_text("T0345246801"), iswc_text("T123")
    ('T-034.524.680-1', 'T123')
    """
    if not value:
        return ""
    try:
        return iswc_id.format(value)
    except InvalidIdentifier:
        return value  # show what was received rather than hide it


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["size"] = size
    env.filters.update(day=day, pct=pct, iswc=iswc_text)
    return env


def render(template: str, **context: Any) -> str:
    """The template ``template`` of ``templates/`` filled with ``context``."""
    return environment().get_template(template).render(**context)
