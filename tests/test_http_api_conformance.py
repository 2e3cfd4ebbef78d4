"""The HTTP API against its own OpenAPI document: schemathesis sends what the document
allows and what it does not, to the real server on loopback, with a partner's token
and without one. No answer may be a 5xx, break the declared response schemas or
status codes, accept a request the document forbids or refuse one it allows.

The run is derandomized (the same requests every time) and bounded: at most
:data:`EXAMPLES_PER_ROUTE` requests per route and mode (about 20 s in all).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from exchange.config import NodeConfig
from exchange.demo import sample_works
from exchange.http_api import create_app
from exchange.model import Partner, Source
from exchange.partner_tokens import issue_token
from exchange.store import Store
from tests.http_server import serving

pytestmark = pytest.mark.http

EXAMPLES_PER_ROUTE = 50
#: Refusals the OpenAPI document cannot express but declares as 400 on /v1/works:
#: exactly one of iswc= and key=, an ISWC's check digit.
SEMANTIC_REFUSALS = ["2xx", "400", "401", "403", "404"]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A served node with works and outbox files; its URL and partner 058's token."""
    folder = tmp_path_factory.mktemp("conformance")
    store = Store(f"sqlite:///{folder}/s.db")
    store.init()
    store.add_works((work, Source(partner="DMO", file="demo")) for work in sample_works())
    config = NodeConfig(
        society_code="052",
        name="TEST NODE",
        data_dir=folder / "data",
        partners={code: Partner(code, f"SOCIETY {code}") for code in ("058", "035")},
    )
    outbox = folder / "data" / "outbox" / "058"
    outbox.mkdir(parents=True)
    for name in ("0", "A", "CW260001052_058.V22"):  # names generated early
        (outbox / name).write_bytes(b"HDR for 058\r\n")
    token = issue_token(store, "058").token
    try:
        with serving(create_app(store, config, max_upload=64 * 1024)) as url:
            yield url, token
    finally:
        store.close()


def _schema(url: str, token: str | None) -> schemathesis.BaseSchema:
    config = {
        "seed": 15,
        "generation": {"max-examples": EXAMPLES_PER_ROUTE},
        "operations": [
            {
                "include-path": "/v1/works",
                "checks": {"positive_data_acceptance": {"expected-statuses": SEMANTIC_REFUSALS}},
            }
        ],
    }
    if token is not None:
        config["auth"] = {"openapi": {"HTTPBearer": {"bearer": token}}}
    return schemathesis.openapi.from_url(
        f"{url}/openapi.json", config=schemathesis.Config.from_dict(config)
    )


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("with_token", [True, False], ids=["token", "no-token"])
def test_the_api_does_what_its_openapi_document_says(
    node: tuple[str, str], mode: GenerationMode, with_token: bool
) -> None:
    url, token = node
    schema = _schema(url, token if with_token else None)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6
    answered: Counter[tuple[str, int]] = Counter()
    for operation in operations:
        inputs = (operation.path_parameters, operation.query, operation.body)
        if mode is GenerationMode.NEGATIVE and not any(len(x) for x in inputs):
            continue  # nothing to break (GET /v1/health, GET /v1/outbox)

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES_PER_ROUTE,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call_and_validate()
            answered[(case.operation.label, response.status_code)] += 1

        check()
    if with_token and mode is GenerationMode.POSITIVE:  # the token did open every route
        for operation in operations:
            assert any(
                label == operation.label and code not in (401, 403) for label, code in answered
            ), operation.label
