"""The ISWC database stand-in on a loopback port, a clock the test controls, works to send."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from exchange.iswc.client import IswcClient
from exchange.model import Affiliation, Claim, InterestedParty, Right, Side, Work, WorkNumber
from exchange.store import Store
from tests.http_server import serving
from tests.iswc_standin.app import create_app

KEY = "test-subscription-key"
#: IPI name numbers the stand-in knows (any other is answered 137).
WRITERS = {
    "CORLEY": "00458930030",
    "ROLLINS": "00734812541",
    "MASSON": "00375001586",
    "OSANANI": "00265255755",
}
UNKNOWN_IPI = "00999999999"


@dataclass
class FakeClock:
    """Seconds since the epoch that move only when something sleeps."""

    now: float = 1_796_000_000.0  # 2026-11-30
    slept: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class StandIn:
    url: str
    app: Any

    @property
    def gateway(self) -> Any:
        return self.app.state.gateway

    @property
    def db(self) -> Any:
        return self.app.state.db


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@contextmanager
def running_standin(clock: Callable[[], float], **options: Any) -> Iterator[StandIn]:
    """The stand-in on a free loopback port (a real uvicorn server), until the block ends."""
    options.setdefault("rpm", 10_000)
    options.setdefault("ipis", frozenset(int(n) for n in WRITERS.values()))
    app = create_app(KEY, clock=clock, **options)
    with serving(app) as url:
        yield StandIn(url, app)


@pytest.fixture
def standin(clock: FakeClock) -> Iterator[StandIn]:
    """The stand-in on the test's clock, with a rate limit high enough not to matter."""
    with running_standin(clock.time) as running:
        yield running


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        store.init()
        yield store


def make_client(
    url: str, store: Store, clock: FakeClock, agency: str = "128", **options: Any
) -> IswcClient:
    options.setdefault("requests_per_minute", 10_000)
    return IswcClient(
        url,
        agency=agency,
        source_db=int(agency),
        key=options.pop("key", KEY),
        store=store,
        clock=clock.time,
        sleep=clock.sleep,
        **options,
    )


@pytest.fixture
def client(standin: StandIn, sqlite_store: Store, clock: FakeClock) -> Iterator[IswcClient]:
    with make_client(standin.url, sqlite_store, clock) as c:
        yield c


def work(
    title: str,
    code: str | None = None,
    *writers: str,
    agency: str = "128",
    iswc: str | None = None,
) -> Work:
    """A work with our work code ``code`` and the ``writers`` (names of :data:`WRITERS`, or
    an IPI name number) as composers."""
    claims = []
    for name in writers or ("CORLEY",):
        number = WRITERS.get(name, name)
        claims.append(Claim(InterestedParty(name, ipi_name_number=number), "C", Side.WRITER))
    numbers = [WorkNumber(agency, code)] if code else []
    return Work(title, iswc=iswc, numbers=numbers, claims=claims, id=1)


def member_work(title: str, code: str, *writers: str, agency: str = "128", iswc=None) -> Work:
    """A work of ours: its writers are members of ``agency``; ``code`` our work code."""
    claims = [
        Claim(
            InterestedParty(
                name,
                ipi_name_number=WRITERS.get(name, name),
                affiliations=[Affiliation(agency, Right.PR)],
            ),
            "C",
            Side.WRITER,
        )  # fmt: skip
        for name in writers or ("CORLEY",)
    ]
    return Work(title, iswc=iswc, numbers=[WorkNumber(agency, code)], claims=claims)
