"""Long lists cut into pages: ``?page=N`` of a list, the links to the others, and the
lists' filters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Query
from starlette.requests import Request

T = TypeVar("T")
#: A list's filter in the query (``?partner=058``): short text, absent when not chosen.
Filter = Annotated[str | None, Query(max_length=40)]
#: Rows on a page unless a page says otherwise.
PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: its items, where it is, and links that keep the other filters."""

    items: Sequence[T]
    number: int
    size: int
    total: int
    #: the request's query without ``page``: the filters a link to another page keeps
    query: tuple[tuple[str, str], ...] = ()

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """The position (from 1) of the page's first item; 0 on an empty list."""
        return 0 if self.total == 0 else (self.number - 1) * self.size + 1

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0

    def link(self, number: int) -> str:
        """The query string of page ``number`` (``?status=open&page=2``)."""
        return "?" + urlencode([*self.query, ("page", str(number))])


def page_number(request: Request) -> int:
    """The ``page`` asked for, 1 when missing or not a number."""
    text = request.query_params.get("page", "1")
    return int(text) if text.isdigit() and 0 < int(text) < 10**9 else 1


def paginate(request: Request, items: Sequence[T], size: int = PAGE_SIZE) -> Page[T]:
    """The page of ``items`` that ``request`` asks for (the last one if it asks beyond)."""
    return paginate_counted(request, len(items), lambda start, n: items[start : start + n], size)


def paginate_counted(
    request: Request,
    total: int,
    read: Callable[[int, int], Sequence[T]],
    size: int = PAGE_SIZE,
) -> Page[T]:
    """The page of a list of ``total`` items that the store reads a page at a time:
    ``read(offset, limit)`` gives the items from position ``offset`` (from 0)."""
    number = min(page_number(request), max(1, -(-total // size)))
    query = tuple((k, v) for k, v in request.query_params.multi_items() if k != "page")
    return Page(read((number - 1) * size, size), number, size, total, query)
