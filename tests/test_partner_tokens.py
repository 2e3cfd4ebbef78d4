"""Partner tokens: expiry, revocation, replacement, and how the HTTP API refuses them."""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from exchange.config import NodeConfig
from exchange.errors import ExchangeError
from exchange.http_api import create_app
from exchange.model import Partner
from exchange.partner_tokens import (
    TokenCheck,
    check_token,
    issue_token,
    parse_expiry,
    revoke_tokens,
)
from exchange.store import Store
from exchange.store import tables as t
from tests.http_server import serving
from tests.test_cli import run

START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_a_new_token_replaces_the_old_one_unless_kept(store: Store) -> None:
    first = issue_token(store, "058")
    second = issue_token(store, "058")
    assert second.replaced == 1
    assert check_token(store, first.token) == TokenCheck("058", "revoked")
    kept = issue_token(store, "058", keep=True)
    assert kept.replaced == 0
    assert check_token(store, second.token) == TokenCheck("058", None)
    assert check_token(store, kept.token) == TokenCheck("058", None)
    other = issue_token(store, "035")  # another partner's tokens are not touched
    assert other.replaced == 0 and check_token(store, kept.token).refused is None
    assert revoke_tokens(store, "058") == 2
    assert check_token(store, kept.token).refused == "revoked"
    assert check_token(store, other.token).refused is None
    assert revoke_tokens(store, "058") == 0


def test_a_token_expires(store: Store) -> None:
    expires = START + timedelta(days=90)
    issued = issue_token(store, "058", expires_at=expires)
    assert check_token(store, issued.token, at=expires - timedelta(seconds=1)).refused is None
    assert check_token(store, issued.token, at=expires) == TokenCheck("058", "expired")
    assert check_token(store, "nope") == TokenCheck(None, "unknown")
    assert check_token(store, "") == TokenCheck(None, "unknown")


@pytest.mark.parametrize("text", ["soon", "90", "-3d", "2026-11-30", "2026-12-01T09:00"])
def test_a_bad_or_past_expiry_is_refused(text: str) -> None:
    with pytest.raises(ExchangeError, match="--expires"):
        parse_expiry(text, START)


@pytest.mark.http
def test_the_api_refuses_expired_and_revoked_tokens_and_logs_without_the_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Store(f"sqlite:///{tmp_path / 's.db'}") as store:
        store.init()
        config = NodeConfig(
            society_code="052",
            data_dir=tmp_path / "data",
            partners={"058": Partner("058", "SOCIETY 058")},
        )
        valid = issue_token(store, "058", keep=True).token
        expired = issue_token(store, "058", keep=True, expires_at=START).token
        revoked = issue_token(store, "058", keep=True).token
        with store.connect() as conn:
            conn.execute(
                update(t.partner_tokens)
                .where(t.partner_tokens.c.token_hash == _hash(revoked))
                .values(revoked_at=START)
            )

        caplog.set_level(logging.WARNING, logger="exchange.http_api")
        with serving(create_app(store, config)) as url:

            def answer(token: str) -> tuple[int, str]:
                got = httpx.get(f"{url}/v1/outbox", headers={"Authorization": f"Bearer {token}"})
                return got.status_code, got.json().get("error", "")

            assert answer(valid)[0] == 200
            assert answer(expired) == (
                401,
                "the token has expired: ask the node's operator for a new one",
            )
            assert answer(revoked)[0] == 401 and "revoked" in answer(revoked)[1]
            assert answer("guessed")[1] == "unknown token"
        logged = [r.getMessage() for r in caplog.records]
        assert "refused expired token of partner 058 from 127.0.0.1" in logged
        assert "refused revoked token of partner 058 from 127.0.0.1" in logged
        assert "refused unknown token (no partner) from 127.0.0.1" in logged
        assert not any(secret in line for line in logged for secret in (expired, revoked))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_token_command_issues_replaces_and_revokes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "node.toml"
    config.write_text('[node]\nsociety_code = "052"\n[[partners]]\ncode = "058"\n')
    url = f"sqlite:///{tmp_path / 's.db'}"
    node = ("--db", url, "--config", str(config))
    assert run(capsys, *node, "init")[0] == 0
    code, out, _ = run(capsys, *node, "partners", "token", "058", "--json", "--expires", "90d")
    first = json.loads(out)
    assert code == 0 and set(first) >= {"partner", "token", "expires", "replaced"}
    assert first["partner"] == "058" and first["replaced"] == 0
    expires = datetime.fromisoformat(first["expires"])
    assert timedelta(days=89) < expires - datetime.now(UTC) <= timedelta(days=90)
    code, out, err = run(capsys, *node, "partners", "token", "058")
    second = out.strip()
    assert code == 0 and "until revoked" in err and "1 earlier token(s) revoked" in err
    with Store(url) as store:
        assert check_token(store, first["token"]).refused == "revoked"
        assert check_token(store, second).refused is None
    code, out, _ = run(capsys, *node, "partners", "token", "058", "--keep", "--json")
    assert json.loads(out)["replaced"] == 0 and json.loads(out)["expires"] is None
    code, out, _ = run(capsys, *node, "partners", "token", "058", "--revoke", "--json")
    assert (code, json.loads(out)) == (0, {"partner": "058", "revoked": 2})
    code, _, err = run(capsys, *node, "partners", "token", "058", "--expires", "yesterday")
    assert code == 2 and "--expires 'yesterday'" in err
    code, _, err = run(capsys, *node, "partners", "token", "058", "--revoke", "--keep")
    assert code == 2


def _issue(url: str, count: int, start: Any, queue: multiprocessing.Queue) -> None:
    with Store(url) as store:
        store.count_works()  # connected before the start
        start.wait()
        queue.put([issue_token(store, "058").token for _ in range(count)])


def test_tokens_issued_at_once_leave_one_in_force(db_url: str) -> None:
    """Processes issuing tokens for one partner together end as one after the other."""
    Store(db_url).init()
    context = multiprocessing.get_context("spawn")
    queue, start = context.Queue(), context.Barrier(3)
    workers = [context.Process(target=_issue, args=(db_url, 20, start, queue)) for _ in range(3)]
    for w in workers:
        w.start()
    tokens = [token for _ in workers for token in queue.get(timeout=120)]
    for w in workers:
        w.join(timeout=60)
    with Store(db_url) as store:
        in_force = [token for token in tokens if check_token(store, token).refused is None]
    assert len(tokens) == 60 and len(in_force) == 1
