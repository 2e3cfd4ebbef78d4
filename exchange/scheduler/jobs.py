"""Exchanges on the partners' schedules: one APScheduler 3 job per partner.

Each partner with a ``schedule`` (:mod:`exchange.scheduler.cron`) is one job of
a scheduler whose job store is the table ``scheduler_jobs`` of the node's own
store: a restart finds the jobs and their next run times where it left them. At
start the jobs are brought in line with the configuration (added, rescheduled,
removed); a job whose schedule did not change keeps its next run time, so that a
run missed while the node was down is still due.

A missed run is made up once if the node comes back within the grace time
(``misfire_grace_time``), several missed runs only once (``coalesce``), and a
run never starts while the previous one of the same partner is still going
(``max_instances=1``). Beyond the grace time the run is recorded as ``missed``.

Every run holds the partner's lease (:mod:`exchange.store.leases`) like ``exchange
sync`` does: another exchange of the same partner, in this process or another
one on the same store, makes the run ``busy`` instead of overlapping with it.
Each run is recorded (:mod:`exchange.scheduler.runs`).

Several schedulers (processes, machines) may share one store and its jobs. A due
run is claimed by moving the job's next run time on with one conditional update
(only the scheduler whose update finds the time it read makes the run), and a
scheduler claims no more runs than it has free workers (``[scheduler] workers``),
leaving the others to the schedulers with room. A scheduled run whose process
died (its lease left behind, :func:`~exchange.store.leases.clear_abandoned`) is
made due again, at once, for any of them to take up.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING, STATE_STOPPED
from apscheduler.util import datetime_to_utc_timestamp

from exchange.config import ISWC_JOB, ConfigError, NodeConfig, load_config
from exchange.errors import ExchangeError
from exchange.scheduler.cron import (
    CrontabTrigger,
    iswc_trigger,
    partner_trigger,
    scheduled_partners,
)
from exchange.scheduler.runs import (
    RunRecord,
    _conflicts_since,
    _fill_from_ledger,
    _fill_from_report,
    _one_line,
    write_record,
)
from exchange.store import Store
from exchange.store.database import DEFAULT_URL
from exchange.store.leases import PartnerBusy, abandoned, clear_abandoned
from exchange.store.rows import now
from exchange.sync.run import SyncReport
from exchange.sync.session import exchange_with

logger = logging.getLogger(__name__)

#: Seconds after its time within which a run missed while the node was down is still made.
MISFIRE_GRACE_TIME = 3600
#: The table of the store that holds the scheduler's jobs.
JOBS_TABLE = "scheduler_jobs"
#: The purpose named in the partner's lease while a scheduled run holds it.
LEASE_PURPOSE = "scheduler"
#: What the jobs run, by reference (the job store keeps references, not functions).
JOB_FUNC = "exchange.scheduler:run_job"
#: Exchanges one scheduler runs at once, unless ``[scheduler] workers`` says otherwise.
WORKERS = 10
#: Seconds between two looks at the store for runs to claim or to take up, at most.
POLL_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class SchedulerSettings:
    """How the scheduler treats runs it could not make on time."""

    misfire_grace_time: int = MISFIRE_GRACE_TIME
    #: exchanges run at once; due runs beyond them are left to another scheduler
    workers: int = WORKERS


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
        report = exchange_with(store, config, partner, purpose=LEASE_PURPOSE, wait=wait)
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


def run_iswc(store: Store, config: NodeConfig) -> RunRecord:
    """The scheduled round with the ISWC database: ``iswc submit``, then ``iswc sync``.

    Recorded like an exchange (job ``iswc``): the submissions accepted and rejected
    as its transactions, the notification files as what came in. Without ``[iswc] url``
    (the file route only) nothing is submitted, the files are collected. Never raises.
    """
    from exchange.iswc.client import IswcClient
    from exchange.iswc.collect import collect
    from exchange.iswc.repertoire import submit
    from exchange.store.iswc_works import ISWC_DATABASE

    settings = config.iswc
    started = now()
    zone = settings.timezone if settings else "UTC"
    record = RunRecord(ISWC_JOB, "ok", timezone=zone, started=started)
    logger.info("the scheduled round with the ISWC database starting")
    try:
        if settings is None:
            raise ConfigError("[iswc] is no longer in the configuration")
        if settings.url is not None:
            with IswcClient.from_settings(settings, store) as client:
                sent = submit(store, client, deadline_days=config.deadline_days(ISWC_DATABASE))
            record.accepted, record.rejected = sent.count("accepted"), sent.count("rejected")
        if settings.notification_partner or settings.notification_folder:
            collected = collect(store, config)
            record.received = [item["name"] for item in collected["received"]]
    except Exception as exc:
        record.outcome, record.error = "failed", _one_line(exc)
        logger.debug("the scheduled round with the ISWC database failed", exc_info=True)
    record.finished = now()
    partners = {ISWC_DATABASE, settings.notification_partner if settings else None} - {None}
    try:
        record.conflicts_opened = sum(_conflicts_since(store, p, started) for p in partners)
    except Exception as exc:  # the store went away: the record says what is known
        logger.warning("iswc: cannot count what the run did: %s", _one_line(exc))
    write_record(config, record)
    log = logger.info if record.outcome == "ok" else logger.warning
    log("%s", record.text().replace("\n    ", "; "))
    return record


def _run(store: Store, config: NodeConfig, job: str) -> RunRecord:
    return run_iswc(store, config) if job == ISWC_JOB else run_scheduled(store, config, job)


# -- the scheduler ------------------------------------------------------------------------

#: The nodes whose scheduler runs in this process, by configuration file: what their jobs use.
_running: dict[str, tuple[Store, NodeConfig]] = {}
_running_lock = threading.Lock()


def run_job(config_path: str, partner: str) -> dict[str, Any]:
    """What a scheduled job runs: one exchange with ``partner`` (or, for ``iswc``, the
    round with the ISWC database); the record as a dict.

    Uses the store and configuration of the scheduler running in this process for
    ``config_path``; without one, loads the configuration and opens the store as
    the command line does ($EXCHANGE_DB, else ``[store] url``).
    """
    with _running_lock:
        node = _running.get(config_path)
    if node is not None:
        store, config = node
        return _run(store, config, partner).as_dict()
    config = load_config(config_path)
    with Store(os.environ.get("EXCHANGE_DB") or config.store_url or DEFAULT_URL) as store:
        return _run(store, config, partner).as_dict()


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


class SharedJobStore(SQLAlchemyJobStore):
    """The jobs table, shared by every scheduler on the store: a due run is made once.

    :meth:`get_due_jobs` gives only the runs this scheduler claimed, up to its free
    workers (:meth:`finished` frees one); a claim moves the job's next run time on
    where the time read is still there, so that two schedulers never claim the same.
    """

    def __init__(self, *args: Any, workers: int = WORKERS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workers = workers
        self._claimed: Counter[str] = Counter()  # runs submitted and not finished, per job
        self._claims_lock = threading.Lock()

    def finished(self, job_id: str) -> None:
        """A run of the job ended (made, failed, missed or skipped): its worker is free."""
        with self._claims_lock:
            self._claimed[job_id] -= 1
            if self._claimed[job_id] <= 0:
                del self._claimed[job_id]

    def get_due_jobs(self, now: datetime) -> list[Job]:
        with self._claims_lock:
            free = self.workers - self._claimed.total()
        claimed: list[Job] = []
        for job in super().get_due_jobs(now):
            if len(claimed) >= free:
                break  # left for a scheduler with free workers, or for this one later
            if self._claim(job, now):
                claimed.append(job)
        with self._claims_lock:
            self._claimed.update(job.id for job in claimed)
        return claimed

    def _claim(self, job: Job, now: datetime) -> bool:
        """Move the job's next run time on as the scheduler will, if nobody did it first."""
        run_times = job._get_run_times(now)
        following = job.trigger.get_next_fire_time(run_times[-1], now) if run_times else None
        if following is None:
            return True  # the scheduler removes a job that has no next run
        jobs = self.jobs_t.c
        with self.engine.begin() as conn:
            moved = conn.execute(
                self.jobs_t.update()
                .where(jobs.id == job.id)
                .where(jobs.next_run_time == datetime_to_utc_timestamp(job.next_run_time))
                .values(next_run_time=datetime_to_utc_timestamp(following))
            ).rowcount
        return bool(moved)

    def get_next_run_time(self) -> datetime | None:
        """When to look again: the next due run, a run due that was not ours to claim
        (every worker busy) or a scheduled run to take up, at most ``POLL_SECONDS`` on."""
        soon = datetime.now(UTC) + timedelta(seconds=POLL_SECONDS)
        due = super().get_next_run_time()
        return soon if due is None or due <= datetime.now(UTC) else min(due, soon)


class _BackgroundScheduler(BackgroundScheduler):
    """APScheduler's background scheduler, without a last round of jobs after ``shutdown()``.

    Its loop, woken by the shutdown, looks for due jobs once more: their submission
    fails (the executor is closed) and yet their next run time is moved on, so that
    a run due at that moment (or any due run of a paused scheduler) would be lost
    without being run or recorded. Checking the state under the job store lock,
    which the shutdown takes too, leaves such jobs due for the next start.
    """

    #: what to do before each look for due runs (the scheduler running)
    before_round: Callable[[], None] | None = None

    def _process_jobs(self) -> float | None:
        with self._jobstores_lock:
            if self.state == STATE_STOPPED:
                return None
            if self.state == STATE_RUNNING and self.before_round is not None:
                try:
                    self.before_round()
                except Exception as exc:  # the store is away: next round
                    logger.warning("cannot look for scheduled runs to take up: %s", exc)
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
        self.jobstore = SharedJobStore(
            engine=store.engine, tablename=JOBS_TABLE, workers=self.settings.workers
        )
        self.scheduler = _BackgroundScheduler(
            jobstores={"default": self.jobstore},
            executors={"default": ThreadPoolExecutor(self.settings.workers)},
            job_defaults=self._options(),
            timezone=UTC,
        )
        self.scheduler.before_round = self._take_up_abandoned
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
        iswc = iswc_trigger(self.config)
        if iswc is not None:
            triggers[ISWC_JOB] = iswc
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
            what = "the ISWC database" if code == ISWC_JOB else code
            options = {**self._options(), "name": f"exchange with {what}"}
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

    def _take_up_abandoned(self) -> None:
        """Make due now the partners whose scheduled run died with its process."""
        for code in abandoned(self.store, LEASE_PURPOSE):
            job = self.jobstore.lookup_job(code)
            if job is None:
                continue
            holder = clear_abandoned(self.store, code, LEASE_PURPOSE)
            if holder is None:
                continue  # still running, or another scheduler took it up
            logger.warning(
                "%s: the scheduled exchange of %s stopped without finishing: made due again",
                code,
                holder.describe(),
            )
            job._modify(next_run_time=datetime.now(UTC))
            self.jobstore.update_job(job)

    def _on_event(self, event: JobEvent) -> None:
        self.jobstore.finished(event.job_id)
        self.scheduler.wakeup()  # a worker is free: claim the next due run
        code = event.job_id
        partner = self.config.partners.get(code)
        iswc = self.config.iswc if code == ISWC_JOB else None
        zone = partner.timezone if partner else iswc.timezone if iswc else "UTC"
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
