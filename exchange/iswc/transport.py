"""Requests to the ISWC database: the rate limit waited for, retries, every call recorded.

Every request

- waits for the shared rate limit (:mod:`exchange.iswc.rate`), so the node as a
  whole keeps to the database's 10 requests a minute and 1,000,000 a month;
- is retried on 429 (after the ``Retry-After`` the gateway gives), on 5xx and on
  a failed connection, with a growing pause, up to ``attempts`` times;
- is recorded in ``iswc_calls`` with how it ended (status, items, rejections,
  error code).

The subscription key goes in the ``Ocp-Apim-Subscription-Key`` header, as
CISAC's API gateway (Azure API Management) wants; a refused key (401), a quota
used up (403) and a request refused as malformed raise :class:`IswcError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import insert

from exchange.errors import EXIT_PARTNER, ExchangeError
from exchange.iswc.answers import AnswerError, Rejection
from exchange.iswc.rate import RateLimit
from exchange.store import Store
from exchange.store import tables as t

KEY_HEADER = "Ocp-Apim-Subscription-Key"
#: The first pause before a retry, and the longest, in seconds.
BACKOFF = 2.0
MAX_BACKOFF = 120.0


class IswcError(ExchangeError):
    """The ISWC database cannot be used as asked (key, quota, service, answer)."""

    exit_code = EXIT_PARTNER


class IswcAuthError(IswcError):
    """The API gateway refused the subscription key (401)."""


class IswcUnavailable(IswcError):
    """The database did not answer usefully after every attempt (429, 5xx, connection)."""


def retry_after(response: httpx.Response) -> float | None:
    """The seconds a ``Retry-After`` header asks for (None when absent or a date)."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def json_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def gateway_message(response: httpx.Response) -> str:
    """The message of a gateway or problem answer, else the start of its body."""
    data = json_of(response)
    if isinstance(data, dict):
        for name in ("message", "title", "detail"):
            if data.get(name):
                message = str(data[name])
                errors = data.get("errors")
                return f"{message} {errors}" if isinstance(errors, dict) else message
    return " ".join(response.text.split())[:300] or response.reason_phrase


def _outcome(response: httpx.Response) -> tuple[int | None, str | None, str | None]:
    """What to record of an answer: items rejected, the error code and its message."""
    data = json_of(response)
    if response.status_code == 207 and isinstance(data, list):
        return (
            sum(1 for item in data if isinstance(item, dict) and item.get("rejection")),
            None,
            None,
        )
    if isinstance(data, dict) and "code" in data and "message" in data:
        return (1, str(data["code"])[:10], str(data["message"])[:2000])
    if response.is_success:
        return 0, None, None
    return None, None, gateway_message(response)[:2000]


class Transport:
    """HTTP to the API at ``base_url`` with ``key``, under ``limit``, recorded in ``store``."""

    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        store: Store,
        limit: RateLimit,
        attempts: int,
        timeout: float,
        sleep: Callable[[float], None],
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not key:
            raise IswcError("no subscription key for the ISWC database")
        if not base_url.startswith(("https://", "http://")):
            raise IswcError(f"the ISWC database URL {base_url!r} is no http(s):// address")
        self.base_url = base_url.rstrip("/")
        self.store = store
        self.limit = limit
        self.attempts = attempts
        self.sleep = sleep
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={KEY_HEADER: key, "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        body: Any = None,
        items: int | None = None,
    ) -> httpx.Response:
        """One request, waited for, retried and recorded; the answer that ended it."""
        attempt = 0
        while True:
            attempt += 1
            started = self.limit.acquire()
            try:
                response = self._http.request(method, path, params=params, json=body)
            except httpx.TransportError as exc:
                why = f"{type(exc).__name__}: {exc}"
                self._record(started, method, path, attempt, None, items, (None, None, why))
                if attempt == self.attempts:
                    raise IswcUnavailable(
                        f"ISWC database at {self.base_url}: {method} {path} failed "
                        f"{attempt} times, the last: {why}"
                    ) from None
                self.sleep(self._backoff(attempt))
                continue
            self._record(
                started, method, path, attempt, response.status_code, items, _outcome(response)
            )
            status = response.status_code
            if status == 429 or status >= 500:
                if attempt == self.attempts:
                    raise IswcUnavailable(
                        f"ISWC database at {self.base_url}: {method} {path} answered {status} "
                        f"{attempt} times, the last: {gateway_message(response)}"
                    )
                wait = retry_after(response) if status == 429 else None
                self.sleep(self._backoff(attempt) if wait is None else wait)
                continue
            self._raise_for_gateway(response, method, path)
            return response

    def _backoff(self, attempt: int) -> float:
        return min(BACKOFF * 2 ** (attempt - 1), MAX_BACKOFF)

    def _raise_for_gateway(self, response: httpx.Response, method: str, path: str) -> None:
        status = response.status_code
        if status == 401:
            raise IswcAuthError(
                f"ISWC database at {self.base_url} refused the subscription key "
                f"(401: {gateway_message(response)})"
            )
        if status == 403:
            raise IswcError(f"ISWC database at {self.base_url}: 403 {gateway_message(response)}")
        data = json_of(response)
        if status == 400 and not (isinstance(data, dict) and "code" in data):
            # a problem+json answer: the request broke the schema (a bug of ours)
            raise IswcError(
                f"ISWC database at {self.base_url}: {method} {path} was refused as malformed "
                f"(400: {gateway_message(response)})"
            )

    def _record(
        self,
        started: float,
        method: str,
        path: str,
        attempt: int,
        status: int | None,
        items: int | None,
        outcome: tuple[int | None, str | None, str | None],
    ) -> None:
        rejected, code, error = outcome
        with self.store.connect() as conn:
            conn.execute(
                insert(t.iswc_calls).values(
                    at=datetime.fromtimestamp(started, UTC),
                    method=method,
                    path=path[:200],
                    attempt=attempt,
                    status=status,
                    items=items,
                    rejected=rejected,
                    error_code=code,
                    error=error,
                )
            )

    def answer(self, response: httpx.Response) -> Any:
        data = json_of(response)
        if data is None:
            raise IswcError(
                f"ISWC database at {self.base_url}: {response.request.method} "
                f"{response.request.url.path} answered {response.status_code} without JSON"
            )
        return data

    def read(self, reader: Callable[[Any], Any], data: Any) -> Any:
        try:
            return reader(data)
        except (AnswerError, KeyError, TypeError, ValueError) as exc:
            raise IswcError(f"ISWC database at {self.base_url}: unexpected answer: {exc}") from None

    @staticmethod
    def rejection(data: Any) -> Rejection | None:
        if isinstance(data, dict) and "code" in data:
            return Rejection.from_json(data)
        return None
