"""Home: each partner's last exchange and next run, failures, and what waits for a person."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from exchange.conflicts.lifecycle import Conflicts
from exchange.console.auth import NodeDep, SignedIn
from exchange.console.layout import page
from exchange.matching.queue import Matches
from exchange.scheduler.cron import next_runs
from exchange.scheduler.runs import last_runs
from exchange.store.ledger import FAILED

router = APIRouter()


def partner_rows(node: NodeDep) -> list[dict[str, Any]]:
    """One row per configured partner: its last run, next run and failed files."""
    config = node.config
    codes = sorted(config.partners)
    runs = last_runs(config, codes)
    upcoming = {job["partner"]: job for job in next_runs(config)}
    failed = Counter(entry.partner for entry in node.store.ledger(state=FAILED))
    rows = []
    for code in codes:
        run = runs.get(code)
        transactions = (run or {}).get("transactions") or {}
        rows.append(
            {
                "code": code,
                "name": config.partners[code].name,
                "run": run,
                "when": (run or {}).get("started") or (run or {}).get("scheduled"),
                "files": (run or {}).get("files") or {},
                "rejected": transactions.get("rejected"),
                "next": upcoming.get(code, {}).get("next_run_utc"),
                "failed_files": failed.get(code, 0),
            }
        )
    return rows


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: SignedIn, node: NodeDep) -> HTMLResponse:
    config = node.config
    conflicts = Conflicts(node.store, config.deadline_days)
    unresolved = [c for c in conflicts.list() if c.status != "resolved"]
    waiting = Matches(node.store, config.own_society, config.deadline_days).count("pending")
    counts = {
        "open": len(unresolved),
        "overdue": sum(1 for c in unresolved if c.overdue()),
        "matches": waiting,
    }
    return page(request, who, "home.html", "Home", partners=partner_rows(node), counts=counts)
