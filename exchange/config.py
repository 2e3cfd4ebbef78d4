"""The node's TOML configuration: where it is, what it reads, what it promises.

Errors name the file and the key, so that an operator can fix them without
reading code. Secrets never live here: keys are files, passphrases and tokens
come from the environment.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from exchange import formats
from exchange.errors import ConfigError
from exchange.identifiers import is_digits
from exchange.iswc import limits

if TYPE_CHECKING:
    from exchange.model import Partner

DEFAULT_CONFIG = "exchange.toml"
#: A DDEX Party Identifier, as the MWN schema defines it.
DPID = re.compile(r"PADPIDA[a-zA-Z0-9]+")
#: What a partner may send us unless ``accept`` says otherwise: CWR and its ACKs.
DEFAULT_ACCEPT = ("cwr21", "cwr22", "ack")
#: Where the ISWC database's subscription key is read from unless [iswc] key_env says.
ISWC_KEY_ENV = "EXCHANGE_ISWC_KEY"
#: The keys of ``[partners.transport]`` for each kind (``manifest`` is read by the exchange).
TRANSPORT_KEYS: dict[str, frozenset[str]] = {
    "sftp": frozenset(
        {
            "kind",
            "host",
            "port",
            "username",
            "key_file",
            "known_hosts",
            "inbox",
            "outbox",
            "collect",
            "delivery_marker",
            "timeout",
            "retries",
            "manifest",
        }
    ),
    "http": frozenset({"kind", "url", "token_env", "timeout", "retries", "ca_file", "manifest"}),
    "folder": frozenset({"kind", "inbox", "outbox", "collect", "delivery_marker", "manifest"}),
    "served": frozenset({"kind", "manifest"}),
}
TRANSPORT_KINDS = frozenset(TRANSPORT_KEYS)
#: Keys that would put a secret into the file.
SECRETS = frozenset({"passphrase", "password", "token"})
#: The sections of the configuration and the keys of each (``partners``: of each partner).
SECTION_KEYS: dict[str, frozenset[str]] = {
    "node": frozenset({"society_code", "name", "data_dir"}),
    "store": frozenset({"url"}),
    "ddex": frozenset({"schema_dir", "dpid"}),
    "http": frozenset({"host", "port"}),
    "conflicts": frozenset({"deadline_days"}),
    "matching": frozenset({"certain", "review"}),
    "scheduler": frozenset({"grace_seconds", "workers"}),
    "iswc": frozenset(
        {
            "url",
            "agency",
            "source_db",
            "key_env",
            "requests_per_minute",
            "requests_per_month",
            "batch_size",
            "notification_partner",
            "notification_folder",
            "schedule",
            "timezone",
            "auto_approve_days",
        }
    ),
    "console": frozenset({"enabled", "session_hours", "max_failed_signins", "lockout_minutes"}),
    "partners": frozenset(
        {
            "code",
            "name",
            "send",
            "accept",
            "max_works_per_file",
            "schedule",
            "timezone",
            "transport",
            "dpid",
            "conflict_deadline_days",
        }
    ),
}


#: The scheduler's job of ``[iswc] schedule`` (partner jobs are named by partner code).
ISWC_JOB = "iswc"


@dataclass(slots=True, frozen=True)
class IswcSettings:
    """[iswc]: how the node talks to CISAC's ISWC database (docs/iswc.md)."""

    #: the agency REST API's base URL (CISAC's test or production portal, or the stand-in);
    #: None when only the file route is used (`exchange iswc submit --file`, `iswc sync`)
    url: str | None
    #: our agency code in the ISWC database (default: [node] society_code)
    agency: str
    #: our source database number (default: the agency code as a number)
    source_db: int
    #: the environment variable holding the subscription key (never the key itself)
    key_env: str = ISWC_KEY_ENV
    #: the documented limits: 10 requests a minute, 1,000,000 a month
    requests_per_minute: int = limits.REQUESTS_PER_MINUTE
    requests_per_month: int = limits.REQUESTS_PER_MONTH
    #: submissions or searches per batch request
    batch_size: int = limits.BATCH_SIZE
    #: where CISAC's notification files (ISWC JSON, EDI CSN/ACK/CSE) arrive: the inbox of
    #: a configured partner (typically CISAC's SFTP), or a folder; None: not collected
    notification_partner: str | None = None
    notification_folder: Path | None = None
    #: when the scheduler runs `iswc submit` then `iswc sync` (cron, five fields)
    schedule: str | None = None
    timezone: str = "UTC"
    #: a workflow task left pending this many days is approved by the database
    auto_approve_days: int = limits.AUTO_APPROVE_DAYS

    def key(self) -> str:
        """The subscription key from the environment, or a ConfigError saying where."""
        key = os.environ.get(self.key_env, "").strip()
        if not key:
            raise ConfigError(
                f"the ISWC database's subscription key is not set: put it in ${self.key_env} "
                "([iswc] key_env names the variable)"
            )
        return key


@dataclass(slots=True)
class NodeConfig:
    society_code: str = "000"
    name: str = "EXCHANGE NODE"
    data_dir: Path = Path("exchange-data")
    store_url: str | None = None
    ddex_schema_dir: Path | None = None
    #: [ddex] dpid: our DDEX Party Identifier (None: a stand-in made of the society code)
    ddex_dpid: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    partners: dict[str, Partner] = field(default_factory=dict)
    path: Path | None = None
    #: [conflicts] deadline_days: how long a conflict may stay unresolved
    conflict_deadline_days: int = 60
    #: [matching] scores (0-100): at or above ``match_certain`` an incoming work is
    #: merged with the work it resembles; from ``match_review`` it waits for a person
    match_certain: int = 95
    match_review: int = 80
    #: [scheduler] grace_seconds: a run missed while the node was down still runs when
    #: the node is back within this time, else it is recorded as missed
    scheduler_grace_seconds: int = 3600
    #: [scheduler] workers: exchanges one scheduler process runs at once; the due runs
    #: beyond them wait for a free worker, or for another scheduler on the same store
    scheduler_workers: int = 10
    #: [iswc]: None when the node does not talk to the ISWC database
    iswc: IswcSettings | None = None
    #: [console] enabled: whether ``exchange serve`` serves the operator console
    console_enabled: bool = True
    #: [console] session_hours: how long a sign-in lasts
    console_session_hours: int = 8
    #: [console] max_failed_signins and lockout_minutes: wrong passwords in a row that
    #: lock an account, and for how long
    console_max_failed_signins: int = 5
    console_lockout_minutes: int = 15

    def deadline_days(self, partner: str | None) -> int:
        """Days a conflict brought in by ``partner`` may stay unresolved."""
        configured = self.partners.get(partner) if partner else None
        if configured is not None and configured.conflict_deadline_days is not None:
            return configured.conflict_deadline_days
        return self.conflict_deadline_days

    @property
    def own_society(self) -> str | None:
        """Our society code, None when it is not configured."""
        return None if self.society_code == "000" else self.society_code

    def partner(self, code: str) -> Partner:
        try:
            return self.partners[code]
        except KeyError:
            known = ", ".join(sorted(self.partners)) or "none configured"
            raise ConfigError(f"unknown partner {code!r} (known: {known})") from None


class _Reader:
    """Typed access to one TOML table, with errors that name file and key."""

    def __init__(self, path: Path, prefix: str, data: dict[str, Any]) -> None:
        self.path, self.prefix, self.data = path, prefix, data

    def where(self, key: str) -> str:
        return f"{self.path}: [{self.prefix}] {key}" if self.prefix else f"{self.path}: {key}"

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            expected = (
                kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            )
            raise ConfigError(f"{self.where(key)} must be a {expected}, not {value!r}")
        return value

    def required(self, key: str, kind: type) -> Any:
        if key not in self.data:
            raise ConfigError(f"{self.where(key)} is missing")
        return self.get(key, kind)

    def only(self, known: frozenset[str] | set[str], what: str = "key") -> None:
        """Refuse keys outside ``known``, suggesting the closest known one (a typo)."""
        for key in self.data:
            if key not in known:
                close = difflib.get_close_matches(key, sorted(known), n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise ConfigError(
                    f"{self.where(key)}: unknown {what} ({hint}known: {', '.join(sorted(known))})"
                )

    def table(self, key: str) -> _Reader:
        value = self.get(key, dict, {})
        prefix = f"{self.prefix}.{key}" if self.prefix else key
        return _Reader(self.path, prefix, value)


def _society_code(reader: _Reader, key: str, value: str) -> str:
    if not (is_digits(value) and 1 <= len(value) <= 3):
        raise ConfigError(
            f"{reader.where(key)} must be a CISAC society code of 3 digits, not {value!r}"
        )
    return value.zfill(3)


def _at_least_1(reader: _Reader, key: str, default: int, unit: str) -> int:
    value = reader.get(key, int, default)
    if value < 1:
        raise ConfigError(f"{reader.where(key)} must be at least 1 {unit}, not {value}")
    return value


def _days(reader: _Reader, key: str, default: int) -> int:
    return _at_least_1(reader, key, default, "day")


def _score(reader: _Reader, key: str, default: int) -> int:
    score = reader.get(key, int, default)
    if not 0 <= score <= 100:
        raise ConfigError(f"{reader.where(key)} must be a score from 0 to 100, not {score}")
    return score


def _formats(reader: _Reader, key: str, can: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """Format names (``send``: of formats the node writes, ``accept``: that it reads)."""
    chosen = tuple(reader.get(key, list, list(default)))
    known = formats.names(can)
    for fmt in chosen:
        if fmt not in known:
            raise ConfigError(
                f"{reader.where(key)}: unknown format {fmt!r} (known: {', '.join(known)})"
            )
    return chosen


def _schedule(reader: _Reader) -> str | None:
    """A cron expression of five fields (minute hour day month weekday)."""
    schedule = reader.get("schedule", str)
    if schedule is not None and len(schedule.split()) != 5:
        raise ConfigError(
            f"{reader.where('schedule')} must be a cron expression of five fields "
            f'(minute hour day month weekday, e.g. "0 2 * * *"), not {schedule!r}'
        )
    return schedule


def _timezone(reader: _Reader) -> str:
    name = reader.get("timezone", str, "UTC")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{reader.where('timezone')}: unknown time zone {name!r} (e.g. Europe/Paris)"
        ) from None
    return name


def _dpid(reader: _Reader) -> str | None:
    value = reader.get("dpid", str)
    if value is not None and not DPID.fullmatch(value):
        raise ConfigError(
            f"{reader.where('dpid')} must be a DDEX Party Identifier (PADPIDA followed by "
            f"letters and digits), not {value!r}"
        )
    return value


def _console(reader: _Reader, config: NodeConfig) -> None:
    config.console_enabled = reader.get("enabled", bool, config.console_enabled)
    config.console_session_hours = _at_least_1(
        reader, "session_hours", config.console_session_hours, "hour"
    )
    config.console_max_failed_signins = _at_least_1(
        reader, "max_failed_signins", config.console_max_failed_signins, "sign-in"
    )
    config.console_lockout_minutes = _at_least_1(
        reader, "lockout_minutes", config.console_lockout_minutes, "minute"
    )


def _partner(reader: _Reader) -> Partner:
    from exchange.model import Partner  # only where partners are configured (startup)

    reader.only(SECTION_KEYS["partners"])
    code = reader.required("code", str).strip()
    if not code or not code.isalnum() or len(code) > 20:
        raise ConfigError(
            f"{reader.where('code')} must be a short code of letters/digits, not {code!r}"
        )
    send = _formats(reader, "send", "write", ())
    max_works = reader.get("max_works_per_file", int, 10000)
    if max_works < 1:
        raise ConfigError(f"{reader.where('max_works_per_file')} must be at least 1")
    transport = reader.table("transport")
    kind = transport.get("kind", str)
    if kind is not None and kind not in TRANSPORT_KINDS:
        raise ConfigError(
            f"{transport.where('kind')} must be one of {', '.join(sorted(TRANSPORT_KINDS))}, "
            f"not {kind!r}"
        )
    secret = next((key for key in transport.data if key in SECRETS), None)
    if secret is not None:
        raise ConfigError(
            f"{transport.where(secret)}: secrets do not belong in the configuration: a key's "
            "passphrase comes from $EXCHANGE_KEY_PASSPHRASE_<CODE>, a token from the "
            "variable that token_env names"
        )
    transport.only(TRANSPORT_KEYS[kind] if kind else frozenset().union(*TRANSPORT_KEYS.values()))
    return Partner(
        code=code,
        name=reader.get("name", str, code),
        send=send,
        max_works_per_file=max_works,
        accept=_formats(reader, "accept", "read", DEFAULT_ACCEPT),
        schedule=_schedule(reader),
        timezone=_timezone(reader),
        transport=dict(transport.data),
        dpid=_dpid(reader),
        conflict_deadline_days=(
            _days(reader, "conflict_deadline_days", 60)
            if "conflict_deadline_days" in reader.data
            else None
        ),
    )


def _iswc(reader: _Reader, society_code: str, partners: dict[str, Partner]) -> IswcSettings:
    url = reader.get("url", str)
    url = url.strip() if url is not None else None
    if url is not None and not url.startswith(("https://", "http://")):
        raise ConfigError(f"{reader.where('url')} must be an http(s) URL, not {url!r}")
    agency = reader.get("agency", str, society_code)
    if not (is_digits(agency) and 1 <= len(agency) <= 3) or agency == "000":
        raise ConfigError(
            f"{reader.where('agency')} must be our agency code of 3 digits (default: [node] "
            f"society_code), not {agency!r}"
        )
    agency = agency.zfill(3)
    source_db = reader.get("source_db", int, int(agency))
    key_env = reader.get("key_env", str, ISWC_KEY_ENV)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key_env):
        raise ConfigError(
            f"{reader.where('key_env')} must name an environment variable, not {key_env!r} "
            "(the key itself never goes in the file)"
        )
    counts = {}
    for key, default in (
        ("requests_per_minute", limits.REQUESTS_PER_MINUTE),
        ("requests_per_month", limits.REQUESTS_PER_MONTH),
        ("batch_size", limits.BATCH_SIZE),
        ("auto_approve_days", limits.AUTO_APPROVE_DAYS),
        ("source_db", source_db),
    ):
        counts[key] = reader.get(key, int, default)
        if counts[key] < 1:
            raise ConfigError(f"{reader.where(key)} must be at least 1, not {counts[key]}")
    partner = reader.get("notification_partner", str)
    folder = reader.get("notification_folder", str)
    if partner is not None and folder is not None:
        raise ConfigError(
            f"{reader.where('notification_folder')}: notifications come either from a partner "
            "or from a folder, not both"
        )
    if partner is not None and partner not in partners:
        known = ", ".join(sorted(partners)) or "none configured"
        raise ConfigError(
            f"{reader.where('notification_partner')}: unknown partner {partner!r} (known: {known})"
        )
    schedule = _schedule(reader)
    if schedule is not None and ISWC_JOB in partners:
        raise ConfigError(
            f"{reader.where('schedule')}: the scheduler's job of the ISWC database is named "
            f"{ISWC_JOB!r}, as a partner is: give that partner another code"
        )
    return IswcSettings(
        url=url.rstrip("/") if url else None,
        agency=agency,
        key_env=key_env,
        notification_partner=partner,
        notification_folder=reader.path.parent / folder if folder else None,
        schedule=schedule,
        timezone=_timezone(reader),
        **counts,
    )


def load_config(path: str | os.PathLike[str] | None = None) -> NodeConfig:
    """Read the configuration: ``path``, else ``$EXCHANGE_CONFIG``, else ``./exchange.toml``.

    Without any of them, the defaults serve local commands.
    """
    explicit = path or os.environ.get("EXCHANGE_CONFIG")
    if explicit is None:
        if not Path(DEFAULT_CONFIG).exists():
            return NodeConfig()
        explicit = DEFAULT_CONFIG
    file = Path(explicit)
    try:
        with file.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{file}: configuration file not found") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read configuration: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    return parse_config(data, file)


def parse_config(data: dict[str, Any], file: Path) -> NodeConfig:
    root = _Reader(file, "", data)
    root.only(set(SECTION_KEYS), "section")
    for section, keys in SECTION_KEYS.items():
        if section != "partners":
            root.table(section).only(keys)
    base = file.parent
    node = root.table("node")
    config = NodeConfig(path=file)
    code = node.get("society_code", str)
    if code is not None:
        config.society_code = _society_code(node, "society_code", code)
    config.name = node.get("name", str, config.name)
    config.data_dir = base / node.get("data_dir", str, str(config.data_dir))
    config.store_url = root.table("store").get("url", str)
    ddex = root.table("ddex")
    schema_dir = ddex.get("schema_dir", str)
    config.ddex_schema_dir = base / schema_dir if schema_dir else None
    config.ddex_dpid = _dpid(ddex)
    http = root.table("http")
    config.http_host = http.get("host", str, config.http_host)
    config.http_port = http.get("port", int, config.http_port)
    config.conflict_deadline_days = _days(
        root.table("conflicts"), "deadline_days", config.conflict_deadline_days
    )
    scheduler = root.table("scheduler")
    config.scheduler_grace_seconds = scheduler.get(
        "grace_seconds", int, config.scheduler_grace_seconds
    )
    if config.scheduler_grace_seconds < 1:
        raise ConfigError(f"{scheduler.where('grace_seconds')} must be at least 1 second")
    config.scheduler_workers = scheduler.get("workers", int, config.scheduler_workers)
    if config.scheduler_workers < 1:
        raise ConfigError(f"{scheduler.where('workers')} must be at least 1")
    _console(root.table("console"), config)
    matching = root.table("matching")
    config.match_certain = _score(matching, "certain", config.match_certain)
    config.match_review = _score(matching, "review", config.match_review)
    if config.match_review > config.match_certain:
        raise ConfigError(
            f"{matching.where('review')} ({config.match_review}) must not be above "
            f"certain ({config.match_certain})"
        )
    partners = root.get("partners", list, [])
    for index, item in enumerate(partners):
        if not isinstance(item, dict):
            raise ConfigError(f"{file}: partners[{index}] must be a table ([[partners]])")
        partner = _partner(_Reader(file, f"partners[{index}]", item))
        if partner.code in config.partners:
            raise ConfigError(f"{file}: partners[{index}] code {partner.code!r} appears twice")
        config.partners[partner.code] = partner
    if "iswc" in data:
        config.iswc = _iswc(root.table("iswc"), config.society_code, config.partners)
    return config
