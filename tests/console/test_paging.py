"""Long lists cut into pages: from a list in memory, or read a page at a time from the store."""

from __future__ import annotations

from starlette.requests import Request

from exchange.console.paging import paginate, paginate_counted


def request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": query.encode(),
                    "headers": []})  # fmt: skip


def test_a_page_read_from_the_store_is_the_page_of_the_whole_list() -> None:
    items = list(range(1, 124))
    reads: list[tuple[int, int]] = []

    def read(offset: int, limit: int) -> list[int]:
        reads.append((offset, limit))
        return items[offset : offset + limit]

    for query in ("", "page=2", "q=x&page=3", "page=99", "page=no"):
        counted = paginate_counted(request(query), len(items), read)
        whole = paginate(request(query), items)
        assert counted == whole
    assert reads == [(0, 50), (50, 50), (100, 50), (100, 50), (0, 50)]
    last = paginate_counted(request("q=x&page=3"), len(items), read)
    assert (last.first, last.last, last.pages) == (101, 123, 3)
    assert last.link(2) == "?q=x&page=2"
