"""The delivery manifest: written valid, read back, and hostile documents refused unread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import xmlschema

from adapters.safe_xml import XmlRefused
from exchange.sync import manifests
from exchange.sync.manifests import Manifest, ManifestError, ManifestFile

SHA_A = "0" * 63 + "a"
SHA_B = "b" * 64


def sample(sequence: int = 7) -> Manifest:
    return Manifest(
        sender="052",
        receiver="058",
        sequence=sequence,
        created=datetime(2026, 3, 1, 2, 30, tzinfo=UTC),
        files=(
            ManifestFile("CW260001052_058.V22", "cwr22", 1234, SHA_A, works=3),
            ManifestFile("CW260002052_058.V21", "ack", 88, SHA_B, transactions=2),
        ),
    )


def document(files: str = "", *, head: str = "", root_attributes: str = "") -> bytes:
    """A manifest's text around ``files`` (default: one valid File)."""
    files = files or (
        f"<File><Name>CW260001052_058.V22</Name><Format>cwr22</Format><Size>10</Size>"
        f"<Sha256>{SHA_A}</Sha256></File>"
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{head}'
        f'<DeliveryManifest xmlns="urn:cmo-exchange:manifest:1" version="1.0"{root_attributes}>'
        "<Sender>058</Sender><Receiver>052</Receiver><Sequence>1</Sequence>"
        f"<Created>2026-03-01T02:30:00+01:00</Created><Files>{files}</Files>"
        "</DeliveryManifest>\n"
    ).encode()


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A web server on a loopback port that records every request made to it."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def test_written_manifest_reads_back_the_same(tmp_path: Path) -> None:
    written = manifests.write(sample(), tmp_path)
    assert written.name == "MANIFEST_052_058_000007.xml"
    assert [p.name for p in tmp_path.iterdir()] == [written.name]  # no temporary left
    assert manifests.read(written) == sample()
    assert manifests.read_bytes(written.read_bytes(), "in memory") == sample()
    text = written.read_text("utf-8")
    assert "<Created>2026-03-01T02:30:00Z</Created>" in text
    assert '<Counts works="3"/>' in text and '<Counts transactions="2"/>' in text


def test_written_manifest_follows_the_schema(tmp_path: Path) -> None:
    written = manifests.write(sample(), tmp_path)
    schema = xmlschema.XMLSchema(str(manifests.SCHEMA_FILE))
    assert schema.target_namespace == manifests.NAMESPACE == "urn:cmo-exchange:manifest:1"
    schema.validate(str(written))  # raises if not valid
    assert schema.is_valid(document().decode())


def test_times_keep_their_zone(tmp_path: Path) -> None:
    paris = timezone(timedelta(hours=1))
    stamped = Manifest("052", "058", 1, datetime(2026, 3, 1, 3, 30, tzinfo=paris), sample().files)
    read = manifests.read(manifests.write(stamped, tmp_path))
    assert read.created == datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    with pytest.raises(ManifestError, match="time zone"):
        manifests.to_bytes(Manifest("052", "058", 1, datetime(2026, 3, 1), sample().files))
    path = tmp_path / "local.xml"
    path.write_bytes(document().replace(b"+01:00</Created>", b"</Created>"))
    with pytest.raises(ManifestError, match="Created"):
        manifests.read(path)


def test_only_our_own_names_are_manifests() -> None:
    assert manifests.is_manifest_name("MANIFEST_052_058_000007.xml")
    assert manifests.is_manifest_name("MANIFEST_PUB_052_1234567.xml")
    for other in (
        "CW260001052_058.V22",
        "manifests.xml",
        "MANIFEST_052_058_7.xml",
        "MANIFEST_052_058_000007.xml.pickup.complete",
        ".MANIFEST_052_058_000007.xml.part",
        "MANIFEST_05-2_058_000007.xml",
    ):
        assert not manifests.is_manifest_name(other), other


def test_writing_a_manifest_the_schema_refuses_is_a_bug(tmp_path: Path) -> None:
    for wrong in (
        ManifestFile("../CW260001052_058.V22", "cwr22", 1, SHA_A),
        ManifestFile("CW260001052_058.V22", "cwr30", 1, SHA_A),
        ManifestFile("CW260001052_058.V22", "cwr22", 1, SHA_A.upper()),
        ManifestFile("CW260001052_058.V22", "cwr22", -1, SHA_A),
    ):
        bad = Manifest("052", "058", 1, datetime.now(UTC), (wrong,))
        with pytest.raises(ManifestError, match="a bug"):
            manifests.write(bad, tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing was written


def test_the_file_name_must_agree_with_the_content(tmp_path: Path) -> None:
    path = tmp_path / "MANIFEST_058_052_000002.xml"  # the content says sequence 1
    path.write_bytes(document())
    with pytest.raises(ManifestError, match="sequence 2"):
        manifests.read(path)


# -- hostile or broken manifests ------------------------------------------------------------


def read_refused(tmp_path: Path, data: bytes, **limits: int) -> str:
    path = tmp_path / "MANIFEST_058_052_000001.xml"
    path.write_bytes(data)
    with pytest.raises((XmlRefused, ManifestError)) as refused:
        manifests.read(path, **limits)
    return str(refused.value)


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the password")
    xxe = document(head=f'<!DOCTYPE DeliveryManifest [<!ENTITY x SYSTEM "file://{secret}">]>')
    message = read_refused(tmp_path, xxe.replace(b"<Sender>058", b"<Sender>&x;058"))
    assert "DTD" in message and "line 2" in message
    assert "password" not in message


def test_an_entity_declaration_in_utf16_is_refused_too(tmp_path: Path) -> None:
    head = '<!DOCTYPE DeliveryManifest [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    text = document(head=head).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    message = read_refused(tmp_path, text.replace("<Sender>058", "<Sender>&x;").encode("utf-16"))
    assert "DTD" in message


def test_nested_entities_are_not_expanded(tmp_path: Path) -> None:
    entities = ['<!ENTITY lol0 "lol">']
    for n in range(1, 10):
        entities.append(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">')
    laughs = document(head=f"<!DOCTYPE DeliveryManifest [{''.join(entities)}]>")
    message = read_refused(tmp_path, laughs.replace(b"<Sender>058", b"<Sender>&lol9;"))
    assert "DTD" in message and "entities are never read" in message


def test_an_external_dtd_is_not_fetched(tmp_path: Path, listener: tuple[str, list[str]]) -> None:
    url, requests = listener
    for address in ("http://127.0.0.1:9/x.dtd", f"{url}/x.dtd"):
        head = f'<!DOCTYPE DeliveryManifest SYSTEM "{address}">'
        assert "DTD" in read_refused(tmp_path, document(head=head))
    assert requests == []


def test_an_xinclude_is_not_followed(tmp_path: Path, listener: tuple[str, list[str]]) -> None:
    url, requests = listener
    include = (
        f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{url}/files.xml" '
        'parse="xml"/>'
    )
    message = read_refused(tmp_path, document(include))
    assert "not a valid delivery manifest" in message and "include" in message
    assert requests == []


def test_a_schema_location_is_not_fetched(tmp_path: Path, listener: tuple[str, list[str]]) -> None:
    url, requests = listener
    hint = (
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="urn:cmo-exchange:manifest:1 {url}/manifests.xsd"'
    )
    path = tmp_path / "MANIFEST_058_052_000001.xml"
    path.write_bytes(document(root_attributes=hint))
    read = manifests.read(path)  # valid against our own schema; the hint is ignored
    assert read.sender == "058" and len(read.files) == 1
    no_namespace = (
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:noNamespaceSchemaLocation="{url}/x.xsd"'
    )
    path.write_bytes(document(root_attributes=no_namespace))
    assert manifests.read(path).sequence == 1
    assert requests == []


def test_a_manifest_larger_than_the_limit_is_refused(tmp_path: Path) -> None:
    data = document()
    message = read_refused(tmp_path, data, max_bytes=len(data) - 1)
    assert f"{len(data):,} bytes is more than" in message


def test_invalid_manifests_say_why(tmp_path: Path) -> None:
    file = "<File><Name>{}</Name><Format>{}</Format><Size>10</Size><Sha256>{}</Sha256></File>"
    cases = {
        file.format("CW260001052_058.V22", "cwr22", "A" * 64): "Sha256",
        file.format("CW260001052_058.V22", "cwr22", "a" * 63): "Sha256",
        file.format("../../etc/passwd", "cwr22", SHA_A): "Name",
        file.format("sub/CW260001052_058.V22", "cwr22", SHA_A): "Name",
        file.format("CW260001052_058.V22", "pdf", SHA_A): "Format",
        file.format("X", "cwr22", SHA_A) * 2: "duplicated",
    }
    for files, word in cases.items():
        message = read_refused(tmp_path, document(files))
        assert "not a valid delivery manifest" in message and word in message, message
        assert "line 2" in message  # where, in the document
    assert "Files" in read_refused(tmp_path, document("<Other/>"))
    wrong_namespace = document().replace(b"manifest:1", b"manifest:2")
    assert "not a valid delivery manifest" in read_refused(tmp_path, wrong_namespace)
    newer = document().replace(b'version="1.0"', b'version="2.0"')
    assert "version" in read_refused(tmp_path, newer)
    assert "not well-formed" in read_refused(tmp_path, document()[:-20])
