"""The node's HTTP API, served by a real uvicorn on 127.0.0.1, and the http transport."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from exchange.cli.common import NodeContext
from exchange.cli.partners import token as token_command
from exchange.config import ConfigError, NodeConfig
from exchange.demo import sample_works
from exchange.http_api import create_app
from exchange.model import Partner, Source
from exchange.partner_tokens import TokenCheck, check_token, issue_token
from exchange.store import Store
from exchange.transports import COLLECTED, RemoteFile, TransportError
from exchange.transports.http import HttpSettings, HttpTransport
from tests.http_server import free_port, serving

pytestmark = pytest.mark.http

MAX_UPLOAD = 64 * 1024


@dataclass
class Node:
    url: str
    store: Store
    config: NodeConfig
    data_dir: Path
    tokens: dict[str, str]

    def transport(self, partner: str, monkeypatch: pytest.MonkeyPatch, **options) -> HttpTransport:
        monkeypatch.setenv(f"EXCHANGE_TOKEN_{partner}", self.tokens[partner])
        settings = HttpSettings.from_partner(
            Partner(partner, partner, transport={"url": self.url, **options}), self.data_dir
        )
        return HttpTransport(settings)

    def outbox(self, partner: str) -> Path:
        folder = self.data_dir / "outbox" / partner
        folder.mkdir(parents=True, exist_ok=True)
        return folder


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    store = Store(f"sqlite:///{tmp_path}/s.db")
    store.init()
    config = NodeConfig(
        society_code="052",
        name="TEST NODE",
        data_dir=tmp_path / "data",
        partners={code: Partner(code, f"SOCIETY {code}") for code in ("058", "035")},
    )
    tokens = {code: issue_token(store, code).token for code in config.partners}
    try:
        with serving(create_app(store, config, max_upload=MAX_UPLOAD)) as url:
            yield Node(url, store, config, tmp_path / "data", tokens)
    finally:
        store.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_health_needs_no_token(node: Node) -> None:
    answer = httpx.get(f"{node.url}/v1/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "society": "052", "name": "TEST NODE"}


@pytest.mark.parametrize("headers", [{}, bearer("not-a-token"), {"Authorization": "Basic eDp5"}])
def test_other_routes_need_a_known_token(node: Node, headers: dict[str, str]) -> None:
    for method, path in [
        ("GET", "/v1/outbox"),
        ("GET", "/v1/outbox/x.V22"),
        ("POST", "/v1/outbox/x.V22/collected"),
        ("PUT", "/v1/inbox/x.V22"),
        ("GET", "/v1/works?iswc=T0345246801"),
    ]:
        answer = httpx.request(method, node.url + path, headers=headers, content=b"")
        assert answer.status_code == 401, (method, path)
        assert "error" in answer.json()
        assert answer.headers["www-authenticate"] == "Bearer"
    assert not (node.data_dir / "inbox").exists()


def test_tokens_are_stored_as_hashes_and_can_be_revoked(node: Node) -> None:
    from sqlalchemy import select, update

    from exchange.store import tables as t

    token = node.tokens["058"]
    assert check_token(node.store, token).partner == "058"
    assert check_token(node.store, token + "x").refused == "unknown"
    with node.store.connect() as conn:
        hashes = set(conn.execute(select(t.partner_tokens.c.token_hash)).scalars())
        assert token not in hashes
        assert hashlib.sha256(token.encode()).hexdigest() in hashes
        conn.execute(
            update(t.partner_tokens)
            .where(t.partner_tokens.c.partner == "058")
            .values(revoked_at=t.partner_tokens.c.created_at)
        )
    assert check_token(node.store, token).refused == "revoked"
    assert httpx.get(f"{node.url}/v1/outbox", headers=bearer(token)).status_code == 401


def test_deliver_puts_the_file_in_the_partners_inbox(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "CW260001052_058.V22"
    local.write_bytes(b"HDR" + bytes(range(256)) * 100)
    with node.transport("058", monkeypatch) as transport:
        transport.deliver(local)
        transport.deliver(local, "renamed.V22")
    inbox = node.data_dir / "inbox" / "058"
    assert sorted(p.name for p in inbox.iterdir()) == ["CW260001052_058.V22", "renamed.V22"]
    assert (inbox / "CW260001052_058.V22").read_bytes() == local.read_bytes()


def test_outbox_list_fetch_and_mark_collected(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = node.outbox("058")
    (outbox / "B.V22").write_bytes(b"second file")
    (outbox / "A.V22").write_bytes(b"first file")
    (outbox / ".hidden.part").write_bytes(b"being written")
    (outbox / "OLD.V22").write_bytes(b"already collected")
    (outbox / ("OLD.V22" + COLLECTED)).write_text("")
    (outbox / "A.V22.delivery.complete").write_text("")
    with node.transport("058", monkeypatch) as transport:
        listed = transport.list_inbound()
        assert [f.name for f in listed] == ["A.V22", "B.V22"]
        first = listed[0]
        assert first.size == len(b"first file")
        assert first.sha256 == hashlib.sha256(b"first file").hexdigest()
        assert first.modified is not None and first.modified.tzinfo is not None

        target = transport.fetch(first, tmp_path / "got" / "A.V22")
        assert target.read_bytes() == b"first file"
        assert sorted(p.name for p in target.parent.iterdir()) == ["A.V22"]

        transport.mark_collected(first)
        assert (outbox / ("A.V22" + COLLECTED)).exists()
        assert [f.name for f in transport.list_inbound()] == ["B.V22"]
        with pytest.raises(TransportError, match="404"):
            transport.fetch(first, tmp_path / "again" / "A.V22")
        assert not any((tmp_path / "again").iterdir())

        described = transport.describe()
    assert described == {
        "kind": "http",
        "url": node.url,
        "node": {"status": "ok", "society": "052", "name": "TEST NODE"},
        "outbox": {"files": 1},
    }


def test_fetch_refuses_a_file_that_differs_from_the_listing(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (node.outbox("058") / "A.V22").write_bytes(b"content")
    with node.transport("058", monkeypatch) as transport:
        (listed,) = transport.list_inbound()
        wrong = RemoteFile(listed.name, listed.size, listed.modified, "0" * 64)
        with pytest.raises(TransportError, match="SHA-256"):
            transport.fetch(wrong, tmp_path / "got" / "A.V22")
        with pytest.raises(TransportError, match="bytes"):
            transport.fetch(RemoteFile("A.V22", size=3), tmp_path / "got" / "A.V22")
    assert list((tmp_path / "got").iterdir()) == []


def test_a_partner_sees_only_its_own_folders(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (node.outbox("058") / "FOR058.V22").write_bytes(b"secret of 058")
    headers = bearer(node.tokens["035"])
    with node.transport("035", monkeypatch) as transport:
        assert transport.list_inbound() == []
        with pytest.raises(TransportError, match="404"):
            transport.fetch(RemoteFile("FOR058.V22"), tmp_path / "stolen")
        with pytest.raises(TransportError, match="404"):
            transport.mark_collected(RemoteFile("FOR058.V22"))
        local = tmp_path / "FROM035.V22"
        local.write_bytes(b"from 035")
        transport.deliver(local)
    assert not (tmp_path / "stolen").exists()
    assert httpx.get(f"{node.url}/v1/outbox/FOR058.V22", headers=headers).status_code == 404
    # an encoded traversal to the other partner's folder matches no route or fails safe_name
    for sneaky in ("..%2F058%2FFOR058.V22", "..%5C058%5CFOR058.V22"):
        answer = httpx.get(f"{node.url}/v1/outbox/{sneaky}", headers=headers)
        assert answer.status_code in (400, 404, 422)
        assert b"secret" not in answer.content
    assert not (node.outbox("058") / ("FOR058.V22" + COLLECTED)).exists()
    assert (node.data_dir / "inbox" / "035" / "FROM035.V22").exists()
    assert not (node.data_dir / "inbox" / "058").exists()


def test_uploads_over_the_limit_are_refused_and_leave_nothing(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    large = tmp_path / "LARGE.V22"
    large.write_bytes(b"x" * (MAX_UPLOAD + 1))
    with node.transport("058", monkeypatch, retries=0) as transport:
        with pytest.raises(TransportError, match="413"):
            transport.deliver(large)
        # far larger than socket buffers: the server answers before reading it all
        huge = tmp_path / "HUGE.V22"
        huge.write_bytes(b"x" * (MAX_UPLOAD * 64))
        with pytest.raises(TransportError):
            transport.deliver(huge)

    def chunks():  # no Content-Length: the server must count
        for _ in range(MAX_UPLOAD // 1024 + 2):
            yield b"y" * 1024

    answer = httpx.put(
        f"{node.url}/v1/inbox/LIAR.V22", headers=bearer(node.tokens["058"]), content=chunks()
    )
    assert answer.status_code == 413
    assert "error" in answer.json()
    inbox = node.data_dir / "inbox" / "058"
    assert not inbox.exists() or list(inbox.iterdir()) == []


@pytest.mark.parametrize("name", ["..", ".hidden", "a\\b", "..%2Fescape"])
def test_names_that_leave_the_folder_are_refused(node: Node, name: str) -> None:
    answer = httpx.put(
        f"{node.url}/v1/inbox/{name}", headers=bearer(node.tokens["058"]), content=b"data"
    )
    assert answer.status_code in (400, 404, 405, 422)
    assert not (node.data_dir / "escape").exists()
    inbox = node.data_dir / "inbox" / "058"
    assert not inbox.exists() or list(inbox.iterdir()) == []


def test_the_transport_refuses_bad_names_before_sending(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "file.V22"
    local.write_bytes(b"data")
    with node.transport("058", monkeypatch) as transport:
        with pytest.raises(TransportError, match="refused remote file name"):
            transport.deliver(local, "../../escape")
        with pytest.raises(TransportError, match="refused remote file name"):
            transport.fetch(RemoteFile("../058/x"), tmp_path / "x")


def test_works_lookup(node: Node) -> None:
    source = Source(partner="DMO", file="demo")
    node.store.add_works((work, source) for work in sample_works())
    headers = bearer(node.tokens["035"])
    answer = httpx.get(f"{node.url}/v1/works", params={"iswc": "T-034.524.680-1"}, headers=headers)
    assert answer.status_code == 200
    work = answer.json()["work"]
    assert work["iswc"] == "T0345246801"
    assert work["title"] == "LANTERNS OVER THE BAY"
    by_key = httpx.get(f"{node.url}/v1/works", params={"key": str(work["id"])}, headers=headers)
    assert by_key.json()["work"]["id"] == work["id"]
    missing = httpx.get(f"{node.url}/v1/works", params={"iswc": "T0000000010"}, headers=headers)
    assert missing.status_code == 404
    invalid = httpx.get(f"{node.url}/v1/works", params={"iswc": "T123"}, headers=headers)
    assert invalid.status_code == 400
    assert httpx.get(f"{node.url}/v1/works", headers=headers).status_code == 400


def test_openapi_lists_the_routes(node: Node) -> None:
    document = httpx.get(f"{node.url}/openapi.json").json()
    assert document["info"]["title"] == "cmo-exchange node"
    assert set(document["paths"]) == {
        "/v1/health",
        "/v1/inbox/{name}",
        "/v1/outbox",
        "/v1/outbox/{name}",
        "/v1/outbox/{name}/collected",
        "/v1/works",
    }
    assert "HTTPBearer" in document["components"]["securitySchemes"]


def test_the_api_docs_load_everything_from_the_node(node: Node) -> None:
    answer = httpx.get(f"{node.url}/docs")
    assert answer.status_code == 200 and answer.headers["x-frame-options"] == "DENY"
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "http" not in policy  # no other host, by name or scheme
    linked = re.findall(r"""(?:src|href|url|spec-url)\s*[=:]\s*['"]([^'"]+)['"]""", answer.text)
    assert linked and "/openapi.json" in linked
    assert not re.search(r"https?://", answer.text), "the page names another host"
    assert httpx.get(f"{node.url}/redoc").status_code == 404  # ReDoc would call its CDN
    for path in linked:
        assert path.startswith("/"), path
        asset = httpx.get(f"{node.url}{path}")
        assert asset.status_code == 200, path
        assert asset.content, path


def test_a_wrong_token_is_reported_as_refused(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node.tokens["058"] = "wrong"
    with (
        node.transport("058", monkeypatch) as transport,
        pytest.raises(TransportError, match="refused our token"),
    ):
        transport.list_inbound()


def test_unreachable_node_is_retried_then_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXCHANGE_TOKEN_058", "t")
    sleeps: list[float] = []
    monkeypatch.setattr("exchange.transports.http.time.sleep", sleeps.append)
    settings = HttpSettings.from_partner(
        Partner("058", "X", transport={"url": f"http://127.0.0.1:{free_port()}", "retries": 2}),
        Path("."),
    )
    with HttpTransport(settings) as transport, pytest.raises(TransportError):
        transport.list_inbound()
    assert sleeps == [0.2, 0.4]


def test_settings_from_the_partner_table(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=r"\[partners.transport\] url"):
        HttpSettings.from_partner(Partner("058", "X", transport={"kind": "http"}), Path("."))
    settings = HttpSettings.from_partner(
        Partner("a-b", "X", transport={"url": "https://node.example/"}), Path(".")
    )
    assert settings.url == "https://node.example"
    assert settings.token_env == "EXCHANGE_TOKEN_A_B"
    assert (settings.timeout, settings.retries) == (30.0, 3)
    monkeypatch.delenv("EXCHANGE_TOKEN_A_B", raising=False)
    with pytest.raises(TransportError, match="EXCHANGE_TOKEN_A_B"):
        HttpTransport(settings)


def test_token_command(node: Node) -> None:
    context = NodeContext(json=True, _config=node.config)
    context.db_url = node.store.url
    runner = CliRunner()
    result = runner.invoke(token_command, ["058", "--json"], obj=context)
    assert result.exit_code == 0, result.output
    import json

    answer = json.loads(result.stdout)
    assert answer["partner"] == "058"
    assert check_token(node.store, answer["token"]) == TokenCheck("058", None)
    unknown = runner.invoke(token_command, ["999"], obj=context)
    assert "035, 058" in str(unknown.exception)


# -- bad input: always a 4xx with a JSON error, never a 500 -------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/v1/inbox/{}"), ("GET", "/v1/outbox/{}"), ("POST", "/v1/outbox/{}/collected")],
)
def test_file_names_over_255_bytes_are_refused(node: Node, method: str, path: str) -> None:
    headers = bearer(node.tokens["058"])
    for name in ("x" * 256, "é" * 128):  # 256 bytes, in ASCII and in UTF-8
        answer = httpx.request(method, node.url + path.format(name), headers=headers, content=b"x")
        assert answer.status_code in (400, 422), answer.text
        assert "error" in answer.json()
    inbox = node.data_dir / "inbox" / "058"
    assert not inbox.exists() or list(inbox.iterdir()) == []


def test_a_name_of_255_bytes_is_delivered_and_marked(node: Node) -> None:
    headers = bearer(node.tokens["058"])
    name = "é" * 127 + "x"
    answer = httpx.put(f"{node.url}/v1/inbox/{name}", headers=headers, content=b"data")
    assert answer.status_code == 201, answer.text
    assert (node.data_dir / "inbox" / "058" / name).read_bytes() == b"data"
    (node.outbox("058") / name).write_bytes(b"for 058")  # its marker's name is too long
    assert httpx.get(f"{node.url}/v1/outbox", headers=headers).json()["files"][0]["name"] == name
    answer = httpx.post(f"{node.url}/v1/outbox/{name}/collected", headers=headers)
    assert answer.status_code == 400 and "cannot mark" in answer.json()["error"]


UNFINDABLE = {
    "superscript-two": "²",
    "arabic-indic-digits": "١٢",
    "over-64-bits": "9" * 19,
    "far-over-64-bits": "9" * 30,
    "over-python-int-digits": "9" * 5000,
    "nul-in-work-number": "058:\x00",
    "nul": "\x00",
    "nul-after-iswc": "T-034.524.680-1\x00",
}


@pytest.mark.parametrize("key", UNFINDABLE.values(), ids=UNFINDABLE.keys())
def test_keys_no_work_can_have_find_nothing(node: Node, key: str) -> None:
    answer = httpx.get(
        f"{node.url}/v1/works", params={"key": key}, headers=bearer(node.tokens["058"])
    )
    assert answer.status_code == 404, answer.text
    assert "no work for" in answer.json()["error"]


@pytest.mark.parametrize("query", ["iswc=", "key=", "iswc=&key=1"])
def test_empty_lookups_break_the_declared_constraints(node: Node, query: str) -> None:
    """The OpenAPI document gives iswc and key a minimum length of 1: 422, with details."""
    answer = httpx.get(f"{node.url}/v1/works?{query}", headers=bearer(node.tokens["058"]))
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"].startswith("invalid request: query.") and body["details"]
    declared = httpx.get(f"{node.url}/openapi.json").json()["paths"]["/v1/works"]["get"]
    assert {p["name"]: p["schema"]["anyOf"][0]["minLength"] for p in declared["parameters"]} == {
        "iswc": 1,
        "key": 1,
    }
    assert "422" in declared["responses"]


def test_a_put_without_a_body_delivers_nothing(node: Node) -> None:
    headers = bearer(node.tokens["058"])
    url = f"{node.url}/v1/inbox/EMPTY.V22"

    def nothing():
        yield from ()

    no_length = httpx.Request("PUT", url, headers=headers)
    no_length.headers.pop("Content-Length", None)
    with httpx.Client() as client:
        assert client.send(no_length).status_code == 411
    assert httpx.put(url, headers=headers, content=b"").status_code == 400
    answer = httpx.put(url, headers=headers, content=nothing())  # chunked, no chunk
    assert answer.status_code == 400 and "empty" in answer.json()["error"]
    inbox = node.data_dir / "inbox" / "058"
    assert not inbox.exists() or list(inbox.iterdir()) == []
    declared = httpx.get(f"{node.url}/openapi.json").json()["paths"]["/v1/inbox/{name}"]["put"]
    assert declared["requestBody"]["required"] is True
    body = declared["requestBody"]["content"]["application/octet-stream"]["schema"]
    assert body["minLength"] == 1 and {"411", "400"} <= set(declared["responses"])
