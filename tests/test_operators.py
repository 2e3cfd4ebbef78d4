"""Operator accounts: the CLI, argon2 hashes, the stored lockout, sessions (both engines)."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import select

from exchange.operators import Lockout, find_session, open_session, sign_in
from exchange.store import Store
from exchange.store import tables as t

PASSWORD = "a long password 1"


def run(db_url: str, *args: str, input: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exchange", "--db", db_url, *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_operators_from_the_command_line(db_url: str) -> None:
    assert run(db_url, "init").returncode == 0
    added = run(db_url, "operators", "add", "alice", "--role", "operator", "--json",
                input=PASSWORD + "\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["operator"]["role"] == "operator"
    # the password is never an argument
    refused = run(db_url, "operators", "add", "bob", PASSWORD, "--role", "viewer")
    assert refused.returncode == 2 and "unexpected extra argument" in refused.stderr.lower()
    short = run(db_url, "operators", "add", "bob", "--role", "viewer", input="short\n")
    assert short.returncode == 2 and "at least 12" in short.stderr
    twice = run(db_url, "operators", "add", "alice", "--role", "viewer", input=PASSWORD + "\n")
    assert twice.returncode == 2 and "exists already" in twice.stderr
    with Store(db_url) as store:
        stored = store.connect
        with stored() as conn:
            hashed = conn.execute(select(t.operators.c.password_hash)).scalar_one()
        assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
        lockout = Lockout()
        assert sign_in(store, "alice", PASSWORD, lockout).operator is not None
        token, _ = open_session(store, sign_in(store, "alice", PASSWORD, lockout).operator, 1)
        assert find_session(store, token) is not None

        # a new password: the old one fails, the sessions end
        changed = run(db_url, "operators", "passwd", "alice", input="another password 2\n")
        assert changed.returncode == 0, changed.stderr
        assert find_session(store, token) is None
        assert sign_in(store, "alice", PASSWORD, lockout).operator is None
        assert sign_in(store, "alice", "another password 2", lockout).operator is not None

        disabled = run(db_url, "operators", "disable", "alice")
        assert disabled.returncode == 0, disabled.stderr
        assert sign_in(store, "alice", "another password 2", lockout).operator is None
    listed = json.loads(run(db_url, "operators", "list", "--json").stdout)["operators"]
    assert [(o["name"], o["disabled"]) for o in listed] == [("alice", True)]
    assert run(db_url, "operators", "disable", "nobody").returncode == 1


def test_the_lockout_is_stored(db_url: str) -> None:
    with Store(db_url) as store:
        store.init()
    assert run(db_url, "operators", "add", "carol", "--role", "viewer",
               input=PASSWORD + "\n").returncode == 0  # fmt: skip
    lockout = Lockout(max_failures=3, minutes=10)
    with Store(db_url) as store:
        for _ in range(3):
            assert (
                sign_in(store, "carol", "wrong", lockout).refused == "wrong user name or password"
            )
    with Store(db_url) as other:  # another process, later: still locked
        refused = sign_in(other, "carol", PASSWORD, lockout)
        assert refused.operator is None and "too many failed sign-ins" in str(refused.refused)
    listed = json.loads(run(db_url, "operators", "list", "--json").stdout)["operators"]
    assert listed[0]["locked_until"] is not None
    assert "locked" in run(db_url, "operators", "list").stdout


def test_an_unknown_name_is_told_as_a_wrong_password(db_url: str) -> None:
    with Store(db_url) as store:
        store.init()
        assert sign_in(store, "nobody", PASSWORD, Lockout()).refused == (
            "wrong user name or password"
        )
