"""The node's DDEX identity and schema: the DPIDs of the node and of its partners,
and the DDEX MWN 1.3 schema folder every message written or read is validated
against.

The schema is not part of the project (DDEX licenses it); the folder (``[ddex]
schema_dir``, or the environment variable ``EXCHANGE_DDEX_SCHEMA_DIR``) must hold
``works-share-notification-choreography.xsd``, ``allowed-value-sets.xsd`` and
``xmldsig-core-schema.xsd`` (to which the schema's network reference to xmldsig
is mapped: nothing is fetched).
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from adapters import safe_xml
from adapters.ddex.mwn.reader import STREAMED
from adapters.ddex.mwn.vocabulary import WORLDWIDE
from exchange.config import NodeConfig
from exchange.errors import EXIT_USAGE, ExchangeError

MAIN_SCHEMA = "works-share-notification-choreography.xsd"
XMLDSIG = "http://www.w3.org/2000/09/xmldsig#"
SCHEMA_ENV = "EXCHANGE_DDEX_SCHEMA_DIR"
#: The stand-in DPID of a node whose DPID is not configured: PADPIDA + CISAC + society.
STAND_IN = re.compile(r"PADPIDACISAC(\d{3})")


def schema_dir(config: NodeConfig) -> Path | None:
    """The folder of the DDEX MWN 1.3 schemas: the configuration's, else the environment's."""
    if config.ddex_schema_dir is not None:
        return config.ddex_schema_dir
    found = os.environ.get(SCHEMA_ENV)
    return Path(found) if found else None


@functools.lru_cache(maxsize=4)
def load_schema(folder: Path) -> safe_xml.Schema:
    """The MWN 1.3 schema from a local folder (xmldsig mapped to the local copy)."""
    main = folder / MAIN_SCHEMA
    if not main.is_file():
        raise ExchangeError(
            f"{folder}: no {MAIN_SCHEMA} here; [ddex] schema_dir must be the folder of the "
            "DDEX MWN 1.3 schemas",
            EXIT_USAGE,
        )
    # Most TerritoryCodes of a message say Worldwide, the last of the 500 territory
    # codes the allowed value sets list: libxml2 compares it first.
    return safe_xml.load_schema(
        main, {XMLDSIG: folder / "xmldsig-core-schema.xsd"}, first=(WORLDWIDE,)
    )


def message_errors(folder: Path, path: Path, where: str) -> list[str]:
    """The schema errors of an MWN message the node wrote (none: valid), each saying
    where.

    libxml2 validates the message as it streams it; xmlschema reads only a message
    libxml2 refuses, for the details. Run in worker processes too (the schema is
    loaded once per process).
    """
    schema = load_schema(folder)
    if safe_xml.schema_accepts(schema, path, STREAMED):
        return []
    return safe_xml.validate(schema, safe_xml.parse(path), where)


def dpid_of(config: NodeConfig, code: str | None = None) -> str:
    """Our DPID (``code`` None) or a partner's: configured, else the stand-in."""
    if code is None:
        return config.ddex_dpid or f"PADPIDACISAC{config.society_code}"
    partner = config.partners.get(code)
    if partner is not None and partner.dpid:
        return partner.dpid
    return f"PADPIDACISAC{code}" if code.isalnum() else "PADPIDACISAC000"


def sender_code(config: NodeConfig, dpid: str) -> str | None:
    """The partner code a DPID stands for (configured partners, then the stand-in)."""
    for code, partner in config.partners.items():
        if partner.dpid == dpid:
            return code
    found = STAND_IN.fullmatch(dpid)
    return found.group(1) if found else None
