"""Workflow tasks of the ISWC database on our works, beside the conflicts of those works.

Another agency's change to an ISWC we share (an update of its title or creators, a
merge, a de-merge) waits for our approval as a workflow task; a task left pending
``[iswc] auto_approve_days`` is approved by the database itself (REST API 3.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from exchange.errors import NotFound
from exchange.iswc.answers import TaskUpdate, WorkflowTask
from exchange.iswc.client import IswcClient
from exchange.iswc.repertoire import find_our_work
from exchange.store import Store
from exchange.store import conflicts as stored_conflicts

#: The statuses an agency gives a task assigned to it.
DECISIONS = {"approve": "Approved", "reject": "Rejected"}


@dataclass(frozen=True, slots=True)
class TaskView:
    """A workflow task as the operator sees it: its work of ours and that work's conflicts."""

    task: WorkflowTask
    deadline: datetime | None
    work_id: int | None
    work_title: str | None
    conflicts: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        task, meta = self.task, self.task.metadata
        return {
            "id": task.task_id,
            "type": task.workflow_type,
            "status": task.status,
            "created": task.created.isoformat() if task.created else None,
            "auto_approved_on": self.deadline.isoformat() if self.deadline else None,
            "originating_agency": task.originating_agency,
            "iswc": meta.iswc if meta else None,
            "title": meta.original_title if meta else None,
            "message": task.message,
            "work": None
            if self.work_id is None
            else {"id": self.work_id, "title": self.work_title},
            "conflicts": self.conflicts,
            "rejection": task.rejection.as_dict() if task.rejection else None,
        }


def _view(store: Store, task: WorkflowTask, agency: str, auto_approve_days: int) -> TaskView:
    deadline = task.created + timedelta(days=auto_approve_days) if task.created else None
    work_id = title = None
    found: list[dict[str, Any]] = []
    codes = task.metadata.workcodes(agency) if task.metadata else []
    with store.connect() as conn:
        for code in codes:
            work_id = find_our_work(conn, agency, code)
            if work_id is not None:
                break
        if work_id is None and task.metadata is not None:
            work_id = store.find_work(task.metadata.iswc)
        if work_id is not None:
            work = store.load_work(work_id)
            title = work.title if work else None
            found = [
                {"id": c.id, "kind": c.kind, "status": c.status, "message": c.detail.get("message")}
                for c in stored_conflicts.find(conn, work_id=work_id)
                if c.status != "resolved"
            ]
    return TaskView(task, deadline, work_id, title, found)


def list_tasks(
    store: Store, client: IswcClient, *, auto_approve_days: int, statuses: tuple[str, ...] = ()
) -> list[TaskView]:
    """The tasks assigned to our agency, each with our work and its open conflicts."""
    tasks = client.workflow_tasks(statuses=statuses)
    return [_view(store, task, client.agency, auto_approve_days) for task in tasks]


def decide(
    store: Store,
    client: IswcClient,
    task_id: int,
    decision: str,
    message: str | None,
    *,
    auto_approve_days: int,
) -> TaskView:
    """Approve or reject task ``task_id``; the task as it is now (with a rejection when the
    database refused the update)."""
    pending = {t.task_id: t for t in client.workflow_tasks()}
    task = pending.get(task_id)
    if task is None:
        raise NotFound(
            f"no workflow task {task_id} assigned to agency {client.agency} "
            f"(see `exchange iswc tasks list`)"
        )
    update = TaskUpdate(task_id, task.workflow_type, DECISIONS[decision], message)
    [done] = client.update_workflow_tasks([update])
    return _view(store, done, client.agency, auto_approve_days)
