"""Exchanges on the partners' schedules, with a record of every scheduled run.

Each partner with a ``schedule`` (five cron fields, read in the partner's
``timezone``) is one job of an APScheduler 3 scheduler whose job store is the
table ``scheduler_jobs`` of the node's own store: a restart finds the jobs and
their next run times where it left them. At start the jobs are brought in line
with the configuration (added, rescheduled, removed); a job whose schedule did
not change keeps its next run time, so that a run missed while the node was down
is still due.

A missed run is made up once if the node comes back within the grace time
(``misfire_grace_time``), several missed runs only once (``coalesce``), and a
run never starts while the previous one of the same partner is still going
(``max_instances=1``). Beyond the grace time the run is recorded as ``missed``.

Every run holds the partner's lease (:mod:`exchange.store.leases`) like ``exchange
sync`` does: another exchange of the same partner, in this process or another
one on the same store, makes the run ``busy`` instead of overlapping with it.

After each run, a record (outcome, files, transactions, ACK statuses, conflicts
opened) is appended to ``<data_dir>/reports/exchange-YYYY-MM-DD.jsonl`` (one JSON
object a line, what ``exchange scheduler status`` reads) and, readably, to the
``.txt`` file of the same day.

Two differences of APScheduler 3 with cron are taken care of here: its weekday
numbers start at Monday (cron's 0 and 7 are Sunday), and a fixed time met twice
when clocks go back would run twice. A schedule restricting both the day of the
month and the weekday is refused: cron runs it on either, APScheduler only on
days matching both.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from exchange.config import ConfigError, NodeConfig, load_config
from exchange.errors import ExchangeError
from exchange.identifiers import digits_value
from exchange.model import Partner
from exchange.store import DEFAULT_URL, FileEntry, Store
from exchange.store import tables as t
from exchange.store.leases import PartnerBusy, partner_lease
from exchange.store.rows import now
from exchange.sync import Sync, SyncReport
from exchange.transports.kinds import open_transport

logger = logging.getLogger(__name__)

#: Seconds after its time within which a run missed while the node was down is still made.
MISFIRE_GRACE_TIME = 3600
#: The table of the store that holds the scheduler's jobs.
JOBS_TABLE = "scheduler_jobs"
#: The purpose named in the partner's lease while a scheduled run holds it.
LEASE_PURPOSE = "scheduler"
#: What the jobs run, by reference (the job store keeps references, not functions).
JOB_FUNC = "exchange.scheduler:run_job"
OUTCOMES = ("ok", "failed", "busy", "missed")

# cron numbers weekdays from Sunday (0, and 7 as well); APScheduler 3 from Monday
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_APS_ORDER = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class SchedulerSettings:
    """How the scheduler treats runs it could not make on time."""

    misfire_grace_time: int = MISFIRE_GRACE_TIME


# -- schedules ------------------------------------------------------------------------


class CrontabTrigger(CronTrigger):
    """A cron trigger that fires a fixed time of day once when clocks go back.

    In the hour that occurs twice, APScheduler 3 fires a time such as 02:00 in
    both passes. Like cron, this trigger skips the second pass, unless the hour
    field is a wildcard (``*``, ``*/2``...): hourly schedules run in both passes.
    Fire times are given in the trigger's zone, normalised (a time that does not
    exist when clocks go forward is the instant they jump: 03:00, not 02:00).
    """

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        fire = super().get_next_fire_time(previous_fire_time, now)
        while fire is not None and self._second_pass(fire):
            fire = super().get_next_fire_time(fire, fire)
        return None if fire is None else fire.astimezone(UTC).astimezone(self.timezone)

    def _second_pass(self, fire: datetime) -> bool:
        hour = next(f for f in self.fields if f.name == "hour")
        if str(hour).startswith("*"):
            return False
        local = fire.astimezone(UTC).astimezone(self.timezone)
        return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def _weekday(text: str, end_of_range: bool = False) -> int:
    value = text.strip().lower()
    number = digits_value(value)
    if number is not None and number <= 7:
        return number
    if value in _CRON_DAYS:
        day = _CRON_DAYS.index(value)
        return 7 if day == 0 and end_of_range else day
    raise ValueError(f"{text!r} is not a weekday (0-7 or sun-sat)")


def crontab_weekdays(expression: str) -> str:
    """A crontab weekday field in APScheduler 3's terms: day names, Sunday being 0 or 7.

    >>> crontab_weekdays("1-5")
    'mon,tue,wed,thu,fri'
    >>> crontab_weekdays("0,7")
    'sun'
    >>> crontab_weekdays("*/2")
    'tue,thu,sat,sun'
    """
    if expression == "*":
        return "*"
    days: set[int] = set()
    for item in expression.split(","):
        span, slash, step_text = item.partition("/")
        if slash and not (digits_value(step_text) or 0) > 0:
            raise ValueError(f"{item!r}: the step must be a whole number above 0")
        step = int(step_text) if slash else 1
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            start, end = span.split("-", 1)
            first, last = _weekday(start), _weekday(end, end_of_range=True)
        else:
            first = _weekday(span)
            last = 6 if slash else first
        if first > last:
            raise ValueError(f"{item!r}: the range goes backwards")
        days.update(day % 7 for day in range(first, last + 1, step))
    if len(days) == 7:
        return "*"
    names = {_CRON_DAYS[day] for day in days}
    return ",".join(name for name in _APS_ORDER if name in names)


def crontab_trigger(schedule: str, timezone: str | tzinfo) -> CrontabTrigger:
    """The trigger of a five-field cron expression (minute hour day month weekday).

    ValueError says what is wrong with the expression.
    """
    fields = schedule.split()
    if len(fields) != 5:
        raise ValueError(f"five fields expected (minute hour day month weekday), not {len(fields)}")
    minute, hour, day, month, weekday = fields
    if not day.startswith("*") and not weekday.startswith("*"):
        raise ValueError(
            "it restricts both the day of the month and the weekday: cron would run on "
            "either, this scheduler only on days matching both; give one of them as *"
        )
    return CrontabTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=crontab_weekdays(weekday),
        timezone=timezone,
    )


def partner_trigger(config: NodeConfig, partner: Partner) -> CrontabTrigger:
    """The trigger of a partner's schedule; ConfigError names the partner when it is unusable."""
    if partner.schedule is None:
        raise ConfigError(f"partner {partner.code} has no schedule")
    try:
        return crontab_trigger(partner.schedule, partner.timezone)
    except ValueError as exc:
        where = f"{config.path}: " if config.path else ""
        raise ConfigError(
            f"{where}partner {partner.code}: schedule {partner.schedule!r} cannot be used: {exc}"
        ) from None


def scheduled_partners(config: NodeConfig) -> list[Partner]:
    """The partners that have a schedule, in code order."""
    return [
        config.partners[code] for code in sorted(config.partners) if config.partners[code].schedule
    ]


def next_runs(config: NodeConfig, at: datetime | None = None) -> list[dict[str, Any]]:
    """When each scheduled partner's next exchange is due after ``at`` (default: now).

    Computed from the configuration alone, whether a scheduler runs or not.
    """
    moment = at or now()
    jobs = []
    for partner in scheduled_partners(config):
        fire = partner_trigger(config, partner).get_next_fire_time(None, moment)
        jobs.append(
            {
                "partner": partner.code,
                "schedule": partner.schedule,
                "timezone": partner.timezone,
                "next_run": None if fire is None else fire.isoformat(),
                "next_run_utc": None if fire is None else fire.astimezone(UTC).isoformat(),
            }
        )
    return jobs


# -- the record of runs -------------------------------------------------------------------


@dataclass(slots=True)
class RunRecord:
    """One scheduled run of a partner's exchange: what came of it."""

    partner: str
    outcome: str  # one of OUTCOMES
    timezone: str = "UTC"
    scheduled: datetime | None = None
    started: datetime | None = None
    finished: datetime | None = None
    error: str | None = None
    received: list[str] = field(default_factory=list)
    exported: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    #: registrations received in this run (None when the run did not get that far)
    accepted: int | None = None
    rejected: int | None = None
    #: ACK statuses: those we gave the partner's registrations, those it gave ours
    acks_sent: dict[str, int] = field(default_factory=dict)
    acks_received: dict[str, int] = field(default_factory=dict)
    conflicts_opened: int | None = None

    def _iso(self, value: datetime | None) -> str | None:
        return None if value is None else value.astimezone(ZoneInfo(self.timezone)).isoformat()

    @property
    def when(self) -> datetime | None:
        """When it ran, or when it was due (a missed or skipped run)."""
        return self.started or self.scheduled

    def as_dict(self) -> dict[str, Any]:
        counted = self.accepted is not None
        return {
            "partner": self.partner,
            "outcome": self.outcome,
            "timezone": self.timezone,
            "scheduled": self._iso(self.scheduled),
            "started": self._iso(self.started),
            "finished": self._iso(self.finished),
            "error": self.error,
            "files": {
                "in": len(self.received),
                "out": len(self.exported),
                "delivered": len(self.delivered),
            },
            "received": self.received,
            "exported": self.exported,
            "delivered": self.delivered,
            "transactions": (
                {"accepted": self.accepted, "rejected": self.rejected} if counted else None
            ),
            "acks": (
                {
                    "sent": dict(sorted(self.acks_sent.items())),
                    "received": dict(sorted(self.acks_received.items())),
                }
                if counted
                else None
            ),
            "conflicts_opened": self.conflicts_opened,
        }

    def text(self) -> str:
        """A few readable lines for the morning report."""
        when = self.when.astimezone(ZoneInfo(self.timezone)) if self.when else None
        stamp = when.isoformat(sep=" ", timespec="seconds") if when else "-"
        head = f"{stamp}  {self.partner}  {self.outcome}"
        if self.outcome in ("busy", "missed"):
            return f"{head}: {self.error}" if self.error else head
        if self.started and self.finished:
            head += f" (took {(self.finished - self.started).total_seconds():.0f} s)"
        lines = [head]
        if self.error:
            lines.append(f"    error: {self.error}")
        lines.append(
            f"    files: {len(self.received)} in, {len(self.exported)} out, "
            f"{len(self.delivered)} delivered"
        )
        if self.accepted is not None:
            lines.append(f"    transactions: {self.accepted} accepted, {self.rejected} rejected")
            sent = _statuses(self.acks_sent)
            got = _statuses(self.acks_received)
            lines.append(f"    ACK statuses: sent {sent}; received {got}")
        if self.conflicts_opened is not None:
            lines.append(f"    conflicts opened: {self.conflicts_opened}")
        return "\n".join(lines)


def _statuses(counts: dict[str, int]) -> str:
    return ", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "none"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or exc.__class__.__name__


def reports_dir(config: NodeConfig) -> Path:
    return config.data_dir / "reports"


_write_lock = threading.Lock()


def write_record(config: NodeConfig, record: RunRecord) -> Path:
    """Append the record to today's report files (the node's local date); the JSON lines path."""
    folder = reports_dir(config)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"exchange-{datetime.now().astimezone():%Y-%m-%d}"
    line = json.dumps(record.as_dict(), ensure_ascii=False) + "\n"
    with _write_lock:
        with (folder / f"{stem}.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(line)
        with (folder / f"{stem}.txt").open("a", encoding="utf-8") as fh:
            fh.write(record.text() + "\n")
    return folder / f"{stem}.jsonl"


def read_records(config: NodeConfig) -> list[dict[str, Any]]:
    """Every recorded run, oldest first (lines that cannot be read are skipped)."""
    records = []
    for path in sorted(reports_dir(config).glob("exchange-*.jsonl")):
        records.extend(_records_in(path))
    return records


def _records_in(path: Path) -> list[dict[str, Any]]:
    found = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            logger.warning("%s:%d: not a JSON record, skipped", path, number)
            continue
        if isinstance(record, dict) and "partner" in record:
            found.append(record)
    return found


def last_runs(config: NodeConfig, partners: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The newest record of each of ``partners`` (those never run are missing)."""
    wanted = set(partners)
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(reports_dir(config).glob("exchange-*.jsonl"), reverse=True):
        for record in reversed(_records_in(path)):
            code = record["partner"]
            if code in wanted and code not in found:
                found[code] = record
        if len(found) == len(wanted):
            break
    return found


# -- one run ---------------------------------------------------------------------------


#: Ledger formats of registration files (their transactions are counted in a run).
REGISTRATION_FORMATS = ("cwr", "mwn", "csv", "xlsx")


def _count(record: RunRecord, entries: Iterable[FileEntry]) -> None:
    """Transactions and ACK statuses of the files received (and imported) in the run."""
    record.accepted = record.rejected = 0
    for entry in entries:
        statuses = entry.summary.get("statuses") or {}
        if entry.format in REGISTRATION_FORMATS:
            record.accepted += int(entry.summary.get("accepted") or 0)
            record.rejected += int(entry.summary.get("rejected") or 0)
        if entry.format == "cwr":
            target = record.acks_sent
        elif entry.format == "ack":
            target = record.acks_received
        else:
            continue
        for status, n in statuses.items():
            target[status] = target.get(status, 0) + int(n)


def _fill_from_report(store: Store, record: RunRecord, report: SyncReport) -> None:
    fetched = [item for item in report.received if item.get("sha256")]  # not refused names
    record.received = [item["name"] for item in fetched]
    record.exported = [item["name"] for item in report.exported if "name" in item]
    record.delivered = list(report.delivered)
    new = [item["sha256"] for item in fetched if not item.get("imported_before")]
    _count(record, filter(None, (store.find_file(sha) for sha in new)))


def _fill_from_ledger(store: Store, record: RunRecord, started: datetime) -> None:
    """After a failure: what the ledger recorded for the partner since the run started."""
    entries = store.ledger(partner=record.partner)
    received = [e for e in entries if e.direction == "in" and e.created_at >= started]
    record.received = [e.name for e in received]
    record.exported = [
        e.name
        for e in entries
        if e.direction == "out" and e.format in REGISTRATION_FORMATS and e.created_at >= started
    ]
    record.delivered = [
        e.name
        for e in entries
        if e.direction == "out"
        and e.format != "manifest"
        and e.state == "delivered"
        and e.completed_at is not None
        and e.completed_at >= started
    ]
    _count(record, received)


def _conflicts_since(store: Store, partner: str, started: datetime) -> int:
    with store.connect() as conn:
        return conn.execute(
            select(func.count())
            .select_from(t.conflicts)
            .where(t.conflicts.c.partner == partner, t.conflicts.c.opened_at >= started)
        ).scalar_one()


def run_scheduled(store: Store, config: NodeConfig, code: str, *, wait: float = 0.0) -> RunRecord:
    """One scheduled exchange with a partner under its lease, recorded in the report files.

    Never raises for a failed exchange: the outcome says ``failed`` with the error,
    or ``busy`` when another exchange holds the partner (waited for ``wait`` seconds).
    """
    partner = config.partners.get(code)
    started = now()
    record = RunRecord(code, "ok", timezone=partner.timezone if partner else "UTC", started=started)
    report: SyncReport | None = None
    logger.info("%s: scheduled exchange starting", code)
    try:
        if partner is None:
            raise ConfigError(f"partner {code} is no longer in the configuration")
        with partner_lease(store, code, LEASE_PURPOSE, wait=wait) as lease:
            transport = open_transport(partner, config)
            try:
                report = Sync(store, config, partner, transport, lease=lease).run()
            finally:
                transport.close()
    except PartnerBusy as exc:
        record.outcome, record.error = "busy", _one_line(exc)
    except Exception as exc:
        record.outcome, record.error = "failed", _one_line(exc)
        logger.debug("%s: the scheduled exchange failed", code, exc_info=True)
    record.finished = now()
    if record.outcome != "busy":
        try:
            if report is not None:
                _fill_from_report(store, record, report)
            else:
                _fill_from_ledger(store, record, started)
            record.conflicts_opened = _conflicts_since(store, code, started)
        except Exception as exc:  # the store went away: the record says what is known
            logger.warning("%s: cannot count what the run did: %s", code, _one_line(exc))
    write_record(config, record)
    log = logger.info if record.outcome == "ok" else logger.warning
    log("%s", record.text().replace("\n    ", "; "))
    return record


# -- the scheduler ------------------------------------------------------------------------

#: The nodes whose scheduler runs in this process, by configuration file: what their jobs use.
_running: dict[str, tuple[Store, NodeConfig]] = {}
_running_lock = threading.Lock()


def run_job(config_path: str, partner: str) -> dict[str, Any]:
    """What a scheduled job runs: one exchange with ``partner``; the record as a dict.

    Uses the store and configuration of the scheduler running in this process for
    ``config_path``; without one, loads the configuration and opens the store as
    the command line does ($EXCHANGE_DB, else ``[store] url``).
    """
    with _running_lock:
        node = _running.get(config_path)
    if node is not None:
        store, config = node
        return run_scheduled(store, config, partner).as_dict()
    config = load_config(config_path)
    with Store(os.environ.get("EXCHANGE_DB") or config.store_url or DEFAULT_URL) as store:
        return run_scheduled(store, config, partner).as_dict()


@dataclass(slots=True)
class JobChanges:
    """What starting the scheduler changed in its job store to match the configuration."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "kept": self.kept,
        }


class _BackgroundScheduler(BackgroundScheduler):
    """APScheduler's background scheduler, without a last round of jobs after ``shutdown()``.

    Its loop, woken by the shutdown, looks for due jobs once more: their submission
    fails (the executor is closed) and yet their next run time is moved on, so that
    a run due at that moment (or any due run of a paused scheduler) would be lost
    without being run or recorded. Checking the state under the job store lock,
    which the shutdown takes too, leaves such jobs due for the next start.
    """

    def _process_jobs(self) -> float | None:
        with self._jobstores_lock:
            if self.state == STATE_STOPPED:
                return None
            return super()._process_jobs()


class NodeScheduler:
    """The node's scheduler: a background APScheduler with its jobs in the store.

    ``start()`` brings the jobs in line with the configuration and starts running
    them; ``shutdown()`` stops, letting running exchanges finish. ``runs`` collects
    the records of the runs made or missed since the start.
    """

    def __init__(
        self, store: Store, config: NodeConfig, settings: SchedulerSettings | None = None
    ) -> None:
        if config.path is None:
            raise ExchangeError("the scheduler needs a configuration file (--config)")
        self.store = store
        self.config = config
        self.settings = settings or SchedulerSettings()
        self.config_key = str(Path(config.path).resolve())
        self.runs: list[dict[str, Any]] = []
        self._runs_lock = threading.Lock()
        self.scheduler = _BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=store.engine, tablename=JOBS_TABLE)},
            job_defaults=self._options(),
            timezone=UTC,
        )
        self.scheduler.add_listener(
            self._on_event,
            EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES,
        )

    def _options(self) -> dict[str, Any]:
        return {
            "misfire_grace_time": self.settings.misfire_grace_time,
            "coalesce": True,
            "max_instances": 1,
        }

    @property
    def running(self) -> bool:
        return self.scheduler.running

    def start(self, *, paused: bool = False) -> JobChanges:
        """Synchronise the jobs with the configuration and start (``paused``: run nothing yet)."""
        triggers = {
            p.code: partner_trigger(self.config, p) for p in scheduled_partners(self.config)
        }
        with _running_lock:
            _running[self.config_key] = (self.store, self.config)
        try:
            self.scheduler.start(paused=True)
            changes = self._synchronise(triggers)
        except BaseException:
            self.shutdown(wait=False)
            raise
        if not paused:
            self.scheduler.resume()
        return changes

    def resume(self) -> None:
        self.scheduler.resume()

    def shutdown(self, wait: bool = True) -> None:
        """Stop; with ``wait``, after the running exchanges finish."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        with _running_lock:
            if _running.get(self.config_key, (None,))[0] is self.store:
                del _running[self.config_key]

    def jobs(self) -> list[Any]:
        """The jobs of the store (APScheduler ``Job`` objects), in partner order."""
        return sorted(self.scheduler.get_jobs(), key=lambda job: job.id)

    def _synchronise(self, triggers: dict[str, CrontabTrigger]) -> JobChanges:
        changes = JobChanges()
        existing = {job.id: job for job in self.scheduler.get_jobs()}
        for code, trigger in sorted(triggers.items()):
            args = (self.config_key, code)
            options = {**self._options(), "name": f"exchange with {code}"}
            job = existing.pop(code, None)
            if job is None or repr(job.trigger) != repr(trigger):
                # a new schedule: the next run time is computed from it
                self.scheduler.add_job(
                    JOB_FUNC, trigger, id=code, args=args, replace_existing=True, **options
                )
                (changes.added if job is None else changes.changed).append(code)
            elif (
                job.func_ref != JOB_FUNC
                or tuple(job.args) != args
                or job.kwargs
                or any(getattr(job, key) != value for key, value in options.items())
            ):
                # the same schedule: the job keeps its next run time
                self.scheduler.modify_job(code, func=JOB_FUNC, args=args, kwargs={}, **options)
                changes.changed.append(code)
            else:
                changes.kept.append(code)
        for code in sorted(existing):
            self.scheduler.remove_job(code)
            changes.removed.append(code)
        return changes

    def _on_event(self, event: JobEvent) -> None:
        code = event.job_id
        partner = self.config.partners.get(code)
        zone = partner.timezone if partner else "UTC"
        if event.code == EVENT_JOB_EXECUTED:
            if isinstance(event.retval, dict):
                self._keep(event.retval)
            return
        if event.code == EVENT_JOB_MISSED:
            due = event.scheduled_run_time
            local = due.astimezone(ZoneInfo(zone)).isoformat(sep=" ", timespec="seconds")
            record = RunRecord(
                code,
                "missed",
                timezone=zone,
                scheduled=due,
                error=(
                    f"the run due at {local} was missed: the node was not running and the "
                    f"grace time of {self.settings.misfire_grace_time} s had passed"
                ),
            )
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            record = RunRecord(
                code,
                "busy",
                timezone=zone,
                scheduled=event.scheduled_run_times[-1],
                error="the previous scheduled run of this partner was still going",
            )
        else:  # EVENT_JOB_ERROR: run_job itself failed (it records exchange failures)
            record = RunRecord(
                code,
                "failed",
                timezone=zone,
                scheduled=event.scheduled_run_time,
                error=_one_line(event.exception),
            )
        logger.warning("%s", record.text())
        try:
            write_record(self.config, record)
        except OSError as exc:
            logger.error("cannot write the report of %s: %s", code, exc)
        self._keep(record.as_dict())

    def _keep(self, record: dict[str, Any]) -> None:
        with self._runs_lock:
            self.runs.append(record)
