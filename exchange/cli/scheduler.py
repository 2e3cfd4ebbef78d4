"""``exchange scheduler``: exchanges with partners on their schedules."""

from __future__ import annotations

import logging
import signal
import threading
from collections import Counter
from datetime import datetime
from types import FrameType
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from exchange.cli.common import NodeContext, emit, json_option
from exchange.errors import EXIT_USAGE, ExchangeError
from exchange.scheduler.cron import next_runs, scheduled_partners
from exchange.scheduler.runs import last_runs

pass_node = click.make_pass_decorator(NodeContext)
logger = logging.getLogger("exchange.scheduler")


def _stamp(iso: str | None) -> str:
    """An ISO time as the table shows it: to the minute, with its offset."""
    if not iso:
        return "-"
    return datetime.fromisoformat(iso).isoformat(sep=" ", timespec="minutes")


@click.group()
def scheduler() -> None:
    """Exchange with each partner on its schedule (cron fields in its time zone).

    `run` keeps the node exchanging in the foreground; its jobs live in the
    store, so that a restart keeps their next run times. Every run is recorded
    in <data_dir>/reports/exchange-YYYY-MM-DD.txt and .jsonl.

    \b
    Example:
      exchange --config node.toml scheduler list
      exchange --config node.toml scheduler run
      exchange --config node.toml scheduler status --json
    """


@scheduler.command()
@json_option
@pass_node
def run(node: NodeContext) -> None:
    """Run the scheduled exchanges in the foreground until stopped.

    At start the jobs in the store are brought in line with the configuration:
    a partner's job is added, rescheduled when its schedule changed, removed when
    it has no schedule any more. Runs missed while the node was down are made
    once if the last one is within the grace time (an hour), else recorded as
    missed. A run finds its partner busy (and is recorded so) while another
    exchange holds it, in this process or any other on the same store.

    Logs go to stderr. SIGTERM or Ctrl-C stops the scheduler after the running
    exchanges finish; with --json, what was run is printed then.

    \b
    Example:
      exchange --config node.toml scheduler run
      exchange --config node.toml -v scheduler run --json > runs.json
    """
    from exchange.scheduler.jobs import NodeScheduler, SchedulerSettings  # the exchanges

    config = node.config
    if not scheduled_partners(config):
        raise ExchangeError(
            'no partner has a schedule: set schedule (e.g. "0 2 * * *") in [[partners]]',
            EXIT_USAGE,
        )
    store = node.store()
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            logger.warning("still stopping: waiting for the running exchanges to finish")
            return
        logger.warning(
            "%s received: stopping after the running exchanges", signal.Signals(signum).name
        )
        stop.set()

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, on_signal)
    level = logger.level
    if not node.quiet:
        logger.setLevel(min(logging.INFO, logger.getEffectiveLevel()))
    settings = SchedulerSettings(
        misfire_grace_time=config.scheduler_grace_seconds, workers=config.scheduler_workers
    )
    node_scheduler = NodeScheduler(store, config, settings)
    try:
        changes = node_scheduler.start()
        for job in node_scheduler.jobs():
            zone = config.partners[job.id].timezone
            logger.info(
                "%s: %s (%s), next run %s",
                job.id,
                config.partners[job.id].schedule,
                zone,
                job.next_run_time.isoformat(sep=" ", timespec="seconds")
                if job.next_run_time
                else "never",
            )
        logger.info("scheduler running; SIGTERM or Ctrl-C stops it")
        while not stop.wait(1.0):
            pass
    finally:
        node_scheduler.shutdown(wait=True)
        logger.info("scheduler stopped")
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        logger.setLevel(level)
    runs = list(node_scheduler.runs)

    def human(out: Console) -> None:
        outcomes = Counter(r["outcome"] for r in runs)
        detail = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
        out.print(f"stopped after {len(runs)} runs" + (f" ({detail})" if detail else ""))

    emit(node, {"jobs": changes.as_dict(), "runs": runs}, human)


@scheduler.command("list")
@json_option
@pass_node
def list_(node: NodeContext) -> None:
    """The scheduled partners and when each one's next exchange is due.

    Computed from the configuration, whether the scheduler runs or not; times
    are in the partner's time zone, and in UTC.

    \b
    Example:
      exchange --config node.toml scheduler list
      exchange scheduler list --json | jq -r '.jobs[] | "\\(.partner) \\(.next_run)"'
    """
    jobs = next_runs(node.config)

    def human(out: Console) -> None:
        if not jobs:
            out.print("no partner has a schedule")
            return
        table = Table("partner", "schedule", "time zone", "next run", "UTC", box=None)
        for job in jobs:
            table.add_row(
                job["partner"],
                job["schedule"],
                job["timezone"],
                _stamp(job["next_run"]),
                _stamp(job["next_run_utc"]),
            )
        out.print(table)

    emit(node, {"jobs": jobs}, human)


@scheduler.command()
@json_option
@pass_node
def status(node: NodeContext) -> None:
    """Each scheduled partner's last run: when, outcome, files, conflicts opened.

    Read from the report files (<data_dir>/reports/exchange-*.jsonl). The outcome
    is ok, failed, busy (another exchange held the partner) or missed (the node
    was down past the grace time).

    \b
    Example:
      exchange --config node.toml scheduler status
      exchange scheduler status --json | jq '.partners[] | select(.last_run.outcome != "ok")'
    """
    config = node.config
    codes = sorted(config.partners)
    found = last_runs(config, codes)
    shown = [code for code in codes if config.partners[code].schedule or code in found]
    partners = [
        {
            "partner": code,
            "schedule": config.partners[code].schedule,
            "timezone": config.partners[code].timezone,
            "last_run": found.get(code),
        }
        for code in shown
    ]

    def human(out: Console) -> None:
        if not partners:
            out.print("no partner has a schedule")
            return
        table = Table(
            "partner", "last run", "outcome", "in", "out", "delivered", "conflicts", "error",
            box=None,
        )  # fmt: skip
        for item in partners:
            last = item["last_run"]
            if last is None:
                table.add_row(item["partner"], "never", "", "", "", "", "", "")
                continue
            files = last.get("files") or {}
            conflicts = last.get("conflicts_opened")
            table.add_row(
                item["partner"],
                _stamp(last.get("started") or last.get("scheduled")),
                last.get("outcome", ""),
                str(files.get("in", "")),
                str(files.get("out", "")),
                str(files.get("delivered", "")),
                "" if conflicts is None else str(conflicts),
                last.get("error") or "",
            )
        out.print(table)

    emit(node, {"partners": partners}, human)
