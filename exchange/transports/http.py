"""The ``http`` transport: reach a partner through the HTTP API of its node.

The partner's node is another ``exchange serve`` (see :mod:`exchange.http_api`):
what it left for us is its ``/v1/outbox``, what we deliver goes to its
``/v1/inbox``. Configuration, in the partner's ``[partners.transport]`` table::

    kind = "http"
    url = "https://exchange.example.org"   # required
    token_env = "EXCHANGE_TOKEN_058"        # default: EXCHANGE_TOKEN_<CODE>
    timeout = 30                            # seconds per request
    retries = 3                             # extra attempts after a network error or a 5xx
    ca_file = "certs/partner-ca.pem"        # optional, relative to the configuration

The token itself never sits in the configuration: it is read from the
environment variable when the transport is opened.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from exchange.config import ConfigError
from exchange.digest import sha256_file
from exchange.model import Partner
from exchange.transports import (
    FileChanged,
    RemoteFile,
    Transport,
    TransportClosed,
    TransportError,
    safe_name,
    screen,
)

T = TypeVar("T")

_CHUNK = 1024 * 1024
_FIRST_BACKOFF = 0.2


def default_token_env(code: str) -> str:
    """``EXCHANGE_TOKEN_<CODE>``, the code upper-cased, other than letters/digits as ``_``.

    >>> default_token_env("058")
    'EXCHANGE_TOKEN_058'
    >>> default_token_env("ab-c")
    'EXCHANGE_TOKEN_AB_C'
    """
    return "EXCHANGE_TOKEN_" + re.sub(r"[^A-Z0-9]", "_", code.upper())


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Where the partner's node is and how patiently we talk to it."""

    url: str
    token_env: str
    timeout: float = 30.0
    retries: int = 3
    ca_file: Path | None = None

    @classmethod
    def from_partner(cls, partner: Partner, base: Path) -> HttpSettings:
        """Read ``partner.transport``; relative paths are taken from ``base``."""
        options = partner.transport

        def where(key: str) -> str:
            return f"partner {partner.code}: [partners.transport] {key}"

        url = options.get("url")
        if url is None:
            raise ConfigError(f"{where('url')} is missing (the partner node's address)")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(f"{where('url')} must be an http:// or https:// URL, not {url!r}")
        token_env = options.get("token_env", default_token_env(partner.code))
        if not isinstance(token_env, str) or not token_env:
            raise ConfigError(f"{where('token_env')} must be the name of an environment variable")
        timeout = options.get("timeout", 30)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ConfigError(f"{where('timeout')} must be a positive number, not {timeout!r}")
        retries = options.get("retries", 3)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ConfigError(f"{where('retries')} must be a whole number >= 0, not {retries!r}")
        ca_file = options.get("ca_file")
        if ca_file is not None and not isinstance(ca_file, str):
            raise ConfigError(f"{where('ca_file')} must be a path, not {ca_file!r}")
        return cls(
            url=url.rstrip("/"),
            token_env=token_env,
            timeout=float(timeout),
            retries=retries,
            ca_file=base / ca_file if ca_file else None,
        )


class _Retry(Exception):
    """A failure worth another attempt (network, timeout, 5xx)."""


def _server_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        message = body.get("error") or body.get("detail")
        if message:
            return str(message)
    text = response.text.strip().splitlines()
    return text[0][:200] if text else response.reason_phrase


def _listed(item: Any) -> RemoteFile | None:
    """One entry of the partner's outbox listing; a malformed entry is refused, not the
    listing (None: a file still being written)."""
    name = item.get("name") if isinstance(item, dict) else None
    if not isinstance(name, str) or not name:
        shown = " ".join(repr(item).split())[:120]
        return RemoteFile(shown, refused=f"an entry of the listing has no file name: {shown}")
    listed = screen(name)
    if listed is None or listed.refused is not None:
        return listed
    size, modified, sha256 = item.get("size"), item.get("modified"), item.get("sha256")
    try:
        if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
            raise ValueError(f"size {size!r} is not a number of bytes")
        if sha256 is not None and not (
            isinstance(sha256, str) and re.fullmatch(r"[0-9a-fA-F]{64}", sha256)
        ):
            raise ValueError(f"sha256 {sha256!r} is not a SHA-256")
        when = datetime.fromisoformat(modified) if modified else None
    except (TypeError, ValueError) as exc:
        return RemoteFile(name, refused=f"{name!r}: the listing is malformed: {exc}")
    return RemoteFile(name, size, when, sha256)


def _read_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


class HttpTransport(Transport):
    """The :class:`~exchange.transports.Transport` over a partner node's HTTP API."""

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        token = os.environ.get(settings.token_env)
        if not token:
            raise TransportError(
                f"no token for {settings.url}: set the environment variable {settings.token_env}"
            )
        if settings.ca_file is not None and not settings.ca_file.is_file():
            raise TransportError(f"CA file {settings.ca_file} not found")
        verify: Any = str(settings.ca_file) if settings.ca_file is not None else True
        self.client = httpx.Client(
            base_url=settings.url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "cmo-exchange"},
            timeout=settings.timeout,
            verify=verify,
        )

    # -- plumbing -----------------------------------------------------------------------

    def _call(self, what: str, attempt: Callable[[], T]) -> T:
        """Run ``attempt``, again after network failures and 5xx answers, with backoff."""
        if self.client.is_closed:
            raise TransportClosed(f"{what} at {self.settings.url}: its transport is closed")
        delay = _FIRST_BACKOFF
        for number in range(self.settings.retries + 1):
            try:
                return attempt()
            except (_Retry, httpx.TransportError) as exc:
                if number == self.settings.retries:
                    reason = str(exc) or type(exc).__name__
                    raise TransportError(f"{what} at {self.settings.url}: {reason}") from None
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def _check(self, response: httpx.Response, what: str) -> httpx.Response:
        code = response.status_code
        if code >= 400:
            response.read()  # the message, also of a streamed answer
        if code >= 500:
            raise _Retry(f"server error {code}: {_server_message(response)}")
        if code in (401, 403):
            raise TransportError(
                f"{what}: the partner refused our token ({code} from {self.settings.url}: "
                f"{_server_message(response)}; check ${self.settings.token_env})"
            )
        if code >= 400:
            raise TransportError(f"{what}: {code} {_server_message(response)}")
        return response

    def _json(self, method: str, path: str, what: str) -> Any:
        def attempt() -> Any:
            response = self._check(self.client.request(method, path), what)
            try:
                return response.json()
            except ValueError:
                raise TransportError(f"{what}: the answer is not JSON") from None

        return self._call(what, attempt)

    # -- the Transport protocol -----------------------------------------------------------

    def list_inbound(self) -> list[RemoteFile]:
        body = self._json("GET", "/v1/outbox", "listing the partner's outbox")
        items = body.get("files") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise TransportError("the partner's outbox listing is malformed: no list of files")
        files = [listed for item in items if (listed := _listed(item)) is not None]
        return sorted(files, key=lambda f: f.name)

    def fetch(self, remote: RemoteFile, destination: Path) -> Path:
        name = safe_name(remote.name)
        what = f"fetching {name}"
        destination.parent.mkdir(parents=True, exist_ok=True)

        def attempt() -> Path:
            handle, temporary_name = tempfile.mkstemp(
                dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
            )
            temporary = Path(temporary_name)
            try:
                digest = hashlib.sha256()
                size = 0
                with (
                    os.fdopen(handle, "wb") as fh,
                    self.client.stream("GET", f"/v1/outbox/{quote(name, safe='')}") as response,
                ):
                    self._check(response, what)
                    for chunk in response.iter_bytes(_CHUNK):
                        fh.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                if remote.size is not None and size != remote.size:
                    raise FileChanged(
                        f"{what}: received {size} bytes, the partner listed {remote.size}: "
                        "still being written, left for the next run"
                    )
                if remote.sha256 is not None and digest.hexdigest() != remote.sha256.lower():
                    raise TransportError(
                        f"{what}: the SHA-256 of what we received differs from the listing"
                    )
                os.replace(temporary, destination)
            except BaseException:
                temporary.unlink(missing_ok=True)
                raise
            return destination

        return self._call(what, attempt)

    def deliver(self, local: Path, name: str | None = None) -> None:
        name = safe_name(name or local.name)
        what = f"delivering {name}"
        try:
            size = local.stat().st_size
            expected = sha256_file(local)
        except OSError as exc:
            raise TransportError(f"{what}: cannot read {local}: {exc.strerror}") from None

        def attempt() -> Any:
            response = self.client.put(
                f"/v1/inbox/{quote(name, safe='')}",
                content=_read_chunks(local),
                headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
            )
            return self._check(response, what).json()

        answer = self._call(what, attempt)
        received = answer.get("sha256") if isinstance(answer, dict) else None
        if received != expected:
            raise TransportError(
                f"{what}: the partner stored different bytes (SHA-256 {received}, ours {expected})"
            )

    def mark_collected(self, remote: RemoteFile) -> None:
        name = safe_name(remote.name)
        what = f"marking {name} collected"

        def attempt() -> None:
            self._check(self.client.post(f"/v1/outbox/{quote(name, safe='')}/collected"), what)

        self._call(what, attempt)

    def describe(self) -> dict[str, Any]:
        node = self._json("GET", "/v1/health", "asking the partner node who it is")
        waiting = self.list_inbound()
        return {
            "kind": "http",
            "url": self.settings.url,
            "node": node,
            "outbox": {"files": len([f for f in waiting if f.refused is None])},
        }

    def close(self) -> None:
        self.client.close()
